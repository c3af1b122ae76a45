"""Score search quality against a hand-made evaluation set.

Usage::

    python bench/eval_search.py [--articles DIR] [--queries FILE] [--index DIR] [--json OUT] [--verbose]

The script builds a search index from the articles (into a temporary folder unless ``--index`` is
given), runs every query in the evaluation set in-process through :class:`portal.search.searcher.Searcher`
and prints, per query kind and overall: the number of queries, success@1, success@3 and the mean
reciprocal rank (MRR) of the first expected article within the top 10 (0 when it is absent).

The evaluation set is a YAML list of ``{q, kind, expect, lang?, internal?}`` entries; see
``tests/eval/queries.yml``. :func:`evaluate` returns the same figures as a dict, for tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from portal.search.index import IndexHandle
from portal.search.searcher import QueryError, Searcher
from portal.site import pipeline

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ARTICLES = REPO / "articles"
DEFAULT_QUERIES = REPO / "tests" / "eval" / "queries.yml"
KINDS = ("exact", "colloquial", "compound", "typo", "question", "english", "jargon", "internal",
         # tests/eval/hard_queries.yml: people's own words and languages, and questions with no answer here
         "caller", "paraphrase", "arabic", "finnish", "somali", "persian", "sloppy", "ambiguous", "negative")
NEGATIVE = "negative"
LANGS = ("sv", "en", "ar", "fi")
LIMIT = 10
OVERALL = "overall"


@dataclass(frozen=True)
class Query:
    """One entry of the evaluation set."""

    q: str
    kind: str
    expect: tuple[str, ...]
    lang: str = "sv"
    internal: bool = False


@dataclass
class Outcome:
    """What one query returned: the ranked ids and the rank (1-based) of the first expected id."""

    query: Query
    ids: list[str] = field(default_factory=list)
    rank: int | None = None
    error: str | None = None
    confident: list[bool] = field(default_factory=list)  # per hit, as ids

    @property
    def negative(self) -> bool:
        """True for a question the knowledge base does not answer."""
        return not self.query.expect

    @property
    def reciprocal_rank(self) -> float:
        """1/rank of the first expected id, 0.0 when none is in the top 10."""
        return 1.0 / self.rank if self.rank else 0.0


def article_ids(articles: Path) -> set[str]:
    """The ids of the articles under *articles* (folders holding an ``sv.md``)."""
    return {p.parent.name for p in articles.glob("*/sv.md")}


def load_queries(path: Path, known_ids: set[str] | None = None) -> list[Query]:
    """Read and check the evaluation set; raise ValueError on a malformed entry or an unknown id."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{path}: expected a non-empty YAML list of queries")
    queries: list[Query] = []
    for n, entry in enumerate(raw, start=1):
        where = f"{path}: entry {n}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected a mapping, got {entry!r}")
        unknown_keys = set(entry) - {"q", "kind", "expect", "lang", "internal"}
        if unknown_keys:
            raise ValueError(f"{where}: unknown keys {sorted(unknown_keys)}")
        text, kind, expect = entry.get("q"), entry.get("kind"), entry.get("expect")
        lang, internal = entry.get("lang", "sv"), entry.get("internal", False)
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where}: q must be a non-empty string")
        if kind not in KINDS:
            raise ValueError(f"{where} ({text!r}): kind must be one of {', '.join(KINDS)}")
        if not isinstance(expect, list) or not all(isinstance(e, str) for e in expect):
            raise ValueError(f"{where} ({text!r}): expect must be a list of article ids")
        if (kind == NEGATIVE) != (not expect):
            raise ValueError(f"{where} ({text!r}): expect must be empty for a negative and only for a negative")
        if lang not in LANGS:
            raise ValueError(f"{where} ({text!r}): lang must be one of {', '.join(LANGS)}")
        if not isinstance(internal, bool):
            raise ValueError(f"{where} ({text!r}): internal must be true or false")
        if known_ids is not None and (missing := [e for e in expect if e not in known_ids]):
            raise ValueError(f"{where} ({text!r}): unknown article ids {missing}")
        queries.append(Query(text, kind, tuple(expect), lang, internal))
    return queries


def run_query(searcher: Searcher, query: Query) -> Outcome:
    """Run one query (top 10) and find the rank of the first expected article."""
    try:
        result = searcher.search(query.q, query.lang, internal=query.internal, limit=LIMIT)
    except QueryError as exc:
        return Outcome(query, error=str(exc))
    ids = [hit.id for hit in result.hits]
    rank = next((i for i, hit_id in enumerate(ids, start=1) if hit_id in query.expect), None)
    return Outcome(query, ids, rank, confident=[bool(getattr(hit, "confident", False)) for hit in result.hits])


def summarize(outcomes: Iterable[Outcome]) -> dict[str, dict[str, float]]:
    """Figures per kind (in KINDS order, kinds without queries left out) and ``overall``."""
    groups: dict[str, list[Outcome]] = {kind: [] for kind in KINDS}
    everything: list[Outcome] = []
    for outcome in outcomes:
        groups[outcome.query.kind].append(outcome)
        everything.append(outcome)
    figures = {kind: _figures(group) for kind, group in groups.items() if group}
    figures[OVERALL] = _figures(everything)
    return figures


def _figures(outcomes: list[Outcome]) -> dict[str, float]:
    """n, success@1, success@3 and MRR of one group of outcomes (over the answered questions), with the
    confidence figures: the share of answered questions whose first hit is confident (``conf1``) and of
    negatives with no confident hit at all (``neg_ok``)."""
    answered = [o for o in outcomes if not o.negative]
    negatives = [o for o in outcomes if o.negative]
    n = len(answered)
    out = {"n": len(outcomes), "s1": 0.0, "s3": 0.0, "mrr": 0.0}
    if n:
        out.update({
            "s1": sum(1 for o in answered if o.rank == 1) / n,
            "s3": sum(1 for o in answered if o.rank is not None and o.rank <= 3) / n,
            "mrr": sum(o.reciprocal_rank for o in answered) / n,
            "conf1": sum(1 for o in answered if o.confident[:1] == [True]) / n,
            # a confident first hit that is not an expected article: a wrong answer said with confidence
            "conf_wrong": sum(1 for o in answered if o.confident[:1] == [True] and o.rank != 1) / n,
        })
    if negatives:
        out["neg_ok"] = sum(1 for o in negatives if not any(o.confident)) / len(negatives)
    return out


def run(articles: Path, queries: Path, index_dir: Path) -> list[Outcome]:
    """Build the index of *articles* into *index_dir* and run every query of *queries*."""
    evaluation_set = load_queries(queries, article_ids(articles))
    pipeline.index(articles, index_dir)
    searcher = Searcher(IndexHandle(index_dir))
    return [run_query(searcher, query) for query in evaluation_set]


def evaluate(articles: Path, queries: Path, index_dir: Path) -> dict[str, dict[str, float]]:
    """Index *articles* into *index_dir*, run *queries* and return the figures.

    The result maps each kind that has queries, plus ``"overall"``, to ``{"n", "s1", "s3", "mrr"}``:
    the number of queries, success@1, success@3 and mean reciprocal rank within the top 10.
    """
    return summarize(run(articles, queries, index_dir))


def format_table(figures: dict[str, dict[str, float]]) -> str:
    """The figures as a plain-text table, one row per kind and one for overall."""
    lines = [f"{'kind':<12} {'n':>4} {'s@1':>6} {'s@3':>6} {'MRR':>6} {'conf@1':>7} {'wrong':>6} {'neg ok':>7}",
             "-" * 61]
    for kind, row in figures.items():
        if kind == OVERALL:
            lines.append("-" * 61)
        conf = f"{row['conf1']:>7.3f} {row['conf_wrong']:>6.3f}" if "conf1" in row else f"{'':>7} {'':>6}"
        neg = f"{row['neg_ok']:>7.3f}" if "neg_ok" in row else ""
        if kind == NEGATIVE:
            lines.append(f"{kind:<12} {int(row['n']):>4} {'':>6} {'':>6} {'':>6} {conf} {neg}")
        else:
            lines.append(f"{kind:<12} {int(row['n']):>4} {row['s1']:>6.3f} {row['s3']:>6.3f} {row['mrr']:>6.3f} "
                         f"{conf} {neg}")
    return "\n".join(lines)


def format_failures(outcomes: Iterable[Outcome]) -> str:
    """Queries whose expected article is not first: misses (not in top 3), then those ranked 2 or 3.

    Each line shows kind, language, the query, the expected id(s), the rank and the top 3 ids returned.
    """
    misses: list[str] = []
    near: list[str] = []
    for o in outcomes:
        if o.negative:
            if any(o.confident):
                misses.append(f"  [negative, {o.query.lang}] {o.query.q!r} has confident hits: "
                              f"{', '.join(i for i, c in zip(o.ids, o.confident, strict=True) if c)}")
            continue
        if o.rank == 1:
            continue
        q = o.query
        flags = f"{q.kind}, {q.lang}" + (", internal" if q.internal else "")
        got = f"error: {o.error}" if o.error else ", ".join(o.ids[:3]) or "(no hits)"
        where = f"rank {o.rank}" if o.rank else "not in top 10"
        line = f"  [{flags}] {q.q!r} expect {'|'.join(q.expect)} ({where}) got: {got}"
        (near if o.rank is not None and o.rank <= 3 else misses).append(line)
    return "\n".join([
        f"Not in top 3 ({len(misses)}):", *(misses or ["  (none)"]),
        f"In top 3 but not first ({len(near)}):", *(near or ["  (none)"]),
    ])


def to_json(figures: dict[str, dict[str, float]], outcomes: list[Outcome]) -> dict[str, Any]:
    """A JSON-ready record: the figures plus every query with its ranked ids."""
    return {
        "figures": figures,
        "results": [
            {**asdict(o.query), "expect": list(o.query.expect), "ids": o.ids, "rank": o.rank,
             "confident": o.confident, "error": o.error}
            for o in outcomes
        ],
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; always returns 0 (the figures are the output, not a verdict)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES, help="article folder")
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES, help="evaluation set (YAML)")
    parser.add_argument("--index", type=Path, default=None, help="build the index here (default: temp dir)")
    parser.add_argument("--json", type=Path, default=None, metavar="OUT", help="write figures and results")
    parser.add_argument("--verbose", action="store_true", help="list every failing query with its top 3")
    args = parser.parse_args(argv)

    if args.index is not None:
        outcomes = run(args.articles, args.queries, args.index)
    else:
        with tempfile.TemporaryDirectory(prefix="eval-search-") as tmp:
            outcomes = run(args.articles, args.queries, Path(tmp) / "index")
    figures = summarize(outcomes)

    print(format_table(figures))
    if args.verbose:
        print("\nFailing queries:")
        print(format_failures(outcomes))
    if args.json is not None:
        args.json.write_text(json.dumps(to_json(figures, outcomes), ensure_ascii=False, indent=2) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
