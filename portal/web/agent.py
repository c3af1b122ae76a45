"""The agent app (/agent/): search as you type with a caller on the line, the article view, reports.

Every route here needs a login; the reports need the editor role (the table of :mod:`portal.web.access`).
The search page works without JavaScript (GET /agent/?q=…); with it, agent.js fetches /agent/search.json as the
agent types and swaps in the same server-rendered result list.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    send_file,
)

from portal.content.model import Article, Corpus
from portal.render.localize import login_names
from portal.render.markdown import public_url
from portal.search.results import SearchResult
from portal.search.searcher import MAX_QUERY_CHARS
from portal.web import agentreports, feedback, history, redact, searchlog
from portal.web.metrics import searched
from portal.web.security import protect_attachment
from portal.web.state import get_state

bp = Blueprint("agent", __name__, url_prefix="/agent")
ROSA_NAMES = {"information": "Information", "radgivning": "Rådgivning", "vidarebefordran": "Vidarebefordran",
              "forenklad-myndighetsutovning": "Förenklad myndighetsutövning"}
AUDIENCE_NAMES = {"public": "Publika", "internal": "Interna"}
RESULT_LIMIT = 20
REPORT_ERRORS = {"missing": "Skriv vad som är fel i artikeln.",
                 "long": f"Texten är för lång: högst {feedback.MAX_REPORT} tecken i varje fält."}


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _params(corpus: Corpus) -> dict[str, str]:
    """The search parameters of this request; unknown values are dropped, not errors."""
    site = corpus.site
    args = request.args
    known = {"category": site.categories, "answer_group": site.answer_groups, "department": site.departments,
             "audience": AUDIENCE_NAMES, "lang": {c: 1 for c in site.language_codes}}
    out = {"q": args.get("q", "")[:MAX_QUERY_CHARS]}
    for key, table in known.items():
        value = args.get(key, "")
        out[key] = value if value in table else ""
    return out


def _search(params: dict[str, str], prefix: bool, log: bool) -> SearchResult | None:
    if not params["q"].strip():
        return None
    state = get_state()
    filters = {k: params[k] for k in ("category", "answer_group", "department", "audience") if params[k]}
    result = state.searcher().search(params["q"], params["lang"] or None, internal=True, limit=RESULT_LIMIT,
                                     filters=filters, prefix=prefix, today=state.today())
    searched(result, typing=prefix)
    if log:
        try:
            searchlog.current_log().record(result.query, result.lang, result.answered)
        except Exception:  # the log must never break a search with a caller on the line
            current_app.logger.exception("could not write the search log")
    return result


def _context(corpus: Corpus) -> dict[str, Any]:
    state = get_state()
    return {"site": corpus.site, "today": state.today(), "rosa_names": ROSA_NAMES,
            "audience_names": AUDIENCE_NAMES, "login_names": login_names}


def _results_context(corpus: Corpus, result: SearchResult | None) -> dict[str, Any]:
    """What the result list shows besides the hits: which of them have open error reports."""
    return {**_context(corpus), "reported": agentreports.reported_articles() if result and result.hits else {}}


@bp.route("/")
def search() -> Any:
    """The search page; with ?q= it shows results (no JavaScript needed)."""
    corpus = get_state().corpus()
    params = _params(corpus)
    result = _search(params, prefix=False, log=True)
    return render_template("agent/search.html", params=params, result=result, **_results_context(corpus, result))


@bp.route("/search.json")
def search_json() -> Any:
    """Results as the agent types: the rendered result list plus its count and suggestion.

    While the agent types (``prefix=1``) the ranking is lexical, as fast as before; agent.js asks again with
    ``prefix=0`` once typing pauses, and that settled query gets the hybrid ranking (words and meaning). Only
    searches the agent settled on are logged (``log=1``: sent by agent.js on Enter, or when a search with no
    confident answer has stood unchanged for two seconds), never every prefix typed on the way.
    """
    corpus = get_state().corpus()
    params = _params(corpus)
    result = _search(params, prefix=request.args.get("prefix", "1") != "0", log=request.args.get("log") == "1")
    html = render_template("agent/_results.html", params=params, result=result, **_results_context(corpus, result))
    return jsonify({"html": html, "count": len(result.hits) if result else 0,
                    "answered": result.answered if result else 0, "mode": result.mode if result else None,
                    "suggestion": result.suggestion if result else None})


def _translations(article: Article, corpus: Corpus) -> list[dict[str, Any]]:
    rows = []
    for lang in corpus.site.languages:
        version = article.version(lang.code)
        if lang.code == article.source.lang:
            state = "source"
        elif version is None:
            state = "missing"
        else:
            state = "outdated" if version.outdated else "present"
        rows.append({"lang": lang, "state": state, "version": version})
    return rows


@bp.route("/article/<article_id>")
def article(article_id: str) -> Any:
    """One article as an agent needs it: public text, internal notes, routing, review, translations."""
    state = get_state()
    corpus = state.corpus()
    art = corpus.resolve(article_id)
    if art is None:
        abort(404)
    lang = request.args.get("lang") or art.source.lang
    version = art.version(lang)
    fallback = version is None
    if version is None:
        version = art.source
    today = state.today()
    is_public = art.is_public(today)
    public_link = (corpus.site.base_url.rstrip("/") + public_url(art.id, version.lang)) if is_public else None
    related = [(rid, corpus.resolve(rid)) for rid in art.related]
    return render_template(
        "agent/article.html", article=art, version=version, fallback=fallback, asked_lang=lang,
        is_public=is_public, public_link=public_link, self_service=art.self_service_for(version.lang),
        related=[(rid, a) for rid, a in related], translations=_translations(art, corpus),
        internal_files=list(_internal_files(art)),
        public_files=[p.name for p in art.attachments], reports=agentreports.open_reports_for(art.id),
        may_close=agentreports.may_close, reported=request.args.get("reported") == "1",
        report_error=REPORT_ERRORS.get(request.args.get("report_error", ""), ""),
        **history.article_panel(art, version, corpus), **_context(corpus))


def _internal_files(art: Article) -> dict[str, Any]:
    """The article's agent-only files by the name their address gives: below internal/, the path in that
    folder; any other file or folder whose name starts with "internal" (Internal/, sub/internal.md,
    internal-notes.pdf), its path in the article folder."""
    files: dict[str, Any] = {}
    for path in art.internal_attachments:
        rel = path.relative_to(art.folder)
        files.setdefault(rel.relative_to("internal").as_posix() if rel.parts[0] == "internal" else rel.as_posix(),
                         path)
    return files


@bp.route("/article/<article_id>/internal/<path:name>")
def attachment(article_id: str, name: str) -> Any:
    """Download an internal attachment (only the files the content model lists), never shown as a page."""
    art = get_state().corpus().resolve(article_id)
    path = _internal_files(art).get(name) if art is not None else None
    if path is None or not path.is_file():
        abort(404)
    response = protect_attachment(send_file(path, as_attachment=True, download_name=path.name))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/reports/searches")
def report() -> Any:
    """Editors: the most frequent searches with no or few results."""
    corpus = get_state().corpus()
    try:
        days = min(max(int(request.args.get("days", 30)), 1), 3650)
    except ValueError:
        days = 30
    log = searchlog.current_log()
    return render_template("agent/report.html", rows=log.top(limit=100, days=days), days=days,
                           low=searchlog.LOW_RESULTS, retention=log.days, uncounted=log.uncounted(days),
                           cap=log.max_queries, **_context(corpus))


@bp.route("/reports/content")
def content_report() -> Any:
    """Editors: content health (reviews, translations, e-services, orphans) next to the searches that found
    nothing."""
    from portal.content.health import content_health
    from portal.content.problemtext import problem_text, severity_label

    state = get_state()
    corpus = state.corpus()
    health = content_health(corpus, state.today(), zero_results=searchlog.current_log().zero_results())
    return render_template("agent/health.html", health=health, problems=state.problems(), corpus=corpus,
                           problem_text=problem_text, severity_label=severity_label, **_context(corpus))


def init_app(app: Flask) -> None:
    """Register the agent app; keep query strings out of the development server's request log."""
    redact.install_log_filter("werkzeug")
    app.register_blueprint(bp)
