"""Which changes each agent has read on "Nytt och ändrat", in the app's database (SQLite or PostgreSQL).

One row per user and article: the newest commit of the article the user marked as read. A later change to the
article has another commit, so the article shows as unread again by itself; nothing needs deleting when it
changes. The table never holds more than one row per user and article.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextlib import suppress
from typing import Any

from flask import current_app

from portal.web.database import Database, current_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS change_reads (
    username TEXT NOT NULL, article TEXT NOT NULL, revision TEXT NOT NULL, read_at TEXT NOT NULL,
    PRIMARY KEY (username, article));
"""
_UPSERT = ("INSERT INTO change_reads (username, article, revision, read_at) VALUES (?, ?, ?, ?) "
           "ON CONFLICT (username, article) DO UPDATE SET revision = excluded.revision, read_at = excluded.read_at")


class ReadMarks:
    """The ``change_reads`` table: what each user has read."""

    def __init__(self, db: Database):
        self.db = db
        db.require("change_reads", _SCHEMA, _SCHEMA)

    def read(self, user: str) -> dict[str, str]:
        """Article id -> the commit *user* last marked as read."""
        rows = self.db.run("SELECT article, revision FROM change_reads WHERE username = ?", (user,))
        return {str(article): str(revision) for article, revision in rows}

    def mark(self, user: str, marks: Iterable[tuple[str, str]], now: dt.datetime | None = None) -> int:
        """Mark each (article, commit) of *marks* as read by *user*; return how many."""
        stamp = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
        rows = [(user, article, revision, stamp) for article, revision in marks]
        if not rows:
            return 0

        def write(cur: Any) -> int:
            # One transaction: "mark all as read" after a holiday may be thousands of rows.
            cur.execute("BEGIN")
            try:
                cur.executemany(self.db.sql(_UPSERT), rows)
            except BaseException:
                with suppress(Exception):  # a dropped connection cannot roll back: its fault is raised below
                    cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
            return len(rows)

        return self.db.with_cursor(write)

    def unmark(self, user: str, article: str) -> bool:
        """Show *article* as unread to *user* again; False when it was not marked."""
        return self.db.changed("DELETE FROM change_reads WHERE username = ? AND article = ?", (user, article)) > 0


def current_marks() -> ReadMarks:
    """The read marks of the current app, in its database."""
    store = current_app.extensions.get("portal_change_reads")
    if store is None:
        store = current_app.extensions.setdefault("portal_change_reads", ReadMarks(current_database()))
    return store  # type: ignore[no-any-return]
