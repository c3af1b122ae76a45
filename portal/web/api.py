"""The headless JSON API, /api/v1/: search, articles, categories, languages and its OpenAPI document.

Public answers need no credentials, carry an ETag and ``Cache-Control: public`` and may be read from any
origin (CORS, configurable with CORS_ORIGINS). Internal content (internal articles, drafts, internal
notes and the internal fields answer_group, rosa, owner, review_by, internal_html) needs an agent
session or ``Authorization: Bearer <token>`` *and* ``audience=all`` (filtering on an answer group needs the
credentials, and its keys are told only to callers with them); such answers are
``Cache-Control: private, no-store`` and never get CORS headers. Every error is the one JSON shape of
:func:`portal.errors.json_error`; bad parameters are a 400. A query longer than 300 characters is a 400
(``query_too_long``), not silently cut, so a client knows what was searched. An article's public ``html``
links no article citizens may not see (:func:`portal.web.public.public_html`, as on the public page).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, request

from portal.content.model import Article, Corpus
from portal.render.markdown import public_url
from portal.search.searcher import MAX_LIMIT, MAX_QUERY_CHARS, MODES
from portal.web import feedback, searchlog
from portal.web.auth import bad_token, current_user
from portal.web.errors import json_error
from portal.web.feedbackstore import current_store
from portal.web.metrics import searched
from portal.web.openapi import document
from portal.web.public import public_html
from portal.web.state import get_state

bp = Blueprint("api", __name__, url_prefix="/api/v1")
INTERNAL_FIELDS = ("audience", "status", "answer_group", "rosa", "owner", "review_by")


class BadParameter(Exception):
    """A request parameter the API cannot use: answered with a 400."""

    def __init__(self, message: str, code: str = "bad_parameter", status: int = 400):
        super().__init__(message)
        self.code, self.status = code, status


@bp.errorhandler(BadParameter)
def _bad_parameter(exc: BadParameter) -> Response:
    return json_error(exc.status, str(exc), exc.code)


@bp.errorhandler(feedback.PostError)
def _bad_post(exc: feedback.PostError) -> Response:
    response = json_error(exc.status, str(exc), exc.code)
    if exc.retry_after:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@bp.before_request
def _credentials() -> Any:
    """A wrong or malformed token is a 401 wherever it is sent."""
    if bad_token():
        return json_error(401, "the bearer token is not valid", "invalid_token")
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    """Caching and CORS: public answers are cacheable and readable from other origins."""
    if current_user() is not None:
        response.headers["Cache-Control"] = "private, no-store"
        return response
    if response.status_code >= 400 or request.method == "POST":
        response.headers["Cache-Control"] = "no-store"
    elif request.method in ("GET", "HEAD"):
        response.headers["Cache-Control"] = "public, max-age=60"
        response.add_etag()
        response.make_conditional(request)
    _cors(response)
    return response


def _cors(response: Response) -> None:
    allowed = current_app.config.get("CORS_ORIGINS") or "*"
    if isinstance(allowed, str):
        allowed = [o.strip() for o in allowed.split(",") if o.strip()]
    origin = request.headers.get("Origin")
    if "*" in allowed:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin and origin in allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
    else:
        return
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "If-None-Match, Content-Type"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    response.headers["Access-Control-Max-Age"] = "600"


# --- parameters -----------------------------------------------------------------------------------------

def _internal() -> bool:
    """True when the caller asked for audience=all and may have it (else 401)."""
    audience = request.args.get("audience", "public")
    if audience not in ("public", "all"):
        raise BadParameter("audience must be 'public' or 'all'")
    if audience == "public":
        return False
    if current_user() is None:
        raise BadParameter("audience=all needs an agent session or an API token", "unauthorized", 401)
    return True


def _lang(corpus: Corpus) -> str:
    lang = request.args.get("lang") or corpus.site.source_language
    if lang not in corpus.site.language_codes:
        raise BadParameter(f"unknown language '{lang}'; available: {', '.join(corpus.site.language_codes)}")
    return lang


def _choice(name: str, table: dict[str, Any]) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if value not in table:
        raise BadParameter(f"unknown {name} '{value[:50]}'; known: {', '.join(sorted(table))}")
    return value


def _limit() -> int:
    raw = request.args.get("limit", "10")
    try:
        limit = int(raw)
    except ValueError:
        raise BadParameter("limit must be a whole number") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadParameter(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def _flag(name: str) -> bool:
    raw = request.args.get(name, "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise BadParameter(f"{name} must be true or false")
    return raw in ("true", "1")


# --- routes ---------------------------------------------------------------------------------------------

@bp.get("/search")
def search() -> Any:
    """Search the articles: public hits, or every hit with internal fields for audience=all."""
    state = get_state()
    corpus = state.corpus()
    q = request.args.get("q", "")
    if not q:
        raise BadParameter("q is required")  # a q of only spaces is valid and finds nothing
    if len(q) > MAX_QUERY_CHARS:
        raise BadParameter(f"q is longer than {MAX_QUERY_CHARS} characters", "query_too_long")
    internal = _internal()
    lang, limit, prefix = _lang(corpus), _limit(), _flag("prefix")
    mode = _choice("mode", {m: m for m in MODES}) or "auto"
    site = corpus.site
    if request.args.get("answer_group") and current_user() is None:
        # Asked before the key is looked at: a caller without credentials learns nothing of the keys, not
        # even whether one exists.
        raise BadParameter("answer_group is an internal field: filtering on it needs an agent session or an "
                           "API token", "unauthorized", 401)
    filters = {"category": _choice("category", site.categories),
               "answer_group": _choice("answer_group", site.answer_groups),
               "department": _choice("department", site.departments)}
    result = state.searcher().search(q, lang, internal=internal, limit=limit,
                                     filters={k: v for k, v in filters.items() if v}, prefix=prefix,
                                     today=state.today(), mode=mode)
    searched(result, typing=prefix)
    if not prefix:
        try:
            searchlog.current_log().record(result.query, result.lang, result.answered)
        except Exception:
            current_app.logger.exception("could not write the search log")
    hits = [h.as_dict() if internal else h.public_dict() for h in result.hits]
    return jsonify({"query": result.query, "lang": result.lang, "audience": "all" if internal else "public",
                    "count": len(hits), "suggestion": result.suggestion, "mode": result.mode,
                    "confident": any(h["confident"] for h in hits),
                    "elsewhere": result.elsewhere.as_dict() if result.elsewhere else None, "hits": hits})


def _summary(article: Article, lang: str, internal: bool) -> dict[str, Any]:
    version = article.version(lang) or article.source
    ss = article.self_service_for(version.lang)
    item: dict[str, Any] = {
        "id": article.id, "lang": version.lang, "fallback": version.lang != lang, "title": version.title,
        "summary": version.summary, "category": article.category, "department": article.department,
        "url": public_url(article.id, version.lang) if article.audience == "public" else None,
        "self_service_url": ss.url if ss else None,
        "updated": version.updated.isoformat() if version.updated else None, "langs": sorted(article.versions),
    }
    if internal:
        item.update({k: getattr(article, k) for k in INTERNAL_FIELDS})
        item["review_by"] = article.review_by.isoformat() if article.review_by else None
    return item


@bp.get("/articles")
def articles() -> Any:
    """Every article citizens may see (every article for audience=all), in one language."""
    state = get_state()
    corpus = state.corpus()
    internal = _internal()
    lang = _lang(corpus)
    chosen = (sorted(corpus.articles.values(), key=lambda a: a.id) if internal
              else corpus.public_articles(state.today()))
    items = [_summary(a, lang, internal) for a in chosen]
    return jsonify({"lang": lang, "audience": "all" if internal else "public", "count": len(items),
                    "articles": items})


@bp.get("/articles/<article_id>")
def article(article_id: str) -> Any:
    """One article in the asked language, or in the source language with ``"fallback": true``."""
    state = get_state()
    corpus = state.corpus()
    internal = _internal()
    lang = _lang(corpus)
    art = corpus.resolve(article_id)
    today = state.today()
    if art is None or not (internal or art.is_public(today)):
        return json_error(404, f"there is no article '{article_id[:100]}'", "not_found")
    site = corpus.site
    version = art.version(lang) or art.source
    ss = art.self_service_for(version.lang)
    item = _summary(art, lang, internal)
    related = []
    for rid in art.related:
        target = corpus.resolve(rid)
        if target is None or not (internal or target.is_public(today)):
            continue
        tv = target.version(version.lang) or target.source
        related.append({"id": target.id, "title": tv.title, "lang": tv.lang,
                        "url": public_url(target.id, tv.lang) if target.audience == "public" else None})
    html = version.html if internal else public_html(version.html, version.lang,
                                                      shown=lambda a: a is not None and a.is_public(today))
    item.update({
        "html": html, "category_name": site.category_name(art.category, version.lang),
        "department_name": site.department_name(art.department, version.lang) if art.department else None,
        "self_service": dataclasses.asdict(ss) if ss else None, "related": related,
        "public_url": site.base_url.rstrip("/") + item["url"] if item["url"] else None,
        "outdated": version.outdated, "dir": site.language(version.lang).dir,
    })
    if internal:
        item.update({"answer_group_name": site.answer_group_name(art.answer_group, "sv")
                     if art.answer_group else None, "internal_html": art.internal_html or None})
    return jsonify(item)


@bp.get("/categories")
def categories() -> Any:
    """The categories with their names in the asked language and in every language."""
    corpus = get_state().corpus()
    lang = _lang(corpus)
    site = corpus.site
    items = [{"key": key, "name": site.category_name(key, lang),
              "names": {code: site.category_name(key, code) for code in site.language_codes}}
             for key in site.categories]
    return jsonify({"lang": lang, "categories": items})


@bp.get("/languages")
def languages() -> Any:
    """The published languages, source language first, with their text direction."""
    site = get_state().corpus().site
    return jsonify({"source_language": site.source_language,
                    "languages": [{"code": lang.code, "name": lang.name, "dir": lang.dir} for lang in site.languages]})


@bp.post("/feedback")
def post_feedback() -> Any:
    """Store a citizen's answer to "Did this answer your question?" (JSON, or a plain form: then a redirect
    back to the article, whose page shows the thanks)."""
    fields = feedback.read_fields(("article", "lang", "helpful", "comment"), ("article", "lang", "helpful"))
    feedback.limit_rate("feedback")  # after reading: a 503 page for the plain form leads back to its article
    state = get_state()
    art, lang = feedback.public_article(state.corpus(), fields, state.today())
    answer = feedback.helpful(fields["helpful"])
    comment = feedback.clean_text(fields.get("comment"), "comment", feedback.MAX_COMMENT)
    current_store().add_feedback(art.id, lang, answer, comment, "web")
    if feedback.wants_page():
        target = feedback.back_to(state.corpus().site.base_url, public_url(art.id, lang) + "#feedback-thanks")
        return redirect(target, 303)
    return jsonify({"received": True, "article": art.id, "lang": lang}), 201


@bp.post("/starts")
def post_start() -> Any:
    """Count a click on an article's e-service start button (sent by the static site's script)."""
    fields = feedback.read_fields(("article", "lang"), ("article", "lang"))
    feedback.limit_rate("start")
    state = get_state()
    art, lang = feedback.public_article(state.corpus(), fields, state.today())
    if art.self_service is None:
        raise feedback.PostError(f"the article '{art.id}' has no e-service", "no_eservice", 404)
    current_store().add_start(art.id, lang, "web")
    return "", 204


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3.1 document of this API (with the answer-group keys for a caller with credentials)."""
    return jsonify(document(get_state().corpus().site, internal=current_user() is not None))


def _unknown(rest: str) -> Response:
    """Any other path under /api/: a JSON 404 (not the public site's page for a missing file)."""
    response = json_error(404, "there is no such API route; see /api/v1/openapi.json", "not_found")
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Register the API."""
    app.register_blueprint(bp)
    app.add_url_rule("/api/<path:rest>", "api_unknown", _unknown)
