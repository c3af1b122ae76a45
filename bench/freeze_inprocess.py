"""One changed article, the freeze/publish step alone, in one process: wall and CPU of each build.

Usage::

    python bench/freeze_inprocess.py CONTENT INDEX SITE [--runs N]

Loads CONTENT once (from INDEX's content cache), then N times appends to one article's Swedish title in
memory and runs ``freeze_site(incremental=True)`` into SITE (which must hold a full build of CONTENT made
by the same code; use a hard-linked copy, ``cp -al``, never the original). The Pagefind step is left
out (``bench/incremental_cli.py`` measures the whole command). Prints each build's method, wall and CPU
seconds and steps, then the medians.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Run the builds and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("content", type=Path)
    ap.add_argument("index", type=Path)
    ap.add_argument("site", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    from portal.site import freeze, pipeline

    loaded = pipeline.load_content(args.content.resolve(), dt.date.today(),
                                   cache_dir=pipeline.cache_dir_for(args.index.resolve()))
    corpus = loaded.corpus
    assert corpus is not None
    freeze.publish_search_index = lambda out, say=None: 0.0  # type: ignore[assignment] - the freeze step only
    article = corpus.articles[sorted(corpus.articles)[0]]
    rows = []
    for n in range(args.runs):
        article.source.title += f" p{n}"
        c0, t0 = time.process_time(), time.perf_counter()
        s = freeze.freeze_site(corpus, args.site.resolve(), args.index.resolve(), incremental=True)
        row = (s.get("method", s["mode"]), round(time.perf_counter() - t0, 2), round(time.process_time() - c0, 2))
        rows.append(row)
        print(*row, s.get("steps_s"), file=sys.stderr, flush=True)
    for method in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == method]
        print(f"{method}: {len(mine)} run(s), median wall {statistics.median(r[1] for r in mine):.2f} s, "
              f"CPU {statistics.median(r[2] for r in mine):.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
