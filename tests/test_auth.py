"""Login and access: nothing internal without credentials, sessions, CSRF, rate limits, tokens, users."""

from __future__ import annotations

import json
import os
import re
import stat
import time

import pytest
from werkzeug.security import generate_password_hash

from portal import create_app
from portal.cli import admin as cli_admin
from portal.web import auth
from tests.conftest import MARKERS, TODAY

FAST = "pbkdf2:sha256:1000"  # quick hashes for tests; production uses werkzeug's default (scrypt)
ARTICLE_IDS = ("bygglov", "hemlig-rutin", "utkast-artikel", "forskoleplats", "bibliotekskort", "no-such-id")


def add_users(app) -> None:
    """An agent (anna) and an editor (erik) in the app's config."""
    app.config["USERS"] = {
        "anna": {"role": "agent", "hash": generate_password_hash("anna-password-1", method=FAST)},
        "erik": {"role": "editor", "hash": generate_password_hash("erik-password-1", method=FAST)},
    }


def csrf(client, path: str = "/agent/login") -> str:
    """The CSRF token from a form on *path*."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def login(client, name: str = "anna", pw: str = "anna-password-1", next_: str = ""):
    """Post the login form."""
    return client.post("/agent/login", data={"username": name, "password": pw, "csrf_token": csrf(client),
                                             "next": next_})


@pytest.fixture
def users(app):
    add_users(app)
    return app


def _urls(app) -> list[str]:
    """Every GET route under /agent and /api with its URL parameters filled with real ids."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/agent", "/api")) or "GET" not in rule.methods:
            continue
        if not rule.arguments:
            out.append(rule.rule)
            continue
        for article_id in ARTICLE_IDS:
            url = rule.rule.replace("<article_id>", article_id).replace("<path:name>", "checklista.txt").replace(
                "<path:rest>", f"v1/{article_id}")
            assert "<" not in url, f"fill the URL parameters of {rule.rule} in this test"
            out.append(url)
    return out


def test_every_internal_route_needs_credentials(users, client):
    urls = _urls(users)
    assert any(u.startswith("/agent/reports") for u in urls) and any("/internal/" in u for u in urls)
    queries = ("", "?q=rutin", "?q=bygglov&lang=sv", "?q=MARKER&audience=all", "?audience=all", "?lang=en")
    for url in urls:
        for query in queries:
            r = client.get(url + query)
            body = r.get_data(as_text=True)
            for marker in MARKERS:
                assert marker not in body, f"{url}{query} leaked {marker}"
            if url.startswith("/agent"):
                if url == "/agent/login":
                    assert r.status_code == 200
                    continue
                assert r.status_code == 302, url
                assert r.headers["Location"].startswith("/agent/login?next="), url
            else:
                assert r.status_code in (200, 304, 400, 401, 404), (url, query, r.status_code)
                if "audience=all" in query and url.startswith(("/api/v1/search", "/api/v1/articles")):
                    assert r.status_code in (400, 401), (url, query)  # never an internal answer
                if r.status_code == 401:
                    assert r.get_json()["error"]["status"] == 401


def test_routes_answer_after_login(users, client):
    assert login(client).status_code == 302
    for url in _urls(users):
        r = client.get(url)
        r.close()
        assert r.status_code in ((302,) if url == "/agent/login" else (200, 400, 403, 404)), url


def test_login_and_logout(users, client):
    r = login(client, next_="/agent/article/bygglov?lang=en")
    assert r.status_code == 302 and r.headers["Location"] == "/agent/article/bygglov?lang=en"
    page = client.get("/agent/article/bygglov").get_data(as_text=True)
    assert "MARKER-INTERNAL-NOTE-7f3a" in page
    r = client.post("/agent/logout", data={"csrf_token": csrf(client, "/agent/")})
    assert r.status_code == 302 and r.headers["Location"] == "/agent/login"
    assert client.get("/agent/").status_code == 302


def test_wrong_password_is_a_generic_error(users, client):
    for name, password in (("anna", "wrong-password"), ("nobody", "anna-password-1")):
        r = login(client, name, password)
        assert r.status_code == 401
        assert "Fel användarnamn eller lösenord." in r.get_data(as_text=True)
    assert client.get("/agent/").status_code == 302


def test_failed_login_keeps_the_user_name_escaped(users, client):
    """A wrong password leaves the user name in its field (escaped); the password field stays empty."""
    page = login(client, "anna", "wrong-password").get_data(as_text=True)
    assert 'id="username" name="username" type="text" value="anna"' in page
    assert "wrong-password" not in page
    page = login(client, '"><script>x</script>', "nope").get_data(as_text=True)
    assert '<script>x</script>' not in page and 'value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in page


def test_login_rate_limited_per_user(users, client):
    for _ in range(5):
        assert login(client, "anna", "nope").status_code == 401
    r = login(client)  # even the right password waits now
    assert r.status_code == 429 and "För många" in r.get_data(as_text=True)
    assert login(client, "erik", "erik-password-1").status_code == 302  # another user is not blocked


def test_login_rate_limited_per_ip(users, client):
    users.config["LOGIN_MAX_FAILURES_IP"] = 4
    for n in range(4):
        assert login(client, f"guess{n}", "nope").status_code == 401
    assert login(client, "erik", "erik-password-1").status_code == 429


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "evil.example", "/%0d%0aSet-Cookie:x", "\\\\evil"])
def test_no_open_redirect_after_login(users, client, target):
    r = login(client, next_=target)
    assert r.status_code == 302
    location = r.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "evil" not in location or location.startswith("/%")


def test_csrf_required_on_forms(users, client):
    r = client.post("/agent/login", data={"username": "anna", "password": "anna-password-1"})
    assert r.status_code == 400
    assert client.get("/agent/").status_code == 302
    login(client)
    assert client.post("/agent/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/agent/").status_code == 200  # still logged in


def test_session_cookie_flags(users, client):
    r = login(client)
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # auto: plain HTTP on loopback (the test client's localhost)
    r = users.test_client().get("/agent/login", base_url="https://127.0.0.1")
    assert "Secure" in r.headers["Set-Cookie"]  # auto: always over HTTPS
    users.config["COOKIE_SECURE"] = True
    third = users.test_client()
    r = login(third)
    assert "Secure" in r.headers["Set-Cookie"]


def test_session_secure_auto_off_loopback(users):
    client = users.test_client()
    r = client.get("/agent/login", base_url="http://kunskap.example.se")
    assert "Secure" in r.headers["Set-Cookie"]


def test_idle_session_times_out(users, client):
    from portal.web.database import current_database

    login(client)
    with users.app_context():  # the session's last use, as the server keeps it (tests/test_hardening_sessions.py)
        current_database().run("UPDATE sessions SET seen = ?", (time.time() - 61 * 60,))
    r = client.get("/agent/")
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "inaktivitet" in page or client.get("/agent/").status_code == 302


def test_removed_user_loses_session(users, client):
    login(client)
    del users.config["USERS"]["anna"]
    assert client.get("/agent/").status_code == 302


def test_roles(users, client):
    login(client)
    assert client.get("/agent/reports/searches").status_code == 403
    assert "Sökningar utan svar" not in client.get("/agent/").get_data(as_text=True)
    other = users.test_client()
    login(other, "erik", "erik-password-1")
    assert other.get("/agent/reports/searches").status_code == 200


def test_trusted_proxy_header_only_when_configured(users, client):
    assert client.get("/agent/", headers={"X-Remote-User": "anna"}).status_code == 302
    users.config.update(TRUSTED_PROXY_HEADER="X-Remote-User", TRUSTED_PROXIES="127.0.0.1")  # the test client's
    r = client.get("/agent/", headers={"X-Remote-User": "sso.person"})
    assert r.status_code == 200 and "sso.person" in r.get_data(as_text=True)
    assert client.get("/agent/reports/searches", headers={"X-Remote-User": "sso.person"}).status_code == 403
    assert client.get("/agent/reports/searches", headers={"X-Remote-User": "erik"}).status_code == 200
    assert client.get("/agent/", headers={"X-Remote-User": ""}).status_code == 302


def test_api_tokens_are_stored_hashed(users, client, tmp_path):
    token = auth.add_token(tmp_path / "data" / "tokens.json", "crm")
    stored = (tmp_path / "data" / "tokens.json").read_text()
    assert token not in stored and auth.hash_token(token) in stored
    r = client.get("/api/v1/search?q=rutin&audience=all", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and "MARKER-INTERNAL-NOTE-7f3a" in r.get_data(as_text=True)
    for header in (f"Bearer {token}x", "Bearer ", "Basic YW5uYTp4", token):
        r = client.get("/api/v1/languages", headers={"Authorization": header})
        assert r.status_code == 401 and r.get_json()["error"]["code"] == "invalid_token"


def test_secret_key_generated_and_kept(corpus_dir, tmp_path):
    config = {"TESTING": True, "ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index",
              "DATA_DIR": tmp_path / "fresh", "SECRET_KEY": None}
    first = create_app(config)
    key = tmp_path / "fresh" / "secret_key"
    assert first.config["SECRET_KEY"] and key.read_text().strip() == first.config["SECRET_KEY"]
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert create_app(config).config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_first_user_has_a_random_password(corpus_dir, tmp_path):
    config = {"ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index", "DATA_DIR": tmp_path / "d",
              "TODAY": TODAY.isoformat(), "FIRST_USER": True}
    app = create_app(config)
    messages = "\n".join(app.extensions["startup_messages"])
    password = re.search(r"password (\S+)", messages).group(1)
    assert len(password) >= 12 and password not in (tmp_path / "d" / "users.json").read_text()
    assert json.loads((tmp_path / "d" / "users.json").read_text())["users"]["admin"]["role"] == "admin"
    assert stat.S_IMODE(os.stat(tmp_path / "d" / "users.json").st_mode) == 0o600
    client = app.test_client()
    assert login(client, "admin", password).status_code == 302
    again = create_app(config)  # users exist now: no new user, no message
    assert not again.extensions.get("startup_messages")
    other = create_app({**config, "DATA_DIR": tmp_path / "e"})
    assert re.search(r"password (\S+)", "\n".join(other.extensions["startup_messages"])).group(1) != password


def test_cli_users_and_tokens(runner, tmp_path):
    data = str(tmp_path / "data")
    r = runner.invoke(cli_admin.users, ["add", "sara", "--role", "editor", "--data-dir", data],
                      input="a-long-password\na-long-password\n")
    assert r.exit_code == 0, r.output
    stored = json.loads((tmp_path / "data" / "users.json").read_text())["users"]["sara"]
    assert stored["role"] == "editor" and "a-long-password" not in json.dumps(stored)
    r = runner.invoke(cli_admin.users, ["add", "kort", "--data-dir", data], input="short\nshort\n")
    assert r.exit_code != 0
    assert "sara\teditor" in runner.invoke(cli_admin.users, ["list", "--data-dir", data]).output
    r = runner.invoke(cli_admin.tokens, ["add", "chatbot", "--data-dir", data])
    token = r.stdout.strip().splitlines()[0]
    assert token.startswith("ptk_") and token not in (tmp_path / "data" / "tokens.json").read_text()
    assert runner.invoke(cli_admin.tokens, ["remove", "chatbot", "--data-dir", data]).exit_code == 0
    assert runner.invoke(cli_admin.users, ["remove", "nobody", "--data-dir", data]).exit_code != 0


def test_users_from_environment(app, client, monkeypatch):
    monkeypatch.setenv("PORTAL_USERS", json.dumps(
        {"envuser": {"role": "agent", "hash": generate_password_hash("env-password-1", method=FAST)}}))
    assert login(client, "envuser", "env-password-1").status_code == 302
