"""The audit trail: who signed in (or failed to), who ended sessions, changed users, roles and tokens, closed
error reports, and when the app took up new content or a new index generation.

Kept in the app's database beside the feedback (SQLite in DATA_DIR, or PostgreSQL with DATABASE_URL:
:mod:`portal.web.database`), one row per event, deleted after AUDIT_DAYS (default 365; pruned as events are
written, at most every PRUNE_EVERY_S seconds, and by ``portal report audit``).

A row holds the time, who did it (``actor``: a user name, ``system`` for the app itself, or the operating-system
user of a ``portal`` command), what (``action``, one of ACTIONS), to whom or what (``target``: a user or token
name, a report number, an index generation), a short fixed ``detail`` (a role, a reason code, a count) and how
(``via``: ``password``, ``oidc``, ``proxy``, ``web``, ``cli``). Nothing else: no address, no browser, no search
query, no password (a failed login keeps the user name that was typed), no token, no claim of the identity
provider but the user name. No Flask here: the command line writes and reads the same rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

from portal.web.database import Database, StoreUnavailable

log = logging.getLogger("portal")
DEFAULT_DAYS = 365
PRUNE_EVERY_S = 600.0
MAX_FIELD = 200  # characters of a name or detail: a hostile login form cannot fill the trail with megabytes
_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id {id}, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
    detail TEXT NOT NULL, via TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
"""
# Every action, with what the admin page calls it.
ACTIONS = {
    "login": "Inloggning",
    "login_failed": "Misslyckad inloggning",
    "login_denied": "Ingen behörighet",
    "logout": "Utloggning",
    "sessions_ended": "Inloggningar avslutade",
    "user_added": "Användare tillagd",
    "password_set": "Nytt lösenord",
    "user_removed": "Användare borttagen",
    "role_changed": "Roll ändrad",
    "token_added": "API-nyckel skapad",
    "token_removed": "API-nyckel återkallad",
    "report_closed": "Felrapport stängd",
    "index_generation": "Ny indexgeneration",
    "content_reloaded": "Innehållet inläst igen",
}
SYSTEM = "system"


@dataclass(frozen=True)
class Event:
    """One row of the audit trail."""

    id: int
    at: str
    actor: str
    action: str
    target: str
    detail: str
    via: str

    def as_dict(self) -> dict[str, Any]:
        """The event as JSON-ready values."""
        return asdict(self)

    @property
    def label(self) -> str:
        """What the action is called on the admin page."""
        return ACTIONS.get(self.action, self.action)


def _iso(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).isoformat(timespec="seconds")


def _field(value: object) -> str:
    text = "".join(c if c.isprintable() else " " for c in str(value or ""))
    return text[:MAX_FIELD]


class AuditTrail:
    """The audit rows in one database; *days* None keeps rows (pruning is then left to a trail that knows the
    configured retention)."""

    def __init__(self, db: Database, days: int | None = DEFAULT_DAYS):
        self.db = db
        self.days = int(days) if days else None
        db.require("audit", _SCHEMA.format(id="INTEGER PRIMARY KEY AUTOINCREMENT"),
                   _SCHEMA.format(id="BIGSERIAL PRIMARY KEY"))
        self._pruned_at = -PRUNE_EVERY_S

    def record(self, action: str, actor: str, target: str = "", detail: str = "", via: str = "",
               now: dt.datetime | None = None) -> None:
        """Add one event (*action* one of ACTIONS). A database that cannot write now loses the event but says
        so in the application log: an audit row never stops a login or a logout."""
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action '{action}'")
        now = now or dt.datetime.now(dt.UTC)
        try:
            self.db.run("INSERT INTO audit (at, actor, action, target, detail, via) VALUES (?, ?, ?, ?, ?, ?)",
                        (_iso(now), _field(actor) or SYSTEM, action, _field(target), _field(detail), _field(via)))
            if self.days and time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
                self.prune(now)
        except StoreUnavailable:
            log.warning("could not write to the audit trail now (the database cannot write): %s by %s, target %s",
                        action, _field(actor), _field(target))

    def prune(self, now: dt.datetime | None = None) -> int:
        """Delete the events older than the retention period; return how many."""
        self._pruned_at = time.monotonic()
        if not self.days:
            return 0
        cut = _iso((now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=self.days))
        return self.db.changed("DELETE FROM audit WHERE at < ?", (cut,))

    def events(self, days: int = 30, user: str | None = None, action: str | None = None, limit: int = 500,
               now: dt.datetime | None = None) -> list[Event]:
        """The events of the last *days*, newest first; *user*: only those it did or that were done to it;
        *action*: only that action."""
        where, params = ["at >= ?"], [_iso((now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days))]
        if user:
            where.append("(actor = ? OR target = ?)")
            params += [user, user]
        if action:
            where.append("action = ?")
            params.append(action)
        sql = ("SELECT id, at, actor, action, target, detail, via FROM audit WHERE "  # noqa: S608 (fixed texts)
               + " AND ".join(where) + " ORDER BY at DESC, id DESC LIMIT ?")
        return [Event(int(r[0]), *(str(v) for v in r[1:])) for r in self.db.run(sql, [*params, int(limit)])]
