"""The OpenAPI 3.1 document of the headless API, written as a Python dict.

Schemas are JSON Schema 2020-12 (as OpenAPI 3.1 allows), strict about extra properties for public
answers, so a test that validates real answers against them also catches an internal field leaking
into a public answer.
"""

from __future__ import annotations

import copy
from typing import Any

from portal.content.siteconfig import SiteConfig

STR: dict[str, Any] = {"type": "string"}
STR_OR_NULL: dict[str, Any] = {"type": ["string", "null"]}
DATE_OR_NULL: dict[str, Any] = {"type": ["string", "null"], "format": "date"}
BOOL: dict[str, Any] = {"type": "boolean"}
LANGS: dict[str, Any] = {"type": "array", "items": STR}


def _obj(props: dict[str, Any], required: list[str] | None = None, strict: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props,
                           "required": list(props) if required is None else required}
    if strict:
        out["additionalProperties"] = False
    return out


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


HIT = {
    "id": STR, "lang": STR, "title": STR, "summary": STR, "score": {"type": "number"},
    "audience": {"enum": ["public", "internal"]}, "url": STR_OR_NULL, "self_service_url": STR_OR_NULL,
    "self_service_label": STR_OR_NULL, "fallback": BOOL, "category": STR, "department": STR_OR_NULL,
    "confident": {"type": "boolean", "description": "A confident answer to the question (calibrated on questions "
                  "the content does and does not answer): when no hit is, say so and offer the contact centre"},
    "status": {"enum": ["published", "draft"]}, "outdated": BOOL, "updated": DATE_OR_NULL, "langs": LANGS,
    "easy_read": {"type": "boolean", "description": "The hit is the article's easy-read Swedish text (lättläst), "
                  "asked for by the query (\"lättläst bygglov\"): title, summary and url are that text's"},
    "highlights": {"type": "object", "description": "HTML, already escaped, query words in <mark>",
                   "additionalProperties": STR},
}
HIT_INTERNAL = {**HIT, "answer_group": STR_OR_NULL, "review_by": DATE_OR_NULL, "in_internal": BOOL,
                "publish_from": DATE_OR_NULL, "expires": DATE_OR_NULL}
SUMMARY = {
    "id": STR, "lang": STR, "fallback": BOOL, "title": STR, "summary": STR, "category": STR,
    "department": STR_OR_NULL, "url": STR_OR_NULL, "self_service_url": STR_OR_NULL, "updated": DATE_OR_NULL,
    "langs": LANGS,
}
INTERNAL = {"audience": {"enum": ["public", "internal"]}, "status": {"enum": ["published", "draft"]},
            "answer_group": STR_OR_NULL, "rosa": STR_OR_NULL, "owner": STR_OR_NULL, "review_by": DATE_OR_NULL}
SELF_SERVICE = _obj({"url": STR, "label": STR, "login": LANGS, "needs": LANGS})
RELATED = _obj({"id": STR, "title": STR, "lang": STR, "url": STR_OR_NULL})
ARTICLE = {**SUMMARY, "html": STR, "category_name": STR, "department_name": STR_OR_NULL,
           "self_service": {"anyOf": [_ref("SelfService"), {"type": "null"}]},
           "related": {"type": "array", "items": _ref("Related")}, "public_url": STR_OR_NULL,
           "outdated": BOOL, "dir": {"enum": ["ltr", "rtl"]}}
ARTICLE_INTERNAL = {**ARTICLE, **INTERNAL, "answer_group_name": STR_OR_NULL, "internal_html": STR_OR_NULL}

SCHEMAS: dict[str, Any] = {
    "Error": _obj({"error": _obj({"status": {"type": "integer"}, "code": STR, "message": STR},
                                strict=False)}),
    "Hit": _obj(HIT),
    "InternalHit": _obj(HIT_INTERNAL),
    "SearchResult": _obj({
        "query": STR, "lang": STR, "audience": {"enum": ["public", "all"]}, "count": {"type": "integer"},
        "suggestion": STR_OR_NULL, "mode": {"enum": ["lexical", "hybrid"]},
        "confident": {"type": "boolean", "description": "True when any hit is a confident answer"},
        "elsewhere": {"anyOf": [{"type": "null"}, _obj({"id": STR, "authority": STR, "url": STR, "word": STR})],
                      "description": "Another authority whose errand the question names (no hit is then "
                                     "confident): where to send the person asking"},
        "hits": {"type": "array", "items": {"anyOf": [_ref("Hit"), _ref("InternalHit")]}}}),
    "ArticleSummary": _obj(SUMMARY),
    "InternalArticleSummary": _obj({**SUMMARY, **INTERNAL}),
    "ArticleList": _obj({
        "lang": STR, "audience": {"enum": ["public", "all"]}, "count": {"type": "integer"},
        "articles": {"type": "array", "items": {"anyOf": [_ref("ArticleSummary"),
                                                            _ref("InternalArticleSummary")]}}}),
    "SelfService": SELF_SERVICE,
    "Related": RELATED,
    "Article": _obj(ARTICLE),
    "InternalArticle": _obj(ARTICLE_INTERNAL),
    "CategoryList": _obj({"lang": STR, "categories": {"type": "array", "items": _obj({
        "key": STR, "name": STR, "names": {"type": "object", "additionalProperties": STR}})}}),
    "LanguageList": _obj({"source_language": STR, "languages": {"type": "array", "items": _obj({
        "code": STR, "name": STR, "dir": {"enum": ["ltr", "rtl"]}})}}),
    "OpenAPI": {"type": "object", "required": ["openapi", "paths"]},
}


def _param(name: str, description: str, schema: dict[str, Any] | None = None, where: str = "query",
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": schema or STR}


LANG = _param("lang", "Language code (default: the source language); unknown codes are a 400.")
AUDIENCE = _param("audience", "`all` includes internal content and fields: needs a Bearer token or an agent "
                  "session (else 401).", {"enum": ["public", "all"], "default": "public"})


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(schema: str, description: str, public: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"200": {"description": description,
                                   "content": {"application/json": {"schema": _ref(schema)}}}}
    if public:
        out["304"] = {"description": "Not modified (If-None-Match matched the ETag)"}
    out["400"] = _error("A bad parameter")
    out["401"] = _error("Missing or invalid credentials for audience=all, or an invalid token")
    return out


def _get(summary: str, params: list[dict[str, Any]], responses: dict[str, Any], op: str) -> dict[str, Any]:
    return {"get": {"operationId": op, "summary": summary, "parameters": params, "responses": responses,
                    "security": [{}, {"bearer": []}, {"session": []}]}}


def _post(summary: str, body: dict[str, Any], ok: dict[str, Any], op: str) -> dict[str, Any]:
    """A public POST taking JSON or a form; bad posts are a 400, floods a 429, a store that cannot write a 503."""
    schema = {"type": "object", "properties": body["properties"], "required": body["required"],
              "additionalProperties": False}
    return {"post": {"operationId": op, "summary": summary, "security": [{}],
                     "requestBody": {"required": True, "content": {
                         "application/json": {"schema": schema},
                         "application/x-www-form-urlencoded": {"schema": schema}}},
                     "responses": {**ok, "400": _error("A bad post (too large, not UTF-8, unknown fields…)"),
                                   "404": _error("No such public article (internal ones look the same)"),
                                   "429": _error("Too many posts from this address (see Retry-After)"),
                                   "503": _error("Cannot be stored right now (see Retry-After); a plain form "
                                                 "gets a page in its language instead")}}}


def _feedback_paths(lang_schema: dict[str, Any]) -> dict[str, Any]:
    article = {"type": "string", "description": "A public article id", "minLength": 1, "maxLength": 200}
    answer = {"anyOf": [{"type": "boolean"}, {"type": "string", "enum": ["yes", "no", "ja", "nej"]}]}
    feedback = {"properties": {"article": article, "lang": lang_schema, "helpful": answer,
                               "comment": {"type": "string", "maxLength": 500,
                                           "description": "Optional; personal data is removed before storage"}},
                "required": ["article", "lang", "helpful"]}
    starts = {"properties": {"article": article, "lang": lang_schema}, "required": ["article", "lang"]}
    return {
        "/feedback": _post("Answer \"Did this page answer your question?\"", feedback, {
            "201": {"description": "Stored", "content": {"application/json": {"schema": {"type": "object"}}}},
            "303": {"description": "A plain form: back to the article's #feedback-thanks"}}, "postFeedback"),
        "/starts": _post("Count a click on an article's e-service start button", starts,
                         {"204": {"description": "Counted"}}, "postStart"),
    }


def _keys(keys: Any) -> dict[str, Any]:
    return {"type": "string", "enum": sorted(keys)} if keys else STR


def document(site: SiteConfig | None = None, internal: bool = False) -> dict[str, Any]:
    """The OpenAPI document of /api/v1 (a fresh copy each time). With *site*, the languages and the keys
    of categories and departments are listed as the only values the API accepts. Answer groups are internal
    routing: their keys are listed only with *internal* (the document served to a caller with credentials)."""
    lang = _param("lang", LANG["description"], _keys(site.language_codes) if site else None)
    search_params = [
        _param("q", "What to search for (at most 300 characters: longer is a 400 `query_too_long`).",
               {"type": "string", "minLength": 1, "maxLength": 300}, required=True),
        lang,
        _param("limit", "Number of hits, 1–100.", {"type": "integer", "minimum": 1, "maximum": 100,
                                                   "default": 10}),
        _param("category", "A category key from site.yml.", _keys(site.categories) if site else None),
        _param("answer_group", "An answer-group key (internal routing): needs a Bearer token or an agent "
               "session (else 401); its keys are listed only in the document served with credentials.",
               _keys(site.answer_groups) if site and internal else None),
        _param("department", "A department key from site.yml.", _keys(site.departments) if site else None),
        AUDIENCE,
        _param("prefix", "Treat the last word as unfinished (search as you type); prefix searches are "
               "not logged.", {"type": "boolean", "default": False}),
        _param("mode", "hybrid: words and meaning (a multilingual model: a question in any language finds the "
               "article); lexical: words only; auto (the default): hybrid, lexical for a prefix search.",
               {"enum": ["auto", "lexical", "hybrid"], "default": "auto"}),
    ]
    article_resp = _ok("Article", "The article (InternalArticle for audience=all)")
    article_resp["200"]["content"]["application/json"]["schema"] = {
        "anyOf": [_ref("Article"), _ref("InternalArticle")]}
    article_resp["404"] = _error("No such article (internal articles without credentials look the same)")
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "Contact-centre knowledge base API", "version": "1.0.0",
                 "description": "Public answers need no credentials. Internal content needs `Authorization: "
                                "Bearer <token>` (or an agent session) and `audience=all`. Every error has "
                                "the Error shape."},
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/search": _get("Search the articles", search_params, _ok("SearchResult", "Hits, best first"),
                            "search"),
            "/articles": _get("List the articles", [lang, AUDIENCE], _ok("ArticleList", "The articles"),
                              "listArticles"),
            "/articles/{id}": _get("One article in one language",
                                   [_param("id", "The article id (old ids from redirect_from work too)",
                                           where="path", required=True), lang, AUDIENCE],
                                   article_resp, "getArticle"),
            "/categories": _get("The categories", [lang], _ok("CategoryList", "The categories"),
                                "listCategories"),
            "/languages": _get("The languages", [], _ok("LanguageList", "The languages"), "listLanguages"),
            "/openapi.json": _get("This document", [], _ok("OpenAPI", "The OpenAPI document"), "openapi"),
            **_feedback_paths(_keys(site.language_codes) if site else STR),
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "An API token from `portal tokens add NAME`."},
                "session": {"type": "apiKey", "in": "cookie", "name": "portal_session",
                            "description": "The agent app's login session."},
            },
        },
    }
    return copy.deepcopy(doc)
