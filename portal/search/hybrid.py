"""Hybrid ranking: the lexical ranking fused with the semantic one, and whether a hit is a confident answer.

The lexical search (:mod:`portal.search.searcher`) knows Swedish compounds, typos, colloquial words and the
errand's own name; the multilingual model knows what a question in the person's own words or language is
about. How the two are put together was tuned on ``tests/eval/hard_queries.yml`` and checked on the held-out
``hard_holdout.yml`` (figures and the alternatives tried: bench/RESULTS.md, docs/architecture.md):

* **Every language version counts, without its language's head start.** A question scores higher against a
  passage in its own language than against the same text in Swedish (Arabic questions: +0.07 cosine on
  average, more than the gap between the right article and the tenth). So each passage language's offset is
  measured for each question on the articles that have both that language and Swedish, and taken off; an
  article's closeness is then half its best passage and half the mean of its passages.
* **Scores, not ranks, are fused.** Closeness is turned into a z-score over all articles (how far this
  article stands out for this question); the lexical score saturates (``s / (s + C)``). Rank fusion gave a weak
  lexical match (an Arabic filler word found in the six Arabic translations) as much say as a strong one.
* **Confidence**: the first hit is a confident answer when the model finds it standing out (z-score) and the
  fusion scores it high; a later hit is confident too when it scores nearly as high as a confident first.
  Thresholds from a grid over the answered and unanswered questions of the same set.
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from portal.search.embedding import SemanticUnavailable, embedder, enabled
from portal.search.index import IndexHandle
from portal.search.results import Hit
from portal.search.vectors import INTERNAL, VectorsDamaged, VectorSet, read_vectors

# The lexical part's share of the fused score, by the number of words typed (the rest is the semantic z-score
# / Z_SCALE): a word or two is what the lexical search is best at (a misspelt or one-word query tells the model
# little), a sentence is what the model is best at.
LEXICAL_SHARES = (0.8, 0.7, 0.6, 0.55)
LEXICAL_HALF = 20.0  # the lexical score that counts half of its most
Z_SCALE = 4.0
# Closeness below the average does not count against a hit: among short passages the model's "not close" is
# noise (a Finnish question's glossary match, 13 times the next lexical score, fell to fifth behind articles
# the model half-knew in Finnish).
Z_MIN = 0.0
CANDIDATES = 15  # semantic candidates beyond the lexical hits (each costs a document lookup)
Z_FLOOR = 1.0  # a semantic candidate must stand out at least this much to be shown at all
# Confidence: the first hit must stand out for the model (z-score) and score high in the fusion. A grid over
# both thresholds on tests/eval/hard_queries.yml (bench/RESULTS.md); a logistic model over five features
# (the lead over the next hit, the lexical part) did no better on the held-out set. Lower since questions
# about other authorities' errands are told apart by their words (portal.search.elsewhere): they were most
# of the unanswered questions that scored like answers.
CONFIDENT_Z = 1.0
CONFIDENT_FUSED = 0.36
# Without the model: a first hit whose title holds the question's words, this far ahead of the second.
LEXICAL_MARGIN = 1.5
# A hit after the first is confident too when the first is and it scores nearly as high.
TIE_SHARE = 0.9
RECHECK_SECONDS = 1.0
DAMAGED_RECHECK_SECONDS = 60.0  # damaged vectors are read (and checked) again only this often
log = logging.getLogger("portal")


@dataclass
class Semantic:
    """How close each article is to one question, as a z-score over all articles (arrays, not dicts: at 10,000
    articles a dict per question cost more than the rest of the semantic half)."""

    articles: list[str]
    position: dict[str, int]
    scores: np.ndarray  # z per article, in the order of articles

    def z(self, article: str) -> float:
        """The article's z-score (0.0, the average, for an article without vectors)."""
        at = self.position.get(article)
        return 0.0 if at is None else float(self.scores[at])

    def ranked(self, floor: float = Z_FLOOR, top: int = CANDIDATES) -> list[str]:
        """At most *top* article ids standing out at least *floor*, closest first."""
        n = min(top, len(self.articles))
        if n <= 0:
            return []
        best = np.argpartition(-self.scores, n - 1)[:n] if n < len(self.articles) else np.arange(n)
        best = best[np.argsort(-self.scores[best], kind="stable")]
        return [self.articles[i] for i in best if self.scores[i] >= floor]


def vectors(handle: IndexHandle) -> VectorSet | None:
    """The current generation's vectors; None until they are written (looked for again every second)."""
    gen = handle.refresh()
    found = gen.cache.get("vectors")
    if found is not None:
        return found
    now = time.monotonic()
    if now - gen.cache.get("vectors_checked", -RECHECK_SECONDS) < RECHECK_SECONDS:
        return None
    gen.cache["vectors_checked"] = now
    try:
        found = read_vectors(Path(gen.path))
    except VectorsDamaged as exc:
        if not gen.cache.get("vectors_damaged"):  # said once per generation
            log.warning("%s (searching lexically until `portal index` writes good vectors)", exc)
        gen.cache["vectors_damaged"] = True
        gen.cache["vectors_checked"] = now + DAMAGED_RECHECK_SECONDS - RECHECK_SECONDS
        return None
    if found is not None:
        gen.cache["vectors"] = found
    return found


def ready(handle: IndexHandle) -> bool:
    """True when this process can rank by meaning over the current generation."""
    return enabled() and vectors(handle) is not None


def embed_soon(text: str) -> Future[np.ndarray | None] | None:
    """The question's vector, computed on another thread (None when the semantic half cannot be used)."""
    if not enabled() or not text.strip():
        return None
    return _pool().submit(_embed, text)


def _embed(text: str) -> np.ndarray | None:
    try:
        return embedder().query(text)
    except SemanticUnavailable:
        return None


_pools: dict[int, ThreadPoolExecutor] = {}


def _pool() -> ThreadPoolExecutor:
    # One per process: a forked worker (gunicorn, the build's index child) inherits no running threads, and an
    # inherited pool would wait for them forever. A few threads: a web worker answers several questions at once.
    pid = os.getpid()
    if pid not in _pools:
        _pools.clear()
        _pools[pid] = ThreadPoolExecutor(max_workers=4, thread_name_prefix="embed")
    return _pools[pid]


def semantic_scores(handle: IndexHandle, question: str | Future[np.ndarray | None], source: str,
                    internal: bool) -> Semantic | None:
    """Every article's closeness to *question* (text, or its vector from :func:`embed_soon`; internal notes
    count for agents only); None when the semantic half is off, not installed, or not yet built."""
    if isinstance(question, str):
        question = embed_soon(question)
    vs = vectors(handle)
    if question is None or vs is None or not vs.rows:
        return None
    q = question.result()
    if q is None:
        return None
    layout = _layout(vs, source, internal)
    if not layout.articles:
        return Semantic([], {}, np.zeros(0, dtype=np.float32))
    # One product over every row (a copy of the rows a search uses would cost more than the product), then the
    # rows that search uses, grouped by article.
    sims = np.asarray(vs.matrix @ q, dtype=np.float32)[layout.rows]
    for lang_rows, src_rows, positions in layout.pairs:
        sims[positions] -= float(np.mean(sims[lang_rows] - sims[src_rows]))
    grouped = sims[layout.order]
    best = np.maximum.reduceat(grouped, layout.starts)
    mean = np.add.reduceat(grouped, layout.starts) / layout.counts
    close = 0.5 * best + 0.5 * mean
    sd = float(close.std()) or 1.0
    return Semantic(layout.articles, layout.position, (close - float(close.mean())) / sd)


@dataclass
class _Layout:
    rows: np.ndarray  # the matrix rows a search uses
    articles: list[str]
    position: dict[str, int]
    order: np.ndarray  # the used rows (their positions in rows) grouped by article, in the order of articles
    starts: np.ndarray  # where each article's group starts in order
    counts: np.ndarray  # per article: its rows
    pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # per other language: its rows, the Swedish twins, all


def _layout(vs: VectorSet, source: str, internal: bool) -> _Layout:
    key = (source, internal)
    cache = vs.__dict__.setdefault("_layouts", {})
    if key in cache:
        return cache[key]
    used = [i for i, r in enumerate(vs.rows) if internal or r[2] != INTERNAL]
    articles = sorted({vs.rows[i][0] for i in used})
    position = {a: n for n, a in enumerate(articles)}
    article_of = np.asarray([position[vs.rows[i][0]] for i in used], dtype=np.int64)
    order = np.argsort(article_of, kind="stable")
    counts = np.bincount(article_of, minlength=len(articles))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    at = {(vs.rows[i][0], vs.rows[i][1], vs.rows[i][2]): k for k, i in enumerate(used)}
    pairs = []
    for lang in sorted({vs.rows[i][1] for i in used} - {source}):
        own = [k for k, i in enumerate(used) if vs.rows[i][1] == lang]
        twins = [(at[(vs.rows[i][0], lang, vs.rows[i][2])], k) for k, i in enumerate(used)
                 if vs.rows[i][1] == source and (vs.rows[i][0], lang, vs.rows[i][2]) in at]
        if twins:
            pairs.append((np.asarray([t[0] for t in twins]), np.asarray([t[1] for t in twins]), np.asarray(own)))
    cache[key] = _Layout(np.asarray(used, dtype=np.int64), articles, position, order, starts,
                         np.maximum(counts, 1), pairs)
    return cache[key]


def fuse(lexical: list[Hit], extra: list[Hit], semantic: Semantic, words: int = 4,
         titled: set[str] | None = None) -> list[Hit]:
    """One ranking of the lexical hits and the semantic candidates not among them (*extra*) for a query of
    *words* words, with each hit's fused score and whether it is a confident answer (*titled*: the articles
    whose title holds every word of the question, see :func:`mark_lexical`)."""
    share = LEXICAL_SHARES[min(max(words, 1), len(LEXICAL_SHARES)) - 1]
    hits = {h.id: h for h in lexical}
    for h in extra:
        hits.setdefault(h.id, h)
    lexical_score = {h.id: h.score for h in lexical}
    # The lexical search's own sure answer stands (a z-score over a handful of articles can never stand out).
    mark_lexical(lexical, titled or set())
    sure = lexical[0].id if lexical and lexical[0].confident else None
    parts = {}
    for aid in hits:
        s = lexical_score.get(aid, 0.0)
        lex = s / (s + LEXICAL_HALF)
        z = semantic.z(aid)
        parts[aid] = (share * lex + (1 - share) * max(z, Z_MIN) / Z_SCALE, lex, z)
    order = sorted(hits, key=lambda a: (-parts[a][0], a))
    out = []
    for n, aid in enumerate(order):
        fused, _lex, z = parts[aid]
        hit = hits[aid]
        hit.score = round(fused, 4)
        if n == 0:
            hit.confident = aid == sure or confident(fused, z)
        else:  # as good an answer as the first: a question two articles answer
            hit.confident = out[0].confident and fused >= TIE_SHARE * out[0].score
        out.append(hit)
    return out


def confident(fused: float, z: float) -> bool:
    """Whether the first hit is a confident answer (see the module's description)."""
    return z >= CONFIDENT_Z and fused >= CONFIDENT_FUSED


def mark_lexical(hits: list[Hit], titled: set[str]) -> None:
    """Confidence without the model (switched off, or its vectors not yet written): the first hit is a confident
    answer when its title holds every word of the question (*titled*: the ids whose title does) and it scores
    well ahead of the next."""
    for i, hit in enumerate(hits):
        hit.confident = i == 0 and hit.id in titled and (len(hits) == 1 or hit.score >= LEXICAL_MARGIN * hits[1].score)
