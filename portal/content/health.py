"""Content health for editors: reviews due, missing and outdated translations, public articles
without an e-service, articles nothing links to, and the searches that found nothing."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from portal.content.catalogues import Messages
from portal.content.crosscheck import article_links
from portal.content.model import Corpus

DUE_SOON_DAYS = 30


@dataclass
class Health:
    """Everything an editor should look at, computed from the corpus (and the search log)."""

    overdue: dict[str, list[str]] = field(default_factory=dict)      # owner -> ids past review_by
    due_soon: dict[str, list[str]] = field(default_factory=dict)     # owner -> ids due within 30 days
    overdue_by_department: dict[str, list[str]] = field(default_factory=dict)
    missing_translations: dict[str, list[str]] = field(default_factory=dict)   # lang -> ids
    outdated_translations: dict[str, list[str]] = field(default_factory=dict)  # lang -> ids
    without_eservice: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    zero_result_searches: list[tuple[str, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form."""
        return {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.__dict__.items()}


def content_health(corpus: Corpus, today: dt.date | None = None,
                   zero_results: list[tuple[str, int]] | None = None) -> Health:
    """Compute the health report for *corpus* on *today*."""
    today = today or dt.date.today()
    h = Health(zero_result_searches=list(zero_results or []))
    overdue, soon, by_dept = defaultdict(list), defaultdict(list), defaultdict(list)
    missing, outdated = defaultdict(list), defaultdict(list)
    linked: set[str] = set(corpus.site.featured)
    for article in sorted(corpus.articles.values(), key=lambda a: a.id):
        owner = article.owner or "(ingen ägare)"
        if article.review_by and article.review_by < today:
            overdue[owner].append(article.id)
            by_dept[article.department or "(ingen förvaltning)"].append(article.id)
        elif article.review_by and article.review_by <= today + dt.timedelta(days=DUE_SOON_DAYS):
            soon[owner].append(article.id)
        if article.status == "draft":
            h.drafts.append(article.id)
        if article.is_expired(today):
            h.expired.append(article.id)
        targets = list(article.related)
        for version in article.versions.values():
            targets.extend(target for target, _line in article_links(version.body))
        linked.update(found.id for t in targets if (found := corpus.resolve(t)) is not None)
        if not article.is_public(today):
            continue
        if article.self_service is None:
            h.without_eservice.append(article.id)
        for lang in corpus.site.language_codes:
            version = article.version(lang)
            if version is None:
                missing[lang].append(article.id)
            elif version.outdated:
                outdated[lang].append(article.id)
    h.orphans = sorted(a.id for a in corpus.articles.values() if a.is_public(today) and a.id not in linked)
    h.overdue, h.due_soon, h.overdue_by_department = dict(overdue), dict(soon), dict(by_dept)
    h.missing_translations, h.outdated_translations = dict(missing), dict(outdated)
    return h


def format_text(h: Health, corpus: Corpus, messages: Messages | None = None) -> str:
    """The report as plain text for the terminal, in the language of *messages* (English without)."""
    said = messages or Messages("en")
    lines: list[str] = []

    def section(title: str, rows: list[str], count: int | None = None) -> None:
        lines.append(f"{title} ({len(rows) if count is None else count})")
        lines.extend(f"  {row}" for row in rows or ["–"])
        lines.append("")

    def id_list(title: str, ids: list[str]) -> None:
        section(title, [", ".join(ids)] if ids else [], len(ids))

    section(said.gettext("Review overdue, by owner"),
            [f"{o}: {', '.join(ids)}" for o, ids in sorted(h.overdue.items())])
    section(said.gettext("Review overdue, by department"),
            [f"{corpus.site.department_name(d, corpus.site.source_language) or d}: {', '.join(ids)}"
             for d, ids in sorted(h.overdue_by_department.items())])
    section(said.gettext("Review due within %(days)s days", days=DUE_SOON_DAYS),
            [f"{o}: {', '.join(ids)}" for o, ids in sorted(h.due_soon.items())])
    section(said.gettext("Outdated translations"),
            [f"{lang}: {', '.join(ids)}" for lang, ids in sorted(h.outdated_translations.items())])
    section(said.gettext("Missing translations"),
            [f"{lang}: " + said.ngettext("%(num)d article", "%(num)d articles", len(ids))
             for lang, ids in sorted(h.missing_translations.items())])
    id_list(said.gettext("Public articles without an e-service"), h.without_eservice)
    id_list(said.gettext("Articles nothing links to"), h.orphans)
    id_list(said.gettext("Drafts"), h.drafts)
    id_list(said.gettext("Expired (no longer public)"), h.expired)
    section(said.gettext("Searches that found nothing"), [f"{n:4}× {q}" for q, n in h.zero_result_searches])
    return "\n".join(lines).rstrip() + "\n"
