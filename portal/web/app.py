"""The Flask application factory."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from flask import Flask

from portal.folders import package_folder

# Each part registers itself with init_app(app), in this order.
PARTS = ("settings", "state", "security", "errors", "i18n", "auth", "oidc", "access", "audit", "public", "agent",
         "agentreports", "useradmin",
         "history", "whatsnew", "api", "unavailable", "limits", "health", "metrics", "preview")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the app: public preview, agent app and API over one content folder and index."""
    app = Flask("portal", template_folder=str(package_folder("templates")),
                static_folder=str(Path(__file__).parents[1] / "static"), static_url_path="/static")
    from portal.web import settings

    settings.init_app(app, config)
    for part in PARTS[1:]:
        importlib.import_module(f"portal.web.{part}").init_app(app)
    return app
