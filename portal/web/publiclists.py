"""The public pages that list every article: the A–Ö index, one page per letter, and the sitemap.

At 10,000 articles a single A–Ö page held 10,000 entries and was re-rendered, in every language, after
any change. Now the index page only links the letters, and each letter has a page of its own: one
changed article re-renders the letter pages its title is listed under (portal.build.incremental), not the
whole list. Everything still works without JavaScript.

The sitemap (every canonical page with its alternates) is written as plain text: a Jinja loop over
20,000 URLs cost about a second per build.
"""

from __future__ import annotations

from flask import Response, abort, request, url_for
from flask_babel import gettext
from markupsafe import escape

from portal.build.pagecache import article_urls, memo
from portal.build.published import Published
from portal.content.model import EASY_READ
from portal.render.localize import collation_key, letter_slug
from portal.render.markdown import easy_read_url
from portal.web.pages import (
    Alternate,
    _alternates,
    _breadcrumbs,
    _lang_or_404,
    absolute,
    bp,
    corpus,
    listed,
    listing,
    render_page,
)


def letter_groups(lang: str) -> dict[str, list[Published]]:
    """The visible articles by the letter their title in *lang* is listed under, letters in the language's
    alphabetical order (the articles within a letter are sorted by the page that shows them)."""
    return memo(("letter_groups", lang), lambda: _letter_groups(lang))


def _letter_groups(lang: str) -> dict[str, list[Published]]:
    groups: dict[str, list[Published]] = {}
    for p in listing():
        groups.setdefault(p.letter(lang), []).append(p)
    return {k: groups[k] for k in sorted(groups, key=lambda k: collation_key(k, lang))}


def letter_links(lang: str, current: str | None = None) -> list[tuple[str, str, bool]]:
    """(letter, URL of its page, is it the current page) for every letter that has articles in *lang*."""
    return [(k, url_for("public.a_z_letter", lang=lang, letter=letter_slug(k)), k == current)
            for k in letter_groups(lang)]


@bp.route("/<lang>/a-z/")
def a_z(lang: str) -> str:
    """Every errand and e-service, A to Ö: the letters, each leading to its own page (works without JavaScript)."""
    _lang_or_404(lang)
    return render_page("a_z.html", lang, _alternates(lang, "public.a_z"), letters=letter_links(lang),
                       title=gettext("A–Z of errands and e-services"))


@bp.route("/<lang>/a-z/<letter>/")
def a_z_letter(lang: str, letter: str) -> str:
    """The errands and e-services listed under one letter."""
    _lang_or_404(lang)
    by_slug = {letter_slug(k): k for k in letter_groups(lang)}
    if letter not in by_slug:
        abort(404)
    heading = by_slug[letter]
    index_title = gettext("A–Z of errands and e-services")
    title = gettext("Errands and e-services: %(letter)s", letter=heading)
    # Other languages have other letters: the switcher leads to their A–Ö index, which is no translation
    # of this page (so no hreflang alternate for it).
    alternates = [Alternate(a.code, a.name, a.dir, request.path if a.current else a.url, a.note,
                            hreflang=a.current, current=a.current)
                  for a in _alternates(lang, "public.a_z")]
    crumbs = _breadcrumbs(lang, [(index_title, url_for("public.a_z", lang=lang)), (heading, request.path)])
    items = listed(lang, letter_groups(lang)[heading])
    return render_page("a_z_letter.html", lang, alternates, letters=letter_links(lang, heading), heading=heading,
                       items=items, index_title=index_title, title=title, jsonld=[crumbs])


def _url_xml(loc: str, lastmod: str | None, alternates: list[tuple[str, str]] | str) -> str:
    """One <url> entry; *alternates* as (hreflang, href) pairs or already written by :func:`_alternates_xml`."""
    when = f"    <lastmod>{escape(lastmod)}</lastmod>\n" if lastmod else ""
    links = alternates if isinstance(alternates, str) else _alternates_xml(alternates)
    return f"  <url>\n    <loc>{escape(loc)}</loc>\n{when}{links}  </url>\n"


def _alternates_xml(alternates: list[tuple[str, str]]) -> str:
    return "".join(f'    <xhtml:link rel="alternate" hreflang="{escape(code)}" href="{escape(href)}"/>\n'
                   for code, href in alternates)


@bp.route("/sitemap.xml")
def sitemap() -> Response:
    """Every canonical public page, with its language alternates and last-updated dates."""
    site = corpus().site
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
             'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n']
    for endpoint in ("public.home", "public.a_z", "public.search", "public.accessibility"):
        alts = [(code, absolute(url_for(endpoint, lang=code))) for code in site.language_codes]
        parts.extend(_url_xml(url, None, alts) for _code, url in alts)
    parts.append(_url_xml(absolute(url_for("public.easy_read_index", lang=site.source_language)), None, []))
    for key in site.categories:
        alts = [(code, absolute(url_for("public.category", lang=code, key=key))) for code in site.language_codes]
        parts.extend(_url_xml(url, None, alts) for _code, url in alts)
    for code in site.language_codes:  # a letter page has no translation: other languages have other letters
        parts.extend(_url_xml(absolute(url), None, []) for _k, url, _c in letter_links(code))
    article_url = article_urls()
    for p in listing(public_only=True):
        dates = [d for d in p.dates if d[0] != EASY_READ]
        alts = [(code, absolute(article_url(code, p.id))) for code, _updated, _outdated in dates]
        links = _alternates_xml(alts)  # the same in each language's entry: written once
        for (_code, url), (_lang, updated, _outdated) in zip(alts, dates, strict=True):
            parts.append(_url_xml(url, updated.isoformat() if updated else None, links))
        for _key, updated, _outdated in (d for d in p.dates if d[0] == EASY_READ):  # no translation of it
            url = absolute(easy_read_url(p.id, site.source_language))
            parts.append(_url_xml(url, updated.isoformat() if updated else None, []))
    parts.append("</urlset>\n")
    return Response("".join(parts), mimetype="application/xml")
