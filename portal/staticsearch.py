"""The static site's search: Pagefind indexes the frozen pages, one index per language."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from portal.exceptions import BuildError


def run_pagefind(site: Path) -> None:
    """Build the Pagefind index (one per language, from ``<html lang>``) into ``site/pagefind``."""
    done = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site), "--silent"],
                          capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0 or not (site / "pagefind" / "pagefind.js").is_file():
        raise BuildError(f"Pagefind could not index the site: {(done.stderr or done.stdout).strip()}")
