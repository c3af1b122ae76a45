"""Writing things the way each language does: dates, language names, opening hours, alphabetical order."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from flask_babel import gettext

_ALPHABETS = {"sv": "abcdefghijklmnopqrstuvwxyzåäö", "fi": "abcdefghijklmnopqrstuvwxyzåäö"}


def babel_locale(lang: str) -> Locale:
    """The Babel locale for *lang*, English where Babel has no data for it."""
    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def long_date(day: dt.date, lang: str) -> str:
    """A date written out in *lang* (23 november 2026)."""
    return format_date(day, format="long", locale=babel_locale(lang))


def hours_text(value: str) -> str:
    """Opening hours for display: '08:00–17:00' or the translated word for closed."""
    return gettext("Closed") if value == "closed" else value.replace("-", "–")


def collation_key(text: str, lang: str) -> tuple[int, ...]:
    """A sort key that follows the language's alphabet (å, ä, ö last in Swedish and Finnish)."""
    order = _ALPHABETS.get(lang, "abcdefghijklmnopqrstuvwxyz")
    chars: list[str] = []
    for ch in text.casefold():
        if ch in order:
            chars.append(ch)
        else:
            chars.extend(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return tuple(order.index(c) if c in order else 1000 + ord(c) for c in chars)


def letter(text: str, lang: str) -> str:
    """The heading letter an entry is listed under in an A–Ö list (Å, Ä, Ö are letters of their own)."""
    ch = text.strip()[:1].casefold()
    if ch not in _ALPHABETS.get(lang, ""):
        ch = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return ch.upper() or "#"


def tel_href(phone: str) -> str:
    """A tel: link for a phone number as people write it (042-10 50 00)."""
    return "tel:" + re.sub(r"[^\d+]", "", phone)
