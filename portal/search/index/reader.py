"""Reading the index: following atomic swaps, one Whoosh searcher per thread, running query plans.

A generation is opened by reading every file its manifest lists into memory and checking it
(:mod:`.manifest`): Whoosh then reads from those bytes, never from a memory-mapped file, so a file damaged or
truncated on disk later cannot stop a process (SIGBUS) or change what it answers. An :class:`IndexHandle` keeps
the last good generation it opened when the ``current`` link moves to one that is missing or damaged, and a web
request pins one generation (:meth:`IndexHandle.pin`) so that everything it does sees the same one.
"""

from __future__ import annotations

import bisect
import contextvars
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import query as wq
from whoosh.scoring import BM25F

from portal.exceptions import IndexCorruptError, IndexMissingError
from portal.search.index.champions import K1, B, Leaf, champion_scores
from portal.search.index.documents import SCHEMA_VERSION, unpack_texts
from portal.search.index.manifest import read_checked
from portal.search.index.memstore import PartsStorage

log = logging.getLogger("portal")
INTERNAL_BOOST = 1.5
META_CACHE = 16384  # documents' stored metadata kept per index generation (~1 KB each: the texts are apart)
RETRY_SECONDS = 30.0  # a generation that could not be opened is tried again after this long (not on every request)
_JSON_FILES = ("meta.json", "vocab.json", "champions.json", "content.json", "lexicon-words.json")


def current_generation(index_dir: Path) -> Path:
    """The directory of the current generation; IndexMissingError when there is none."""
    link = index_dir / "current"
    try:
        target = os.readlink(link)
    except OSError:
        raise IndexMissingError(f"there is no search index in {index_dir}; run `portal index`") from None
    gen = index_dir / target
    if not gen.is_dir():
        raise IndexCorruptError(f"the search index in {index_dir} points to a missing folder ({target}); "
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
    content: dict[str, Any] | None = None  # content.json: the record of the content it reflects (None: none kept)
    local: threading.local = field(default_factory=threading.local)
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The generation folder's name (``gen-…``)."""
        return self.path.name

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
    """Open a generation from the bytes its manifest lists, checked; IndexCorruptError (naming the file) when
    anything in it is missing, damaged or cannot be read."""
    files = read_checked(gen)
    try:
        meta = json.loads(files["meta.json"])
        if meta.get("schema") != SCHEMA_VERSION:
            raise IndexCorruptError(f"the search index in {gen.parent} was built by another version; "
                                    "run `portal index` to rebuild it")
        vocab = json.loads(files["vocab.json"])
        forms = {scope: {lang: {w: v[1] for w, v in table.items()} for lang, table in by_lang.items()}
                 for scope, by_lang in vocab["forms"].items()}
        cut = json.loads(files["champions.json"])
        content = json.loads(files["content.json"]) if "content.json" in files else None
        # Whoosh reads the checked bytes, one copy shared by every thread's searcher (see .memstore).
        ix = PartsStorage({name: data for name, data in files.items() if name not in _JSON_FILES}).open_index()
        ix.doc_count()
    except IndexCorruptError:
        raise
    except Exception as exc:  # Whoosh raises many kinds of errors for damaged files
        raise IndexCorruptError(f"the search index in {gen.parent} is damaged ({type(exc).__name__}); "
                                "run `portal index` to rebuild it") from exc
    return Generation(gen, ix, meta, vocab["df"], forms, cut, content)


class IndexHandle:
    """A long-lived reader of an index folder that follows each atomic swap to a new generation.

    A generation it cannot open is logged once (as a warning) and tried again only after :data:`RETRY_SECONDS`;
    meanwhile the last good one it opened keeps answering. With *open_now* (the default) the constructor raises
    IndexMissingError or IndexCorruptError when there is no usable generation at all; without, the handle starts
    empty and :meth:`latest` says None until there is one."""

    def __init__(self, index_dir: Path, open_now: bool = True):
        self.index_dir = index_dir
        self._lock = threading.Lock()
        self._gen: Generation | None = None
        self._target: str | None = None
        self._refused: dict[str, tuple[float, Exception]] = {}  # link target -> (when, why)
        self._pin: contextvars.ContextVar[Generation | None] = contextvars.ContextVar(f"pin-{id(self)}",
                                                                                       default=None)
        self._quiet = open_now  # a caller that asked for a generation now hears of a missing one by the error
        if open_now:
            self.refresh()
        self._quiet = False

    def refresh(self) -> Generation:
        """The generation pinned in this context, else the current one (reopened if the `current` link has moved
        to a generation that can be opened); IndexMissingError or IndexCorruptError when there is none at all."""
        pinned = self._pin.get()
        if pinned is not None:
            return pinned
        gen, problem = self._follow()
        if gen is None:
            raise problem or IndexMissingError(f"there is no search index in {self.index_dir}; run `portal index`")
        return gen

    def latest(self) -> Generation | None:
        """The newest generation that could be opened (as :meth:`refresh`, ignoring any pin), or None."""
        return self._follow()[0]

    def pin(self, gen: Generation) -> contextvars.Token:
        """Answer every later call in this context (a web request) from *gen*; undo with :meth:`unpin`."""
        return self._pin.set(gen)

    def unpin(self, token: contextvars.Token) -> None:
        """Undo a :meth:`pin`."""
        self._pin.reset(token)

    def _follow(self) -> tuple[Generation | None, Exception | None]:
        try:
            target: str | None = os.readlink(self.index_dir / "current")
        except OSError:
            target = None
        if self._gen is not None and target == self._target:
            return self._gen, None
        with self._lock:
            if self._gen is not None and target == self._target:
                return self._gen, None
            key, now = target or "", time.monotonic()
            refused = self._refused.get(key)
            if refused is not None and now - refused[0] < RETRY_SECONDS:
                return self._gen, refused[1]
            try:
                if target is None:
                    raise IndexMissingError(f"there is no search index in {self.index_dir}; run `portal index`")
                gen = open_generation(current_generation(self.index_dir))
            except (IndexMissingError, IndexCorruptError) as exc:
                if refused is None and self._gen is not None:  # said once per generation, not on every request
                    log.warning("cannot open the index generation %s (%s); still serving %s",
                                target or "(no current link)", exc, self._gen.name)
                elif refused is None and self._quiet is False:
                    log.warning("no usable search index: %s", exc)
                self._refused[key] = (now, exc)
                return self._gen, exc
            self._gen, self._target = gen, target
            self._refused.clear()
            return gen, None

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
