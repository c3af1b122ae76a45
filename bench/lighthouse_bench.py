"""Lighthouse's accessibility score on every page type in every language of the sample site (issue 30).

Builds `articles/` (on a day its site-wide notice is shown), serves it on loopback and runs Lighthouse from npm
(tests/browser/lighthouse.mjs: one Chromium, offline) over one page of each type in each language, the
easy-read pages, the root page and 404. Prints a table and the audits that failed; exits 1 when any page scores
below 100. The suite's test (tests/browser/test_lighthouse_browser.py) runs a sample of these pages.

    CHROME_PATH=/usr/bin/chromium .venv/bin/python bench/lighthouse_bench.py [--out bench/out/lighthouse.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAY = dt.date(2026, 12, 5)
TYPES = {"home": "/{lang}/", "category": "/{lang}/category/barn-utbildning/", "article": "/{lang}/forskoleplats/",
         "e-service article": "/{lang}/bygglov/", "fallback": "/{lang}/bibliotekskort/", "a-z": "/{lang}/a-z/",
         "a-z letter": "/{lang}/a-z/{letter}/", "search": "/{lang}/search/",
         "accessibility": "/{lang}/accessibility/"}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def main() -> int:
    """Build, serve, run Lighthouse over every page, print the table; 1 when a page scores under 100."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write every result as JSON here too")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from portal.content.load import load_corpus
    from portal.site import pipeline

    corpus, _ = load_corpus(ROOT / "articles", DAY)
    assert corpus is not None
    langs = corpus.site.language_codes
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        started = time.monotonic()
        pipeline.build(ROOT / "articles", site, Path(tmp) / "index", today=DAY)
        built = time.monotonic() - started
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        pages: list[tuple[str, str, str]] = [("", "root", "/"), ("", "404", "/404.html")]
        for lang in langs:
            letter = sorted(p.name for p in (site / lang / "a-z").iterdir() if p.is_dir())[0]
            pages.extend((lang, kind, path.format(lang=lang, letter=letter)) for kind, path in TYPES.items())
        source = corpus.site.source_language
        pages += [(source, "easy-read", f"/{source}/forskoleplats/lattlast/"), (source, "easy-read index",
                                                                                  f"/{source}/lattlast/")]
        started = time.monotonic()
        done = subprocess.run(["node", str(ROOT / "tests/browser/lighthouse.mjs"), *(base + p for _l, _k, p in pages)],
                              capture_output=True, text=True, cwd=ROOT, check=False,
                              env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")})
        took = time.monotonic() - started
        server.shutdown()
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return 2
    results = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"sample site built in {built:.0f} s; Lighthouse {len(pages)} pages in {took:.0f} s "
          f"({took / len(pages):.1f} s a page, one Chromium)\n")
    print("| language | page type | path | accessibility | failed audits |\n| --- | --- | --- | --- | --- |")
    below = 0
    for lang, kind, path in pages:
        r = results[base + path]
        score = round(r["score"] * 100) if r["score"] is not None else "n/a"
        below += score != 100
        failed = ", ".join(f"{a['id']} ({'; '.join(n for n in a['nodes'] if n)})" for a in r["failed"]) or "none"
        print(f"| {lang or '—'} | {kind} | `{path}` | {score} | {failed} |")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")
    print(f"\n{len(pages) - below} of {len(pages)} pages score 100")
    return 1 if below else 0


if __name__ == "__main__":
    raise SystemExit(main())
