"""The benchmark's measurements, each run in a fresh child process so its peak memory is its own.

``python bench/phases.py PHASE '{json args}'`` runs one phase and prints its result as one JSON line;
:func:`run_phase` does that from the orchestrator (``bench/run.py``). Every result carries
``maxrss_kb``: ``resource.getrusage`` of the phase process itself, and of its own children (Pagefind,
MkDocs) where it starts any.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from queries import KINDS, Query, audience_queries, make_queries  # noqa: E402


def maxrss_kb(children: bool = False) -> int:
    """Peak resident memory in KiB of this process (or of the largest waited-for child)."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return int(resource.getrusage(who).ru_maxrss)


def summarize(ms: list[float]) -> dict[str, float]:
    """p50/p95/p99, mean and count of a list of latencies in milliseconds."""
    if not ms:
        return {"n": 0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "mean": 0.0}
    if len(ms) == 1:
        return {"n": 1, "p50": ms[0], "p95": ms[0], "p99": ms[0], "mean": ms[0]}
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return {"n": len(ms), "p50": round(q[49], 3), "p95": round(q[94], 3), "p99": round(q[98], 3),
            "mean": round(statistics.fmean(ms), 3)}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds *fn* took, and what it returned."""
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def warmup_queries(content: Path, measured: list[Query]) -> list[Query]:
    """A few queries of every kind that are not among *measured* (results may be cached)."""
    taken = {(q.text, q.lang, q.prefix) for q in measured}
    return [q for q in make_queries(content, 5, seed=99) if (q.text, q.lang, q.prefix) not in taken]


def latencies(queries: list[Query], run: Callable[[Query], int], warmup: list[Query] | None = None) -> dict[str, Any]:
    """Run every query once (after the unmeasured *warmup* ones); latency summary and mean hits per kind."""
    for q in warmup or []:
        run(q)
    per_kind: dict[str, list[float]] = {k: [] for k in KINDS}
    hits: dict[str, list[int]] = {k: [] for k in KINDS}
    for q in queries:
        t0 = time.perf_counter()
        n = run(q)
        per_kind[q.kind].append((time.perf_counter() - t0) * 1000)
        hits[q.kind].append(n)
    return {k: {**summarize(v), "mean_hits": round(statistics.fmean(hits[k]), 2) if hits[k] else 0}
            for k, v in per_kind.items()}


# --- phases ------------------------------------------------------------------------------------------

def phase_index(content: str, index: str) -> dict[str, Any]:
    """Load + full index build; after one changed article: a full rebuild, `update_index` after a load without
    cache, and the command line's incremental path (`portal index` over a warm content cache)."""
    from generate import change_article

    from portal.search.index import build_index, update_index
    from portal.site import pipeline

    root, index_dir = Path(content), Path(index)
    cache = pipeline.cache_dir_for(index_dir)
    # The first load fills the content cache (its time includes writing it); the later "load" rows read
    # without the cache, as every run did before there was one.
    t_load, loaded = timed(lambda: pipeline.load_content(root, cache_dir=cache))
    corpus = loaded.corpus
    t_index, _ = timed(lambda: build_index(corpus, index_dir, content_state=pipeline.content_state(
        loaded, dt.date.today())))
    docs = sum(1 if a.audience == "internal" else len(a.versions) for a in corpus.articles.values())
    changed = change_article(root)
    t_reload, loaded2 = timed(lambda: pipeline.load_content(root))
    t_reindex, _ = timed(lambda: build_index(loaded2.corpus, index_dir, content_state=pipeline.content_state(
        loaded2, dt.date.today())))
    out = {"articles": len(corpus.articles), "documents": docs, "load_s": t_load, "index_s": t_index,
           "changed_article": changed, "changed_load_s": t_reload, "changed_index_s": t_reindex,
           "changed_mode": "full rebuild", "maxrss_kb": maxrss_kb()}
    change_article(root, changed)
    t_reload2, loaded3 = timed(lambda: pipeline.load_content(root))
    out["update_load_s"] = t_reload2
    out["update_index_s"], _ = timed(lambda: update_index(
        loaded3.corpus, index_dir, [changed], content_state=pipeline.content_state(loaded3, dt.date.today())))
    # Nothing changed: a load from the warm cache alone (what a fresh app worker does first). The first load
    # takes in the article changed above (the loads without cache did not update the cache).
    pipeline.load_content(root, cache_dir=cache)
    out["warm_load_s"], warm = timed(lambda: pipeline.load_content(root, cache_dir=cache))
    out["warm_load_read"] = len(warm.stats.read)
    # The command line's incremental path, whole process included (start-up, imports, load, update).
    change_article(root, changed)
    cmd = [sys.executable, "-c", "from portal.cli.main import main; main()", "index", "--articles", str(root),
           "--index", str(index_dir)]
    t_cli, done = timed(lambda: subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=3600))
    if done.returncode != 0:
        raise RuntimeError(f"portal index failed: {done.stderr[-2000:]}")
    # What the command said, without its progress lines: the index update, then the vectors' step.
    said = [ln for ln in done.stderr.strip().splitlines() if ln.strip() and not ln.startswith("  ")]
    out["cli_update_s"], out["cli_update_output"] = t_cli, said[-4:]
    # The same in this process (with the lazy corpus the command uses), split into load and index update.
    change_article(root, changed)
    run = pipeline.index_content(root, index_dir, lazy=True)
    out["incremental_mode"], out["incremental_read"] = run.mode, run.loaded.stats.read
    out["incremental_load_s"], out["incremental_index_s"] = run.seconds["load"], run.seconds["index"]
    # The semantic vectors of the changed article(s), when the build makes them (PORTAL_SEMANTIC_SEARCH not 0).
    out["incremental_vectors_s"] = run.seconds.get("vectors")
    out["maxrss_kb"] = maxrss_kb()
    return out


def phase_query(content: str, index: str, per_kind: int) -> dict[str, Any]:
    """In-process Searcher.search latency for agents (internal=True) and the public (other queries), per query
    kind; lexical (``mode="lexical"``) when the searcher has modes, as the SQLite FTS5 floor it is compared with
    (the hybrid search is measured through HTTP)."""
    import inspect

    from portal.search.index import IndexHandle
    from portal.search.searcher import Searcher

    sets = audience_queries(Path(content), per_kind)
    warmup = warmup_queries(Path(content), [*sets["agent"], *sets["public"]])
    t_open, searcher = timed(lambda: Searcher(IndexHandle(Path(index))))
    mode = {"mode": "lexical"} if "mode" in inspect.signature(searcher.search).parameters else {}
    out: dict[str, Any] = {"open_s": t_open, "mode": mode.get("mode", "the only one")}
    for audience, internal in (("agent", True), ("public", False)):
        def run(q: Query, internal: bool = internal) -> int:
            return len(searcher.search(q.text, q.lang, internal=internal, limit=10, prefix=q.prefix, **mode).hits)
        out[audience] = latencies(sets[audience], run, warmup)
    out["maxrss_kb"] = maxrss_kb()
    return out


def phase_freeze(content: str, index: str, out: str) -> dict[str, Any]:
    """Load + freeze the whole static site, again after one changed article, and Pagefind alone."""
    from generate import change_article

    from portal.site import pipeline
    from portal.site.freeze import freeze_site

    root, site = Path(content), Path(out)
    t_load, (corpus, _p) = timed(lambda: pipeline.load(root))
    t_freeze, summary = timed(lambda: freeze_site(corpus, site, Path(index)))
    pages = sum(1 for _ in site.rglob("*.html"))
    change_article(root)
    t_reload, (corpus2, _p2) = timed(lambda: pipeline.load(root))
    t_refreeze, _ = timed(lambda: freeze_site(corpus2, site, Path(index)))
    return {"pages": pages, "summary": summary, "load_s": t_load, "freeze_s": t_freeze,
            "changed_load_s": t_reload, "changed_freeze_s": t_refreeze,
            "changed_mode": "full re-freeze (no incremental freezing yet)", "maxrss_kb": maxrss_kb()}


def _tree_state(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under *folder*: its size and modification time (to show a folder was left alone)."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")
            if p.is_file()}


def phase_pagefind(site: str, out: str) -> dict[str, Any]:
    """The static search bundles rebuilt alone, as the build makes them (both Pagefind bundles, run side by side,
    and the lexicons: ``portal.build.staticsearch.build_bundle``); Pagefind cannot update its index for one page.

    It reads the published *site* and writes into the empty folder *out*, never into the site: the bytes a first
    search downloads are measured on the bundle the build published. Run from this small process, not from the
    freeze process: on Linux a child's ru_maxrss starts at its parent's size when it forks, so only a small
    parent gives Pagefind's own peak memory."""
    from portal.build.staticsearch import build_bundle

    root, dest = Path(site), Path(out)
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    before = _tree_state(root / "pagefind")
    try:
        t, _ = timed(lambda: build_bundle(root, dest))
        files = sum(1 for p in dest.rglob("*") if p.is_file())
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    if _tree_state(root / "pagefind") != before:
        raise RuntimeError(f"rebuilding the search bundles changed the published one in {root / 'pagefind'}")
    return {"pagefind_s": t, "files": files, "maxrss_kb": maxrss_kb(children=True),
            "lexicon_maxrss_kb": maxrss_kb()}


def phase_routes(content: str, index: str, data: str) -> dict[str, Any]:
    """The URL map of ``portal.create_app()`` over *content* and *index*: each rule and its methods."""
    from portal import create_app

    app = create_app({"ARTICLES_DIR": content, "INDEX_DIR": index, "DATA_DIR": data, "SECRET_KEY": "bench",
                      "FIRST_USER": False})
    routes: dict[str, list[str]] = {}
    for rule in app.url_map.iter_rules():
        routes.setdefault(rule.rule, [])
        routes[rule.rule] = sorted({*routes[rule.rule], *(rule.methods or ())})
    return {"routes": routes}


def phase_fts5(content: str, db: str, per_kind: int) -> dict[str, Any]:
    """The SQLite FTS5 baseline: build over the same files, then the same queries."""
    from baselines import fts5_build, fts5_search

    t_build, (conn, docs) = timed(lambda: fts5_build(Path(content), Path(db)))
    queries = make_queries(Path(content), per_kind)
    result = latencies(queries, lambda q: len(fts5_search(conn, q)), warmup_queries(Path(content), queries))
    conn.close()
    return {"documents": docs, "build_s": t_build, "agent": result, "maxrss_kb": maxrss_kb()}


def phase_mkdocs(content: str, workdir: str) -> dict[str, Any]:
    """The MkDocs baseline: export the same Markdown, then `mkdocs build` (timed, in a child)."""
    from baselines import mkdocs_build, mkdocs_export

    t_export, docs = timed(lambda: mkdocs_export(Path(content), Path(workdir)))
    t_build, site = timed(lambda: mkdocs_build(Path(workdir)))
    pages = sum(1 for _ in site.rglob("*.html"))
    return {"markdown_files": docs, "export_s": t_export, "build_s": t_build, "pages": pages,
            "maxrss_kb": maxrss_kb(children=True)}


PHASES: dict[str, Callable[..., dict[str, Any]]] = {
    "index": phase_index, "query": phase_query, "freeze": phase_freeze, "pagefind": phase_pagefind,
    "fts5": phase_fts5, "mkdocs": phase_mkdocs, "routes": phase_routes,
}


def run_phase(name: str, timeout: float = 3600, **kwargs: Any) -> dict[str, Any]:
    """Run phase *name* in a fresh Python process and return its result."""
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), name, json.dumps(kwargs)],
                          capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench phase {name} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    """Entry point of a phase process."""
    name, args = sys.argv[1], json.loads(sys.argv[2])
    result = PHASES[name](**args)
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
