"""The Flask application factory."""

from __future__ import annotations

import importlib
from importlib import resources
from pathlib import Path
from typing import Any

from flask import Flask

# Each part registers itself with init_app(app), in this order.
PARTS = ("settings", "state", "security", "errors", "i18n", "auth", "public", "agent", "agentreports", "api", "preview")


def package_folder(name: str) -> Path:
    """The folder of data shipped with `portal` (templates, translations).

    An installed wheel has it inside the package; a source checkout keeps it at the top level,
    beside the package; an editable install maps it through the import system.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / name, here.parent / name):
        if candidate.is_dir():
            return candidate
    return Path(str(resources.files(f"portal.{name}")))


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the app: public preview, agent app and API over one content folder and index."""
    app = Flask("portal", template_folder=str(package_folder("templates")),
                static_folder=str(Path(__file__).parent / "static"), static_url_path="/static")
    from portal import settings

    settings.init_app(app, config)
    for part in PARTS[1:]:
        importlib.import_module(f"portal.{part}").init_app(app)
    return app
