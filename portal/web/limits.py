"""Who is asking, and how often: the real client address, and limits every worker and machine shares.

**The client address.** Behind PROXY_COUNT trusted proxies (``PORTAL_PROXY_COUNT``, default 0: the app is
reached directly), werkzeug's ``ProxyFix`` takes the client's address from the last PROXY_COUNT entries of
``X-Forwarded-For`` (and the scheme from ``X-Forwarded-Proto``), so ``request.remote_addr`` is the citizen's or
the agent's address, not the proxy's. The socket peer stays readable for the checks that must not believe a
header (:func:`portal.web.trustedproxy.peer_address`: the SSO header, and /metrics).

**Limits.** Counters in the app's database (:mod:`portal.web.database`: SQLite on one machine, PostgreSQL across
machines), table ``rate_limits``: one row per key with the window's opening time, its hits and its closing time.
A hit is one atomic upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING``): a window opens with a key's first
hit and lasts its length; a hit after it closed opens a new one. Keys are stored as SHA-256 digests (no address
or user name in the table) and rows are deleted once their window has closed (at most every PRUNE_EVERY_S). So
a limit holds across workers, worker restarts and machines.

* **Logins** (:func:`login_attempt`): an attempt is counted *before* its password is checked, under three keys:
  the account from this address (LOGIN_MAX_FAILURES, 5), this address for any account (LOGIN_MAX_FAILURES_IP,
  30) and the account from all addresses (LOGIN_MAX_FAILURES_ACCOUNT, 100: a higher bar, so that a guess spread
  over many addresses is stopped too, while one client's typing errors never lock the account for others).
  Over any of them the attempt is refused with a 429 and counted nowhere; a successful login takes its count
  back (and clears the account-and-address key). Since counting and checking are one statement, concurrent
  attempts on any number of workers get at most the limit's number of password checks per window.
* **Feedback posts and e-service starts** (:func:`limit_posts`): per client address, FEEDBACK_MAX_POSTS (10)
  posts and three times as many starts per FEEDBACK_WINDOW_SECONDS; past that a 429 with ``Retry-After``,
  which /metrics counts (``portal_rate_limited_total``): no start is dropped without a word.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.exceptions import ConfigError
from portal.web.database import Database, current_database, key_digest

DEFAULTS: dict[str, Any] = {"PROXY_COUNT": 0}  # trusted proxies in front of the app that add to X-Forwarded-For
PRUNE_EVERY_S = 60.0
STARTS_PER_POST = 3  # a citizen may start several e-services, and a double click counts twice
_SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_limits (
    id TEXT PRIMARY KEY, opened {real} NOT NULL, hits INTEGER NOT NULL, closes {real} NOT NULL);
CREATE INDEX IF NOT EXISTS rate_limits_closes ON rate_limits (closes);
"""
_HIT = ("INSERT INTO rate_limits (id, opened, hits, closes) VALUES {rows} ON CONFLICT (id) DO UPDATE SET "
        "opened = CASE WHEN rate_limits.closes <= excluded.opened THEN excluded.opened ELSE rate_limits.opened END, "
        "hits = CASE WHEN rate_limits.closes <= excluded.opened THEN 1 ELSE rate_limits.hits + 1 END, "
        "closes = CASE WHEN rate_limits.closes <= excluded.opened THEN excluded.closes ELSE rate_limits.closes END "
        "RETURNING id, opened, hits, closes")


@dataclass(frozen=True)
class Window:
    """One key's current window after a hit: when it opened, how many hits it holds, when it closes."""

    key: str
    opened: float
    hits: int
    closes: float

    def wait(self, now: float) -> int:
        """Whole seconds until the window closes (at least 1)."""
        return max(int(self.closes - now) + 1, 1)


class Limits:
    """The ``rate_limits`` table of one database."""

    def __init__(self, db: Database):
        self.db = db
        db.require("rate_limits", _SCHEMA.format(real="REAL"), _SCHEMA.format(real="DOUBLE PRECISION"))
        self._pruned_at = -PRUNE_EVERY_S

    def hit(self, keys: Sequence[str], window: float, now: float | None = None) -> list[Window]:
        """Count one hit on each of *keys* (distinct) in one atomic statement; their windows after it, in the
        order of *keys*."""
        now = time.time() if now is None else now
        ids = {key_digest(key): key for key in keys}
        order = sorted(ids)  # one lock order for every statement: concurrent hits cannot deadlock
        params: list[Any] = []
        for key_id in order:
            params += [key_id, now, now + window]
        rows = self.db.run(_HIT.format(rows=", ".join(["(?, ?, 1, ?)"] * len(order))), params)
        found = {str(row[0]): Window(ids[str(row[0])], float(row[1]), int(row[2]), float(row[3])) for row in rows}
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
            self.prune(now)
        return [found[key_digest(key)] for key in keys]

    def take_back(self, windows: Sequence[Window]) -> None:
        """Uncount one hit from each window that is still the key's current one."""
        for w in sorted(windows, key=lambda w: key_digest(w.key)):
            self.db.run("UPDATE rate_limits SET hits = hits - 1 WHERE id = ? AND opened = ? AND hits > 0",
                        (key_digest(w.key), w.opened))

    def clear(self, key: str) -> None:
        """Forget *key*'s window."""
        self.db.run("DELETE FROM rate_limits WHERE id = ?", (key_digest(key),))

    def prune(self, now: float | None = None) -> int:
        """Delete the windows that have closed; return how many."""
        self._pruned_at = time.monotonic()
        return self.db.changed("DELETE FROM rate_limits WHERE closes < ?", (time.time() if now is None else now,))


def current_limits() -> Limits:
    """The limits of the current app, in its database."""
    limits = current_app.extensions.get("portal_limits")
    if limits is None:
        limits = current_app.extensions.setdefault("portal_limits", Limits(current_database()))
    return limits  # type: ignore[no-any-return]


def client_address() -> str:
    """The client's address: the socket peer, or behind PROXY_COUNT proxies what they say it is."""
    return str(request.remote_addr or "")


def refused(kind: str) -> None:
    """Note that this request was refused by the *kind* limit (``login``, ``feedback``, ``start``), for
    /metrics."""
    g.rate_limited = kind


# --- logins --------------------------------------------------------------------------------------------------

class LoginAttempt:
    """One login attempt, counted before its password is checked (see the module's docstring)."""

    def __init__(self, name: str):
        cfg = current_app.config
        account, address = name.lower(), client_address()
        self.window = float(cfg["LOGIN_WINDOW_SECONDS"])
        self.keys = {f"login-account-address:{account}\n{address}": int(cfg["LOGIN_MAX_FAILURES"]),
                     f"login-address:{address}": int(cfg["LOGIN_MAX_FAILURES_IP"]),
                     f"login-account:{account}": int(cfg["LOGIN_MAX_FAILURES_ACCOUNT"])}
        self.limits = current_limits()
        now = time.time()
        self.windows = self.limits.hit(list(self.keys), self.window, now)
        over = [w for w in self.windows if w.hits > self.keys[w.key]]
        self.wait = max((w.wait(now) for w in over), default=0)
        if over:
            self.limits.take_back(self.windows)  # a refused attempt tried no password: it counts nowhere
            refused("login")
            names = ", ".join(w.key.split(":", 1)[0].removeprefix("login-") for w in over)
            current_app.logger.warning("refused a login attempt on the account %r for %d s: too many failures "
                                       "(%s)", account[:100], self.wait, names)

    def succeeded(self) -> None:
        """The password was right: this attempt was no failure, and this address may start afresh."""
        first = self.windows[0]
        self.limits.take_back(self.windows[1:])
        self.limits.clear(first.key)


def login_attempt(name: str) -> LoginAttempt:
    """Count a login attempt on the account *name* from this client; its ``wait`` is non-zero (seconds) when it
    is refused. Call ``succeeded()`` when the password was right; a failure keeps its count."""
    return LoginAttempt(name)


# --- posts ---------------------------------------------------------------------------------------------------

def limit_posts(kind: str) -> int:
    """Count one *kind* post (``feedback`` or ``start``) by this client; the seconds to wait when it has
    posted too often (0 when it may)."""
    cfg = current_app.config
    limit, window = int(cfg["FEEDBACK_MAX_POSTS"]), float(cfg["FEEDBACK_WINDOW_SECONDS"])
    if kind == "start":
        limit *= STARTS_PER_POST
    now = time.time()
    (posts,) = current_limits().hit([f"post-{kind}:{client_address()}"], window, now)
    if posts.hits <= limit:
        return 0
    refused(kind)
    return posts.wait(now)


# --- setup ---------------------------------------------------------------------------------------------------

def proxy_count(value: Any) -> int:
    """PROXY_COUNT as a whole number of at least 0; a ConfigError otherwise."""
    text = str(value).strip()
    if not text.isdigit():
        raise ConfigError(f"PORTAL_PROXY_COUNT must be a whole number of proxies, 0 or more (not '{text[:20]}'): "
                          "how many trusted proxies in front of the app add to X-Forwarded-For")
    return int(text)


def init_app(app: Flask) -> None:
    """Read PROXY_COUNT (a ConfigError when it is not a number) and, behind proxies, take the client's address
    from X-Forwarded-For with werkzeug's ProxyFix."""
    for key, default in DEFAULTS.items():
        if app.config.get(key) is None:
            app.config[key] = os.environ.get(f"PORTAL_{key}", default)
    count = app.config["PROXY_COUNT"] = proxy_count(app.config["PROXY_COUNT"])
    if count and not app.config.get("FREEZING"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]
