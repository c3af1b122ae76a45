"""Champion lists: for every term, the documents in which it weighs most, in a short field of their own.

A term that occurs in thousands of articles has a posting list of thousands of entries, and Whoosh
reads and scores each one in Python (about 10 µs each), so a common word costs tens of milliseconds
however few results are shown. The champion field (``top_<lang>``) holds each term only for its
:data:`CHAMPIONS` best documents, with the term's BM25 weight in that document stored as the posting
weight: a search first scores these few hundred postings (:func:`champion_scores` gives them exactly
the score the full field would give) and reads the full lists only when the champions cannot fill
the page. This is the classic champion-list (tiered index) technique; a term with no more documents
than :data:`CHAMPIONS` has a complete list, so for it nothing is approximated.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from whoosh.reading import TermNotFound
from whoosh.scoring import bm25
from whoosh.util.numeric import byte_to_length, length_to_byte

CHAMPIONS = 200
SOURCES = {"top": "text", "itop": "internal"}  # champion field prefix -> full field prefix
LEAF_CACHE = 1024  # champion lists kept decoded per index generation (~20 KB each at 200 entries)
K1, B = 1.2, 0.6  # the BM25F parameters of the full field (reader.py opens its searchers with these)


def parse(value: str) -> tuple[dict[str, float], int]:
    """The summed weight of each term in a ``term^weight`` field value, and its length in tokens."""
    weights: dict[str, float] = {}
    n = 0
    for token in value.split():
        term, _, w = token.partition("^")
        weights[term] = weights.get(term, 0.0) + (float(w) if w else 1.0)
        n += 1
    return weights, n


def impact(weight: float, length: int, avg: float) -> float:
    """BM25's saturated, length-normalised term weight (the score without the idf factor), computed as
    Whoosh's BM25F computes it: its own function, with the length rounded as the index stores it (one byte)."""
    return bm25(1.0, weight, byte_to_length(length_to_byte(length)), avg, B, K1)


def _field(champ: dict[str, float]) -> str:
    return " ".join(f"{term}^{value:.4g}" for term, value in champ.items())


def champion_fields(langs: Iterable[str]) -> dict[str, str]:
    """Each champion field mapped to the full field it is drawn from: article text and internal notes."""
    return {f"{short}_{lang}": f"{full}_{lang}" for lang in langs for short, full in SOURCES.items()}


def add_champions(docs: list[dict[str, Any]], langs: Iterable[str]) -> dict[str, dict[str, float]]:
    """Set every document's champion fields; return the thresholds of each champion field.

    The threshold of a term is the weight of its last champion; terms with complete lists have none.
    The average length is taken over all documents, as Whoosh's BM25F does for a field."""
    thresholds: dict[str, dict[str, float]] = {}
    for target, name in champion_fields(langs).items():
        parsed = [parse(doc[name]) if name in doc else ({}, 0) for doc in docs]
        avg = max(1.0, sum(n for _, n in parsed) / max(1, len(docs)))
        heaps: dict[str, list[tuple[float, int]]] = {}
        for i, (weights, n) in enumerate(parsed):
            for term, w in weights.items():
                heap = heaps.setdefault(term, [])
                item = (impact(w, n, avg), i)
                if len(heap) < CHAMPIONS:
                    heapq.heappush(heap, item)
                elif item > heap[0]:
                    heapq.heapreplace(heap, item)
        per_doc: dict[int, dict[str, float]] = {}
        cut: dict[str, float] = {}
        for term, heap in heaps.items():
            if len(heap) == CHAMPIONS:
                cut[term] = heap[0][0]
            for value, i in heap:
                per_doc.setdefault(i, {})[term] = value
        del heaps
        for i, champ in per_doc.items():
            docs[i][target] = _field(champ)
        thresholds[target] = cut
    return thresholds


def add_champions_to(doc: dict[str, Any], langs: Iterable[str], averages: dict[str, float],
                     thresholds: dict[str, dict[str, float]]) -> None:
    """Set the champion fields of one new or changed document (an incremental update); *averages*
    holds each full field's average length in the current index.

    The document joins every term's list it would have made at a full build; the list's previous
    last champion stays (a list may grow a little between full builds, never lose a deserving entry)."""
    for target, name in champion_fields(langs).items():
        if name not in doc:
            continue
        weights, n = parse(doc[name])
        cut = thresholds.get(target, {})
        champ = {t: v for t, w in weights.items() if (v := impact(w, n, averages.get(name, 1.0))) >= cut.get(t, 0.0)}
        if champ:
            doc[target] = _field(champ)


def _postings(reader: Any, field: str, term: str) -> Iterator[tuple[int, float]]:
    """(document number, weight) of every posting of *term* in one segment.

    Whole blocks are read at once: the per-posting matcher interface costs several Python calls a
    posting, which is what made common words slow. Segments with deleted documents (after an
    incremental update) go through Whoosh's filtering matcher instead."""
    try:
        m = reader.postings(field, term)
    except TermNotFound:
        return
    if hasattr(m, "_read_ids") and hasattr(m, "_next_block"):
        while m.is_active():
            if m._ids is None:
                m._read_ids()
            if m._weights is None:
                m._read_weights()
            yield from zip(m._ids, m._weights, strict=True)
            m._next_block()
        return
    while m.is_active():
        yield m.id(), m.weight()
        m.next()


@dataclass
class Leaf:
    """One term to read in one field, with its share of the query's weight."""

    field: str
    term: str
    boost: float


def _leaf_scores(searcher: Any, leaf: Leaf, cache: dict | None) -> dict[int, float]:
    """Each document's score for the leaf's term, before the leaf's boost (kept in *cache*: the same
    terms come back in the next keystroke and the next caller's question)."""
    key = (leaf.field, leaf.term)
    found = cache.get(key) if cache is not None else None
    if found is not None:
        return found
    short, _, lang = leaf.field.partition("_")
    idf = searcher.get_parent().idf(f"{SOURCES[short]}_{lang}", leaf.term)
    out: dict[int, float] = {}
    for reader, offset in searcher.reader().leaf_readers():
        for doc, w in _postings(reader, leaf.field, leaf.term):
            out[offset + doc] = idf * w
    if cache is not None:
        if len(cache) >= LEAF_CACHE:
            cache.clear()  # crude, but cheap and safe with several threads
        cache[key] = out
    return out


def champion_scores(searcher: Any, words: list[list[list[list[Leaf]]]], cache: dict | None = None
                    ) -> dict[int, float]:
    """Scores of the documents the champion lists find for a query.

    *words* holds, per query word, its alternatives; an alternative is a list of terms that must all
    match (the parts of a compound, the words of a synonym), and a term is a list of leaves whose
    scores add up (the champion list, and for agents the internal notes). Like the full query, the
    scores of a word's alternatives add up; a document that matches only some of the query's words
    gets that share of its score (the coordination of classic Lucene)."""
    total: dict[int, float] = {}
    matched: dict[int, int] = {}
    for alternatives in words:
        word: dict[int, float] = {}
        for terms in alternatives:
            alt: dict[int, float] | None = None
            for leaves in terms:
                scores = _term_scores(searcher, leaves, cache)
                alt = scores if alt is None else {d: s + scores[d] for d, s in alt.items() if d in scores}
            if not word:
                word = alt or {}
            else:
                _add_into(word, alt or {})
        if len(words) == 1:
            return word
        _add_into(total, word)
        for doc in word:
            matched[doc] = matched.get(doc, 0) + 1
    n = len(words)
    return {doc: score * matched[doc] / n for doc, score in total.items()}


def _term_scores(searcher: Any, leaves: list[Leaf], cache: dict | None) -> dict[int, float]:
    # A fresh dict (callers add into it); comprehensions, because this runs for every term of every query.
    first, *rest = leaves
    boost = first.boost
    scores = {doc: boost * score for doc, score in _leaf_scores(searcher, first, cache).items()}
    for leaf in rest:
        boost = leaf.boost
        _add_into(scores, {doc: boost * score for doc, score in _leaf_scores(searcher, leaf, cache).items()})
    return scores


def _add_into(target: dict[int, float], other: dict[int, float]) -> None:
    get = target.get
    for doc, score in other.items():
        target[doc] = get(doc, 0.0) + score
