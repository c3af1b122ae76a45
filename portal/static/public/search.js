// Search in the browser over the static Pagefind index of this page's language.
// Progressive: without JavaScript the page shows the A–Z list and the categories instead.
// Nothing of Pagefind loads before the first query. Two bundles (portal/staticsearch.py): the small one
// (titles, summaries, keywords, e-services) answers first; the full-text one only when it finds nothing.
const box = document.getElementById("search-results");
const help = document.getElementById("no-js-help");
const input = document.getElementById("q-page");
const form = input ? input.form : null;
const OPTIONS = { excerptLength: 24 };
let pagefind = null;
let fullText = null;
let latest = 0;

function text(tag, value, className) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (className) { el.className = className; }
  return el;
}

// Pagefind's excerpt is text with <mark> around the hits: rebuild it from text nodes, never as HTML.
function excerpt(raw) {
  const p = document.createElement("p");
  const parts = String(raw || "").split(/<\/?mark>/);
  parts.forEach((part, i) => {
    const decoded = new DOMParser().parseFromString(part, "text/html").documentElement.textContent;
    p.appendChild(i % 2 ? text("mark", decoded) : document.createTextNode(decoded));
  });
  return p;
}

function render(results) {
  const d = box.dataset;
  const count = results.length === 0 ? d.none : results.length === 1 ? d.one : d.many.replace("{n}", results.length);
  const list = document.createElement("ul");
  list.className = "article-list results";
  for (const r of results) {
    const li = document.createElement("li");
    const a = text("a", r.meta.title || r.url);
    a.href = r.url;
    li.appendChild(a);
    if (r.meta.eservice) {
      li.appendChild(document.createTextNode(" "));
      li.appendChild(text("span", d.eservice, "badge"));
    }
    li.appendChild(r.meta.summary ? text("p", r.meta.summary) : excerpt(r.excerpt));
    if (r.meta.eservice && /^https:\/\//.test(r.meta.eservice_url || "")) {
      const go = text("a", d.start + ": " + r.meta.eservice, "eservice-link");
      go.href = r.meta.eservice_url;
      go.rel = "external";
      li.appendChild(go);
    }
    list.appendChild(li);
  }
  box.replaceChildren(text("p", count, "result-count"), list);
  if (help) { help.hidden = results.length > 0; }
}

function fail() {
  box.replaceChildren(text("p", box.dataset.failed, "result-count"));
  if (help) { help.hidden = false; }
}

async function run(query) {
  const q = query.trim();
  const mine = ++latest;
  if (!q) {
    box.replaceChildren();
    return;
  }
  try {
    if (!pagefind) {
      pagefind = await import(box.dataset.bundle + "pagefind.js");
      await pagefind.options(OPTIONS);
      await pagefind.init();
    }
    let search = await pagefind.debouncedSearch(q, {}, 200);
    if (search === null) { return; }  // a newer query is on its way
    if (search.results.length === 0) {
      if (!fullText) {
        fullText = pagefind.createInstance({ basePath: box.dataset.bundle + "full/" });
        await fullText.options(OPTIONS);
      }
      search = await fullText.search(q);
    }
    const results = await Promise.all(search.results.slice(0, 25).map((r) => r.data()));
    if (mine === latest) { render(results); }
  } catch (err) {
    if (mine === latest) { fail(); }
  }
}

if (box && input && !box.dataset.server) {
  if (help) { help.hidden = true; }
  input.addEventListener("input", () => run(input.value));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const url = new URL(window.location.href);
    url.searchParams.set("q", input.value);
    window.history.replaceState(null, "", url);
    run(input.value);
  });
  const initial = new URLSearchParams(window.location.search).get("q");
  if (initial) {
    input.value = initial;
    run(initial);
  }
}
