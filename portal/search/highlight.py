"""Highlighting search hits: HTML-escaped text with the query's words (by stem) in <mark>."""

from __future__ import annotations

import functools
import html
import re

from portal.search.analysis import Stem, normalize


@functools.cache
def _stemmer(lang: str) -> Stem:
    return Stem(lang)


@functools.lru_cache(maxsize=65536)
def _forms(word: str, lang: str) -> tuple[str, str]:
    """A written word's normal form and stem (the same words come back in hit after hit)."""
    normal = normalize(word, lang)
    return normal, _stemmer(lang)(normal)


def _matches(word: str, stems: set[str], lang: str, firsts: str) -> bool:
    """True when the written *word* (or its stem) starts with one of the query *stems*."""
    if word[:1].casefold() not in firsts:  # cheap test first: most words of a text do not match
        return False
    normal, stem = _forms(word, lang)
    return any(normal.startswith(s) or stem.startswith(s) for s in stems)


@functools.lru_cache(maxsize=512)
def _candidates(firsts: str) -> re.Pattern[str]:
    """Words that begin with one of *firsts* (in any case): the only ones worth a closer look.

    Scanning in the regex engine instead of testing every word in Python makes an excerpt of a long
    text about ten times cheaper; highlighting was the largest cost of a search."""
    letters = "".join(re.escape(c) for c in sorted(set(firsts + firsts.upper())))
    return re.compile(rf"(?<!\w)[{letters}]\w*", re.IGNORECASE)


def mark(text: str, stems: set[str], lang: str) -> str:
    """HTML-escape *text* and wrap words whose stem starts with a query stem in <mark>."""
    if not stems:
        return html.escape(text)
    firsts = _first_letters(stems, lang)
    out, pos = [], 0
    for m in _candidates(firsts).finditer(text):
        if _matches(m.group(), stems, lang, firsts):
            out.append(html.escape(text[pos:m.start()]))
            out.append(f"<mark>{html.escape(m.group())}</mark>")
            pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _first_letters(stems: set[str], lang: str) -> str:
    # Arabic folding maps several letters onto one: compare against every written variant.
    letters = {s[:1] for s in stems}
    if lang in ("ar", "fa"):
        letters |= {k for k, v in {"أ": "ا", "إ": "ا", "آ": "ا"}.items() if v in letters}
    return "".join(letters)


def excerpt(text: str, stems: set[str], lang: str, width: int = 220) -> str:
    """A highlighted window of *text* around the first matching word ('' when none matches)."""
    if not stems:
        return ""
    firsts = _first_letters(stems, lang)
    for m in _candidates(firsts).finditer(text):
        if _matches(m.group(), stems, lang, firsts):
            start = max(0, m.start() - width // 3)
            start = text.rfind(" ", 0, start) + 1 if start else 0
            piece = text[start:start + width]
            cut = piece.rfind(" ") if len(text) > start + width else len(piece)
            piece = piece[: cut if cut > 0 else len(piece)]
            return ("… " if start else "") + mark(piece, stems, lang) + (" …" if start + width < len(text)
                                                                           else "")
    return ""
