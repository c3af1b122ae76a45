"""Agent sessions that end: a record per login in the app's database, and the session cookie.

The signed session cookie (``portal_session``: user name, session id, CSRF token) proves nothing by itself any
more: each request looks its session id up in the ``sessions`` table of the app's database (SQLite or
PostgreSQL, shared by every worker and machine, :mod:`portal.web.database`), where the session's start and last
use are kept. So:

* logging out deletes the record: a copy of the cookie taken before opens nothing after;
* an editor (the users page, :mod:`portal.web.useradmin`) or an operator (``portal users end-sessions NAME``)
  ends all of a user's sessions at once; removing a user or setting a new password does too;
* the idle limit (SESSION_IDLE_MINUTES) and the absolute limit (SESSION_MAX_HOURS) are checked against the
  server's record, whatever the cookie says; the last use is written at most every SEEN_EVERY_S seconds;
* the cookie is a browser-session cookie (no ``Expires``, no ``Max-Age``): it ends with the browser.

A login through the municipality's identity provider (:mod:`portal.web.oidc`) is the same kind of session,
with a row in ``sso_sessions`` beside it: the role the provider's claims gave at that login (a role changed at the
provider counts from the next login) and the ID token, kept for the provider's logout (``id_token_hint``) and
deleted with the session. A local session's role is read from the users file on every request.

Only a digest of the session id is stored, so the table alone opens no session. Records past either limit are
deleted at every login. While the database cannot write (:class:`portal.web.database.StoreUnavailable`) a
session that exists still works (its last use is not moved); a login or a logout says so.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import time
from contextlib import suppress
from typing import Any

from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface

from portal.web.database import Database, StoreUnavailable, current_database, key_digest

LIVE, EXPIRED, ENDED = "live", "expired", "ended"
SEEN_EVERY_S = 30.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, username TEXT NOT NULL, created {real} NOT NULL, seen {real} NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_username ON sessions (username);
CREATE TABLE IF NOT EXISTS sso_sessions (id TEXT PRIMARY KEY, role TEXT NOT NULL, id_token TEXT NOT NULL);
"""
# sso_sessions rows whose session is gone (ended, expired): deleted with every prune.
_ORPHANS = "DELETE FROM sso_sessions WHERE id NOT IN (SELECT id FROM sessions)"
log = logging.getLogger("portal")


class SessionStore:
    """The sessions table: one row per logged-in browser."""

    def __init__(self, db: Database):
        self.db = db
        db.require("sessions", _SCHEMA.format(real="REAL"), _SCHEMA.format(real="DOUBLE PRECISION"))

    def start(self, user: str, now: float | None = None, role: str | None = None, id_token: str = "") -> str:
        """Record a new session of *user*; return its id (for the cookie: it is stored only as a digest). With
        *role*, a session from the identity provider: its role and ID token are kept beside it."""
        now = time.time() if now is None else now
        session_id = secrets.token_urlsafe(32)
        key = key_digest(session_id)
        if role:  # first: a session row without its grant would be taken for a local user's
            self.db.run("INSERT INTO sso_sessions (id, role, id_token) VALUES (?, ?, ?)", (key, role, id_token))
        self.db.run("INSERT INTO sessions (id, username, created, seen) VALUES (?, ?, ?, ?)", (key, user, now, now))
        return session_id

    def check(self, session_id: str, user: str, idle_s: float, max_s: float, now: float | None = None) -> str:
        """LIVE when the session exists, is *user*'s and is within both limits (its last use is then moved
        on); EXPIRED when it is past one (and deleted); ENDED when there is no such session."""
        return self.lookup(session_id, user, idle_s, max_s, now)[0]

    def lookup(self, session_id: str, user: str, idle_s: float, max_s: float,
               now: float | None = None) -> tuple[str, str | None]:
        """As :meth:`check`, with the role a session from the identity provider was given at its login (None
        for a local user's session)."""
        now = time.time() if now is None else now
        key = key_digest(session_id)
        rows = self.db.run("SELECT s.username, s.created, s.seen, g.role FROM sessions s "
                           "LEFT JOIN sso_sessions g ON g.id = s.id WHERE s.id = ?", (key,))
        if not rows or rows[0][0] != user:
            return ENDED, None
        created, seen = float(rows[0][1]), float(rows[0][2])
        if now - seen > idle_s or now - created > max_s:
            with suppress(StoreUnavailable):  # else it stays past its limit: refused again next time
                self.end(session_id)
            return EXPIRED, None
        if now - seen > SEEN_EVERY_S:
            try:
                self.db.run("UPDATE sessions SET seen = ? WHERE id = ?", (now, key))
            except StoreUnavailable:
                log.warning("could not note a session's last use: the database cannot write now")
        return LIVE, (str(rows[0][3]) if rows[0][3] is not None else None)

    def id_token(self, session_id: str) -> str | None:
        """The ID token the identity provider gave at this session's login (None for a local session)."""
        rows = self.db.run("SELECT id_token FROM sso_sessions WHERE id = ?", (key_digest(session_id),))
        return str(rows[0][0]) if rows else None

    def end(self, session_id: str) -> bool:
        """End one session; False when there was none."""
        key = key_digest(session_id)
        ended = self.db.changed("DELETE FROM sessions WHERE id = ?", (key,)) > 0
        self.db.run("DELETE FROM sso_sessions WHERE id = ?", (key,))
        return ended

    def end_all(self, user: str) -> int:
        """End every session of *user*; return how many there were."""
        ended = self.db.changed("DELETE FROM sessions WHERE username = ?", (user,))
        self.db.run(_ORPHANS)
        return ended

    def prune(self, idle_s: float, max_s: float, now: float | None = None) -> int:
        """Delete the sessions past either limit; return how many."""
        now = time.time() if now is None else now
        pruned = self.db.changed("DELETE FROM sessions WHERE seen < ? OR created < ?", (now - idle_s, now - max_s))
        self.db.run(_ORPHANS)
        return pruned

    def open_counts(self, idle_s: float, max_s: float, now: float | None = None) -> dict[str, int]:
        """User name -> how many live sessions they have."""
        now = time.time() if now is None else now
        rows = self.db.run("SELECT username, COUNT(*) FROM sessions WHERE seen >= ? AND created >= ? "
                           "GROUP BY username", (now - idle_s, now - max_s))
        return {str(name): int(n) for name, n in rows}

    def sso_roles(self, idle_s: float, max_s: float, now: float | None = None) -> dict[str, str]:
        """User name -> the role of their latest live session from the identity provider."""
        now = time.time() if now is None else now
        rows = self.db.run("SELECT s.username, g.role FROM sessions s JOIN sso_sessions g ON g.id = s.id "
                           "WHERE s.seen >= ? AND s.created >= ? ORDER BY s.created", (now - idle_s, now - max_s))
        return {str(name): str(role) for name, role in rows}


# --- the current app's sessions ---------------------------------------------------------------------------------

def current_sessions() -> SessionStore:
    """The sessions of the current app, in its database."""
    store = current_app.extensions.get("portal_sessions")
    if store is None:
        store = current_app.extensions.setdefault("portal_sessions", SessionStore(current_database()))
    return store  # type: ignore[no-any-return]


def limits() -> tuple[float, float]:
    """The idle and the absolute limit of a session, in seconds (SESSION_IDLE_MINUTES, SESSION_MAX_HOURS)."""
    cfg = current_app.config
    return float(cfg["SESSION_IDLE_MINUTES"]) * 60, float(cfg["SESSION_MAX_HOURS"]) * 3600


def start_session(user: str, role: str | None = None, id_token: str = "") -> str:
    """Record a new session of *user* (after deleting the expired ones); return its id for the cookie. *role* and
    *id_token*: a login through the identity provider."""
    store = current_sessions()
    store.prune(*limits())
    return store.start(user, role=role, id_token=id_token)


def session_state(session_id: str, user: str) -> tuple[str, str | None]:
    """LIVE, EXPIRED or ENDED: what the server knows of the session the cookie names; with the role the identity
    provider gave it (None: a local user's session, whose role is in the users file)."""
    return current_sessions().lookup(session_id, user, *limits())


def end_session(session_id: str) -> None:
    """End one session on the server (logout)."""
    current_sessions().end(session_id)


def end_user_sessions(user: str) -> int:
    """End every session of *user*; return how many."""
    return current_sessions().end_all(user)


# --- the cookie --------------------------------------------------------------------------------------------------

class CookieSessions(SecureCookieSessionInterface):
    """Session cookies marked Secure as configured ('auto' leaves them off only on plain-HTTP loopback), without
    an expiry date: a session is never permanent, so the cookie ends with the browser."""

    def get_cookie_secure(self, app: Flask) -> bool:  # type: ignore[override]
        """Whether the cookie gets the Secure flag (COOKIE_SECURE: true, false or auto)."""
        value = app.config["COOKIE_SECURE"]
        if isinstance(value, str) and value.lower() == "auto":
            host = (request.host or "").rsplit(":", 1)[0].strip("[]")
            try:
                loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = False
            return request.is_secure or not loopback
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes", "on")
        return bool(value)

    def get_expiration_time(self, app: Flask, session: Any) -> None:  # type: ignore[override]
        """None: a browser-session cookie; the server keeps the limits."""
        return None


class NoSessions(SecureCookieSessionInterface):
    """No sessions at all, for the app that freezes the public site: its pages never use one, and opening
    a cookie session for each of 20,000 pages (a signing serializer each) cost 2% of a freeze."""

    def open_session(self, app: Flask, request: Any) -> Any:  # type: ignore[override]
        """A null session."""
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:  # type: ignore[override]
        """Nothing to save."""
        return None
