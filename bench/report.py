"""The results of ``bench/run.py`` as a plain-text table: one column per size, targets checked.

A cell with a target reads ``value ok`` or ``value MISS`` (the targets are stated for 10,000 articles in two
languages on a 2-core machine; smaller sizes are checked against the same numbers for orientation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Row = tuple[str, Callable[[dict[str, Any]], tuple[str, float | None]], str, Callable[[float], bool] | None]


def _get(res: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if not isinstance(res, dict) or key not in res:
            return None
        res = res[key]
    return res


def _lat(*path: str) -> Callable[[dict[str, Any]], tuple[str, float | None]]:
    def cell(res: dict[str, Any]) -> tuple[str, float | None]:
        s = _get(res, *path)
        if not s:
            return "-", None
        return f"{s['p50']:.1f} / {s['p95']:.1f} / {s['p99']:.1f}", s["p95"]
    return cell


Cell = Callable[[dict[str, Any]], tuple[str, float | None]]


def _num(fmt: str, fn: Callable[[dict[str, Any]], float | None]) -> Cell:
    def cell(res: dict[str, Any]) -> tuple[str, float | None]:
        try:
            value = fn(res)
        except (KeyError, TypeError, ZeroDivisionError):
            value = None
        return ("-", None) if value is None else (fmt.format(value), float(value))
    return cell


def _kb(*path: str) -> Callable[[dict[str, Any]], tuple[str, float | None]]:
    return _num("{:.1f}", lambda r: _get(r, *path) / 1024)


def _mb(*path: str) -> Callable[[dict[str, Any]], tuple[str, float | None]]:
    return _num("{:.0f}", lambda r: _get(r, *path) / 1024)


def _le(limit: float) -> Callable[[float], bool]:
    return lambda v: v <= limit


def _ge(limit: float) -> Callable[[float], bool]:
    return lambda v: v >= limit


def rows() -> list[Row]:
    """(label, cell function, target text, target check) for every line of the table."""
    out: list[Row] = [("SEARCH latency, ms p50 / p95 / p99", lambda r: ("", None), "", None)]
    for kind, limit in (("words", 15), ("prefix", 15), ("typo", 50)):
        out.append((f"  HTTP agent, {kind}", _lat("http", "agent", kind), f"p95 <= {limit}", _le(limit)))
    for kind in ("words", "prefix", "typo"):
        out.append((f"  HTTP public, {kind}", _lat("http", "public", kind), "", None))
    for kind in ("words", "prefix", "typo"):
        out.append((f"  in-process agent, {kind}", _lat("query", "agent", kind), "", None))
    for kind in ("words", "prefix", "typo"):
        out.append((f"  SQLite FTS5, {kind}", _lat("fts5", "agent", kind), "floor", None))
    for kind in ("words", "prefix", "typo"):
        out.append((f"  in-process / FTS5 p95, {kind}", _num("{:.3g}x", lambda r, k=kind: _get(
            r, "ratios", f"search_{k}_p95_vs_fts5")), "ratio", None))
    out += [
        ("INDEX, seconds", lambda r: ("", None), "", None),
        ("  load + render content", _num("{:.1f}", lambda r: _get(r, "index", "load_s")), "", None),
        ("  full index build", _num("{:.1f}", lambda r: _get(r, "index", "index_s")), "<= 120", _le(120)),
        ("  1 changed article: load + full rebuild", _num("{:.1f}", lambda r: _get(r, "index", "changed_load_s")
                                                          + _get(r, "index", "changed_index_s")), "<= 2", _le(2)),
        ("  1 changed article: load + update_index", _num("{:.1f}", lambda r: _get(r, "index", "update_load_s")
                                                         + _get(r, "index", "update_index_s")), "<= 2", _le(2)),
        ("    of which update_index alone", _num("{:.2f}", lambda r: _get(r, "index", "update_index_s")), "", None),
        ("  load again, nothing changed (content cache)", _num("{:.1f}", lambda r: _get(r, "index", "warm_load_s")),
         "", None),
        ("  1 changed article: `portal index` (whole command)", _num("{:.1f}", lambda r: _get(
            r, "index", "cli_update_s")), "<= 2", _le(2)),
        ("  SQLite FTS5 build (read + insert)", _num("{:.1f}", lambda r: _get(r, "fts5", "build_s")), "", None),
        ("STATIC SITE", lambda r: ("", None), "", None),
        ("  pages (HTML files)", _num("{:.0f}", lambda r: _get(r, "freeze", "pages")), "", None),
        ("  full: load + freeze + Pagefind, s", _num("{:.1f}", lambda r: _get(r, "freeze", "load_s")
                                                     + _get(r, "freeze", "freeze_s")), "", None),
        ("  1 changed article: load + full re-freeze, s", _num("{:.1f}", lambda r: _get(
            r, "freeze", "changed_load_s") + _get(r, "freeze", "changed_freeze_s")), "<= 2", _le(2)),
        ("  Pagefind full rebuild alone, s", _num("{:.1f}", lambda r: _get(r, "pagefind", "pagefind_s")), "", None),
        ("  MkDocs build, s", _num("{:.1f}", lambda r: _get(r, "mkdocs", "build_s")), "", None),
        ("  pages/s: portal / MkDocs", _pps, "", None),
        ("  portal pages/s vs MkDocs", _num("{:.2f}x", lambda r: _get(r, "ratios", "freeze_vs_mkdocs_pages_per_s")),
         ">= 3x", _ge(3)),
        ("BYTES, KB gzipped (HTML + its CSS/JS)", lambda r: ("", None), "", None),
        ("  article page, median", _kb("bytes", "page_types", "article", "median_total"), "<= 25", _le(25)),
        ("  article page, largest", _kb("bytes", "page_types", "article", "max_total"), "<= 25", _le(25)),
        ("  home page", _kb("bytes", "page_types", "home", "max_total"), "", None),
        ("  category page, largest", _kb("bytes", "page_types", "category", "max_total"), "", None),
        ("  A-Z page", _kb("bytes", "page_types", "a-z", "max_total"), "", None),
        ("  search page", _kb("bytes", "page_types", "search", "max_total"), "", None),
        ("  first static search, largest index chunk", _kb("bytes", "first_search", "total"), "<= 200", _le(200)),
        ("  first static search, median index chunk", _num("{:.1f}", lambda r: (
            _get(r, "bytes", "first_search", "total") - _get(r, "bytes", "first_search", "index_chunk_max")
            + _get(r, "bytes", "first_search", "index_chunk_median")) / 1024), "<= 200", _le(200)),
        ("PEAK MEMORY, MB (ru_maxrss)", lambda r: ("", None), "", None),
        ("  index build process", _mb("index", "maxrss_kb"), "", None),
        ("  in-process search process", _mb("query", "maxrss_kb"), "", None),
        ("  gunicorn worker", _mb("http", "maxrss_kb"), "", None),
        ("  freeze process", _mb("freeze", "maxrss_kb"), "", None),
        ("  Pagefind (alone)", _mb("pagefind", "maxrss_kb"), "", None),
        ("  MkDocs (child)", _mb("mkdocs", "maxrss_kb"), "", None),
        ("  SQLite FTS5 process", _mb("fts5", "maxrss_kb"), "", None),
    ]
    return out


def _pps(res: dict[str, Any]) -> tuple[str, float | None]:
    a, b = _get(res, "ratios", "freeze_pages_per_s"), _get(res, "ratios", "mkdocs_pages_per_s")
    return ("-", None) if a is None or b is None else (f"{a:.0f} / {b:.0f}", None)


def table(results: dict[str, Any]) -> str:
    """The whole table, with machine facts on top."""
    sizes = list(results["sizes"])
    m = results.get("machine", {})
    lines = [f"machine: {m.get('nproc')} cores ({m.get('cpu')}), {m.get('memory')}, Python {m.get('python')}, "
             f"{m.get('date')}", ""]
    head = ["metric", *[f"{int(s):,} articles" for s in sizes], "target"]
    body: list[list[str]] = []
    for label, cell, target, check in rows():
        line = [label]
        for s in sizes:
            try:
                text, value = cell(results["sizes"][s])
            except (KeyError, TypeError, ZeroDivisionError):
                text, value = "-", None
            if check is not None and value is not None:
                text += " ok" if check(value) else " MISS"
            line.append(text)
        body.append([*line, target])
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines += [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*r) for r in body]
    for s in sizes:
        for step in ("index", "query", "fts5", "http", "freeze", "pagefind", "bytes", "mkdocs"):
            for what in ("skipped", "error"):
                text = _get(results["sizes"][s], step, what)
                if text:
                    lines.append(f"note ({s}): {step} {what}: {text.splitlines()[-1][:300]}")
    return "\n".join(lines)
