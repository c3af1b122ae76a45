"""Who may call each route: ONE table, endpoint -> the least role it needs (or PUBLIC), enforced for every request.

Roles rank agent < editor < admin (:data:`portal.web.accounts.ROLES`):

* **agent**: search, read articles and internal notes, report errors (and close reports on their own articles);
* **editor**: also the reports, the feedback figures and closing any error report;
* **admin**: also users, sessions, API tokens and the audit trail.

A request to an endpoint below its role is refused before the view runs: without a login, the agent app's pages
send the browser to the login page and anything else gets a 401 in the API's one error shape; with too small a
role, a 403. An endpoint missing from the table is refused for everyone (and logged): a new route is closed until
its role is written here, and ``tests/test_access.py`` (every registered route x anonymous, agent, editor, admin)
fails until it is. PUBLIC routes that check something of their own say so in their comment.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, redirect, request
from werkzeug.exceptions import Forbidden

from portal.web.accounts import RANK
from portal.web.auth import current_user, login_url
from portal.web.errors import json_error

PUBLIC = "public"
ROUTES: dict[str, str] = {
    # The public site's preview and its files.
    "static": PUBLIC,
    "public.root": PUBLIC, "public.home": PUBLIC, "public.category": PUBLIC, "public.search": PUBLIC,
    "public.accessibility": PUBLIC, "public.article": PUBLIC, "public.attachment": PUBLIC,
    "public.not_found_page": PUBLIC, "public.favicon": PUBLIC, "public.robots": PUBLIC,
    "public.a_z": PUBLIC, "public.a_z_letter": PUBLIC, "public.sitemap": PUBLIC,
    "public.easy_read": PUBLIC, "public.easy_read_index": PUBLIC,
    "preview.generation": PUBLIC, "preview_search.pagefind": PUBLIC,  # `portal serve --dev` only
    # The API: public answers; internal ones only with a token or session and audience=all (checked in api.py).
    "api.search": PUBLIC, "api.articles": PUBLIC, "api.article": PUBLIC, "api.categories": PUBLIC,
    "api.languages": PUBLIC, "api.post_feedback": PUBLIC, "api.post_start": PUBLIC, "api.openapi": PUBLIC,
    "api_unknown": PUBLIC,
    # Operations: /metrics checks its own token or a local scraper (metrics.py).
    "health.healthz": PUBLIC, "health.readyz": PUBLIC, "metrics.metrics": PUBLIC,
    # Signing in and out.
    "auth.login": PUBLIC, "auth.logout": PUBLIC, "oidc.login": PUBLIC, "oidc.callback": PUBLIC,
    # Agents.
    "agent.search": "agent", "agent.search_json": "agent", "agent.article": "agent", "agent.attachment": "agent",
    "reports.new_report": "agent", "reports.agent_start": "agent", "reports.errors": "agent",
    "reports.close_report": "agent",  # an agent closes the reports on their own articles (agentreports.may_close)
    "history.history": "agent", "history.diff": "agent", "whatsnew.changes": "agent", "whatsnew.mark_read": "agent",
    # Editors.
    "agent.report": "editor", "agent.content_report": "editor", "reports.figures": "editor",
    # Admins.
    "users.users": "admin", "users.end_sessions": "admin", "users.revoke_token": "admin", "audit.trail": "admin",
}


def required_role(endpoint: str | None) -> str | None:
    """The least role *endpoint* needs, PUBLIC, or None when the table does not know it."""
    return ROUTES.get(endpoint or "")


def _enforce() -> Any:
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no route matched: a 404 (or 405) follows
    role = required_role(endpoint)
    if role == PUBLIC:
        return None
    if role is None:
        from flask import current_app

        current_app.logger.error("the route %s (%s) has no role in portal.web.access.ROUTES: refused", endpoint,
                                 request.path)
        raise Forbidden()
    user = current_user()
    if user is None:
        if request.path == "/agent" or request.path.startswith("/agent/"):
            return redirect(login_url())
        return json_error(401, "this needs a login or an API token", "unauthorized")
    if RANK.get(user.role, 0) < RANK[role]:
        raise Forbidden()
    return None


def init_app(app: Flask) -> None:
    """Check every request against :data:`ROUTES` before its view runs."""
    app.before_request(_enforce)
