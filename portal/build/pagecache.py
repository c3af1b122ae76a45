"""What the public pages share, worked out once per freeze instead of once per page.

While freezing, the corpus handed to the freezer does not change, so anything that depends only on it,
the language and the day (opening hours, UI strings, URLs of other pages) can be kept for the whole
build. Profiling a 1,000-article freeze showed UI-string and URL lookups through Flask-Babel and
Werkzeug costing a fifth of the rendering. In the live preview nothing is kept: content changes
under it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, url_for
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

T = TypeVar("T")


def freezing() -> bool:
    """True while the app renders pages for the freezer."""
    return bool(current_app.config.get("FREEZING"))


def memo(key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()``, kept under *key* for the rest of the freeze; computed afresh when not freezing."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # one context lookup, not two
    if not app.config.get("FREEZING"):
        return compute()
    cache: dict[tuple[Any, ...], Any] = app.extensions.setdefault("portal_freeze_memo", {})
    try:
        return cache[key]
    except KeyError:
        value = cache[key] = compute()
        return value


def article_urls() -> Callable[[str, str], str]:
    """``url_for("public.article", lang=…, article_id=…)`` for many articles (in a request context).

    Werkzeug builds a URL in about 50 µs; the sitemap and the list of pages ask for 20,000 each build.
    Article ids are only ``a-z``, ``0-9`` and ``-`` (checked when content is loaded), so the URL built
    once per language with a placeholder id is the same text with the id in its place."""
    placeholder = "0-article-id-0"
    templates: dict[str, str] = {}

    def build(lang: str, article_id: str) -> str:
        template = templates.get(lang)
        if template is None:
            template = templates[lang] = url_for("public.article", lang=lang, article_id=placeholder)
        return template.replace(placeholder, article_id)
    return build


def page_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values)``, kept for the rest of the freeze (see :func:`memo`)."""
    if endpoint == "public.article" and len(values) == 2 and "lang" in values and "article_id" in values:
        # A list of 1,400 articles would build 1,400 URLs through Werkzeug (see article_urls).
        build = memo(("article_urls",), article_urls)
        return build(values["lang"], values["article_id"])
    return memo(("url", endpoint, tuple(sorted(values.items()))), lambda: url_for(endpoint, **values))


def _template_gettext(locale: str) -> dict[str, Any]:
    """``gettext``/``ngettext`` for templates bound to one catalogue, with Jinja's newstyle behaviour
    (autoescaped result, ``%(name)s`` filled in, ``num`` for plural forms)."""
    translations = get_translations()
    plain: dict[tuple[str, bool], str] = {}  # a message without variables, translated once per freeze

    @pass_context
    def gettext(ctx: Context, message: str, **variables: Any) -> str:
        if not variables:
            key = (message, ctx.eval_ctx.autoescape)
            found = plain.get(key)
            if found is None:
                found = plain[key] = _translated(message, key[1], {})
            return found
        return _translated(message, ctx.eval_ctx.autoescape, variables)

    def _translated(message: str, autoescape: bool, variables: dict[str, Any]) -> str:
        rv = translations.ugettext(message)
        if autoescape:
            rv = Markup(rv)  # noqa: S704 - our own catalogue, as in Jinja's gettext; variables are escaped by %
        return rv % variables  # type: ignore[no-any-return]

    @pass_context
    def ngettext(ctx: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        rv = translations.ungettext(singular, plural, num)
        if ctx.eval_ctx.autoescape:
            rv = Markup(rv)  # noqa: S704 - our own catalogue, as in Jinja's gettext; variables are escaped by %
        return rv % variables  # type: ignore[no-any-return]

    return {"gettext": gettext, "ngettext": ngettext}


def template_helpers() -> dict[str, Any]:
    """Template context that replaces the per-call Flask-Babel and url_for lookups while freezing."""
    if not freezing():
        return {}
    locale = str(get_locale())
    return {**memo(("gettext", locale), lambda: _template_gettext(locale)), "url_for": page_url}
