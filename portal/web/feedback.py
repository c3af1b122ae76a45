"""Reading what the public posts to the API: "Did this answer your question?" and e-service starts.

A post is small and strict: UTF-8, at most MAX_BODY bytes, JSON or an HTML form (``application/
x-www-form-urlencoded``, what a plain form and ``navigator.sendBeacon`` send), known fields only, each at
most once. A JSON body is an object whose values are text, numbers, true, false or null: a list, an object or
nesting of any depth in it is a 400 too (:func:`read_fields` is where every posted body is read, so no body can
reach a 500). Anything else is a :class:`PostError` (a 400 in the API's one JSON error shape); a client that
posts too often gets a 429. Comments lose personal identity numbers, phone numbers and e-mail addresses and
invisible and direction-changing characters (:func:`portal.web.redact.redact`) before anything stores them,
and control characters before that.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import current_app, g, request, url_for

from portal.content.model import Article, Corpus
from portal.content.siteconfig import SiteConfig
from portal.web.limits import limit_posts
from portal.web.redact import redact

MAX_BODY = 4096
MAX_COMMENT = 500
MAX_REPORT = 2000
# C0 and C1 controls but tab and newline; the invisible Unicode format characters go in redact.normalize.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A post's fields are flat; deeper JSON is refused before it is parsed, so that parsing never recurses deeply
# (a RecursionError, or a finalizer failing with one while the stack is deep, would reach the log).
MAX_JSON_DEPTH = 16
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_YES = {"yes": True, "ja": True, "true": True, "1": True, "no": False, "nej": False, "false": False, "0": False}


class PostError(Exception):
    """A post the API cannot take: answered with *status* and *code* in the JSON error shape."""

    def __init__(self, message: str, code: str = "bad_request", status: int = 400, retry_after: int = 0):
        super().__init__(message)
        self.code, self.status, self.retry_after = code, status, retry_after


def read_fields(known: tuple[str, ...], required: tuple[str, ...]) -> dict[str, Any]:
    """The posted fields (JSON object or form), checked for size, encoding, unknown and missing fields."""
    if (request.content_length or 0) > MAX_BODY:
        raise PostError(f"the post is larger than {MAX_BODY} bytes", "too_large")
    raw = request.stream.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise PostError(f"the post is larger than {MAX_BODY} bytes", "too_large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PostError("the post is not valid UTF-8", "bad_encoding") from None
    kind = (request.mimetype or "").lower()
    if kind == "application/json":
        fields = _json_fields(text)
    elif kind in ("application/x-www-form-urlencoded", ""):
        try:
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
        except (ValueError, UnicodeDecodeError):
            raise PostError("the form could not be read", "bad_form") from None
        fields = {}
        for key, value in pairs:
            if key in fields:
                raise PostError(f"the field '{key[:40]}' is sent twice", "bad_form")
            fields[key] = value
    else:
        raise PostError("send JSON (application/json) or a form (application/x-www-form-urlencoded)",
                        "unsupported_type")
    unknown = sorted(set(fields) - set(known))
    if unknown:
        raise PostError(f"unknown field '{unknown[0][:40]}'; known: {', '.join(known)}", "unknown_field")
    missing = [name for name in required if fields.get(name) in (None, "")]
    if missing:
        raise PostError(f"the field '{missing[0]}' is required", "missing_field")
    g.posted = fields  # for the page a plain form gets when the post cannot be stored (portal.web.unavailable)
    return fields


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, each name at most once (as in a form)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise PostError(f"the field '{key[:40]}' is sent twice", "bad_json")
        out[key] = value
    return out


def _nesting(text: str) -> int:
    """How deep the arrays and objects of JSON *text* nest (brackets inside strings do not count)."""
    depth = deepest = 0
    for ch in _JSON_STRING.sub("", text):
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _json_fields(text: str) -> dict[str, Any]:
    """A JSON body's fields: an object whose values are text, numbers, true, false or null."""
    if _nesting(text) > MAX_JSON_DEPTH:
        raise PostError("the post is nested too deeply", "bad_json")
    try:
        data = json.loads(text, object_pairs_hook=_json_object)
    except RecursionError:  # cannot happen below MAX_JSON_DEPTH; kept so that it could never be a 500
        raise PostError("the post is nested too deeply", "bad_json") from None
    except ValueError:
        raise PostError("the post is not valid JSON", "bad_json") from None
    if not isinstance(data, dict):
        raise PostError("the post must be a JSON object", "bad_json")
    for key, value in data.items():
        if value is not None and not isinstance(value, (str, int, float)):
            raise PostError(f"the field '{key[:40]}' must be text, a number, true or false, not a list or an "
                            "object", "bad_field")
    return data


def clean_text(value: Any, name: str, limit: int) -> str:
    """A free text: a string, control characters removed, at most *limit* characters, then redacted."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PostError(f"{name} must be text", "bad_field")
    text = _CONTROL.sub("", unicodedata.normalize("NFC", value)).replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise PostError(f"{name} is longer than {limit} characters", f"{name}_too_long")
    return redact(text)


def helpful(value: Any) -> bool:
    """The yes/no answer: true/false, or yes/no (ja/nej) as text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _YES:
        return _YES[value.strip().lower()]
    raise PostError("helpful must be yes or no", "bad_field")


def public_article(corpus: Corpus, fields: dict[str, Any], today: Any) -> tuple[Article, str]:
    """The public article and the page language a post names (internal and unknown ids look the same)."""
    article_id, lang = fields.get("article"), fields.get("lang")
    if not isinstance(article_id, str) or not isinstance(lang, str):
        raise PostError("article and lang must be text", "bad_field")
    if lang not in corpus.site.language_codes:
        raise PostError(f"unknown language '{lang[:20]}'", "bad_field")
    art = corpus.articles.get(article_id)
    if art is None or not art.is_public(today):
        raise PostError(f"there is no public article '{article_id[:100]}'", "unknown_article", 404)
    return art, lang


def limit_rate(kind: str) -> None:
    """Count one post by this client (per address, in the shared database: :mod:`portal.web.limits`); a 429
    when it posted too often."""
    wait = limit_posts(kind)
    if wait:
        raise PostError("too many posts from this address; wait a while and try again", "too_many_requests",
                        429, wait)


def wants_page() -> bool:
    """True for a plain HTML form (no JavaScript): it is answered with a redirect back to the page."""
    return request.mimetype != "application/json" and "application/json" not in request.headers.get("Accept", "")


def back_to(base_url: str, path: str) -> str:
    """Where a plain form goes after posting: *path* on the public site it came from.

    The form's page sends its origin (``Origin``); only the site's own origin (from ``base_url``) is trusted,
    else the path is kept on this server, so the API can never be made to redirect somewhere else.
    """
    site = urlsplit(base_url)
    origin = request.headers.get("Origin", "")
    if site.scheme and site.netloc and origin == f"{site.scheme}://{site.netloc}":
        return f"{origin}{site.path.rstrip('/')}{path}"
    return path


def endpoints(site: SiteConfig) -> dict[str, str] | None:
    """Where a public page posts feedback and e-service starts: this server's API when it serves the page,
    ``site.api`` in the static build (None there without it: a static host has no API to post to)."""
    if current_app.config.get("FREEZING"):
        feedback, starts = site.api_endpoint("feedback"), site.api_endpoint("starts")
        return {"feedback": feedback, "starts": starts} if feedback and starts else None
    return {"feedback": url_for("api.post_feedback"), "starts": url_for("api.post_start")}
