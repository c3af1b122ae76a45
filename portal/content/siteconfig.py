"""`site.yml`: languages, categories, answer groups, departments and contact details."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from portal.content.editlink import valid_edit_url
from portal.content.languages import LANG_CODE, Language, read_languages, resolve_languages
from portal.content.problemtext import problem
from portal.content.sourcefile import YamlDoc, parse_yaml, read_text
from portal.exceptions import ERROR, WARNING, Problem, display_path

__all__ = ["LANG_CODE", "Contact", "Language", "SiteConfig", "load_site"]  # LANG_CODE, Language: from .languages

KEY = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")
SITE_KEYS = ("name", "base_url", "search_api", "api", "edit_url")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TOP_KEYS = {"site", "source_language", "languages", "categories", "answer_groups", "departments",
            "contact", "featured", "notice"}


def close_match(word: str, choices: list[str]) -> str | None:
    """The one of *choices* closest to a misspelt *word* (a key, a category, an article id), or None."""
    import difflib

    best = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return best[0] if best else None


@dataclass
class Contact:
    """How citizens reach the contact centre, and when."""

    name: str = "Kontaktcenter"
    phone: str = ""
    email: str = ""
    address: str = ""
    hours: dict[str, str] = field(default_factory=dict)
    exceptions: dict[dt.date, str] = field(default_factory=dict)

    def hours_on(self, day: dt.date) -> str:
        """Opening hours on *day* ('08:00-17:00' or 'closed'), public-holiday exceptions applied."""
        if day in self.exceptions:
            return self.exceptions[day]
        return self.hours.get(WEEKDAYS[day.weekday()], "closed")


@dataclass
class SiteConfig:
    """The validated contents of `site.yml`."""

    path: Path
    name: str
    base_url: str
    source_language: str
    languages: list[Language]
    categories: dict[str, dict[str, str]]
    answer_groups: dict[str, dict[str, str]]
    departments: dict[str, dict[str, str]]
    contact: Contact
    featured: list[str] = field(default_factory=list)
    notice: dict[str, str] = field(default_factory=dict)
    lines: YamlDoc | None = None
    notice_from: dt.date | None = None
    notice_until: dt.date | None = None

    search_api: str = ""  # the public search API's URL (site.search_api), asked first by the static site
    api: str = ""  # the public API's address (site.api): the static site posts feedback and e-service starts there
    edit_url: str = ""  # the content repository's web editor (site.edit_url): portal.content.editlink

    def notice_on(self, lang: str, day: dt.date) -> str:
        """The site-wide notice for pages in *lang* on *day*: empty outside its from/until dates and in a
        language it has no text in (a notice in Swedish on the Arabic site helps no one who needs it there)."""
        if (self.notice_from and day < self.notice_from) or (self.notice_until and day > self.notice_until):
            return ""
        return self.notice.get(lang, "")

    @property
    def search_api_origin(self) -> str | None:
        """The origin (scheme://host[:port]) of :attr:`search_api`, for the static site's CSP."""
        return _origin(self.search_api)

    @property
    def api_origin(self) -> str | None:
        """The origin of :attr:`api`, where the static site's feedback form posts (CSP form-action)."""
        return _origin(self.api)

    @property
    def connect_origins(self) -> tuple[str, ...]:
        """Every origin the static site's scripts may talk to (CSP connect-src): the search API's, the API's."""
        return tuple(dict.fromkeys(o for o in (self.search_api_origin, self.api_origin) if o))

    def api_endpoint(self, name: str) -> str | None:
        """The address of the API's *name* route (feedback, starts) for the static site, None without site.api."""
        return f"{self.api.rstrip('/')}/api/v1/{name}" if self.api else None

    @property
    def language_codes(self) -> list[str]:
        """Codes of the published languages, source language first."""
        return [lang.code for lang in self.languages]

    def language(self, code: str) -> Language:
        """The :class:`Language` for *code* (KeyError when not published)."""
        for lang in self.languages:
            if lang.code == code:
                return lang
        raise KeyError(code)

    def _name(self, table: dict[str, dict[str, str]], key: str | None, lang: str) -> str:
        if not key or key not in table:
            return key or ""
        names = table[key]
        return names.get(lang) or names.get(self.source_language) or key

    def category_name(self, key: str, lang: str) -> str:
        """The category's name in *lang*, falling back to the source language."""
        return self._name(self.categories, key, lang)

    def answer_group_name(self, key: str | None, lang: str) -> str:
        """The answer group's name in *lang*, falling back to the source language."""
        return self._name(self.answer_groups, key, lang)

    def department_name(self, key: str | None, lang: str) -> str:
        """The department's name in *lang*, falling back to the source language."""
        return self._name(self.departments, key, lang)


class _Checker:
    def __init__(self, doc: YamlDoc, shown: str, problems: list[Problem]):
        self.doc, self.shown, self.problems = doc, shown, problems

    # The message code is positional-only: a message may have a value called code ("language-code").
    def error(self, keys: tuple[str, ...], code: str, /, severity: str = ERROR, **params: object) -> None:
        self.problems.append(problem(self.shown, self.doc.line(*keys), code, severity, **params))

    def warn(self, keys: tuple[str, ...], code: str, /, **params: object) -> None:
        self.error(keys, code, WARNING, **params)

    def mapping(self, value: Any, keys: tuple[str, ...], what: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(keys, "not-mapping", what=what)
            return {}
        return value

    def string(self, value: Any, keys: tuple[str, ...], what: str, required: bool = False) -> str:
        if value is None or value == "":
            if required:
                self.error(keys, "value-missing", what=what)
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.error(keys, "value-not-text", what=what)
            return ""
        return str(value)

    def names(self, value: Any, keys: tuple[str, ...], what: str, langs: set[str],
              allow_plain: bool = False) -> dict[str, str]:
        """A name per language ({sv: ..., en: ...}); a plain string where *allow_plain*."""
        if isinstance(value, str) and allow_plain:
            return {"*": value}
        out: dict[str, str] = {}
        for lang, name in self.mapping(value, keys, what).items():
            if str(lang) not in langs:
                self.error((*keys, str(lang)), "name-language-unknown", what=what, lang=lang,
                           known=", ".join(sorted(langs)))
            out[str(lang)] = self.string(name, (*keys, str(lang)), f"{what} ({lang})", required=True)
        return out


def load_site(folder: Path, problems: list[Problem], today: dt.date | None = None) -> SiteConfig | None:
    """Load and validate `site.yml` in *folder*; report problems and return None when unusable. *today*
    (default: the real date) decides whether the notice is over."""
    path = folder / "site.yml"
    shown = display_path(path)
    if not path.is_file():
        problems.append(problem(shown, 1, "site-missing"))
        return None
    text = read_text(path, problems)
    if text is None:
        return None
    doc = parse_yaml(text, path, problems)
    if doc is None:
        return None
    if not isinstance(doc.data, dict):
        problems.append(problem(shown, 1, "site-not-mapping"))
        return None
    c = _Checker(doc, shown, problems)
    data = doc.data
    for key in data:
        if key not in TOP_KEYS:
            c.error((str(key),), "site-key-unknown", key=key, suggestion=close_match(str(key), sorted(TOP_KEYS)),
                    known=", ".join(sorted(TOP_KEYS)))

    site = c.mapping(data.get("site"), ("site",), "site")
    for key in site:
        if key not in SITE_KEYS:
            c.error(("site", str(key)), "site-site-key-unknown", key=key,
                    suggestion=close_match(str(key), list(SITE_KEYS)), known=", ".join(SITE_KEYS))
    name = c.string(site.get("name"), ("site", "name"), "site.name", required=True)
    base_url = c.string(site.get("base_url"), ("site", "base_url"), "site.base_url", required=True)
    if base_url and not re.match(r"^https?://[^\s/]+", base_url):
        c.error(("site", "base_url"), "base-url")
    base_url = base_url.rstrip("/")
    search_api = c.string(site.get("search_api"), ("site", "search_api"), "site.search_api")
    if search_api and not _api_url(search_api):
        c.error(("site", "search_api"), "search-api")
        search_api = ""
    api = c.string(site.get("api"), ("site", "api"), "site.api")
    if api and not _api_url(api):
        c.error(("site", "api"), "api-url")
        api = ""
    edit_url = c.string(site.get("edit_url"), ("site", "edit_url"), "site.edit_url")
    if edit_url and not valid_edit_url(edit_url):
        c.error(("site", "edit_url"), "edit-url", url=edit_url)
        edit_url = ""
    if api and not search_api:
        search_api = f"{api.rstrip('/')}/api/v1/search"  # the static search asks the same server first

    languages = read_languages(c, data.get("languages"))
    codes = {lang.code for lang in languages}
    source = c.string(data.get("source_language"), ("source_language",), "source_language", required=True)
    if source and codes and source not in codes:
        c.error(("source_language",), "source-language-unknown", lang=source, known=", ".join(sorted(codes)))
    languages.sort(key=lambda lang: lang.code != source)  # source language first
    languages = resolve_languages(c, languages, data.get("languages"), source)

    tables = {}
    for table in ("categories", "answer_groups", "departments"):
        entries = c.mapping(data.get(table), (table,), table)
        if table == "categories" and not entries:
            c.error((table,), "categories-empty")
        out = {}
        for key, names in entries.items():
            if not KEY.match(str(key)):
                c.error((table, str(key)), "table-key-invalid", table=table, key=key)
            got = c.names(names, (table, str(key)), f"{table}.{key}", codes,
                          allow_plain=table == "departments")
            if "*" in got:
                got = {source: got["*"]}
            elif source not in got and table != "departments":
                c.error((table, str(key)), "table-source-name", table=table, key=key, source=source)
            out[str(key)] = got
        tables[table] = out

    featured = data.get("featured") or []
    if not isinstance(featured, list) or not all(isinstance(x, str) for x in featured):
        c.error(("featured",), "featured-shape")
        featured = []
    notice, shown_from, shown_until = _notice(c, data.get("notice"), codes, today or dt.date.today())
    contact = _contact(c, data.get("contact"))
    # Other errors in site.yml are reported and the articles are still checked against what could be read (one
    # run reports every problem; content with errors is never indexed or built); without the languages, the source
    # language or a category there is nothing to check them against.
    if not languages or not source or source not in codes or not tables["categories"]:
        return None
    return SiteConfig(path, name, base_url, source, languages, tables["categories"],
                      tables["answer_groups"], tables["departments"], contact, featured, notice, doc,
                      shown_from, shown_until, search_api, api, edit_url)


def _notice(c: _Checker, value: Any, codes: set[str],
            today: dt.date) -> tuple[dict[str, str], dt.date | None, dt.date | None]:
    """The notice's texts and dates; warnings for a notice that is over or missing a published language."""
    value = dict(c.mapping(value, ("notice",), "notice"))
    days: dict[str, dt.date | None] = {}
    for key in ("from", "until"):
        day = value.pop(key, None)
        if isinstance(day, str):
            with contextlib.suppress(ValueError):  # not a date: reported just below
                day = dt.date.fromisoformat(day)
        if day is not None and not isinstance(day, dt.date):
            c.error(("notice", key), "notice-date", key=key)
            day = None
        days[key] = day
    texts = c.names(value, ("notice",), "notice", codes)
    start, end = days["from"], days["until"]
    if start and end and end < start:
        c.error(("notice", "until"), "notice-order", until=end, start=start)
    elif texts and end and end < today:
        c.warn(("notice", "until"), "notice-ended", date=end)
    elif texts:
        for code in sorted(codes - set(texts)):
            c.warn(("notice",), "notice-language", lang=code)
    return texts, start, end


def _origin(url: str) -> str | None:
    """scheme://host[:port] of *url*, None for an empty one."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _api_url(url: str) -> bool:
    """A URL the static site's search may ask: https (http on the machine itself), a host, nothing else.
    It goes into the Content-Security-Policy: a space, quote or semicolon would change the policy."""
    if re.search(r"[\s'\";,<>\\]", url):
        return False
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a bad port
    except ValueError:
        return False
    local = parts.hostname in ("localhost", "127.0.0.1")
    return (parts.scheme == "https" or (parts.scheme == "http" and local)) and bool(parts.hostname) \
        and not parts.username and not parts.password and not parts.query and not parts.fragment


def _contact(c: _Checker, value: Any) -> Contact:
    known = ("name", "phone", "email", "address", "hours", "exceptions")
    data = c.mapping(value, ("contact",), "contact")
    for key in data:
        if key not in known:
            c.error(("contact", str(key)), "contact-key-unknown", key=key,
                    suggestion=close_match(str(key), list(known)), known=", ".join(known))
    contact = Contact(
        name=c.string(data.get("name"), ("contact", "name"), "contact.name") or "Kontaktcenter",
        phone=c.string(data.get("phone"), ("contact", "phone"), "contact.phone"),
        email=c.string(data.get("email"), ("contact", "email"), "contact.email"),
        address=c.string(data.get("address"), ("contact", "address"), "contact.address"),
    )
    for day, hours in c.mapping(data.get("hours"), ("contact", "hours"), "contact.hours").items():
        keys = ("contact", "hours", str(day))
        if day not in WEEKDAYS:
            c.error(keys, "weekday-unknown", day=day)
        elif _valid_hours(c, hours, keys):
            contact.hours[day] = str(hours)
    for day, hours in c.mapping(data.get("exceptions"), ("contact", "exceptions"),
                                "contact.exceptions").items():
        keys = ("contact", "exceptions", str(day))
        date = day if isinstance(day, dt.date) else _parse_date(str(day))
        if date is None:
            c.error(keys, "exception-date", day=day)
        elif _valid_hours(c, hours, keys):
            contact.exceptions[date] = str(hours)
    return contact


def _valid_hours(c: _Checker, hours: Any, keys: tuple[str, ...]) -> bool:
    if hours == "closed" or (isinstance(hours, str) and HOURS.match(hours)):
        return True
    c.error(keys, "hours-invalid", hours=hours)
    return False


def _parse_date(text: str) -> dt.date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
