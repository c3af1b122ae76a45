"""Front-matter keys of source files and translations: types, allowed values, limits."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from portal.content.model import AUDIENCES, ROSA_LEVELS, STATUSES, SelfService, Version
from portal.content.problemtext import problem
from portal.content.siteconfig import SiteConfig, close_match
from portal.content.sourcefile import SourceText
from portal.exceptions import ERROR, WARNING, Problem, display_path

MAX_TITLE = 200
MAX_SUMMARY = 400
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SOURCE_KEYS = ("title", "summary", "category", "audience", "answer_group", "department", "rosa",
               "self_service", "keywords", "related", "owner", "review_by", "status", "publish_from",
               "expires", "redirect_from")
TRANSLATION_KEYS = ("title", "summary", "keywords", "self_service", "source_revision")
SELF_SERVICE_KEYS = ("url", "label", "login", "needs")


class FrontMatter:
    """Reads typed values out of one file's front matter, reporting problems by line."""

    def __init__(self, src: SourceText, problems: list[Problem]):
        assert src.front is not None
        self.src, self.doc, self.data = src, src.front, src.front.data
        self.shown = display_path(src.path)
        self.problems = problems

    def error(self, keys: tuple[str, ...], code: str, severity: str = ERROR, **params: object) -> None:
        """Report the problem *code* on the line of *keys*."""
        self.problems.append(problem(self.shown, self.doc.line(*keys), code, severity, **params))

    def unknown_keys(self, allowed: tuple[str, ...], code: str) -> None:
        """Report every key not in *allowed*, with the closest allowed key as a hint."""
        for key in self.data:
            if key not in allowed:
                self.error((str(key),), code, key=key, suggestion=close_match(str(key), list(allowed)),
                           allowed=", ".join(allowed))

    def text(self, key: str, required: bool = False, limit: int | None = None,
             value: Any = None, keys: tuple[str, ...] | None = None) -> str | None:
        keys = keys or (key,)
        value = self.data.get(key) if value is None else value
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(keys, "required-missing", key=key)
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(keys, "not-text", key=key, kind=_kind(value))
            return None
        value = " ".join(str(value).split())
        if limit and len(value) > limit:
            self.error(keys, "too-long", key=key, length=len(value), limit=limit)
        return value

    def words(self, key: str, value: Any = None, keys: tuple[str, ...] | None = None) -> list[str] | None:
        keys = keys or (key,)
        value = self.data.get(key) if value is None else value
        if value is None:
            return None
        if isinstance(value, str):
            self.error(keys, "not-list", key=key)
            return None
        if not isinstance(value, list) or not all(isinstance(v, str | int) and not isinstance(v, bool)
                                                  for v in value):
            self.error(keys, "not-word-list", key=key)
            return None
        return [str(v).strip() for v in value if str(v).strip()]

    def choice(self, key: str, allowed: list[str] | tuple[str, ...], what: str) -> str | None:
        value = self.text(key)
        if value is not None and value not in allowed:
            self.error((key,), "choice-unknown", what=what, value=value,
                       suggestion=close_match(value, list(allowed)), known=", ".join(allowed))
            return None
        return value

    def date(self, key: str) -> dt.date | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.error((key,), "date-invalid", key=key, value=value)
        return None

    def ids(self, key: str) -> list[str]:
        values = self.words(key) or []
        for i, value in enumerate(values):
            if not ID_PATTERN.match(value):
                self.error((key, str(i)), "id-invalid", value=value, key=key)
        return values


def _kind(value: Any) -> str:
    return {dict: "set of keys", list: "list", bool: "yes/no value"}.get(type(value), type(value).__name__)


def read_source(src: SourceText, site: SiteConfig, problems: list[Problem]) -> dict[str, Any]:
    """Validate a source-language file's front matter and return its typed values."""
    fm = FrontMatter(src, problems)
    fm.unknown_keys(SOURCE_KEYS, "key-unknown-source")
    out: dict[str, Any] = {
        "title": fm.text("title", required=True, limit=MAX_TITLE),
        "summary": fm.text("summary", required=True, limit=MAX_SUMMARY),
        "category": fm.choice("category", list(site.categories), "category")
        if fm.data.get("category") is not None else None,
        "audience": fm.choice("audience", AUDIENCES, "audience") or "public",
        "status": fm.choice("status", STATUSES, "status") or "published",
        "answer_group": fm.choice("answer_group", list(site.answer_groups), "answer group"),
        "department": fm.choice("department", list(site.departments), "department"),
        "rosa": fm.choice("rosa", ROSA_LEVELS, "ROSA level"),
        "keywords": fm.words("keywords") or [],
        "related": fm.ids("related"),
        "redirect_from": fm.ids("redirect_from"),
        "owner": fm.text("owner"),
        "review_by": fm.date("review_by"),
        "publish_from": fm.date("publish_from"),
        "expires": fm.date("expires"),
        "self_service": _self_service(fm),
    }
    if fm.data.get("category") is None:
        fm.error(("category",), "category-missing", known=", ".join(site.categories))
    if out["publish_from"] and out["expires"] and out["expires"] <= out["publish_from"]:
        fm.error(("expires",), "expires-before")
    return out


def _self_service(fm: FrontMatter) -> SelfService | None:
    value = fm.data.get("self_service")
    if value is None:
        return None
    if not isinstance(value, dict):
        fm.error(("self_service",), "self-service-shape")
        return None
    for key in value:
        if key not in SELF_SERVICE_KEYS:
            fm.error(("self_service", str(key)), "self-service-key", key=key,
                     suggestion=close_match(str(key), list(SELF_SERVICE_KEYS)), allowed=", ".join(SELF_SERVICE_KEYS))
    url = fm.text("url", required=True, value=value.get("url"), keys=("self_service", "url"))
    if url and not re.match(r"^https://[^\s/]+\.[^\s/]+", url):
        fm.error(("self_service", "url"), "self-service-url", url=url)
        url = None
    label = fm.text("label", required=True, value=value.get("label"), keys=("self_service", "label"),
                    limit=120)
    login_value = value.get("login", "none")
    login = [login_value] if isinstance(login_value, str) else login_value
    if not isinstance(login, list) or not all(isinstance(x, str) and x.strip() for x in login):
        fm.error(("self_service", "login"), "self-service-login")
        login = []
    login = [x.strip().lower() for x in login if x.strip().lower() != "none"]
    needs = fm.words("needs", value=value.get("needs"), keys=("self_service", "needs")) or []
    if url and label:
        return SelfService(url, label, login, needs)
    return None


def read_translation(src: SourceText, lang: str, problems: list[Problem],
                     source_has_self_service: bool) -> Version:
    """Validate a translation's front matter and return its :class:`Version`."""
    fm = FrontMatter(src, problems)
    fm.unknown_keys(TRANSLATION_KEYS, "key-unknown-translation")
    label = needs = None
    ss = fm.data.get("self_service")
    if ss is not None:
        if not isinstance(ss, dict):
            fm.error(("self_service",), "translation-self-service-shape")
        else:
            for key in ss:
                if key not in ("label", "needs"):
                    fm.error(("self_service", str(key)), "translation-self-service-key", key=key)
            if not source_has_self_service:
                fm.error(("self_service",), "translation-self-service-orphan")
            label = fm.text("label", value=ss.get("label"), keys=("self_service", "label"), limit=120)
            needs = fm.words("needs", value=ss.get("needs"), keys=("self_service", "needs"))
    revision = fm.text("source_revision")
    if revision and not re.fullmatch(r"[0-9a-f]{7,40}", revision):
        fm.error(("source_revision",), "revision-invalid", revision=revision)
        revision = None
    return Version(
        lang=lang, path=src.path, title=fm.text("title", required=True, limit=MAX_TITLE) or "",
        summary=fm.text("summary", required=True, limit=MAX_SUMMARY) or "", body=src.body,
        body_line=src.body_line, keywords=fm.words("keywords") or [], self_service_label=label,
        self_service_needs=needs, source_revision=revision, front=src.front,
    )


def review_warning(fm_path: str, line: int, review_by: dt.date, today: dt.date) -> Problem:
    """The warning for a review date that has passed."""
    return problem(fm_path, line, "review-passed", WARNING, date=review_by.isoformat())
