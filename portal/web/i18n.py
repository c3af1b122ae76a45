"""UI translations: Flask-Babel with the locale taken from the URL, catalogues compiled on demand.

The message catalogues live in ``translations/<lang>/LC_MESSAGES/messages.po`` (shipped inside the
package). Compiled ``.mo`` files are never committed: :func:`ensure_compiled` writes them into a cache
folder (``LOCALE_CACHE``, by default ``locale/`` beside the search index) whenever one is missing or
older than its ``.po``, and Flask-Babel reads them from there. See docs/translations.md.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path

from babel import localedata
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, refresh

from portal.exceptions import PortalError

log = logging.getLogger("portal")


def translations_folder() -> Path:
    """The folder with the ``.po`` catalogues (top level in a checkout, inside the installed package)."""
    from portal.folders import package_folder

    return package_folder("translations")


def ensure_compiled(source: Path, cache: Path) -> list[str]:
    """Compile every ``source/<lang>/LC_MESSAGES/*.po`` into *cache* when its ``.mo`` is missing or stale.

    Returns the language codes that have a catalogue. Each ``.mo`` is written to a temporary file and
    renamed into place, so a concurrent reader never sees half a catalogue.
    """
    langs: list[str] = []
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        lang = po.parent.parent.name
        langs.append(lang)
        mo = cache / lang / "LC_MESSAGES" / (po.stem + ".mo")
        if mo.is_file() and mo.stat().st_mtime_ns >= po.stat().st_mtime_ns:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                write_mo(out, catalog, use_fuzzy=False)
            os.replace(tmp, mo)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        log.info("compiled UI translations %s", mo)
    return langs


def url_locale() -> str:
    """The language of the current page's own words: the UI catalogue of the URL's ``lang`` part (the configured
    fallback for a language without one, such as Meänkieli), else the site's source language. Never a code Babel
    does not know (Flask-Babel would fail on it)."""
    default = current_app.config.get("DEFAULT_LOCALE_CODE", "sv")
    if has_request_context() and request.view_args and "lang" in request.view_args:
        from portal.web.pages import ui_language  # the pages import this module's app setup

        lang = str(request.view_args["lang"])
        with contextlib.suppress(PortalError):  # no content to ask (no index yet): the code itself
            lang = ui_language(lang)
        return lang if localedata.exists(lang.replace("-", "_")) else default
    return default


def init_app(app: Flask) -> None:
    """Compile the catalogues if needed and set up Flask-Babel with the locale from the URL."""
    cache = Path(app.config.get("LOCALE_CACHE") or Path(app.config["INDEX_DIR"]).parent / "locale")
    app.config["LOCALE_CACHE"] = cache
    app.config["UI_LANGUAGES"] = ensure_compiled(translations_folder(), cache)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(cache)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "sv")
    Babel(app, locale_selector=url_locale)

    @app.before_request
    def _fresh_locale() -> None:
        # Flask-Babel caches the locale on the app context, which the freezer's test requests share:
        # forget it so each page gets the language of its own URL.
        refresh()
