"""One JSON error shape for every API error, and plain error pages elsewhere.

Every API error is ``{"error": {"status": 400, "code": "bad_parameter", "message": "..."}}``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
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


# The agent app's error pages, in Swedish inside its own layout (agents are not shown Werkzeug's English
# pages); status codes not listed get the generic text.
AGENT_PAGES = {
    400: ("Felaktig begäran", "Adressen eller formuläret gick inte att tolka."),
    403: ("Ingen behörighet", "Du har inte behörighet att se den här sidan."),
    404: ("Sidan finns inte", "Sidan eller artikeln finns inte. Den kan ha tagits bort eller fått en ny adress."),
    405: ("Det gick inte", "Sidan kan inte användas på det sättet."),
    429: ("För många försök", "Vänta en stund och försök igen."),
    503: ("Det går inte att spara just nu", "Kunskapsbanken kan inte spara något för tillfället. Det du skrev "
          "sparades inte. Försök igen om en stund."),
}
AGENT_GENERIC = ("Något gick fel", "Något gick fel hos oss. Felet har loggats.")


def wants_agent_page() -> bool:
    """True for the agent app's pages (and its login), which get their error pages in its layout."""
    return request.path == "/agent" or request.path.startswith("/agent/")


def agent_error(status: int) -> Any:
    """A Swedish error page in the agent layout, keeping *status*."""
    title, message = AGENT_PAGES.get(status, AGENT_GENERIC)
    try:
        from portal.web.state import get_state

        site = get_state().corpus().site
    except Exception:  # an error page must render even when the content cannot be loaded
        site = None
    return render_template("agent/message.html", title=title, message=message, site=site,
                           status=status), status


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
        if wants_agent_page() and (exc.code or 500) >= 400:
            return agent_error(exc.code or 500)
        return exc

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        app.logger.exception("unexpected error on %s", request.path)
        if wants_json():
            return json_error(500, "something went wrong on our side; the error has been logged")
        if wants_agent_page():
            return agent_error(500)
        return "Something went wrong on our side; the error has been logged.", 500
