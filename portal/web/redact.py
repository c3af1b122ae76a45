"""Removing personal data from what people type into a search box, before anything stores it.

Callers on the line give agents their personal identity number, phone number or e-mail address, and
agents sometimes type them into the search box by mistake. :func:`redact` replaces them with a
placeholder before a query is logged anywhere:

* Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer, day + 60)
  in every common form: ``YYYYMMDD-NNNN``, ``YYMMDD-NNNN``, ``YYMMDDNNNN``, ``YYYYMMDDNNNN``, ``YYMMDD+NNNN``,
  with spaces or dots between the groups → ``[personnummer]``;
* phone numbers (``070-123 45 67``, ``+46 70 123 45 67``, ``0046 70…``, ``08-123 456 78``, ``0555-12 30 00``)
  → ``[telefon]``;
* e-mail addresses → ``[e-post]``;
* and, to be safe, any other run of six or more digits (a case number, a card number, a date of birth)
  → ``[nummer]``.

It errs on the side of removing too much: a lost number in a search statistic costs nothing, a stored
personal identity number is a personal-data incident.
"""

from __future__ import annotations

import logging
import re

PNR = "[personnummer]"
PHONE = "[telefon]"
EMAIL = "[e-post]"
NUMBER = "[nummer]"

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+\s?(?:@|\(at\)|\[at\])\s?[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A run of digits with at most a few separator characters between them ("070-123 45 67", "+46 (0)70…").
_PNR = re.compile(r"(?<![\d+])(?:(?:18|19|20)\d{2}|\d{2})\s?\d{2}\s?\d{2}(?:\s*[-+]\s*|\s)?\d{4}(?!\d)")
_PNR_SEPARATED = re.compile(r"(?:\d{2})?\d{2}\s?\d{2}\s?\d{2}(?:\s*[-+]\s*|\s)\d{4}")
_PHONE_START = re.compile(r"\(?0(?:\d{1,3}\)?\s?[-/)]|7\d[\s-]|7\d{8}$)")
_NUMBERISH = re.compile(r"(?<![\w])\+?\(?\d(?:[ \t\-+./()]{0,3}\d)+\)?")


def _is_date(yy: int, mm: int, dd: int) -> bool:
    """True for a plausible birth date; coordination numbers add 60 to the day."""
    del yy
    if dd > 60:
        dd -= 60
    return 1 <= mm <= 12 and 1 <= dd <= 31


def looks_like_pnr(digits: str) -> bool:
    """True when *digits* (10 or 12 digits, separators removed) read as a personal identity number."""
    if len(digits) == 12 and digits[:2] in ("18", "19", "20"):
        digits = digits[2:]
    if len(digits) != 10:
        return False
    return _is_date(int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))


def _classify(match: re.Match[str]) -> str:
    text = match.group()
    digits = re.sub(r"\D", "", text)
    stripped = text.lstrip("(")
    if stripped.startswith("+") or digits.startswith("00"):
        return PHONE if len(digits) >= 6 else text
    if _PHONE_START.match(text):
        return PHONE  # an area code with its dash (031-…, 0555-…) or a mobile number (07…)
    if _PNR_SEPARATED.fullmatch(text) and looks_like_pnr(digits):
        return PNR
    if len(digits) in (10, 12) and looks_like_pnr(digits):
        return PNR
    if digits.startswith("0") and 7 <= len(digits) <= 12:
        return PHONE
    if len(digits) >= 6:
        return NUMBER
    return text


def _pnr(match: re.Match[str]) -> str:
    text = match.group()
    digits = re.sub(r"\D", "", text)
    if text.isdigit() and len(digits) == 10 and digits.startswith("07"):
        return text  # a bare 07… is a mobile number: left for the phone pass
    return PNR if looks_like_pnr(digits) else text


def redact(text: str) -> str:
    """*text* with personal identity numbers, phone numbers, e-mail addresses and long numbers replaced."""
    text = _EMAIL.sub(EMAIL, text or "")
    text = _PNR.sub(_pnr, text)
    return _NUMBERISH.sub(_classify, text)


def contains_personal_data(text: str) -> bool:
    """True when :func:`redact` would change *text*."""
    return redact(text) != (text or "")


_QUERY_STRING = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")


class QueryStringFilter(logging.Filter):
    """A logging filter that cuts query strings (search words are personal data) from log lines.

    Installed on the ``werkzeug`` logger, whose request lines (``"GET /agent/?q=… HTTP/1.1" 200``) would
    otherwise keep every query that `portal serve` answers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message and arguments; never drop the record."""
        if isinstance(record.msg, str):
            record.msg = _QUERY_STRING.sub(r"\1?[…]", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_QUERY_STRING.sub(r"\1?[…]", a) if isinstance(a, str) else a for a in record.args)
        return True


def install_log_filter(logger_name: str = "werkzeug") -> None:
    """Add :class:`QueryStringFilter` to a logger (once)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, QueryStringFilter) for f in logger.filters):
        logger.addFilter(QueryStringFilter())
