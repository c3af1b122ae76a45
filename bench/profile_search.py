"""Where the time goes in one search: cProfile of ``Searcher.search`` on a built index.

Usage::

    python bench/profile_search.py --index DIR [--repeat 20] [--top 15] [--lang sv] [QUERY ...]

Without queries it profiles four kinds: one word, three words, an as-you-type prefix and a typo. Each
query runs once unmeasured (to warm caches), then *repeat* times under the profiler, with the product's
result cache emptied before each run; the top functions are
printed by own time and by cumulative time, with the mean milliseconds per search.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

DEFAULT = [("1 word", "slutbesked", False), ("3 words", "ansöka om parkeringstillstånd", False),
           ("prefix", "avgift förskolep", True), ("typo", "bygglovsansökna", False)]


def profile(searcher: object, text: str, lang: str, prefix: bool, repeat: int, top: int) -> str:
    """The profile of *repeat* searches for *text* as a printable report."""
    search = searcher.search  # type: ignore[attr-defined]
    gen = searcher.handle.refresh()  # type: ignore[attr-defined]
    result = search(text, lang, internal=True, prefix=prefix)
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    for _ in range(repeat):
        getattr(gen, "cache", {}).clear()  # measure searching, not the per-generation result cache
        prof.enable()
        search(text, lang, internal=True, prefix=prefix)
        prof.disable()
    ms = (time.perf_counter() - t0) * 1000 / repeat
    out = io.StringIO()
    out.write(f"{text!r} prefix={prefix}: {len(result.hits)} hits, {ms:.1f} ms per search under the profiler\n")
    for key in ("tottime", "cumulative"):
        stats = pstats.Stats(prof, stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Profile the given (or the default) queries."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("queries", nargs="*")
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--lang", default="sv")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--prefix", action="store_true", help="treat the given queries as unfinished")
    args = ap.parse_args(argv)
    from portal.search.index import IndexHandle
    from portal.search.searcher import Searcher

    searcher = Searcher(IndexHandle(args.index))
    todo = [(q, q, args.prefix) for q in args.queries] or DEFAULT
    for label, text, prefix in todo:
        print(f"===== {label} =====")
        print(profile(searcher, text, args.lang, prefix, args.repeat, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
