"""Removing personal data from what people type, before anything stores or logs it.

Callers on the line give agents their personal identity number, phone number or e-mail address, agents
sometimes type them into the search box by mistake, and citizens write them into feedback comments.
:func:`redact` replaces them with a placeholder:

* Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer, day + 60)
  in every common form: ``YYYYMMDD-NNNN``, ``YYMMDD-NNNN``, ``YYMMDDNNNN``, ``YYYYMMDDNNNN``, ``YYMMDD+NNNN``,
  with spaces, dots or any Unicode dash or minus between the groups → ``[personnummer]``;
* phone numbers (``070-123 45 67``, ``+46 70 123 45 67``, ``0046 70…``, ``08-123 456 78``, ``0555-12 30 00``)
  → ``[telefon]``;
* e-mail addresses, also written to dodge a filter (``anna(at)example(dot)se``, ``anna [at] example [dot] se``,
  ``anna at example dot se``, spaces around ``@``, ``mailto:anna%40example.se``, ``&#64;``) → ``[e-post]``;
* and, to be safe, any other run of six or more digits (a case number, a card number, a date of birth)
  → ``[nummer]``.

Before that, :func:`normalize` takes away what can hide them: full-width, half-width, small and mathematical
letter and digit forms become the plain ones (NFKC, for those forms only: NFKC on everything would also turn
``m²`` into ``m2`` and ``…`` into ``...``), invisible and direction-changing characters (Unicode format
characters: zero-width spaces, bidi controls and isolates, the byte-order mark, soft hyphens, word joiners) are
removed, and so are combining marks put on digits. Zero-width (non-)joiners stay between two letters of a
script that needs them (Persian) and inside emoji sequences. Redaction is applied until nothing changes, so
redacting twice gives what redacting once gave.

It errs on the side of removing too much: a lost number in a search statistic costs nothing, a stored
personal identity number is a personal-data incident.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata

PNR = "[personnummer]"
PHONE = "[telefon]"
EMAIL = "[e-post]"
NUMBER = "[nummer]"

# --- what hides personal data ---------------------------------------------------------------------------

# The compatibility forms NFKC may safely fold: nobody writes ordinary text in them, but they disguise digits,
# letters and '@' (U+FF20 FULLWIDTH COMMERCIAL AT). They all live in these blocks.
_SAFE_FORMS = ("<wide>", "<narrow>", "<small>", "<font>")
_SAFE_BLOCKS = ((0x2100, 0x2150), (0x3000, 0x3001), (0xFB20, 0xFB30), (0xFE50, 0xFE70), (0xFF00, 0xFFF0),
                (0x1D400, 0x1D800), (0x1EE00, 0x1EF00), (0x1FBF0, 0x1FC00))
_JOINERS = "\u200c\u200d"  # zero-width non-joiner and joiner: Persian spelling, emoji sequences
_FILLERS = "\u115f\u1160\u3164"  # Hangul fillers: letters that show nothing


@functools.cache
def _fold_table() -> dict[int, str]:
    table = {}
    for start, end in _SAFE_BLOCKS:
        for cp in range(start, end):
            if unicodedata.decomposition(chr(cp)).startswith(_SAFE_FORMS):
                table[cp] = unicodedata.normalize("NFKC", chr(cp))
    return table


def _joins(ch: str | None) -> bool:
    """True for a character a zero-width joiner may stand beside: a non-ASCII letter, mark or symbol."""
    return (ch is not None and not ch.isascii() and not ch.isdecimal()
            and unicodedata.category(ch)[0] in "LMS")


def normalize(text: str) -> str:
    """*text* with what can disguise personal data taken away (see the module's description); ordinary text
    (letters, digits, punctuation, dashes, symbols, emoji) is left as it is."""
    if text.isascii():
        return text
    text = text.translate(_fold_table())
    out: list[str] = []
    for i, ch in enumerate(text):
        kind = unicodedata.category(ch)
        if kind == "Cf":
            if ch in _JOINERS and i and _joins(text[i - 1]) and _joins(text[i + 1] if i + 1 < len(text) else None):
                out.append(ch)
        elif ch in _FILLERS or (kind in ("Mn", "Me") and out and out[-1].isdecimal()):
            continue
        else:
            out.append(ch)
    return "".join(out)


# --- e-mail addresses -----------------------------------------------------------------------------------

_LOCAL = r"\w.!#$%&'*+/=?^`{|}~-"
_AT = (r"\s*(?:@|%40|&#0*64;|&#x0*40;|&commat;)\s*"            # anna@, anna @ , anna%40, anna&#64;
       r"|\s*[(\[{<]\s*(?:at|snabel-?a)\s*[)\]}>]\s*")          # anna(at), anna [at], anna (snabel-a)
_AT_WORD = r"\s+(?:at|snabel-?a)\s+"                            # anna at example dot se
_DOT_WORD = r"\s*[(\[{<]\s*(?:dot|punkt)\s*[)\]}>]\s*|\s+(?:dot|punkt)\s+"
_DOT = rf"\.|%2e|{_DOT_WORD}"
_LABEL = r"[\w-]+"
_TLD = r"[^\W\d_]{2,}"  # letters: "Jag (at) 08.00" is not an address
# A bare "at" counts only with a spelled-out dot too: "titta at exempelstad.se" stays.
_EMAIL = re.compile(
    rf"(?<![{_LOCAL}])(?:mailto:)?[{_LOCAL}]+"
    rf"(?:(?:{_AT}){_LABEL}(?:(?:{_DOT}){_LABEL})*(?:{_DOT}){_TLD}"
    rf"|{_AT_WORD}{_LABEL}(?:(?:{_DOT_WORD}){_LABEL})*(?:{_DOT_WORD}){_TLD})", re.IGNORECASE)

# --- numbers --------------------------------------------------------------------------------------------

# Any dash or minus may stand between a personal identity number's date and its last four digits; inside other
# runs of digits only hyphen-like ones do (an en dash joins a range: "8.00–17.00" is opening hours).
_DASHES = "\\-\u2010-\u2015\u2043\u2212\ufe58\ufe63\uff0d"
_HYPHENS = "\\-\u2010\u2011\u2212"
_SPACES = " \t\u00a0\u2007\u2009\u202f"
_PNR = re.compile(rf"(?<![\d+])(?:(?:18|19|20)\d{{2}}|\d{{2}})\s?\d{{2}}\s?\d{{2}}(?:\s*[{_DASHES}+]\s*|\s)?"
                  rf"\d{{4}}(?!\d)")
_PNR_SEPARATED = re.compile(rf"(?:\d{{2}})?\d{{2}}\s?\d{{2}}\s?\d{{2}}(?:\s*[{_DASHES}+]\s*|\s)\d{{4}}")
_PHONE_START = re.compile(rf"\(?0(?:\d{{1,3}}\)?\s?[{_HYPHENS}/)]|7\d[\s{_HYPHENS}]|7\d{{8}}$)")
# A run of digits with at most a few separator characters between them ("070-123 45 67", "+46 (0)70…").
_NUMBERISH = re.compile(rf"(?<![\w])\+?\(?\d(?:[{_SPACES}{_HYPHENS}+./()]{{0,3}}\d)+\)?")
_MAX_PASSES = 8


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


def _redact_once(text: str) -> str:
    text = _EMAIL.sub(EMAIL, normalize(text))
    text = _PNR.sub(_pnr, text)
    return _NUMBERISH.sub(_classify, text)


def redact(text: str) -> str:
    """*text* normalized, with personal identity numbers, phone numbers, e-mail addresses and long numbers
    replaced; redacting the result again changes nothing."""
    text = text or ""
    for _ in range(_MAX_PASSES):  # a replacement can bring two parts of a disguised number together
        redacted = _redact_once(text)
        if redacted == text:
            break
        text = redacted
    return text


def contains_personal_data(text: str) -> bool:
    """True when :func:`redact` would replace something in *text* (more than :func:`normalize` changes)."""
    return redact(text) != normalize(text or "")


# --- the development server's request log ---------------------------------------------------------------

# The request's HTTP version at the end of a request line (or of a message quoting one, maybe in colour).
_VERSION_TAIL = re.compile(r"\sHTTP/\d{1,3}(?:\.\d{1,3})?(?:['\")]|\x1b\[[\d;]*m)*\Z")
# http.server's messages about a request line's last word when it is no HTTP version: that word is often the
# rest of a query with a space in it ("GET /?q=anna svensson"), so it is never logged.
_BAD_VERSION = re.compile(r"\A((?:Bad request|Invalid HTTP) version )\(.*\)\Z", re.DOTALL)


def strip_query(text: str) -> str:
    """*text* (a request line, or a message quoting one) without its query string: everything from the first
    ``?`` up to the request's HTTP version at the very end, or to the end of the text when it has none.

    A hand-made request line may hold spaces, quotes and a fake ``HTTP/1.1`` inside its query, so nothing in
    the query can end it early: only the real version, which is always last, is kept."""
    start = text.find("?")
    if start < 0:
        return text
    tail = _VERSION_TAIL.search(text, start + 1)
    return f"{text[:start + 1]}[…]{tail.group() if tail else ''}"


def _client_text(text: str) -> str:
    """What a client sent, as a log line may keep it: no query string, no bad version, redacted."""
    return redact(strip_query(_BAD_VERSION.sub(r"\1(…)", text)))


class QueryStringFilter(logging.Filter):
    """A logging filter that keeps query strings (search words are personal data) out of log lines.

    Installed on the ``werkzeug`` logger, whose request lines (``"GET /agent/?q=… HTTP/1.1" 200``) and error
    messages (``Bad request syntax ('…')``) would otherwise keep whatever a request line held. The client's
    parts of a record are its arguments (the message format holds the address and time): each loses its query
    string (:func:`strip_query`) and a malformed HTTP version, and is then redacted (:func:`redact`), for what
    a path may hold. A record without arguments loses its query strings only."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's arguments (or its message when it has none); never drop the record."""
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_client_text(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict) and record.args:
            record.args = {k: _client_text(v) if isinstance(v, str) else v for k, v in record.args.items()}
        elif isinstance(record.msg, str):
            record.msg = strip_query(record.msg)
        return True


def install_log_filter(logger_name: str = "werkzeug") -> None:
    """Add :class:`QueryStringFilter` to a logger (once)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, QueryStringFilter) for f in logger.filters):
        logger.addFilter(QueryStringFilter())
