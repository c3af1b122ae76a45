"""The public site as served live (the preview that Frozen-Flask freezes)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from portal.web.i18n import ensure_compiled, translations_folder
from portal.web.public import collation_key
from portal.web.state import get_state
from tests.conftest import MARKERS

PAGES = ("/{lang}/", "/{lang}/a-z/", "/{lang}/a-z/a/", "/{lang}/search/", "/{lang}/accessibility/",
         "/{lang}/category/bygga-bo/", "/{lang}/bygglov/", "/{lang}/forskoleplats/", "/{lang}/bibliotekskort/")
LANGS = (("sv", "ltr"), ("en", "ltr"), ("ar", "rtl"))


def text(client, url: str, status: int = 200) -> str:
    """GET *url*, check the status, return the body."""
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("lang", "direction"), LANGS)
def test_every_page_type_has_lang_dir_notice_and_no_inline_code(client, lang, direction):
    for pattern in PAGES:
        html = text(client, pattern.format(lang=lang))
        assert f'<html lang="{lang}" dir="{direction}">' in html
        assert 'class="notice"' in html
        assert "style=" not in html and "<style" not in html
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/ld+json"' in tag, tag
        assert 'rel="canonical"' in html


def test_root_lists_every_language(client):
    html = text(client, "/")
    for code in ("sv", "en", "ar"):
        assert f'href="/{code}/"' in html
    assert 'src="/static/public/root.js"' in html


def test_ui_strings_come_from_the_catalogues(client):
    assert "Hoppa till innehållet" in text(client, "/sv/")
    assert "Skip to content" in text(client, "/en/")
    assert "انتقل إلى المحتوى" in text(client, "/ar/")
    assert "Tillgänglighetsredogörelse" in text(client, "/sv/accessibility/")


def test_catalogues_compile_when_missing_or_stale(tmp_path: Path):
    cache = tmp_path / "locale"
    langs = ensure_compiled(translations_folder(), cache)
    assert {"sv", "en", "ar", "fi"} <= set(langs)
    mo = cache / "fi" / "LC_MESSAGES" / "messages.mo"
    assert mo.is_file()
    stamp = mo.stat().st_mtime_ns
    ensure_compiled(translations_folder(), cache)
    assert mo.stat().st_mtime_ns == stamp  # fresh: not rewritten
    src = tmp_path / "src" / "fi" / "LC_MESSAGES"
    src.mkdir(parents=True)
    (src / "messages.po").write_bytes((translations_folder() / "fi/LC_MESSAGES/messages.po").read_bytes())
    ensure_compiled(tmp_path / "src", cache)
    assert mo.stat().st_mtime_ns >= stamp


def test_article_page_shape_start_button_then_body_then_contact_then_related(client):
    html = text(client, "/sv/bygglov/")
    html = html[html.index("<main"):]
    # the button right under the summary (on a phone it is on the first screen), then what the citizen needs
    order = [html.index(s) for s in ("<h1", 'class="start"', 'class="button button-start"',
                                     'href="https://e.testby.se/bygglov"', "Du behöver:", 'class="article-body"',
                                     'class="help"', 'href="tel:0123456700"', "kontaktcenter@testby.se",
                                     'class="related"')]
    order.append(html.rindex('href="/sv/forskoleplats/"'))
    assert order == sorted(order)
    assert "BankID</li>" in html and "En ritning" in html  # the editor's own words
    assert "för att logga in" not in html  # ... so the login method is not repeated
    assert "BankID för att logga in" in text(client, "/sv/forskoleplats/")
    assert "Öppet i dag" in html and "08:00–17:00" in html
    assert '<time datetime="' in html  # last updated, from git
    assert 'href="ritning.pdf"' in html


def test_structured_data(client):
    html = text(client, "/en/bygglov/")
    blocks = [json.loads(b) for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]
    types = {b["@type"]: b for b in blocks}
    assert types["GovernmentService"]["availableChannel"][0]["serviceUrl"] == "https://e.testby.se/bygglov"
    assert types["GovernmentService"]["url"] == "https://www.testby.se/en/bygglov/"
    crumbs = types["BreadcrumbList"]["itemListElement"]
    assert [c["position"] for c in crumbs] == [1, 2, 3]
    assert "GovernmentService" not in text(client, "/sv/bibliotekskort/")


def test_missing_translation_falls_back_to_the_source_text(client):
    html = text(client, "/en/bibliotekskort/")
    assert "This page is not available in English. Here it is in Swedish." in html
    assert '<div class="article-body" lang="sv" dir="ltr">' in html
    assert '<link rel="canonical" href="https://www.testby.se/sv/bibliotekskort/">' in html
    assert 'hreflang="en" href="https://www.testby.se/en/bibliotekskort/"' not in html
    assert 'hreflang="sv" href="https://www.testby.se/sv/bibliotekskort/"' in html
    # the switcher says so, in the target language
    sv = text(client, "/sv/bibliotekskort/")
    # (an icon on a phone, the words in the link: tests/browser/test_languages_browser.py)
    note = r'<span class="lang-note"><svg class="lang-note-icon" aria-hidden="true"[^>]*>.*?</svg>' \
           r'<span class="lang-note-text">'
    assert re.search(r'href="/en/bibliotekskort/"[^>]*>English ' + note + r'\(not translated\)', sv)
    assert re.search(r'href="/ar/bibliotekskort/"[^>]*>العربية ' + note + r'\(غير مترجم\)', sv)


def test_outdated_translation_is_flagged(app, client):
    with app.app_context():
        get_state().corpus().articles["bygglov"].translations["en"].outdated = True
    html = text(client, "/en/bygglov/")
    assert "This translation may be out of date" in html
    assert 'href="/sv/bygglov/"' in html
    assert "(översättningen kan vara inaktuell)" not in html
    assert "(translation may be out of date)" in text(client, "/sv/bygglov/")


def test_language_switcher_goes_to_the_same_article(client):
    html = text(client, "/sv/bygglov/")
    assert re.search(r'<a href="/en/bygglov/" lang="en" dir="ltr" hreflang="en">English</a>', html)
    assert re.search(r'<a href="/ar/bygglov/" lang="ar" dir="rtl" hreflang="ar">العربية</a>', html)
    assert 'href="/sv/bygglov/" lang="sv" dir="ltr" hreflang="sv" aria-current="page"' in html


def test_home_leads_with_search_then_featured_then_categories(client):
    html = text(client, "/sv/")
    html = html[html.index("<main"):]
    order = [html.index(s) for s in ('role="search"', "Populära e-tjänster", 'href="/sv/bygglov/"',
                                     "Kategorier", 'href="/sv/category/bygga-bo/"')]
    assert order == sorted(order)


def test_not_public_things_are_not_served(client):
    for url in ("/sv/hemlig-rutin/", "/sv/utkast-artikel/", "/sv/bygglov/internal/checklista.txt",
                "/sv/bygglov/internal.md", "/sv/bygglov/sv.md", "/sv/bygglov/../hemlig-rutin/sv.md",
                "/sv/bygglov/%2e%2e/hemlig-rutin/sv.md", "/xx/", "/xx/bygglov/", "/sv/category/nope/",
                "/sv/hemlig-rutin/x.pdf"):
        response = client.get(url)
        assert response.status_code == 404, url
        body = response.get_data(as_text=True)
        assert not any(m in body for m in MARKERS), url
    with client.get("/sv/bygglov/ritning.pdf") as response:
        assert response.data.startswith(b"%PDF")


def test_no_marker_on_any_public_page(client):
    urls = ["/", "/404.html", "/sitemap.xml", "/robots.txt"]
    urls += [p.format(lang=lang) for lang, _ in LANGS for p in PAGES]
    urls += ["/sv/category/kultur/", "/sv/category/barn-skola/", "/sv/search/?q=rutin", "/sv/search/?q=simskola"]
    for url in urls:
        body = text(client, url)
        found = [m for m in MARKERS if m in body]
        assert not found, (url, found)
        assert "Basnivå" not in body and "radgivning" not in body and "2027-06-30" not in body


def test_old_ids_get_a_static_redirect_page(client):
    html = text(client, "/sv/bygglov-ansokan/")
    assert '<meta http-equiv="refresh" content="0; url=/sv/bygglov/">' in html
    assert '<link rel="canonical" href="https://www.testby.se/sv/bygglov/">' in html
    assert '<a href="/sv/bygglov/">' in html


def test_sitemap_and_robots(client):
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)  # noqa: S314 (our own sitemap, from the test client)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = {e.text for e in root.findall("s:url/s:loc", ns)}
    assert "https://www.testby.se/sv/bygglov/" in locs and "https://www.testby.se/ar/bygglov/" in locs
    assert "https://www.testby.se/en/bibliotekskort/" not in locs  # a fallback page is not canonical
    assert not any("hemlig" in u or "utkast" in u for u in locs)
    robots = text(client, "/robots.txt")
    assert "Sitemap: https://www.testby.se/sitemap.xml" in robots


def test_opening_hours_apply_exceptions(app, client):
    app.config["TODAY"] = "2026-12-24"
    html = text(client, "/sv/")
    assert re.search(r"Öppet i dag</span> torsdag 24 december 2026: <span dir=\"ltr\">Stängt", html)
    assert "Avvikande öppettider" in html


def test_a_z_groups_in_the_languages_alphabet(client):
    assert collation_key("Ö", "sv") > collation_key("Z", "sv") > collation_key("É", "sv")
    assert collation_key("Ärende", "sv") > collation_key("Åtgärd", "sv")
    html = text(client, "/sv/a-z/")
    assert html.index('href="/sv/a-z/a/">A</a>') < html.index('href="/sv/a-z/s/">S</a>')
    assert "hemlig" not in html and "Utkast" not in html and 'href="/sv/a-z/r/"' not in html
    # Each letter has its page: its articles in alphabetical order, the letters to move on, no hidden ones.
    page = text(client, "/sv/a-z/a/")
    assert page.index("Ansöka om bygglov") < page.index("Ansöka om plats i förskola")
    assert "Skaffa bibliotekskort" not in page and "hemlig" not in page
    assert 'href="/sv/a-z/a/" aria-current="page">A</a>' in page and 'href="/sv/a-z/s/">S</a>' in page
    assert "Skaffa bibliotekskort" in text(client, "/sv/a-z/s/")
    # A fallback is listed under its source title's letter; Arabic letters have pages of their own.
    assert "Skaffa bibliotekskort" in text(client, "/en/a-z/s/")
    assert "رخصة بناء" in text(client, "/ar/a-z/ا/")
    for missing in ("/sv/a-z/r/", "/sv/a-z/u/", "/sv/a-z/..%2F/"):
        assert client.get(missing).status_code == 404


def test_search_page_works_without_javascript_and_in_the_preview(client):
    html = text(client, "/sv/search/")
    assert 'id="no-js-help"' in html and 'href="/sv/a-z/"' in html
    assert 'src="/static/public/search.js"' in html
    hits = text(client, "/sv/search/?q=dagis")
    assert 'href="/sv/forskoleplats/"' in hits
    # the preview searches on the server: it never claims that searching needs JavaScript
    assert "behöver JavaScript" not in html + hits and "Du hittar alla ärenden och e-tjänster i de här listorna" in html


def test_hidden_search_terms_carry_keywords_and_synonyms(client):
    html = text(client, "/sv/forskoleplats/")
    terms = re.search(r'<div class="search-terms" data-pagefind-weight="5">(.*?)</div>', html, re.S).group(1)
    assert "dagis" in terms and "barnomsorg" in terms and "förskola" in terms
    assert 'data-pagefind-meta="eservice"' in terms


def test_drafts_show_only_in_the_dev_preview(app, client):
    assert client.get("/sv/utkast-artikel/").status_code == 404
    app.config["DEV"] = True
    html = text(client, "/sv/utkast-artikel/")
    assert "Inte publicerad" in html
    assert client.get("/sv/hemlig-rutin/").status_code == 404  # internal: never, not even in preview


def test_letter_pages_have_safe_addresses():
    from portal.render.localize import letter, letter_slug

    assert [letter_slug(letter(t, "sv")) for t in ("Åtgärd", "ärende", "Bygglov", "1177", "Élan")] == \
        ["å", "ä", "b", "1", "e"]
    assert letter_slug(letter("بطاقة", "ar")) == "ب"
    # Never a path separator, a dot segment or a fragment: a code point instead.
    assert [letter_slug(letter(t, "sv")) for t in ("/etc", ".hidden", "#1", "(ny)", "")] == \
        ["u002f", "u002e", "u0023", "u0028", "u0023"]


@pytest.mark.parametrize(("today", "shown"), [("2026-11-30", False), ("2026-12-01", True), ("2026-12-27", True),
                                              ("2026-12-28", False)])
def test_notice_shows_only_between_its_dates_and_in_languages_it_is_written_in(corpus_dir, tmp_path, today, shown):
    from portal.web.app import create_app

    root = corpus_dir
    site = root / "site.yml"
    text_ = site.read_text("utf-8").replace("  ar: رسالة اختبار لجميع الزوار.\n", "")
    site.write_text(text_.replace("notice:\n", "notice:\n  from: 2026-12-01\n  until: 2026-12-27\n"), "utf-8")
    app = create_app({"TESTING": True, "ARTICLES_DIR": root, "INDEX_DIR": tmp_path / "index", "TODAY": today,
                      "SECRET_KEY": "x", "DATA_DIR": tmp_path / "data"})
    client = app.test_client()
    assert ("Testmeddelande till alla besökare." in text(client, "/sv/bygglov/")) is shown
    assert ("Test notice for all visitors." in text(client, "/en/")) is shown
    assert 'class="notice"' not in text(client, "/ar/")  # no Arabic text: no Swedish one instead


def test_accessibility_statement_carries_its_templates_git_date_not_the_build_day(app):
    import subprocess

    from portal.content.gitinfo import STATEMENT_CHANGED
    from portal.render.localize import long_date

    template = Path(__file__).resolve().parents[1] / "templates" / "public" / "accessibility.html"
    git = subprocess.run(["git", "-C", str(template.parent), "log", "-1", "--format=%cs", "--", template.name],
                         capture_output=True, text=True, check=True).stdout.strip()
    changed = dt.date.fromisoformat(git)
    # the date recorded for installed packages (no git there) must follow the statement's changes
    assert changed <= STATEMENT_CHANGED, "update portal.content.gitinfo.STATEMENT_CHANGED to the statement's new date"
    app.config["TODAY"] = "2027-03-01"
    client = app.test_client()
    for lang in ("sv", "en"):
        statement = re.findall(r'<p class="small">([^<]*)</p>', text(client, f"/{lang}/accessibility/"))
        assert any(long_date(changed, lang) in p for p in statement), statement
        assert not any(long_date(dt.date(2027, 3, 1), lang) in p for p in statement), statement


def test_english_dates_are_written_day_month_year():
    from portal.render.localize import long_date

    assert long_date(dt.date(2026, 11, 23), "en") == "23 November 2026"
    assert long_date(dt.date(2026, 11, 23), "sv") == "23 november 2026"


def test_404_page_offers_a_search_in_every_language(client):
    page = text(client, "/sv/finns-inte/", 404)
    for lang, label in (("sv", "Vad vill du göra?"), ("en", "What do you want to do?")):
        assert f'action="/{lang}/search/"' in page and f'id="q-404-{lang}"' in page
        assert label in page
    assert 'name="q"' in page


def test_favicon_ico_is_served_and_frozen(client, tmp_path, corpus_dir):
    from portal.site import pipeline

    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.data[:4] == b"\x00\x00\x01\x00" and r.mimetype == "image/vnd.microsoft.icon"
    r.close()
    pipeline.build(corpus_dir, tmp_path / "site", tmp_path / "index", dt.date(2026, 11, 23))
    assert (tmp_path / "site" / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
