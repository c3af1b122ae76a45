"""What the public pages show of one article, as far as other pages and the build record need it: its
:class:`PageFacts`, worked out once when it is rendered and kept in its content-cache entry
(:mod:`portal.build.contentcache`), so that a build reads them instead of unpickling the article.
:mod:`portal.build.published` builds the static site's view of every public article from them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import NamedTuple

from portal.content.model import Article

# Every "/segment/" of the HTML, overlapping ones included: "/k/" is in the HTML exactly when "k" is here.
_SEGMENT = re.compile(r"(?=/([a-z0-9-]+)/)")


@dataclass(frozen=True)
class PageFacts:
    """What the public pages show of one article, as far as other pages and the build record need it (its
    dates from git apart: they change with a commit, these only with the article's files or its links)."""

    print: str  # a fingerprint of everything its own pages show, but the dates
    category: str
    versions: tuple[ListedVersion, ...]  # what a list shows of each version, source first
    e_service: bool  # does it lead to an e-service (a list marks it)
    redirect_from: tuple[str, ...]
    links: frozenset[str]  # its related ids and every "/segment/" of its HTML (the ids its pages link to)
    attachments: tuple[str, ...]  # paths relative to its folder
    easy: ListedVersion | None = None  # its easy-read text (lattlast.md), as the easy-read index lists it

    def version(self, lang: str) -> ListedVersion | None:
        """Its version in *lang*, or None."""
        for v in self.versions:
            if v.lang == lang:
                return v
        return None

    def title(self, lang: str) -> str:
        """Its title in *lang*, or the source's where it has no version in *lang*."""
        return (self.version(lang) or self.versions[0]).title


class ListedVersion(NamedTuple):
    """What a list of articles shows of one language version."""

    lang: str
    title: str
    summary: str


def listed_versions(a: Article) -> tuple[ListedVersion, ...]:
    """What a list shows of each version of *a*, source first."""
    return tuple(ListedVersion(v.lang, v.title, v.summary) for v in a.versions.values())


def listed_easy(a: Article) -> ListedVersion | None:
    """What the easy-read index shows of *a*'s easy-read text, None when it has none."""
    return ListedVersion(a.easy.lang, a.easy.title, a.easy.summary) if a.easy is not None else None


def page_facts(a: Article) -> PageFacts:
    """The :class:`PageFacts` of rendered article *a* (never its internal parts)."""
    h = hashlib.blake2b(digest_size=12)
    ss = a.self_service
    small = [a.id, a.category, a.department, a.publish_from, a.expires,
             (ss.url, ss.label, ss.login, ss.needs) if ss else None, a.related, a.redirect_from]
    h.update(repr(small).encode())
    links = set(a.related)
    for key, v in a.texts.items():  # a version's text is derived from its HTML: the HTML stands for both
        h.update(b"\0v" + repr((key, v.title, v.summary, v.keywords, v.self_service_label,
                                 v.self_service_needs)).encode())
        h.update(b"\0h" + v.html.encode())
        links.update(_SEGMENT.findall(v.html))
    attachments = []
    for path in a.attachments:
        rel = path.relative_to(a.folder).as_posix()
        attachments.append(rel)
        h.update(b"\0f" + rel.encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes() if path.is_file() else b"").digest())
    return PageFacts(h.hexdigest(), a.category, listed_versions(a), a.self_service is not None,
                     tuple(a.redirect_from), frozenset(links), tuple(attachments), listed_easy(a))
