"""Writing things the way each language does: dates, language names, opening hours, alphabetical order."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.lists import format_list
from flask_babel import gettext
from markupsafe import Markup, escape

# The names people know the login methods by; front matter `login:` holds the keys.
LOGINS = {"bankid": "BankID", "freja": "Freja eID+", "mobilt-bankid": "Mobilt BankID"}
_ALPHABETS = {"sv": "abcdefghijklmnopqrstuvwxyzåäö", "fi": "abcdefghijklmnopqrstuvwxyzåäö"}


# The English site writes dates as the UK and GOV.UK do (23 November 2026), not in US order.
REGIONS = {"en": "en_GB"}


def babel_locale(lang: str) -> Locale:
    """The Babel locale for *lang* (:data:`REGIONS` picks the region), English where Babel has no data."""
    try:
        return Locale.parse(REGIONS.get(lang, lang), sep="-" if "-" in lang else "_")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(REGIONS["en"])


def long_date(day: dt.date, lang: str) -> str:
    """A date written out in *lang* (23 november 2026)."""
    return format_date(day, format="long", locale=babel_locale(lang))


def hours_text(value: str) -> str:
    """Opening hours for display: '08:00–17:00' (isolated left to right, so that a right-to-left page does not
    turn it into '17:00–08:00') or the translated word for closed."""
    if value == "closed":
        return gettext("Closed")
    return Markup('<bdi dir="ltr">%s</bdi>') % value.replace("-", "–")


# Names that keep their own direction inside right-to-left text ("Freja eID+" must not become "+Freja eID").
_BRANDS = re.compile("|".join(re.escape(n) for n in sorted({*LOGINS.values(), "BankID"}, key=len, reverse=True)))
_TAG = re.compile(r"(<[^>]*>)")


def isolate_brands(html_text: str) -> str:
    """*html_text* (HTML) with each login name in its text, not in its tags, wrapped in ``<bdi>``."""
    if not _BRANDS.search(html_text):
        return html_text
    parts = _TAG.split(html_text)
    for i in range(0, len(parts), 2):  # even parts are text between tags
        parts[i] = _BRANDS.sub(lambda m: f'<bdi dir="ltr">{m.group(0)}</bdi>', parts[i])
    return "".join(parts)


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


def letter_slug(heading: str) -> str:
    """The URL part of the A–Ö page for the *heading* letter: the letter itself in lower case when it is a
    letter or digit (``a``, ``å``, ``ب``), else its code points (``u0023``): never ``/``, ``.`` or ``#``."""
    low = heading.casefold()
    return low if low.isalnum() else "u" + "-".join(f"{ord(c):04x}" for c in heading)


def tel_href(phone: str) -> str:
    """A tel: link for a phone number as people write it (042-10 50 00)."""
    return "tel:" + re.sub(r"[^\d+]", "", phone)


def login_text(methods: list[str], lang: str, isolated: bool = False) -> Markup:
    """The e-service's login methods as a list in *lang* ("BankID or Freja eID+"); with *isolated* (for a
    right-to-left page) each name in ``<bdi>``, so that it reads the same there. Empty for no login."""
    names = [Markup('<bdi dir="ltr">%s</bdi>') % name if isolated else escape(name) for name in login_names(methods)]
    return Markup(format_list(names, style="or", locale=babel_locale(lang))) if names else Markup("")  # noqa: S704 - escaped names


def login_names(methods: list[str]) -> list[str]:
    """The names of the login methods *methods* (keys from front matter), "none" left out."""
    return [LOGINS.get(m, m) for m in methods if m != "none"]


def login_named(ss: Any) -> bool:
    """True when the editor's list of needs already names a login method (then it is not repeated)."""
    names = [LOGINS.get(m, m).casefold() for m in (ss.login if ss else []) if m != "none"]
    return any(name in need.casefold() for need in (ss.needs if ss else []) for name in names)
