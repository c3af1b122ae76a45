"""The users page for admins: who may log in, how many sessions each has open, a button that ends them all, and
the API tokens with a button that revokes one.

An admin ends every session of a user (a lost laptop, a shared computer, someone who left) with one click; the
user's next request goes to the login page. People who sign in through the municipality's identity provider are
listed by their open sessions (their role comes from the provider at each login). Local users are added and
removed, and their roles changed, with ``portal users``, which also ends sessions from the command line
(``portal users end-sessions NAME``); tokens are made with ``portal tokens add``. Each ending and revocation goes
to the audit trail (:mod:`portal.web.audit`) with who did it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, url_for

from portal.web.accounts import all_users, read_json, remove_entry, tokens_file
from portal.web.audit import audit
from portal.web.auth import current_user
from portal.web.sessions import current_sessions, end_user_sessions, limits
from portal.web.state import get_state

bp = Blueprint("users", __name__, url_prefix="/agent")


def _admin() -> str:
    user = current_user()
    return user.name if user is not None else ""


@bp.get("/users")
def users() -> Any:
    """Admins: the users, their roles and open sessions, each with a button that ends their sessions; the API
    tokens, each with a button that revokes it."""
    people = sorted(all_users().items())
    sessions = current_sessions().open_counts(*limits())
    sso = current_sessions().sso_roles(*limits())
    for name in sorted(set(sessions) - {name for name, _ in people}):
        # sessions of the identity provider (their role from its claims), or of a user removed since
        people.append((name, {"role": sso.get(name, ""), "sso": name in sso}))
    tokens = sorted(read_json(tokens_file(), "tokens").items())
    return render_template("agent/users.html", people=people, sessions=sessions, tokens=tokens,
                           site=get_state().corpus().site)


@bp.post("/users/<path:name>/end-sessions")
def end_sessions(name: str) -> Any:
    """End every session of *name* (CSRF-checked like every form)."""
    ended = end_user_sessions(name)
    audit("sessions_ended", _admin(), target=name, detail=str(ended))
    flash(f"{ended} inloggning{'' if ended == 1 else 'ar'} för {name} avslutades." if ended
          else f"{name} hade inga öppna inloggningar.")
    return redirect(url_for("users.users"))


@bp.post("/tokens/<path:name>/revoke")
def revoke_token(name: str) -> Any:
    """Revoke the API token *name*: the next request that sends it gets a 401."""
    if not remove_entry(tokens_file(), "tokens", name):
        abort(404)
    audit("token_removed", _admin(), target=name)
    flash(f"API-nyckeln {name} återkallades.")
    return redirect(url_for("users.users") + "#tokens-h")


def init_app(app: Flask) -> None:
    """Register the users page."""
    app.register_blueprint(bp)
