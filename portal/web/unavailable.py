"""What the app answers while its database cannot be used (:class:`portal.web.database.StoreUnavailable`).

A 503 with ``Retry-After`` everywhere, in the shape each kind of client reads:

* the API: the one JSON error shape (``{"error": {"status": 503, "code": "unavailable", …}}``);
* the no-JavaScript feedback form (a plain form posted to the API): a public page in the citizen's language
  that says the answer could not be sent, leads back to the article and gives the contact centre's details;
* the agent app: its Swedish error page.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, make_response, request
from flask_babel import force_locale, gettext

from portal.render.markdown import public_url
from portal.web.database import StoreUnavailable
from portal.web.errors import agent_error, json_error, wants_agent_page, wants_json
from portal.web.feedback import back_to, wants_page
from portal.web.pages import corpus, render_page, shown, today


def _feedback_form_page() -> str:
    """The page a plain feedback form gets: in the language it was posted from, back to its article."""
    site = corpus().site
    fields = g.get("posted") or {}
    lang = fields.get("lang") if fields.get("lang") in site.language_codes else site.source_language
    article = corpus().articles.get(str(fields.get("article") or ""))
    back, back_title = None, None
    if article is not None and article.is_public(today()):
        back = back_to(site.base_url, public_url(article.id, lang))
        back_title = shown(article, lang).version.title
    with force_locale(lang):
        return render_page("unavailable.html", lang, [], canonical=site.base_url + f"/{lang}/",
                           title=gettext("Your answer could not be sent right now. Please try again later."),
                           back_url=back, back_title=back_title)


def _answer(exc: StoreUnavailable) -> Response:
    if wants_json():
        if request.method == "POST" and request.endpoint == "api.post_feedback" and wants_page():
            return make_response(_feedback_form_page(), 503)
        return json_error(503, str(exc), "unavailable")
    if wants_agent_page():
        return make_response(agent_error(503))
    return make_response("The service cannot store anything right now; try again in a minute.", 503,
                         {"Content-Type": "text/plain; charset=utf-8"})


def init_app(app: Flask) -> None:
    """Answer StoreUnavailable with a 503 and Retry-After, in the shape of the part of the app asked."""

    @app.errorhandler(StoreUnavailable)
    def _unavailable(exc: StoreUnavailable) -> Any:
        current_app.logger.warning("answered %s %s with 503: the database cannot be used now (%s)",
                                   request.method, request.path, exc.__cause__ or exc)
        response = _answer(exc)
        response.status_code = 503
        response.headers["Retry-After"] = str(exc.retry_after)
        response.headers["Cache-Control"] = "no-store"
        return response
