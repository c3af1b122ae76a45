// Search in the browser. Progressive: without JavaScript the page shows the A–Z list and the categories.
// With the public search API named in site.yml, it is asked first (the server's ranking), briefly; when it
// is slow or down, the static index answers: the query rewritten by searchplan.js (stop words, synonyms,
// compounds, typos), then Pagefind, one search per word or alternative, the results merged and ranked here.
// Two Pagefind bundles (portal/build/staticsearch.py): the small one (titles, summaries, keywords, e-services)
// answers; the full-text one is asked for words only article bodies have, or when the small one has nothing,
// and alone for a long question (a chat message, a call retold: searchplan.js, longPlan).
// Nothing of Pagefind or the lexicon loads before the first query.
import { foundAsPrefix, Lexicon, neededFirst, normalize, plan, rarity, stopWords, tokenize } from "./searchplan.js";

const box = document.getElementById("search-results");
const help = document.getElementById("no-js-help");
const input = document.getElementById("q-page");
const dataNode = document.getElementById("search-data");
const form = input ? input.form : null;
const OPTIONS = { excerptLength: 24 };
const SHOWN = 25;
const FIRST = 10; // results shown as soon as their fragments are in; the rest follow (bench/RESULTS.md)
const PER_SEARCH = 60; // results of one Pagefind search that count (the rest are far down anyway)
const CACHED_SEARCHES = 300; // Pagefind searches kept for later queries (a few per word typed)
const API_TIMEOUT_MS = 700;
const API_PAUSE_MS = 60000; // after a failure the API is left alone for a minute: typing must not wait
// Quiet time after a key before the results are fetched and shown: a quick typist's keys come 80-100 ms
// apart, and the result fragments of a half-typed query would be downloaded for nothing. The words already
// typed are searched at once, on every key (prepare()), so that little is left to do after this.
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

function countText(n) {
  const d = box.dataset;
  return n === 0 ? d.none : n === 1 ? d.one : d.many.replace("{n}", n);
}

function resultItem(r) {
  const d = box.dataset;
  const li = document.createElement("li");
  const a = text("a", r.meta.title || r.url);
  a.href = r.url;
  li.appendChild(a);
  const summary = r.meta.summary ? text("p", r.meta.summary) : excerpt(r.excerpt);
  if (r.meta.textlang && r.meta.textlang !== data.lang) {
    // Swedish text on an Arabic page: its own language and direction, so that its full stop stays at its end.
    for (const el of [a, summary]) {
      el.lang = r.meta.textlang;
      el.dir = d.sourceDir || "auto";
    }
    li.appendChild(document.createTextNode(" "));
    li.appendChild(text("span", d.fallback, "lang-mark"));
  }
  if (r.meta.easyread) {
    li.appendChild(document.createTextNode(" "));
    li.appendChild(text("span", d.easy, "badge badge-easy"));
  }
  if (r.meta.eservice) {
    li.appendChild(document.createTextNode(" "));
    li.appendChild(text("span", d.eservice, "badge"));
  }
  li.appendChild(summary);
  if (r.meta.eservice && /^https:\/\//.test(r.meta.eservice_url || "")) {
    const go = text("a", d.start + ": " + r.meta.eservice, "eservice-link");
    go.href = r.meta.eservice_url;
    go.rel = "external";
    li.appendChild(go);
  }
  return li;
}

// *count*: how many results there will be when the rest (appendResults) is in. *unsure*: none of them is a
// confident answer (the API says so; the static index cannot): the page says so above them, with the contact
// centre's phone (the search page's template, #search-unsure).
// *elsewhere*: another authority whose errand the question names (the API's answer): named and linked above.
function render(results, suggestion, count, unsure, elsewhere) {
  const list = document.createElement("ul");
  list.className = "article-list results";
  list.append(...results.map(resultItem));
  const shown = [text("p", countText(count), "result-count")];
  if (suggestion) { shown.push(suggestionLine(suggestion)); }
  const referral = document.getElementById("search-elsewhere");
  if (elsewhere && referral) {
    const line = referral.content.cloneNode(true);
    const link = line.querySelector(".elsewhere-link");
    link.textContent = elsewhere.authority;
    link.href = elsewhere.url;
    shown.push(line);
  }
  const notice = document.getElementById("search-unsure");
  if (unsure && notice) { shown.push(notice.content.cloneNode(true)); }
  box.replaceChildren(...shown, list);
  if (help) { help.hidden = count > 0; }
}

function appendResults(results, count) {
  box.querySelector(".results").append(...results.map(resultItem));
  const shown = box.querySelector(".result-count");
  if (shown.textContent !== countText(count)) { shown.textContent = countText(count); }
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
    const hits = (body.hits || []).filter((h) => localPath(h.url));
    const results = hits.map((h) => ({
      url: h.url,
      meta: { title: h.title, summary: h.summary, eservice: h.self_service_url ? h.self_service_label || "" : "",
              eservice_url: h.self_service_url, textlang: h.fallback ? h.lang : null, easyread: h.easy_read ? "1" : "" },
    }));
    // Unsure only when the API says of every hit that it is not a confident answer (an API that does not say
    // is not taken to say no).
    const unsure = hits.length > 0 && hits.every((h) => h.confident === false);
    const where = body.elsewhere;  // linked only to a web site: an answer is data, never a script's address
    const elsewhere = where && typeof where.authority === "string" && typeof where.url === "string" &&
      /^https:\/\/[^\s"<>]+$/.test(where.url) ? { authority: where.authority, url: where.url } : null;
    return { results, suggestion: typeof body.suggestion === "string" ? body.suggestion : null, unsure, elsewhere };
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
      // An empty search downloads nothing, but readies Pagefind's worker for the first real one (its word
      // splitter, the module in): a typo typed as the first query went from 60 to 35 ms (bench/RESULTS.md).
      pf.search("").catch(() => {});
      bundles = { small: pf, full: null, make: () => pf.createInstance({ basePath: box.dataset.bundle + "full/" }) };
    }), lexicon.pages()]);
    loading.catch(() => { loading = null; });  // a failed download is tried again on the next query
  }
  return loading;
}

// The full-text bundle, made once the small one is ready. Pagefind's instances share one WebAssembly module
// in its worker: a second instance that loads it while the first is still loading it replaces the module
// under the first, and its searches come back empty or garbled (a word only article bodies have, typed
// before the small bundle was in: tests/browser/test_staticsearch_browser.py). filters() returns when the
// small bundle's module is in, and downloads nothing (the pages set no Pagefind filters).
async function bundle(name) {
  if (name === "small") { return bundles.small; }
  if (!bundles.full) {
    bundles.full = bundles.small.filters().then(async () => {
      const full = bundles.make();
      await full.options(OPTIONS);
      return full;
    });
    bundles.full.catch(() => { bundles.full = null; });  // tried again on the next query
  }
  return bundles.full;
}

// One Pagefind search, its first results (hits) and how many pages it found (count) kept for later queries:
// the words typed before the last one were searched while the citizen was still typing (prepare()), and a
// query typed on reuses them.
const searches = new Map();

function searchOnce(which, q) {
  const key = which + "\u0000" + q;
  let found = searches.get(key);
  if (!found) {
    found = bundle(which).then((b) => b.search(q))
      .then((s) => ({ hits: s ? s.results.slice(0, PER_SEARCH) : [], count: s ? s.results.length : 0 }));
    found.catch(() => { searches.delete(key); });  // a failed download is tried again
    searches.set(key, found);
    if (searches.size > CACHED_SEARCHES) { searches.delete(searches.keys().next().value); }
  }
  return found;
}

class Stale extends Error {}

function check(mine) {
  if (mine !== latest) { throw new Stale(); }
}

// Every alternative of every clause, one Pagefind search each; a page's score is, per clause, its best
// alternative (its Pagefind score relative to that search's best, times the alternative's weight; an exact
// word's weight as it is), times the clause's weight (rarer words weigh more), summed over the clauses. The
// best SHOWN pages by that score, not yet loaded (their fragments hold the titles that boost() needs).
async function runPlan(p, allFull, mine) {
  // A word only article bodies have is asked of the full-text bundle only when the small one finds nothing
  // at all: the full bundle is another 150 KB to download (bench/RESULTS.md). A long question is asked of the
  // full text alone (searchplan.js, longPlan).
  const full = allFull || Boolean(p.long);
  const asked = (alt) => full || !alt.full;
  const which = (alt) => (full || alt.full ? "full" : "small");
  for (const clause of p.clauses) {  // all at once, then read in order
    for (const alt of clause.alts.filter(asked)) { searchOnce(which(alt), alt.q); }
  }
  const pages = new Map();
  const counts = new Map();
  for (const [ci, clause] of p.clauses.entries()) {
    for (const alt of clause.alts.filter(asked)) {
      const found = await searchOnce(which(alt), alt.q);
      counts.set(alt, found.count);
      const best = found.hits.length ? found.hits[0].score || 1 : 1;
      for (const r of found.hits) {
        const key = which(alt) + r.id;
        const page = pages.get(key) || { result: r, per: new Map(), titled: new Set() };
        page.per.set(ci, Math.max(page.per.get(ci) || 0, alt.w * (alt.exact ? 1 : r.score / best)));
        if ((r.matchedMetaFields || []).includes("title")) { page.titled.add(ci); }
        pages.set(key, page);
      }
    }
  }
  check(mine);
  if (p.long) { weighByCount(p, counts, await lexicon.pages()); }
  for (const page of pages.values()) { page.raw = score(page, p); }
  return [...pages.values()].sort((a, b) => b.raw - a.raw).slice(0, SHOWN);
}

// A long question's clauses weigh by how many pages Pagefind found for the clause's own word (exactly, or
// as a prefix when it is no word of the index): what Pagefind matches, stems and all, not the lexicon's count
// of that one form ("banken": 1 page has it, 22 have "bank" or "banker").
function weighByCount(p, counts, pages) {
  for (const clause of p.clauses) {
    const own = clause.alts.find((a) => a.exact && counts.get(a))
      || clause.alts.find((a) => a.q === clause.word && counts.get(a));
    if (own) { clause.weight = rarity(pages, counts.get(own)); }
  }
}

function score(page, p) {
  return [...page.per].reduce((sum, [ci, s]) => sum + s * p.clauses[ci].weight, 0);
}

async function loadData(pages) {
  await Promise.all(pages.map(async (page) => { page.data = page.data || await page.result.data(); }));
}

// Easy-read Swedish (lättläst): the words that ask for it (as portal/search/easyread.py), taken out of the query.
const EASY_WORDS = /(^|[\s,.;:!?])(lättläst\S*|lattlast\S*|lätt\s+svenska|lättare\s+svenska|enkel\s+svenska|easy[- ]?read\S*|easy\s+swedish)(?=$|[\s,.;:!?])/giu;

function easyAsked(q) {
  if (!q.match(EASY_WORDS)) { return { rest: q, easy: false }; }
  const rest = q.replace(EASY_WORDS, " ").replace(/\s+(på|in|som)\s*$/iu, " ").replace(/\s+/g, " ").trim();
  return { rest: rest || q, easy: true };
}

const EASY_PATH = /\/lattlast\/$/;

// An article's easy-read page and its ordinary page are one result: the easy-read one when the query asks for
// it (first, as the server's search puts it), else the ordinary one (the easy-read page alone still counts).
function oneTextEach(out, p) {
  const urls = new Set(out.map((x) => x.page.data.url));
  const twin = (url) => (EASY_PATH.test(url) ? url.replace(EASY_PATH, "/") : url + "lattlast/");
  const kept = out.filter((x) => {
    const easy = EASY_PATH.test(x.page.data.url);
    return !urls.has(twin(x.page.data.url)) || easy === Boolean(p.easy);
  });
  if (p.easy) { kept.sort((a, b) => Number(EASY_PATH.test(b.page.data.url)) - Number(EASY_PATH.test(a.page.data.url))); }
  return kept;
}

// The loaded pages ranked: the same article from both bundles is one result, the best of both; boosted.
function ranked(pages, p) {
  const byUrl = new Map();
  for (const page of pages) {
    const seen = byUrl.get(page.data.url);
    if (seen) {
      for (const [ci, s] of page.per) { seen.per.set(ci, Math.max(seen.per.get(ci) || 0, s)); }
    } else {
      byUrl.set(page.data.url, { ...page, per: new Map(page.per) });
    }
  }
  const out = [...byUrl.values()].map((page) => ({ page, s: score(page, p) * boost(page.data, p) }));
  out.sort((a, b) => b.s - a.s);
  return oneTextEach(out, p);
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

// What boost() can make of a page's score before its fragment is in: at least the title factor when Pagefind
// matched the title for every clause (the fragment's title says it too), at most that and the e-service
// factor when the citizen wants to do the errand (the 1.05 otherwise could only swap near-equals at the
// 10th place: left out).
function boostBounds(page, p) {
  const low = page.raw * (page.titled.size === p.clauses.length ? 1.4 : 1);
  return [low, low * (p.doing ? 1.35 : 1)];
}

// The first FIRST results, loading only the fragments of the pages that can be among them (neededFirst), in
// one go; then, as rest(), the others (in the order they would have had with all SHOWN loaded first,
// bench/RESULTS.md).
async function firstResults(top, p, mine) {
  for (const page of top) { page.bounds = boostBounds(page, p); }
  let loaded = neededFirst(top, FIRST);
  await loadData(loaded);
  check(mine);
  let order = ranked(loaded, p);
  if (order.length < FIRST && loaded.length < top.length) {  // the same article twice (both bundles)
    loaded = top;
    await loadData(loaded);
    check(mine);
    order = ranked(loaded, p);
  }
  const found = (list) => list.map((x) => x.page.data);
  if (loaded.length === top.length) {
    const results = found(order.slice(0, SHOWN));
    return { results, rest: null, total: results.length };
  }
  const first = order.slice(0, FIRST);
  const shown = new Set(first.map((x) => x.page.data.url));
  const rest = async () => {
    await loadData(top);
    check(mine);
    return found(ranked(top, p).filter((x) => !shown.has(x.page.data.url)).slice(0, SHOWN - first.length));
  };
  return { results: found(first), rest, total: top.length };
}

// While the citizen types: the words typed so far are looked up and searched (cached for the query to
// come), without fragments or rendering, one Pagefind search at a time (Pagefind runs one after the other:
// the query's own searches must not wait behind a queue of stale ones). Only what the query will need: not
// the stop words (a query of stop words alone is searched when it is one), not the word being typed while
// it may still become a stop word or has under three letters, and that word only as typed (not its
// corrections or compounds: it is likely to change) and only when few pages have a word it starts (a prefix
// such as "bygg" makes Pagefind go through 3,000 pages at 10,000 articles, 150-300 ms: bench/RESULTS.md).
let ahead = null; // the searches the latest key asks for, while one is under way
let searching = false;

async function prepare(value, mine) {
  await load();
  check(mine);
  const stop = stopWords(data);
  value = easyAsked(value).rest + (/\s$/.test(value) ? " " : "");
  const words = tokenize(normalize(value, data.lang));
  const typing = !/\s$/.test(value);
  const last = typing ? words[words.length - 1] : null;
  let sure = Boolean(last) && last.length >= 3 && ![...stop].some((w) => w.startsWith(last));
  // A half-typed word that starts no word of the index but is an inflected form of one ("ansöke" on the way
  // to "ansöker") is not planned yet: its corrections would cost lexicon shards the whole word does not need.
  // A typo is: its corrections are ready when typing stops.
  sure = sure && (Boolean(await lexicon.entry(last)) || (await foundAsPrefix(last, lexicon, true))
    || !(await foundAsPrefix(last, lexicon, false)));
  const asked = typing && !sure ? words.slice(0, -1) : words;
  if (asked.every((w) => stop.has(w))) { return; }
  const p = await plan(sure ? value : asked.join(" ") + " ", data, lexicon, sure);
  const broad = sure && (await lexicon.reach(last)) > (await lexicon.pages()) / 2;
  check(mine);
  const wanted = [];  // [bundle, what to ask]
  const which = p.long ? "full" : "small";  // a long question is asked of the full text (runPlan)
  for (const clause of p.clauses) {
    if (stop.has(clause.word)) { continue; }
    const partial = sure && clause === p.clauses[p.clauses.length - 1] && clause.word === last;
    if (partial && p.long) { continue; }  // a prefix in the whole text goes through far more pages
    for (const alt of clause.alts.filter((a) => p.long || !a.full)) {
      if (!partial || (!broad && !clause.fix && alt.q === last)) { wanted.push([which, alt.q]); }
    }
  }
  ahead = { wanted, mine };
  if (!searching) {
    searching = true;
    while (ahead && ahead.mine === latest) {
      const next = ahead.wanted.find(([b, q]) => !searches.has(b + "\u0000" + q));
      if (next === undefined) { break; }
      await searchOnce(...next).catch(() => {});
    }
    ahead = null;
    searching = false;
  }
}

async function searchStatic(q, typing, mine) {
  await load();
  const asked = easyAsked(q);
  const p = await plan(asked.rest, data, lexicon, typing);
  p.easy = asked.easy;
  check(mine);
  if (!p.clauses.length) { return { results: [], suggestion: p.corrected, rest: null }; }
  // The easy-read texts are in the full-text bundle only (portal/build/staticsearch.py): a query that asks for
  // one is asked of it.
  let top = await runPlan(p, p.easy, mine);
  if (top.length === 0 && !p.long && !p.easy) { top = await runPlan(p, true, mine); }
  return { ...(await firstResults(top, p, mine)), suggestion: p.corrected };
}

async function run(query, typing) {
  const q = query.trim();
  const mine = ++latest;
  if (!q) {
    box.replaceChildren();
    return;
  }
  try {
    const found = (await searchApi(q)) || (await searchStatic(q, typing, mine));
    if (mine !== latest) { return; }
    render(found.results, found.suggestion, found.total ?? found.results.length, found.unsure, found.elsewhere);
    // For tests and bench/: which query the shown results are for, when they were shown, and (pending)
    // whether more are still to come.
    Object.assign(box.dataset, { done: String(mine), query, shownAt: String(performance.now()) });
    delete box.dataset.pending;
    if (found.rest) {
      box.dataset.pending = "1";
      const more = await found.rest();
      if (mine !== latest) { return; }
      appendResults(more, found.results.length + more.length);
      delete box.dataset.pending;
    }
  } catch (err) {
    if (!(err instanceof Stale)) { console.warn("Search failed:", err); }  // for whoever looks into it
    if (mine === latest) {
      delete box.dataset.pending;
      fail();
    }
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
    const value = input.value;
    const mine = ++latest;  // a search still under way is for an older query: it stops
    // With an API that answers, the static index is not needed: nothing of it is fetched ahead.
    if (value.trim() && !(data.api && Date.now() >= apiDownUntil)) { prepare(value, mine).catch(() => {}); }
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
