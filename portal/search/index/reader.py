"""Reading the index: following atomic swaps, one Whoosh searcher per thread, running query plans."""

from __future__ import annotations

import bisect
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.scoring import BM25F

from portal.exceptions import IndexCorruptError, IndexMissingError
from portal.search.index.champions import K1, B, Leaf, champion_scores
from portal.search.index.documents import SCHEMA_VERSION, unpack_texts

INTERNAL_BOOST = 1.5
META_CACHE = 16384  # documents' stored metadata kept per index generation (~1 KB each: the texts are apart)


def current_generation(index_dir: Path) -> Path:
    """The directory of the current generation; IndexMissingError when there is none."""
    link = index_dir / "current"
    try:
        target = os.readlink(link)
    except OSError:
        raise IndexMissingError(f"there is no search index in {index_dir}; run `portal index`") from None
    gen = index_dir / target
    if not gen.is_dir():
        raise IndexCorruptError(f"the search index in {index_dir} points to a missing folder; "
                                "run `portal index` to rebuild it")
    return gen


@dataclass
class Generation:
    """One opened index generation with its vocabulary; one Whoosh searcher per thread."""

    path: Path
    ix: Any
    meta: dict[str, Any]
    df: dict[str, dict[str, dict[str, int]]]
    forms: dict[str, dict[str, dict[str, str]]]
    cut: dict[str, dict[str, float]]  # per champion field: the terms whose lists are cut short
    local: threading.local = field(default_factory=threading.local)
    cache: dict[str, Any] = field(default_factory=dict)

    def searcher(self) -> Any:
        """This thread's searcher (Whoosh searchers are not thread-safe)."""
        s = getattr(self.local, "searcher", None)
        if s is None:
            s = self.local.searcher = self.ix.searcher(weighting=BM25F(B=B, K1=K1))
        return s

    def texts(self, doc: int) -> tuple[str, str]:
        """Document *doc*'s body and internal notes (read only for the hits shown, not every candidate)."""
        column = getattr(self.local, "texts", None)
        if column is None:
            column = self.local.texts = self.searcher().reader().column_reader("texts")
        return unpack_texts(column[doc])


def open_generation(gen: Path) -> Generation:
    """Open a generation; IndexCorruptError when anything in it cannot be read."""
    try:
        meta = json.loads((gen / "meta.json").read_text("utf-8"))
        if meta.get("schema") != SCHEMA_VERSION:
            raise IndexCorruptError(f"the search index in {gen.parent} was built by another version; "
                                    "run `portal index` to rebuild it")
        vocab = json.loads((gen / "vocab.json").read_text("utf-8"))
        forms = {scope: {lang: {w: v[1] for w, v in table.items()} for lang, table in by_lang.items()}
                 for scope, by_lang in vocab["forms"].items()}
        cut = json.loads((gen / "champions.json").read_text("utf-8"))
        ix = whoosh_index.open_dir(str(gen), readonly=True)
        ix.doc_count()
    except IndexCorruptError:
        raise
    except Exception as exc:  # Whoosh raises many kinds of errors for damaged files
        raise IndexCorruptError(f"the search index in {gen.parent} is damaged ({type(exc).__name__}); "
                                "run `portal index` to rebuild it") from exc
    return Generation(gen, ix, meta, vocab["df"], forms, cut)


class IndexHandle:
    """A long-lived reader of an index folder that follows each atomic swap to a new generation."""

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir
        self._lock = threading.Lock()
        self._gen: Generation | None = None
        self._target: str | None = None
        self.refresh()

    def refresh(self) -> Generation:
        """The current generation, reopened if the `current` link has moved since last time."""
        try:
            target = os.readlink(self.index_dir / "current")
        except OSError:
            target = None
        if target is not None and target == self._target and self._gen is not None:
            return self._gen
        with self._lock:
            if target != self._target or self._gen is None:
                self._gen = open_generation(current_generation(self.index_dir))
                self._target = target
            return self._gen

    @property
    def meta(self) -> dict[str, Any]:
        """The current generation's metadata (languages, build time, ...)."""
        return self.refresh().meta

    def vocabulary(self, lang: str, public: bool) -> dict[str, int]:
        """Document frequency of each term in *lang*: of public documents only, or of all."""
        return self.refresh().df["public" if public else "all"].get(lang, {})

    def completions(self, lang: str, public: bool, prefix: str, limit: int = 8) -> list[str]:
        """The *limit* most frequent terms in *lang* that start with *prefix* (for search as you type)."""
        gen = self.refresh()
        key = ("sorted", lang, public)
        terms = gen.cache.get(key)
        if terms is None:
            terms = gen.cache[key] = sorted(self.vocabulary(lang, public))
        df = self.vocabulary(lang, public)
        start = bisect.bisect_left(terms, prefix)
        end = bisect.bisect_left(terms, prefix + "\U0010ffff", start)
        return sorted(terms[start:end], key=lambda t: -df[t])[:limit]

    def forms(self, lang: str, public: bool) -> dict[str, str]:
        """Every written word form in *lang* mapped to its stem (public documents only, or all)."""
        return self.refresh().forms["public" if public else "all"].get(lang, {})


@dataclass
class Alternative:
    """One way to match a query word: all *terms* (AND), with a weight; *head_only* alternatives
    (synonyms) are looked for in titles, keywords and summaries, not in the body."""

    terms: list[str]
    weight: float = 1.0
    head_only: bool = False


@dataclass
class RawHit:
    """A matching document: its stored metadata and score, and where to read its texts."""

    meta: dict[str, Any]
    score: float
    doc: int
    gen: Generation = field(repr=False, compare=False)

    def texts(self) -> tuple[str, str]:
        """The document's body and internal notes, as far as they are kept for highlighting."""
        return self.gen.texts(self.doc)


# A term in more than this share of a language's documents carries almost no weight in long fields
# (BM25 idf about 0.3 or less) but costs a long posting list there: it is matched in titles and
# summaries only (the head field).
COMMON_SHARE = 0.35


def _term_query(field: str, lang: str, term: str, weight: float, internal: bool) -> wq.Query:
    text = wq.Term(f"{field}_{lang}", term, boost=weight)
    if not internal:
        return text
    return wq.Or([text, wq.Term(f"internal_{lang}", term, boost=INTERNAL_BOOST * weight)])


def run_query(handle: IndexHandle, words_by_lang: dict[str, list[list[Alternative]]], *, internal: bool,
              filters: dict[str, str] | None = None, limit: int = 50, enough: int = 10) -> list[RawHit]:
    """Match documents of each language in *words_by_lang* against that language's query words.

    Three tiers, cheapest first, each used only when the one before found fewer than *enough*
    documents: the champion lists (each term's best documents, a few hundred postings; exact when
    every term's list is complete); then documents with every word in the full lists (intersecting
    skips most postings); then documents with some of the words, with a bonus for each word matched
    (a union scores every document that has any of them)."""
    gen = handle.refresh()
    searcher = gen.searcher()
    restrict: list[wq.Query] = [] if internal else [wq.Term("visible", "1")]
    restrict += [wq.Term(name, value) for name, value in (filters or {}).items()]
    only = wq.And(restrict) if restrict else None

    def run(per_lang: list[wq.Query]) -> list[RawHit]:
        if not per_lang:
            return []
        query = per_lang[0] if len(per_lang) == 1 else wq.Or(per_lang)
        return [RawHit(hit["meta"], hit.score, hit.docnum, gen)
                for hit in searcher.search(query, limit=limit, filter=only)]

    hits = _champions(gen, searcher, words_by_lang, internal, only, limit)
    fields = ("top", "itop") if internal else ("top",)
    complete = all(t not in gen.cut.get(f"{name}_{lang}", {}) for lang, words in words_by_lang.items()
                   for alts in words for alt in alts for t in alt.terms for name in fields)
    if len(hits) >= enough or complete:
        return hits
    full = {lang: _word_queries(handle, gen, searcher, lang, words, internal)
            for lang, words in words_by_lang.items()}
    hits = run([qs[0] if len(qs) == 1 else wq.And(qs) for qs in full.values() if qs])
    if len(hits) >= enough or all(len(qs) <= 1 for qs in full.values()):
        return hits
    return run([qs[0] if len(qs) == 1 else wq.Or(qs, scale=0.9) for qs in full.values() if qs])


def _champions(gen: Generation, searcher: Any, words_by_lang: dict[str, list[list[Alternative]]], internal: bool,
               only: wq.Query | None, limit: int) -> list[RawHit]:
    scores: dict[int, float] = {}
    for lang, clauses in words_by_lang.items():  # each language's documents are its own
        words = [[[[Leaf(f"top_{lang}", t, alt.weight / len(alt.terms))]
                   + ([Leaf(f"itop_{lang}", t, INTERNAL_BOOST * alt.weight / len(alt.terms))] if internal else [])
                   for t in alt.terms] for alt in alts] for alts in clauses if alts]
        if words:
            scores.update(champion_scores(searcher, words, gen.cache.setdefault("leaves", {})))
    if only is not None:
        allowed = _allowed(gen, searcher, only)
        scores = {doc: s for doc, s in scores.items() if doc in allowed}
    best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [RawHit(_stored_meta(gen, searcher, doc), score, doc, gen) for doc, score in best]


def documents_for(handle: IndexHandle, keys: list[tuple[str, str]], *, internal: bool,
                  filters: dict[str, str] | None = None) -> dict[tuple[str, str], RawHit]:
    """The documents of the article versions *keys* (``(id, lang)``) that this search may show: visible ones
    only unless *internal*, and those that pass *filters*. Their score is 0: the caller ranks them."""
    gen = handle.refresh()
    searcher = gen.searcher()
    restrict: list[wq.Query] = [] if internal else [wq.Term("visible", "1")]
    restrict += [wq.Term(name, value) for name, value in (filters or {}).items()]
    allowed = _allowed(gen, searcher, wq.And(restrict)) if restrict else None
    out = {}
    for aid, lang in keys:
        doc = searcher.document_number(key=f"{aid}:{lang}")
        if doc is not None and (allowed is None or doc in allowed):
            out[(aid, lang)] = RawHit(_stored_meta(gen, searcher, doc), 0.0, doc, gen)
    return out


def _stored_meta(gen: Generation, searcher: Any, doc: int) -> dict[str, Any]:
    # Unpickling a document's stored fields is the largest cost left in a search; the same articles
    # answer many questions. Callers only read the metadata.
    cache = gen.cache.setdefault("meta", {})
    found = cache.get(doc)
    if found is None:
        if len(cache) >= META_CACHE:
            cache.clear()
        found = cache[doc] = searcher.stored_fields(doc)["meta"]
    return found


def _allowed(gen: Generation, searcher: Any, only: wq.Query) -> frozenset[int]:
    key = ("allowed", str(only))
    found = gen.cache.get(key)
    if found is None:
        found = gen.cache[key] = frozenset(searcher.docs_for_query(only))
    return found


def _word_queries(handle: IndexHandle, gen: Generation, searcher: Any, lang: str, words: list[list[Alternative]],
                  internal: bool) -> list[wq.Query]:
    df = handle.vocabulary(lang, public=not internal)
    common = COMMON_SHARE * _documents(gen, searcher, lang)
    out = []
    for alts in words:
        options = []
        for alt in alts:
            parts = [_term_query("head" if alt.head_only or df.get(t, 0) > common else "text",
                                 lang, t, alt.weight / len(alt.terms), internal) for t in alt.terms]
            options.append(parts[0] if len(parts) == 1 else wq.And(parts))
        if options:
            out.append(options[0] if len(options) == 1 else wq.Or(options))
    return out


def _documents(gen: Generation, searcher: Any, lang: str) -> int:
    key = ("documents", lang)
    if key not in gen.cache:
        gen.cache[key] = max(1, searcher.doc_frequency("lang", lang))
    return gen.cache[key]


def all_documents(handle: IndexHandle) -> list[dict[str, Any]]:
    """The stored metadata of every document (for listings and checks)."""
    searcher = handle.refresh().searcher()
    return [fields["meta"] for fields in searcher.all_stored_fields()]
