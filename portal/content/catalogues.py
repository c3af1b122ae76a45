"""The UI message catalogues (``translations/<lang>/LC_MESSAGES/messages.po``) without Flask: for the command
line, the content checks' messages and the agent app's content report alike (one source of wording).

A catalogue is compiled in memory from its ``.po`` the first time a language is asked for (30-60 ms), so that
``portal check`` in an editor's repository writes no compiled files anywhere. Which language a command speaks:
:func:`choose_language`.
"""

from __future__ import annotations

import functools
import gettext as gettext_module
import io
import os
from collections.abc import Mapping
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from portal.folders import package_folder

FALLBACK = "en"  # the message ids are English: a language without a catalogue gets them


def translations_folder() -> Path:
    """The folder holding ``<lang>/LC_MESSAGES/messages.po``."""
    return package_folder("translations")


@functools.cache
def available() -> frozenset[str]:
    """The language codes that have a catalogue."""
    return frozenset(p.parent.parent.name for p in translations_folder().glob("*/LC_MESSAGES/messages.po"))


@functools.cache
def catalogue(lang: str) -> gettext_module.NullTranslations:
    """The compiled catalogue of *lang*; the English ids themselves when it has none."""
    po = translations_folder() / lang / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return gettext_module.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer)


def _locale_language(env: Mapping[str, str]) -> str | None:
    """The language the locale asks for (LANGUAGE, LC_ALL, LC_MESSAGES, LANG, as gettext reads them); None for
    an unset locale or the C/POSIX one, which say nothing about the reader's language."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(name) or "").strip()
        if not value:
            continue
        first = value.split(":")[0].split(".")[0].split("@")[0]
        code = first.split("_")[0].split("-")[0].lower()
        return None if code in ("c", "posix", "") else code
    return None


def choose_language(explicit: str | None, source_language: str | None,
                    env: Mapping[str, str] | None = None) -> str:
    """The language of a command's messages: *explicit* (``--lang``), else the locale's language, else the
    content's source language (an editor of Swedish content reads Swedish), each only when the catalogues
    have it; English otherwise."""
    env = os.environ if env is None else env
    for lang in (explicit, _locale_language(env), source_language):
        if lang and lang.lower() in available():
            return lang.lower()
    return FALLBACK


class Messages:
    """The messages of one language: ``gettext``/``ngettext`` with ``%(name)s`` values filled in."""

    def __init__(self, lang: str):
        self.lang = lang
        self.translations = catalogue(lang)

    def gettext(self, message: str, /, **values: object) -> str:
        """*message* (an English id, a literal at the call so that pybabel extracts it) in this language."""
        text = self.translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, num: int, /, **values: object) -> str:
        """The singular or plural form for *num* (``%(num)d`` is filled in)."""
        return self.translations.ngettext(singular, plural, num) % {"num": num, **values}
