"""Personal data is removed from search queries before anything stores them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.web.redact import EMAIL, NUMBER, PHONE, PNR, contains_personal_data, redact

PERSONAL_NUMBERS = [
    "850615-1234", "19850615-1234", "8506151234", "198506151234", "850615+1234", "19850615+1234",
    "850615 1234", "19850615 1234", "850615 - 1234", "85 06 15-1234", "850675-1234", "19850675-1234",
    "8506751234", "050315-1234", "20050315-1234", "0503151234", "121212-1212", "19121212+1212",
]
PHONES = [
    "070-123 45 67", "0701234567", "070 123 45 67", "070-1234567", "073-987 65 43", "076 123 45 67",
    "+46 70 123 45 67", "+46701234567", "+46 (0)70-123 45 67", "0046 70 123 45 67", "08-123 456 78",
    "08 123 456 78", "(08) 123 45 67", "08-12345678", "031-123 45 67", "0555-12 30 00", "042-10 50 00",
    "0771-12 34 56",
]
EMAILS = ["anna.svensson@example.se", "kalle+kommun@post.exempelstad.se", "A.B@Example.COM", "anna(at)example.se"]


@pytest.mark.parametrize("pnr", PERSONAL_NUMBERS)
def test_personal_identity_numbers(pnr):
    for text in (pnr, f"bygglov {pnr}", f"{pnr} hemtjänst", f"ärende för {pnr}, ring tillbaka"):
        out = redact(text)
        assert PNR in out, (text, out)
        assert not any(ch.isdigit() for ch in out), out


@pytest.mark.parametrize("phone", PHONES)
def test_phone_numbers(phone):
    out = redact(f"ring {phone} om bygglov")
    assert out == f"ring {PHONE} om bygglov", out


@pytest.mark.parametrize("email", EMAILS)
def test_email_addresses(email):
    assert redact(f"svar till {email} tack") == f"svar till {EMAIL} tack"


@pytest.mark.parametrize("text", ["ärende 2024-123456", "kortnummer 4111 1111 1111 1111", "kundnr 99887766"])
def test_other_long_numbers(text):
    out = redact(text)
    assert NUMBER in out or PHONE in out or PNR in out
    assert sum(ch.isdigit() for ch in out) < 5


@pytest.mark.parametrize("text", ["bygglov", "förskola 1 688 kr", "parkering 2024", "Stortorget 1, 252 20",
                                  "bo 65+", "avgift 500 kronor", "skola åk 7", "LSS 9 §", "", "e-tjänst"])
def test_ordinary_queries_are_kept(text):
    assert redact(text) == text
    assert not contains_personal_data(text)


def test_mixed_query():
    text = "bygglov 19850615-1234 ring 070-123 45 67 eller anna@example.se"
    assert redact(text) == f"bygglov {PNR} ring {PHONE} eller {EMAIL}"
    assert contains_personal_data(text)


def test_request_log_lines_lose_their_query_string(app):
    import logging

    from portal.web.redact import QueryStringFilter

    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - [%s] "%s" %s',
                               ("127.0.0.1", "now", "GET /agent/?q=19850615-1234 HTTP/1.1", "200"), None)
    QueryStringFilter().filter(record)
    line = record.getMessage()
    assert "19850615" not in line and "GET /agent/?[…] HTTP/1.1" in line
    assert any(isinstance(f, QueryStringFilter) for f in logging.getLogger("werkzeug").filters)


# --- issue 26: obfuscated addresses, Unicode dashes, invisible characters ----------------------------------

OBFUSCATED_EMAILS = [
    "anna(at)example(dot)se", "anna (at) example (dot) se", "anna [at] example [dot] se", "anna{at}example{dot}se",
    "anna[at]example.se", "anna @ example.se", "anna @example.se", "anna@ example.se", "anna\uff20example.se",
    "anna\ufe6bexample.se", "".join(chr(ord(ch) + 0xFEE0) for ch in "anna@example.se"),  # all full-width
    "mailto:anna%40example.se", "mailto:anna@example.se", "anna%40example%2Ese", "anna&#64;example.se",
    "anna at example dot se", "anna AT example DOT se", "anna (snabel-a) example (punkt) se",
    "anna.lind(at)post.example(dot)se", "anna\u200b@\u200bexample.se", "an\u00adna@exam\u00adple.se",
]


@pytest.mark.parametrize("email", OBFUSCATED_EMAILS)
def test_obfuscated_email_addresses(email):
    out = redact(f"svar till {email} tack")
    assert out == f"svar till {EMAIL} tack", out


DASHES = ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe63", "\uff0d", " \u2013 "]


@pytest.mark.parametrize("dash", DASHES)
@pytest.mark.parametrize("pnr", ["19121212{}1212", "121212{}1212", "850615{}1234", "19850675{}1234"])
def test_personal_identity_numbers_with_unicode_dashes(pnr, dash):
    text = pnr.format(dash)
    for sentence in (text, f"bygglov {text}", f"ärende för {text}, ring tillbaka"):
        out = redact(sentence)
        assert PNR in out and not any(ch.isdigit() for ch in out), (sentence, out)


@pytest.mark.parametrize("text", [
    "１９１２１２１２－１２１２", "19121212-1212\u0301", "1912\u200b1212-1212", "1912\u20601212\u00ad-1212",
    "19121212\u00a01212", "１９１２１２１２\u20131212", "070\u2010123 45 67",
])
def test_numbers_split_or_disguised_by_invisible_or_wide_characters(text):
    out = redact(f"nummer {text} tack")
    assert not any(ch.isdigit() for ch in out), out


INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u00ad\u2060"


def test_invisible_and_direction_changing_characters_are_removed():
    text = "".join(f"a{ch}b " for ch in INVISIBLE)
    assert redact(text) == "ab " * len(INVISIBLE)


def test_joiners_inside_persian_and_emoji_are_kept():
    for text in ("می\u200cخواهم", "👨\u200d👩\u200d👧", "❤\ufe0f\u200d🔥"):
        assert redact(text) == text


@pytest.mark.parametrize("text", [
    "kl. 8–17", "öppet 08.00–17.00", "läsåret 2025–2026", "Ring oss – vi hjälper dig", "En altan på 25 m²",
    "Vänta…", "1 688 kr", "Sök på exempelstad.se", "Titta på www.exempelstad.se/bygglov", "vi ses (at) home",
    "Jag läste om @exempelstad", "10 % rabatt", "mellan 1914–1918", "betala 500 kr – 1 000 kr",
])
def test_ordinary_text_with_dashes_symbols_and_addresses_is_kept(text):
    assert redact(text) == text


# Sentences of ordinary Swedish: words with å, ä and ö, punctuation, short numbers (never two in a row, which
# could make a long number: "1 000 000" is one on purpose), dashes and typographic symbols. None holds personal
# data, so none may change.
WORDS = ["Jag", "vill", "ansöka", "om", "bygglov", "för", "en", "altan", "på", "tomten", "Hur", "lång", "tid",
         "tar", "det", "förskola", "barnet", "hemtjänst", "äldreboende", "Var", "kan", "jag", "läsa", "mer",
         "kommunen", "e-tjänsten", "BankID", "öppettider", "måndag–fredag", "kl.", "m²", "kr", "§", "åk",
         "Tack!", "snälla", "varför?", "inte…", "”svar”", "(se", "nedan)", "LSS", "vård-", "och", "omsorg",
         "–", "—", "&", "%", "exempelstad.se", "Stortorget", "år", "dygn", "Ärende:", "ÅÄÖ"]
NUMBERS = st.integers(min_value=0, max_value=9999).map(str) | st.sampled_from(["8–17", "08.00–17.00", "2025–2026"])
SENTENCES = st.lists(st.tuples(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6), st.none() | NUMBERS),
                     min_size=1, max_size=6).map(
    lambda parts: " ".join(" ".join(words) + (f" {n}" if n else "") for words, n in parts))


@settings(max_examples=300, deadline=None, database=None)
@given(SENTENCES)
def test_ordinary_swedish_sentences_are_unchanged(sentence):
    assert redact(sentence) == sentence
    assert not contains_personal_data(sentence)


TRICKY = st.lists(st.sampled_from([*"0123456789 -+.@()[]/%40atdose",
                                   *"\u2013\u2212\u200b\u00ad\uff10\uff20\u0301\u200c\u0628",
                                   "(at)", "[dot]", "mailto:", "HTTP/", "@@"]),
                  max_size=40).map("".join)


@settings(max_examples=500, deadline=None, database=None)
@given(st.text(max_size=80) | TRICKY)
def test_redaction_is_idempotent(text):
    once = redact(text)
    assert redact(once) == once
