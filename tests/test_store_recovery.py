"""Issue 26, finding 6: a store that could not write (read-only folder, disk or I/O error, a PostgreSQL server
that went read-only or away) answers 503 while it cannot, and works again as soon as it can.

The fault is real wherever the machine allows it:

* SQLite, not root: the data folder and its files made read-only with chmod, as an operator's mistake would.
* SQLite, root (chmod does not stop root): a read-only bind mount over the data folder, lifted lazily (connections
  opened during the fault keep their read-only files, as the issue saw). Where mounting is not allowed either,
  the store's SQLite opener is swapped for one that opens the file read-only (``mode=ro``): still a real
  read-only SQLite connection, but the cause is simulated. Which one ran is printed in the test output.
* PostgreSQL: a real server whose database is made read-only (``default_transaction_read_only``, as after a
  fail-over to a standby), and a real server stopped and started again.

The requests run on one kept worker thread, like a gunicorn gthread worker's, so that the thread's connection
is the one opened during the fault.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from portal import create_app
from portal.web.feedbackstore import current_store
from tests import pgserver
from tests.conftest import TODAY
from tests.test_auth import add_users, csrf, login

POSTS = 40



@pytest.fixture(autouse=True)
def _index(request: pytest.FixtureRequest, indexed_corpus: Path, tmp_path: Path) -> None:
    """Each test's own app gets a copy of one index of the test corpus (the `app` fixture copies its own): the
    app never builds one in a request."""
    if "app" not in request.fixturenames:
        shutil.copytree(indexed_corpus, tmp_path / "index", symlinks=True)

def _database():
    """portal.web.database (imported when used, so that this file ran, and failed test by test, before it
    existed)."""
    from portal.web import database

    return database


def _app(corpus_dir: Path, tmp_path: Path, **extra):
    app = create_app({"TESTING": True, "ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index",
                      "TODAY": TODAY.isoformat(), "SECRET_KEY": "test-secret", "DATA_DIR": tmp_path / "data",
                      "FEEDBACK_MAX_POSTS": 1000, **extra})
    add_users(app)
    return app


def _post(client, lang: str = "sv", form: bool = False):
    fields = {"article": "bygglov", "lang": lang, "helpful": "yes", "comment": ""}
    if form:
        return client.post("/api/v1/feedback", data=fields)
    return client.post("/api/v1/feedback", json=fields)


def _count(app) -> int:
    with app.app_context():
        return current_store().count("feedback")


def _fault_and_recovery(app, fault: Callable[[], AbstractContextManager[None]], agent_works: bool = True) -> None:
    """Before, during and after *fault*: 503s in the one error shape and readable pages while it lasts; every
    write after it."""
    client, agent = app.test_client(), app.test_client()
    assert _post(client).status_code == 201  # the store works: tables made, content loaded
    login(agent)
    token = csrf(agent, "/agent/")
    with ThreadPoolExecutor(max_workers=1) as worker:
        def call(request: Callable[[], object]):
            return worker.submit(request).result()

        with fault():
            r = call(lambda: _post(client))
            assert r.status_code == 503, r.get_data(as_text=True)[:500]
            error = r.get_json()["error"]
            assert error["status"] == 503 and error["code"] == "unavailable" and error["message"]
            assert int(r.headers["Retry-After"]) > 0
            # The plain form (no JavaScript): a page in the citizen's language, not JSON.
            for lang, words in (("sv", "Ditt svar kunde inte skickas just nu"),
                                ("en", "Your answer could not be sent right now")):
                page = call(lambda lang=lang: _post(client, lang, form=True))
                text = page.get_data(as_text=True)
                assert page.status_code == 503 and page.mimetype == "text/html", text[:300]
                assert int(page.headers["Retry-After"]) > 0
                assert words in text and f'<html lang="{lang}"' in text and '"error"' not in text
                assert 'href="/' + lang + '/bygglov/"' in text  # back to the article
            if agent_works:
                # An agent keeps searching; what cannot be saved is said in Swedish, in the agent app's layout.
                assert call(lambda: agent.get("/agent/?q=bygglov")).status_code == 200
                r = call(lambda: agent.post("/agent/article/bygglov/report",
                                            data={"what": "Fel avgift", "suggestion": "", "csrf_token": token}))
                assert r.status_code == 503 and "Försök igen" in r.get_data(as_text=True)
        before = _count(app)
        statuses = [call(lambda: _post(client)).status_code for _ in range(POSTS)]
        assert statuses.count(201) == POSTS, statuses
        assert _count(app) == before + POSTS
        assert call(lambda: agent.get("/agent/")).status_code == 200


# --- SQLite ------------------------------------------------------------------------------------------------------

def _can_mount(folder: Path) -> bool:
    probe = folder / "mount-probe"
    probe.mkdir()
    try:
        ok = subprocess.run(["mount", "--bind", str(probe), str(probe)], capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", "-l", str(probe)], capture_output=True)
        return ok
    except FileNotFoundError:
        return False
    finally:
        probe.rmdir()


@contextmanager
def _read_only_folder(data: Path, monkeypatch) -> Iterator[None]:
    files = [p for p in data.iterdir() if p.is_file()]
    if os.geteuid() != 0:
        print("fault: chmod 0500 on the data folder, 0400 on its files")
        for path in files:
            path.chmod(0o400)
        data.chmod(0o500)
        try:
            yield
        finally:
            data.chmod(0o700)
            for path in files:
                path.chmod(0o600)
    elif _can_mount(data.parent):
        print("fault: a read-only bind mount over the data folder (root: chmod would not stop writes)")
        subprocess.run(["mount", "--bind", str(data), str(data)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(data)], check=True)
            yield
        finally:
            subprocess.run(["umount", "-l", str(data)], check=True)
    else:
        print("fault: SIMULATED, the store's SQLite files opened read-only (mode=ro): root without mount rights")
        database = _database()
        real = database.sqlite_connect

        def read_only(path: Path, timeout: float) -> sqlite3.Connection:
            return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout, isolation_level=None)

        monkeypatch.setattr(database, "sqlite_connect", read_only)
        try:
            yield
        finally:
            monkeypatch.setattr(database, "sqlite_connect", real)


def test_a_sqlite_store_answers_503_while_read_only_and_writes_again_after(corpus_dir, tmp_path, monkeypatch):
    app = _app(corpus_dir, tmp_path)
    _fault_and_recovery(app, lambda: _read_only_folder(tmp_path / "data", monkeypatch))


def test_a_store_that_cannot_even_open_its_file_answers_503(corpus_dir, tmp_path):
    """The database file cannot be opened at all (here: its name is taken by a folder): 503, then recovery."""
    app = _app(corpus_dir, tmp_path)
    client = app.test_client()
    with app.app_context():
        current_store()  # not opened yet
    path = tmp_path / "data" / "feedback.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir()
    r = _post(client)
    assert r.status_code == 503 and r.get_json()["error"]["code"] == "unavailable"
    path.rmdir()
    assert [_post(client).status_code for _ in range(5)] == [201] * 5


def test_store_faults_are_recognised_and_others_are_not():
    database = _database()
    readonly = sqlite3.OperationalError("attempt to write a readonly database")
    assert database.is_fault(readonly) and database.is_fault(sqlite3.OperationalError("disk I/O error"))
    assert not database.is_fault(sqlite3.OperationalError("no such table: nothing"))
    assert not database.is_fault(ValueError("readonly"))


# --- PostgreSQL --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def postgres():
    with pgserver.throwaway_postgres() as found:
        yield found


def _admin(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


@contextmanager
def _read_only_database(url: str) -> Iterator[None]:
    with _admin(url) as admin:  # opened before the fault: it may still write
        admin.execute("ALTER DATABASE postgres SET default_transaction_read_only = on")
        try:
            yield
        finally:
            admin.execute("ALTER DATABASE postgres RESET default_transaction_read_only")


def test_a_postgresql_store_that_went_read_only_answers_503_and_writes_again_after(postgres, corpus_dir, tmp_path):
    _folder, url = postgres
    _fault_and_recovery(_app(corpus_dir, tmp_path, DATABASE_URL=url), lambda: _read_only_database(url))


@contextmanager
def _stopped(folder: Path) -> Iterator[None]:
    pgserver.stop(folder)
    try:
        yield
    finally:
        pgserver.start(folder)


def test_a_postgresql_server_that_is_away_is_a_503_and_its_return_is_noticed(postgres, corpus_dir, tmp_path):
    folder, url = postgres
    # Sessions live in the same database: while it is away no session can be checked, so the agent app says
    # so rather than letting anyone in (agent_works=False).
    _fault_and_recovery(_app(corpus_dir, tmp_path, DATABASE_URL=url), lambda: _stopped(folder), agent_works=False)


def test_the_503_is_the_one_error_shape_with_retry_after(corpus_dir, tmp_path, monkeypatch):
    app = _app(corpus_dir, tmp_path)
    database = _database()

    def broken(self, *args, **kwargs):
        raise database.StoreUnavailable("the feedback store cannot write now")

    monkeypatch.setattr(database.Database, "run", broken)
    r = app.test_client().post("/api/v1/starts", json={"article": "bygglov", "lang": "sv"})
    assert r.status_code == 503 and re.fullmatch(r"\d+", r.headers["Retry-After"])
    assert r.get_json() == {"error": {"status": 503, "code": "unavailable",
                                      "message": "the feedback store cannot write now"}}
