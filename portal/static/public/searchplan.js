// What the citizen typed, rewritten into searches Pagefind can answer (the static site has no server).
// Pagefind matches every word, as a prefix, and knows nothing of stop words, typos, compounds or synonyms.
// The agents' search (portal/search/searcher.py) does; this module does the same with what the build wrote for it:
// the stop words and synonym groups in the search page (portal/web/public.py, search_data) and the words of
// the language's index in pagefind/lexicon/ (portal/build/staticlexicon.py), one shard per first letter(s).
// Pure functions, no DOM: tests/browser/test_staticsearch_plan_browser.py calls them directly.

const ARABIC_MARKS = /[\u064b-\u065f\u0670\u0640]/g;
const ARABIC_FOLD = { "أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي" };
// The Swedish endings a word may carry that Pagefind's stemmer takes off (analysis.py, TAIL_ENDINGS).
const ENDINGS = ["arna", "erna", "orna", "ens", "ets", "er", "ar", "or", "en", "et", "na", "n", "s", "t", "a", "e"];
const LINKS = ["s", "e", "a", "u", "o", ""];
const MAX_WORDS = 12;
// A question of this many words that mean something (a chat message, an agent retelling a call) is searched
// as a long question (longPlan).
export const LONG = 5;
// What a word in an article's text counts beside the same word in its title, keywords or summary (where
// Pagefind's own score already weighs the title and the keywords most).
const IN_TEXT = 0.6;

/** Lowercase and fold as portal/search/analysis.py's normalize does. */
export function normalize(text, lang) {
  let out = String(text || "").normalize("NFC").toLocaleLowerCase();
  if (lang === "ar" || lang === "fa") {
    out = out.replace(ARABIC_MARKS, "").replace(/[أإآىةؤئ]/g, (c) => ARABIC_FOLD[c]);
  }
  return out;
}

/** Words of letters and digits, as portal/search/analysis.py's tokenize. */
export function tokenize(text) {
  return String(text).replace(/_/g, " ").match(/[\p{L}\p{M}\p{N}]+/gu) || [];
}

/** Optimal string alignment distance (a swap of two neighbours counts one), or max + 1 when above *max*. */
export function osa(a, b, max) {
  if (Math.abs(a.length - b.length) > max) { return max + 1; }
  let prev2 = null;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let low = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (prev2 && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, prev2[j - 2] + 1);
      }
      cur.push(d);
      low = Math.min(low, d);
    }
    if (low > max) { return max + 1; }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length];
}

/** The synonym groups as a map: every word or phrase to the others in its groups (index.synonym_map). */
export function synonymMap(groups, lang) {
  const out = new Map();
  // Keyed as queries are read (after-school care → after school care); the values are asked as written.
  const key = (phrase) => tokenize(normalize(phrase, lang)).join(" ");
  for (const group of groups || []) {
    for (const word of group) {
      const others = out.get(key(word)) || [];
      for (const other of group) { if (other !== word && !others.includes(other)) { others.push(other); } }
      out.set(key(word), others);
    }
  }
  return out;
}

// About how many pages have a word, from its lexicon entry (stored as round(log2(1 + pages))); 0 for a
// word the pages have only inside compounds.
const pagesOf = (e) => 2 ** (e[1] || 0) - 1;

/** *word* and, unless it may still be typed on, its bases without an inflection ending (of at least *min*
 * letters): avgifter → avgift. */
function baseForms(word, typing, min = 4) {
  return [word, ...(typing ? [] : ENDINGS.filter((e) => word.endsWith(e) && word.length - e.length >= min)
    .map((e) => word.slice(0, -e.length)))];
}

/** The words of one language's static index, loaded shard by shard as queries need them. */
export class Lexicon {
  constructor(base, lang, fetchJson) {
    this.base = base;
    this.lang = lang;
    this.fetchJson = fetchJson || ((url) => fetch(url).then((r) => (r.ok ? r.json() : Promise.reject(r.status))));
    this.table = null;
    this.shards = new Map();
    this.stop = null; // the stop words of the plan (set by plan()): in no shard, yet on every page
  }

  async _table() {
    if (!this.table) {
      // A failed download is not kept: the next query tries again.
      this.table = this.fetchJson(`${this.base}${this.lang}.json`).catch((err) => { this.table = null; throw err; });
    }
    return this.table;
  }

  /** The shard (word → entry) that *word* belongs to; an empty one when there is none. */
  async shard(word) {
    const table = await this._table();
    const key = table.split.includes(word[0]) && word.length > 1 ? word.slice(0, 2) : word[0];
    const name = table.shards[key];
    if (!name) { return {}; }
    if (!this.shards.has(name)) {
      this.shards.set(name, this.fetchJson(this.base + name).catch((err) => { this.shards.delete(name); throw err; }));
    }
    return this.shards.get(name);
  }

  /** {small: in the small bundle, full: about how many pages have it, containers: compounds it ends}, or
   * null for a word not in the index (portal/build/staticlexicon.py, entries). full is 0 for a word the
   * pages have only inside compounds (avgift in hemtjänstavgift): Pagefind cannot find it by itself. */
  async entry(word) {
    const e = (await this.shard(word))[word];
    if (!e) { return null; }
    return { small: e[0] || 0, full: pagesOf(e), containers: e[2] ? e[2].split(" ") : [] };
  }

  /** About how many pages hold a word that starts with *prefix* (more than there are when they hold
   * several): what Pagefind's search of it as a prefix goes through. */
  async reach(prefix) {
    let n = 0;
    for (const [w, e] of Object.entries(await this.shard(prefix))) {
      if (w.startsWith(prefix)) { n += pagesOf(e); }
    }
    return n;
  }

  /** Pages in the index (for word weights). */
  async pages() {
    return (await this._table()).pages || 1;
  }
}

/** True when Pagefind will find *word* although it is not itself a word of the index: it is the start of
 * one (Pagefind matches prefixes), or, once typed out, an inflected form whose base starts one (Pagefind
 * stems it). */
export async function foundAsPrefix(word, lexicon, typing) {
  const shard = await lexicon.shard(word);
  const words = Object.keys(shard).filter((w) => pagesOf(shard[w]));  // not the words only inside compounds
  return baseForms(word, typing).some((b) => words.some((w) => w.startsWith(b)));
}

// A first letter typed without its accent (atervinning for återvinning) is still the same letter to the
// citizen: those shards are searched too.
const ACCENTS = { a: "åäà", o: "ö", e: "é", u: "ü", "å": "aä", "ä": "aå", "ö": "o", "é": "e" };

/** The closest words of the index to a mistyped *word* (same first letter, give or take an accent: its
 * shards), most common first. */
export async function corrections(word, lexicon) {
  if (word.length < 4) { return []; }
  const max = word.length <= 6 ? 1 : 2;
  const found = [];
  const firsts = [word, ...[...(ACCENTS[word[0]] || "")].map((c) => c + word.slice(1))];
  const shards = new Set(await Promise.all(firsts.map((w) => lexicon.shard(w))));
  for (const shard of shards) {
    for (const [w, e] of Object.entries(shard)) {
      if (!pagesOf(e)) { continue; }  // a word only inside compounds is no word to correct to
      const d = osa(word, w, max);
      if (d <= max) { found.push([d, -(e[1] || 0), w]); }
    }
  }
  found.sort((x, y) => x[0] - y[0] || x[1] - y[1] || (x[2] < y[2] ? -1 : 1));
  return found.filter((f) => f[0] === (found[0] || [])[0]).slice(0, 3).map((f) => f[2]);
}

/** True when Pagefind finds *word* as a word of its own. */
async function known(word, lexicon) {
  const e = await lexicon.entry(word);
  return Boolean(e && e.full);
}

/** The compounds that hold *word* when the pages have it only inside them (avgift, avgifter or avgiften
 * for hemtjänstavgift: the agents' index splits compounds, Pagefind matches the start of a word only), as
 * alternatives (only in the full-text bundle when the small one has none of them); none otherwise. */
export async function onlyInside(word, lexicon, typing) {
  for (const b of baseForms(word, typing)) {
    const e = await lexicon.entry(b);
    if (e && !e.full && e.containers.length) { return e.containers.map((c) => ({ q: c, w: 0.8, full: !e.small })); }
  }
  return [];
}

/** A compound the index does not have, read as two words it has (hemtjänstavgift → hemtjänst avgift), with
 * the linking letters and changed last vowels the Swedish analysis allows; null when there is none. */
export async function splitCompound(word, lexicon, stop) {
  if (word.length < 6 || !/^\p{L}+$/u.test(word)) { return null; }
  for (let i = 3; i <= word.length - 3; i++) {
    const head = word.slice(0, i);
    if (stop.has(head)) { continue; }
    const variants = [head, ...("eou".includes(head.at(-1)) ? [head.slice(0, -1) + "a"] : []), head + "a"];
    let headWord = null;
    for (const v of variants) { if (await known(v, lexicon)) { headWord = v; break; } }
    if (!headWord) { continue; }
    for (const link of LINKS) {
      if (link && !word.startsWith(link, i)) { continue; }
      const rest = word.slice(i + link.length);
      if (rest.length < 3 || stop.has(rest)) { continue; }
      for (const b of baseForms(rest, false, 3)) {
        if (await known(b, lexicon)) { return [headWord, rest]; }
      }
    }
  }
  return null;
}

/** *words* up to the *max*-th that is not a stop word: a long question's topic is often in its last words
 * ("… vad behöver vi från kommunen för att få sälja öl"), after many stop words. */
function meaningful(words, stop, max) {
  let n = 0;
  const end = words.findIndex((w) => !stop.has(w) && ++n > max);
  return words.slice(0, end < 0 ? max * 4 : Math.min(end, max * 4));
}

/** A word's weight from about how many of the *pages* have it: rarer words say more about what is asked. */
export function rarity(pages, n) {
  return Math.log(1 + pages / Math.max(1, n));
}

// What a chat message or a call retold by an agent wraps the question in ("kunden berättar att hon …", "finns
// det nån som …"): the retelling and the spoken forms of stop words. Beside the stop words of the page's data
// (the agents' search's, portal/data/stopwords.txt), they would otherwise weigh as rare words: "kunden" is in
// no article, yet Pagefind matches it as the start of "kundval".
const FILLER = `kunden kund uppringaren uppringare personen ringer ringde ringt säger sa sagt berättar berättade
  frågar frågade nån nåt nåra sån sånt såna dom mej dej sej typ liksom alltså asså jo ja nej okej ok hos hela
  annat annan andra kanske nog väl både båda tills sen igår idag imorgon`.split(/\s+/);

/** The stop words of the search page's data and the filler of a retold question, as a set (made once). */
export function stopWords(data) {
  return data.stopSet || (data.stopSet = new Set([...data.stop, ...(data.source === "sv" ? FILLER : [])]));
}

/**
 * The plan for one query: a list of clauses, one per word that means something, each a list of
 * alternatives {q: what to ask Pagefind, w: weight, full: only the full-text bundle has it}. A word that
 * matches nothing in any way is left out (relaxed), never allowed to empty the result. Also the corrected
 * query when a typo was corrected, the weight of each clause (rarer words weigh more) and whether the
 * citizen wants to do the errand (an e-service first).
 */
export async function plan(query, data, lexicon, typing = false) {
  const lang = data.lang;
  const stop = stopWords(data);
  lexicon.stop = stop;
  const synonyms = data.synonymMap || (data.synonymMap = synonymMap(data.synonyms, lang));
  const words = meaningful(tokenize(normalize(query, lang)), stop, MAX_WORDS * 2);
  const allStop = words.every((w) => stop.has(w));
  const pages = await lexicon.pages();
  const doing = words.some((w) => (data.doing || []).includes(w));
  const clauses = [];
  const corrected = [];
  let changed = false;
  for (let i = 0; i < words.length && clauses.length < MAX_WORDS;) {
    let phrase = null;
    for (const n of [3, 2]) {
      const p = words.slice(i, i + n);
      if (p.length === n && synonyms.has(p.join(" "))) { phrase = p; break; }
    }
    if (phrase) {
      const text = phrase.join(" ");
      const alts = [...((await matchable(text, lexicon)) ? [{ q: text, w: 1 }] : []),
        ...(await synonymAlts(text, synonyms, lexicon, 0.9))];
      if (alts.length) {  // else its words are taken one by one
        clauses.push({ word: text, weight: Math.log(1 + pages), alts });
        corrected.push(text);
        i += phrase.length;
        continue;
      }
    }
    const w = words[i];
    const last = i === words.length - 1;
    i += 1;
    if (stop.has(w) && !allStop && !(last && typing)) {
      corrected.push(w);
      continue;
    }
    let clause = await wordClause(w, lexicon, stop, synonyms, last && typing, pages);
    if (last && typing && !clause.alts.length && clauses.length >= LONG - 1) {
      // The last word of a long question, no space after it yet, that is nothing as typed so far: taken as
      // typed out (an inflected form, "avlastar" for the index's "avlastning", or a typo), since typing stops
      // at the end of a question. (Not in a short query: a half-typed word would cost the full-text bundle.)
      clause = await wordClause(w, lexicon, stop, synonyms, false, pages);
    }
    corrected.push(clause.fix || w);
    changed = changed || Boolean(clause.fix);
    if (clause.alts.length) { clauses.push(clause); }
  }
  const out = { clauses, corrected: changed ? corrected.join(" ") : null, doing };
  return clauses.length >= LONG ? longPlan(out, await broadWords(clauses, lexicon)) : out;
}

/** The words of *clauses* that start words on more than an eighth of the pages (at least BROAD_PAGES): a
 * search of one of them in the full-text bundle goes through thousands of pages at 10,000 articles (600 ms for
 * "hos", on 8,000 pages), and its index chunk is one of the largest (300 KB), for a word that weighs little. */
async function broadWords(clauses, lexicon) {
  const broad = Math.max(BROAD_PAGES, (await lexicon.pages()) / 8);
  const out = new Set();
  for (const clause of clauses) {
    if (!/\s/.test(clause.word) && (await lexicon.reach(clause.word)) > broad) { out.add(clause.word); }
  }
  return out;
}

/**
 * A long question ("hej min mamma har svårt att klara sig hemma efter operationen, kan hon få hjälp med städning
 * och mat") is searched in the whole text of the articles (the full-text bundle), the way the server's lexical
 * ranking reads it (portal/search/searcher.py, BM25F over title, keywords, summary and text). In the small
 * bundle its topic words, often only in the article's text, are missing, while what the caller says about
 * themselves ("mamma", "pappa", "jobb") is in some article's keywords and outvoted them. Each clause's words
 * are asked as Pagefind reads them (as prefixes, relative to the best page) and, the clause's own word, as an
 * exact word ({exact}: quoted, so that "mat" is not "mätare" nor "hem" "hemlarm"), which counts IN_TEXT on
 * every page that has it, however little Pagefind makes of it. A clause weighs by how many pages Pagefind
 * finds for the word (search.js, weighByCount), not the lexicon's count of that very form: Pagefind matches
 * the stem ("banken" finds "bank" and "banker" too). The compounds a word is a part of are left out: the text
 * of the pages that mean it has the word itself. So are the *broad* words (broadWords): they would cost the
 * most and weigh the least.
 */
export function longPlan(p, broad = new Set()) {
  const clauses = p.clauses.filter((c) => !broad.has(c.word));
  if (!clauses.length) { return p; }
  for (const clause of clauses) {
    const own = clause.alts.some((a) => a.q === clause.word);
    clause.alts = clause.alts.filter((a) => !a.part);
    if (own) { clause.alts.push({ q: `"${clause.word}"`, w: IN_TEXT, exact: true }); }
  }
  return { ...p, clauses, long: true };
}

/** True when every word of *q* is a word of the index: a synonym or phrase whose words the index lacks
 * would only cost Pagefind a download (it ANDs the words), never a result; one that only starts words of
 * the index would match far more than it means, and a broad Pagefind search costs time (50-80 ms at 10,000
 * articles, bench/RESULTS.md). */
export async function matchable(q, lexicon) {
  for (const w of tokenize(q)) {
    if (lexicon.stop && lexicon.stop.has(w)) { continue; }  // Pagefind has them: the lexicon does not
    if (!(await known(w, lexicon))) { return false; }
  }
  return true;
}

// A synonym on more than a quarter of the pages (at least BROAD_PAGES) is not asked beside a word the index
// has: Pagefind takes 150-300 ms to go through 3,000 pages at 10,000 articles (bench/RESULTS.md), and the
// pages whose keywords it stands for have it already (the build indexes the keywords' synonyms with them).
const BROAD_PAGES = 500;

async function synonymAlts(word, synonyms, lexicon, weight, found = false) {
  const out = [];
  const broad = Math.max(BROAD_PAGES, (await lexicon.pages()) / 4);
  for (const s of synonyms.get(word) || []) {
    const q = normalize(s, lexicon.lang);
    if (!(await matchable(q, lexicon))) { continue; }
    if (found && (await lexicon.reach(tokenize(q)[0])) > broad) { continue; }
    out.push({ q: s, w: weight });
  }
  return out;
}

async function wordClause(w, lexicon, stop, synonyms, typing, pages) {
  const entry = await lexicon.entry(w);
  const alts = [];
  let fix = null;
  let df = entry ? entry.full : 0;
  if (entry && entry.full) {
    alts.push({ q: w, w: 1, full: entry.small === 0 });
    // A part of compounds the index has: tillstånd → parkeringstillstånd (Pagefind matches prefixes only).
    for (const c of entry.containers) { alts.push({ q: c, w: 0.6, part: true }); }
  } else if (await foundAsPrefix(w, lexicon, typing)) {
    alts.push({ q: w, w: 1 });
    df = pages / 10;
  }
  // A word only inside compounds, that starts no word either: the compounds are what the citizen means.
  // (When it starts words, Pagefind finds those: each compound more would be another index chunk to fetch,
  // 28 KB more for "tillstånd att servera alkohol" at 10,000 articles, over the 200 KB budget.)
  if (!alts.length) {
    alts.push(...(await onlyInside(w, lexicon, typing)));
  }
  alts.push(...(await synonymAlts(w, synonyms, lexicon, 0.85, alts.length > 0)));
  if (!alts.length) {
    const parts = await splitCompound(w, lexicon, stop);
    if (parts) { alts.push({ q: parts.join(" "), w: 0.8 }); }
    for (const c of await corrections(w, lexicon)) {
      const e = await lexicon.entry(c);
      alts.push({ q: c, w: 0.75, full: e.small === 0 }, ...(await synonymAlts(c, synonyms, lexicon, 0.7)));
      fix = fix || c;
      df = Math.max(df, e.full);
    }
  }
  const weight = rarity(pages, df || pages / 20);
  return { word: w, alts, fix, weight };
}

/**
 * Of the pages found, each with the bounds [at least, at most] of its boosted score before its fragment is
 * in, those whose fragments are needed before the first *first* results can be shown: the *first* with the
 * highest "at least", and any other that could beat the last of them. One that could at most tie with it is
 * left for later. (A common word typed last, such as "hus" in many titles, gave dozens of pages the same
 * score: every fragment was fetched before anything was shown, bench/RESULTS.md.)
 */
export function neededFirst(pages, first) {
  const sure = new Set([...pages].sort((a, b) => b.bounds[0] - a.bounds[0]).slice(0, first));
  const bar = pages.length > first ? Math.min(...[...sure].map((page) => page.bounds[0])) : 0;
  return pages.filter((page) => sure.has(page) || page.bounds[1] > bar);
}
