"""Searching: from what a person typed to ranked hits, one per article.

Handles stop words in whole questions, synonyms (site-wide and per-article keywords are indexed),
Swedish compounds split against the index's own vocabulary, typos as a fallback for words the index
does not know, prefix matching for search-as-you-type, and the fallback to the source language for
subjects that have no article in the searched language. The same code serves `portal search`, the
agent app and the API.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from portal.exceptions import QueryError
from portal.search import elsewhere, hybrid
from portal.search.analysis import Analyzer, QueryWord
from portal.search.easyread import asks_easy_read, prefer_easy_read
from portal.search.index import Alternative, IndexHandle, documents_for, run_query, synonym_map
from portal.search.results import Hit, ResultCache, SearchResult, add_highlights, copy_result, in_window

MAX_QUERY_CHARS = 300
MIN_HEAD = 5  # the shortest glossary word a longer unknown word may be read as
MAX_QUERY_WORDS = 12
MAX_LIMIT = 100
FILTER_KEYS = ("category", "answer_group", "department", "audience")
# auto: hybrid for a settled query, lexical while the last word is still being typed (as-you-type stays as fast
# as before); lexical or hybrid: always that.
MODES = ("auto", "lexical", "hybrid")
# Words that say the person wants to *do* the errand: an e-service should then come first.
DOING_WORDS = frozenset("""
ansöka ansök ansöker ansökan ansökning söka söker anmäla anmäl anmälan felanmäla boka bokar bokning beställa beställ
beställer byta byter säga säger upp ändra ändrar registrera begära begär apply application book booking order report
register change cancel renew hakea hakemus varata ilmoittaa
""".split())
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def clean_query(text: str) -> str:
    """Drop control and invisible characters, fold whitespace, and cap the length."""
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", text or ""))
    return " ".join(text.split())[:MAX_QUERY_CHARS]


class Searcher:
    """Answers queries over one index folder (following its atomic swaps)."""

    def __init__(self, handle: IndexHandle):
        self.handle = handle

    @functools.cache  # noqa: B019 (one Searcher per app; the cache holds a few analyzers)
    def analyzer(self, lang: str) -> Analyzer:
        return Analyzer(lang)

    @property
    def languages(self) -> list[str]:
        """The index's languages, source language first."""
        return list(self.handle.meta["languages"])

    @property
    def source_language(self) -> str:
        """The content's source language."""
        return str(self.handle.meta["source_language"])

    def _synonyms(self) -> dict[str, list[str]]:
        gen = self.handle.refresh()
        if "synonyms" not in gen.cache:
            gen.cache["synonyms"] = synonym_map(gen.meta.get("synonyms") or [])
        return gen.cache["synonyms"]

    def search(self, text: str, lang: str | None = None, *, internal: bool = False, limit: int = 10,
               filters: dict[str, str] | None = None, prefix: bool = False,
               today: dt.date | None = None, mode: str = "auto") -> SearchResult:
        """Search for *text* in *lang*; public results only unless *internal*. *mode* is one of :data:`MODES`."""
        lang = lang or self.source_language
        if lang not in self.languages:
            raise QueryError(f"unknown language '{lang}'; available: {', '.join(self.languages)}")
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
        if mode not in MODES:
            raise QueryError(f"unknown mode '{mode}'; known: {', '.join(MODES)}")
        filters = {k: v for k, v in (filters or {}).items() if v}
        for key in filters:
            if key not in FILTER_KEYS:
                raise QueryError(f"unknown filter '{key}'; known: {', '.join(FILTER_KEYS)}")
        typed = text or ""
        asked, easy = asks_easy_read(typed)
        query = clean_query(asked)
        easy = easy and lang == self.source_language  # the easy-read texts are in the source language
        open_end = prefix and bool(typed) and not typed[-1:].isspace()
        today = today or dt.date.today()
        # Part of the cache key: the vectors may arrive in a generation that already answers (lexically).
        semantic = (mode == "hybrid" or (mode == "auto" and not open_end)) and hybrid.ready(self.handle)
        key = (query, open_end, lang, internal, limit, tuple(sorted(filters.items())), today, semantic, easy)
        cache = self.handle.refresh().cache.setdefault("results", ResultCache())
        cached = cache.get(key)
        if cached is not None:
            return copy_result(cached)
        result = self._search(query, lang, internal, limit, filters, open_end, today, semantic, easy)
        cache.put(key, result)
        return copy_result(result)

    def _search(self, query: str, lang: str, internal: bool, limit: int, filters: dict[str, str],
                open_end: bool, today: dt.date, semantic: bool = False, easy: bool = False) -> SearchResult:
        public = not internal
        plans: dict[str, list[list[Alternative]]] = {}
        suggestion_words: list[str] | None = None
        for plan_lang in dict.fromkeys([lang, self.source_language]):
            words, corrected = self._plan(query, plan_lang, public, open_end)
            plans[plan_lang] = words
            if plan_lang == lang:
                suggestion_words = corrected
        suggestion = None
        if suggestion_words is not None and " ".join(suggestion_words).lower() != query.lower():
            suggestion = " ".join(suggestion_words)
        # The model reads words it knows: a misspelt word it would take for another, so it gets the corrected text.
        # It embeds the question on another core while the lexical search runs (the C engine lets go of the GIL).
        question = hybrid.embed_soon(suggestion or query) if semantic and query else None
        raw = run_query(self.handle, plans, internal=internal, filters=filters, limit=max(limit * 4, 40),
                        enough=limit)
        titled: set[str] = set()
        hits = self._rank(raw, query, lang, internal, today, titled)
        close = hybrid.semantic_scores(self.handle, question, self.source_language, internal) \
            if question is not None else None
        if close is not None:
            hits = self._fuse(hits, close, query, lang, internal, filters, today, raw, titled)
        else:
            hybrid.mark_lexical(hits, titled)
        mode = "hybrid" if close is not None else "lexical"
        hits = hits[:limit]
        stems = self._highlight_stems(query, lang)
        for hit in hits:
            add_highlights(hit, raw, stems.get(hit.lang, set()), internal)
        if easy:
            hits = prefer_easy_read(hits, (r.meta for r in raw))
        # Another authority's errand that no hit names: none of them is an answer (portal.search.elsewhere).
        referred = elsewhere.referral(query, hits)
        if referred is not None:
            for hit in hits:
                hit.confident = False
        return SearchResult(query, lang, hits, suggestion, mode, referred)

    # --- building the query plan ----------------------------------------------------------------------

    def _plan(self, query: str, lang: str, public: bool, open_end: bool
              ) -> tuple[list[list[Alternative]], list[str] | None]:
        an = self.analyzer(lang)
        vocab = self.handle.vocabulary(lang, public)
        words = an.query(query)[: MAX_QUERY_WORDS * 2]
        if not any(not w.stop for w in words):
            for w in words:
                w.stop = False  # a query of only stop words still means something
        synonyms = self._synonyms()
        clauses: list[list[Alternative]] = []
        corrected: list[str] = []
        changed = False
        i = 0
        while i < len(words) and len(clauses) < MAX_QUERY_WORDS:
            phrase_len, alts = self._phrase_synonyms(words, i, an, synonyms)
            if phrase_len:
                clauses.append(_useful(alts, vocab))
                corrected.extend(w.raw for w in words[i:i + phrase_len])
                i += phrase_len
                continue
            w = words[i]
            last = i == len(words) - 1
            i += 1
            if w.stop and not (last and open_end):
                corrected.append(w.raw)
                continue
            alts, fix = self._word(w, an, vocab, public, synonyms, prefix=last and open_end)
            corrected.append(fix or w.raw)
            changed = changed or fix is not None
            alts = _useful(alts, vocab)
            if alts:
                clauses.append(alts)
        return clauses, (corrected if changed else None)

    def _phrase_synonyms(self, words: list[QueryWord], i: int, an: Analyzer,
                         synonyms: dict[str, list[str]]) -> tuple[int, list[Alternative]]:
        for n in (3, 2):
            if i + n > len(words):
                continue
            phrase = " ".join(w.raw for w in words[i:i + n])
            if phrase in synonyms:
                alts = [Alternative(an.terms(phrase, parts=False) or [w.stem for w in words[i:i + n]], 1.0)]
                alts += [Alternative(t, 0.9, head_only=True) for s in synonyms[phrase]
                         if (t := an.terms(s, parts=False))]
                return n, alts
        return 0, []

    def _word(self, w: QueryWord, an: Analyzer, vocab: dict[str, int], public: bool,
              synonyms: dict[str, list[str]], prefix: bool) -> tuple[list[Alternative], str | None]:
        alts = [Alternative([w.stem], 1.0)]
        fix = None
        known = w.stem in vocab
        found = synonyms.get(w.raw, []) + (synonyms.get(w.stem, []) if w.stem != w.raw else [])
        if not found and not known:
            found = synonyms.get(_glossary_head(w.raw, synonyms), [])
        for syn in found:
            terms = an.terms(syn, parts=False)
            if terms:
                alts.append(Alternative(terms, 0.85, head_only=True))
        parts = self._split(w.raw, an, vocab)
        for reading in parts:
            alts.append(Alternative(reading, 0.8 if not known else 0.5))
        completed = False
        if prefix and len(w.raw) >= 2:
            # The word is still being typed: its most frequent completions in the index (a Whoosh
            # Prefix query would expand to every matching term in every field).
            for stem in dict.fromkeys([w.raw, w.stem]):
                for term in self.handle.completions(an.lang, public, stem):
                    alts.append(Alternative([term], 0.7))
                    completed = True
        if not completed and not known and len(w.raw) >= 4:
            # An unknown word may still split into real parts by chance (biblioteks|ort for a mistyped
            # bibliotekskort), so the typo fallback runs for every word the index does not know -- also
            # while it is being typed, once no word in the index starts with it: as-you-type then shows
            # the corrected hits at once instead of "no hits" until the search settles.
            candidates = self._typo_candidates(w.raw, an.lang, public)
            for stem, form, _dist in candidates:
                alts.append(Alternative([stem], 0.75))
                fix = fix or form
        return alts, fix

    def _split(self, word: str, an: Analyzer, vocab: dict[str, int]) -> list[list[str]]:
        """Ways to read a query compound as parts the index knows: parkeringstillstånd → parkering +
        tillstånd, and parker + tillstånd (so that "tillstånd att parkera" is found too)."""
        if an.lang != "sv" or len(word) < 6 or not word.isalpha():
            return []
        best: list[str] | None = None
        for i in range(3, len(word) - 2):
            head = word[:i]
            if head in an.stop:
                continue
            variants = [head] + ([head[:-1] + "a"] if head[-1] in "eou" else []) + [head + "a"]
            head_stem = next((st for v in variants if (st := an.stem(v)) in vocab), None)
            if head_stem is None:
                continue
            for link in ("s", "e", "a", "u", "o", ""):
                rest = word[i:]
                if link and not rest.startswith(link):
                    continue
                rest = rest[len(link):]
                if len(rest) < 3 or rest in an.stop:
                    continue
                tail = an.stem(rest)
                if tail in vocab and best is None:
                    best = [head_stem, tail]
        if best is None:
            return []
        out = [best]
        if best[0].endswith("ering") and best[0][:-4] in vocab:
            out.append([best[0][:-4], *best[1:]])
        return out

    def _typo_candidates(self, word: str, lang: str, public: bool) -> list[tuple[str, str, int]]:
        forms = self.handle.forms(lang, public)
        vocab = self.handle.vocabulary(lang, public)
        max_dist = 1 if len(word) <= 6 else 2
        found = process.extract(word, forms.keys(), scorer=OSA.distance, score_cutoff=max_dist, limit=8)
        scored = sorted(((dist, -vocab.get(forms[form], 0), form) for form, dist, _ in found))
        out: list[tuple[str, str, int]] = []
        for dist, _df, form in scored:
            stem = forms[form]
            if all(stem != s for s, _, _ in out):
                out.append((stem, form, dist))
        best = out[0][2] if out else 0
        return [c for c in out if c[2] == best][:3]

    # --- ranking -------------------------------------------------------------------------------------

    def _rank(self, raw: list[Any], query: str, lang: str, internal: bool, today: dt.date,
              titled: set[str] | None = None) -> list[Hit]:
        """One hit per article, best first; the ids whose title holds every word of the query go into *titled*."""
        an = self.analyzer(lang)
        qwords = [w for w in an.query(query) if not w.stop]
        qstems = {w.stem for w in qwords}
        doing = any(w.raw in DOING_WORDS or w.stem in DOING_WORDS for w in an.query(query))
        best: dict[str, Hit] = {}
        for r in raw:
            m = r.meta
            if not internal and not in_window(m, today):
                continue
            fallback = m["lang"] != lang
            if fallback and lang in m["langs"] and m["audience"] == "public":
                continue  # the article exists in the searched language: only that version counts
            score = r.score * (0.6 if fallback else 1.0)
            title_stems = set(m["title_stems"])
            if qstems and qstems <= title_stems:
                score *= 2.5 if title_stems == qstems else 1.4
                if titled is not None:
                    titled.add(m["id"])
            if m["self_service_url"]:
                score *= 1.35 if doing else 1.05
            hit = Hit(
                id=m["id"], lang=m["lang"], title=m["title"], summary=m["summary"], score=round(score, 4),
                audience=m["audience"], url=m["url"], self_service_url=m["self_service_url"],
                self_service_label=m["self_service_label"], fallback=fallback, category=m["category"],
                answer_group=m["answer_group"], department=m["department"], status=m["status"],
                review_by=m["review_by"], outdated=m["outdated"], updated=m["updated"], langs=m["langs"],
                publish_from=m.get("publish_from"), expires=m.get("expires"),
            )
            if hit.id not in best or hit.score > best[hit.id].score:
                best[hit.id] = hit
        return sorted(best.values(), key=lambda h: (-h.score, h.id))

    def _fuse(self, hits: list[Hit], close: hybrid.Semantic, query: str, lang: str, internal: bool,
              filters: dict[str, str], today: dt.date, raw: list[Any], titled: set[str]) -> list[Hit]:
        """The lexical *hits* fused with the articles the model finds close to the question (their documents are
        added to *raw*, where the highlights are read from)."""
        found = {h.id for h in hits}
        wanted = [a for a in close.ranked()[:hybrid.CANDIDATES] if a not in found]
        keys = [(a, code) for a in wanted for code in dict.fromkeys([lang, self.source_language])]
        docs = documents_for(self.handle, keys, internal=internal, filters=filters)
        raw.extend(docs.values())
        extra = self._rank(list(docs.values()), query, lang, internal, today)
        return hybrid.fuse(hits, extra, close, len(query.split()), titled)

    def _highlight_stems(self, query: str, lang: str) -> dict[str, set[str]]:
        out = {}
        for code in dict.fromkeys([lang, self.source_language]):
            an = self.analyzer(code)
            out[code] = {w.stem for w in an.query(query) if not w.stop and len(w.stem) >= 2}
        return out


def _glossary_head(word: str, synonyms: dict[str, list[str]]) -> str:
    """The longest glossary word that *word* starts with, when it makes most of it: Somali and Finnish add
    endings for "our", "from", "as a" … to a word (qashinkayaga: our rubbish, qashin + kayaga) that no
    glossary can list in every form. An empty string when there is none."""
    for end in range(len(word) - 1, max(MIN_HEAD, (len(word) * 3 + 4) // 5) - 1, -1):
        if word[:end] in synonyms:
            return word[:end]
    return ""


def _useful(alts: list[Alternative], vocab: dict[str, int]) -> list[Alternative]:
    """The alternatives that can match anything (every term is in the index), each once.

    Synonyms from the glossary are in several languages; in a Swedish plan the English ones match
    nothing and would only cost time (each alternative is a matcher per field)."""
    seen: set[tuple] = set()
    out = []
    for alt in alts:
        key = tuple(alt.terms)
        if key in seen or not all(t in vocab for t in alt.terms):
            continue
        seen.add(key)
        out.append(alt)
    return out
