"""Where the app keeps its own data, as the administration commands find it."""

from __future__ import annotations

import os
from pathlib import Path


def data_folder(value: Path | None) -> Path:
    """The app's data folder: *value* (``--data-dir``), else PORTAL_DATA_DIR, else the app's default."""
    from portal.web.auth import DEFAULTS  # the app's settings: Flask is imported only by the commands that need it

    return Path(value or os.environ.get("PORTAL_DATA_DIR") or DEFAULTS["DATA_DIR"])
