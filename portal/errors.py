"""One JSON error shape for every API error, and plain error pages elsewhere.

Every API error is ``{"error": {"status": 400, "code": "bad_parameter", "message": "..."}}``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from portal.exceptions import QueryError

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 413: "too_large", 429: "too_many_requests", 500: "internal_error",
         503: "unavailable"}


def json_error(status: int, message: str, code: str | None = None, **extra: Any) -> Response:
    """A JSON error response in the one shape every API error has."""
    body: dict[str, Any] = {"status": status, "code": code or CODES.get(status, "error"), "message": message}
    body.update(extra)
    response = jsonify({"error": body})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="portal"'
    return response


def wants_json() -> bool:
    """True for API routes, where every answer (errors too) is JSON."""
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    """Register error handlers: JSON under /api/, plain pages elsewhere; never a traceback."""

    @app.errorhandler(QueryError)
    def _query_error(exc: QueryError) -> Any:
        if wants_json():
            return json_error(400, str(exc), "bad_parameter")
        return str(exc), 400

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        if wants_json():
            return json_error(exc.code or 500, exc.description or exc.name)
        return exc

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        app.logger.exception("unexpected error on %s", request.path)
        if wants_json():
            return json_error(500, "something went wrong on our side; the error has been logged")
        return "Something went wrong on our side; the error has been logged.", 500
