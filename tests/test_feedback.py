"""Citizen feedback and e-service starts: the API's posts, their bad input, the storage (SQLite and a real
PostgreSQL server), and what the public pages and the static build show."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pytest

from portal.site import pipeline
from portal.web.feedbackstore import Store, current_store


def _stored(app):
    with app.app_context():
        store = current_store()
        return store.figures(), store.comments()


# --- the API ------------------------------------------------------------------------------------------------

def test_a_json_answer_is_stored_with_no_personal_data(client, app):
    r = client.post("/api/v1/feedback", json={"article": "bygglov", "lang": "sv", "helpful": False,
                                             "comment": "Ring 070-123 45 67 eller anna@example.se, pnr 19800101-1234"})
    assert r.status_code == 201 and r.get_json()["received"] is True
    assert r.headers["Cache-Control"] == "no-store"
    figures, comments = _stored(app)
    assert figures["bygglov"].no == 1 and figures["bygglov"].yes == 0
    text = comments[0].comment
    assert "070" not in text and "anna@" not in text and "1234" not in text
    assert "[telefon]" in text and "[e-post]" in text and "[personnummer]" in text


def test_a_plain_form_is_sent_back_to_the_article_which_shows_the_thanks(client, app):
    r = client.post("/api/v1/feedback", data={"article": "bygglov", "lang": "en", "helpful": "yes", "comment": ""})
    assert r.status_code == 303 and r.headers["Location"] == "/en/bygglov/#feedback-thanks"
    assert _stored(app)[0]["bygglov"].yes == 1
    page = client.get("/en/bygglov/").get_data(as_text=True)
    assert 'id="feedback-thanks"' in page and 'action="/api/v1/feedback"' in page


def test_the_redirect_goes_to_the_sites_origin_and_never_to_another(client):
    site = client.post("/api/v1/feedback", data={"article": "bygglov", "lang": "sv", "helpful": "no"},
                       headers={"Origin": "https://www.testby.se"})
    assert site.headers["Location"] == "https://www.testby.se/sv/bygglov/#feedback-thanks"
    evil = client.post("/api/v1/feedback", data={"article": "bygglov", "lang": "sv", "helpful": "no"},
                       headers={"Origin": "https://evil.example"})
    assert evil.headers["Location"] == "/sv/bygglov/#feedback-thanks"


@pytest.mark.parametrize(("body", "kind", "code"), [
    (b'{"article": "bygglov", "lang": "sv"', "application/json", "bad_json"),
    (b'["bygglov"]', "application/json", "bad_json"),
    (b"article=bygglov&lang=sv&helpful=\xff", "application/x-www-form-urlencoded", "bad_encoding"),
    (b"article=bygglov&lang=sv&helpful=%ff", "application/x-www-form-urlencoded", "bad_form"),
    (b"article=bygglov&article=forskoleplats&lang=sv&helpful=yes", "application/x-www-form-urlencoded", "bad_form"),
    (b"article=bygglov&lang=sv&helpful=yes&name=Anna", "application/x-www-form-urlencoded", "unknown_field"),
    (b"article=bygglov&lang=sv", "application/x-www-form-urlencoded", "missing_field"),
    (b"article=bygglov&lang=sv&helpful=kanske", "application/x-www-form-urlencoded", "bad_field"),
    (b"article=bygglov&lang=xx&helpful=yes", "application/x-www-form-urlencoded", "bad_field"),
    (b"article=bygglov&lang=sv&helpful=yes&comment=" + b"x" * 501, "application/x-www-form-urlencoded",
     "comment_too_long"),
    (b"article=bygglov&lang=sv&helpful=yes&comment=" + b"x" * 5000, "application/x-www-form-urlencoded", "too_large"),
    (b"<xml/>", "text/xml", "unsupported_type"),
    (b'{"article": 5, "lang": "sv", "helpful": true}', "application/json", "bad_field"),
])
def test_bad_posts_are_a_400_in_the_one_error_shape_and_store_nothing(client, app, body, kind, code):
    r = client.post("/api/v1/feedback", data=body, content_type=kind)
    assert r.status_code == 400, r.get_data(as_text=True)
    error = r.get_json()["error"]
    assert error["status"] == 400 and error["code"] == code and error["message"]
    assert _stored(app) == ({}, [])


def test_internal_and_draft_articles_look_like_unknown_ones(client, app):
    for article in ("hemlig-rutin", "utkast-artikel"):
        r = client.post("/api/v1/feedback", json={"article": article, "lang": "sv", "helpful": True})
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "unknown_article"
    r = client.post("/api/v1/feedback", json={"article": "finns-inte", "lang": "sv", "helpful": True})
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "unknown_article"
    assert _stored(app) == ({}, [])
    assert "hemlig" not in client.get("/sv/bibliotekskort/").get_data(as_text=True)


def test_a_flood_gets_429_with_retry_after(client, app):
    app.config["FEEDBACK_MAX_POSTS"] = 3
    codes = [client.post("/api/v1/feedback", json={"article": "bygglov", "lang": "sv", "helpful": True}).status_code
             for _ in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    r = client.post("/api/v1/feedback", json={"article": "bygglov", "lang": "sv", "helpful": True})
    assert r.get_json()["error"]["code"] == "too_many_requests" and int(r.headers["Retry-After"]) > 0
    assert _stored(app)[0]["bygglov"].yes == 3


def test_cross_origin_posts_are_allowed_and_preflights_answered(client):
    r = client.options("/api/v1/feedback", headers={"Origin": "https://www.testby.se",
                                                    "Access-Control-Request-Method": "POST",
                                                    "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 200 and "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in r.headers["Access-Control-Allow-Headers"]
    r = client.post("/api/v1/feedback", json={"article": "bygglov", "lang": "sv", "helpful": True},
                    headers={"Origin": "https://www.testby.se"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_e_service_starts_are_counted_per_article_without_personal_data(client, app):
    assert client.post("/api/v1/starts", data={"article": "bygglov", "lang": "sv"}).status_code == 204
    assert client.post("/api/v1/starts", data={"article": "bygglov", "lang": "en"}).status_code == 204
    r = client.post("/api/v1/starts", data={"article": "finns-inte", "lang": "sv"})
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "unknown_article"
    assert _stored(app)[0]["bygglov"].starts == {"web": 2}


def test_the_article_page_carries_the_form_and_the_start_count(client):
    page = client.get("/sv/bygglov/").get_data(as_text=True)
    assert 'method="post" action="/api/v1/feedback"' in page and 'name="helpful" value="no"' in page
    assert 'data-start-url="/api/v1/starts"' in page and "feedback.js" in page
    assert 'maxlength="500"' in page


# --- the static build ---------------------------------------------------------------------------------------

def _set_api(corpus_dir: Path, api: str | None) -> None:
    site = corpus_dir / "site.yml"
    text = site.read_text("utf-8")
    if api:
        text = text.replace("  base_url: https://www.testby.se\n", f"  base_url: https://www.testby.se\n  api: {api}\n")
    site.write_text(text, "utf-8")


def test_the_static_site_posts_to_site_api_and_its_csp_allows_exactly_that(corpus_dir: Path, tmp_path: Path):
    _set_api(corpus_dir, "https://api.testby.se")
    pipeline.build(corpus_dir, tmp_path / "site", tmp_path / "index", today=dt.date(2026, 11, 23))
    page = (tmp_path / "site" / "sv" / "bygglov" / "index.html").read_text("utf-8")
    assert 'action="https://api.testby.se/api/v1/feedback"' in page
    assert 'data-start-url="https://api.testby.se/api/v1/starts"' in page
    headers = (tmp_path / "site" / "_headers").read_text("utf-8")
    for csp in (html.unescape(page), headers):
        assert "connect-src 'self' https://api.testby.se;" in csp
        assert "form-action 'self' https://api.testby.se" in csp
    assert (tmp_path / "site" / "static" / "public" / "feedback.js").is_file()


def test_without_site_api_the_static_site_shows_no_form_it_cannot_send(corpus_dir: Path, tmp_path: Path):
    pipeline.build(corpus_dir, tmp_path / "site", tmp_path / "index", today=dt.date(2026, 11, 23))
    page = (tmp_path / "site" / "sv" / "bygglov" / "index.html").read_text("utf-8")
    assert "data-feedback" not in page and "data-start-url" not in page


def test_a_bad_site_api_is_an_error_naming_the_line(corpus_dir: Path):
    _set_api(corpus_dir, "javascript:alert(1)")
    _, problems = pipeline.load(corpus_dir)
    assert any("site.api" in p.message and p.line == 4 for p in problems), problems


# --- storage: the same tests on SQLite and on a real PostgreSQL server --------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return Store(tmp_path / "feedback.sqlite3")
    url = request.getfixturevalue("postgres_url")
    store = Store(url)
    with store._cursor() as cur:  # a clean slate for each test
        for table in ("feedback", "starts", "reports"):
            cur.execute(f"DELETE FROM {table}")  # noqa: S608
    return store


def test_the_store_counts_answers_comments_and_starts(store):
    now = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
    store.add_feedback("bygglov", "sv", True, "", now=now)
    store.add_feedback("bygglov", "en", False, "Svårt att förstå", now=now)
    store.add_start("bygglov", "sv", "web", now=now)
    store.add_start("bygglov", "sv", "web", now=now)
    store.add_start("bygglov", "sv", "agent", now=now)
    figures = store.figures(now=now)["bygglov"]
    assert (figures.yes, figures.no, figures.comments) == (1, 1, 1)
    assert figures.starts == {"web": 2, "agent": 1} and figures.yes_share == 0.5
    assert [c.comment for c in store.comments()] == ["Svårt att förstå"]


def test_the_store_keeps_rows_only_for_the_retention_period(store):
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=store.days + 1)
    store.add_feedback("bygglov", "sv", True, "gammal", now=old)
    store.add_start("bygglov", "sv", "web", now=old)
    store.add_feedback("bygglov", "sv", False, "ny")
    assert store.prune() >= 2
    assert store.count("feedback") == 1 and store.count("starts") == 0


def test_a_postgresql_store_keeps_its_connection_and_opens_a_new_one_when_the_server_drops_it(postgres_url):
    import psycopg

    store = Store(postgres_url)
    before = store.count("feedback")
    pid = store._run("SELECT pg_backend_pid()")[0][0]
    store.add_feedback("bygglov", "sv", True, "")
    assert store._run("SELECT pg_backend_pid()")[0][0] == pid  # one connection per thread, kept
    # The server drops it (a restart, an idle timeout): the next write goes through on a new one, once.
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    store.add_feedback("bygglov", "sv", False, "")
    assert store._run("SELECT pg_backend_pid()")[0][0] != pid
    assert store.close_report(store.add_report("bygglov", "bsu", "Fel", "", "anna", "r1"), "erik")
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
                      " AND datname = current_database()")
    assert store.count("feedback") == before + 2  # a read after the drop, too
    # An error that is not a dropped connection is not tried again.
    with pytest.raises(psycopg.errors.UndefinedTable):
        store._run("SELECT * FROM no_such_table")


def test_reports_close_when_the_article_changes_or_an_editor_marks_them_done(store):
    first = store.add_report("bygglov", "MARKER-OWNER-2b7d", "Fel avgift", "", "anna", "rev1")
    second = store.add_report("forskoleplats", "bsu", "Fel länk", "Ny länk", "anna", "rev9")
    store.add_report("borta", "bsu", "x", "", "anna", "rev5")
    assert len(store.reports()) == 3
    assert store.reported_articles() == {"bygglov": 1, "forskoleplats": 1, "borta": 1}
    assert store.close_changed({"bygglov": "rev2", "forskoleplats": "rev9"}) == 2
    assert [r.id for r in store.reports()] == [second]
    assert store.close_report(second, "erik") and not store.close_report(second, "erik")
    closed = {r.id: r.closed_how for r in store.reports(open_only=False)}
    assert closed[first] == "changed" and closed[second] == "done"
    assert store.report(second).closed_by == "erik" and store.report(second).what == "Fel länk"
    assert store.report(99999) is None and store.reported_articles() == {}
