"""Gunicorn settings for the HTTP benchmark: each worker reports its peak memory when it exits."""

from __future__ import annotations

import os
import resource
from typing import Any


def worker_exit(server: Any, worker: Any) -> None:
    """Append this worker's ``ru_maxrss`` (KiB) to the file named by BENCH_RSS_FILE."""
    path = os.environ.get("BENCH_RSS_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\n")
