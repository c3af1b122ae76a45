"""Lighthouse's accessibility score is 100 on one page of each type of the sample site (beside axe-core's zero
violations in tests/browser/test_public_browser.py): one run of Lighthouse from npm over all of them, in one
Chromium, offline. The run over every page type in every language is bench/lighthouse_bench.py."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.browser.conftest import CHROMIUM, ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]
RUNNER = ROOT / "tests" / "browser" / "lighthouse.mjs"
# One page of each type, in the languages that test the most: the right-to-left one, the minority language whose
# site's own words come from the Swedish catalogue, the easy-read pages (Swedish only).
PAGES = ("/", "/404.html", "/ar/", "/fit/category/barn-utbildning/", "/sv/forskoleplats/", "/ar/bibliotekskort/",
         "/sv/forskoleplats/lattlast/", "/sv/lattlast/", "/en/a-z/", "/fi/a-z/a/", "/sv/search/", "/ar/accessibility/")


def lighthouse(urls: list[str]) -> dict:
    """Lighthouse's accessibility results for *urls* (tests/browser/lighthouse.mjs), in one Chromium."""
    if not (ROOT / "node_modules" / "lighthouse").is_dir():
        pytest.fail("Lighthouse is missing: `bash scripts/setup.sh --test` installs it from npm")
    done = subprocess.run(["node", str(RUNNER), *urls], capture_output=True, text=True, timeout=600, check=False,
                          cwd=ROOT, env={**os.environ, "CHROME_PATH": CHROMIUM})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_lighthouse_accessibility_is_100_on_every_page_type(sample_site):
    _folder, url = sample_site
    results = lighthouse([url + path for path in PAGES])
    below = {page: r for page, r in results.items() if r["score"] != 1 or r["failed"] or r["errors"]}
    assert len(results) == len(PAGES)
    assert below == {}, json.dumps(below, ensure_ascii=False, indent=1)
