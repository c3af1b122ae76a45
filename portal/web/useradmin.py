"""The users page for editors: who may log in, how many sessions each has open, and a button that ends them all.

An editor ends every session of a user (a lost laptop, a shared computer, someone who left) with one click; the
user's next request goes to the login page. Users themselves are added and removed with ``portal users``, which
also ends sessions from the command line (``portal users end-sessions NAME``). Each ending is logged with who
did it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, url_for

from portal.web.accounts import all_users
from portal.web.auth import current_user, role_required
from portal.web.sessions import current_sessions, end_user_sessions, limits
from portal.web.state import get_state

bp = Blueprint("users", __name__, url_prefix="/agent")


@bp.get("/users")
@role_required("editor")
def users() -> Any:
    """Editors: the users, their roles and open sessions, each with a button that ends their sessions."""
    people = sorted(all_users().items())
    sessions = current_sessions().open_counts(*limits())
    for name in sorted(set(sessions) - {name for name, _ in people}):
        people.append((name, {"role": ""}))  # sessions of a user since removed, or of the SSO
    return render_template("agent/users.html", people=people, sessions=sessions, site=get_state().corpus().site)


@bp.post("/users/<path:name>/end-sessions")
@role_required("editor")
def end_sessions(name: str) -> Any:
    """End every session of *name* (CSRF-checked like every form)."""
    ended = end_user_sessions(name)
    editor = current_user()
    current_app.logger.warning("%s ended %d session(s) of %s", editor.name if editor else "?", ended, name)
    flash(f"{ended} inloggning{'' if ended == 1 else 'ar'} för {name} avslutades." if ended
          else f"{name} hade inga öppna inloggningar.")
    return redirect(url_for("users.users"))


def init_app(app: Flask) -> None:
    """Register the users page."""
    app.register_blueprint(bp)
