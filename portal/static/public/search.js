// Search in the browser. Progressive: without JavaScript the page shows the A–Z list and the categories.
// With the public search API named in site.yml, it is asked first (the server's ranking), briefly; when it
// is slow or down, the static index answers: the query rewritten by searchplan.js (stop words, synonyms,
// compounds, typos), then Pagefind, one search per word or alternative, the results merged and ranked here.
// Two Pagefind bundles (portal/build/staticsearch.py): the small one (titles, summaries, keywords, e-services)
// answers; the full-text one is asked for words only article bodies have, or when the small one has nothing.
// Nothing of Pagefind or the lexicon loads before the first query.
import { Lexicon, normalize, plan, tokenize } from "./searchplan.js";

const box = document.getElementById("search-results");
const help = document.getElementById("no-js-help");
const input = document.getElementById("q-page");
const dataNode = document.getElementById("search-data");
const form = input ? input.form : null;
const OPTIONS = { excerptLength: 24 };
const SHOWN = 25;
const PER_SEARCH = 60; // results of one Pagefind search that count (the rest are far down anyway)
const API_TIMEOUT_MS = 700;
const API_PAUSE_MS = 60000; // after a failure the API is left alone for a minute: typing must not wait
// Quiet time after a key before searching: a quick typist's keys come 80-100 ms apart, and each search of a
// half-typed word would download index chunks for nothing (bench/staticsearch_firstquery.py).
const DEBOUNCE_MS = 110;
let data = null;
let bundles = null;
let lexicon = null;
let latest = 0;
let timer = 0;
let apiDownUntil = 0;

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

function suggestionLine(suggestion) {
  const p = text("p", box.dataset.didYouMean + " ", "did-you-mean");
  const a = text("a", suggestion);
  const url = new URL(window.location.href);
  url.searchParams.set("q", suggestion);
  a.href = url.pathname + url.search;
  a.addEventListener("click", (event) => {
    event.preventDefault();
    input.value = suggestion;
    submit();
  });
  p.appendChild(a);
  return p;
}

function render(results, suggestion) {
  const d = box.dataset;
  const count = results.length === 0 ? d.none : results.length === 1 ? d.one : d.many.replace("{n}", results.length);
  const list = document.createElement("ul");
  list.className = "article-list results";
  for (const r of results) {
    const li = document.createElement("li");
    const a = text("a", r.meta.title || r.url);
    a.href = r.url;
    li.appendChild(a);
    if (r.meta.textlang && r.meta.textlang !== data.lang) {
      a.lang = r.meta.textlang;
      li.appendChild(document.createTextNode(" "));
      li.appendChild(text("span", d.fallback, "lang-mark"));
    }
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
  const shown = [text("p", count, "result-count")];
  if (suggestion) { shown.push(suggestionLine(suggestion)); }
  box.replaceChildren(...shown, list);
  if (help) { help.hidden = results.length > 0; }
}

function fail() {
  box.replaceChildren(text("p", box.dataset.failed, "result-count"));
  if (help) { help.hidden = false; }
}

// --- the API, when site.yml names one -----------------------------------------------------------------

function localPath(url) {
  return typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : null;
}

async function searchApi(q) {
  if (!data.api || Date.now() < apiDownUntil) { return null; }
  const controller = new AbortController();
  const timeout = setTimeout(() => controller.abort(), API_TIMEOUT_MS);
  try {
    const url = new URL(data.api);
    url.searchParams.set("q", q);
    url.searchParams.set("lang", data.lang);
    url.searchParams.set("limit", "10");
    const response = await fetch(url, { signal: controller.signal, credentials: "omit", mode: "cors" });
    if (!response.ok) { throw new Error(String(response.status)); }
    const body = await response.json();
    const results = (body.hits || []).filter((h) => localPath(h.url)).map((h) => ({
      url: h.url,
      meta: { title: h.title, summary: h.summary, eservice: h.self_service_url ? h.self_service_label || "" : "",
              eservice_url: h.self_service_url, textlang: h.fallback ? h.lang : null },
    }));
    return { results, suggestion: typeof body.suggestion === "string" ? body.suggestion : null };
  } catch (err) {
    apiDownUntil = Date.now() + API_PAUSE_MS;
    return null;
  } finally {
    clearTimeout(timeout);
  }
}

// --- the static index -----------------------------------------------------------------------------

let loading = null;

// Pagefind (its script, worker, WebAssembly and page list) and the lexicon's shard table, fetched once: on
// the first key, while the citizen is still typing, so that the first results need only the words' files.
function load() {
  if (!loading) {
    lexicon = new Lexicon(box.dataset.bundle + "lexicon/", data.lang);
    loading = Promise.all([import(box.dataset.bundle + "pagefind.js").then(async (pf) => {
      await pf.options(OPTIONS);
      await pf.init();
      bundles = { small: pf, full: null, make: () => pf.createInstance({ basePath: box.dataset.bundle + "full/" }) };
    }), lexicon.pages()]);
    loading.catch(() => { loading = null; });  // a failed download is tried again on the next query
  }
  return loading;
}

async function bundle(name) {
  if (name === "full" && !bundles.full) {
    bundles.full = bundles.make();
    await bundles.full.options(OPTIONS);
  }
  return bundles[name];
}

// Every alternative of every clause, one Pagefind search each; a page's score is, per clause, its best
// alternative (its Pagefind score relative to that search's best, times the alternative's weight), times
// the clause's weight (rarer words weigh more), summed over the clauses.
async function runPlan(p, allFull) {
  const searches = new Map();
  // A word only article bodies have is asked of the full-text bundle only when the small one finds nothing
  // at all: the full bundle is another 150 KB to download (bench/RESULTS.md).
  const asked = (alt) => allFull || !alt.full;
  for (const clause of p.clauses) {
    for (const alt of clause.alts.filter(asked)) {
      const which = allFull || alt.full ? "full" : "small";
      const key = which + "\u0000" + alt.q;
      if (!searches.has(key)) { searches.set(key, bundle(which).then((b) => b.search(alt.q))); }
    }
  }
  const pages = new Map();
  for (const [ci, clause] of p.clauses.entries()) {
    for (const alt of clause.alts.filter(asked)) {
      const which = allFull || alt.full ? "full" : "small";
      const found = (await searches.get(which + "\u0000" + alt.q)) || { results: [] };
      const best = found.results.length ? found.results[0].score || 1 : 1;
      for (const r of found.results.slice(0, PER_SEARCH)) {
        const key = which + r.id;
        const page = pages.get(key) || { result: r, per: new Map() };
        page.per.set(ci, Math.max(page.per.get(ci) || 0, alt.w * (r.score / best)));
        pages.set(key, page);
      }
    }
  }
  const score = (page) => [...page.per].reduce((sum, [ci, s]) => sum + s * p.clauses[ci].weight, 0);
  const top = [...pages.values()].sort((a, b) => score(b) - score(a)).slice(0, SHOWN);
  const loaded = await Promise.all(top.map(async (page) => ({ ...page, data: await page.result.data() })));
  const byUrl = new Map();
  for (const page of loaded) {  // the same article from both bundles: one result, the best of both
    const seen = byUrl.get(page.data.url);
    if (seen) {
      for (const [ci, s] of page.per) { seen.per.set(ci, Math.max(seen.per.get(ci) || 0, s)); }
    } else {
      byUrl.set(page.data.url, page);
    }
  }
  const ranked = [...byUrl.values()].map((page) => ({ page, s: score(page) * boost(page.data, p) }));
  ranked.sort((a, b) => b.s - a.s);
  return ranked.slice(0, SHOWN).map((x) => x.page.data);
}

// As the server's ranking (portal/search/searcher.py, _rank): a title that holds every clause first; an e-service
// first when the citizen wants to do the errand.
function boost(result, p) {
  const title = tokenize(normalize(result.meta.title || "", data.lang));
  const inTitle = (q) => tokenize(q).every((w) => title.some((t) => t.startsWith(w) || w.startsWith(t) && t.length >= 4));
  let factor = p.clauses.length && p.clauses.every((c) => c.alts.some((a) => inTitle(a.q))) ? 1.4 : 1;
  if (result.meta.eservice) { factor *= p.doing ? 1.35 : 1.05; }
  return factor;
}

async function searchStatic(q, typing) {
  await load();
  const p = await plan(q, data, lexicon, typing);
  if (!p.clauses.length) { return { results: [], suggestion: p.corrected }; }
  let results = await runPlan(p, false);
  if (results.length === 0) { results = await runPlan(p, true); }
  return { results, suggestion: p.corrected };
}

async function run(query, typing) {
  const q = query.trim();
  const mine = ++latest;
  if (!q) {
    box.replaceChildren();
    return;
  }
  try {
    const found = (await searchApi(q)) || (await searchStatic(q, typing));
    if (mine === latest) {
      render(found.results, found.suggestion);
      // For tests and bench/: which query the shown results are for, and when they were shown.
      Object.assign(box.dataset, { done: String(mine), query, shownAt: String(performance.now()) });
    }
  } catch (err) {
    if (mine === latest) { fail(); }
  }
}

function submit() {
  clearTimeout(timer);
  const url = new URL(window.location.href);
  url.searchParams.set("q", input.value);
  window.history.replaceState(null, "", url);
  run(input.value, false);
}

if (box && input && dataNode && !box.dataset.server) {
  data = JSON.parse(dataNode.textContent);
  if (help) {
    // JavaScript works: the help is for a search that finds nothing, and says so (not "needs JavaScript").
    help.hidden = true;
    document.getElementById("help-no-js").hidden = true;
    document.getElementById("help-no-hits").hidden = false;
  }
  input.addEventListener("input", () => {
    clearTimeout(timer);
    // With an API that answers, the static index is not needed: nothing of it is fetched ahead.
    if (input.value.trim() && !(data.api && Date.now() >= apiDownUntil)) { load().catch(() => {}); }
    const value = input.value;
    // The last word is still being typed unless a space follows it: it may be the start of a word.
    timer = setTimeout(() => run(value, !/\s$/.test(value)), DEBOUNCE_MS);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  const initial = new URLSearchParams(window.location.search).get("q");
  if (initial) {
    input.value = initial;
    run(initial, false);
  }
}
