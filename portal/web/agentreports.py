"""The agent app's feedback pages: agents report errors in articles, owners and editors close them, and
editors see what citizens and agents said about each article (:mod:`portal.web.feedbackreport`).

Every route needs a login; the figures page needs the editor role (the table of :mod:`portal.web.access`). A
report is closed by an editor or the article's owner ("done"), or by itself when the article changes (its
revision differs from the one the report was made on: :func:`portal.web.feedbackreport.article_revision`).
Forms post with the session's CSRF token (checked by :mod:`portal.web.auth` for every POST); texts are
redacted before they are stored.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, redirect, render_template, request, url_for

from portal.web import feedback, searchlog
from portal.web.auth import User, current_user, safe_next
from portal.web.feedbackreport import article_revision, chart, close_changed_reports, feedback_rows, totals
from portal.web.feedbackstore import Report, current_store
from portal.web.state import get_state

bp = Blueprint("reports", __name__, url_prefix="/agent")
NO_OWNER = "(ingen ägare)"


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


def is_owner(user: User | None, owner: str) -> bool:
    """True when *user* is *owner*: the same name, or the owner's e-mail address before the @."""
    if user is None or not owner:
        return False
    name, owner = user.name.casefold(), owner.casefold()
    return name == owner or name == owner.split("@", 1)[0]


def may_close(user: User | None, report: Report) -> bool:
    """Editors close any report; an agent closes the reports on articles they own."""
    return user is not None and (user.can("editor") or is_owner(user, report.owner))


def open_reports_for(article_id: str) -> list[Report]:
    """The open reports on one article, after closing those its changes have answered."""
    store = current_store()
    close_changed_reports(store, get_state().corpus(), article_id)
    return store.reports(article=article_id)


def reported_articles() -> dict[str, int]:
    """Article id -> open error reports, for the agent's search results; empty when the store cannot answer
    (a search with a caller on the line never fails for it)."""
    try:
        return current_store().reported_articles()
    except Exception:  # SQLite or PostgreSQL down: the results matter more than the badge
        current_app.logger.exception("could not read the open error reports")
        return {}


@bp.post("/article/<article_id>/report")
def new_report(article_id: str) -> Any:
    """An agent reports an error in an article; it goes to the article's owner."""
    corpus = get_state().corpus()
    art = corpus.resolve(article_id)
    if art is None:
        abort(404)
    try:
        what = feedback.clean_text(request.form.get("what"), "what", feedback.MAX_REPORT)
        suggestion = feedback.clean_text(request.form.get("suggestion"), "suggestion", feedback.MAX_REPORT)
        if not what:
            raise feedback.PostError("what is required", "missing_field")
    except feedback.PostError as exc:
        problem = "missing" if exc.code == "missing_field" else "long"
        return redirect(url_for("agent.article", article_id=art.id, report_error=problem) + "#report-h")
    user = current_user()
    store = current_store()
    store.add_report(art.id, art.owner or "", what, suggestion, user.name if user else "", article_revision(art))
    return redirect(url_for("agent.article", article_id=art.id, reported=1) + "#report-h")


@bp.post("/reports/errors/<int:report_id>/done")
def close_report(report_id: int) -> Any:
    """Mark a report as done (an editor, or the article's owner)."""
    user = current_user()
    store = current_store()
    report = store.report(report_id)
    if report is None:
        abort(404)
    if not may_close(user, report):
        abort(403)
    store.close_report(report_id, user.name if user else "", "done")
    return redirect(safe_next(request.form.get("next")))


@bp.get("/reports/errors")
def errors() -> Any:
    """The open error reports, per owner; ?owner= one owner's (``mine``: the user's own), ?closed=1 also
    the closed ones."""
    user = current_user()
    corpus = get_state().corpus()
    store = current_store()
    close_changed_reports(store, corpus)
    show_closed = request.args.get("closed") == "1"
    reports = store.reports(open_only=not show_closed, limit=1000)
    owners = sorted({r.owner for r in reports if r.owner})
    wanted = request.args.get("owner", "")
    if wanted == "mine":
        reports = [r for r in reports if is_owner(user, r.owner)]
    elif wanted:
        reports = [r for r in reports if (r.owner or NO_OWNER) == wanted]
    return render_template("agent/errors.html", reports=reports, owners=owners, wanted=wanted,
                           show_closed=show_closed, corpus=corpus, site=corpus.site, may_close=may_close,
                           user=user, no_owner=NO_OWNER)


@bp.post("/article/<article_id>/start")
def agent_start(article_id: str) -> Any:
    """Count an agent's copy of an article's e-service link (sent by agent.js; nothing about who)."""
    corpus = get_state().corpus()
    art = corpus.resolve(article_id)
    if art is None or art.self_service is None:
        abort(404)
    lang = request.form.get("lang") or art.source.lang
    if lang not in corpus.site.language_codes:
        lang = art.source.lang
    current_store().add_start(art.id, lang, "agent")
    return Response(status=204)


@bp.get("/reports/feedback")
def figures() -> Any:
    """Editors: per article, what citizens answered, e-service starts, open error reports, and the searches
    that found nothing, most urgent first, as a table and a chart."""
    state = get_state()
    corpus = state.corpus()
    try:
        days = min(max(int(request.args.get("days", 30)), 1), 3650)
    except ValueError:
        days = 30
    store = current_store()
    close_changed_reports(store, corpus)
    rows = feedback_rows(corpus, store, searchlog.current_log().zero_results(limit=50), days)
    return render_template("agent/feedback.html", rows=rows, bars=chart(rows), totals=totals(rows), days=days,
                           comments=store.comments(limit=30, days=days), corpus=corpus, site=corpus.site,
                           retention=store.days)


def init_app(app: Flask) -> None:
    """Register the feedback pages of the agent app."""
    app.register_blueprint(bp)
