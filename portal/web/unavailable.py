"""What the app answers while its database cannot be used (:class:`portal.web.database.StoreUnavailable`), or
while it has no search index it can open (:class:`~portal.exceptions.IndexMissingError`,
:class:`~portal.exceptions.IndexCorruptError`: no generation at all, or only damaged ones; see
:mod:`portal.web.state`).

A 503 with ``Retry-After`` everywhere, in the shape each kind of client reads:

* the API: the one JSON error shape (``{"error": {"status": 503, "code": "unavailable", …}}``);
* the no-JavaScript feedback form (a plain form posted to the API): a public page in the citizen's language
  that says the answer could not be sent, leads back to the article and gives the contact centre's details;
* the public search page: a page in its language that says search is not working and leads to the A–Z list;
* the agent app: its Swedish error page.

Without an index only searching fails: the article pages and the API's articles still answer from the content
folder.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, make_response, render_template, request, url_for
from flask_babel import force_locale, gettext

from portal.exceptions import IndexCorruptError, IndexMissingError
from portal.render.markdown import public_url
from portal.web.database import StoreUnavailable
from portal.web.errors import agent_error, json_error, wants_agent_page, wants_json
from portal.web.feedback import back_to, wants_page
from portal.web.pages import corpus, render_page, shown, today, ui_language

INDEX_RETRY_AFTER = 30
INDEX_AGENT_PAGE = ("Sökningen fungerar inte just nu",
                    "Kunskapsbanken har inget sökindex att söka i just nu. Artiklarna går fortfarande att öppna. "
                    "Försök igen om en stund; felet är loggat.")
INDEX_API_MESSAGE = "searching is not possible right now: the server has no search index it can use; try again later"


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
    with force_locale(ui_language(lang)):
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


def _search_page() -> str:
    """The public search page's answer without an index: in its language, to the A–Z list and the contact centre."""
    site = corpus().site
    lang = (request.view_args or {}).get("lang")
    lang = lang if lang in site.language_codes else site.source_language
    with force_locale(ui_language(lang)):
        return render_page("unavailable.html", lang, [], canonical=site.base_url + f"/{lang}/search/",
                           title=gettext("Search is not working right now. Use the A–Z list or the categories "
                                         "instead."),
                           back_url=url_for("public.a_z", lang=lang),
                           back_title=gettext("A–Z of errands and e-services"))


def _no_index(exc: IndexMissingError | IndexCorruptError) -> Response:
    if wants_json():
        return json_error(503, INDEX_API_MESSAGE, "unavailable")
    if wants_agent_page():
        title, message = INDEX_AGENT_PAGE
        try:
            site = corpus().site
        except Exception:  # the page must render even when the content cannot be loaded
            site = None
        return make_response(render_template("agent/message.html", title=title, message=message, site=site,
                                             status=503))
    return make_response(_search_page())


def init_app(app: Flask) -> None:
    """Answer StoreUnavailable, and searches without a usable index, with a 503 and Retry-After, in the shape of
    the part of the app asked."""

    @app.errorhandler(IndexMissingError)
    @app.errorhandler(IndexCorruptError)
    def _index_unavailable(exc: IndexMissingError | IndexCorruptError) -> Any:
        # The worker's index handle logged why, once (portal.search.index.reader); not again for every request.
        current_app.logger.debug("answered %s %s with 503: %s", request.method, request.path, exc)
        response = _no_index(exc)
        response.status_code = 503
        response.headers["Retry-After"] = str(INDEX_RETRY_AFTER)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(StoreUnavailable)
    def _unavailable(exc: StoreUnavailable) -> Any:
        current_app.logger.warning("answered %s %s with 503: the database cannot be used now (%s)",
                                   request.method, request.path, exc.__cause__ or exc)
        response = _answer(exc)
        response.status_code = 503
        response.headers["Retry-After"] = str(exc.retry_after)
        response.headers["Cache-Control"] = "no-store"
        return response
