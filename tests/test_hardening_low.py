"""Issue 26, the low findings: what a stranger's request or an unpublished article could still get out of the API
and the development server's log.

7. The API's public article HTML links no article citizens may not see (as the public page does not).
8. Answer-group keys (internal routing) are neither listed in the OpenAPI document nor told to a caller without
   credentials.
9. A deeply nested or oddly typed JSON body is a 400 in the one error shape, never a 500 with a traceback.
10. A comment posted with obfuscated personal data or invisible characters is stored without them
    (the redaction itself: tests/test_redact.py).
11. `portal serve`'s request log keeps no part of a query string, however the request line is made.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal import create_app
from portal.web import auth
from portal.web.feedbackstore import current_store
from tests.conftest import TODAY, wait_until_serving

PNR = "19121212-1212"


def bearer(app, tmp_path: Path) -> dict[str, str]:
    """Headers with a valid API token for *app*."""
    return {"Authorization": f"Bearer {auth.add_token(tmp_path / 'data' / 'tokens.json', 'crm')}"}


# --- 7. links to unpublished articles --------------------------------------------------------------------

@pytest.fixture
def linking_app(corpus_dir: Path, tmp_path: Path):
    """The test corpus where a public article links a draft, a scheduled article and a public one."""
    (corpus_dir / "kommande").mkdir()
    (corpus_dir / "kommande" / "sv.md").write_text(
        "---\ntitle: Simhall öppnar\nsummary: Den nya simhallen öppnar i januari.\ncategory: kultur\n"
        "publish_from: 2027-01-01\n---\nSimhallen öppnar.\n", "utf-8")
    source = corpus_dir / "bibliotekskort" / "sv.md"
    source.write_text(source.read_text("utf-8") + "\nLäs om [simskolan](article:utkast-artikel), om "
                      "[simhallen](article:kommande#tider) och om [bygglov](article:bygglov).\n", "utf-8")
    return create_app({"TESTING": True, "ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index",
                       "TODAY": TODAY.isoformat(), "SECRET_KEY": "test-secret", "DATA_DIR": tmp_path / "data"})


def test_the_api_article_html_links_no_unpublished_article_like_the_public_page(linking_app):
    client = linking_app.test_client()
    page = client.get("/sv/bibliotekskort/").get_data(as_text=True)
    html = client.get("/api/v1/articles/bibliotekskort").get_json()["html"]
    for shown in (page, html):
        assert 'href="/sv/utkast-artikel/"' not in shown and "/sv/kommande/" not in shown
        assert "simskolan" in shown and "simhallen" in shown  # the words stay, as text
        assert 'href="/sv/bygglov/"' in shown  # a public article stays linked
    assert "<span>simskolan</span>" in html and "<span>simhallen</span>" in html


def test_the_api_article_html_for_agents_keeps_its_links(linking_app, tmp_path):
    r = linking_app.test_client().get("/api/v1/articles/bibliotekskort?audience=all",
                                      headers=bearer(linking_app, tmp_path))
    assert 'href="/sv/utkast-artikel/"' in r.get_json()["html"]  # agents may open drafts


# --- 8. answer-group keys ---------------------------------------------------------------------------------

ANSWER_GROUPS = ("bbmt", "bas")


def test_the_openapi_document_lists_no_answer_group_key(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    param = next(p for p in doc["paths"]["/search"]["get"]["parameters"] if p["name"] == "answer_group")
    assert "enum" not in param["schema"]
    text = json.dumps(doc)
    assert not [key for key in ANSWER_GROUPS if f'"{key}"' in text]
    category = next(p for p in doc["paths"]["/search"]["get"]["parameters"] if p["name"] == "category")
    assert "bygga-bo" in category["schema"]["enum"]  # public keys are still listed


def test_the_openapi_document_served_with_credentials_lists_the_answer_group_keys(app, client, tmp_path):
    doc = client.get("/api/v1/openapi.json", headers=bearer(app, tmp_path)).get_json()
    param = next(p for p in doc["paths"]["/search"]["get"]["parameters"] if p["name"] == "answer_group")
    assert param["schema"]["enum"] == sorted(ANSWER_GROUPS)


@pytest.mark.parametrize("value", ["xyz", "bbmt", "bas", "BBMT", "x" * 200])
def test_an_answer_group_without_credentials_is_a_401_that_names_no_key(client, value):
    r = client.get(f"/api/v1/search?q=a&answer_group={value}")
    assert r.status_code == 401 and r.mimetype == "application/json"
    error = r.get_json()["error"]
    assert error["status"] == 401 and error["code"] == "unauthorized" and error["message"]
    text = r.get_data(as_text=True)
    assert not [key for key in ANSWER_GROUPS if key in text.replace(value, "")], text


def test_known_and_unknown_answer_groups_look_the_same_without_credentials(client):
    known = client.get("/api/v1/search?q=a&answer_group=bbmt")
    unknown = client.get("/api/v1/search?q=a&answer_group=zzzz")
    assert known.status_code == unknown.status_code == 401
    assert known.get_data() == unknown.get_data()


def test_an_unknown_answer_group_with_credentials_is_a_400(app, client, tmp_path):
    r = client.get("/api/v1/search?q=a&answer_group=xyz&audience=all", headers=bearer(app, tmp_path))
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_parameter"


# --- 9. nested and oddly typed JSON ----------------------------------------------------------------------

def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


NESTED = [
    nested(2000),                                                                    # the whole body
    '{"article": "bygglov", "lang": "sv", "helpful": true, "comment": ' + nested(1900) + "}",
    '{"article": ' + nested(1900, '"bygglov"') + ', "lang": "sv", "helpful": true}',
    '{"article": "bygglov", "lang": "sv", "helpful": ' + '{"a":' * 600 + "1" + "}" * 600 + "}",
    '{"article": "bygglov", "lang": "sv", "helpful": true, "comment": ' + nested(50) + "}",
]


@pytest.mark.parametrize("route", ["/api/v1/feedback", "/api/v1/starts"])
@pytest.mark.parametrize("body", NESTED)
def test_a_nested_json_body_is_a_400_without_a_traceback(app, client, caplog, route, body):
    assert len(body.encode()) <= 4096
    with caplog.at_level(logging.INFO):
        r = client.post(route, data=body, content_type="application/json")
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    error = r.get_json()["error"]
    assert error["status"] == 400 and error["code"] in ("bad_json", "bad_field", "unknown_field")
    assert not [rec for rec in caplog.records if rec.levelno >= logging.ERROR or rec.exc_info]
    with app.app_context():
        assert current_store().comments() == []


@pytest.mark.parametrize("body", [
    {"article": "bygglov", "lang": "sv", "helpful": True, "comment": ["hej"]},
    {"article": "bygglov", "lang": "sv", "helpful": True, "comment": {"text": "hej"}},
    {"article": ["bygglov"], "lang": "sv", "helpful": True},
    {"article": "bygglov", "lang": {"sv": 1}, "helpful": True},
    {"article": "bygglov", "lang": "sv", "helpful": [True]},
    {"article": "bygglov", "lang": "sv", "helpful": 1.5},
])
def test_wrong_types_in_json_fields_are_a_400(client, body):
    r = client.post("/api/v1/feedback", json=body)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_field"


def test_a_field_sent_twice_in_json_is_a_400(client):
    body = '{"article": "bygglov", "lang": "sv", "helpful": true, "helpful": false}'
    r = client.post("/api/v1/feedback", data=body, content_type="application/json")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_json"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)
FIELD_NAMES = st.sampled_from(["article", "lang", "helpful", "comment"]) | st.text(max_size=10)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(fields=st.dictionaries(FIELD_NAMES, JSON_VALUES | st.sampled_from(["bygglov", "sv", "ja"]), max_size=5),
       route=st.sampled_from(["/api/v1/feedback", "/api/v1/starts"]))
def test_any_json_body_is_answered_without_a_5xx(app, fields, route):
    app.config["FEEDBACK_MAX_POSTS"] = 10**9
    body = json.dumps(fields)
    r = app.test_client().post(route, data=body, content_type="application/json")
    assert r.status_code < 500, (body, r.get_data(as_text=True)[:300])
    if r.status_code >= 400:
        assert r.get_json()["error"]["status"] == r.status_code


# --- 10. what a comment keeps ---------------------------------------------------------------------------

def test_a_comment_loses_obfuscated_personal_data_and_invisible_characters(app, client):
    comment = ("Mejla anna(at)example(dot)se eller anna [at] exempel [dot] se eller anna ＠ example.se, "
               "mailto:anna%40example.se, pnr 191212\u20131212 och 19121212\u22121212, "
               "dolt\u200b\u202e\u2066\ufeff\u00adslut")
    r = client.post("/api/v1/feedback", json={"article": "bygglov", "lang": "sv", "helpful": False,
                                             "comment": comment})
    assert r.status_code == 201
    with app.app_context():
        stored = current_store().comments()[0].comment
    assert "anna" not in stored and "example" not in stored and "exempel" not in stored
    assert "1212" not in stored and stored.count("[personnummer]") == 2
    assert "doltslut" in stored
    assert not [ch for ch in stored if ch in "\u200b\u202e\u2066\ufeff\u00ad"]


# --- 11. the development server's request log -----------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


REQUEST_LINES = [
    f'GET /api/v1/languages?q=a b" {PNR} HTTP/1.1',                  # spaces and a quote in the query
    f"GET /api/v1/languages?q=a b' {PNR} HTTP/1.1",
    f"GET /api/v1/languages?q={PNR} HTTP/1.1",
    f"GET /api/v1/languages?q=a {PNR} HTTP/1.1 x HTTP/1.1",           # a fake version inside the query
    f"GET /api/v1/languages?q=a {PNR}",                               # no version at all
    f"GET /api/v1/languages?q=a HTTP/{PNR}",                          # the number as the version
    "GET /api/v1/languages?q=anna svensson",                          # the query's last word as the version
    "GET /api/v1/languages?q=anna HTTP/19121212.1212",                # a version number too high
    f"GET /sv/{PNR}/ HTTP/1.1",                                        # in the path, not the query
    'GET /api/v1/languages?q="anna.svensson@example.se" HTTP/1.1',
]


def send_raw(port: int, line: str) -> None:
    """Send one hand-made request line and read the answer, whatever it is."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(line.encode("latin-1") + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        while s.recv(65536):
            pass


def test_portal_serve_logs_no_part_of_a_hand_made_query(corpus_dir, tmp_path):
    port = free_port()
    env = {**os.environ, "PORTAL_DATA_DIR": str(tmp_path / "data"), "PORTAL_SEMANTIC_SEARCH": "0",
           "PORTAL_SECRET_KEY": "test-secret"}
    portal = Path(sys.executable).with_name("portal")
    server = subprocess.Popen([str(portal), "serve", "--articles", str(corpus_dir), "--index",
                               str(tmp_path / "index"), "--port", str(port)],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/api/v1/languages", server, "portal serve")
        for line in REQUEST_LINES:
            send_raw(port, line)
        time.sleep(0.5)
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0]
    assert log.count("/api/v1/languages") >= 5, log  # the requests were logged
    for leak in ("19121212", "-1212", "anna", "svensson", "example.se", " b "):
        assert leak not in log, f"{leak!r} reached the log:\n{log}"
