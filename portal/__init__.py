"""Contact-centre knowledge base: content, search, agent app, JSON API and static self-service site."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The app (Flask, Jinja, Werkzeug: ~0.15 s of imports) is imported when asked for, not by every command
    # line run: `portal index` never needs it.
    if name == "create_app":
        from portal.web.app import create_app

        return create_app
    raise AttributeError(f"module 'portal' has no attribute {name!r}")
