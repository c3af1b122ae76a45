"""Static-site build speed against MkDocs in one session (issue 7), and one changed article incrementally.

Usage::

    python bench/freeze_speed.py CONTENT WORKDIR [--corpus-pickle FILE] [--workers N] [--no-mkdocs]

Measures, on the same machine minutes apart: loading the content (``pipeline.load``, or unpickling a
corpus saved by an earlier run with ``--corpus-pickle``, whose load time is then the one recorded in
the file's ``.load_s`` companion), the full freeze (Frozen-Flask pages, link check), Pagefind, then an
incremental build after one article's title changed in memory (pages published, then the search index),
and ``mkdocs build`` over the same Markdown. Wall and CPU seconds are both printed: the machine is shared,
and CPU seconds show the work itself. The content folder is never modified.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import shutil
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.setrecursionlimit(100_000)  # pickling a 10,000-article corpus


def cpu() -> float:
    """CPU seconds of this process and its waited-for children (freeze workers, Pagefind, MkDocs)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def load(content: Path, pickled: Path | None) -> tuple[Any, float]:
    """The corpus and the seconds loading it took (measured now, or recorded beside the pickle)."""
    from portal.site import pipeline

    if pickled and pickled.is_file():
        # A file this script wrote itself in an earlier run, never one from elsewhere.
        return pickle.loads(pickled.read_bytes()), float(pickled.with_suffix(".load_s").read_text())  # noqa: S301
    t0 = time.perf_counter()
    corpus, _problems = pipeline.load(content)
    took = time.perf_counter() - t0
    if pickled:
        pickled.write_bytes(pickle.dumps(corpus, protocol=5))
        pickled.with_suffix(".load_s").write_text(f"{took:.3f}")
    return corpus, took


def main(argv: list[str] | None = None) -> int:
    """Run the measurements and print them as a table and as one JSON line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("content", type=Path)
    ap.add_argument("workdir", type=Path)
    ap.add_argument("--corpus-pickle", type=Path)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--no-mkdocs", action="store_true")
    args = ap.parse_args(argv)
    from portal.site.freeze import freeze_site

    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    site, index_dir = work / "site", work / "index"
    shutil.rmtree(site, ignore_errors=True)
    corpus, load_s = load(args.content.resolve(), args.corpus_pickle)
    today = dt.date.today()
    r: dict[str, Any] = {"articles": len(corpus.articles), "load_s": round(load_s, 1), "cores": os.cpu_count()}

    c0, t0 = cpu(), time.perf_counter()
    full = freeze_site(corpus, site, index_dir, today=today, workers=args.workers)
    r["full"] = {**{k: full[k] for k in ("pages", "rendered", "freeze_s", "pagefind_s")},
                 "wall_s": round(time.perf_counter() - t0, 1), "cpu_s": round(cpu() - c0, 1)}

    # One article's title changes (what an editor does); the corpus in memory stands for the reloaded one.
    article = next(a for a in corpus.public_articles(today) if a.id in json.loads((site / "_build.json").read_text())
                   ["articles"])
    article.source.title += " (ändrad)"
    c0, t0 = cpu(), time.perf_counter()
    inc = freeze_site(corpus, site, index_dir, today=today, workers=args.workers, incremental=True,
                      say=lambda msg: print(msg, file=sys.stderr))
    # A full build (when the code changed between the two runs) has no reuse figures: reported as None.
    r["incremental"] = {**{k: inc.get(k) for k in ("mode", "rendered", "reused", "published_s", "pagefind_s",
                                                  "steps_s")},
                        "changed": inc["changed"], "wall_s": round(time.perf_counter() - t0, 1),
                        "cpu_s": round(cpu() - c0, 1)}

    if not args.no_mkdocs:
        from baselines import mkdocs_build, mkdocs_export

        mk = work / "mkdocs"
        shutil.rmtree(mk, ignore_errors=True)
        t0 = time.perf_counter()
        mkdocs_export(args.content.resolve(), mk)
        export_s = time.perf_counter() - t0
        c0, t0 = cpu(), time.perf_counter()
        built = mkdocs_build(mk)
        r["mkdocs"] = {"pages": sum(1 for _ in built.rglob("*.html")), "build_s": round(time.perf_counter() - t0, 1),
                       "cpu_s": round(cpu() - c0, 1), "export_s": round(export_s, 1)}

    pages, f = r["full"]["pages"], r["full"]
    rates = {"freeze alone": pages / f["freeze_s"], "freeze + Pagefind": pages / (f["freeze_s"] + f["pagefind_s"]),
             "load + freeze + Pagefind": pages / (load_s + f["freeze_s"] + f["pagefind_s"])}
    r["pages_per_s"] = {k: round(v, 1) for k, v in rates.items()}
    print(f"{pages} pages, {r['articles']} articles; load {load_s:.0f} s, freeze {f['freeze_s']:.0f} s, "
          f"Pagefind {f['pagefind_s']:.0f} s (CPU {f['cpu_s']:.0f} s in all)", file=sys.stderr)
    if "mkdocs" in r:
        m = r["mkdocs"]
        mk_rate = m["pages"] / m["build_s"]
        r["mkdocs"]["pages_per_s"] = round(mk_rate, 1)
        print(f"MkDocs: {m['pages']} pages in {m['build_s']:.0f} s = {mk_rate:.0f} pages/s (CPU {m['cpu_s']:.0f} s)",
              file=sys.stderr)
        r["ratio_vs_mkdocs"] = {k: round(v / mk_rate, 2) for k, v in rates.items()}
    for k, v in rates.items():
        print(f"  {k:26} {v:6.0f} pages/s" + (f"  = {v / mk_rate:.2f}x MkDocs" if "mkdocs" in r else ""),
              file=sys.stderr)
    i = r["incremental"]
    if i["mode"] == "incremental":
        print(f"Incremental: {i['rendered']} file(s) rendered, {i['reused']} reused; pages published "
              f"after {i['published_s']:.1f} s {i['steps_s']}; search index after {i['pagefind_s']:.1f} s more",
              file=sys.stderr)
    else:
        print(f"The second build was {i['mode']} ({i['wall_s']} s), not incremental", file=sys.stderr)
    print(json.dumps(r, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
