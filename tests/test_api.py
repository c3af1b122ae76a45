"""The headless API: answers, credentials, caching, CORS, the error shape and the OpenAPI document."""

from __future__ import annotations

import re
import sqlite3

import jsonschema
import pytest

from portal.web import auth
from portal.web.openapi import document
from tests.conftest import MARKERS
from tests.test_auth import add_users, login

DOC = document()


def validate(data, schema_name: str) -> None:
    """Validate *data* against a schema of the OpenAPI document (refs resolved within it)."""
    schema = {**DOC, "$ref": f"#/components/schemas/{schema_name}"}
    jsonschema.Draft202012Validator(schema).validate(data)


@pytest.fixture
def token(app, tmp_path) -> str:
    """A valid API token for the app."""
    return auth.add_token(tmp_path / "data" / "tokens.json", "crm")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def no_markers(r) -> None:
    body = r.get_data(as_text=True)
    assert not [m for m in MARKERS if m in body], body[:300]


# --- the OpenAPI document -------------------------------------------------------------------------------

def test_openapi_paths_match_routes(app, client):
    served = client.get("/api/v1/openapi.json").get_json()
    assert served["openapi"].startswith("3.1")
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")}
    routes = {r.replace("{article_id}", "{id}") for r in routes}
    assert routes == set(served["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1")).replace(
                "{article_id}", "{id}")
            documented = {m.upper() for m in served["paths"][path]}
            assert rule.methods - {"HEAD", "OPTIONS"} == documented
    jsonschema.Draft202012Validator.check_schema({**DOC["components"]["schemas"]["SearchResult"]})


def test_public_answers_match_the_schemas(client):
    cases = [("/api/v1/search?q=bygglov", "SearchResult"), ("/api/v1/search?q=apply&lang=en&limit=5", "SearchResult"),
             ("/api/v1/articles", "ArticleList"), ("/api/v1/articles?lang=ar", "ArticleList"),
             ("/api/v1/articles/bygglov?lang=en", "Article"), ("/api/v1/articles/forskoleplats?lang=ar", "Article"),
             ("/api/v1/categories?lang=en", "CategoryList"), ("/api/v1/languages", "LanguageList"),
             ("/api/v1/openapi.json", "OpenAPI")]
    for url, schema in cases:
        r = client.get(url)
        assert r.status_code == 200, url
        no_markers(r)
        validate(r.get_json(), schema)
    for hit in client.get("/api/v1/search?q=bygglov").get_json()["hits"]:
        validate(hit, "Hit")  # strict: no internal field slips into a public hit
    for item in client.get("/api/v1/articles").get_json()["articles"]:
        validate(item, "ArticleSummary")


def test_internal_answers_match_the_schemas(client, token):
    cases = [("/api/v1/search?q=rutin&audience=all", "SearchResult"),
             ("/api/v1/articles?audience=all", "ArticleList"),
             ("/api/v1/articles/hemlig-rutin?audience=all", "InternalArticle"),
             ("/api/v1/articles/bygglov?audience=all", "InternalArticle")]
    for url, schema in cases:
        r = client.get(url, headers=bearer(token))
        assert r.status_code == 200, url
        validate(r.get_json(), schema)
    hits = client.get(cases[0][0], headers=bearer(token)).get_json()["hits"]
    for hit in hits:
        validate(hit, "InternalHit")


# --- content and credentials ----------------------------------------------------------------------------

def test_article_fallback_and_redirected_id(client):
    data = client.get("/api/v1/articles/forskoleplats?lang=ar").get_json()
    assert data["fallback"] is True and data["lang"] == "sv"
    data = client.get("/api/v1/articles/bygglov?lang=en").get_json()
    assert data["fallback"] is False and data["title"] == "Apply for a building permit"
    assert data["public_url"] == "https://www.testby.se/en/bygglov/" and "<p>" in data["html"]
    assert client.get("/api/v1/articles/bygglov-ansokan").get_json()["id"] == "bygglov"


def test_internal_article_needs_credentials_and_audience(client, token):
    hidden = client.get("/api/v1/articles/hemlig-rutin")
    missing = client.get("/api/v1/articles/no-such-article")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json()["error"].keys() == missing.get_json()["error"].keys()
    no_markers(hidden)
    assert client.get("/api/v1/articles/hemlig-rutin", headers=bearer(token)).status_code == 404
    assert client.get("/api/v1/articles/utkast-artikel").status_code == 404
    r = client.get("/api/v1/articles/hemlig-rutin?audience=all", headers=bearer(token))
    assert r.status_code == 200 and "MARKER-INTERNAL-ARTICLE-BODY-8e4c" in r.get_data(as_text=True)
    r = client.get("/api/v1/articles/bygglov?audience=all", headers=bearer(token))
    data = r.get_json()
    assert "MARKER-INTERNAL-NOTE-7f3a" in data["internal_html"] and data["answer_group"] == "bbmt"


def test_public_list_and_search_hide_internal(client, token):
    ids = {a["id"] for a in client.get("/api/v1/articles").get_json()["articles"]}
    assert ids == {"bibliotekskort", "bygglov", "forskoleplats"}
    all_ids = {a["id"] for a in client.get("/api/v1/articles?audience=all",
                                           headers=bearer(token)).get_json()["articles"]}
    assert {"hemlig-rutin", "utkast-artikel"} <= all_ids
    for q in ("rutin", "simskola", "MARKER", "överlämning"):
        r = client.get(f"/api/v1/search?q={q}")
        no_markers(r)
        # with credentials but without audience=all the answer is public too
        no_markers(client.get(f"/api/v1/search?q={q}", headers=bearer(token)))


def test_agent_session_works_for_the_api(app):
    add_users(app)
    client = app.test_client()
    login(client)
    r = client.get("/api/v1/search?q=rutin&audience=all")
    assert r.status_code == 200 and "MARKER-INTERNAL-NOTE-7f3a" in r.get_data(as_text=True)
    assert r.headers["Cache-Control"] == "private, no-store"


def test_search_filters(client, token):
    hits = client.get("/api/v1/search?q=ansöka&category=barn-skola").get_json()["hits"]
    assert [h["id"] for h in hits] == ["forskoleplats"]
    hits = client.get("/api/v1/search?q=ansöka&answer_group=bbmt&audience=all", headers=bearer(token)).get_json()
    assert [h["id"] for h in hits["hits"]] == ["bygglov"]
    assert client.get("/api/v1/search?q=bygg&prefix=true").get_json()["count"] >= 1


# --- errors ---------------------------------------------------------------------------------------------

ERRORS = [
    ("/api/v1/search", 400), ("/api/v1/search?q=", 400), ("/api/v1/search?q=%20%20", 200),
    ("/api/v1/search?q=" + "a" * 301, 400), ("/api/v1/search?q=x&limit=abc", 400),
    ("/api/v1/search?q=x&limit=0", 400), ("/api/v1/search?q=x&limit=101", 400),
    ("/api/v1/search?q=x&limit=1.5", 400), ("/api/v1/search?q=x&lang=xx", 400),
    ("/api/v1/search?q=x&category=nope", 400), ("/api/v1/search?q=x&department=nope", 400),
    ("/api/v1/search?q=x&answer_group=nope", 401), ("/api/v1/search?q=x&answer_group=bbmt", 401),
    ("/api/v1/search?q=x&audience=everyone", 400), ("/api/v1/search?q=x&prefix=maybe", 400),
    ("/api/v1/search?q=x&audience=all", 401), ("/api/v1/articles?audience=all", 401),
    ("/api/v1/articles?lang=de", 400), ("/api/v1/articles/bygglov?lang=de", 400),
    ("/api/v1/articles/bygglov?audience=all", 401), ("/api/v1/categories?lang=zz", 400),
    ("/api/v1/articles/nope", 404), ("/api/v1/articles/hemlig-rutin", 404), ("/api/v1/nope", 404),
    ("/api/v2/search", 404), ("/api/v1/search?q=%00%01", 200),
]


@pytest.mark.parametrize(("url", "status"), ERRORS)
def test_every_error_has_the_one_shape(client, url, status):
    r = client.get(url)
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == "application/json"
    if status >= 400:
        validate(r.get_json(), "Error")
        assert r.get_json()["error"]["status"] == status
        assert r.headers["Cache-Control"] == "no-store"


def test_method_not_allowed_and_bad_token_are_json(client):
    r = client.post("/api/v1/search?q=x")
    assert r.status_code == 405
    validate(r.get_json(), "Error")
    r = client.get("/api/v1/search?q=x", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    validate(r.get_json(), "Error")


def test_query_too_long_code(client):
    assert client.get("/api/v1/search?q=" + "b" * 301).get_json()["error"]["code"] == "query_too_long"
    assert client.get("/api/v1/search?q=" + "b" * 300).status_code == 200


# --- caching and CORS -----------------------------------------------------------------------------------

def test_etag_and_304(client):
    r = client.get("/api/v1/articles/bygglov")
    assert r.headers["Cache-Control"].startswith("public") and r.headers["ETag"]
    again = client.get("/api/v1/articles/bygglov", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    assert "Cookie" not in r.headers.get("Vary", "")


def test_authenticated_answers_are_private(client, token):
    r = client.get("/api/v1/articles/bygglov", headers=bearer(token))
    assert r.headers["Cache-Control"] == "private, no-store" and "ETag" not in r.headers
    assert "Access-Control-Allow-Origin" not in r.headers


def test_cors(app, client):
    r = client.get("/api/v1/languages", headers={"Origin": "https://chat.example.se"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in r.headers
    app.config["CORS_ORIGINS"] = "https://www.testby.se, https://chat.testby.se"
    r = client.get("/api/v1/languages", headers={"Origin": "https://chat.testby.se"})
    assert r.headers["Access-Control-Allow-Origin"] == "https://chat.testby.se" and "Origin" in r.headers["Vary"]
    r = client.get("/api/v1/languages", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in r.headers


def test_api_search_log(client, tmp_path):
    client.get("/api/v1/search?q=qwzxv+anna@example.se")
    client.get("/api/v1/search?q=zzkk&prefix=true")  # as-you-type: not logged
    rows = sqlite3.connect(tmp_path / "data" / "searchlog.sqlite3").execute(
        "SELECT query, searches FROM search_counts").fetchall()
    assert rows == [("qwzxv [e-post]", 1)]


def test_search_says_how_it_ranked_and_whether_it_is_sure(client):
    settled = client.get("/api/v1/search?q=hur+ansöker+jag+om+bygglov").get_json()
    assert settled["mode"] == "hybrid" and all(isinstance(h["confident"], bool) for h in settled["hits"])
    assert settled["hits"][0]["id"] == "bygglov" and settled["hits"][0]["confident"] and settled["confident"]
    assert client.get("/api/v1/search?q=bygglov&mode=lexical").get_json()["mode"] == "lexical"
    assert client.get("/api/v1/search?q=byggl&prefix=true").get_json()["mode"] == "lexical"
    bad = client.get("/api/v1/search?q=bygglov&mode=semantic")
    assert bad.status_code == 400 and "mode" in bad.get_json()["error"]["message"]


def test_a_question_in_another_language_finds_the_swedish_article(client):
    # bibliotekskort has only Swedish: an Arabic question finds it, marked as a fallback to Swedish.
    data = client.get("/api/v1/search", query_string={"q": "كيف أحصل على بطاقة المكتبة", "lang": "ar"}).get_json()
    hit = next(h for h in data["hits"] if h["id"] == "bibliotekskort")
    assert hit["lang"] == "sv" and hit["fallback"] is True
    assert data["hits"].index(hit) < 2
