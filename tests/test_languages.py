"""Any BCP 47 language code in site.yml works end to end: its own name, its direction, dates from a fallback locale
where Babel has none, the site's own words from the configured catalogue (the national minority languages, Yiddish
right to left), language links as webbriktlinjer R17 asks."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from portal.content import languages
from portal.content.load import load_corpus
from portal.content.siteconfig import load_site
from portal.site import pipeline
from tests.conftest import CORPUS, TODAY, git_init

MINORITY = """languages:
  - {code: sv, name: Svenska, dir: ltr}
  - {code: en, name: English, dir: ltr}
  - {code: ar, name: العربية, dir: rtl}
  - {code: fit}
  - {code: se}
  - {code: sma, ui: en}
  - {code: smj, locale: nb}
  - {code: rmy}
  - {code: yi}
  - {code: fa}
"""


def site_with(tmp_path: Path, block: str) -> Path:
    """A copy of the test corpus whose site.yml publishes the languages in *block*."""
    root = tmp_path / "articles"
    shutil.copytree(CORPUS, root)
    text = (root / "site.yml").read_text("utf-8")
    text = re.sub(r"languages:\n(  - .*\n)+", block, text)
    (root / "site.yml").write_text(text, "utf-8")
    return root


@pytest.mark.parametrize(("code", "name", "direction", "locale"), [
    ("fit", "Meänkieli", "ltr", "fi"), ("se", "Davvisámegiella", "ltr", "se"),
    ("sma", "Åarjelsaemien gïele", "ltr", "sv"), ("smj", "Julevsámegiella", "ltr", "sv"),
    ("sju", "Ubmejesámiengiälla", "ltr", "sv"), ("rmy", "Romani chib", "ltr", "sv"),
    ("rom", "Romani chib", "ltr", "sv"), ("yi", "ייִדיש", "rtl", "yi"), ("fa", "فارسی", "rtl", "fa"),
    ("ur", "اردو", "rtl", "ur"), ("he", "עברית", "rtl", "he"), ("so", "Soomaali", "ltr", "so"),
    ("ckb", "کوردیی ناوەندی", "rtl", "ckb"), ("prs", "دری", "rtl", "fa"), ("uk", "Українська", "ltr", "uk"),
])
def test_what_the_product_knows_of_a_language(code: str, name: str, direction: str, locale: str) -> None:
    assert languages.own_name(code) == name
    assert languages.direction(code) == direction
    assert languages.date_locale(code, "sv") == locale


def test_site_yml_fills_in_name_direction_locale_and_ui(tmp_path: Path) -> None:
    problems: list = []
    site = load_site(site_with(tmp_path, MINORITY), problems)
    assert [p for p in problems if p.is_error] == [] and site is not None
    got = {lang.code: (lang.name, lang.dir, lang.locale, lang.ui) for lang in site.languages}
    assert got == {
        "sv": ("Svenska", "ltr", "sv", "sv"), "en": ("English", "ltr", "en", "en"),
        "ar": ("العربية", "rtl", "ar", "ar"),
        "fit": ("Meänkieli", "ltr", "fi", "sv"), "se": ("Davvisámegiella", "ltr", "se", "sv"),
        "sma": ("Åarjelsaemien gïele", "ltr", "sv", "en"), "smj": ("Julevsámegiella", "ltr", "nb", "sv"),
        "rmy": ("Romani chib", "ltr", "sv", "sv"), "yi": ("ייִדיש", "rtl", "yi", "sv"),
        "fa": ("فارسی", "rtl", "fa", "sv"),
    }


@pytest.mark.parametrize(("entry", "words"), [
    ("{code: fit, ui: xx}", "ui 'xx' has no UI catalogue"), ("{code: fit, locale: fit}", "locale 'fit' is not"),
    ("{code: fit, colour: red}", "unknown key 'colour' in a language; known: code, name, dir, locale, ui"),
    ("{code: Fit}", "language code 'Fit'"), ("{code: fit, dir: up}", "dir must be ltr or rtl"),
])
def test_bad_language_settings_are_errors_naming_the_line(tmp_path: Path, entry: str, words: str) -> None:
    root = site_with(tmp_path, f"languages:\n  - {{code: sv}}\n  - {entry}\n")
    problems: list = []
    load_site(root, problems)
    lines = (root / "site.yml").read_text("utf-8").splitlines()
    where = next(i for i, line in enumerate(lines, 1) if entry in line)
    assert [(p.line, p.is_error) for p in problems if words in p.message] == [(where, True)], problems


def test_a_minority_language_file_is_a_translation(tmp_path: Path) -> None:
    root = site_with(tmp_path, MINORITY)
    (root / "bygglov" / "fit.md").write_text("---\ntitle: Hakea rakennuslupaa\nsummary: Sie tarttet luvan.\n---\n"
                                              "Teksti.\n", "utf-8")
    corpus, problems = load_corpus(root, TODAY)
    assert corpus is not None and not [p for p in problems if p.is_error]
    assert corpus.articles["bygglov"].translations["fit"].title == "Hakea rakennuslupaa"


@pytest.fixture(scope="module")
def minority_client(tmp_path_factory):
    """The app over the test corpus published in the minority languages too (a Meänkieli translation of bygglov),
    its pages rendered from the corpus in memory."""
    from portal.web.app import create_app

    tmp = tmp_path_factory.mktemp("minority")
    root = site_with(tmp, MINORITY)
    (root / "bygglov" / "fit.md").write_text(
        "---\ntitle: Hakea rakennuslupaa\nsummary: Sie tarttet rakennusluvan.\nself_service:\n  needs: [BankID tai "
        "Freja eID+]\n---\nTeksti.\n", "utf-8")
    git_init(root)
    corpus, _ = pipeline.load(root)
    app = create_app({"TESTING": True, "ARTICLES_DIR": root, "INDEX_DIR": tmp / "index", "PUBLIC_CORPUS": corpus,
                      "TODAY": TODAY.isoformat(), "SECRET_KEY": "t", "DATA_DIR": tmp / "data"})
    return app.test_client()


def get(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("lang", "direction", "ui", "skip"), [
    ("fit", "ltr", "sv", "Hoppa till innehållet"), ("se", "ltr", "sv", "Hoppa till innehållet"),
    ("sma", "ltr", "en", "Skip to content"), ("rmy", "ltr", "sv", "Hoppa till innehållet"),
    ("yi", "rtl", "sv", "Hoppa till innehållet"), ("fa", "rtl", "sv", "Hoppa till innehållet"),
])
def test_every_page_type_works_in_a_language_without_a_catalogue(minority_client, lang, direction, ui, skip):
    for path in ("/{lang}/", "/{lang}/bygglov/", "/{lang}/bibliotekskort/", "/{lang}/a-z/", "/{lang}/search/",
                 "/{lang}/accessibility/", "/{lang}/category/bygga-bo/"):
        html = get(minority_client, path.format(lang=lang))
        assert f'<html lang="{lang}" dir="{direction}">' in html, path
        ui_dir = "rtl" if ui == "ar" else "ltr"
        assert f'<body lang="{ui}" dir="{ui_dir}">' in html, path  # the site's own words, marked as theirs
        assert skip in html, path


def test_content_in_the_page_language_is_marked_as_such(minority_client):
    html = get(minority_client, "/fit/bygglov/")
    assert '<div class="article-text" lang="fit" dir="ltr">' in html
    assert '<div class="article-body" lang="fit" dir="ltr">' in html
    fallback = get(minority_client, "/fit/bibliotekskort/")
    assert '<div class="article-text" lang="sv" dir="ltr"' in fallback
    assert "Meänkieli" in fallback[fallback.index('class="lang-fallback"'):]  # "not available in Meänkieli"


def test_right_to_left_pages_isolate_brands_times_and_swedish_text(minority_client):
    html = get(minority_client, "/yi/bygglov/")  # no Yiddish translation: Swedish text on a right-to-left page
    assert '<div class="article-body" lang="sv" dir="ltr">' in html
    assert '<bdi dir="ltr">08:00–17:00</bdi>' in html
    assert '<bdi dir="ltr">BankID</bdi>' in html


def test_dates_of_a_language_without_babel_data_come_from_its_fallback_locale(minority_client):
    html = get(minority_client, "/fit/bygglov/")
    found = re.search(r'<time datetime="[^"]+" lang="fit" dir="ltr">([^<]+)</time>', html)
    assert found and re.search(r"\d+\. \w+kuuta \d{4}", found.group(1)), found  # Finnish dates (locale: fi)


def test_language_links_are_written_in_the_target_language_without_flags(minority_client):
    html = get(minority_client, "/sv/bygglov/")
    bar = html[html.index('<nav class="languages"'):html.index("</nav>", html.index('<nav class="languages"'))]
    for code, name in (("fit", "Meänkieli"), ("se", "Davvisámegiella"), ("yi", "ייִדיש"), ("fa", "فارسی")):
        link = rf'<a href="/{code}/bygglov/" lang="{code}" dir="(ltr|rtl)" hreflang="{code}"[^>]*>{name}'
        assert re.search(link, bar), code
    assert "<img" not in bar and "flag" not in bar
    # A note is in the target language's own UI words: Meänkieli's are Swedish, and marked so.
    assert re.search(r'hreflang="se"[^>]*>Davvisámegiella <span class="lang-note" lang="sv">', bar)


def test_root_and_404_speak_every_catalogue_once(minority_client):
    root = get(minority_client, "/")
    prompts = re.findall(r'<span lang="([a-z]+)" dir="(?:ltr|rtl)">([^<]+)</span>', root)
    assert dict(prompts) == {"sv": "Välj språk", "en": "Choose your language", "ar": "اختر لغتك"}
    for code in ("fit", "se", "sma", "smj", "rmy", "yi", "fa"):
        assert f'lang="{code}"' in root and f'href="/{code}/"' in root
    missing = get(minority_client, "/404.html")
    assert missing.count('<section class="not-found"') == 3  # sv, en, ar: the others have no words of their own
    assert 'href="/fit/" lang="fit"' in missing and 'href="/sma/" lang="sma"' in missing
