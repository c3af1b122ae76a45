"""What the product knows of a language by its code: its own name, its direction, which locale writes its dates
and which UI catalogue speaks for it when it has none.

`site.yml` may publish any BCP 47 language code (written in lower case): the national minority languages
(Finnish, Meänkieli, the Sami languages, Romani chib, Yiddish) as well as the languages of newer Swedes. Babel
has data for many of them but not all (``fit``, ``sju``, ``rmy``, ``rom`` have none; ``sma`` and ``smj`` have
no month or day names), and the project has UI catalogues for a few. A language in `site.yml` may say
``name``, ``dir``, ``locale`` (the Babel locale for dates and alphabetical order) and ``ui`` (the catalogue for
the site's own words); whatever it leaves out comes from here.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from typing import Any

from babel import Locale, UnknownLocaleError, localedata

from portal.content.catalogues import available

# A BCP 47 tag in lower case: a two- or three-letter language (sv, fit, sma) and optional subtags (se-fi, sr-latn).
LANG_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")
LANGUAGE_KEYS = ("code", "name", "dir", "locale", "ui")

# Each language's name in itself (webbriktlinjer R17: a language link is written in its own language). Babel
# knows most; these are the ones it lacks or writes in lower case where the language's speakers capitalise a
# name standing alone, as a language menu shows it.
OWN_NAMES = {
    "sv": "Svenska", "en": "English", "ar": "العربية", "fi": "Suomi", "fit": "Meänkieli",
    "se": "Davvisámegiella", "sma": "Åarjelsaemien gïele", "smj": "Julevsámegiella", "sju": "Ubmejesámiengiälla",
    "sje": "Bidumsámegiella", "rmy": "Romani chib", "rom": "Romani chib", "rmf": "Kaalengo tšimb",
    "rmu": "Romani (Resande)", "yi": "ייִדיש", "fa": "فارسی", "prs": "دری", "ps": "پښتو", "so": "Soomaali",
    "ti": "ትግርኛ", "am": "አማርኛ", "ckb": "کوردیی ناوەندی", "kmr": "Kurdî", "ku": "Kurdî", "ur": "اردو",
    "he": "עברית", "uk": "Українська", "ru": "Русский", "pl": "Polski", "de": "Deutsch", "fr": "Français",
    "es": "Español", "bs": "Bosanski", "hr": "Hrvatski", "sr": "Српски", "tr": "Türkçe", "nb": "Norsk bokmål",
    "nn": "Norsk nynorsk", "da": "Dansk", "is": "Íslenska", "et": "Eesti", "th": "ไทย", "zh": "中文",
}
# Written right to left. Babel says it for the languages it knows (Locale.character_order); these are those it
# may not know, and a fallback when it says nothing.
RTL = frozenset({"ar", "fa", "prs", "ps", "he", "yi", "ur", "ckb", "dv", "ug", "sd", "syr", "arc", "ku-arab"})
# The locale that writes dates and sorts for a language Babel has no data for: the language its speakers in
# Sweden also read (Meänkieli: Finnish; the Sami languages and Romani of Sweden: Swedish).
DATE_FALLBACKS = {"fit": "fi", "sma": "sv", "smj": "sv", "sju": "sv", "sje": "sv", "rmy": "sv", "rom": "sv",
                  "rmf": "fi", "rmu": "sv", "prs": "fa"}


def base(code: str) -> str:
    """The primary language subtag of *code* (``se`` of ``se-fi``)."""
    return code.split("-", 1)[0]


@functools.cache
def babel_data(code: str) -> Locale | None:
    """Babel's locale for *code* when Babel has real data for it (its own month names), else None."""
    try:
        locale = Locale.parse(code, sep="-")
    except (UnknownLocaleError, ValueError):
        return None
    months = locale.months.get("format", {}).get("wide", {})
    return locale if months and months.get(1) not in (None, "M01") else None


def own_name(code: str) -> str:
    """The language's name in itself ("Meänkieli", "ייִדיש"); the code when nothing knows it."""
    if code in OWN_NAMES:
        return OWN_NAMES[code]
    locale = babel_data(code)
    name = locale.get_display_name(locale) if locale is not None else OWN_NAMES.get(base(code))
    return (name[:1].upper() + name[1:]) if name else code


def direction(code: str) -> str:
    """``rtl`` or ``ltr`` for *code*."""
    if code in RTL or base(code) in RTL:
        return "rtl"
    try:
        locale = Locale.parse(code, sep="-")
    except (UnknownLocaleError, ValueError):
        return "ltr"
    return "rtl" if locale.character_order == "right-to-left" else "ltr"


def date_locale(code: str, fallback: str) -> str:
    """The Babel locale that writes dates for *code*: itself when Babel has data, else :data:`DATE_FALLBACKS`,
    else *fallback* (a language that has data)."""
    if babel_data(code) is not None:
        return code
    return DATE_FALLBACKS.get(code) or DATE_FALLBACKS.get(base(code)) or fallback


def has_data(code: str) -> bool:
    """Can Babel write dates for locale *code*?"""
    return babel_data(code) is not None


@dataclass(frozen=True)
class Language:
    """A published language: code, its own name, text direction, the Babel locale that writes its dates and
    sorts its lists (*locale*: itself, or a fallback where Babel has no data), and the UI catalogue that speaks
    for it (*ui*: its own, or the configured fallback where it has none)."""

    code: str
    name: str
    dir: str = "ltr"
    locale: str = ""
    ui: str = ""

    @property
    def ui_locale(self) -> str:
        """The language of the site's own words on its pages (the catalogue's)."""
        return self.ui or self.code


def read_languages(c: Any, value: Any) -> list[Language]:
    """The languages of site.yml's ``languages`` list (*c*: its checker, which reports problems by line), each
    with its own name and direction where the list leaves them out."""
    if not isinstance(value, list) or not value:
        c.error(("languages",), "languages-shape")
        return []
    out: list[Language] = []
    for i, item in enumerate(value):
        keys = ("languages", str(i))
        if not isinstance(item, dict):
            c.error(keys, "language-shape")
            continue
        for key in item:
            if key not in LANGUAGE_KEYS:
                c.error((*keys, str(key)), "language-key-unknown", key=key, known=", ".join(LANGUAGE_KEYS))
        code = c.string(item.get("code"), (*keys, "code"), "language code", required=True)
        if code and not LANG_CODE.match(code):
            c.error((*keys, "code"), "language-code", code=code)
            continue
        text_dir = item.get("dir") or (direction(code) if code else "ltr")
        if text_dir not in ("ltr", "rtl"):
            c.error((*keys, "dir"), "language-dir", dir=text_dir)
        if any(lang.code == code for lang in out):
            c.error((*keys, "code"), "language-twice", code=code)
        lname = c.string(item.get("name"), (*keys, "name"), "language name") if "name" in item else ""
        if code:
            out.append(Language(code, lname or own_name(code),
                                text_dir if text_dir in ("ltr", "rtl") else "ltr"))
    return out


def resolve_languages(c: Any, found: list[Language], value: Any, source: str) -> list[Language]:
    """*found* with each language's date locale and UI catalogue: as configured (checked), else its own where it
    has one, else the fallback (portal.content.languages; the source language's catalogue for the UI)."""
    items = {str(item.get("code")): (i, item) for i, item in enumerate(value or []) if isinstance(item, dict)}
    catalogues = sorted(available())
    default_ui = source if source in catalogues else "en"
    out = []
    for lang in found:
        i, item = items.get(lang.code, (0, {}))
        keys = ("languages", str(i))
        ui = c.string(item.get("ui"), (*keys, "ui"), "ui")
        if ui and ui not in catalogues:
            c.error((*keys, "ui"), "language-ui", ui=ui, known=", ".join(catalogues))
            ui = ""
        if not ui:
            # Flask-Babel loads a catalogue only for a locale Babel knows (with or without date formats).
            own = lang.code in catalogues and localedata.exists(lang.code.replace("-", "_"))
            ui = lang.code if own else default_ui
        locale = c.string(item.get("locale"), (*keys, "locale"), "locale")
        if locale and not has_data(locale):
            c.error((*keys, "locale"), "language-locale", locale=locale)
            locale = ""
        out.append(replace(lang, ui=ui, locale=locale or date_locale(lang.code, ui)))
    return out
