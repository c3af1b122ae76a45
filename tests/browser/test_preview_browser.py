"""The editors' live preview in a real browser: the page reloads after a file is saved, and problems
in the content are shown on the page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal import create_app
from tests.browser.conftest import LiveServer, axe_violations, describe, screenshot
from tests.conftest import TODAY

pytestmark = pytest.mark.browser


def save(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text("utf-8").replace(old, new), "utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))


@pytest.fixture
def preview(corpus_dir: Path, tmp_path: Path, monkeypatch):
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):  # the panel speaks the content's language (Swedish)
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    app = create_app({"ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index", "TODAY": TODAY.isoformat(),
                      "SECRET_KEY": "x", "DATA_DIR": tmp_path / "data", "DEV": True, "RELOAD_CONTENT": True})
    server = LiveServer(app=app)
    yield server
    server.stop()


def test_preview_reloads_after_save_and_shows_problems(page, preview, corpus_dir: Path) -> None:
    page.goto(f"{preview.url}/sv/bygglov/")
    assert page.locator("h1").inner_text() == "Ansöka om bygglov"
    assert page.locator(".preview-panel h2").inner_text().startswith("Förhandsvisning: ")
    assert "granskningsdatumet review_by" in page.locator(".preview-panel").inner_text()  # the past review date

    save(corpus_dir / "bygglov" / "sv.md", "title: Ansöka om bygglov", "title: Söka bygglov för ditt hus")
    expect(page.locator("h1")).to_have_text("Söka bygglov för ditt hus", timeout=15_000)

    save(corpus_dir / "bygglov" / "sv.md", "related: [forskoleplats]", "related: [finns-inte]")
    expect(page.locator(".preview-panel")).to_contain_text("finns-inte", timeout=15_000)
    panel = page.locator(".preview-panel").inner_text()
    assert "bygglov/sv.md:14" in panel and "den relaterade artikeln 'finns-inte' finns inte" in panel
    assert axe_violations(page) == [], describe(axe_violations(page))
    screenshot(page, "preview-with-problems")

    # Front matter that cannot be read: the article as far as it goes, its problem at the top, not a 404.
    save(corpus_dir / "bygglov" / "sv.md", "summary: Du", "summary: [Du")
    expect(page.locator(".preview-problems")).to_contain_text("YAML-koden kan inte läsas", timeout=15_000)
    assert page.locator("h1").inner_text() == "bygglov" and page.locator(".article-body").is_visible()
    assert "bygglov/sv.md:" in page.locator(".preview-problems").inner_text()
    assert axe_violations(page) == [], describe(axe_violations(page))
    screenshot(page, "preview-article-with-broken-front-matter")


def test_preview_script_is_not_published(tmp_path: Path, corpus_dir: Path) -> None:
    from portal.site import pipeline

    out = tmp_path / "site"
    pipeline.build(corpus_dir, out, tmp_path / "index", TODAY)
    assert not list(out.rglob("preview.js"))
    assert not any(b"preview-panel" in p.read_bytes() for p in out.rglob("*.html"))
