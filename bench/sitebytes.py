"""Bytes a browser downloads from the built static site, gzipped (level 6, as a CDN would serve it).

Measured on the site as ``portal build`` (``freeze_site``) published it, and only from what its pages reference:

* Per page type (home, article, category, A–Z, search): the HTML plus every stylesheet and script it
  references, each gzipped; median and largest page of the type.
* A first static search in one language. The search page names the bundle (``data-bundle`` on the search
  box, ``/pagefind/``); its script (``portal/static/public/search.js``) imports ``pagefind.js`` from it, which
  loads its web worker, ``pagefind-entry.json``, and for the page's language the WebAssembly and the metadata
  file the entry names (``pagefind.<hash>.pf_meta``). The metadata lists the index chunks and the pages
  (fragments) of *that* generation of the bundle: only those count, so files another Pagefind run left in
  the folder cannot inflate the figure (they are counted as ``stray_files``, which a published site must not
  have). Then one index chunk (the largest: an upper bound), the fragments the search script loads for one
  query (``SHOWN`` in search.js, 25, at the median fragment size), the lexicon's shard table and one shard
  (the largest) of the query rewriting (portal/build/staticlexicon.py, fetched from ``<bundle>lexicon/``).
  Pagefind's own files are already compressed; they count at their stored size. The full-text bundle
  (``<bundle>full/``) is asked only when the small one finds nothing: not part of a first search.
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
_BUNDLE = re.compile(r'\bdata-bundle="([^"]+)"')
PAGEFIND_SIGNATURE = b"pagefind_dcd"  # what Pagefind's files start with once gunzipped


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


def page_assets(site: Path, page: Path) -> list[Path]:
    """The local stylesheets and scripts *page* loads, with the modules its scripts import (search.js →
    searchplan.js), each once; a referenced file that is not in the site is an error."""
    parser = _Assets()
    parser.feed(page.read_text("utf-8"))
    out: list[Path] = []
    todo = [site / u.split("?", 1)[0].split("#", 1)[0].lstrip("/") for u in parser.urls if u.startswith("/")]
    while todo:
        path = todo.pop(0)
        if path in out:
            continue
        if not path.is_file():
            raise FileNotFoundError(f"{page} references {path}, which is not in the site")
        out.append(path)
        if path.suffix == ".js":
            todo += [path.parent / m for m in _IMPORT.findall(path.read_text("utf-8", errors="replace"))]
    return out


def page_bytes(site: Path, page: Path) -> dict[str, int]:
    """Gzipped bytes of *page* and of the local CSS/JS it references."""
    html = gz(page.read_bytes())
    assets = sum(gz(path.read_bytes()) for path in page_assets(site, page))
    return {"html": html, "assets": assets, "total": html + assets}


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


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise FileNotFoundError(f"the published static search needs {path}, which is missing")
    return json.loads(path.read_text("utf-8"))


def _cbor(data: bytes, i: int = 0) -> tuple[Any, int]:
    """One CBOR item of *data* at *i* (definite lengths only, as Pagefind writes them) and where it ends."""
    major, info = data[i] >> 5, data[i] & 31
    i += 1
    if info < 24:
        n = info
    elif info <= 27:
        width = 1 << (info - 24)
        n, i = int.from_bytes(data[i:i + width], "big"), i + width
    else:
        raise ValueError(f"unsupported CBOR item (major type {major}, additional info {info})")
    if major in (0, 1):
        return (n if major == 0 else -1 - n), i
    if major in (2, 3):
        raw = data[i:i + n]
        return (raw.decode("utf-8") if major == 3 else raw), i + n
    if major in (4, 5):
        items = []
        for _ in range(n * (2 if major == 5 else 1)):
            item, i = _cbor(data, i)
            items.append(item)
        return (items if major == 4 else dict(zip(items[::2], items[1::2], strict=True))), i
    if major == 7:
        return {20: False, 21: True, 22: None}.get(info, n), i
    raise ValueError(f"unsupported CBOR major type {major}")


def pagefind_meta(path: Path) -> dict[str, list[str]]:
    """The index chunks and pages (fragments) one Pagefind metadata file (``.pf_meta``) lists, by hash."""
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(PAGEFIND_SIGNATURE):
        raise ValueError(f"{path} is not a Pagefind metadata file")
    meta, _ = _cbor(data, len(PAGEFIND_SIGNATURE))
    # [version, pages [[hash, words], ...], index chunks [[from, to, hash], ...], filters, sorts, meta fields]
    return {"version": meta[0], "pages": [p[0] for p in meta[1]], "chunks": [c[2] for c in meta[2]]}


def bundle_url(site: Path, lang: str = "sv") -> str:
    """The Pagefind bundle the search page of *lang* uses (its search box's ``data-bundle``)."""
    page = site / lang / "search" / "index.html"
    found = _BUNDLE.search(page.read_text("utf-8")) if page.is_file() else None
    if not found:
        raise ValueError(f"{page} names no search bundle (data-bundle)")
    return found.group(1)


def search_script_constant(site: Path, name: str, lang: str = "sv") -> int:
    """A numeric constant (``const NAME = 25;``) of the scripts the search page loads (search.js and its imports)."""
    page = site / lang / "search" / "index.html"
    for script in page_assets(site, page):
        if script.suffix == ".js":
            found = re.search(rf"^const {name} = (\d+);", script.read_text("utf-8", errors="replace"), re.M)
            if found:
                return int(found.group(1))
    raise ValueError(f"the search page's scripts define no {name}")


def bundle_files(bundle: Path) -> dict[str, Any]:
    """What ``pagefind-entry.json`` of *bundle* references, per language, and the index, fragment and metadata
    files in the folder that no language of it references (left by another Pagefind run)."""
    entry = _read_json(bundle / "pagefind-entry.json")
    langs: dict[str, dict[str, Any]] = {}
    for lang, info in entry["languages"].items():
        meta_path = bundle / f"pagefind.{info['hash']}.pf_meta"
        if not meta_path.is_file():
            raise FileNotFoundError(f"{bundle / 'pagefind-entry.json'} names {meta_path.name}, which is missing")
        meta = pagefind_meta(meta_path)
        langs[lang] = {"meta": meta_path, "wasm": bundle / f"wasm.{info['wasm']}.pagefind",
                       "chunks": [bundle / "index" / f"{h}.pf_index" for h in meta["chunks"]],
                       "fragments": [bundle / "fragment" / f"{h}.pf_fragment" for h in meta["pages"]]}
        missing = [p for p in [langs[lang]["wasm"], *langs[lang]["chunks"], *langs[lang]["fragments"]]
                   if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"{meta_path} references {len(missing)} missing file(s), e.g. {missing[0]}")
    used = {p for files in langs.values() for p in [files["meta"], *files["chunks"], *files["fragments"]]}
    present = [*bundle.glob("*.pf_meta"), *(bundle / "index").glob("*.pf_index"),
               *(bundle / "fragment").glob("*.pf_fragment")]
    return {"languages": langs, "stray": sorted(p for p in present if p not in used)}


def first_search_bytes(site: Path, lang: str = "sv") -> dict[str, Any]:
    """What one first search in *lang* downloads from the published Pagefind bundle, part by part."""
    url = bundle_url(site, lang)
    pf = site / url.strip("/")
    shown = search_script_constant(site, "SHOWN", lang)

    def size(path: Path) -> int:
        data = path.read_bytes()
        return min(len(data), gz(data))

    small = bundle_files(pf)
    if lang not in small["languages"]:
        raise ValueError(f"{pf / 'pagefind-entry.json'} has no index for language {lang!r}")
    mine = small["languages"][lang]
    chunks = sorted(p.stat().st_size for p in mine["chunks"])
    fragments = [p.stat().st_size for p in mine["fragments"]]
    parts: dict[str, Any] = {
        "pagefind.js": size(pf / "pagefind.js"),
        "pagefind-worker.js": size(pf / "pagefind-worker.js") if (pf / "pagefind-worker.js").is_file() else 0,
        "pagefind-entry.json": size(pf / "pagefind-entry.json"),
        "wasm": size(mine["wasm"]),
        "pf_meta": size(mine["meta"]),
        "index_chunk_max": chunks[-1] if chunks else 0,
        "fragments": int(statistics.median(fragments)) * min(shown, len(fragments)) if fragments else 0,
    }
    # The query rewriting's lexicon (portal/build/staticlexicon.py): the shard table and, per word of the query, the
    # shard of its first letter(s); the largest shard here (an upper bound for a one-word query).
    lexicon = pf / "lexicon"
    table = _read_json(lexicon / f"{lang}.json")
    shards = sorted(size(lexicon / name) for name in table["shards"].values())
    parts["lexicon_table"] = size(lexicon / f"{lang}.json")
    parts["lexicon_shard_max"] = shards[-1] if shards else 0
    parts["total"] = sum(parts.values())
    full = pf / "full"
    stray = small["stray"] + (bundle_files(full)["stray"] if (full / "pagefind-entry.json").is_file() else [])
    parts.update({"bundle": url, "pagefind_version": pagefind_meta(mine["meta"])["version"],
                  "results_loaded": min(shown, len(fragments)), "pages": len(fragments),
                  "index_chunks": len(chunks), "index_chunk_median": int(statistics.median(chunks)) if chunks else 0,
                  "fragment_median": int(statistics.median(fragments)) if fragments else 0,
                  "lexicon_shards": len(shards),
                  "lexicon_shard_median": int(statistics.median(shards)) if shards else 0,
                  "stray_files": len(stray), "stray_examples": [str(p.relative_to(site)) for p in stray[:3]]})
    return parts


def site_bytes(site: Path, lang: str = "sv") -> dict[str, Any]:
    """Everything above for one built site."""
    total = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    return {"lang": lang, "page_types": bytes_per_page_type(site, lang), "first_search": first_search_bytes(site, lang),
            "site_bytes_on_disk": total}
