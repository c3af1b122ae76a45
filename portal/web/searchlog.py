"""The log of searches with no or few results, so editors see what content is missing.

An embedded SQLite database in DATA_DIR (``searchlog.sqlite3``; it and its ``-wal`` and ``-shm`` files mode
0600), safe for several gunicorn workers (WAL mode, a short busy timeout). Each operation opens and closes its
own connection, so a fault (a read-only folder, a full disk) ends with it; while it lasts an operation is a
:class:`portal.web.database.StoreUnavailable`. Only the *redacted* query, its language, the number of hits and a
UTC timestamp are stored: no user id, no IP address, no session. Rows older than SEARCH_LOG_DAYS
(default 90) are deleted on every write and by ``portal report searches``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from portal.web.database import StoreUnavailable, is_fault, open_sqlite
from portal.web.redact import redact

LOW_RESULTS = 3  # fewer hits than this is "few": worth an editor's look
DEFAULT_DAYS = 90
PRUNE_EVERY_S = 3600.0  # searches that store nothing sweep out expired rows at most this often
FILE_NAME = "searchlog.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS searches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    query TEXT NOT NULL,
    lang TEXT NOT NULL,
    hits INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS searches_at ON searches (at);
"""


@dataclass(frozen=True)
class Missing:
    """One redacted query, grouped: how often it was searched, and the most hits it ever had."""

    query: str
    lang: str
    searches: int
    zero: int
    max_hits: int
    last: str


def normalize(query: str) -> str:
    """The form a query is stored and grouped in: redacted, lower case, whitespace folded, capped."""
    return " ".join(redact(query).lower().split())[:300]


class SearchLog:
    """Records low-result searches and lists the most frequent ones."""

    def __init__(self, path: Path, days: int = DEFAULT_DAYS):
        self.path = Path(path)
        self.days = int(days)
        self._ready = False
        self._pruned_at = -PRUNE_EVERY_S

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = None
        try:
            con = open_sqlite(self.path, 5.0)
            if not self._ready:
                con.execute("PRAGMA journal_mode=WAL")
                con.executescript(_SCHEMA)
                self._ready = True
            yield con
        except Exception as err:
            if is_fault(err):
                raise StoreUnavailable() from err
            raise
        finally:
            if con is not None:
                con.close()

    def _cutoff(self, now: dt.datetime | None = None) -> str:
        now = now or dt.datetime.now(dt.UTC)
        return (now - dt.timedelta(days=self.days)).isoformat(timespec="seconds")

    def prune(self, now: dt.datetime | None = None) -> int:
        """Delete rows older than the retention period; return how many were deleted."""
        self._pruned_at = time.monotonic()
        with self._connect() as con:
            return con.execute("DELETE FROM searches WHERE at < ?", (self._cutoff(now),)).rowcount

    def record(self, query: str, lang: str, hits: int, *, replace: int | None = None,
               now: dt.datetime | None = None) -> int | None:
        """Store a search with fewer than LOW_RESULTS hits (redacted); return its row id.

        *replace* is the row id of an earlier, unfinished version of the same search (the agent was
        still typing): that row is updated instead of adding a new one, or deleted when this search
        found enough. Returns None when nothing is stored.
        """
        now = now or dt.datetime.now(dt.UTC)
        if hits >= LOW_RESULTS and replace is None:
            # Most searches find enough and store nothing: no database work on the agent's time,
            # apart from the hourly retention sweep.
            if time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
                self.prune(now)
            return None
        text = normalize(query)
        at = now.isoformat(timespec="seconds")
        with self._connect() as con:
            con.execute("DELETE FROM searches WHERE at < ?", (self._cutoff(now),))
            if not text or hits >= LOW_RESULTS:
                if replace is not None:
                    con.execute("DELETE FROM searches WHERE id = ?", (replace,))
                return None
            if replace is not None:
                cur = con.execute("UPDATE searches SET query = ?, lang = ?, hits = ?, at = ? WHERE id = ?",
                                  (text, lang, int(hits), at, replace))
                if cur.rowcount:
                    return replace
            cur = con.execute("INSERT INTO searches (query, lang, hits, at) VALUES (?, ?, ?, ?)",
                              (text, lang, int(hits), at))
            return cur.lastrowid

    def top(self, limit: int = 50, days: int | None = None) -> list[Missing]:
        """The most frequent low-result queries of the last *days* (default: the retention period)."""
        since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days or self.days)).isoformat(timespec="seconds")
        with self._connect() as con:
            rows = con.execute(
                "SELECT query, lang, COUNT(*) AS n, SUM(hits = 0), MAX(hits), MAX(at) FROM searches "
                "WHERE at >= ? GROUP BY query, lang ORDER BY n DESC, MAX(at) DESC, query LIMIT ?",
                (since, int(limit))).fetchall()
        return [Missing(q, lang, n, zero or 0, mx, last) for q, lang, n, zero, mx, last in rows]

    def zero_results(self, limit: int = 20) -> list[tuple[str, int]]:
        """(query, times searched) of the most frequent queries that found nothing at least once."""
        return [(row.query, row.searches) for row in self.top(limit=limit) if row.zero]

    def count(self) -> int:
        """How many rows the log holds."""
        with self._connect() as con:
            return int(con.execute("SELECT COUNT(*) FROM searches").fetchone()[0])


def for_data_dir(data_dir: Path, days: int = DEFAULT_DAYS) -> SearchLog:
    """The search log kept in *data_dir*."""
    return SearchLog(Path(data_dir) / FILE_NAME, days)


def current_log() -> SearchLog:
    """The search log of the current app (DATA_DIR, SEARCH_LOG_DAYS)."""
    from flask import current_app

    log = current_app.extensions.get("portal_searchlog")
    if log is None:
        log = current_app.extensions["portal_searchlog"] = for_data_dir(
            current_app.config["DATA_DIR"], int(current_app.config.get("SEARCH_LOG_DAYS") or DEFAULT_DAYS))
    return log
