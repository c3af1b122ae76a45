"""The content model: articles, their language versions, and the whole corpus."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from portal.content.siteconfig import SiteConfig
from portal.content.sourcefile import YamlDoc

AUDIENCES = ("public", "internal")
STATUSES = ("published", "draft")
ROSA_LEVELS = ("information", "radgivning", "vidarebefordran", "forenklad-myndighetsutovning")
# The easy-read variant of the source language (lättläst): its file's stem (lattlast.md), the last segment of its
# public URL (/sv/<id>/lattlast/) and its key among an article's texts. Not a language code (too long for one).
EASY_READ = "lattlast"


@dataclass
class SelfService:
    """The e-service that lets the citizen do the errand themselves."""

    url: str
    label: str
    login: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)


@dataclass
class Version:
    """One language file of an article (the source or a translation)."""

    lang: str
    path: Path
    title: str
    summary: str
    body: str
    body_line: int
    keywords: list[str] = field(default_factory=list)
    self_service_label: str | None = None
    self_service_needs: list[str] | None = None
    source_revision: str | None = None
    front: YamlDoc | None = None
    # Filled in by later stages:
    html: str = ""
    text: str = ""
    updated: dt.date | None = None
    revision: str | None = None
    outdated: bool = False


@dataclass
class Article:
    """One article folder: shared metadata, its language versions, internal notes, attachments."""

    id: str
    folder: Path
    source: Version
    category: str
    audience: str = "public"
    status: str = "published"
    answer_group: str | None = None
    department: str | None = None
    rosa: str | None = None
    self_service: SelfService | None = None
    related: list[str] = field(default_factory=list)
    owner: str | None = None
    review_by: dt.date | None = None
    publish_from: dt.date | None = None
    expires: dt.date | None = None
    redirect_from: list[str] = field(default_factory=list)
    translations: dict[str, Version] = field(default_factory=dict)
    internal_path: Path | None = None
    internal_md: str | None = None
    internal_html: str = ""
    internal_text: str = ""
    attachments: list[Path] = field(default_factory=list)
    internal_attachments: list[Path] = field(default_factory=list)
    # The easy-read Swedish text (lattlast.md): a variant of the source language, lang is the source's.
    easy: Version | None = None

    @property
    def versions(self) -> dict[str, Version]:
        """Every language version, source first."""
        return {self.source.lang: self.source, **self.translations}

    @property
    def texts(self) -> dict[str, Version]:
        """Every published text: the language versions (source first), then the easy-read variant under
        :data:`EASY_READ`. Git dates, outdated flags and link checks go over these."""
        texts = self.versions
        if self.easy is not None:
            texts[EASY_READ] = self.easy
        return texts

    def version(self, lang: str) -> Version | None:
        """The version in *lang*, or None."""
        return self.versions.get(lang)

    def is_public(self, today: dt.date) -> bool:
        """True when citizens may see the article today (public, published, in its date window)."""
        return (self.audience == "public" and self.status == "published"
                and (self.publish_from is None or self.publish_from <= today)
                and (self.expires is None or today < self.expires))

    def is_expired(self, today: dt.date) -> bool:
        """True when the article's `expires` date has passed."""
        return self.expires is not None and today >= self.expires

    def review_due(self, today: dt.date) -> bool:
        """True when the review date has passed."""
        return self.review_by is not None and self.review_by < today

    def self_service_for(self, lang: str) -> SelfService | None:
        """The e-service with its label and needs translated into *lang* where the translation has them."""
        return self.self_service_in(self.version(lang))

    def self_service_in(self, v: Version | None) -> SelfService | None:
        """The e-service with the label and needs of text *v* where it has them (the source's otherwise)."""
        if self.self_service is None:
            return None
        return SelfService(
            url=self.self_service.url,
            label=(v.self_service_label if v and v.self_service_label else self.self_service.label),
            login=list(self.self_service.login),
            needs=list(v.self_service_needs if v and v.self_service_needs is not None
                       else self.self_service.needs),
        )


@dataclass
class Corpus:
    """Everything in one content folder, loaded and validated."""

    root: Path
    site: SiteConfig
    articles: dict[str, Article]
    synonyms: list[list[str]] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)
    # Problems found while reading each article folder ("" for site.yml and synonyms.yml), kept so
    # that reloading one folder can replace just its own.
    load_problems: dict[str, list] = field(default_factory=dict)
    # Warnings from git history (outdated translations), kept for reloads that do not re-read git.
    history_problems: list = field(default_factory=list)
    # The facts (portal.content.crosscheck.ArticleFacts) of folders read but unusable (front matter that cannot be
    # read, a required key missing): not articles, but their links are checked and links to them are not "missing".
    unusable: dict = field(default_factory=dict)

    def public_articles(self, today: dt.date) -> list[Article]:
        """Articles citizens may see today, sorted by id."""
        return [a for a in sorted(self.articles.values(), key=lambda a: a.id) if a.is_public(today)]

    def resolve(self, article_id: str) -> Article | None:
        """The article with *article_id*, following `redirect_from` for old ids."""
        return self.articles.get(article_id) or self.articles.get(self.redirects.get(article_id, ""))
