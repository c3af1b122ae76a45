"""Configuration: defaults, environment (PORTAL_*), then the caller's dict."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "ARTICLES_DIR": "articles",
    "INDEX_DIR": ".portal/index",
}


def init_app(app: Flask, config: dict[str, Any] | None = None) -> None:
    """Load configuration into *app*: defaults, then PORTAL_* environment variables, then *config*."""
    app.config.update(DEFAULTS)
    for key in list(DEFAULTS):
        if f"PORTAL_{key}" in os.environ:
            app.config[key] = os.environ[f"PORTAL_{key}"]
    app.config.update(config or {})
    app.config["ARTICLES_DIR"] = Path(app.config["ARTICLES_DIR"]).resolve()
    app.config["INDEX_DIR"] = Path(app.config["INDEX_DIR"]).resolve()
