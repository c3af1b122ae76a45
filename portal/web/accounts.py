"""The users and API tokens files: hashed passwords and hashed tokens, written atomically, mode 0600 (in a
folder made 0700)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portal.web.database import private_dir

if TYPE_CHECKING:
    from flask import Flask

ROLES = ("agent", "editor", "admin")  # lowest first: each role may do what the ones before it may
RANK = {role: n for n, role in enumerate(ROLES, 1)}
ROLE_NAMES = {"agent": "vägledare", "editor": "redaktör", "admin": "administratör"}  # as the agent app says them
TOKEN_ROLES = ("agent", "editor")  # a machine client never administers users, tokens or the audit trail


def check_role(role: str, allowed: tuple[str, ...] = ROLES) -> None:
    """A ValueError naming the known roles unless *role* is one of *allowed*."""
    if role not in allowed:
        raise ValueError(f"unknown role '{role}'; known: {', '.join(allowed)}")


def read_json(path: Path, key: str) -> dict[str, dict[str, Any]]:
    """The mapping under *key* in the JSON file at *path* ({} when the file does not exist)."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        return {}
    table = data.get(key, {}) if isinstance(data, dict) else {}
    return table if isinstance(table, dict) else {}


def write_json(path: Path, key: str, table: dict[str, Any]) -> None:
    """Write ``{key: table}`` to *path* atomically, readable only by its owner (mode 0600)."""
    path = Path(path)
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({key: table}, f, ensure_ascii=False, indent=1)
    os.replace(tmp, path)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def set_user(path: Path, name: str, password: str, role: str) -> None:
    """Add or update a user with a hashed password in the users file."""
    check_role(role)
    users = read_json(path, "users")
    from werkzeug.security import generate_password_hash  # imported here: the command line starts faster

    users[name] = {"role": role, "hash": generate_password_hash(password), "created": _now()}
    write_json(path, "users", users)


def set_role(path: Path, name: str, role: str) -> str:
    """Give the user *name* of the users file the role *role* (the password stays); return the role they had.
    A KeyError when there is no such user."""
    check_role(role)
    users = read_json(path, "users")
    entry = users.get(name)
    if not isinstance(entry, dict):
        raise KeyError(name)
    before = str(entry.get("role", ""))
    entry["role"] = role
    write_json(path, "users", users)
    return before


def remove_entry(path: Path, key: str, name: str) -> bool:
    """Remove *name* from the users or tokens file; False when it was not there."""
    table = read_json(path, key)
    if table.pop(name, None) is None:
        return False
    write_json(path, key, table)
    return True


def hash_token(token: str) -> str:
    """The SHA-256 hex digest an API token is stored as (tokens are long and random, so no salt)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_token(path: Path, name: str, role: str = "agent") -> str:
    """Create an API token for a machine client; store its hash and return the token (shown once)."""
    check_role(role, TOKEN_ROLES)
    token = "ptk_" + secrets.token_urlsafe(32)
    tokens = read_json(path, "tokens")
    tokens[name] = {"sha256": hash_token(token), "role": role, "created": _now()}
    write_json(path, "tokens", tokens)
    return token


def data_dir(app: Flask | None = None) -> Path:
    """The folder for the app's own data (secret key, users, tokens, search log)."""
    return Path((app or _current_app()).config["DATA_DIR"])


def users_file(app: Flask | None = None) -> Path:
    """Where users are stored."""
    app = app or _current_app()
    return Path(app.config["USERS_FILE"] or data_dir(app) / "users.json")


def tokens_file(app: Flask | None = None) -> Path:
    """Where API token hashes are stored."""
    app = app or _current_app()
    return Path(app.config["TOKENS_FILE"] or data_dir(app) / "tokens.json")


def all_users(app: Flask | None = None) -> dict[str, dict[str, Any]]:
    """Users from the environment (PORTAL_USERS), the app config (USERS) and the users file."""
    app = app or _current_app()
    users = dict(read_json(users_file(app), "users"))
    users.update(app.config.get("USERS") or {})
    raw = os.environ.get("PORTAL_USERS")
    if raw:
        try:
            users.update(json.loads(raw))
        except ValueError:
            app.logger.error("PORTAL_USERS is not valid JSON; ignoring it")
    return {n: u for n, u in users.items() if isinstance(u, dict) and u.get("role") in ROLES}


def _current_app() -> Flask:
    from flask import current_app  # Flask is imported only where an app is running

    return current_app  # type: ignore[return-value]
