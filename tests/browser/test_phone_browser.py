"""The static site on a phone (390 x 844): every article's e-service button is on the first screen.

Built from the sample content, whose summaries and translations are as long as real ones, on a day its
site-wide notice is shown (the tallest first screen)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import LiveServer, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PHONE = {"width": 390, "height": 844}


def test_every_e_service_button_is_visible_without_scrolling_on_a_phone(browser, sample_site):
    folder, url = sample_site
    pages = sorted(p.parent.relative_to(folder).as_posix() for p in folder.glob("*/*/index.html")
                   if 'class="button button-start"' in p.read_text("utf-8"))
    assert len(pages) >= 100  # every language's e-service articles
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    below = []
    for rel in pages:
        page.goto(f"{url}/{rel}/")
        box = page.evaluate("""() => {
            const b = document.querySelector('.button-start').getBoundingClientRect();
            return {top: b.top, bottom: b.bottom, notice: !!document.querySelector('.notice'),
                    wide: document.documentElement.scrollWidth}; }""")
        assert box["notice"], rel  # measured with the notice up
        if box["bottom"] > PHONE["height"] or box["wide"] > PHONE["width"]:
            below.append((rel, round(box["bottom"]), box["wide"]))
            screenshot(page, "phone-below-fold-" + rel.replace("/", "-"))
    context.close()
    assert below == [], f"e-service button below the fold (or the page wider than the phone): {below}"


def test_phone_article_shows_title_summary_then_button(browser, sample_site):
    _folder, url = sample_site
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.goto(f"{url}/sv/bygglov/")
    order = page.evaluate("""() => ['h1', '.lead', '.button-start'].map(
        s => document.querySelector(s).getBoundingClientRect().top)""")
    assert order == sorted(order) and order[-1] < PHONE["height"]
    screenshot(page, "phone-article-bygglov")
    context.close()


def test_phone_test_corpus_fits_too(browser, tmp_path: Path):
    from tests.conftest import build_test_site

    site = build_test_site(tmp_path)
    live = LiveServer(folder=site)
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(f"{live.url}/sv/bygglov/")
        assert page.evaluate("() => document.querySelector('.button-start').getBoundingClientRect().bottom") <= 844
    finally:
        context.close()
        live.stop()
