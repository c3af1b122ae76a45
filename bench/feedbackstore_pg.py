"""The feedback store on PostgreSQL: milliseconds per write and per read, the store as it is against a baseline.

Usage::

    python bench/feedbackstore_pg.py [--ops 200] [--rounds 5]

Starts a throw-away PostgreSQL server (Debian's, as the tests do: tests/pgserver.py), then, in one process,
alternates rounds of the store as it is (each thread keeps its connection) with rounds of the baseline (a new
connection for every operation, as the store did before 2026-12-07). A write is one feedback answer; a read is
the open-reports query the agents' search runs on every key (``reported_articles``). Prints the median of the
rounds and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from portal.web.feedbackstore import Store
from tests.pgserver import postgres_server


def _per_op(op: Callable[[], object], ops: int) -> float:
    start = time.perf_counter()
    for _ in range(ops):
        op()
    return (time.perf_counter() - start) / ops * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ops", type=int, default=200, help="operations per round")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        Path(folder).chmod(0o755)  # the server's own user must reach its folder inside
        with postgres_server(Path(folder) / "pg") as url:
            store = Store(url)
            store.count("feedback")  # the tables made

            def fresh(op: Callable[[], object]) -> Callable[[], object]:
                def run() -> object:
                    store.db.drop()  # the kept connection closed: the next one is new
                    return op()
                return run

            ops = {"write": lambda: store.add_feedback("bygglov", "sv", True, ""),
                   "read": store.reported_articles}
            for name, op in ops.items():
                kept, baseline = [], []
                for _ in range(args.rounds):
                    baseline.append(_per_op(fresh(op), args.ops))
                    kept.append(_per_op(op, args.ops))
                k, b = statistics.median(kept), statistics.median(baseline)
                print(f"{name:5s}  kept connection {k:6.3f} ms   a connection per operation {b:6.3f} ms   "
                      f"ratio {k / b:.3f}")


if __name__ == "__main__":
    main()
