"""Where what citizens and agents say about the content is kept: feedback, error reports, e-service starts.

In the app's database (:mod:`portal.web.database`): SQLite by default, one file in DATA_DIR (``feedback.sqlite3``,
WAL mode, a busy timeout), safe with several gunicorn workers; PostgreSQL when DATABASE_URL names one
(``postgresql://…``), through psycopg. The SQL is the same for both; only the id column and the placeholders
differ. While the database cannot write, a write is a :class:`portal.web.database.StoreUnavailable` (a 503).

What is kept, and for how long:

* **feedback**: article, language, yes/no, the comment *after* personal identity numbers, phone numbers
  and e-mail addresses were replaced (:func:`portal.web.redact.redact`), the channel and a UTC timestamp. No IP
  address, no cookie, no session.
* **starts**: a count per article, language, channel (``web`` or ``agent``) and day. Nothing about who.
* **reports**: an agent's error report on an article: what is wrong, a suggestion, the agent's user name,
  the article's owner and revision when it was reported; closed by an editor or when the article changes.

Feedback, starts and closed reports older than FEEDBACK_DAYS (default 90, like the search log) are deleted
on every write at most once an hour and by ``portal report``. Open reports stay until they are closed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from portal.web.audittrail import SYSTEM, AuditTrail
from portal.web.database import Database, current_database, database_url

DEFAULT_DAYS = 90
PRUNE_EVERY_S = 3600.0
CHANNELS = ("web", "agent")
ALL_REPORTS = 1_000_000  # a limit no list of open reports reaches
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id {id}, article TEXT NOT NULL, lang TEXT NOT NULL, helpful INTEGER NOT NULL,
    comment TEXT NOT NULL, channel TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS feedback_at ON feedback (at);
CREATE INDEX IF NOT EXISTS feedback_article ON feedback (article);
CREATE TABLE IF NOT EXISTS starts (
    article TEXT NOT NULL, lang TEXT NOT NULL, channel TEXT NOT NULL, day TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (article, lang, channel, day));
CREATE TABLE IF NOT EXISTS reports (
    id {id}, article TEXT NOT NULL, owner TEXT NOT NULL, what TEXT NOT NULL, suggestion TEXT NOT NULL,
    reporter TEXT NOT NULL, revision TEXT NOT NULL, at TEXT NOT NULL,
    closed_at TEXT, closed_by TEXT, closed_how TEXT);
CREATE INDEX IF NOT EXISTS reports_open ON reports (closed_at, article);
"""
_REPORT_COLUMNS = "id, article, owner, what, suggestion, reporter, revision, at, closed_at, closed_by, closed_how"


@dataclass(frozen=True)
class Report:
    """One agent's report of an error in an article."""

    id: int
    article: str
    owner: str
    what: str
    suggestion: str
    reporter: str
    revision: str
    at: str
    closed_at: str | None = None
    closed_by: str | None = None
    closed_how: str | None = None  # "done" (an editor) or "changed" (the article changed) or "removed"


class YesNo:
    """The yes/no answers' derived figures, for anything with ``yes`` and ``no`` counts."""

    yes: int
    no: int

    @property
    def answers(self) -> int:
        """How many citizens answered "Did this answer your question?"."""
        return self.yes + self.no

    @property
    def yes_share(self) -> float | None:
        """The share of yes answers (None when nobody answered)."""
        return self.yes / self.answers if self.answers else None


@dataclass
class Figures(YesNo):
    """What came back about one article in a period."""

    article: str
    yes: int = 0
    no: int = 0
    comments: int = 0
    starts: dict[str, int] = field(default_factory=dict)  # channel -> count
    open_reports: int = 0


@dataclass(frozen=True)
class Comment:
    """A citizen's (redacted) comment."""

    article: str
    lang: str
    helpful: bool
    comment: str
    at: str


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _iso(now: dt.datetime) -> str:
    return now.isoformat(timespec="seconds")


class Store:
    """The feedback database: SQLite (*url* a path) or PostgreSQL (*url* ``postgresql://…``)."""

    def __init__(self, url: str | Path, days: int = DEFAULT_DAYS, db: Database | None = None):
        self.db = db or Database(url)
        self.url = self.db.url
        self.days = int(days)
        self.postgres = self.db.postgres
        self.db.require("feedback", _SCHEMA.format(id="INTEGER PRIMARY KEY AUTOINCREMENT"),
                        _SCHEMA.format(id="BIGSERIAL PRIMARY KEY"))
        self._pruned_at = -PRUNE_EVERY_S

    # --- statements -------------------------------------------------------------------------------------

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        yield self.db.connection().cursor()

    def _sql(self, sql: str) -> str:
        return self.db.sql(sql)

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.db.run(sql, params)

    def _with_cursor(self, work: Callable[[Any], T]) -> T:
        return self.db.with_cursor(work)

    def _write(self, sql: str, params: Sequence[Any], now: dt.datetime) -> list[tuple[Any, ...]]:
        rows = self._run(sql, params)
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
            self.prune(now)
        return rows

    # --- retention --------------------------------------------------------------------------------------

    def cutoff(self, now: dt.datetime | None = None, days: int | None = None) -> str:
        """The timestamp before which rows are older than *days* (default: the retention period)."""
        return _iso(_now(now) - dt.timedelta(days=days or self.days))

    def prune(self, now: dt.datetime | None = None) -> int:
        """Delete feedback, starts and closed reports older than the retention period; return how many."""
        self._pruned_at = time.monotonic()
        cut = self.cutoff(now)
        return sum(self.db.changed(sql, (value,)) for sql, value in (
            ("DELETE FROM feedback WHERE at < ?", cut), ("DELETE FROM starts WHERE day < ?", cut[:10]),
            ("DELETE FROM reports WHERE closed_at IS NOT NULL AND closed_at < ?", cut)))

    # --- writing ----------------------------------------------------------------------------------------

    def add_feedback(self, article: str, lang: str, helpful: bool, comment: str = "", channel: str = "web",
                     now: dt.datetime | None = None) -> None:
        """Store one answer to "Did this answer your question?" (*comment* already redacted)."""
        now = _now(now)
        self._write("INSERT INTO feedback (article, lang, helpful, comment, channel, at) VALUES (?, ?, ?, ?, ?, ?)",
                    (article, lang, 1 if helpful else 0, comment, channel, _iso(now)), now)

    def add_start(self, article: str, lang: str, channel: str, now: dt.datetime | None = None) -> None:
        """Count one click on an article's e-service start button (or an agent's copy of its link)."""
        now = _now(now)
        self._write("INSERT INTO starts (article, lang, channel, day, n) VALUES (?, ?, ?, ?, 1) "
                    "ON CONFLICT (article, lang, channel, day) DO UPDATE SET n = starts.n + 1",
                    (article, lang, channel, now.date().isoformat()), now)

    def add_report(self, article: str, owner: str, what: str, suggestion: str, reporter: str, revision: str,
                   now: dt.datetime | None = None) -> int:
        """Store an agent's error report (texts already redacted); return its id."""
        now = _now(now)
        rows = self._write("INSERT INTO reports (article, owner, what, suggestion, reporter, revision, at) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                           (article, owner, what, suggestion, reporter, revision, _iso(now)), now)
        return int(rows[0][0])

    def close_report(self, report_id: int, by: str, how: str = "done", now: dt.datetime | None = None) -> bool:
        """Close an open report (recorded in the audit trail: *by*, or the system when the article changed);
        False when there is no open report with that id."""
        def close(cur: Any) -> bool:
            cur.execute(self._sql("UPDATE reports SET closed_at = ?, closed_by = ?, closed_how = ? "
                                  "WHERE id = ? AND closed_at IS NULL"), (_iso(_now(now)), by, how, int(report_id)))
            return cur.rowcount > 0

        closed = self._with_cursor(close)
        if closed:
            AuditTrail(self.db, days=None).record("report_closed", by or SYSTEM, f"#{int(report_id)}", how, now=now)
        return closed

    def close_changed(self, revisions: dict[str, str], now: dt.datetime | None = None,
                      article: str | None = None) -> int:
        """Close the open reports (all, or *article*'s) whose article has changed since (its revision differs
        from *revisions*) or no longer exists; return how many were closed."""
        closed = 0
        for report in self.reports(article=article, limit=ALL_REPORTS):
            current = revisions.get(report.article)
            if current is None:
                closed += self.close_report(report.id, "", "removed", now)
            elif current != report.revision:
                closed += self.close_report(report.id, "", "changed", now)
        return closed

    # --- reading ----------------------------------------------------------------------------------------

    def reports(self, *, open_only: bool = True, owner: str | None = None, article: str | None = None,
                limit: int = 500) -> list[Report]:
        """Reports, newest first: the open ones (or all), optionally one owner's or one article's."""
        where, params = [], []
        if open_only:
            where.append("closed_at IS NULL")
        if owner is not None:
            where.append("owner = ?")
            params.append(owner)
        if article is not None:
            where.append("article = ?")
            params.append(article)
        clauses = " WHERE " + " AND ".join(where) if where else ""  # fixed texts, values are parameters
        sql = f"SELECT {_REPORT_COLUMNS} FROM reports{clauses} ORDER BY at DESC, id DESC LIMIT ?"  # noqa: S608
        return [Report(*row) for row in self._run(sql, [*params, int(limit)])]

    def reported_articles(self) -> dict[str, int]:
        """The articles with open error reports, and how many each has."""
        return {a: int(n) for a, n in self._run(
            "SELECT article, COUNT(*) FROM reports WHERE closed_at IS NULL GROUP BY article")}

    def report(self, report_id: int) -> Report | None:
        """One report by its id (open or closed), or None."""
        rows = self._run(f"SELECT {_REPORT_COLUMNS} FROM reports WHERE id = ?", (int(report_id),))  # noqa: S608
        return Report(*rows[0]) if rows else None

    def figures(self, days: int | None = None, now: dt.datetime | None = None) -> dict[str, Figures]:
        """Per article: yes and no answers, comments and e-service starts of the last *days*, open reports."""
        cut = self.cutoff(now, days)
        out: dict[str, Figures] = {}

        def get(article: str) -> Figures:
            return out.setdefault(article, Figures(article))

        for article, yes, no, comments in self._run(
                "SELECT article, SUM(helpful), SUM(1 - helpful), SUM(CASE WHEN comment <> '' THEN 1 ELSE 0 END) "
                "FROM feedback WHERE at >= ? GROUP BY article", (cut,)):
            f = get(article)
            f.yes, f.no, f.comments = int(yes or 0), int(no or 0), int(comments or 0)
        for article, channel, n in self._run(
                "SELECT article, channel, SUM(n) FROM starts WHERE day >= ? GROUP BY article, channel", (cut[:10],)):
            get(article).starts[channel] = int(n or 0)
        for article, n in self.reported_articles().items():
            get(article).open_reports = n
        return out

    def comments(self, article: str | None = None, limit: int = 20, days: int | None = None) -> list[Comment]:
        """The newest comments (all articles, or one)."""
        sql = "SELECT article, lang, helpful, comment, at FROM feedback WHERE comment <> '' AND at >= ?"
        params: list[Any] = [self.cutoff(None, days)]
        if article is not None:
            sql += " AND article = ?"
            params.append(article)
        rows = self._run(sql + " ORDER BY at DESC, id DESC LIMIT ?", [*params, int(limit)])
        return [Comment(a, lang, bool(h), c, at) for a, lang, h, c, at in rows]

    def count(self, table: str) -> int:
        """How many rows *table* (feedback, starts or reports) holds."""
        if table not in ("feedback", "starts", "reports"):
            raise ValueError(table)
        return int(self._run(f"SELECT COUNT(*) FROM {table}")[0][0])  # noqa: S608 - a fixed table name


def open_store(data_dir: Path, url: str | None = None, days: int = DEFAULT_DAYS) -> Store:
    """The store DATABASE_URL (*url*) names, else the SQLite file in *data_dir*."""
    return Store(database_url(data_dir, url), days)


def current_store() -> Store:
    """The store of the current app, in the app's database (DATABASE_URL or DATA_DIR), FEEDBACK_DAYS."""
    from flask import current_app

    store = current_app.extensions.get("portal_feedback")
    if store is None:
        db = current_database()
        store = current_app.extensions["portal_feedback"] = Store(
            db.url, int(current_app.config.get("FEEDBACK_DAYS") or DEFAULT_DAYS), db)
    return store  # type: ignore[no-any-return]
