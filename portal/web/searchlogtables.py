"""The search log's tables, the statements that count into them, and the move from the old log.

Two tables, the same on SQLite and PostgreSQL:

* ``search_counts``: one row per UTC day, language and normalised query, with how many searches, how many of
  them found nothing, the most hits any of them had and when the last was made. The row whose query is
  ``''`` (:data:`OTHER`) counts a day's searches past the cap on distinct queries (see
  :mod:`portal.web.searchlog`). Its primary key (day first) serves the cap, the retention and the upsert; a
  covering index by query a period's sums for the queries the editors' pages show, and one by day and count
  each day's most searched (:mod:`portal.web.searchlogread`).
* ``search_totals``: per language and query, the sums over every day the log holds, kept with the day rows
  in one transaction (and taken off when days are deleted). The editors' lists of long periods read it from the
  highest: a query's sum in any period is at most its total.

Before these tables the log was one row per search (``searches``: query, lang, hits, at). :func:`migrate`
moves such a table's rows into the counted tables on the first use of a database that has one (in the same
SQLite file), or from the SQLite file of an app that now uses PostgreSQL; rows past the retention period are
left behind, and the cap applies per day as if they had been counted as they came.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

OTHER = ""  # the query of a day's row that counts the searches past the cap, per language
MIGRATED_SUFFIX = ".migrated"  # an old SQLite log moved into PostgreSQL keeps its file under this name

_SCHEMA = """
CREATE TABLE IF NOT EXISTS search_counts (
    day TEXT NOT NULL, lang TEXT NOT NULL, query TEXT NOT NULL, searches {int} NOT NULL, zero {int} NOT NULL,
    max_hits INTEGER NOT NULL, last TEXT NOT NULL, PRIMARY KEY (day, lang, query)){without_rowid};
CREATE INDEX IF NOT EXISTS search_counts_query ON search_counts (query, lang, day, searches, zero, max_hits, last);
CREATE INDEX IF NOT EXISTS search_counts_rank ON search_counts (day, searches, lang, query);
CREATE TABLE IF NOT EXISTS search_totals (
    lang TEXT NOT NULL, query TEXT NOT NULL, searches {int} NOT NULL, zero {int} NOT NULL,
    PRIMARY KEY (lang, query)){without_rowid};
CREATE INDEX IF NOT EXISTS search_totals_rank ON search_totals (searches, lang, query);
CREATE INDEX IF NOT EXISTS search_totals_zero ON search_totals (searches, lang, query) WHERE zero > 0;
"""
SQLITE_SCHEMA = _SCHEMA.format(int="INTEGER", without_rowid=" WITHOUT ROWID")
POSTGRES_SCHEMA = _SCHEMA.format(int="BIGINT", without_rowid="")

# One group of searches (the same day, language and query): day, lang, query, searches, zero, max_hits, last.
Group = tuple[str, str, str, int, int, int, str]

UPDATE_COUNT = ("UPDATE search_counts SET searches = searches + ?, zero = zero + ?, "
                "max_hits = CASE WHEN max_hits < ? THEN ? ELSE max_hits END, "
                "last = CASE WHEN last < ? THEN ? ELSE last END WHERE day = ? AND lang = ? AND query = ?")
# CASE, not GREATEST (PostgreSQL) or MAX(a, b) (SQLite): the same statement for both.
UPSERT_COUNT = (
    "INSERT INTO search_counts (day, lang, query, searches, zero, max_hits, last) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (day, lang, query) DO UPDATE SET searches = search_counts.searches + excluded.searches, "
    "zero = search_counts.zero + excluded.zero, max_hits = CASE WHEN search_counts.max_hits < excluded.max_hits "
    "THEN excluded.max_hits ELSE search_counts.max_hits END, last = CASE WHEN search_counts.last < excluded.last "
    "THEN excluded.last ELSE search_counts.last END")
UPSERT_TOTAL = ("INSERT INTO search_totals (lang, query, searches, zero) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (lang, query) DO UPDATE SET searches = search_totals.searches + excluded.searches, "
                "zero = search_totals.zero + excluded.zero")


def execute(cur: Any, postgres: bool, sql: str, params: Sequence[Any] = ()) -> Any:
    """Run *sql* (``?`` placeholders) on *cur* in the database's own placeholder style; the cursor."""
    cur.execute(sql.replace("?", "%s") if postgres else sql, tuple(params))
    return cur


def execute_many(cur: Any, postgres: bool, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    """Run *sql* once per row of *rows* (nothing when there are none)."""
    rows = [tuple(r) for r in rows]
    if rows:
        cur.executemany(sql.replace("?", "%s") if postgres else sql, rows)


def store_groups(cur: Any, postgres: bool, groups: Sequence[Group]) -> None:
    """Add *groups* to the day rows (upserted) and, except the :data:`OTHER` rows, to the totals."""
    execute_many(cur, postgres, UPSERT_COUNT, groups)
    execute_many(cur, postgres, UPSERT_TOTAL,
                 [(lang, query, n, zero) for _day, lang, query, n, zero, _mx, _last in groups if query != OTHER])


def capped(groups: Iterable[Group], cap: int) -> list[Group]:
    """*groups* of one or more days with at most *cap* queries a day (the most searched kept), the rest of each
    day and language summed into its :data:`OTHER` row."""
    kept: dict[str, int] = {}
    other: dict[tuple[str, str], list[Any]] = {}
    out: list[Group] = []
    for g in sorted(groups, key=lambda g: (g[0], -g[3], g[6])):
        day, lang, query, n, zero, mx, last = g
        if query != OTHER and kept.get(day, 0) < cap:
            kept[day] = kept.get(day, 0) + 1
            out.append(g)
            continue
        row = other.setdefault((day, lang), [0, 0, 0, last])
        row[0], row[1], row[2], row[3] = row[0] + n, row[1] + zero, max(row[2], mx), max(row[3], last)
    out.extend((day, lang, OTHER, *row) for (day, lang), row in sorted(other.items()))
    return out


# --- the old log -----------------------------------------------------------------------------------------

_OLD_GROUPS = ("SELECT substr(at, 1, 10), lang, query, COUNT(*), SUM(CASE WHEN hits = 0 THEN 1 ELSE 0 END), "
               "MAX(hits), MAX(at) FROM searches WHERE substr(at, 1, 10) >= ? GROUP BY substr(at, 1, 10), lang, "
               "query")


def has_old_table(cur: Any, postgres: bool) -> bool:
    """Does this database still hold the old one-row-per-search table?"""
    if postgres:
        return bool(execute(cur, True, "SELECT to_regclass('searches') IS NOT NULL").fetchone()[0])
    return execute(cur, False, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'searches'"
                   ).fetchone() is not None


def _rebuild_totals(cur: Any, postgres: bool) -> None:
    execute(cur, postgres, "DELETE FROM search_totals")
    execute(cur, postgres, "INSERT INTO search_totals (lang, query, searches, zero) SELECT lang, query, "
            "SUM(searches), SUM(zero) FROM search_counts WHERE query <> ? GROUP BY lang, query", (OTHER,))


def migrate(cur: Any, postgres: bool, cap: int, first_day: str) -> int:
    """Move the old table ``searches`` of this database (if it has one) into the counted tables and drop it,
    in one transaction that the caller opened with the write lock (SQLite) or the migration's advisory lock
    (PostgreSQL); return how many old rows' groups were moved."""
    if not has_old_table(cur, postgres):
        return 0
    groups = [tuple(g) for g in execute(cur, postgres, _OLD_GROUPS, (first_day,)).fetchall()]
    store_groups(cur, postgres, capped(groups, cap))  # type: ignore[arg-type]
    _rebuild_totals(cur, postgres)
    execute(cur, postgres, "DROP TABLE searches")
    return len(groups)


def old_file_groups(path: Path, first_day: str) -> tuple[list[Group], Any] | None:
    """The groups of the SQLite log *path* of an app that now uses PostgreSQL (the old table's and, from this
    version on SQLite, the counted one's) and an open lock on the file, held until the caller renames the file
    with :func:`retire_old_file` once they are stored; None when there is nothing to move (no file, or another
    worker of this machine moved it meanwhile)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    fcntl.flock(fd, fcntl.LOCK_EX)  # the other workers of this machine wait, then find the file gone
    if not path.exists():
        os.close(fd)
        return None
    groups: list[Group] = []
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
            tables = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "searches" in tables:
                groups += [tuple(g) for g in con.execute(_OLD_GROUPS, (first_day,))]  # type: ignore[misc]
            if "search_counts" in tables:  # kept by this version on SQLite before the move
                groups += [tuple(g) for g in con.execute(  # type: ignore[misc]
                    "SELECT day, lang, query, searches, zero, max_hits, last FROM search_counts WHERE day >= ?",
                    (first_day,))]
    except BaseException:
        os.close(fd)
        raise
    return groups, fd


def retire_old_file(path: Path, fd: Any) -> None:
    """Rename the old SQLite log *path* (its rows are in PostgreSQL now) and release its lock."""
    try:
        for suffix in ("", "-wal", "-shm"):
            old = Path(f"{path}{suffix}")
            if old.exists():
                os.replace(old, f"{path}{MIGRATED_SUFFIX}{suffix}")
    finally:
        os.close(fd)
