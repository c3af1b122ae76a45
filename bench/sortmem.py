"""Index build time against the memory Whoosh may use to sort postings (``limitmb``), on one loaded corpus.

Usage::

    python bench/sortmem.py CONTENT WORKDIR [MB ...]      (default: 256 1024)

Loads the content once, then builds the index once per value, each into a fresh folder (the compound
lexicon's cache copied in, so every build does the same work), and prints wall and CPU seconds. Run it in a
fresh process per value (``for mb in 256 1024; do ...; done``) to read each one's peak memory with
``/usr/bin/time -f %M``.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    """Build the index of CONTENT once per MB value and print the times."""
    from portal.search.index import build_index, writer
    from portal.site import pipeline

    content, work = Path(argv[0]), Path(argv[1])
    sizes = [int(x) for x in argv[2:]] or [256, 1024]
    corpus, _ = pipeline.load(content)
    assert corpus is not None
    warm = work / "warm"
    build_index(corpus, warm)  # writes the lexicon cache once
    real = writer._writing
    for mb in sizes:
        folder = work / f"mb{mb}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for cache in warm.glob("lexicon-*.pickle"):
            shutil.copy(cache, folder / cache.name)
        writer._writing = lambda ix, _limit, mb=mb, **kw: real(ix, mb, **kw)  # type: ignore[assignment]
        t, c = time.perf_counter(), time.process_time()
        build_index(corpus, folder)
        print(f"limitmb {mb}: wall {time.perf_counter() - t:.1f} s, CPU {time.process_time() - c:.1f} s", flush=True)
    writer._writing = real  # type: ignore[assignment]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
