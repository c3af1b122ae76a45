"""Bytes a browser downloads from the built static site, gzipped (level 6, as a CDN would serve it).

* Per page type (home, article, category, A–Z, search): the HTML plus every stylesheet and script it
  references, each gzipped; median and largest page of the type.
* A first static search in one language: ``pagefind.js``, its web worker, ``pagefind-entry.json``, the
  language's WebAssembly and metadata file, one index chunk (the largest: an upper bound) and the
  fragments the site's search script loads for one query (up to 25 results, median fragment size), the
  lexicon's shard table and one shard (the largest) of the query rewriting (portal/build/staticlexicon.py).
  Pagefind's own files are already compressed; they count at their stored size.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

_IMPORT = re.compile(r'^import [^;]*? from "\./([\w.-]+\.js)";', re.M)
RESULTS_SHOWN = 25  # portal/static/public/search.js loads r.data() for the first 25 results


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "") and a.get("href"):
            self.urls.append(a["href"] or "")
        elif tag == "script" and a.get("src"):
            self.urls.append(a["src"] or "")


def gz(data: bytes) -> int:
    """Size of *data* gzipped at level 6."""
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def page_bytes(site: Path, page: Path) -> dict[str, int]:
    """Gzipped bytes of *page* and of the local CSS/JS it references."""
    html = page.read_bytes()
    parser = _Assets()
    parser.feed(html.decode("utf-8"))
    assets = 0
    seen: set[Path] = set()
    todo = [site / u.split("?", 1)[0].split("#", 1)[0].lstrip("/") for u in parser.urls if u.startswith("/")]
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        data = path.read_bytes()
        assets += gz(data)
        if path.suffix == ".js":  # a module's static imports load with the page too (search.js → searchplan.js)
            todo += [path.parent / m for m in _IMPORT.findall(data.decode("utf-8", errors="replace"))]
    return {"html": gz(html), "assets": assets, "total": gz(html) + assets}


def page_types(site: Path, lang: str = "sv") -> dict[str, list[Path]]:
    """The built pages of one language, grouped by page type."""
    root = site / lang
    reserved = {"a-z", "search", "accessibility", "category"}
    articles = [p / "index.html" for p in root.iterdir() if p.is_dir() and p.name not in reserved]
    return {
        "home": [root / "index.html"],
        "article": [p for p in articles if p.is_file()],
        "category": sorted((root / "category").glob("*/index.html")),
        "a-z": [root / "a-z" / "index.html"],
        "search": [root / "search" / "index.html"],
    }


def bytes_per_page_type(site: Path, lang: str = "sv") -> dict[str, dict[str, Any]]:
    """Median and largest gzipped total (HTML + CSS + JS) per page type."""
    out: dict[str, dict[str, Any]] = {}
    for kind, pages in page_types(site, lang).items():
        sizes = [page_bytes(site, p) for p in pages if p.is_file()]
        if not sizes:
            continue
        totals = sorted(s["total"] for s in sizes)
        out[kind] = {"pages": len(sizes), "median_total": int(statistics.median(totals)), "max_total": totals[-1],
                     "median_html": int(statistics.median(s["html"] for s in sizes)), "assets": sizes[0]["assets"]}
    return out


def first_search_bytes(site: Path, lang: str = "sv") -> dict[str, int]:
    """What one first search in *lang* downloads from the Pagefind bundle, part by part."""
    pf = site / "pagefind"

    def size(path: Path) -> int:
        data = path.read_bytes()
        return min(len(data), gz(data))

    chunks = sorted(p.stat().st_size for p in (pf / "index").glob(f"{lang}_*.pf_index"))
    fragments = [p.stat().st_size for p in (pf / "fragment").glob(f"{lang}_*.pf_fragment")]
    parts = {
        "pagefind.js": size(pf / "pagefind.js"),
        "pagefind-worker.js": size(pf / "pagefind-worker.js") if (pf / "pagefind-worker.js").is_file() else 0,
        "pagefind-entry.json": size(pf / "pagefind-entry.json"),
        "wasm": size(pf / f"wasm.{lang}.pagefind"),
        "pf_meta": sum(size(p) for p in pf.glob(f"pagefind.{lang}_*.pf_meta")),
        "index_chunk_max": chunks[-1] if chunks else 0,
        "fragments": int(statistics.median(fragments)) * min(RESULTS_SHOWN, len(fragments)) if fragments else 0,
    }
    # The query rewriting's lexicon (portal/build/staticlexicon.py): the shard table and, per word of the query, the
    # shard of its first letter(s); the largest shard here (an upper bound for a one-word query).
    lexicon = pf / "lexicon"
    shards = sorted(size(lexicon / name) for name in json.loads((lexicon / f"{lang}.json").read_text("utf-8"))
                    ["shards"].values()) if (lexicon / f"{lang}.json").is_file() else []
    parts["lexicon_table"] = size(lexicon / f"{lang}.json") if shards else 0
    parts["lexicon_shard_max"] = shards[-1] if shards else 0
    parts["total"] = sum(parts.values())
    parts["index_chunks"] = len(chunks)
    parts["index_chunk_median"] = int(statistics.median(chunks)) if chunks else 0
    parts["lexicon_shards"] = len(shards)
    parts["lexicon_shard_median"] = int(statistics.median(shards)) if shards else 0
    return parts


def site_bytes(site: Path, lang: str = "sv") -> dict[str, Any]:
    """Everything above for one built site."""
    total = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    return {"lang": lang, "page_types": bytes_per_page_type(site, lang), "first_search": first_search_bytes(site, lang),
            "site_bytes_on_disk": total}
