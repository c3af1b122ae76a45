"""Issue 27, items 1 and 2: the real client address behind the proxy (PORTAL_PROXY_COUNT), and limits and
lockouts kept in the database every worker and machine shares.

Every test here failed on the code before the fix (see the commit that added this file): behind the documented
nginx every client was the proxy's address, and the limits lived in each worker's memory.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from portal import create_app
from tests.conftest import TODAY
from tests.test_auth import add_users

PROXY = "127.0.0.1"  # the documented nginx on the same host: the socket peer of every proxied request
ANNA, ERIK = ("anna", "anna-password-1"), ("erik", "erik-password-1")


def _config(corpus_dir: Path, tmp_path: Path, **extra) -> dict:
    return {"TESTING": True, "ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index", "TODAY": TODAY.isoformat(),
            "SECRET_KEY": "test-secret", "DATA_DIR": tmp_path / "data", **extra}


def _app(corpus_dir: Path, tmp_path: Path, **extra):
    app = create_app(_config(corpus_dir, tmp_path, **extra))
    add_users(app)
    return app


def _limits():
    """portal.web.limits (imported when used, so that this file ran, and failed test by test, before it
    existed)."""
    from portal.web import limits

    return limits


class Client:
    """One browser at *address*: directly connected, or (with *via*) through the proxy at that address, which
    appends the client's address to X-Forwarded-For as nginx's $proxy_add_x_forwarded_for does."""

    def __init__(self, app, address: str, via: str | None = PROXY, forwarded: str = ""):
        self.http = app.test_client()
        self.address, self.via, self.forwarded = address, via, forwarded

    def _kw(self) -> dict:
        if self.via is None:
            return {"environ_base": {"REMOTE_ADDR": self.address}}
        chain = f"{self.forwarded}, {self.address}" if self.forwarded else self.address
        return {"environ_base": {"REMOTE_ADDR": self.via}, "headers": {"X-Forwarded-For": chain}}

    def login(self, name: str, password: str) -> int:
        page = self.http.get("/agent/login", **self._kw()).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.http.post("/agent/login", data={"username": name, "password": password, "csrf_token": token},
                              **self._kw()).status_code

    def feedback(self) -> int:
        return self.http.post("/api/v1/feedback", json={"article": "bygglov", "lang": "sv", "helpful": True},
                              **self._kw()).status_code

    def start(self) -> int:
        return self.http.post("/api/v1/starts", data={"article": "bygglov", "lang": "sv"}, **self._kw()).status_code


def _figures(app):
    from portal.web.feedbackstore import current_store

    with app.app_context():
        return current_store().figures()["bygglov"]


# --- 1. the real client address ----------------------------------------------------------------------------------

def test_behind_the_proxy_200_clients_failing_logins_lock_no_one_else_out(corpus_dir, tmp_path):
    app = _app(corpus_dir, tmp_path, PROXY_COUNT=1)
    failures = 0
    for n in range(200):
        client = Client(app, f"198.51.{n // 100}.{n % 100 + 1}")
        if n < 112:  # the 112 failed logins, spread over both accounts and names nobody has
            name = ("anna", "erik", f"guess{n}")[n % 3]
            assert client.login(name, "wrong-password") == 401, n
            failures += 1
        if n % 10 == 0:  # and clients whose first try failed still log in with the right password
            user = (ANNA, ERIK)[n % 20 // 10]
            assert client.login(*user) == 302, n
    assert failures == 112
    assert Client(app, "203.0.113.50").login(*ANNA) == 302
    assert Client(app, "203.0.113.51").login(*ERIK) == 302


def test_the_proxy_count_comes_from_the_environment_and_a_bad_one_stops_the_app(corpus_dir, tmp_path, monkeypatch):
    from portal.exceptions import ConfigError

    monkeypatch.setenv("PORTAL_PROXY_COUNT", "1")
    app = _app(corpus_dir, tmp_path, FEEDBACK_MAX_POSTS=2)
    first, second = Client(app, "198.51.100.1"), Client(app, "198.51.100.2")
    assert [first.feedback() for _ in range(3)] == [201, 201, 429]
    assert second.feedback() == 201
    for bad in ("-1", "two", "1.5"):
        monkeypatch.setenv("PORTAL_PROXY_COUNT", bad)
        with pytest.raises(ConfigError, match="PORTAL_PROXY_COUNT"):
            create_app(_config(corpus_dir, tmp_path))


def test_without_a_proxy_count_x_forwarded_for_is_not_believed(corpus_dir, tmp_path):
    app = _app(corpus_dir, tmp_path, FEEDBACK_MAX_POSTS=2)
    # A client that reaches the app directly cannot make itself a new address by sending the header.
    codes = [Client(app, f"10.9.9.{n}", via="203.0.113.9").feedback() for n in range(3)]
    assert codes == [201, 201, 429]


def test_a_client_cannot_pass_for_another_by_sending_its_own_x_forwarded_for(corpus_dir, tmp_path):
    app = _app(corpus_dir, tmp_path, PROXY_COUNT=1, FEEDBACK_MAX_POSTS=3)
    codes = [Client(app, "198.51.100.9", forwarded=f"10.0.0.{n}").feedback() for n in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    assert Client(app, "198.51.100.10").feedback() == 201


def test_the_sso_header_still_trusts_only_the_socket_peer_with_a_proxy_count(corpus_dir, tmp_path):
    app = _app(corpus_dir, tmp_path, PROXY_COUNT=1, TRUSTED_PROXY_HEADER="X-Remote-User", TRUSTED_PROXIES="10.0.0.5")
    http = app.test_client()
    header = {"X-Remote-User": "anna", "X-Forwarded-For": "10.0.0.5"}
    assert http.get("/agent/", headers=header, environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 302
    header["X-Forwarded-For"] = "203.0.113.9"
    assert http.get("/agent/", headers=header, environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 200


# --- 2. lockouts per account and address -------------------------------------------------------------------------

def test_a_lockout_is_per_account_and_address_not_for_the_account_everywhere(corpus_dir, tmp_path):
    app = _app(corpus_dir, tmp_path, PROXY_COUNT=1)
    guesser = Client(app, "198.51.100.66")
    assert [guesser.login("anna", "nope") for _ in range(5)] == [401] * 5
    assert guesser.login(*ANNA) == 429  # even the right password waits, from that client
    assert guesser.login(*ERIK) == 302  # another account from the same client does not
    assert Client(app, "198.51.100.67").login(*ANNA) == 302  # and anna at her own desk is not locked out


def test_one_client_trying_many_names_is_stopped(corpus_dir, tmp_path):
    app = _app(corpus_dir, tmp_path, PROXY_COUNT=1, LOGIN_MAX_FAILURES_IP=8)
    sprayer = Client(app, "198.51.100.70")
    assert [sprayer.login(f"user{n}", "nope") for n in range(8)] == [401] * 8
    assert sprayer.login(*ERIK) == 429
    assert Client(app, "198.51.100.71").login(*ERIK) == 302


def test_many_addresses_guessing_one_account_meet_the_accounts_higher_bar(corpus_dir, tmp_path):
    app = _app(corpus_dir, tmp_path, PROXY_COUNT=1, LOGIN_MAX_FAILURES_ACCOUNT=20)
    for n in range(19):
        assert Client(app, f"198.51.100.{n + 1}").login("anna", "nope") == 401, n
    assert Client(app, "203.0.113.1").login(*ANNA) == 302  # 19 failures from 19 addresses: still below the bar
    assert Client(app, "198.51.100.20").login("anna", "nope") == 401  # the 20th
    assert Client(app, "203.0.113.2").login(*ANNA) == 429  # a distributed guess at one account is stopped
    assert Client(app, "203.0.113.3").login(*ERIK) == 302


def test_refused_attempts_do_not_count_against_the_account(corpus_dir, tmp_path):
    app = _app(corpus_dir, tmp_path, PROXY_COUNT=1, LOGIN_MAX_FAILURES_ACCOUNT=10)
    guesser = Client(app, "198.51.100.80")
    assert [guesser.login("anna", "nope") for _ in range(5)] == [401] * 5
    assert [guesser.login("anna", "nope") for _ in range(20)] == [429] * 20  # refused: no password was tried
    assert Client(app, "203.0.113.8").login(*ANNA) == 302


# --- 2. a store every worker shares ------------------------------------------------------------------------------

def test_limits_survive_a_worker_restart(corpus_dir, tmp_path):
    first = _app(corpus_dir, tmp_path, PROXY_COUNT=1, FEEDBACK_MAX_POSTS=3)
    guesser, citizen = Client(first, "198.51.100.5"), Client(first, "198.51.100.6")
    assert [guesser.login("anna", "nope") for _ in range(5)] == [401] * 5
    assert [citizen.feedback() for _ in range(3)] == [201] * 3
    restarted = _app(corpus_dir, tmp_path, PROXY_COUNT=1, FEEDBACK_MAX_POSTS=3)  # the same data folder
    assert Client(restarted, "198.51.100.5").login(*ANNA) == 429
    assert Client(restarted, "198.51.100.6").feedback() == 429
    assert Client(restarted, "198.51.100.7").login(*ANNA) == 302


def test_feedback_429_is_per_real_client_with_retry_after(corpus_dir, tmp_path):
    app = _app(corpus_dir, tmp_path, PROXY_COUNT=1, FEEDBACK_MAX_POSTS=3)
    for n in range(15):  # the issue: after 40 posts every citizen got a 429
        assert [Client(app, f"198.51.100.{n + 1}").feedback() for _ in range(3)] == [201] * 3
    noisy = Client(app, "203.0.113.20")
    assert [noisy.feedback() for _ in range(3)] == [201] * 3
    r = noisy.http.post("/api/v1/feedback", json={"article": "bygglov", "lang": "sv", "helpful": True},
                        **noisy._kw())
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "too_many_requests"
    assert 0 < int(r.headers["Retry-After"]) <= 600
    assert _figures(app).yes == 48


def test_e_service_starts_are_capped_per_client_and_every_other_start_counted(corpus_dir, tmp_path):
    app = _app(corpus_dir, tmp_path, PROXY_COUNT=1, FEEDBACK_MAX_POSTS=2)  # starts: three times as many
    for n in range(50):  # the issue: the whole site stopped at 120 starts per 10 minutes
        assert [Client(app, f"198.51.{n // 100}.{n % 100 + 1}").start() for _ in range(3)] == [204] * 3
    clicker = Client(app, "203.0.113.30")
    assert [clicker.start() for _ in range(8)] == [204] * 6 + [429] * 2  # refused aloud, not dropped silently
    assert _figures(app).starts == {"web": 156}


def test_the_table_keeps_digests_and_old_windows_are_pruned(corpus_dir, tmp_path):
    limits = _limits()
    app = _app(corpus_dir, tmp_path, PROXY_COUNT=1)
    assert Client(app, "198.51.100.99").login("anna", "nope") == 401
    with app.app_context():
        from portal.web.database import current_database

        db = current_database()
        rows = db.run("SELECT * FROM rate_limits")
        assert rows and not any("198.51.100.99" in str(v) or "anna" in str(v) for row in rows for v in row)
        store = limits.Limits(db)
        store.hit(["k1", "k2"], window=60.0, now=1000.0)
        assert [w.hits for w in store.hit(["k1"], window=60.0, now=1030.0)] == [2]
        assert [w.hits for w in store.hit(["k1"], window=60.0, now=1061.0)] == [1]  # a new window
        assert store.prune(now=1200.0) >= 2
        assert db.run("SELECT COUNT(*) FROM rate_limits WHERE closes < 1200")[0][0] == 0


# --- 2. across two apps and threads on one database --------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """Where both apps keep their limits: one SQLite file in a data folder they share, or one PostgreSQL."""
    if request.param == "sqlite":
        return {}
    url = request.getfixturevalue("postgres_url")
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:  # a clean slate for each test
        con.execute("DROP TABLE IF EXISTS rate_limits")
    return {"DATABASE_URL": url}


def _two_apps(corpus_dir, tmp_path, database, **extra):
    """Two app processes' worth of apps (machines, with PostgreSQL: their own data folders) on one database."""
    shared = tmp_path if not database else None
    return [_app(corpus_dir, shared or tmp_path / name, PROXY_COUNT=1, **database, **extra)
            for name in ("one", "two")]


def test_two_apps_on_one_database_share_the_limits(corpus_dir, tmp_path, database):
    one, two = _two_apps(corpus_dir, tmp_path, database, FEEDBACK_MAX_POSTS=3)
    assert [Client(app, "198.51.100.40").login("anna", "nope") for app in (one, two, one, two, one)] == [401] * 5
    assert Client(two, "198.51.100.40").login(*ANNA) == 429
    assert Client(one, "198.51.100.41").login(*ANNA) == 302
    assert [Client(app, "198.51.100.42").feedback() for app in (one, two, one, two)] == [201, 201, 201, 429]


def test_concurrent_guesses_on_two_apps_exceed_the_limit_by_at_most_one(corpus_dir, tmp_path, database):
    one, two = _two_apps(corpus_dir, tmp_path, database)
    codes: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def guess(app) -> None:
        client = Client(app, "198.51.100.50")
        start.wait()
        for _ in range(4):
            code = client.login("anna", "nope")
            with lock:
                codes.append(code)

    threads = [threading.Thread(target=guess, args=((one, two)[n % 2],)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(codes) == 64 and set(codes) <= {401, 429}
    assert 5 <= codes.count(401) <= 6, codes  # LOGIN_MAX_FAILURES passwords tried, at most one more
    assert Client(two, "198.51.100.51").login(*ANNA) == 302
