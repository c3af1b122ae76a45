"""Issue 26, findings 3-5: the trusted user header only from the proxy, sessions that end on the server, and
private data files.

Every test here failed on the code before the fix (see the commit that added this file).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import create_app
from portal.cli import admin as cli_admin
from tests.conftest import TODAY
from tests.test_auth import add_users, csrf, login

ROOT = Path(__file__).resolve().parent.parent
SECRET = "proxy-secret-0123456789abcdef"
MARKER = "MARKER-INTERNAL-NOTE-7f3a"



@pytest.fixture(autouse=True)
def _index(request: pytest.FixtureRequest, indexed_corpus: Path, tmp_path: Path) -> None:
    """Each test's own app gets a copy of one index of the test corpus (the `app` fixture copies its own): the
    app never builds one in a request."""
    if "app" not in request.fixturenames:
        shutil.copytree(indexed_corpus, tmp_path / "index", symlinks=True)

def _config(corpus_dir: Path, tmp_path: Path, **extra) -> dict:
    return {"TESTING": True, "ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index", "TODAY": TODAY.isoformat(),
            "SECRET_KEY": "test-secret", "DATA_DIR": tmp_path / "data", **extra}


def current_database():
    """The app's shared database (imported here, so that this file ran, and failed test by test, before it
    existed)."""
    from portal.web.database import current_database as current

    return current()


def _session_cookie(client) -> str:
    cookie = client.get_cookie("portal_session")
    assert cookie is not None
    return cookie.value


def _with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie("portal_session", value)
    return other


# --- 3. the trusted header only from the proxy -----------------------------------------------------------------

@pytest.fixture
def proxied(corpus_dir, tmp_path):
    app = create_app(_config(corpus_dir, tmp_path, TRUSTED_PROXY_HEADER="X-Remote-User", TRUSTED_PROXY_SECRET=SECRET))
    add_users(app)
    return app


def test_a_direct_request_with_the_user_header_but_no_secret_is_nobody(proxied, caplog):
    client = proxied.test_client()
    with caplog.at_level(logging.WARNING, logger="portal"):
        assert client.get("/agent/", headers={"X-Remote-User": "erik"}).status_code == 302
    assert any("X-Remote-User" in r.getMessage() and "ignored" in r.getMessage() for r in caplog.records)
    wrong = {"X-Remote-User": "erik", "X-Portal-Proxy-Secret": SECRET[:-1] + "x"}
    assert client.get("/agent/", headers=wrong).status_code == 302
    r = client.get("/api/v1/search?q=rutin&audience=all", headers={"X-Remote-User": "erik"})
    assert r.status_code == 401 and MARKER not in r.get_data(as_text=True)
    right = {"X-Remote-User": "erik", "X-Portal-Proxy-Secret": SECRET}
    r = client.get("/agent/reports/searches", headers=right)
    assert r.status_code == 200 and "erik" in r.get_data(as_text=True)
    r = client.get("/api/v1/search?q=rutin&audience=all", headers=right)
    assert r.status_code == 200 and MARKER in r.get_data(as_text=True)


def test_trusted_proxies_are_compared_with_the_socket_peer_not_x_forwarded_for(corpus_dir, tmp_path):
    app = create_app(_config(corpus_dir, tmp_path, TRUSTED_PROXY_HEADER="X-Remote-User",
                             TRUSTED_PROXIES="10.0.0.5, 192.168.1.0/24"))
    add_users(app)
    client = app.test_client()
    stranger = {"REMOTE_ADDR": "203.0.113.9"}
    header = {"X-Remote-User": "anna", "X-Forwarded-For": "10.0.0.5"}
    assert client.get("/agent/", headers=header, environ_base=stranger).status_code == 302
    assert client.get("/agent/", headers=header, environ_base={"REMOTE_ADDR": "192.168.1.7"}).status_code == 200
    # ProxyFix rewrites remote_addr from X-Forwarded-For: the peer that connected is still the stranger.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)
    assert client.get("/agent/", headers=header, environ_base=stranger).status_code == 302
    assert client.get("/agent/", headers={**header, "X-Forwarded-For": "203.0.113.9"},
                      environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 200


def test_a_header_set_after_start_without_secret_or_proxies_is_never_trusted(proxied):
    proxied.config["TRUSTED_PROXY_SECRET"] = ""
    assert proxied.test_client().get("/agent/", headers={"X-Remote-User": "erik"}).status_code == 302


def test_the_app_refuses_to_start_with_the_header_and_neither_secret_nor_proxies(corpus_dir, tmp_path, monkeypatch):
    from portal.exceptions import ConfigError

    with pytest.raises(ConfigError, match=r"PORTAL_TRUSTED_PROXY_SECRET.*PORTAL_TRUSTED_PROXIES"):
        create_app(_config(corpus_dir, tmp_path, TRUSTED_PROXY_HEADER="X-Remote-User"))
    monkeypatch.setenv("PORTAL_TRUSTED_PROXY_HEADER", "X-Remote-User")
    with pytest.raises(ConfigError):
        create_app(_config(corpus_dir, tmp_path))
    for bad in ({"TRUSTED_PROXIES": "not-an-address"}, {"TRUSTED_PROXY_SECRET": "short"}):
        with pytest.raises(ConfigError):
            create_app(_config(corpus_dir, tmp_path, **bad))
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "127.0.0.1")
    assert create_app(_config(corpus_dir, tmp_path)).config["TRUSTED_PROXY_HEADER"] == "X-Remote-User"


def _refused(command: list[str], corpus_dir: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PORTAL_TRUSTED_PROXY_HEADER": "X-Remote-User", "PORTAL_ARTICLES_DIR": str(corpus_dir),
           "PORTAL_INDEX_DIR": str(tmp_path / "index"), "PORTAL_DATA_DIR": str(tmp_path / "data"),
           "PORTAL_BIND": f"unix:{tmp_path / 'sock'}", "PORTAL_WORKERS": "1"}
    env.pop("PORTAL_TRUSTED_PROXY_SECRET", None)
    env.pop("PORTAL_TRUSTED_PROXIES", None)
    try:
        return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(command[:3])} started serving with an untrusted user header")


@pytest.mark.parametrize("server", ["portal serve", "gunicorn"])
def test_portal_serve_and_gunicorn_say_why_they_refuse_to_start(server, corpus_dir, tmp_path):
    if server == "gunicorn":
        command = [sys.executable, "-m", "gunicorn", "-c", "docs/gunicorn.conf.py", "portal.web.app:create_app()"]
    else:
        command = [str(Path(sys.executable).parent / "portal"), "serve", "--articles", str(corpus_dir), "--index",
                   str(tmp_path / "index"), "--port", "58731"]
    r = _refused(command, corpus_dir, tmp_path)
    assert r.returncode != 0
    assert "PORTAL_TRUSTED_PROXY_SECRET" in r.stderr and "PORTAL_TRUSTED_PROXIES" in r.stderr
    assert "Traceback" not in r.stderr, r.stderr


# --- 4. sessions that end -------------------------------------------------------------------------------------

@pytest.fixture
def users(app):
    add_users(app)
    return app


def test_a_cookie_copied_before_logout_no_longer_opens_the_agent_app(users, client):
    login(client)
    copied = _session_cookie(client)
    assert _with_cookie(users, copied).get("/agent/").status_code == 200
    client.post("/agent/logout", data={"csrf_token": csrf(client, "/agent/")})
    r = _with_cookie(users, copied).get("/agent/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/agent/login")
    r = _with_cookie(users, copied).get("/api/v1/search?q=rutin&audience=all")
    assert r.status_code == 401 and MARKER not in r.get_data(as_text=True)


def test_the_session_cookie_ends_with_the_browser(users, client):
    cookie = login(client).headers["Set-Cookie"]
    assert "portal_session=" in cookie
    assert "Expires" not in cookie and "Max-Age" not in cookie
    for _ in range(2):  # and stays a browser-session cookie on later answers
        for header in client.get("/agent/").headers.getlist("Set-Cookie"):
            assert "Expires" not in header and "Max-Age" not in header


def test_idle_and_absolute_limits_are_kept_on_the_server(users, client):
    login(client)
    copied = _session_cookie(client)
    with users.app_context():
        db = current_database()
        db.run("UPDATE sessions SET seen = seen - ?", (61 * 60,))
    assert "inaktivitet" in _with_cookie(users, copied).get("/agent/login").get_data(as_text=True)
    assert _with_cookie(users, copied).get("/agent/").status_code == 302  # gone for good, not just this once
    # The absolute limit holds however busy the session is.
    second = users.test_client()
    login(second)
    with users.app_context():
        current_database().run("UPDATE sessions SET created = created - ?", (10 * 3600 + 60,))
    assert second.get("/agent/").status_code == 302
    # A live session within both limits keeps working, and its last use is kept on the server.
    third = users.test_client()
    login(third)
    with users.app_context():
        current_database().run("UPDATE sessions SET seen = seen - 120")
        before = max(row[0] for row in current_database().run("SELECT seen FROM sessions"))
    assert third.get("/agent/").status_code == 200
    with users.app_context():
        after = max(row[0] for row in current_database().run("SELECT seen FROM sessions"))
    assert after > before and abs(after - time.time()) < 60


def test_an_admin_or_the_cli_ends_all_of_a_users_sessions(users, runner, tmp_path):
    users.config["USERS"]["erik"]["role"] = "admin"
    anna1, anna2, erik = users.test_client(), users.test_client(), users.test_client()
    login(anna1)
    login(anna2)
    login(erik, "erik", "erik-password-1")
    assert anna1.get("/agent/").status_code == anna2.get("/agent/").status_code == 200
    # An agent may not; an admin may, from the users page.
    assert anna1.get("/agent/users").status_code == 403
    page = erik.get("/agent/users").get_data(as_text=True)
    assert "anna" in page and "Avsluta" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert anna1.post("/agent/users/anna/end-sessions",
                      data={"csrf_token": csrf(anna1, "/agent/")}).status_code == 403
    r = erik.post("/agent/users/anna/end-sessions", data={"csrf_token": token})
    assert r.status_code == 302
    assert anna1.get("/agent/").status_code == anna2.get("/agent/").status_code == 302
    assert erik.get("/agent/").status_code == 200
    # From the command line, on the same data folder.
    login(anna1)
    result = runner.invoke(cli_admin.users, ["end-sessions", "erik", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    assert "1" in result.output
    assert erik.get("/agent/").status_code == 302 and anna1.get("/agent/").status_code == 200


# --- 5. private data files ------------------------------------------------------------------------------------

def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_data_folder_and_every_file_the_stores_create_are_private(corpus_dir, tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)  # a folder made by hand, open to everyone: the app closes it
    app = create_app(_config(corpus_dir, tmp_path, SECRET_KEY=None))
    add_users(app)
    client = app.test_client()
    login(client)
    assert client.post("/api/v1/feedback", json={"article": "bygglov", "lang": "sv", "helpful": True,
                                                 "comment": "Bra"}).status_code == 201
    client.get("/api/v1/search?q=zzzxqy")  # a search with no hit: the search log
    assert _mode(data) == 0o700
    wanted = ["secret_key", "feedback.sqlite3", "feedback.sqlite3-wal", "feedback.sqlite3-shm", "searchlog.sqlite3"]
    for name in wanted:
        assert (data / name).exists(), name
    for path in data.iterdir():
        assert _mode(path) == 0o600, f"{path.name} is {oct(_mode(path))}"
    # A fresh folder, too.
    fresh = tmp_path / "fresh" / "data"
    other = create_app(_config(corpus_dir, tmp_path, DATA_DIR=fresh, SECRET_KEY=None))
    add_users(other)
    login(other.test_client())
    assert _mode(fresh) == 0o700
    assert all(_mode(p) == 0o600 for p in fresh.iterdir()), {p.name: oct(_mode(p)) for p in fresh.iterdir()}
