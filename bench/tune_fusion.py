"""Tune the hybrid fusion and its confidence offline: record what each question's fusion was given, then replay.

Usage::

    python bench/tune_fusion.py record OUT.pickle [--queries FILE ...]
    python bench/tune_fusion.py replay OUT.pickle

``record`` runs every question of the evaluation sets through the real search once (the model, the lexical
search, the semantic candidates) and keeps, per question, the lexical hits and their scores, the semantic
candidates and every hit's z-score: all :func:`portal.search.hybrid.fuse` is given. ``replay`` ranks them
again with :func:`portal.search.hybrid.fuse` as it is now, so a change of its constants (or of the rule) is
measured in a second instead of a minute per set; it prints the same figures as ``bench/eval_search.py``.
The held-out set is recorded too: a change is kept only when the held-out figures do not get worse.
"""

from __future__ import annotations

import argparse
import copy
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from eval_search import (  # noqa: E402
    DEFAULT_ARTICLES,
    LIMIT,
    Outcome,
    article_ids,
    format_table,
    load_queries,
    summarize,
)

from portal.search import elsewhere, hybrid  # noqa: E402
from portal.search.index import IndexHandle  # noqa: E402
from portal.search.searcher import Searcher  # noqa: E402
from portal.site import pipeline  # noqa: E402

SETS = ("hard_queries.yml", "hard_holdout.yml", "queries.yml")


def record(out: Path, sets: list[Path]) -> None:
    """Run every question once and keep what the fusion was given."""
    captured: list[Any] = []
    real = hybrid.fuse

    def spy(lexical, extra, semantic, words=4, titled=None):
        z = {h.id: semantic.z(h.id) for h in [*lexical, *extra]}
        captured.append((copy.deepcopy(lexical), copy.deepcopy(extra), z, words, set(titled or ())))
        return real(lexical, extra, semantic, words, titled)

    hybrid.fuse = spy
    data: dict[str, list[Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        pipeline.index(DEFAULT_ARTICLES, Path(tmp))
        searcher = Searcher(IndexHandle(Path(tmp)))
        for path in sets:
            rows = []
            for query in load_queries(path, article_ids(DEFAULT_ARTICLES)):
                captured.clear()
                searcher.search(query.q, query.lang, internal=query.internal, limit=LIMIT)
                rows.append((query, captured[0] if captured else None))
            data[path.name] = rows
            print(f"{path.name}: {len(rows)} questions", file=sys.stderr)
    out.write_bytes(pickle.dumps(data))


def replay(source: Path) -> dict[str, dict[str, dict[str, float]]]:
    """Rank every recorded question again with today's fusion; the figures per set."""
    data = pickle.loads(source.read_bytes())  # noqa: S301 -- the file this script recorded itself
    figures = {}
    for name, rows in data.items():
        outcomes = []
        for query, given in rows:
            if given is None:
                outcomes.append(Outcome(query, [], None, confident=[]))
                continue
            lexical, extra, z, words, titled = copy.deepcopy(given)
            semantic = _Fixed(z)
            hits = hybrid.fuse(lexical, extra, semantic, words, titled)[:LIMIT]
            if elsewhere.referral(query.q, hits) is not None:  # as the searcher does after the fusion
                for hit in hits:
                    hit.confident = False
            ids = [h.id for h in hits]
            rank = next((i for i, a in enumerate(ids, start=1) if a in query.expect), None)
            outcomes.append(Outcome(query, ids, rank, confident=[bool(h.confident) for h in hits]))
        figures[name] = summarize(outcomes)
    return figures


class _Fixed:
    """The recorded z-scores, answering as :class:`portal.search.hybrid.Semantic` does."""

    def __init__(self, z: dict[str, float]):
        self._z = z

    def z(self, article: str) -> float:
        return self._z.get(article, 0.0)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["record", "replay"])
    parser.add_argument("data", type=Path)
    parser.add_argument("--queries", type=Path, action="append")
    args = parser.parse_args(argv)
    if args.action == "record":
        record(args.data, args.queries or [REPO / "tests" / "eval" / name for name in SETS])
        return 0
    for name, figs in replay(args.data).items():
        print(f"== {name}")
        print(format_table(figs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
