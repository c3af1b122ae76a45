"""What the static build needs to know of every public article, without the articles themselves.

The pages that list articles (home, categories, A–Ö, the sitemap), the list of pages to freeze and the
build record of an incremental build (portal.build.incremental) need a few facts of each of 10,000 articles:
category, titles and summaries, dates, attachments, which ids its pages link to, a fingerprint of what its pages show.
An article's :class:`PageFacts` are worked out once, when it is rendered, and kept in its content-cache
entry (portal.build.cachedload), so that an incremental build after one edit reads them instead of unpickling
every article; the articles it renders are still the articles themselves. Without a content cache the
same facts are worked out from the articles in memory: both ways give equal values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from portal.build.pagefacts import ListedVersion, PageFacts, listed_easy, listed_versions, page_facts
from portal.content.model import Article, Corpus
from portal.render.localize import letter

if TYPE_CHECKING:
    from portal.build.cachedload import Loaded

# (lang, updated, outdated) of each version, source first, then the easy-read text's under EASY_READ
Dates = tuple[tuple[str, "dt.date | None", bool], ...]


@dataclass(frozen=True)
class Published:
    """One public article as the static build sees it: its page facts and its dates."""

    id: str
    page: PageFacts
    dates: Dates
    # Each A–Ö letter once: a build asks for 10,000 articles' letters several times per language.
    _letters: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def category(self) -> str:
        """Its category key."""
        return self.page.category

    @property
    def self_service(self) -> bool:
        """Does it lead to an e-service (as a list shows it: :attr:`portal.content.model.Article.self_service`)?"""
        return self.page.e_service

    def shown(self, lang: str) -> Listed:
        """How a list in *lang* shows it: its version there, or the source version as a fallback."""
        version = self.page.version(lang)
        return Listed(self, version or self.page.versions[0], version is None)

    def title(self, lang: str) -> str:
        """Its title on pages in *lang* (the source's as a fallback)."""
        return self.page.title(lang)

    def letter(self, lang: str) -> str:
        """The A–Ö letter it is listed under in *lang*."""
        found = self._letters.get(lang)
        if found is None:
            found = self._letters[lang] = letter(self.page.title(lang), lang)
        return found

    def fingerprint(self) -> str:
        """A fingerprint of everything its pages show, dates included."""
        h = hashlib.blake2b(self.page.print.encode(), digest_size=12)
        h.update(repr(self.dates).encode())
        return h.hexdigest()


class PublicSite:
    """The public articles of one build (by id, sorted) as :class:`Published`."""

    def __init__(self, items: Iterable[Published]):
        self.items: dict[str, Published] = {p.id: p for p in sorted(items, key=lambda p: p.id)}

    def __iter__(self) -> Iterator[Published]:
        return iter(self.items.values())

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self.items

    def __getitem__(self, article_id: str) -> Published:
        return self.items[article_id]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicSite) and self.items == other.items

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def of_corpus(cls, corpus: Corpus, today: dt.date) -> PublicSite:
        """From the articles in memory (each is read and hashed: every article is used)."""
        return cls(Published(a.id, page_facts(a), dates_of(a)) for a in corpus.articles.values()
                   if a.is_public(today))

    @classmethod
    def of_loaded(cls, loaded: Loaded, today: dt.date) -> PublicSite:
        """From a load's facts, page facts and git dates: no article is unpickled."""
        return cls(Published(aid, loaded.pages[aid], tuple(loaded.version_dates(aid)))
                   for aid, facts in loaded.facts.items() if facts.is_public(today))


def dates_of(a: Article) -> Dates:
    """(lang, updated, outdated) of each text of *a*: its versions, source first, then the easy-read one."""
    return tuple((key, v.updated, v.outdated) for key, v in a.texts.items())


def as_listed(a: Article) -> Published:
    """What the list pages show of *a* (no fingerprint, links or attachments): the live preview lists the
    articles in memory as they are, drafts included."""
    page = PageFacts("", a.category, listed_versions(a), a.self_service is not None, tuple(a.redirect_from),
                     frozenset(), (), listed_easy(a))
    return Published(a.id, page, dates_of(a))


@dataclass(frozen=True)
class Listed:
    """An entry of a list page, as :class:`portal.web.public.Shown` is for an article in memory (the list
    template takes either)."""

    article: Published
    version: ListedVersion
    fallback: bool

    @property
    def text_lang(self) -> str:
        """The language the text is actually in."""
        return self.version.lang
