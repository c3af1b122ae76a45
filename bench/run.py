"""The product at a large city's and a national knowledge base's size, against what a team would use instead.

One command (see bench/README.md)::

    .venv/bin/python bench/run.py --sizes 1000,10000 --json bench/out/results.json
    .venv/bin/python bench/run.py --quick            # 50 articles, 20 queries per kind: a smoke run

For each size it generates content (``bench/generate.py``, committed to a throw-away git repository),
checks it with ``portal check``, and measures in child processes: index build (full, and after one changed
article), in-process query latency, the SQLite FTS5 baseline, latency through HTTP (gunicorn on 127.0.0.1:
as-you-type, lexical and hybrid, with ``--http-compare-semantic`` also on a lexical-only server for the
memory difference), the static site freeze (full, after one changed article), bytes per page type and for a
first static search on the site as the freeze published it, then the search bundles rebuilt alone beside it,
and the MkDocs baseline. It prints a table and writes everything as JSON.

Only ``--skip`` leaves a step out: a step that fails or cannot run (no search route in the app, MkDocs not
installed, ...) or a number missing from a result is listed under the table, and the command exits with 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402
from phases import run_phase, timed  # noqa: E402

GIT_ENV = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.se", "GIT_COMMITTER_NAME": "Bench",
           "GIT_COMMITTER_EMAIL": "bench@example.se", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
STEPS = ("index", "query", "fts5", "http", "freeze", "mkdocs")


def machine() -> dict[str, Any]:
    """Facts about the machine the numbers come from."""
    cpu = ""
    meminfo = ""
    if Path("/proc/cpuinfo").is_file():
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), "")
    if Path("/proc/meminfo").is_file():
        meminfo = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory": meminfo, "python": platform.python_version(),
            "platform": platform.platform(), "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def freeze_site_or_error() -> None:
    """Raise unless the static site freezer exists (portal/site/freeze.py with freeze_site)."""
    from portal.site import freeze

    if not hasattr(freeze, "freeze_site"):
        raise RuntimeError("portal/site/freeze.py has no freeze_site")


def mkdocs_or_error() -> None:
    """Raise unless MkDocs is installed (bench/requirements.txt)."""
    import importlib.util

    if shutil.which("mkdocs", path=str(Path(sys.executable).parent)) is None and \
            importlib.util.find_spec("mkdocs") is None:
        raise RuntimeError("MkDocs is not installed: pip install -r bench/requirements.txt (or --skip mkdocs)")


def portal_check(content: Path) -> tuple[float, int]:
    """Run ``portal check`` on *content*; seconds taken and exit code."""
    exe = Path(sys.executable).with_name("portal")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from portal.cli.main import main; main()"]
    t0 = time.perf_counter()
    done = subprocess.run([*cmd, "check", "--articles", str(content)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"portal check failed on the generated content:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    return time.perf_counter() - t0, done.returncode


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One result from repeated runs: the median of each number, the first run's other values."""
    out = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = statistics.median(r[key] for r in runs)
    out["repeats"] = len(runs)
    return out


def guarded(res: dict[str, Any], key: str, fn: Callable[[], Any]) -> None:
    """``res[key] = fn()``; a failing step is recorded as ``{"error": ...}`` and the run goes on."""
    try:
        res[key] = fn()
    except Exception as exc:  # a benchmark step that fails must not lose the other steps' numbers
        res[key] = {"error": f"{type(exc).__name__}: {str(exc)[-2000:]}"}
        print(f"step {key} failed: {res[key]['error']}", file=sys.stderr, flush=True)


def run_size(n: int, work: Path, args: argparse.Namespace, say: Callable[[str], None]) -> dict[str, Any]:
    """Every measurement for one content size."""
    from httpbench import http_latencies
    from sitebytes import site_bytes

    base = work / f"n{n}"
    content, index = base / "content", base / "index"
    res: dict[str, Any] = {"articles": n}
    say(f"[{n}] generating content")
    res["generate_s"], res["content"] = timed(lambda: generate(content, n, args.seed, force=True))
    if not args.no_git:
        for cmd in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "content"]):
            subprocess.run(["git", "-C", str(content), *cmd], check=True, capture_output=True, env=GIT_ENV)
    res["check_s"], _ = portal_check(content)
    steps = [s for s in STEPS if s not in args.skip]
    if "index" in steps:
        say(f"[{n}] index build x{args.repeat}")
        guarded(res, "index", lambda: median_of([run_phase("index", content=str(content), index=str(index))
                                                 for _ in range(args.repeat)]))
    if "query" in steps:
        say(f"[{n}] in-process queries")
        guarded(res, "query", lambda: run_phase("query", content=str(content), index=str(index),
                                                per_kind=args.queries))
    if "fts5" in steps:
        say(f"[{n}] SQLite FTS5 baseline")
        guarded(res, "fts5", lambda: run_phase("fts5", content=str(content), db=str(base / "fts5.sqlite3"),
                                               per_kind=args.queries))
    if "http" in steps:
        say(f"[{n}] queries through HTTP" + (" (and a lexical-only server)" if args.http_compare_semantic else ""))
        guarded(res, "http", lambda: http_latencies(content, index, base / "data", args.http_queries,
                                                    args.http_workers, args.http_compare_semantic))
    if "freeze" in steps:
        say(f"[{n}] static site freeze")
        site = base / "site"

        def freeze() -> dict[str, Any]:
            freeze_site_or_error()
            return run_phase("freeze", content=str(content), index=str(index), out=str(site))
        guarded(res, "freeze", freeze)
        if "error" not in res["freeze"]:
            # The bytes first, on the site as the freeze published it; then the bundles rebuilt beside it.
            guarded(res, "bytes", lambda: site_bytes(site))
            guarded(res, "pagefind", lambda: run_phase("pagefind", site=str(site), out=str(base / "pagefind-alone")))
    if "mkdocs" in steps:
        say(f"[{n}] MkDocs baseline")

        def mkdocs() -> dict[str, Any]:
            mkdocs_or_error()
            return run_phase("mkdocs", content=str(content), workdir=str(base / "mkdocs"))
        guarded(res, "mkdocs", mkdocs)
    res["ratios"] = ratios(res)
    return res


def ratios(res: dict[str, Any]) -> dict[str, float]:
    """Product / baseline ratios that hold on a noisy machine (same run, same articles, same queries)."""
    out: dict[str, float] = {}
    q, f = res.get("query", {}).get("agent"), res.get("fts5", {}).get("agent")
    if q and f:
        for kind in q:
            for p in ("p50", "p95"):
                if f[kind][p]:
                    out[f"search_{kind}_{p}_vs_fts5"] = round(q[kind][p] / f[kind][p], 1)
    fr, mk = res.get("freeze", {}), res.get("mkdocs", {})
    if "freeze_s" in fr and "build_s" in mk:
        ours = fr["pages"] / (fr["load_s"] + fr["freeze_s"])
        theirs = mk["pages"] / mk["build_s"]
        out["freeze_pages_per_s"] = round(ours, 1)
        out["mkdocs_pages_per_s"] = round(theirs, 1)
        out["freeze_vs_mkdocs_pages_per_s"] = round(ours / theirs, 2)
    if "index_s" in res.get("index", {}) and "build_s" in res.get("fts5", {}):
        out["index_build_vs_fts5"] = round(res["index"]["index_s"] / res["fts5"]["build_s"], 1)
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run every size, print the table, write the JSON."""
    from report import problems, table

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated article counts")
    ap.add_argument("--quick", action="store_true", help="a small run: 50 articles, 20 queries per kind")
    ap.add_argument("--queries", type=int, default=200, help="in-process queries per kind (and FTS5)")
    ap.add_argument("--http-queries", type=int, default=200, help="HTTP queries per kind and audience")
    ap.add_argument("--http-workers", type=int, default=1, help="gunicorn workers (4 threads each)")
    ap.add_argument("--http-compare-semantic", action="store_true",
                    help="also run the HTTP queries on a PORTAL_SEMANTIC_SEARCH=0 server: worker memory difference")
    ap.add_argument("--repeat", type=int, default=1, help="index builds per size (the median is reported)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip", default="", help=f"comma-separated steps to leave out: {','.join(STEPS)}")
    ap.add_argument("--json", type=Path, default=HERE / "out" / "results.json")
    ap.add_argument("--workdir", type=Path, default=None, help="where to build (default: a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--no-git", action="store_true", help="do not commit the generated content to git")
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.queries, args.http_queries = "50", min(args.queries, 20), min(args.http_queries, 20)
    args.skip = {s for s in args.skip.split(",") if s}
    if args.skip - set(STEPS):
        ap.error(f"--skip: unknown step(s) {', '.join(sorted(args.skip - set(STEPS)))}; the steps: {','.join(STEPS)}")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="portal-bench-"))
    work.mkdir(parents=True, exist_ok=True)

    def say(msg: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)

    results: dict[str, Any] = {"command": " ".join([Path(sys.executable).name, *sys.argv]) if argv is None else
                               "run.main(" + " ".join(argv) + ")", "machine": machine(),
                               "options": {"skip": sorted(args.skip), "compare_semantic": args.http_compare_semantic},
                               "sizes": {}, "problems": []}
    try:
        for n in sizes:
            results["sizes"][str(n)] = run_size(n, work, args, say)
            results["problems"] = problems(results)
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str), "utf-8")
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(table(results))
    print(f"\nJSON: {args.json}", file=sys.stderr)
    if results["problems"]:
        print(f"bench: {len(results['problems'])} problem(s), the run is incomplete:", file=sys.stderr)
        for problem in results["problems"]:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
