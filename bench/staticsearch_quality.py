"""How well the static site's search finds the expected article: tests/eval/queries.yml in Chromium.

Usage::

    python bench/staticsearch_quality.py [--site BUILT_SITE] [--verbose]

Without ``--site`` it builds ``articles/`` into a temporary folder first. The public queries of the evaluation
set (not the ``internal`` kind: the static site has no internal notes; the ``jargon`` kind only where the
expected articles are public) run three ways over the built site's
Pagefind bundles (portal/build/staticsearch.py): the small bundle alone (``pagefind/``), the full-text bundle alone
(``pagefind/full/``), and as the search page does it (the small bundle, the full text when it finds nothing).
success@k = the expected article is among the first k results; MRR over the first 10. A site built before
the two bundles existed has only ``pagefind/``: then only the first way runs. Pagefind has no typo
tolerance: the ``typo`` kind measures what prefixes and stems happen to catch.

``--typed`` runs the queries the way a citizen does instead: typed into the search page's box key by key
(``--delay`` ms between keys), the result links read from the page once it shows the results of the whole
query; it also reports the time from the last key to the results (median, 90th percentile, largest).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"

# mode "small": pagefind/ only; "full": pagefind/full/ only; "page": like portal/static/public/search.js.
SEARCH = """async ([q, mode]) => {
  if (!window.pf) { window.pf = await import('/pagefind/pagefind.js'); }
  let s;
  if (mode === 'full') {
    window.full = window.full || window.pf.createInstance({ basePath: '/pagefind/full/' });
    s = await window.full.search(q);
  } else {
    s = await window.pf.search(q);
    if (mode === 'page' && s.results.length === 0) {
      window.full = window.full || window.pf.createInstance({ basePath: '/pagefind/full/' });
      s = await window.full.search(q);
    }
  }
  const urls = [];
  for (const r of s.results.slice(0, 10)) { urls.push((await r.data()).url); }
  return urls;
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _results(site: Path, queries: list[dict], mode: str) -> list[list[str]]:
    from playwright.sync_api import sync_playwright

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    out: list[list[str]] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
            pages: dict[str, object] = {}
            for q in queries:
                lang = q.get("lang", "sv")
                if lang not in pages:
                    pages[lang] = browser.new_page()
                    pages[lang].goto(f"{base}/{lang}/search/")  # type: ignore[attr-defined]
                out.append(pages[lang].evaluate(SEARCH, [q["q"], mode]))  # type: ignore[attr-defined]
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return out


def typed_results(page, base: str, lang: str, query: str, delay: float = 0) -> tuple[list[str], float]:
    """Type *query* into the search page of *lang* and return its result links and the milliseconds from
    the last key to the results (the page sets ``data-done`` on the result box when it shows the first ones,
    and ``data-pending`` until the rest are in: the links are read then)."""
    if not page.url.startswith(f"{base}/{lang}/search/"):
        page.goto(f"{base}/{lang}/search/")
    box = page.locator("#q-page")
    box.fill("")
    # The time of the last key, as the page saw it (an input event), and no results shown yet.
    page.evaluate("() => { const b = document.getElementById('search-results'); delete b.dataset.done;"
                  " if (!window.lastKeyWatch) { window.lastKeyWatch = true; document.getElementById('q-page')"
                  ".addEventListener('input', () => { window.lastKey = performance.now(); }); } }")
    if delay:
        box.press_sequentially(query, delay=delay)
    else:
        box.fill(query)
    page.wait_for_function(
        "(q) => { const b = document.getElementById('search-results');"
        " return b.dataset.done && document.getElementById('q-page').value === q && b.dataset.query === q"
        " && !('pending' in b.dataset); }",
        arg=query, timeout=20000, polling=5)
    ms = page.evaluate("() => Number(document.getElementById('search-results').dataset.shownAt) - window.lastKey")
    links = page.eval_on_selector_all("#search-results .results > li > a:first-child",
                                      "els => els.map(e => e.getAttribute('href'))")
    return links, max(0.0, ms)


def _typed(site: Path, queries: list[dict], delay: float) -> tuple[list[list[str]], list[float]]:
    from playwright.sync_api import sync_playwright

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    out: list[list[str]] = []
    times: list[float] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
            page = browser.new_page()
            for q in queries:
                links, ms = typed_results(page, base, q.get("lang", "sv"), q["q"], delay)
                out.append(links)
                times.append(ms)
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return out, times


def score(queries: list[dict], results: list[list[str]]) -> tuple[dict[str, dict[str, float]], list[str]]:
    """success@1/3/10 and MRR per kind and overall; the queries whose article is not in the first 3 (with
    its rank, '-' when not in the first 10)."""
    kinds: dict[str, list[float]] = {}
    misses = []
    for q, urls in zip(queries, results, strict=True):
        lang = q.get("lang", "sv")
        want = {f"/{lang}/{e}/" for e in q["expect"]}
        rank = next((i + 1 for i, u in enumerate(urls) if u in want), 0)
        for kind in (q["kind"], "overall"):
            k = kinds.setdefault(kind, [0, 0, 0, 0, 0.0])
            k[0] += 1
            k[1] += rank == 1
            k[2] += 0 < rank <= 3
            k[3] += rank > 0
            k[4] += 1 / rank if rank else 0.0
        if not 0 < rank <= 3:
            misses.append(f"{lang}: {q['q']} ({rank or '-'})")
    kinds["overall"] = kinds.pop("overall")  # last
    table = {kind: {"n": v[0], "s@1": v[1] / v[0], "s@3": v[2] / v[0], "s@10": v[3] / v[0], "mrr": v[4] / v[0]}
             for kind, v in kinds.items()}
    return table, misses


def public_queries(queries: list[dict], articles: Path) -> list[dict]:
    """The queries a citizen could ask: the public ones, and the agents' jargon whose expected articles are
    all public (a citizen who heard the word on the phone types it too)."""
    public = set()
    for source in articles.glob("*/sv.md"):
        head = source.read_text("utf-8").split("---", 2)[1]
        if (yaml.safe_load(head) or {}).get("audience", "public") == "public":
            public.add(source.parent.name)
    return [q for q in queries if not q.get("internal")
            or (q["kind"] == "jargon" and all(e in public for e in q["expect"]))]


def _print(title: str, table: dict[str, dict[str, float]], misses: list[str], verbose: bool) -> None:
    print(title)
    for kind, v in table.items():
        print(f"  {kind:11s} n={v['n']:3d}  s@1 {v['s@1']:.3f}  s@3 {v['s@3']:.3f}  s@10 {v['s@10']:.3f}"
              f"  MRR {v['mrr']:.3f}")
    if verbose:
        print("  missed:", "; ".join(misses))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--site", type=Path, help="a built static site (default: build articles/ now)")
    ap.add_argument("--verbose", action="store_true", help="list the queries each way misses")
    ap.add_argument("--typed", action="store_true", help="type each query into the search page instead")
    ap.add_argument("--delay", type=float, default=0, help="with --typed: ms between keys (0: all at once)")
    ap.add_argument("--queries", type=Path, default=ROOT / "tests/eval/queries.yml", help="the query set")
    args = ap.parse_args()
    queries = public_queries(yaml.safe_load(args.queries.read_text()), ROOT / "articles")
    tmp = None
    site = args.site
    if site is None:
        sys.path.insert(0, str(ROOT))
        from portal.site import pipeline

        tmp = Path(tempfile.mkdtemp(prefix="staticsearch-quality-"))
        pipeline.build(ROOT / "articles", tmp / "site", tmp / "index")
        site = tmp / "site"
    try:
        if args.typed:
            results, times = _typed(site, queries, args.delay)
            _print("typed into the search page", *score(queries, results), args.verbose)
            times.sort()
            print(f"  last key to results: median {times[len(times) // 2]:.0f} ms, 90th percentile "
                  f"{times[int(len(times) * 0.9)]:.0f} ms, largest {times[-1]:.0f} ms ({len(times)} queries)")
            return
        modes = [("small", "small bundle alone (pagefind/)")]
        if (site / "pagefind/full/pagefind.js").is_file():
            modes += [("full", "full-text bundle alone (pagefind/full/)"),
                      ("page", "the search page: small bundle, full text when it finds nothing")]
        for mode, title in modes:
            _print(title, *score(queries, _results(site, queries, mode)), args.verbose)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
