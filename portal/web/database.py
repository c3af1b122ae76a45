"""The app's database: connections kept per thread, private files, and faults that pass.

One database holds what the app writes while it serves (feedback, e-service starts, error reports, sessions):
SQLite by default, one file in DATA_DIR (``feedback.sqlite3``, WAL mode, a busy timeout, safe for several
gunicorn workers on one machine); PostgreSQL when DATABASE_URL names one (``postgresql://…``, through psycopg 3).
The SQL is the same for both (``?`` placeholders, rewritten for PostgreSQL); each store registers its tables with
:meth:`Database.require`.

**Private files.** The data folder is 0700 and every file of a database 0600: the database file is created 0600
before SQLite opens it, and SQLite gives its ``-wal`` and ``-shm`` files the database file's mode (an older
looser file is tightened when a connection opens).

**Faults pass.** A read-only file or folder, a full disk, an I/O error, a file that cannot be opened, a
PostgreSQL server that is away, dropped the connection or went read-only: the thread's connection is closed
(a connection SQLite opened read-only during a fault stays read-only for its life, so it must not be kept),
the statement is tried once more on a new connection, and if the fault lasts it is a :class:`StoreUnavailable`,
which the app answers with a 503 and ``Retry-After`` (:mod:`portal.web.unavailable`). The next use opens a new
connection, so the store works again as soon as the storage does. A statement that fails on its own (a bad
query) is not retried.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import stat
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from portal.exceptions import PortalError

log = logging.getLogger("portal")

if TYPE_CHECKING:
    from flask import Flask

FILE_NAME = "feedback.sqlite3"  # its name from before it held more than feedback
DIR_MODE = 0o700
FILE_MODE = 0o600
RETRY_AFTER_S = 30
SQLITE_TIMEOUT_S = 10.0
# SQLite's result codes that are the storage's fault, not the statement's (extended codes share the prefix).
SQLITE_FAULTS = ("SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_CANTOPEN", "SQLITE_PERM",
                 "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_PROTOCOL")
_FAULT_WORDS = ("readonly", "read-only", "disk i/o", "disk is full", "unable to open", "is locked")
_WAITED = ("SQLITE_BUSY", "SQLITE_LOCKED")  # the busy timeout has already waited: trying again waits as long
T = TypeVar("T")


class StoreUnavailable(PortalError):
    """The database cannot be used now (read-only, full, an I/O error, the server away): answered with a 503
    and ``Retry-After``; try again later."""

    def __init__(self, message: str = "the service cannot store anything right now; try again in a minute",
                 retry_after: int = RETRY_AFTER_S):
        super().__init__(message)
        self.retry_after = retry_after


def private_dir(path: Path | str, tighten: bool = False) -> Path:
    """Create the folder *path* (and its parents) readable by this user only (0700); with *tighten*, an existing
    folder more open than that is closed too (the data folder at start). Nothing else is changed."""
    path = Path(path)
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        tighten = True  # a umask may have made it more open than asked
    if tighten:
        private(path, DIR_MODE)
    return path


def private(path: Path | str, mode: int = FILE_MODE) -> None:
    """Give *path* at most *mode* when it is more open than that; nothing when it does not exist or is not ours
    to change."""
    with suppress(OSError):
        if stat.S_IMODE(os.stat(path).st_mode) & ~mode:
            os.chmod(path, mode)


def sqlite_connect(path: Path, timeout: float) -> sqlite3.Connection:
    """Open the SQLite file *path* in autocommit mode (a name of its own, so that a test can swap it)."""
    return sqlite3.connect(path, timeout=timeout, isolation_level=None)


def open_sqlite(path: Path | str, timeout: float = SQLITE_TIMEOUT_S) -> sqlite3.Connection:
    """A connection to the SQLite file *path*, whose folder is made 0700 and whose file is created 0600 before
    SQLite opens it (SQLite then makes its ``-wal``, ``-shm`` and journal files with the same mode)."""
    path = Path(path)
    private_dir(path.parent)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        private(name)
    con = sqlite_connect(path, timeout)
    # In WAL mode NORMAL stays consistent after a crash and skips the fsync of every commit; a power cut may lose
    # the last few writes, no more.
    con.execute("PRAGMA synchronous=NORMAL")
    return con


def key_digest(key: str) -> str:
    """What a table keeps of a key that must not be stored as it is (a session id, an address, a user name):
    its SHA-256."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def is_fault(err: BaseException) -> bool:
    """True when *err* is the storage's fault (read-only, full, I/O, cannot open, busy; a PostgreSQL server away,
    the connection dropped, a read-only server), not the statement's."""
    if isinstance(err, sqlite3.OperationalError):
        name = getattr(err, "sqlite_errorname", None)
        if name:
            return str(name).startswith(SQLITE_FAULTS)
        return any(word in str(err).lower() for word in _FAULT_WORDS)
    if isinstance(err, OSError):  # the folder or the file could not be made
        return True
    psycopg = sys.modules.get("psycopg")  # only a PostgreSQL deployment has it loaded
    return psycopg is not None and isinstance(
        err, psycopg.OperationalError | psycopg.InterfaceError | psycopg.errors.ReadOnlySqlTransaction)


def _missing_table(err: BaseException) -> bool:
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None and isinstance(err, psycopg.errors.UndefinedTable):
        return True
    return isinstance(err, sqlite3.OperationalError) and "no such table" in str(err)


def _waited(err: BaseException) -> bool:
    return str(getattr(err, "sqlite_errorname", None) or "").startswith(_WAITED)


class _Kept:
    """A thread's connection, closed when the thread or the database object is gone (a request thread of the
    development server, a store of the tests). Not in a forked process: closing there would end the parent's
    PostgreSQL session on the shared socket."""

    def __init__(self, con: Any):
        self.con, self.pid = con, os.getpid()

    def usable(self) -> bool:
        """Opened in this process, and (PostgreSQL) not closed or dropped by the server since."""
        return self.pid == os.getpid() and not getattr(self.con, "closed", False) and not getattr(
            self.con, "broken", False)

    def close(self) -> None:
        """Close the connection (in the process that opened it); a broken one may fail to: nothing to do."""
        if self.pid == os.getpid():
            with suppress(Exception):
                self.con.close()

    def __del__(self) -> None:
        self.close()


class Database:
    """One database, SQLite (*url* a path) or PostgreSQL (*url* ``postgresql://…``), with one kept connection
    per thread and process."""

    def __init__(self, url: str | Path):
        self.url = str(url)
        self.postgres = self.url.startswith(("postgresql://", "postgres://"))
        self._lock = threading.Lock()
        self._local = threading.local()
        self._schemas: dict[str, str] = {}
        self._created: set[str] = set()

    def require(self, name: str, sqlite_schema: str, postgres_schema: str) -> None:
        """Have the tables of *name* (``CREATE … IF NOT EXISTS`` statements) made before the next statement."""
        with self._lock:
            self._schemas.setdefault(name, postgres_schema if self.postgres else sqlite_schema)

    # --- connections ---------------------------------------------------------------------------------------

    def connection(self) -> Any:
        """This thread's connection, opened once per thread and process, and again after a fault. Closing the
        last connection to a WAL database checkpoints it and syncs the disk (9 ms here, most of a post's time);
        a new PostgreSQL connection cost 3.5 ms an operation, the badge query on every key an agent types among
        them."""
        kept = getattr(self._local, "kept", None)
        if kept is None or not kept.usable():
            kept = self._local.kept = _Kept(self._connect())
        if len(self._created) < len(self._schemas):
            try:
                self._create(kept.con)
            except Exception as err:
                if not is_fault(err):
                    raise
                # The database cannot write now (read-only, full): the tables made before still serve (sessions
                # among them, or nobody could stay logged in); a statement on one not made yet is unavailable
                # (with_cursor), and making it is tried again on the next use.
                log.warning("could not make the tables of %s now: %s", ", ".join(
                    sorted(set(self._schemas) - self._created)), err)
        return kept.con

    def drop(self) -> None:
        """Close this thread's connection; the next use opens a new one."""
        kept = self._local.__dict__.pop("kept", None)
        if kept is not None:
            kept.close()

    def _connect(self) -> Any:
        if not self.postgres:
            return open_sqlite(self.url)
        import psycopg

        return psycopg.connect(self.url, autocommit=True, connect_timeout=5)

    def _create(self, con: Any) -> None:
        with self._lock:
            todo = {name: schema for name, schema in self._schemas.items() if name not in self._created}
            if not todo:
                return
            if self.postgres:
                with con.transaction():
                    # Two workers starting at once must not both create the tables.
                    con.execute("SELECT pg_advisory_xact_lock(72616)")
                    for schema in todo.values():
                        for statement in filter(str.strip, schema.split(";")):
                            con.execute(statement)
            else:
                con.execute("PRAGMA journal_mode=WAL")
                for schema in todo.values():
                    con.executescript(schema)
            self._created.update(todo)

    # --- statements ----------------------------------------------------------------------------------------

    def sql(self, text: str) -> str:
        """*text* with its ``?`` placeholders in this database's style."""
        return text.replace("?", "%s") if self.postgres else text

    def with_cursor(self, work: Callable[[Any], T]) -> T:
        """``work(cursor)`` on this thread's connection. A fault closes the connection and is tried once more on
        a new one (the old one may have been read-only since the fault, or dropped by the server); a fault that
        lasts is a :class:`StoreUnavailable`. Any other error is raised as it is."""
        for attempt in (1, 2):
            con = None
            try:
                con = self.connection()
                return work(con.cursor())
            except Exception as err:
                if not is_fault(err):
                    if self._created != set(self._schemas) and _missing_table(err):
                        raise StoreUnavailable() from err  # its tables could not be made (a fault): see connection
                    raise
                self.drop()
                if attempt == 2 or con is None or _waited(err):
                    raise StoreUnavailable() from err
        raise AssertionError("unreachable")

    def run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (``?`` placeholders) and return its rows (none for a statement without)."""
        def rows(cur: Any) -> list[tuple[Any, ...]]:
            cur.execute(self.sql(sql), tuple(params))
            return list(cur.fetchall()) if cur.description else []

        return self.with_cursor(rows)

    def changed(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement that changes rows and return how many it changed."""
        def count(cur: Any) -> int:
            cur.execute(self.sql(sql), tuple(params))
            return max(int(cur.rowcount), 0)

        return self.with_cursor(count)


def database_url(data_dir: Path | str, url: str | None = None) -> str:
    """DATABASE_URL when it names one, else the SQLite file in *data_dir*."""
    return url or str(Path(data_dir) / FILE_NAME)


def current_database(app: Flask | None = None) -> Database:
    """The database of the current app (DATABASE_URL, or the SQLite file in DATA_DIR), one per app."""
    if app is None:
        from flask import current_app as app  # Flask is imported only where an app is running
    db = app.extensions.get("portal_database")
    if db is None:
        cfg = app.config
        db = app.extensions.setdefault("portal_database", Database(database_url(
            cfg["DATA_DIR"], cfg.get("DATABASE_URL") or os.environ.get("DATABASE_URL"))))
    return db  # type: ignore[no-any-return]
