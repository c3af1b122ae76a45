"""The results of ``bench/run.py`` as a plain-text table: one column per size, targets checked.

A cell with a target reads ``value ok`` or ``value MISS`` (the targets are stated for 10,000 articles in two
languages on a 2-core machine; smaller sizes are checked against the same numbers for orientation).

A cell without a number never reads as a dash: ``skipped`` when its step was left out with ``--skip``, ``FAILED``
when the step failed (the reason is a note under the table), ``MISSING`` when the step ran but did not produce the
number. :func:`problems` lists the last two; ``bench/run.py`` then exits non-zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# A cell: its text and its number (for the target check), or (None, None) when the result has no such number.
Cell = Callable[[dict[str, Any]], tuple[str | None, float | None]]
# (label, cell, target text, target check, the steps whose results the cell reads)
Row = tuple[str, Cell, str, Callable[[float], bool] | None, tuple[str, ...]]
# Steps run as part of another: skipped with it.
PART_OF = {"pagefind": "freeze", "bytes": "freeze"}
STEP_RESULTS = ("index", "query", "fts5", "http", "freeze", "pagefind", "bytes", "mkdocs")
HTTP_KINDS = (("prefix", "prefix, as you type (lexical)"), ("words_lexical", "words, mode=lexical"),
              ("words_hybrid", "words, settled (hybrid)"), ("typo", "typo, settled"))


def _get(res: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(res, dict) or key not in res:
            return None
        res = res[key]
    return res


def _lat(*path: str) -> Cell:
    def cell(res: dict[str, Any]) -> tuple[str | None, float | None]:
        s = _get(res, *path)
        if not s or not s.get("n"):
            return None, None
        return f"{s['p50']:.1f} / {s['p95']:.1f} / {s['p99']:.1f}", s["p95"]
    return cell


def _num(fmt: str, fn: Callable[[dict[str, Any]], float | None]) -> Cell:
    def cell(res: dict[str, Any]) -> tuple[str | None, float | None]:
        try:
            value = fn(res)
        except (KeyError, TypeError, ZeroDivisionError):
            value = None
        return (None, None) if value is None else (fmt.format(value), float(value))
    return cell


def _kb(*path: str) -> Cell:
    return _num("{:.1f}", lambda r: _get(r, *path) / 1024)


def _mb(*path: str) -> Cell:
    return _num("{:.0f}", lambda r: _get(r, *path) / 1024)


def _le(limit: float) -> Callable[[float], bool]:
    return lambda v: v <= limit


def _ge(limit: float) -> Callable[[float], bool]:
    return lambda v: v >= limit


def _header(label: str) -> Row:
    return (label, lambda r: ("", None), "", None, ())


def rows(options: dict[str, Any] | None = None) -> list[Row]:
    """(label, cell, target text, target check, steps) for every line of the table; the lexical-only server's
    lines when the run asked for it (``options["compare_semantic"]``)."""
    compare = bool((options or {}).get("compare_semantic"))
    out: list[Row] = [_header("SEARCH latency, ms p50 / p95 / p99")]
    targets = {"prefix": 15, "words_lexical": 15, "typo": 50}
    for audience in ("agent", "public"):
        for kind, label in HTTP_KINDS:
            limit = targets.get(kind) if audience == "agent" else None
            out.append((f"  HTTP {audience}, {label}", _lat("http", audience, kind),
                        f"p95 <= {limit}" if limit else "", _le(limit) if limit else None, ("http",)))
        out.append((f"  HTTP {audience}, words p95: hybrid / lexical", _num("{:.2f}x", lambda r, a=audience: _get(
            r, "http", "hybrid_vs_lexical_p95", a)), "ratio", None, ("http",)))
    if compare:
        for kind, label in HTTP_KINDS:
            out.append((f"  HTTP agent, {label}, PORTAL_SEMANTIC_SEARCH=0", _lat("http", "lexical_only", "agent", kind),
                        "", None, ("http",)))
    for kind in ("words", "prefix", "typo"):
        out.append((f"  in-process agent, {kind}", _lat("query", "agent", kind), "", None, ("query",)))
    for kind in ("words", "prefix", "typo"):
        out.append((f"  SQLite FTS5, {kind}", _lat("fts5", "agent", kind), "floor", None, ("fts5",)))
    for kind in ("words", "prefix", "typo"):
        out.append((f"  in-process / FTS5 p95, {kind}", _num("{:.3g}x", lambda r, k=kind: _get(
            r, "ratios", f"search_{k}_p95_vs_fts5")), "ratio", None, ("query", "fts5")))
    out += [
        _header("INDEX, seconds"),
        ("  load + render content", _num("{:.1f}", lambda r: _get(r, "index", "load_s")), "", None, ("index",)),
        ("  full index build", _num("{:.1f}", lambda r: _get(r, "index", "index_s")), "<= 120", _le(120),
         ("index",)),
        ("  1 changed article: load + full rebuild", _num("{:.1f}", lambda r: _get(r, "index", "changed_load_s")
                                                          + _get(r, "index", "changed_index_s")), "<= 2", _le(2),
         ("index",)),
        ("  1 changed article: load + update_index", _num("{:.1f}", lambda r: _get(r, "index", "update_load_s")
                                                         + _get(r, "index", "update_index_s")), "<= 2", _le(2),
         ("index",)),
        ("    of which update_index alone", _num("{:.2f}", lambda r: _get(r, "index", "update_index_s")), "", None,
         ("index",)),
        ("  load again, nothing changed (content cache)", _num("{:.1f}", lambda r: _get(r, "index", "warm_load_s")),
         "", None, ("index",)),
        ("  1 changed article: `portal index` (whole command)", _num("{:.1f}", lambda r: _get(
            r, "index", "cli_update_s")), "<= 2", _le(2), ("index",)),
        ("  SQLite FTS5 build (read + insert)", _num("{:.1f}", lambda r: _get(r, "fts5", "build_s")), "", None,
         ("fts5",)),
        _header("STATIC SITE"),
        ("  pages (HTML files)", _num("{:.0f}", lambda r: _get(r, "freeze", "pages")), "", None, ("freeze",)),
        ("  full: load + freeze + Pagefind, s", _num("{:.1f}", lambda r: _get(r, "freeze", "load_s")
                                                     + _get(r, "freeze", "freeze_s")), "", None, ("freeze",)),
        ("  1 changed article: load + full re-freeze, s", _num("{:.1f}", lambda r: _get(
            r, "freeze", "changed_load_s") + _get(r, "freeze", "changed_freeze_s")), "<= 2", _le(2), ("freeze",)),
        ("  search bundles rebuilt alone (Pagefind x2 + lexicon), s", _num("{:.1f}", lambda r: _get(
            r, "pagefind", "pagefind_s")), "", None, ("pagefind",)),
        ("  MkDocs build, s", _num("{:.1f}", lambda r: _get(r, "mkdocs", "build_s")), "", None, ("mkdocs",)),
        ("  pages/s: portal / MkDocs", _pps, "", None, ("freeze", "mkdocs")),
        ("  portal pages/s vs MkDocs", _num("{:.2f}x", lambda r: _get(r, "ratios", "freeze_vs_mkdocs_pages_per_s")),
         ">= 3x", _ge(3), ("freeze", "mkdocs")),
        _header("BYTES, KB gzipped (HTML + its CSS/JS)"),
        ("  article page, median", _kb("bytes", "page_types", "article", "median_total"), "<= 25", _le(25),
         ("bytes",)),
        ("  article page, largest", _kb("bytes", "page_types", "article", "max_total"), "<= 25", _le(25), ("bytes",)),
        ("  home page", _kb("bytes", "page_types", "home", "max_total"), "", None, ("bytes",)),
        ("  category page, largest", _kb("bytes", "page_types", "category", "max_total"), "", None, ("bytes",)),
        ("  A-Z page", _kb("bytes", "page_types", "a-z", "max_total"), "", None, ("bytes",)),
        ("  search page", _kb("bytes", "page_types", "search", "max_total"), "", None, ("bytes",)),
        ("  first static search, largest index chunk", _kb("bytes", "first_search", "total"), "<= 200", _le(200),
         ("bytes",)),
        ("  first static search, median index chunk", _num("{:.1f}", lambda r: (
            _get(r, "bytes", "first_search", "total") - _get(r, "bytes", "first_search", "index_chunk_max")
            + _get(r, "bytes", "first_search", "index_chunk_median")) / 1024), "<= 200", _le(200), ("bytes",)),
        ("  search bundle files no page references", _num("{:.0f}", lambda r: _get(
            r, "bytes", "first_search", "stray_files")), "0", lambda v: v == 0, ("bytes",)),
        _header("PEAK MEMORY, MB (ru_maxrss)"),
        ("  index build process", _mb("index", "maxrss_kb"), "", None, ("index",)),
        ("  in-process search process", _mb("query", "maxrss_kb"), "", None, ("query",)),
        ("  gunicorn worker (largest)", _mb("http", "maxrss_kb"), "", None, ("http",)),
    ]
    if compare:
        out += [("  gunicorn worker, PORTAL_SEMANTIC_SEARCH=0", _mb("http", "lexical_only", "maxrss_kb"), "", None,
                 ("http",)),
                ("  semantic search's share (difference)", _mb("http", "semantic_memory_kb"), "", None, ("http",))]
    out += [
        ("  freeze process", _mb("freeze", "maxrss_kb"), "", None, ("freeze",)),
        ("  Pagefind (the larger of the two runs)", _mb("pagefind", "maxrss_kb"), "", None, ("pagefind",)),
        ("  MkDocs (child)", _mb("mkdocs", "maxrss_kb"), "", None, ("mkdocs",)),
        ("  SQLite FTS5 process", _mb("fts5", "maxrss_kb"), "", None, ("fts5",)),
    ]
    return out


def _pps(res: dict[str, Any]) -> tuple[str | None, float | None]:
    a, b = _get(res, "ratios", "freeze_pages_per_s"), _get(res, "ratios", "mkdocs_pages_per_s")
    return (None, None) if a is None or b is None else (f"{a:.0f} / {b:.0f}", None)


def _skipped(results: dict[str, Any], step: str) -> bool:
    skip = set(_get(results, "options", "skip") or ())
    return step in skip or PART_OF.get(step) in skip


def _failed(res: dict[str, Any], step: str) -> bool:
    return bool(_get(res, step, "error") or _get(res, PART_OF.get(step, step), "error"))


def cells(results: dict[str, Any]) -> list[tuple[Row, list[tuple[str, float | None, str]]]]:
    """Every row with, per size, its text, its number and its state: ok, skipped, failed or missing."""
    out = []
    for row in rows(results.get("options")):
        _label, cell, _target, _check, steps = row
        line = []
        for s in results["sizes"]:
            res = results["sizes"][s]
            try:
                text, value = cell(res)
            except (KeyError, TypeError, ZeroDivisionError):
                text, value = None, None
            if text is not None:
                line.append((text, value, "ok"))
            elif any(_skipped(results, step) for step in steps):
                line.append(("skipped", None, "skipped"))
            elif any(_failed(res, step) for step in steps):
                line.append(("FAILED", None, "failed"))
            else:
                line.append(("MISSING", None, "missing"))
        out.append((row, line))
    return out


def problems(results: dict[str, Any]) -> list[str]:
    """What the run should have measured and did not: a failed step, a step that skipped itself (only ``--skip``
    may leave one out), a number missing from a step's result."""
    out = []
    for s, res in results["sizes"].items():
        for step in STEP_RESULTS:
            if _skipped(results, step):
                continue
            if not isinstance(res.get(step), dict):
                if not _failed(res, step):
                    out.append(f"{s} articles: step {step} has no result")
                continue
            for what in ("error", "skipped"):
                if res[step].get(what):
                    out.append(f"{s} articles: step {step} {'failed' if what == 'error' else 'skipped itself'}: "
                               f"{str(res[step][what]).strip().splitlines()[-1][:300]}")
    sizes = list(results["sizes"])
    for (label, *_rest), line in cells(results):
        for s, (_text, _value, state) in zip(sizes, line, strict=True):
            if state == "missing":
                out.append(f"{s} articles: no number for '{label.strip()}'")
    return out


def table(results: dict[str, Any]) -> str:
    """The whole table, with machine facts on top and the reason of every failed step and note below."""
    sizes = list(results["sizes"])
    m = results.get("machine", {})
    lines = [f"machine: {m.get('nproc')} cores ({m.get('cpu')}), {m.get('memory')}, Python {m.get('python')}, "
             f"{m.get('date')}", ""]
    head = ["metric", *[f"{int(s):,} articles" for s in sizes], "target"]
    body: list[list[str]] = []
    for (label, _cell, target, check, _steps), line in cells(results):
        texts = []
        for text, value, state in line:
            if state == "ok" and check is not None and value is not None:
                text += " ok" if check(value) else " MISS"
            texts.append(text)
        body.append([label, *texts, target])
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines += [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*r) for r in body]
    for s in sizes:
        for step in STEP_RESULTS:
            for what in ("skipped", "error"):
                text = _get(results["sizes"][s], step, what)
                if text:
                    lines.append(f"note ({s}): {step} {what}: {str(text).strip().splitlines()[-1][:300]}")
            for note in _get(results["sizes"][s], step, "notes") or []:
                lines.append(f"note ({s}): {step}: {note}")
    skipped = _get(results, "options", "skip")
    if skipped:
        lines.append(f"skipped with --skip: {', '.join(skipped)}")
    found = problems(results)
    if found:
        lines += ["", f"PROBLEMS ({len(found)}): the run is incomplete", *(f"  {p}" for p in found)]
    return "\n".join(lines)
