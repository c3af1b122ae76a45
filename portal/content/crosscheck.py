"""The checks that need the whole corpus, over a small per-article summary instead of the articles.

Related ids, `article:` links, links from public text into `internal/`, `redirect_from` claims and the
featured articles of site.yml depend on other articles only through their ids, audiences and redirects.
:func:`facts_of` extracts what one article contributes (its links with their lines, its redirects, ...);
:func:`cross_check` runs every check over those facts. The content cache keeps the facts of each folder,
so a load that re-reads one article checks 10,000 without unpickling them; a load without the cache
computes the facts from the articles just read. Both give the same problems, in the same order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from portal.content.model import Article
from portal.content.problemtext import problem
from portal.content.siteconfig import SiteConfig, close_match
from portal.exceptions import Problem, display_path

# A link from public text to an agent-only file: one in `internal/`, or any file or folder whose name starts
# with "internal" in any case (portal.content.folderfiles), at any depth.
INTERNAL_FILE_LINK = re.compile(r"(?:\]\(\s*<?|^\s*\[[^\]]+\]:\s*<?)(?:\./)?(?:[^\s)>/:]+/)*internal",
                                re.MULTILINE | re.IGNORECASE)
# `[text](article:some-id)` or a reference definition `[ref]: article:some-id`.
ARTICLE_LINK = re.compile(r"(?:\]\(\s*<?|^\s*\[[^\]]+\]:\s*<?)article:([^)\s>#]*)", re.MULTILINE)


def article_links(markdown: str) -> list[tuple[str, int]]:
    """Every `article:ID` link target in *markdown*, with its 0-based line offset."""
    return [(m.group(1), markdown.count("\n", 0, m.start())) for m in ARTICLE_LINK.finditer(markdown)]


@dataclass(frozen=True)
class TextLinks:
    """The links of one text of an article (a language version's body, or internal.md)."""

    path: str
    public: bool  # public text may not link internal articles or files in internal/
    internal_files: tuple[int, ...]  # lines of links into internal/ (only collected for public text)
    links: tuple[tuple[str, int], ...]  # (target id, line) of every `article:` link


@dataclass(frozen=True)
class VersionFacts:
    """One language file of an article (or its easy-read variant), as git history needs it."""

    lang: str  # the language code, or EASY_READ for the easy-read variant
    path: str
    source_revision: str | None
    revision_line: int  # the line of `source_revision` (the front matter's first line when absent)


@dataclass(frozen=True)
class ArticleFacts:
    """What one article contributes to the whole-corpus checks and to the index's content record."""

    id: str
    audience: str
    status: str
    publish_from: dt.date | None
    expires: dt.date | None
    source_path: str
    redirect_from: tuple[str, ...]
    redirect_line: int
    related: tuple[tuple[str, int], ...]  # (id, line)
    texts: tuple[TextLinks, ...]
    versions: tuple[VersionFacts, ...]  # source first, as Article.texts (the easy-read last, as EASY_READ)

    def is_public(self, today: dt.date) -> bool:
        """As :meth:`portal.content.model.Article.is_public`."""
        return (self.audience == "public" and self.status == "published"
                and (self.publish_from is None or self.publish_from <= today)
                and (self.expires is None or today < self.expires))


def _text_links(markdown: str, path: str, first_line: int, public: bool) -> TextLinks:
    internal: tuple[int, ...] = ()
    if public and "internal" in markdown.casefold():  # the substring test first: most texts have no such link
        internal = tuple(first_line + markdown.count("\n", 0, m.start())
                         for m in INTERNAL_FILE_LINK.finditer(markdown))
    links: tuple[tuple[str, int], ...] = ()
    if "article:" in markdown:
        links = tuple((target, first_line + offset) for target, offset in article_links(markdown))
    return TextLinks(path, public, internal, links)


def facts_of(article: Article) -> ArticleFacts:
    """The facts of one loaded article."""
    front = article.source.front
    every = article.texts  # the language versions and the easy-read variant, keyed apart
    paths = {key: str(v.path) for key, v in every.items()}  # one string each: pickled once
    texts = [_text_links(v.body, paths[key], v.body_line, article.audience == "public") for key, v in every.items()]
    if article.internal_md and article.internal_path:
        texts.append(_text_links(article.internal_md, str(article.internal_path), 1, False))
    versions = tuple(VersionFacts(key, paths[key], v.source_revision,
                                  v.front.line("source_revision") if v.front else 1)
                     for key, v in every.items())
    return ArticleFacts(
        id=article.id, audience=article.audience, status=article.status, publish_from=article.publish_from,
        expires=article.expires, source_path=paths[article.source.lang], redirect_from=tuple(article.redirect_from),
        redirect_line=front.line("redirect_from") if front else 1,
        related=tuple((rid, front.line("related", str(i)) if front else 1) for i, rid in enumerate(article.related)),
        texts=tuple(texts), versions=versions,
    )


class Resolver:
    """Article ids to facts, following `redirect_from` for old ids (as :meth:`portal.content.model.Corpus.resolve`)."""

    def __init__(self, facts: Mapping[str, ArticleFacts], redirects: Mapping[str, str]):
        self.facts, self.redirects = facts, redirects

    def __call__(self, article_id: str) -> ArticleFacts | None:
        return self.facts.get(article_id) or self.facts.get(self.redirects.get(article_id, ""))

    def closest(self, article_id: str) -> str | None:
        """The existing id (or old id) closest to a misspelt *article_id*, for "Did you mean"."""
        return close_match(article_id, [*self.facts, *self.redirects])


def redirects_of(facts: Mapping[str, ArticleFacts], problems: list[Problem]) -> dict[str, str]:
    """The old ids that `redirect_from` sends to each article; conflicting claims go to *problems*."""
    redirects: dict[str, str] = {}
    for f in facts.values():
        if not f.redirect_from:
            continue
        shown = display_path(f.source_path)
        for old in f.redirect_from:
            if old in facts:
                problems.append(problem(shown, f.redirect_line, "redirect-existing", old=old))
            elif old in redirects and redirects[old] != f.id:
                problems.append(problem(shown, f.redirect_line, "redirect-claimed", old=old, other=redirects[old]))
            else:
                redirects[old] = f.id
    return redirects


def cross_check(facts: Mapping[str, ArticleFacts], site: SiteConfig) -> tuple[list[Problem], dict[str, str]]:
    """Every whole-corpus problem of *facts* (in corpus order) and the redirects they define."""
    problems: list[Problem] = []
    redirects = redirects_of(facts, problems)
    resolve = Resolver(facts, redirects)
    for f in facts.values():
        for rid, line in f.related:
            if rid == f.id:
                problems.append(problem(display_path(f.source_path), line, "related-self"))
            elif resolve(rid) is None:
                problems.append(problem(display_path(f.source_path), line, "related-missing", id=rid,
                                        suggestion=resolve.closest(rid)))
        for text in f.texts:
            _check_links(resolve, text, problems)
    for i, fid in enumerate(site.featured):
        target = resolve(fid)
        line = site.lines.line("featured", str(i)) if site.lines else 1
        if target is None:
            problems.append(problem(display_path(site.path), line, "featured-missing", id=fid,
                                    suggestion=resolve.closest(fid)))
        elif target.audience != "public":
            problems.append(problem(display_path(site.path), line, "featured-internal", id=fid))
    return problems, redirects


def _check_links(resolve: Resolver, text: TextLinks, problems: list[Problem]) -> None:
    for line in text.internal_files:
        problems.append(problem(display_path(text.path), line, "internal-file-link"))
    for target_id, line in text.links:
        target = resolve(target_id)
        if target is None:
            problems.append(problem(display_path(text.path), line, "link-missing", id=target_id,
                                    suggestion=resolve.closest(target_id)))
        elif text.public and target.audience != "public":
            problems.append(problem(display_path(text.path), line, "link-internal", id=target_id))
