"""What a search gives back: :class:`Hit` and :class:`SearchResult`, the highlights of the hits shown, and the
cache of recent results of one index generation. :mod:`portal.search.searcher` makes them.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, fields, replace
from typing import Any

from portal.search.highlight import excerpt, mark


@dataclass
class Hit:
    """One article in a result list, in the language it is shown in."""

    id: str
    lang: str
    title: str
    summary: str
    score: float
    audience: str
    url: str | None
    self_service_url: str | None
    self_service_label: str | None = None
    fallback: bool = False
    category: str = ""
    answer_group: str | None = None
    department: str | None = None
    status: str = "published"
    review_by: str | None = None
    outdated: bool = False
    updated: str | None = None
    langs: list[str] = field(default_factory=list)
    in_internal: bool = False
    publish_from: str | None = None
    expires: str | None = None
    # A confident answer (portal.search.hybrid): "we have no answer to that" can be told from an answer.
    confident: bool = False
    # The hit shows the article's easy-read text, asked for by the query (portal.search.easyread).
    easy_read: bool = False
    highlights: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Every field, as JSON-ready values (a flat copy: dataclasses.asdict's deep copy cost more than
        the rest of the answer)."""
        d = {name: getattr(self, name) for name in _HIT_FIELDS}
        d["langs"], d["highlights"] = list(self.langs), dict(self.highlights)
        return d

    def public_dict(self) -> dict[str, Any]:
        """The fields any caller may see (no routing, no internal notes)."""
        d = self.as_dict()
        for key in ("answer_group", "review_by", "in_internal", "publish_from", "expires"):
            d.pop(key)
        d["highlights"] = {k: v for k, v in self.highlights.items() if k != "internal"}
        return d


_HIT_FIELDS = tuple(f.name for f in fields(Hit))


@dataclass
class SearchResult:
    """Hits plus what the searcher may want to hear: a spelling suggestion, the language used."""

    query: str
    lang: str
    hits: list[Hit]
    suggestion: str | None = None
    mode: str = "lexical"  # how it was ranked: "lexical", or "hybrid" (with the multilingual model)
    # Where the errand belongs when it is another authority's (a portal.search.elsewhere.Referral), else None.
    elsewhere: Any = None

    @property
    def answered(self) -> int:
        """The hits that count as an answer: all of them when one is confident, else none (a search with no
        confident answer is a search that found little, for the editors' report of missing content)."""
        return len(self.hits) if any(h.confident for h in self.hits) else 0


class ResultCache:
    """The most recent search results of one index generation (agents repeat popular questions, and
    typing repeats prefixes); a new generation starts with an empty cache."""

    SIZE = 1024

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: OrderedDict[tuple, SearchResult] = OrderedDict()

    def get(self, key: tuple) -> SearchResult | None:
        with self._lock:
            found = self._data.get(key)
            if found is not None:
                self._data.move_to_end(key)
            return found

    def put(self, key: tuple, value: SearchResult) -> None:
        with self._lock:
            self._data[key] = value
            if len(self._data) > self.SIZE:
                self._data.popitem(last=False)


def copy_result(result: SearchResult) -> SearchResult:
    """A copy of a cached result that a caller may change without changing the cache."""
    return replace(result, hits=[Hit(**h.as_dict()) for h in result.hits])


def in_window(meta: dict[str, Any], today: dt.date) -> bool:
    start, end = meta.get("publish_from"), meta.get("expires")
    return not ((start and dt.date.fromisoformat(start) > today) or (end and dt.date.fromisoformat(end) <= today))


def add_highlights(hit: Hit, raw: list[Any], stems: set[str], internal: bool) -> None:
    found = next((r for r in raw if r.meta["id"] == hit.id and r.meta["lang"] == hit.lang), None)
    if found is None:
        return
    body, notes = found.texts()
    hit.highlights = {"title": mark(hit.title, stems, hit.lang), "summary": mark(hit.summary, stems, hit.lang),
                      "body": excerpt(body, stems, hit.lang)}
    if internal and notes:
        snippet = excerpt(notes, stems, "sv")
        if snippet:
            hit.highlights["internal"] = snippet
            hit.in_internal = True
