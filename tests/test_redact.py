"""Personal data is removed from search queries before anything stores them."""

from __future__ import annotations

import pytest

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
