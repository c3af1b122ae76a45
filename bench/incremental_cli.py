"""One changed article through the whole command: ``portal build --incremental``, timed from the outside.

Usage::

    python bench/incremental_cli.py CONTENT --site NAME=SITE,INDEX[,CODE] [--site ...] [--rounds 3]
        [--first N] [--article ID] [--body-round N] [--json FILE]

Each round edits one article of CONTENT (its Swedish title gets a new ending; in round *--body-round* its
body instead), then runs ``portal build --incremental --articles CONTENT --index INDEX --out SITE`` for
every ``--site``, alternating their order from round to round (the machine is shared). CODE, when given,
is a checkout of another version of the portal to run instead of this one (``PYTHONPATH`` and working
folder), so that two versions are measured minutes apart on the same content. Each build must already
have a full build in SITE and an up-to-date index in INDEX (their content cache recording CONTENT).

Reported per run, from the command's start: when the content was checked (the line "… freezing the
public site …"; the code before indexed first, then froze), when the agent index was up to date (the
time the command reports for its index update beside the freeze), when the pages were published
("Published N updated page(s)"), when the static search index was (the end); wall and CPU seconds
(user + system of the command and everything it waited for, Pagefind included); and the freeze's own
breakdown when the command prints it. Medians per site at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# The command's entry point in this code and in a checkout from before the sub-packages (992f37a), which CODE
# may name.
IMPORT_MAIN = ("import sys\ntry:\n    from portal.cli.main import main\nexcept ImportError:\n"
               "    from portal.cli import main\n")
MARKS = {"start": re.compile(r"Checking (?:and indexing )?the content"),
         "freeze": re.compile(r"(?:Freezing|Updating the search index and freezing) the public site"),
         "published": re.compile(r"Published \d+ updated page"),
         "search": re.compile(r"Published the new search index")}


def edit(content: Path, article: str, n: int, body: bool) -> None:
    """Change article *article*'s Swedish title ending (or its body) for round *n*."""
    path = content / article / "sv.md"
    text = path.read_text("utf-8")
    if body:
        text = text.rstrip("\n") + f"\n\nÄndrad text, omgång {n}.\n"
    else:
        text, count = re.subn(r"^(title: .*?)(?: \(ändrad \d+\))?$", rf"\1 (ändrad {n})", text, count=1,
                              flags=re.MULTILINE)
        assert count == 1, path
    path.write_text(text, "utf-8")


def run(content: Path, site: Path, index: Path, code: Path | None) -> dict[str, Any]:
    """One ``portal build --incremental``; the seconds at which each mark was printed, wall and CPU."""
    cmd = [sys.executable, "-c", IMPORT_MAIN + "sys.argv[0] = 'portal'; main()",
           "build", "--incremental", "--articles", str(content), "--index", str(index), "--out", str(site)]
    env = dict(os.environ)
    cwd = code or HERE.parent
    if code:
        env["PYTHONPATH"] = str(code)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    marks: dict[str, float] = {}
    lines: list[str] = []
    buf = b""
    assert proc.stderr is not None
    while chunk := proc.stderr.read1(65536):  # type: ignore[attr-defined]
        buf += chunk
        *done, buf = re.split(rb"[\r\n]", buf)
        for raw in done:
            line = raw.decode("utf-8", "replace")
            if not line or line.startswith("Progress"):
                continue
            lines.append(line)
            for key, mark in MARKS.items():
                if key not in marks and mark.match(line):
                    marks[key] = time.perf_counter() - t0
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("build failed:\n" + "\n".join(lines))
    steps = next((m.group(1) for line in lines if (m := re.search(r"steps: (\{.*\})", line))), None)
    # The agent index: updated beside the freeze (it says when, from the content check's start), or, by
    # the code before, first of all (ready when the freeze starts).
    ready = next((float(m.group(1)) for line in lines if (m := re.search(r"agent index ready ([\d.]+) s", line))),
                 None)
    if ready is not None and "start" in marks:
        marks["index"] = marks["start"] + ready
    elif "freeze" in marks:
        marks["index"] = marks["freeze"]
    return {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            **{f"{k}_at_s": round(v, 2) for k, v in marks.items()},
            "steps_s": json.loads(steps) if steps else None,
            "lines": [line for line in lines if line.startswith(("Published", "Full build", "Re-rendering", "Built",
                                                                 "Updated", "The search index"))]}


def main(argv: list[str] | None = None) -> int:
    """Edit, build with each version in alternating order, print each run and the medians."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("content", type=Path)
    ap.add_argument("--site", action="append", required=True, help="NAME=SITE,INDEX[,CODE]")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--first", type=int, default=1, help="the first round's number (each round's title is new)")
    ap.add_argument("--article", default=None)
    ap.add_argument("--body-round", type=int, default=0, help="the round (1-based) that edits the body instead")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    content = args.content.resolve()
    article = args.article or sorted(p.name for p in content.iterdir() if (p / "sv.md").is_file())[0]
    sites = []
    for spec in args.site:
        name, paths = spec.split("=", 1)
        parts = [Path(p).resolve() for p in paths.split(",")]
        sites.append((name, parts[0], parts[1], parts[2] if len(parts) > 2 else None))
    results: dict[str, list[dict[str, Any]]] = {name: [] for name, *_ in sites}
    for n in range(args.first, args.first + args.rounds):
        edit(content, article, n, body=n == args.body_round)
        order = sites if (n - args.first) % 2 == 0 else sites[::-1]
        for name, site, index, code in order:
            r = run(content, site, index, code)
            r["round"], r["edit"] = n, "body" if n == args.body_round else "title"
            results[name].append(r)
            print(f"round {n} {name}: {json.dumps({k: v for k, v in r.items() if k != 'lines'})}", file=sys.stderr)
            for line in r["lines"]:
                print(f"    {line}", file=sys.stderr)
    summary: dict[str, Any] = {"article": article, "runs": results, "median": {}}
    for name, runs in results.items():
        keys = [k for k in runs[0] if k.endswith("_s") and all(isinstance(r.get(k), float | int) for r in runs)]
        med = {k: round(statistics.median(r[k] for r in runs), 2) for k in keys}
        if all(r["steps_s"] for r in runs):
            med["steps_s"] = {k: round(statistics.median(r["steps_s"].get(k, 0.0) for r in runs), 3)
                              for k in dict.fromkeys(k for r in runs for k in r["steps_s"])}
        summary["median"][name] = med
        print(f"median {name}: {json.dumps(med)}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
