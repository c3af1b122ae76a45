"""The audit trail: the store on SQLite and on a real PostgreSQL, what the app and the commands record, retention,
the admins' page, `portal report audit`, and that nothing but user names is kept (no password, query or address)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import pytest
from werkzeug.security import generate_password_hash

from portal import create_app
from portal.build import stages
from portal.cli import admin as cli_admin
from portal.cli.main import cli
from portal.exceptions import ConfigError
from portal.web import accounts
from portal.web.audit import current_audit
from portal.web.audittrail import ACTIONS, AuditTrail
from portal.web.database import Database, StoreUnavailable, current_database
from portal.web.feedbackstore import current_store
from tests.conftest import TODAY
from tests.test_auth import FAST, add_users, csrf, login

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
PASSWORD = "hemligt-MARKER-PASSWORD-lösen"  # typed into the login form, never to be stored
PERSONAL = "19121212-1212"


def with_admin(app) -> None:
    """The agent anna, the editor erik and the admin ada."""
    add_users(app)
    app.config["USERS"]["ada"] = {"role": "admin", "hash": generate_password_hash("ada-password-1", method=FAST)}


def rows(app) -> list:
    with app.app_context():
        return current_audit().events(days=3650, limit=100000)


@pytest.fixture(params=["sqlite", "postgresql"])
def trail(request, tmp_path):
    url = str(tmp_path / "audit.sqlite3") if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    db = Database(url)
    audit = AuditTrail(db, days=30)
    db.run("DELETE FROM audit")  # the PostgreSQL server is shared by the module's tests
    yield audit
    db.drop()


def test_the_trail_keeps_filters_and_prunes_on_both_databases(trail):
    old = NOW - dt.timedelta(days=40)
    trail.record("login", "anna", "", "agent", "password", now=old)
    trail.record("login_failed", "anna", "", "wrong password", "password", now=NOW - dt.timedelta(days=2))
    trail.record("sessions_ended", "ada", "anna", "2", "web", now=NOW - dt.timedelta(hours=1))
    trail.record("role_changed", "root", "erik", "editor -> admin", "cli", now=NOW)
    events = trail.events(days=3650, now=NOW)
    assert [e.action for e in events] == ["role_changed", "sessions_ended", "login_failed", "login"]
    assert [e.action for e in trail.events(days=1, now=NOW)] == ["role_changed", "sessions_ended"]
    assert {e.action for e in trail.events(days=30, user="anna", now=NOW)} == {"login_failed", "sessions_ended"}
    assert [e.action for e in trail.events(days=30, action="role_changed", now=NOW)] == ["role_changed"]
    assert events[0].as_dict() == {"id": events[0].id, "at": "2026-11-23T12:00:00+00:00", "actor": "root",
                                   "action": "role_changed", "target": "erik", "detail": "editor -> admin",
                                   "via": "cli"}
    assert trail.prune(NOW) == 1  # 30 days kept: the 40-day-old login goes
    assert len(trail.events(days=3650, now=NOW)) == 3
    with pytest.raises(ValueError, match="unknown audit action"):
        trail.record("search", "anna")
    trail.record("login_failed", "x" * 5000 + "\x00\n", "", "wrong password", now=NOW)
    assert trail.events(days=1, action="login_failed", now=NOW)[0].actor == "x" * 200  # cut, no control chars


def test_sessions_from_the_identity_provider_on_both_databases(trail):
    """The sessions' grant table beside the audit trail's, on the same database: the role and ID token of a
    provider's session, gone with the session however it ends."""
    from portal.web.sessions import ENDED, EXPIRED, LIVE, SessionStore

    store = SessionStore(trail.db)
    trail.db.run("DELETE FROM sso_sessions")
    trail.db.run("DELETE FROM sessions")
    local = store.start("anna")
    sso = store.start("erik.editor", role="editor", id_token="header.claims.signature")
    assert store.lookup(local, "anna", 60, 3600) == (LIVE, None)
    assert store.lookup(sso, "erik.editor", 60, 3600) == (LIVE, "editor")
    assert store.id_token(sso) == "header.claims.signature" and store.id_token(local) is None
    assert store.sso_roles(60, 3600) == {"erik.editor": "editor"}
    assert store.end_all("erik.editor") == 1
    assert store.lookup(sso, "erik.editor", 60, 3600) == (ENDED, None) and store.id_token(sso) is None
    old = store.start("ada", role="admin", id_token="t", now=0.0)
    assert store.lookup(old, "ada", 60, 3600) == (EXPIRED, None) and store.id_token(old) is None
    store.start("ada", role="admin", id_token="t2", now=0.0)
    assert store.prune(60, 3600) == 1
    assert trail.db.run("SELECT COUNT(*) FROM sso_sessions")[0][0] == 0


def test_old_events_are_pruned_as_new_ones_are_written(tmp_path):
    trail = AuditTrail(Database(tmp_path / "a.sqlite3"), days=7)
    trail.db.run("INSERT INTO audit (at, actor, action, target, detail, via) VALUES (?, ?, ?, ?, ?, ?)",
                 ("2020-01-01T00:00:00+00:00", "anna", "login", "", "", ""))
    trail.record("logout", "anna")
    assert [e.action for e in trail.events(days=3650)] == ["logout"]


def test_a_database_that_cannot_write_loses_the_event_but_never_the_login(tmp_path, caplog, monkeypatch):
    trail = AuditTrail(Database(tmp_path / "a.sqlite3"))

    def fail(*_args, **_kwargs):
        raise StoreUnavailable()

    monkeypatch.setattr(trail.db, "run", fail)
    trail.record("login", "anna", "", "agent", "password")
    assert "could not write to the audit trail now" in caplog.text and "login by anna" in caplog.text


def test_the_table_holds_nothing_but_these_columns(app):
    with app.app_context():
        current_audit()
        columns = [r[1] for r in current_database().run("PRAGMA table_info(audit)")]
    assert columns == ["id", "at", "actor", "action", "target", "detail", "via"]


def test_what_people_do_in_the_app_is_recorded_without_passwords_queries_or_addresses(app, tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_SEMANTIC_SEARCH", "0")  # the searches' ranking does not matter here
    with_admin(app)
    token = accounts.add_token(tmp_path / "data" / "tokens.json", "crm")
    anna, erik, ada = app.test_client(), app.test_client(), app.test_client()
    assert login(anna, "anna", PASSWORD).status_code == 401
    assert login(anna, f"anna {PERSONAL}", PASSWORD).status_code == 401  # a user name no one has
    assert login(anna).status_code == 302 and login(erik, "erik", "erik-password-1").status_code == 302
    assert login(ada, "ada", "ada-password-1").status_code == 302
    for query in (f"bygglov {PERSONAL}", "MARKER-QUERY-sökord"):
        assert anna.get("/agent/", query_string={"q": query}).status_code == 200
        assert anna.get("/api/v1/search", query_string={"q": query}).status_code == 200
    assert app.test_client().get("/api/v1/search?q=MARKER-QUERY-api",
                                 headers={"Authorization": f"Bearer {token}"}).status_code == 200
    anna.post("/agent/article/bygglov/report", data={"what": "Fel avgift MARKER-REPORT-TEXT",
                                                    "csrf_token": csrf(anna, "/agent/")})
    with app.app_context():
        report_id = current_store().reports(article="bygglov")[0].id
        other = current_store().add_report("bibliotekskort", "", "fel", "", "anna", "old-revision")
        current_store().close_changed({"bibliotekskort": "new-revision"}, article="bibliotekskort")  # it changed
    assert erik.post(f"/agent/reports/errors/{report_id}/done",
                     data={"csrf_token": csrf(erik, "/agent/")}).status_code == 302
    page = ada.get("/agent/users").get_data(as_text=True)
    admin_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert ada.post("/agent/users/anna/end-sessions", data={"csrf_token": admin_token}).status_code == 302
    assert ada.post("/agent/tokens/crm/revoke", data={"csrf_token": admin_token}).status_code == 302
    assert app.test_client().get("/api/v1/search?q=x", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert erik.post("/agent/logout", data={"csrf_token": csrf(erik, "/agent/")}).status_code == 302

    events = rows(app)
    got = {(e.action, e.actor, e.target, e.detail, e.via) for e in events}
    assert ("login_failed", "anna", "", "wrong password", "password") in got
    assert ("login_failed", f"anna {PERSONAL}", "", "unknown user", "password") in got  # the name as typed
    assert {("login", "anna", "", "agent", "password"), ("login", "erik", "", "editor", "password"),
            ("login", "ada", "", "admin", "password")} <= got
    assert ("report_closed", "erik", f"#{report_id}", "done", "") in got
    assert ("report_closed", "system", f"#{other}", "changed", "") in got
    assert ("sessions_ended", "ada", "anna", "1", "web") in got
    assert ("token_removed", "ada", "crm", "", "web") in got
    assert ("logout", "erik", "", "", "password") in got
    everything = json.dumps([e.as_dict() for e in events], ensure_ascii=False)
    for secret in (PASSWORD, "MARKER-PASSWORD", "MARKER-QUERY", "MARKER-REPORT-TEXT", "bygglov", token,
                   "127.0.0.1", "localhost", "Werkzeug"):
        assert secret not in everything, secret
    assert everything.count(PERSONAL) == 1  # only as the user name someone typed, which the trail keeps


def test_the_admins_page(app):
    with_admin(app)
    ada, erik, anna = app.test_client(), app.test_client(), app.test_client()
    login(ada, "ada", "ada-password-1")
    login(erik, "erik", "erik-password-1")
    login(anna)
    login(app.test_client(), '<script>alert("x")</script>', "nope")
    assert anna.get("/agent/audit").status_code == erik.get("/agent/audit").status_code == 403
    assert "Granskningslogg" not in erik.get("/agent/").get_data(as_text=True)
    page = ada.get("/agent/audit").get_data(as_text=True)
    assert "Granskningslogg" in page and "Misslyckad inloggning" in page and "Inloggning" in page
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert 'href="/agent/audit"' in ada.get("/agent/").get_data(as_text=True)  # in the admin's menu
    only_erik = ada.get("/agent/audit?user=erik&days=1").get_data(as_text=True)
    assert "erik" in only_erik and "anna" not in only_erik.split("<tbody>")[1]
    failed = ada.get("/agent/audit?action=login_failed").get_data(as_text=True).split("<tbody>")[1]
    assert "Misslyckad inloggning" in failed and ">Inloggning<" not in failed
    assert ada.get("/agent/audit?days=oops&action=nonsense").status_code == 200  # odd filters: the defaults


def test_index_generations_and_reloads_are_recorded(corpus_dir, tmp_path, monkeypatch, indexed_corpus):
    monkeypatch.setenv("PORTAL_SEMANTIC_SEARCH", "0")  # lexical indexes are enough here, and quicker
    shutil.copytree(indexed_corpus, tmp_path / "index", symlinks=True)
    app = create_app({"TESTING": True, "ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index",
                      "TODAY": TODAY.isoformat(), "SECRET_KEY": "x", "DATA_DIR": tmp_path / "data"})
    client = app.test_client()
    assert client.get("/api/v1/articles/bygglov").status_code == 200
    assert not rows(app)  # the worker's first content is no change
    source = corpus_dir / "bibliotekskort" / "sv.md"
    source.write_text(source.read_text("utf-8").replace("title:", "title: Ny", 1), "utf-8")
    stages.index_content(corpus_dir, tmp_path / "index", lazy=True)
    assert client.get("/api/v1/articles/bygglov").status_code == 200
    [event] = rows(app)
    assert event.action == "index_generation" and event.actor == "system" and event.via == "app"
    assert event.target == (tmp_path / "index" / "current").resolve().name and "articles" in event.detail

    dev = create_app({"TESTING": True, "ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index",
                      "TODAY": TODAY.isoformat(), "SECRET_KEY": "x", "DATA_DIR": tmp_path / "dev",
                      "RELOAD_CONTENT": True})
    client = dev.test_client()
    assert client.get("/sv/bibliotekskort/").status_code == 200
    source.write_text(source.read_text("utf-8").replace("title: Ny", "title: Nyare", 1), "utf-8")
    assert client.get("/sv/bibliotekskort/").status_code == 200
    assert [(e.action, e.detail.split(": ")[1]) for e in rows(dev)] == [("content_reloaded", "1 folder(s)")]


def test_the_commands_record_what_they_change_and_report_audit_prints_it(runner, tmp_path, monkeypatch):
    data = str(tmp_path / "data")
    monkeypatch.setenv("USER", "operatören")
    monkeypatch.setattr("getpass.getuser", lambda: "operatören")
    pw = "a-long-password\na-long-password\n"
    for args, given in ((["add", "sara", "--role", "editor"], pw), (["add", "sara", "--role", "editor"], pw),
                        (["set-role", "sara", "admin"], None), (["end-sessions", "sara"], None),
                        (["remove", "sara"], None)):
        result = runner.invoke(cli_admin.users, [*args, "--data-dir", data], input=given)
        assert result.exit_code == 0, result.output
    assert runner.invoke(cli_admin.tokens, ["add", "chatbot", "--data-dir", data]).exit_code == 0
    assert runner.invoke(cli_admin.tokens, ["remove", "chatbot", "--data-dir", data]).exit_code == 0
    assert runner.invoke(cli_admin.tokens, ["add", "x", "--role", "admin", "--data-dir", data]).exit_code != 0

    result = runner.invoke(cli, ["report", "audit", "--json", "--data-dir", data])
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)
    assert [(e["action"], e["target"], e["detail"]) for e in events][::-1] == [
        ("user_added", "sara", "editor"), ("password_set", "sara", ""), ("role_changed", "sara", "editor -> admin"),
        ("sessions_ended", "sara", "0"), ("user_removed", "sara", ""), ("token_added", "chatbot", "agent"),
        ("token_removed", "chatbot", "")]
    assert {(e["actor"], e["via"]) for e in events} == {("operatören", "cli")}
    assert "a-long-password" not in result.stdout
    only = json.loads(runner.invoke(cli, ["report", "audit", "--json", "--user", "chatbot", "--data-dir",
                                          data]).stdout)
    assert [e["action"] for e in only] == ["token_removed", "token_added"]
    text = runner.invoke(cli, ["report", "audit", "--days", "1", "--data-dir", data])
    assert text.exit_code == 0 and "role_changed" in text.stdout and "editor -> admin" in text.stdout
    assert "7 event(s) in the last 1 day(s)" in text.stderr
    assert runner.invoke(cli, ["report", "audit", "--days", "0", "--data-dir", data]).exit_code == 2


def test_an_install_with_two_roles_keeps_working_and_names_its_admin(runner, corpus_dir, tmp_path):
    """users.json from before the admin role: the first user 'admin' an editor. It logs in as before; `portal
    serve` says no one is admin; `portal users set-role admin admin` names one, at once."""
    data = tmp_path / "data"
    accounts.write_json(data / "users.json", "users", {
        "admin": {"role": "editor", "hash": generate_password_hash("old-admin-password", method=FAST)},
        "anna": {"role": "agent", "hash": generate_password_hash("anna-password-1", method=FAST)}})
    config = {"TESTING": True, "ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index", "SECRET_KEY": "x",
              "DATA_DIR": data, "TODAY": TODAY.isoformat(), "FIRST_USER": True}
    app = create_app(config)
    assert "portal users set-role NAME admin" in "\n".join(app.extensions["startup_messages"])
    client = app.test_client()
    assert login(client, "admin", "old-admin-password").status_code == 302
    assert client.get("/agent/reports/feedback").status_code == 200 and client.get("/agent/users").status_code == 403
    result = runner.invoke(cli_admin.users, ["set-role", "admin", "admin", "--data-dir", str(data)])
    assert result.exit_code == 0 and "now admin (was editor)" in result.output
    assert client.get("/agent/users").status_code == 200  # the same session, the new role
    assert json.loads((data / "users.json").read_text())["users"]["admin"]["hash"].startswith("pbkdf2")
    assert not create_app(config).extensions.get("startup_messages")
    assert runner.invoke(cli_admin.users, ["set-role", "nobody", "admin", "--data-dir", str(data)]).exit_code == 1
    assert runner.invoke(cli_admin.users, ["set-role", "anna", "owner", "--data-dir", str(data)]).exit_code == 2


def test_retention_is_configured_in_days(corpus_dir, tmp_path, monkeypatch, runner):
    config = {"TESTING": True, "ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index", "SECRET_KEY": "x",
              "DATA_DIR": tmp_path / "data"}
    monkeypatch.setenv("PORTAL_AUDIT_DAYS", "7")
    app = create_app(config)
    assert app.config["AUDIT_DAYS"] == 7
    with app.app_context():
        current_audit().record("logout", "anna", now=dt.datetime.now(dt.UTC) - dt.timedelta(days=8))
        current_audit().prune()
    assert not rows(app)
    for bad in ("0", "a week"):
        monkeypatch.setenv("PORTAL_AUDIT_DAYS", bad)
        with pytest.raises(ConfigError, match="PORTAL_AUDIT_DAYS"):
            create_app(config)
        result = runner.invoke(cli, ["report", "audit", "--data-dir", str(tmp_path / "data")])
        assert result.exit_code == 1 and "PORTAL_AUDIT_DAYS must be a whole number" in result.output
        assert "Traceback" not in result.output


def test_every_action_has_a_swedish_label():
    assert all(label and label[0].isupper() for label in ACTIONS.values())


def test_the_copy_of_the_app_db_is_the_feedback_store(app):
    """The trail lives in the same database as the feedback (DATABASE_URL or the data folder's SQLite file)."""
    with app.app_context():
        assert current_audit().db is current_database() is current_store().db

