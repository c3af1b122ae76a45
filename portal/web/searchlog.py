"""The log of searches with no or few results, so editors see what content is missing.

**Counted, not listed.** A search is one more in its row: one row per UTC day, language and *normalised* query
(redacted, case-folded, whitespace collapsed: :func:`normalize`), with how many searches, how many of them found
nothing, the most hits any had and the last one's time. So the log grows with the distinct questions people
ask, not with the searches: a client sending the same query a million times adds one row a day.

**A cap on distinct queries a day** (``SEARCH_LOG_MAX_QUERIES``, default 5,000): a client sending a new query
every time (about 155,000 an hour were measured) could still add a row per search. Past the cap, a day's new
queries are not dropped silently but counted in that day's and language's *other* row (query ``''``), which
the editors' page reports as "searches not counted one by one"; queries that already have a row keep being
counted. So the log holds at most cap + languages rows a day, retention × that in all (90 × 5,004: about
450,000 rows, whatever is sent). On PostgreSQL two workers inserting at the very moment the cap is reached may
each add one row more.

**Fast to read.** The editors' pages never sum the whole log: the most searched queries of a period are read
in an order in which the best come first (their totals, kept with the day rows; for a week or less each day's
counts), a few hundred at a time, and reading stops as soon as no later query can reach the list
(:mod:`portal.web.searchlogread`). Bench: ``bench/searchlog_bench.py`` (1,000,000 searches).

**Where.** On SQLite its own file in DATA_DIR (``searchlog.sqlite3``, WAL, 0600 with its ``-wal`` and
``-shm``); on PostgreSQL (DATABASE_URL) the app's database, so that every machine's searches count in one
log. While the database cannot write, a write is a :class:`portal.web.database.StoreUnavailable`, which the
search views log and pass over. The old one-row-per-search table is moved into the counted rows on first use.

**What is kept.** The redacted query, its language, counts and the last time: no user id, no IP address, no
session. Days older than SEARCH_LOG_DAYS (default 90) are deleted by the first write after they expire, before
each read, and by ``portal report searches``.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

from portal.web import searchlogread
from portal.web import searchlogtables as tables
from portal.web.database import Database, StoreUnavailable, current_database
from portal.web.redact import redact
from portal.web.searchlogread import Missing

LOW_RESULTS = 3  # fewer hits than this is "few": worth an editor's look
DEFAULT_DAYS = 90
DEFAULT_MAX_QUERIES = 5000  # distinct queries a day before the other row counts the rest
PRUNE_EVERY_S = 3600.0  # searches that store nothing sweep out expired rows at most this often
FILE_NAME = "searchlog.sqlite3"
T = TypeVar("T")


def normalize(query: str) -> str:
    """The form a query is stored and grouped in: redacted, case-folded, whitespace collapsed, capped."""
    return " ".join(redact(query).casefold().split())[:300]


class SearchLog:
    """Counts low-result searches and lists the most frequent ones (SQLite file or PostgreSQL database)."""

    def __init__(self, url: str | Path, days: int = DEFAULT_DAYS, max_queries: int = DEFAULT_MAX_QUERIES,
                 db: Database | None = None, old_file: Path | None = None):
        """*url*: a SQLite file or ``postgresql://…``; *db*: the app's database for that URL, shared;
        *old_file*: on PostgreSQL, the SQLite log this app kept before, moved in on first use."""
        self.db = db or Database(url)
        self.postgres = self.db.postgres
        self.days = int(days)
        self.max_queries = max(1, int(max_queries))
        self.old_file = Path(old_file) if old_file and self.postgres else None
        self.db.require("searchlog", tables.SQLITE_SCHEMA, tables.POSTGRES_SCHEMA)
        self._migrated = False
        self._pruned_at = -PRUNE_EVERY_S
        self._full_days: set[str] = set()  # days this process saw reach the cap

    # --- statements -------------------------------------------------------------------------------------

    def _run(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        self._migrate()
        return self.db.run(sql, tuple(params))

    def _transaction(self, work: Callable[[Any], T]) -> T:
        """``work(cursor)`` in one transaction that holds the write lock from its start (SQLite's BEGIN
        IMMEDIATE: no other writer between a check and the write it decides)."""
        def run(cur: Any) -> T:
            if self.postgres:
                with cur.connection.transaction():
                    return work(cur)
            cur.execute("BEGIN IMMEDIATE")
            try:
                result = work(cur)
            except BaseException:
                with suppress(Exception):
                    cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
            return result

        return self.db.with_cursor(run)

    def _x(self, cur: Any, sql: str, params: Iterable[Any] = ()) -> Any:
        return tables.execute(cur, self.postgres, sql, tuple(params))

    def _migrate(self) -> None:
        """Move the old one-row-per-search log into the counted tables, once per process (a no-op after the
        first worker has done it)."""
        if self._migrated:
            return
        first = self._first_day()

        def in_db(cur: Any) -> int:
            if self.postgres:
                self._x(cur, "SELECT pg_advisory_xact_lock(72617)")  # one worker of all machines at a time
            return tables.migrate(cur, self.postgres, self.max_queries, first)  # looks again, under the lock

        if self.db.with_cursor(lambda cur: tables.has_old_table(cur, self.postgres)):  # a read: no lock taken
            self._transaction(in_db)
        found = tables.old_file_groups(self.old_file, first) if self.old_file else None
        if found is not None:
            groups, fd = found
            try:
                self._transaction(lambda cur: tables.store_groups(cur, True, tables.capped(groups, self.max_queries)))
            except BaseException:
                os.close(fd)
                raise
            tables.retire_old_file(self.old_file, fd)  # type: ignore[arg-type]
        self._migrated = True

    # --- days -------------------------------------------------------------------------------------------

    def _first_day(self, now: dt.datetime | None = None, days: int | None = None) -> str:
        """The first day kept (of the retention period, or of the last *days* days), today being day one."""
        now = now or dt.datetime.now(dt.UTC)
        keep = min(days or self.days, self.days)
        return (now.date() - dt.timedelta(days=keep - 1)).isoformat()

    def _prune(self, cur: Any, first: str) -> int:
        """Delete the day rows before *first*, taking them off the totals (in the caller's transaction)."""
        gone = self._x(cur, "SELECT lang, query, SUM(searches), SUM(zero) FROM search_counts WHERE day < ? "
                       "AND query <> ? GROUP BY lang, query", (first, tables.OTHER)).fetchall()
        tables.execute_many(cur, self.postgres, "UPDATE search_totals SET searches = searches - ?, "
                            "zero = zero - ? WHERE lang = ? AND query = ?", [(n, z, la, q) for la, q, n, z in gone])
        self._x(cur, "DELETE FROM search_totals WHERE searches <= 0")
        deleted = self._x(cur, "DELETE FROM search_counts WHERE day < ?", (first,)).rowcount
        self._pruned_at = time.monotonic()
        return max(int(deleted), 0)

    def _expired(self, cur: Any, first: str) -> bool:
        oldest = self._x(cur, "SELECT MIN(day) FROM search_counts").fetchone()[0]
        return oldest is not None and oldest < first

    def prune(self, now: dt.datetime | None = None) -> int:
        """Delete the days older than the retention period; return how many rows were deleted."""
        self._migrate()
        first = self._first_day(now)
        return self._transaction(lambda cur: self._prune(cur, first))

    def _prune_if_due(self) -> None:
        """Before a read: delete expired days if there are any (one indexed look when there are none); a
        database that cannot write now is read as it is."""
        first = self._first_day()
        with suppress(StoreUnavailable):
            oldest = self._run("SELECT MIN(day) FROM search_counts")[0][0]
            if oldest is not None and oldest < first:
                self._transaction(lambda cur: self._prune(cur, first) if self._expired(cur, first) else 0)

    # --- writing ----------------------------------------------------------------------------------------

    def record(self, query: str, lang: str, hits: int, *, now: dt.datetime | None = None) -> bool:
        """Count a search with fewer than LOW_RESULTS hits (redacted); True when it was counted.

        Most searches find enough and store nothing: no database work on the agent's time, apart from the
        hourly retention sweep."""
        now = now or dt.datetime.now(dt.UTC)
        if hits >= LOW_RESULTS:
            if time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
                self.prune(now)
            return False
        text = normalize(query)
        if not text:
            return False
        self._migrate()
        day, at, hits = now.date().isoformat(), now.isoformat(timespec="seconds"), int(hits)
        zero, first = int(hits == 0), self._first_day(now)

        def count(cur: Any) -> None:
            if self._expired(cur, first):
                self._prune(cur, first)
            key = (day, lang, text)
            if not self._x(cur, tables.UPDATE_COUNT, (1, zero, hits, hits, at, at, *key)).rowcount:
                if not self._room(cur, day):
                    key = (day, lang, tables.OTHER)
                self._x(cur, tables.UPSERT_COUNT, (*key, 1, zero, hits, at))
            if key[2] != tables.OTHER:
                self._x(cur, tables.UPSERT_TOTAL, (lang, text, 1, zero))

        self._transaction(count)
        return True

    def _room(self, cur: Any, day: str) -> bool:
        """Is there room for one more query on *day* (fewer than the cap, the other rows not counted)?"""
        if day in self._full_days:
            return False
        n = self._x(cur, "SELECT COUNT(*) FROM search_counts WHERE day = ? AND query <> ?",
                    (day, tables.OTHER)).fetchone()[0]
        if n >= self.max_queries:
            self._full_days = {d for d in self._full_days if d >= self._first_day()} | {day}
            return False
        return True

    def record_many(self, searches: Iterable[tuple[str, str, int, dt.datetime]]) -> int:
        """Count many searches at once, each (query, lang, hits, when), as :meth:`record` would one by one (the
        cap keeps a day's most searched new queries); return how many were counted. For imports and benches."""
        groups: dict[tuple[str, str, str], list[Any]] = {}
        for query, lang, hits, when in searches:
            text = normalize(query)
            if hits >= LOW_RESULTS or not text:
                continue
            at = when.isoformat(timespec="seconds")
            row = groups.setdefault((when.date().isoformat(), lang, text), [0, 0, 0, at])
            row[0], row[1], row[2], row[3] = row[0] + 1, row[1] + int(hits == 0), max(row[2], int(hits)), max(
                row[3], at)
        if not groups:
            return 0
        self._migrate()
        by_day: dict[str, list[tables.Group]] = {}
        for (day, lang, text), (n, zero, mx, last) in groups.items():
            by_day.setdefault(day, []).append((day, lang, text, n, zero, mx, last))

        def count(cur: Any) -> None:
            for day, day_groups in sorted(by_day.items()):
                known = {(la, q) for la, q in self._x(cur, "SELECT lang, query FROM search_counts WHERE day = ? "
                                                           "AND query <> ?", (day, tables.OTHER)).fetchall()}
                old = [g for g in day_groups if (g[1], g[2]) in known]
                new = tables.capped([g for g in day_groups if (g[1], g[2]) not in known],
                                    max(self.max_queries - len(known), 0))
                tables.store_groups(cur, self.postgres, old + new)

        self._transaction(count)
        return sum(row[0] for row in groups.values())

    # --- reading ----------------------------------------------------------------------------------------

    def top(self, limit: int = 50, days: int | None = None, zero_only: bool = False) -> list[Missing]:
        """The most searched low-result queries of the last *days* days, today included (default and at most:
        the retention period); with *zero_only*, those that found nothing at least once."""
        self._prune_if_due()
        today = dt.datetime.now(dt.UTC).date().isoformat()
        return searchlogread.top(self._run, self._first_day(days=days), today, max(1, int(limit)), zero_only)

    def zero_results(self, limit: int = 20) -> list[tuple[str, int]]:
        """(query, times searched) of the most searched queries of the retention period that found nothing at
        least once."""
        return [(row.query, row.searches) for row in self.top(limit=limit, zero_only=True)]

    def uncounted(self, days: int | None = None) -> int:
        """How many searches of the last *days* days were counted in the other rows (past the day's cap)."""
        rows = self._run("SELECT COALESCE(SUM(searches), 0) FROM search_counts WHERE query = ? AND day >= ?",
                         (tables.OTHER, self._first_day(days=days)))
        return int(rows[0][0])

    def count(self) -> int:
        """How many rows the log holds (day rows, the other rows included)."""
        return int(self._run("SELECT COUNT(*) FROM search_counts")[0][0])


def for_data_dir(data_dir: Path, days: int = DEFAULT_DAYS, url: str | None = None,
                 max_queries: int = DEFAULT_MAX_QUERIES) -> SearchLog:
    """The search log of the app whose data folder is *data_dir*: in PostgreSQL when *url* (DATABASE_URL) names
    it, else the SQLite file in *data_dir*."""
    old = Path(data_dir) / FILE_NAME
    if url and url.startswith(("postgresql://", "postgres://")):
        return SearchLog(url, days, max_queries, old_file=old)
    return SearchLog(old, days, max_queries)


def current_log() -> SearchLog:
    """The search log of the current app (DATABASE_URL or DATA_DIR, SEARCH_LOG_DAYS, SEARCH_LOG_MAX_QUERIES)."""
    from flask import current_app

    log = current_app.extensions.get("portal_searchlog")
    if log is None:
        cfg = current_app.config
        days = int(cfg.get("SEARCH_LOG_DAYS") or DEFAULT_DAYS)
        cap = int(cfg.get("SEARCH_LOG_MAX_QUERIES") or os.environ.get("PORTAL_SEARCH_LOG_MAX_QUERIES")
                  or DEFAULT_MAX_QUERIES)
        db = current_database()
        log = current_app.extensions["portal_searchlog"] = (
            SearchLog(db.url, days, cap, db=db, old_file=Path(cfg["DATA_DIR"]) / FILE_NAME) if db.postgres
            else for_data_dir(cfg["DATA_DIR"], days, max_queries=cap))
    return log
