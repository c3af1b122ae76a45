"""The Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the app: public preview, agent app and API over one content folder and index."""
    from portal import settings

    app = Flask("portal", static_folder=None)
    settings.init_app(app, config)
    return app
