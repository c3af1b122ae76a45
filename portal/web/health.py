"""What a load balancer asks: ``/healthz`` (is the worker alive) and ``/readyz`` (can it answer).

* ``GET /healthz``: 200 ``{"status": "ok"}`` from any worker that runs its Python code at all. No I/O: no
  index, no database, no file; a balancer restarts a worker that fails it.
* ``GET /readyz``: 200 ``{"status": "ready", "index": {"generation", "age_seconds"}, "database": "ok"}`` when
  this worker has an index generation open (it follows the ``current`` link to a new one as a search would, and
  never builds one: building is ``portal index``'s work) and the app's database answers ``SELECT 1``.
  Otherwise a 503 in the API's one error shape (``{"error": {"status": 503, "code": "unavailable", "message",
  "checks": {"index", "database"}}}``); a balancer sends no traffic to it until it is ready again.

Both are open to anyone and say nothing about the content or the server's folders, and are never cached.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify

from portal.exceptions import PortalError
from portal.web.database import current_database
from portal.web.errors import json_error
from portal.web.state import get_state

bp = Blueprint("health", __name__)


@dataclass(frozen=True)
class OpenGeneration:
    """The index generation this worker searches: its folder's name and when it was built."""

    name: str
    built: float  # seconds since the epoch

    def age(self, now: float | None = None) -> float:
        """Seconds since it was built."""
        return max((time.time() if now is None else now) - self.built, 0.0)


def open_generation() -> OpenGeneration | None:
    """The index generation this worker serves (opening the current one when the link has moved), or None when
    it has none it could open. Never builds an index (:meth:`portal.web.state.PortalState.index_status`)."""
    status = get_state().index_status()
    if status is None:
        return None
    try:
        built = dt.datetime.fromisoformat(str(status.get("built"))).timestamp()
    except ValueError:
        built = 0.0  # a generation without a build time: as old as can be
    return OpenGeneration(str(status["generation"]), built)


def index_state() -> tuple[OpenGeneration | None, str]:
    """The open generation and ``ok``, or None and why not: ``none`` (no usable generation) or ``unavailable``
    (the index folder could not be read; the cause is logged)."""
    try:
        generation = open_generation()
    except (PortalError, OSError) as exc:
        current_app.logger.warning("/readyz: the search index cannot be opened (%s)", exc)
        return None, "unavailable"
    return generation, "ok" if generation is not None else "none"


def database_state() -> str:
    """``ok`` when the app's database answers, else ``unavailable`` (the cause is logged)."""
    try:
        current_database().run("SELECT 1")
    except Exception as exc:
        current_app.logger.warning("/readyz: the database cannot be used now (%s)", exc.__cause__ or exc)
        return "unavailable"
    return "ok"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Any:
    """Alive: this worker answers (no I/O)."""
    return _no_store(jsonify({"status": "ok"}))


@bp.get("/readyz")
def readyz() -> Any:
    """Ready: an index generation open and the database reachable; else a 503 saying which is not."""
    (generation, index), database = index_state(), database_state()
    if generation is not None and database == "ok":
        return _no_store(jsonify({"status": "ready", "database": database, "index": {
            "generation": generation.name, "age_seconds": round(generation.age(), 3)}}))
    not_ready = ["no search index generation is open" if index != "ok" else "",
                 f"the database is {database}" if database != "ok" else ""]
    message = "not ready: " + " and ".join(filter(None, not_ready))
    return _no_store(json_error(503, message, "unavailable", checks={"index": index, "database": database}))


def init_app(app: Flask) -> None:
    """Register /healthz and /readyz."""
    app.register_blueprint(bp)
