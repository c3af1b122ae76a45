"""What reading an index generation into memory costs against Whoosh's memory-mapped files (issue 27, finding 5).

Usage::

    python bench/generation_memory.py CONTENT INDEX [--queries 200] [--rounds 3] [--json OUT]

*INDEX* is an index folder built by this version (its generations have checksums). Three measurements:

* **latency**, in one process: the current generation opened twice, as the product opens it (read, checked,
  the compound segment split into its parts: ``portal.search.index.open_generation``) and as Whoosh's
  ``open_dir`` does (memory-mapped, which the product did before), queries alternated between the two so both
  see the same machine load; lexical agent searches (``bench/queries.py``), p50/p90/p95/p99 per round;
* **memory**, in a child process per variant: RSS and private memory after opening, after 1 thread's searches
  and after 4 threads' (each thread has its own Whoosh searcher);
* **open**: the seconds to open the generation each way.

The memory-mapped variant imports Whoosh here, in a benchmark: the product keeps it behind portal/search/index.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def memory() -> dict[str, float]:
    """This process's RSS and private memory in MB (/proc/self/smaps_rollup)."""
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        fields[key] = int(value.split()[0])
    return {"rss_mb": round(fields["Rss"] / 1024, 1),
            "private_mb": round((fields["Private_Clean"] + fields["Private_Dirty"]) / 1024, 1)}


def open_both(index_dir: Path, mapped: bool):  # type: ignore[no-untyped-def]
    """The current generation, opened as the product does or (*mapped*) memory-mapped by Whoosh; a searcher."""
    from portal.search.index import IndexHandle, current_generation
    from portal.search.index.reader import Generation
    from portal.search.searcher import Searcher

    if not mapped:
        return Searcher(IndexHandle(index_dir))
    from whoosh import index as whoosh_index

    class FixedHandle(IndexHandle):
        """A handle that answers from one generation."""

        def __init__(self, gen: Generation):
            super().__init__(index_dir, open_now=False)
            self.generation = gen

        def refresh(self) -> Generation:
            return self.generation

    product = IndexHandle(index_dir).refresh()  # for the vocabulary files; its segment is not used
    gen = current_generation(index_dir)
    return Searcher(FixedHandle(Generation(gen, whoosh_index.open_dir(str(gen), readonly=True), product.meta,
                                           product.df, product.forms, product.cut, product.content)))


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = {k: round(ordered[int(k / 100 * (len(ordered) - 1))], 2) for k in (50, 90, 95, 99)}
    return {"p50": pick[50], "p90": pick[90], "p95": pick[95], "p99": pick[99],
            "mean": round(statistics.mean(values), 2)}


def latency(content: Path, index_dir: Path, n: int) -> dict[str, dict[str, float]]:
    """Queries alternated between the two ways of opening the same generation, in this process."""
    from queries import make_queries

    queries = make_queries(content, n)
    ours, mapped = open_both(index_dir, False), open_both(index_dir, True)

    def run(searcher, q) -> float:  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        searcher.search(q.text, q.lang, internal=True, limit=10, prefix=q.prefix, mode="lexical")
        return (time.perf_counter() - t0) * 1000

    for q in queries[:30]:  # warm-up, unmeasured
        run(ours, q)
        run(mapped, q)
    a, b = [], []
    for i, q in enumerate(queries[30:]):  # each query once per variant (the result cache is per generation)
        first, second = (ours, mapped) if i % 2 else (mapped, ours)
        t1, t2 = run(first, q), run(second, q)
        (a if first is ours else b).append(t1)
        (b if first is ours else a).append(t2)
    return {"in_memory": percentiles(a), "memory_mapped": percentiles(b)}


def child(content: Path, index_dir: Path, mapped: bool, n: int) -> None:
    """One variant's memory, printed as JSON (run in a fresh process)."""
    from queries import make_queries

    queries = make_queries(content, n)
    before = memory()
    t0 = time.perf_counter()
    searcher = open_both(index_dir, mapped)
    opened = time.perf_counter() - t0
    after_open = memory()
    for q in queries:
        searcher.search(q.text, q.lang, internal=True, limit=10, prefix=q.prefix, mode="lexical")
    one = memory()

    def work(part: list) -> None:
        for q in part:
            searcher.search(q.text + " och", q.lang, internal=True, limit=10, prefix=q.prefix, mode="lexical")

    threads = [threading.Thread(target=work, args=(queries[i::3],)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"open_s": round(opened, 3), "before": before, "after_open": after_open, "one_thread": one,
                      "four_threads": memory()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("content", type=Path)
    parser.add_argument("index", type=Path)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", choices=("ours", "mapped"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.content, args.index, args.child == "mapped", args.queries // 2)
        return
    out: dict = {"latency": [], "memory": {}}
    for _ in range(args.rounds):
        out["latency"].append(latency(args.content, args.index, args.queries))
        print(json.dumps(out["latency"][-1]), flush=True)
    for variant in ("ours", "mapped"):
        done = subprocess.run([sys.executable, __file__, str(args.content), str(args.index), "--queries",
                               str(args.queries), "--child", variant], capture_output=True, text=True, check=True)
        out["memory"][variant] = json.loads(done.stdout.strip().splitlines()[-1])
        print(variant, json.dumps(out["memory"][variant]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1), "utf-8")


if __name__ == "__main__":
    main()
