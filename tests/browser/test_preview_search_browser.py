"""The preview's search is the published site's (issue 29): the same search script over a Pagefind bundle of the
current content, so an editor sees the hits and the "Menade du" a citizen will see, in a real browser."""

from __future__ import annotations

import os
import shutil

import pytest

from portal import create_app
from portal.site.previewsearch import PreviewSearch
from tests.browser.conftest import LiveServer, axe_violations, describe
from tests.browser.test_public_browser import built, search, server  # noqa: F401  (fixtures)
from tests.conftest import CORPUS, TODAY, git_init

pytestmark = pytest.mark.browser

# A title word, a question, a keyword's synonym, typos ("Menade du"), a word only in an article's body.
QUERIES = ["hur ansöker jag om bygglov", "dagis", "bygglv", "biblotekskort", "ritning"]


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    """`portal serve --dev` over a copy of the test corpus, its search bundle built."""
    tmp = tmp_path_factory.mktemp("preview-search")
    shutil.copytree(CORPUS, tmp / "articles")
    git_init(tmp / "articles")
    builder = PreviewSearch(tmp / "articles", tmp / "preview", tmp / "index", today=TODAY)
    app = create_app({"ARTICLES_DIR": tmp / "articles", "INDEX_DIR": tmp / "index", "TODAY": TODAY.isoformat(),
                      "SECRET_KEY": "x", "DATA_DIR": tmp / "data", "DEV": True, "RELOAD_CONTENT": True,
                      "PREVIEW_SEARCH": builder})
    assert builder.wait(180), builder.error
    live = LiveServer(app=app)
    live.builder, live.articles = builder, tmp / "articles"
    yield live
    live.stop()


def results(page, base: str, query: str) -> tuple[list[str], str]:
    links = search(page, base, "sv", query)
    hint = page.locator("#search-results .did-you-mean")
    return links, hint.inner_text() if hint.count() else ""


def test_the_preview_finds_what_the_published_site_finds(page, server, preview):  # noqa: F811
    hints = 0
    for query in QUERIES:
        published = results(page, server.url, query)
        previewed = results(page, preview.url, query)
        assert previewed == published, query
        hints += bool(published[1])
    assert hints, "no query showed a 'Menade du': the comparison would not cover it"
    assert axe_violations(page) == [], describe(axe_violations(page))


def test_the_preview_searches_the_content_as_it_is_now(page, preview):
    path = preview.articles / "bibliotekskort" / "sv.md"
    added = "category: kultur\nkeywords: [lånekortsförnyelse]"
    path.write_text(path.read_text("utf-8").replace("category: kultur", added, 1), "utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))
    page.goto(f"{preview.url}/_preview/generation")  # what the preview page's script polls after a save
    assert preview.builder.wait(180), preview.builder.error
    assert "/sv/bibliotekskort/" in search(page, preview.url, "sv", "lånekortsförnyelse")
