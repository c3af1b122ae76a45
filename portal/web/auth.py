"""Who may see internal content: users, API tokens, login and logout, sessions, CSRF and login limits.

* Users live in a JSON file (USERS_FILE, default ``DATA_DIR/users.json``, written by ``portal users add``)
  and/or in the PORTAL_USERS environment variable (the same JSON: ``{"anna": {"role": "agent",
  "hash": "scrypt:…"}}``). Passwords are stored only as werkzeug hashes. Roles: ``agent`` (search, read,
  report errors), ``editor`` (also the reports and figures) and ``admin`` (also users, sessions, tokens and the
  audit trail); which route needs which is written in one table, :mod:`portal.web.access`.
* The municipality's identity provider (OpenID Connect, :mod:`portal.web.oidc`) signs people in beside the local
  passwords; its sessions are the same server-side sessions, with the role its claims gave at the login.
* A trusted reverse-proxy header (TRUSTED_PROXY_HEADER, e.g. ``X-Remote-User``; off by default) lets a
  municipality's SSO in front of the app name the user, but only through the proxy (its secret or its
  address: :mod:`portal.web.trustedproxy`); see docs/production.md.
* Sessions are records in the app's database that logout, an editor or ``portal users end-sessions`` end; the
  cookie only names one (:mod:`portal.web.sessions`).
* API tokens for machine clients (TOKENS_FILE, default ``DATA_DIR/tokens.json``, ``portal tokens add``) are
  stored as SHA-256 hashes and sent as ``Authorization: Bearer <token>``.
* Failed logins are limited per account and client address, per address and per account, in the app's database
  (:mod:`portal.web.limits`), so the limits hold across workers and machines.
* CSRF: a small token helper (one random token per session, checked on every unsafe request outside
  /api/) instead of flask-wtf: the app has two forms and no WTForms, so a dependency buys nothing.
"""

from __future__ import annotations

import functools
import hmac
import os
import secrets
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.security import check_password_hash, generate_password_hash

from portal.web.accounts import (  # noqa: F401 (re-exported for the CLI and tests)
    RANK,
    ROLE_NAMES,
    ROLES,
    TOKEN_ROLES,
    add_token,
    all_users,
    data_dir,
    hash_token,
    read_json,
    remove_entry,
    set_user,
    tokens_file,
    users_file,
    write_json,
)
from portal.web.audit import audit
from portal.web.database import StoreUnavailable, private_dir
from portal.web.limits import login_attempt
from portal.web.sessions import (
    ENDED,
    EXPIRED,
    LIVE,
    CookieSessions,
    NoSessions,
    current_sessions,
    end_session,
    session_state,
    start_session,
)
from portal.web.trustedproxy import check_config, proxy_user_name

DEFAULTS: dict[str, Any] = {
    "DATA_DIR": ".portal/data", "USERS_FILE": None, "TOKENS_FILE": None,
    "TRUSTED_PROXY_HEADER": None, "TRUSTED_PROXY_ROLE": "agent",  # the header only from the proxy: its secret
    "TRUSTED_PROXY_SECRET": None, "TRUSTED_PROXY_SECRET_HEADER": "X-Portal-Proxy-Secret",  # or its address
    "TRUSTED_PROXIES": None,
    "COOKIE_SECURE": "auto",            # true in production (docs/production.md); auto: not on plain loopback
    "SESSION_IDLE_MINUTES": 60, "SESSION_MAX_HOURS": 10,
    "LOGIN_MAX_FAILURES": 5, "LOGIN_MAX_FAILURES_IP": 30, "LOGIN_WINDOW_SECONDS": 900,  # per account and
    "LOGIN_MAX_FAILURES_ACCOUNT": 100,  # address, per address, per account (portal.web.limits)
    "FIRST_USER": False,                # `portal serve` turns it on: a random first user when there is none
    "SEARCH_LOG_DAYS": 90, "CORS_ORIGINS": "*",
    "DATABASE_URL": None, "FEEDBACK_DAYS": 90,  # DATABASE_URL: PostgreSQL; unset: SQLite in DATA_DIR
    "FEEDBACK_MAX_POSTS": 10, "FEEDBACK_WINDOW_SECONDS": 600,  # posts per client address per window
}
bp = Blueprint("auth", __name__, url_prefix="/agent")


@dataclass(frozen=True)
class User:
    """Someone (or something) with access: a person by login or proxy header, or an API token."""

    name: str
    role: str
    kind: str = "session"  # session (a local password) | sso (the identity provider) | proxy | token

    def can(self, role: str) -> bool:
        """True when this user has at least *role*."""
        return RANK.get(self.role, 0) >= RANK.get(role, 99)


# --- who is asking --------------------------------------------------------------------------------------

def _bearer() -> tuple[User | None, bool]:
    header = request.headers.get("Authorization", "")
    if not header:
        return None, False
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, True
    digest = hash_token(token.strip())
    tokens = read_json(tokens_file(), "tokens")
    tokens.update(current_app.config.get("API_TOKENS") or {})
    for name, entry in tokens.items():
        if isinstance(entry, dict) and hmac.compare_digest(str(entry.get("sha256", "")), digest):
            role = entry.get("role")
            return User(name, role if role in TOKEN_ROLES else "agent", "token"), False
    return None, True


def _from_session() -> User | None:
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return None  # no cookie, no session: and public API answers stay free of "Vary: Cookie"
    name, session_id = session.get("user"), session.get("sid")
    if not name:
        return None
    try:
        state, sso_role = session_state(str(session_id), str(name)) if session_id else (ENDED, None)
    except StoreUnavailable:
        # Without the database no session can be checked (it may have been ended): nobody is logged in.
        current_app.logger.warning("could not check a session: the database cannot be used now")
        g.sessions_unavailable = True
        return None
    if sso_role is not None and state == LIVE:
        return User(name, sso_role, "sso")  # the role the identity provider gave at this login
    entry = all_users().get(name)
    if state != LIVE or entry is None:
        session.clear()
        g.session_expired = state == EXPIRED
        return None
    return User(name, entry["role"], "session")


def current_user() -> User | None:
    """The user of this request: a valid bearer token, the trusted proxy header, or the session."""
    if "user" in g:
        return g.user
    user, g.bad_token = _bearer()
    name = proxy_user_name() if user is None and not g.bad_token else None
    if name:
        entry = all_users().get(name)
        user = User(name, entry["role"] if entry else current_app.config["TRUSTED_PROXY_ROLE"], "proxy")
    if user is None and not g.bad_token:
        user = _from_session()
    g.user = user
    return user


def bad_token() -> bool:
    """True when the request carried an Authorization header that is not a valid token."""
    current_user()
    return bool(g.get("bad_token"))


def login_url() -> str:
    """The login page, with a way back to the page asked for."""
    target = request.full_path if request.query_string else request.path
    return url_for("auth.login", next=target)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Pages: redirect to the login page unless someone is logged in. Routes declare their role in the table of
    :mod:`portal.web.access`, which enforces it; this is kept for code written before the table."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(login_url())
        return view(*args, **kwargs)
    return wrapper


def role_required(role: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Pages: as :func:`login_required`, and a 403 unless the user has at least *role* (kept for code written
    before the table of :mod:`portal.web.access`, which is where a route's role is declared)."""
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(login_url())
            if not user.can(role):
                abort(403)
            return view(*args, **kwargs)
        return login_required(wrapper)
    return decorator


# --- CSRF -----------------------------------------------------------------------------------------------

def csrf_token() -> str:
    """This session's CSRF token (created on first use); put it in every form as ``csrf_token``."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def _check_csrf() -> Any:
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE") or request.path.startswith("/api/"):
        return None
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(str(sent), str(expected)):
        return render_template("agent/message.html", title="Formuläret har gått ut",
                               message="Ladda om sidan och försök igen."), 400
    return None


# --- login and logout -----------------------------------------------------------------------------------

def safe_next(target: str | None) -> str:
    """*target* when it is a same-site relative path; else the agent app's start page."""
    default = url_for("agent.search")
    if not target or any(c in target for c in "\\\r\n\t") or not target.startswith("/") \
            or target.startswith("//"):
        return default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else default


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def sign_in(name: str, via: str, role: str | None = None, id_token: str = "") -> None:
    """Start a server-side session for *name* (*role* and *id_token*: from the identity provider) with a new
    session id and CSRF token: any session this browser had is ended first, so no id lives on across a login.
    Recorded in the audit trail."""
    previous = session.get("sid")
    if previous:
        with suppress(StoreUnavailable):
            end_session(str(previous))
    session_id = start_session(name, role=role, id_token=id_token)  # cannot write: a 503 page, no session
    session.clear()
    session.update(user=name, sid=session_id, csrf=secrets.token_urlsafe(32))
    g.pop("user", None)
    audit("login", name, detail=role or str((all_users().get(name) or {}).get("role", "")), via=via)


def _login_page(error: str | None, status: int, nxt: str, name: str) -> Any:
    oidc = current_app.extensions.get("portal_oidc")
    return render_template("agent/login.html", error=error, next=nxt, username=name, oidc=oidc,
                           proxy=bool(current_app.config.get("TRUSTED_PROXY_HEADER"))), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Log in with a user name and password (limited per account and address, per address and per account); with
    an identity provider configured, its button comes first."""
    nxt = request.values.get("next", "")
    if current_user() is not None and request.method == "GET":
        return redirect(safe_next(nxt))
    error, status, name = None, 200, ""
    if g.get("session_expired"):
        error = "Du har loggats ut efter en stunds inaktivitet. Logga in igen."
    if g.get("sessions_unavailable"):
        error, status = "Inloggningen fungerar inte just nu. Försök igen om en stund.", 503
    if request.method == "POST":
        name = request.form.get("username", "").strip()[:100]
        password = request.form.get("password", "")[:1000]
        attempt = login_attempt(name)  # counted before the password is checked, in the shared database
        if attempt.wait:
            error, status = (f"För många misslyckade försök. Vänta {attempt.wait // 60 + 1} minuter och försök "
                             "igen."), 429
            audit("login_failed", name, detail="too many attempts", via="password")
        else:
            entry = all_users().get(name)
            ok = check_password_hash(entry["hash"] if entry else _dummy_hash(), password) and entry is not None
            if ok:
                attempt.succeeded()
                sign_in(name, "password")
                return redirect(safe_next(nxt))
            error, status = "Fel användarnamn eller lösenord.", 401
            audit("login_failed", name, detail="wrong password" if entry else "unknown user", via="password")
    # The user name stays in its field after a failed login (escaped by the template): only the password
    # needs typing again.
    return _login_page(error, status, nxt, name)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """End the session, on the server too (CSRF-checked like every form); a session from the identity provider
    is then ended there as well, when the provider lists an ``end_session_endpoint``."""
    user = current_user()
    session_id = session.get("sid")
    provider_logout = None
    if session_id:
        try:
            if user is not None and user.kind == "sso":
                oidc = current_app.extensions.get("portal_oidc")
                id_token = current_sessions().id_token(str(session_id))
                provider_logout = oidc.end_session_url(id_token) if oidc is not None and id_token else None
            end_session(str(session_id))
        except StoreUnavailable:
            current_app.logger.warning("could not end a session on the server: the database cannot write now; "
                                       "it ends at its idle limit")
    if user is not None and user.kind in ("session", "sso"):
        audit("logout", user.name, via="oidc" if user.kind == "sso" else "password")
    session.clear()
    flash("Du är utloggad.")
    return redirect(provider_logout or url_for("auth.login"))


# --- setup ----------------------------------------------------------------------------------------------

def _secret_key(app: Flask) -> str:
    path = data_dir(app) / "secret_key"
    try:
        return path.read_text("utf-8").strip()
    except FileNotFoundError:
        pass
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker wrote it first
        return path.read_text("utf-8").strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return path.read_text("utf-8").strip()


def ensure_first_user(app: Flask) -> str | None:
    """With no user configured at all (and no identity provider or proxy header to sign people in), create 'admin'
    (an admin) with a random password; return it. Users but no admin: say how to name one."""
    users = all_users(app)
    signed_in_elsewhere = app.config.get("TRUSTED_PROXY_HEADER") or app.config.get("OIDC_ISSUER") or \
        os.environ.get("PORTAL_OIDC_ISSUER")
    if users and not signed_in_elsewhere and not any(entry.get("role") == "admin" for entry in users.values()):
        app.extensions.setdefault("startup_messages", []).append(
            "No user has the admin role (users, sessions, API tokens, the audit trail): name one with "
            "`portal users set-role NAME admin` (docs/production.md, \"Roles\").")
    if users or signed_in_elsewhere:
        return None
    password = secrets.token_urlsafe(12)
    set_user(users_file(app), "admin", password, "admin")
    messages = app.extensions.setdefault("startup_messages", [])
    messages.append(f"No users were configured, so one was created: log in at /agent/login as 'admin' with "
                    f"password {password}")
    messages.append("(stored hashed in the users file; add your own: `portal users add NAME --role agent`)")
    app.logger.warning("no users were configured: created user 'admin' with a random password in %s",
                       users_file(app))
    return password


def init_app(app: Flask) -> None:
    """Configure sessions, CSRF, the secret key and (when none exists) the first user; refuse to start with a
    trusted user header that anyone could send (a ConfigError)."""
    for key, default in DEFAULTS.items():
        if app.config.get(key) is None:
            app.config[key] = os.environ.get(f"PORTAL_{key}", default)
    if not app.config.get("FREEZING"):  # the app that freezes the public site serves no one
        check_config(app.config)
    app.config["DATA_DIR"] = Path(app.config["DATA_DIR"]).resolve()
    try:
        private_dir(app.config["DATA_DIR"], tighten=True)
    except OSError as exc:
        app.logger.warning("could not make the data folder %s private: %s", app.config["DATA_DIR"], exc)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("PORTAL_SECRET_KEY") or _secret_key(app)
    app.config.update(SESSION_COOKIE_NAME="portal_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax")
    app.session_interface = NoSessions() if app.config.get("FREEZING") else CookieSessions()
    app.jinja_env.globals.update(csrf_token=csrf_token, current_user=current_user)
    app.before_request(_check_csrf)
    app.jinja_env.globals.update(role_name=lambda role: ROLE_NAMES.get(role, "–"))
    app.register_blueprint(bp)
    # Only the process that prints the password may create the user (not, say, the app `portal build`
    # freezes with, whose messages nobody sees).
    if str(app.config["FIRST_USER"]).lower() not in ("0", "false", "no", "off", "", "none"):
        ensure_first_user(app)
