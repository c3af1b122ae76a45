"""What every public page is made of: the blueprint, the content it shows and what of it is visible, the
language switcher, breadcrumbs, opening hours and the shared layout (:func:`render_page`).

The routes are in :mod:`portal.web.public` (the article, home, category, search and other single pages) and
:mod:`portal.web.publiclists` (the pages that list every article); both build on what is here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import get_day_names
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import force_locale, gettext
from markupsafe import Markup, escape

from portal.build.pagecache import memo, page_url, template_helpers
from portal.build.published import Listed, PublicSite, Published, as_listed
from portal.content.languages import direction
from portal.content.model import Article, Corpus, Version
from portal.content.siteconfig import WEEKDAYS
from portal.render.localize import (
    babel_locale,
    collation_key,
    hours_text,
    isolate_brands,
    long_date,
    tel_href,
)
from portal.web.security import static_csp
from portal.web.state import get_state

bp = Blueprint("public", __name__, static_folder=None)
bp.context_processor(template_helpers)


@dataclass
class Alternate:
    """One entry of the language switcher and of the hreflang alternates."""

    code: str
    name: str
    dir: str
    url: str
    note: str = ""
    hreflang: bool = True
    current: bool = False
    note_lang: str = ""  # the language of *note* (the target language's UI catalogue's)


def corpus() -> Corpus:
    """The content to publish: the corpus handed over by the freezer, else the app's live corpus."""
    return current_app.config.get("PUBLIC_CORPUS") or get_state().corpus()


def today() -> dt.date:
    """The publishing date (configurable through TODAY for tests and builds)."""
    return get_state().today()


def preview() -> bool:
    """True in the live dev preview, where drafts and scheduled articles are shown (never when freezing)."""
    return bool(current_app.config.get("DEV")) and not current_app.config.get("FREEZING")


def visible(article: Article | None) -> bool:
    """May this article be shown on the public side now?"""
    if article is None:
        return False
    return article.is_public(today()) or (preview() and article.audience == "public")


def listing(public_only: bool = False) -> PublicSite:
    """The articles the list pages show: while freezing, the build's public articles (none need be in
    memory); in the live preview, the visible ones (or with *public_only*, the public ones) as they are."""
    site = current_app.config.get("PUBLIC_SITE")
    if site is not None:
        return site  # type: ignore[no-any-return]
    keep = (lambda a: a.is_public(today())) if public_only else visible
    return PublicSite(as_listed(a) for a in corpus().articles.values() if keep(a))


def absolute(path: str) -> str:
    """An absolute URL on the public site for a site path."""
    return corpus().site.base_url + path


def language_label(code: str, lang: str) -> str:
    """The name of language *code* as written in *lang* (\"Swedish\" in English, \"svenska\" in Swedish)."""
    return memo(("language_label", code, lang), lambda: _language_label(code, lang))


def _language_label(code: str, lang: str) -> str:
    try:
        name = Locale.parse(code, sep="-").get_display_name(babel_locale(date_locale(lang)))
    except (UnknownLocaleError, ValueError):
        name = None
    return name or corpus().site.language(code).name


def ui_language(lang: str) -> str:
    """The language of the site's own words on pages in *lang*: its UI catalogue's (the configured fallback,
    Swedish or English, for a language that has none, such as Meänkieli)."""
    site = corpus().site
    return site.language(lang).ui_locale if lang in site.language_codes else lang


def date_locale(lang: str) -> str:
    """The Babel locale that writes dates and day names for *lang* (a fallback where Babel has no data for it:
    Meänkieli is written with Finnish dates unless site.yml says otherwise)."""
    site = corpus().site
    return site.language(lang).locale or lang if lang in site.language_codes else lang


def _lang_or_404(lang: str) -> None:
    if lang not in corpus().site.language_codes:
        abort(404)


def _article_or_404(article_id: str) -> Article:
    article = corpus().articles.get(article_id)
    if not visible(article):
        abort(404)
    assert article is not None
    return article


@dataclass
class Shown:
    """An article as shown in one language: its version there, or the source version as a fallback."""

    article: Article
    version: Version
    fallback: bool

    @property
    def text_lang(self) -> str:
        """The language the text is actually in."""
        return self.version.lang


def shown(article: Article, lang: str) -> Shown:
    """The article's text for a page in *lang*."""
    version = article.version(lang)
    return Shown(article, version or article.source, version is None)


def listed(lang: str, articles: Iterable[Published]) -> list[Listed]:
    """Articles of the listing (:func:`listing`) as a list in *lang* shows them, in alphabetical order."""
    items = [p.shown(lang) for p in articles]
    return sorted(items, key=lambda s: collation_key(s.version.title, lang))


def _hours_week(lang: str) -> dict[str, Any]:
    return memo(("hours", lang), lambda: _hours_week_uncached(lang))


def _hours_week_uncached(lang: str) -> dict[str, Any]:
    site, day = corpus().site, today()
    names = get_day_names("wide", locale=babel_locale(date_locale(lang)))
    week = [(names[i], hours_text(site.contact.hours.get(w, "closed"))) for i, w in enumerate(WEEKDAYS)]
    soon = [(long_date(d, date_locale(lang)), hours_text(h)) for d, h in sorted(site.contact.exceptions.items())
            if day <= d < day + dt.timedelta(days=60)]
    return {"today": hours_text(site.contact.hours_on(day)), "today_date": long_date(day, date_locale(lang)),
            "today_name": names[day.weekday()], "week": week, "exceptions": soon}


def _alternates(lang: str, endpoint: str, article: Article | None = None, **values: Any) -> list[Alternate]:
    out = []
    for language in corpus().site.languages:
        note, hreflang = "", True
        if article is not None:
            version = article.version(language.code)
            if version is None:
                note, hreflang = _ui_text(language.ui_locale, N_("not translated")), False
            elif version.outdated:
                note = _ui_text(language.ui_locale, N_("translation may be out of date"))
        out.append(Alternate(language.code, language.name, language.dir,
                             page_url(endpoint, lang=language.code, **values), note, hreflang,
                             language.code == lang, language.ui_locale))
    return out


def N_(message: str) -> str:
    """Mark *message* for extraction where it is translated later, through a variable (see :func:`_ui_text`)."""
    return message


def _ui_text(lang: str, message: str) -> str:
    """A UI string in *lang* (not necessarily the page's language). *message* must be a literal at the call
    site, wrapped in ``gettext`` or ``N_`` there, or pybabel never sees it."""
    def text() -> str:
        with force_locale(lang):
            return gettext(message)
    return memo(("ui", lang, message), text)


def _breadcrumbs(lang: str, trail: list[tuple[str, str]]) -> dict[str, Any]:
    items = [(_ui_text(ui_language(lang), N_("Home")), url_for("public.home", lang=lang)), *trail]
    return {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": i, "name": name, "item": absolute(url)}
        for i, (name, url) in enumerate(items, 1)]}


def isolator(direction: str) -> Any:
    """For a page written *direction*: a function that escapes a text and, on a right-to-left page, isolates
    the login names in it (``<bdi>``), so that "Freja eID+" does not read "+Freja eID"."""
    if direction != "rtl":
        return lambda text: text
    return lambda text: Markup(isolate_brands(str(escape(text))))  # noqa: S704 - escaped first


def render_page(template: str, lang: str, alternates: list[Alternate], **context: Any) -> str:
    """Render a public page with what every page needs (language, notice, contact, switcher)."""
    site = corpus().site
    notice = site.notice_on(lang, today())
    context.setdefault("canonical", absolute(request.path))
    ui = ui_language(lang)
    # On a page whose own words come from another language's catalogue (Meänkieli with Swedish UI words), the
    # body is in that language and the content carries the page's language: content_attrs on its elements.
    content_attrs = Markup(f' lang="{lang}" dir="{site.language(lang).dir}"') if ui != lang else Markup("")  # noqa: S704 - codes checked by site.yml
    shared = {"lang": lang, "contact": site.contact, "hours": _hours_week(ui), "ui_lang": ui,
              "tel_href": tel_href(site.contact.phone), "content_attrs": content_attrs,
              "ui_dir": site.language(ui).dir if ui in site.language_codes else direction(ui),
              "easy_index": page_url("public.easy_read_index", lang=lang) if lang == site.source_language else None}
    # The footer is the same on every page of a language: rendered once per language while freezing.
    footer = memo(("footer", lang), lambda: Markup(  # noqa: S704 - an autoescaped template's output
        render_template("public/_footer.html", **shared)))
    return render_template(
        f"public/{template}", language=site.language(lang), site=site, notice=notice,
        source_lang=site.language(site.source_language), alternates=alternates, footer=footer,
        source_label=language_label(site.source_language, ui), preview=preview(), absolute=absolute,
        isolate=isolator(site.language(lang).dir),
        static_csp=static_csp(site.connect_origins, form_origin=site.api_origin), **shared, **context)
