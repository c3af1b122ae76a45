"""Every language of the sample site in Chromium (Swedish, English, Arabic, Finnish, Meänkieli): the language bar
on a phone, right-to-left pages read in the right order, the root page's choice of language.

One browser context visits every page type in every language (a context per page would cost the suite minutes);
the sample site is built once for the session (tests/browser/conftest.py, ``sample_site``)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PHONE = {"width": 390, "height": 844}
LANGS = ("sv", "en", "ar", "fi", "fit")
# One page of each type: {lang} is filled in; the easy-read pages exist on the Swedish site only.
PAGE_TYPES = {
    "home": "/{lang}/", "category": "/{lang}/category/barn-utbildning/", "article": "/{lang}/forskoleplats/",
    "fallback": "/{lang}/bibliotekskort/", "a-z": "/{lang}/a-z/", "a-z-letter": "/{lang}/a-z/{letter}/",
    "search": "/{lang}/search/", "accessibility": "/{lang}/accessibility/",
}
SWEDISH_ONLY = {"easy-read": "/sv/forskoleplats/lattlast/", "easy-read-index": "/sv/lattlast/"}

# What a phone shows of the page: any sideways scroll, and where each language link is.
MEASURE_BAR = """() => {
  const links = [...document.querySelectorAll('nav.languages a')].map((a) => {
    const r = a.getBoundingClientRect();
    const note = a.querySelector('.lang-note-text');
    const icon = a.querySelector('.lang-note-icon');
    return {lang: a.lang, current: a.getAttribute('aria-current') === 'page', left: r.left, right: r.right,
            top: r.top, width: r.width, hreflang: a.hreflang,
            note: note ? note.textContent : '', icon: icon ? getComputedStyle(icon).display !== 'none' : null,
            named: a.textContent.replace(/\\s+/g, ' ').trim()};
  });
  return {wide: document.documentElement.scrollWidth, inner: innerWidth, links};
}"""


def first_letter(folder, lang: str) -> str:
    """The first A–Ö letter page of *lang* in the built site."""
    return sorted(p.name for p in (folder / lang / "a-z").iterdir() if p.is_dir())[0]


def pages_of(folder) -> list[tuple[str, str, str]]:
    """(lang, page type, URL path) of one page of each type in every language, and the root and 404 pages."""
    out = []
    for lang in LANGS:
        letter = first_letter(folder, lang)
        out.extend((lang, kind, path.format(lang=lang, letter=letter)) for kind, path in PAGE_TYPES.items())
    out.extend(("sv", kind, path) for kind, path in SWEDISH_ONLY.items())
    return out


def test_language_bar_fits_a_phone_on_every_page_type_in_every_language(browser, sample_site):
    folder, url = sample_site
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems = []
    for lang, kind, path in pages_of(folder):
        page.goto(url + path)
        bar = page.evaluate(MEASURE_BAR)
        if bar["wide"] > bar["inner"]:
            problems.append((path, f"scrolls sideways: {bar['wide']} > {bar['inner']}"))
            screenshot(page, f"phone-language-bar-{lang}-{kind}")
        current = [a for a in bar["links"] if a["current"]]
        if [a["lang"] for a in current] != [lang]:
            problems.append((path, f"current language link: {current}"))
        for a in bar["links"]:
            if a["width"] <= 0 or a["left"] < 0 or a["right"] > PHONE["width"]:
                problems.append((path, f"{a['lang']} not in sight: {a}"))
            if a["note"] and (not a["icon"] or a["note"] not in a["named"]):  # an icon, the words in the name
                problems.append((path, f"{a['lang']} note without icon or words: {a}"))
        assert len(bar["links"]) == len(LANGS), path
    context.close()
    assert problems == []


def test_language_links_follow_r17_on_every_language_site(browser, sample_site):
    _folder, url = sample_site
    page = browser.new_page()
    try:
        page.goto(url + "/fit/forskoleplats/")
        links = page.eval_on_selector_all("nav.languages a", """els => els.map((a) => ({lang: a.lang,
            hreflang: a.hreflang, text: a.firstChild.textContent.trim(), img: a.querySelectorAll('img').length}))""")
        assert [(a["lang"], a["hreflang"], a["text"]) for a in links] == [
            ("sv", "sv", "Svenska"), ("en", "en", "English"), ("ar", "ar", "العربية"), ("fi", "fi", "Suomi"),
            ("fit", "fit", "Meänkieli")]
        assert not any(a["img"] for a in links)  # words, no flags
        # Meänkieli has no UI catalogue: its pages' own words are Swedish and marked so, the content is Meänkieli.
        assert page.get_attribute("html", "lang") == "fit"
        assert page.get_attribute("body", "lang") == "sv"
        assert page.locator("h1").evaluate("el => el.closest('[lang]').lang") == "fit"
        assert page.locator(".skip-link").evaluate("el => el.closest('[lang]').lang") == "sv"
        updated = page.locator(".meta time").inner_text()
        assert "joulukuuta" in updated or "kuuta" in updated  # dates the Finnish way (locale: fi)
    finally:
        page.close()


# The visual order of two pieces of one text node: the x of the first character of each, in one element.
ORDER = """([selector, first, second]) => {
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const i = node.data.indexOf(first), j = node.data.indexOf(second, i + first.length);
      if (i < 0 || j < 0) { continue; }
      const at = (k) => { const r = document.createRange(); r.setStart(node, k); r.setEnd(node, k + 1);
                          return r.getBoundingClientRect().left; };
      out.push({text: node.data, first: at(i), second: at(j)});
    }
  }
  return out;
}"""
# Every element whose language is written left to right on a right-to-left page, and the direction it gets.
FOREIGN = """() => [...document.querySelectorAll('body [lang]')].filter((el) => el.lang !== 'ar')
  .map((el) => ({lang: el.lang, tag: el.tagName, dir: getComputedStyle(el).direction,
                 text: el.textContent.slice(0, 40)}))"""


def test_arabic_pages_read_in_the_right_order(browser, sample_site):
    folder, url = sample_site
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    rtl_langs = {"ar"}
    problems = []
    for _lang, kind, path in pages_of(folder):
        if not path.startswith("/ar/"):
            continue
        page.goto(url + path)
        for el in page.evaluate(FOREIGN):  # Swedish (or English) text keeps its own direction
            want = "rtl" if el["lang"] in rtl_langs else "ltr"
            if el["dir"] != want:
                problems.append((path, el))
        # The hours read 08:00–17:00 from left to right, in the footer and in "Open today", as on every page.
        hours = page.evaluate(ORDER, [".site-footer dd, .contact-list li", "08:00", "17:00"])
        if not hours or any(h["first"] >= h["second"] for h in hours):
            problems.append((path, f"hours: {hours}"))
        if kind == "article":
            screenshot(page, "ar-article-rtl-order")
    # A brand name keeps its "+" at its end: "Freja eID+" never reads "+Freja eID".
    page.goto(url + "/ar/forskoleplats/")
    brand = page.evaluate(ORDER, [".needs li, .start, .article-body", "Freja", "+"])
    assert brand and all(b["first"] < b["second"] for b in brand), brand
    # A Swedish summary on the Arabic home page (a fallback) ends with its full stop on the right.
    page.goto(url + "/ar/")
    fallback = page.locator(".card p[lang='sv']").first
    assert fallback.get_attribute("dir") == "ltr"
    ends = fallback.evaluate("""(el) => { const t = el.firstChild; const r = document.createRange();
        const at = (k) => { r.setStart(t, k); r.setEnd(t, k + 1); return r.getBoundingClientRect().left; };
        return [at(0), at(t.data.length - 1)]; }""")
    assert ends[0] < ends[1]
    context.close()
    assert problems == []


def test_root_page_offers_each_language_in_its_own_words(browser, sample_site):
    _folder, url = sample_site
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(url + "/")
        prompts = page.eval_on_selector_all("#choose-language [lang]", "els => els.map(e => [e.lang, e.textContent])")
        assert dict(prompts) == {"sv": "Välj språk", "en": "Choose your language", "ar": "اختر لغتك",
                                 "fi": "Valitse kieli"}
        links = page.eval_on_selector_all("#language-choice a", "els => els.map(e => [e.lang, e.textContent])")
        assert links == [["sv", "Svenska"], ["en", "English"], ["ar", "العربية"], ["fi", "Suomi"],
                         ["fit", "Meänkieli"]]
        assert page.url == url + "/"  # without JavaScript the page stays: the choice is the visitor's
    finally:
        context.close()


def test_root_page_picks_the_browser_language_and_remembers_a_choice(browser, sample_site):
    _folder, url = sample_site
    context = browser.new_context(locale="fi-FI")
    page = context.new_page()
    visits: list[str] = []
    page.on("framenavigated", lambda frame: visits.append(frame.url) if frame == page.main_frame else None)
    try:
        page.goto(url + "/")
        page.wait_for_url(url + "/fi/")
        page.click(".site-footer a[href='/']")  # "All languages": the list, not sent back
        page.wait_for_load_state()
        assert page.url == url + "/"
        page.click("#language-choice a[lang='fit']")
        page.wait_for_url(url + "/fit/")
        fresh = context.new_page()  # a new visit (no referrer): the choice made before, not the browser's
        fresh.goto(url + "/")
        fresh.wait_for_url(url + "/fit/")
        fresh.close()
        assert visits.count(url + "/") == 2 and len(visits) == 4, visits  # no loop
    finally:
        context.close()
