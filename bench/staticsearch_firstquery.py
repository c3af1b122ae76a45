"""A citizen's first query on the static search page, in Chromium: what it downloads and how long it takes.

Usage::

    python bench/staticsearch_firstquery.py SITE [--delay MS]

For each query below, a fresh browser context (empty cache) opens the search page of its language, types the
query key by key (``--delay`` ms apart, default 80: a quick typist) and waits for the results of the whole
query. Reported per query: the bytes of every file the query made the browser fetch after the page had loaded
(gzipped at level 6 as a CDN would serve them; Pagefind's own compressed files at their stored size, as
bench/sitebytes.py counts them) and the milliseconds from the last key to the results on the page. Then the
same queries again in one warm page (what a second and later query costs in time).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.sitebytes import gz
from bench.staticsearch_quality import CHROMIUM, typed_results

QUERIES = [
    ("sv", "bygglov"), ("sv", "parkeringstillstånd"), ("sv", "hur ansöker jag om hemtjänst för min mamma"),
    ("sv", "vem ska skotta trottoaren utanför mitt hus"), ("sv", "när öppnar skolvalet"), ("sv", "tryghetslarm"),
    ("sv", "biblotekskort"), ("sv", "attefalshus"), ("sv", "hemtjänts"), ("sv", "tillstånd att servera alkohol"),
    ("en", "school bus for my child"), ("en", "building permit"),
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _size(site: Path, url: str) -> int:
    path = site / urlsplit(url).path.lstrip("/")
    if path.is_dir():
        path = path / "index.html"
    if not path.is_file():
        return 0
    data = path.read_bytes()
    return min(len(data), gz(data))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("site", type=Path, help="a built static site")
    ap.add_argument("--delay", type=float, default=80, help="ms between keys")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(args.site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    cold, warm = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
            for lang, q in QUERIES:
                context = browser.new_context()
                page = context.new_page()
                page.goto(f"{base}/{lang}/search/")
                page.wait_for_load_state("networkidle")
                seen: list[str] = []
                page.on("request", lambda r, seen=seen: seen.append(r.url))
                links, ms = typed_results(page, base, lang, q, args.delay)
                fetched = sum(_size(args.site, u) for u in dict.fromkeys(seen) if u.startswith(base))
                kinds = sorted({urlsplit(u).path.rsplit("/", 1)[-1].split(".")[-1] for u in seen})
                cold.append((fetched, ms))
                print(f"  {lang} {q!r:48s} {fetched / 1024:6.1f} KB  {ms:5.0f} ms  {len(set(seen)):3d} files "
                      f"({', '.join(kinds)})  top: {links[:1]}")
                context.close()
            page = browser.new_page()
            for lang, q in QUERIES:
                warm.append(typed_results(page, base, lang, q, args.delay)[1])
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    sizes = sorted(c[0] / 1024 for c in cold)
    times = sorted(c[1] for c in cold)
    print(f"first query: bytes median {statistics.median(sizes):.1f} KB, largest {sizes[-1]:.1f} KB; "
          f"last key to results median {statistics.median(times):.0f} ms, 90th percentile {_p90(times):.0f} ms, "
          f"largest {times[-1]:.0f} ms")
    warm.sort()
    print(f"later queries (warm page): last key to results median {statistics.median(warm):.0f} ms, "
          f"90th percentile {_p90(warm):.0f} ms, largest {warm[-1]:.0f} ms")
    print("later, each:", " ".join(f"{ms:.0f}" for ms in warm))


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


if __name__ == "__main__":
    main()
