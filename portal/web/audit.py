"""The audit trail in the agent app: :func:`audit` for the views, the admins' page ``/agent/audit``, and the
events of the app itself (a worker taking up a new index generation or reloading content).

The rows and what they may hold: :mod:`portal.web.audittrail`. Retention: AUDIT_DAYS (``PORTAL_AUDIT_DAYS``,
default 365 days).
"""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template, request

from portal.exceptions import ConfigError
from portal.web.audittrail import ACTIONS, DEFAULT_DAYS, SYSTEM, AuditTrail
from portal.web.database import current_database
from portal.web.state import get_state

bp = Blueprint("audit", __name__, url_prefix="/agent")
PERIODS = (1, 7, 30, 90, 365)
SHOWN = 500


def current_audit(app: Flask | None = None) -> AuditTrail:
    """The audit trail of the app (in its database, with its retention)."""
    target: Any = app if app is not None else current_app
    trail = target.extensions.get("portal_audit")
    if trail is None:
        trail = target.extensions.setdefault("portal_audit", AuditTrail(
            current_database(app), int(target.config["AUDIT_DAYS"])))
    return trail  # type: ignore[no-any-return]


def audit(action: str, actor: str, target: str = "", detail: str = "", via: str = "web") -> None:
    """Record *action* in the current app's audit trail, done by *actor*."""
    current_audit().record(action, actor, target, detail, via)


def _int_arg(name: str, default: int, allowed: tuple[int, ...]) -> int:
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        return default
    return value if value in allowed else default


@bp.get("/audit")
def trail() -> Any:
    """Admins: the audit trail, newest first, by period, user and action."""
    days = _int_arg("days", 30, PERIODS)
    user = request.args.get("user", "").strip()[:200]
    action = request.args.get("action", "")
    action = action if action in ACTIONS else ""
    events = current_audit().events(days=days, user=user or None, action=action or None, limit=SHOWN)
    page = render_template("agent/audit.html", events=events, days=days, user=user, action=action,
                           actions=ACTIONS, periods=PERIODS, shown=SHOWN, retention=current_audit().days,
                           site=get_state().corpus().site)
    response = Response(page)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    """Read AUDIT_DAYS, register the admins' page and record the app's own events (not in the app that freezes
    the public site)."""
    value = app.config.get("AUDIT_DAYS")
    if value is None:
        value = os.environ.get("PORTAL_AUDIT_DAYS") or DEFAULT_DAYS
    try:
        app.config["AUDIT_DAYS"] = int(value)
        if app.config["AUDIT_DAYS"] < 1:
            raise ValueError
    except ValueError:
        raise ConfigError(f"PORTAL_AUDIT_DAYS must be a whole number of days, 1 or more (not '{str(value)[:20]}')") \
            from None
    app.register_blueprint(bp)
    if app.config.get("FREEZING"):
        return

    def noted(action: str, target: str, detail: str) -> None:
        current_audit(app).record(action, SYSTEM, target, detail, "app")

    app.extensions["portal"].listeners.append(noted)
