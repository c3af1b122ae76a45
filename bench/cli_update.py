"""`portal index` after one changed article, the whole command: wall and CPU seconds and peak memory per run.

    python bench/cli_update.py CONTENT INDEX [--runs 3] [--commit] [--code DIR] [--article ID]

Each run appends a sentence to one article's `sv.md` (:func:`generate.change_article`; with ``--commit`` the
edit is committed to the content's git repository first, so the command sees a new HEAD), then runs
``python -c 'from portal.cli.main import main; main()' index --articles CONTENT --index INDEX`` in a child process, as
`bench/phases.py` does. ``--code DIR`` runs another checkout's `portal` package (put first on PYTHONPATH), to
measure the code before a change on its own copy of the content and index. ``--split`` runs the same steps in
a child process that reports its import, load and index-update seconds (the lazy corpus, as the command uses).
Warm the index once before measuring.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import change_article

# The command's entry point in this code and in a checkout from before the sub-packages (992f37a), which
# --code may name.
IMPORT_MAIN = ("try:\n    from portal.cli.main import main\nexcept ImportError:\n"
               "    from portal.cli import main\n")

SPLIT = """
import sys, time
t0 = time.perf_counter()
from pathlib import Path
from portal.cli import main as cli
from portal.site import pipeline
t_import = time.perf_counter() - t0
import inspect
lazy = {"lazy": True} if "lazy" in inspect.signature(pipeline.index_content).parameters else {}  # older code
run = pipeline.index_content(Path(sys.argv[1]), Path(sys.argv[2]), **lazy)
s = run.seconds
print(f"import {t_import:.2f} s, load {s['load']:.2f} s, index update {s['index']:.2f} s ({run.mode})")
"""


def one_run(content: Path, index: Path, article: str | None, commit: bool, code: Path | None,
            split: bool = False) -> dict:
    """Change one article, run the command once; its wall and CPU seconds, peak RSS and last output line."""
    changed = change_article(content, article)
    if commit:
        subprocess.run(["git", "-C", str(content), "-c", "user.name=bench", "-c", "user.email=bench@example.se",
                        "commit", "-qam", f"bench: edit {changed}"], check=True)
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-c", IMPORT_MAIN + "main()", "index", "--articles", str(content),
           "--index", str(index)]
    if split:
        cmd = [sys.executable, "-c", SPLIT, str(content), str(index)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, cwd="/")
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"portal index failed: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"article": changed, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "maxrss_kb": after.ru_maxrss,
            "output": (done.stdout if split else done.stderr).strip().splitlines()[-1]}


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("content", type=Path)
    ap.add_argument("index", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--commit", action="store_true", help="commit each edit (a new HEAD for every run)")
    ap.add_argument("--code", type=Path, default=None, help="a checkout whose portal package to run")
    ap.add_argument("--article", default=None, help="the article to edit (default: the first by id)")
    ap.add_argument("--split", action="store_true", help="report import, load and index-update seconds")
    args = ap.parse_args(argv)
    runs = []
    for _ in range(args.runs):
        run = one_run(args.content.resolve(), args.index.resolve(), args.article, args.commit, args.code, args.split)
        runs.append(run)
        load = os.getloadavg()[0]
        print(f"wall {run['wall_s']:.2f} s  cpu {run['cpu_s']:.2f} s  (load {load:.1f})  {run['output'][:80]}")
    print(f"median of {len(runs)}: wall {statistics.median(r['wall_s'] for r in runs):.2f} s, "
          f"cpu {statistics.median(r['cpu_s'] for r in runs):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
