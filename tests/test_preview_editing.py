"""The editors' preview (`portal serve --dev`, issue 29): an article with an error is shown as far as it can be,
with its problems at the top in the editor's language, instead of the site's 404 page."""

from __future__ import annotations

import html
import os
from pathlib import Path

import pytest

from portal import create_app
from tests.conftest import TODAY


@pytest.fixture(autouse=True)
def no_locale(monkeypatch) -> None:
    """The preview speaks the content's language unless the locale names another: no locale here."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def preview(corpus_dir: Path, tmp_path: Path):
    app = create_app({"ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index", "TODAY": TODAY.isoformat(),
                      "SECRET_KEY": "x", "DATA_DIR": tmp_path / "data", "DEV": True, "RELOAD_CONTENT": True})
    return app.test_client()


def save(path: Path, text: str) -> None:
    path.write_text(text, "utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))  # a later time, as an editor's save


def page(client, url: str) -> tuple[int, str]:
    r = client.get(url)
    return r.status_code, html.unescape(r.get_data(as_text=True))


def test_an_article_whose_front_matter_breaks_is_shown_with_its_error_at_the_top(preview, corpus_dir: Path) -> None:
    path = corpus_dir / "bygglov" / "sv.md"
    good = path.read_text("utf-8")
    assert page(preview, "/sv/bygglov/")[0] == 200
    save(path, good.replace("summary: ", "summary: [oavslutad ", 1))
    status, text = page(preview, "/sv/bygglov/")
    assert status == 200
    top = text.index('class="preview-problems"')
    assert "Artikeln har problem" in text[top:] and "YAML-koden kan inte läsas" in text[top:]
    assert "bygglov/sv.md:" in text[top:text.index("</section>", top)]
    assert "Du som vill bygga ett nytt hus" in text[top:]  # the body, as far as it can be rendered
    assert "<h1>Ansöka om bygglov</h1>" not in text  # the title could not be read: the id stands in
    assert "<h1>bygglov</h1>" in text
    for other in ("Page not found", "Sidan finns inte"):  # not the site's 404 page in every language
        assert other not in text
    assert 'lang="sv"' in text[text.index('class="preview-panel"') - 40:text.index('class="preview-panel"') + 200]
    # Fixed: the article as usual.
    save(path, good)
    status, text = page(preview, "/sv/bygglov/")
    assert status == 200 and "preview-problems" not in text and "<h1" in text


def test_an_article_with_an_unknown_category_keeps_its_text_and_links(preview, corpus_dir: Path) -> None:
    path = corpus_dir / "bygglov" / "sv.md"
    save(path, path.read_text("utf-8").replace("category: bygga-bo", "category: bygga-boo"))
    status, text = page(preview, "/en/bygglov/")
    assert status == 200
    assert "okänd kategori 'bygga-boo'. Menade du 'bygga-bo'?" in text
    assert "Apply for a building permit" in text  # the English version, read as far as it goes
    assert page(preview, "/sv/finns-inte/")[0] == 404  # no folder: the real 404


def test_the_panel_speaks_the_editors_language_with_this_articles_problems_first(corpus_dir: Path,
                                                                                  tmp_path: Path) -> None:
    for name in ("bibliotekskort", "forskoleplats"):  # bibliotekskort's problem sorts first in the list
        path = corpus_dir / name / "sv.md"
        path.write_text(path.read_text("utf-8") + "\n[x](article:bygglv)\n", "utf-8")
    config = {"ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index", "TODAY": TODAY.isoformat(),
              "SECRET_KEY": "x", "DATA_DIR": tmp_path / "data", "DEV": True, "RELOAD_CONTENT": True}
    status, text = page(create_app(config).test_client(), "/sv/forskoleplats/")
    panel = text[text.index('class="preview-panel"'):text.index("</aside>")]
    items = panel.split("<li")[1:]
    assert status == 200 and f"Förhandsvisning: {len(items)} problem i innehållet" in panel
    assert ["forskoleplats/sv.md" in i for i in items[:3]] == [True, True, False]  # the review date, the link
    assert "Menade du 'bygglov'?" in items[1] and "bibliotekskort/sv.md" in items[2]  # then the others, in order
    status, text = page(create_app({**config, "EDITOR_LANG": "en"}).test_client(), "/sv/forskoleplats/")
    assert f"Preview: {len(items)} problem(s) in the content" in text and "Did you mean 'bygglov'?" in text
