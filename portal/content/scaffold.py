"""`portal new ID`: a new article folder with every front-matter key filled in and explained."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from portal.content.frontmatter import ID_PATTERN
from portal.content.load import RESERVED_IDS
from portal.content.siteconfig import SiteConfig
from portal.exceptions import PortalError

TEMPLATE = """\
---
# The question or errand in the citizen's own words (at most 200 characters).
title: {title}
# One or two sentences: shown in search results and to search engines (at most 400 characters).
summary: Skriv en eller två meningar som sammanfattar svaret.
# Category (one of: {categories}).
category: {category}
# public (default) or internal: an internal article is for agents only and never published.
audience: public
# draft while you write: visible to agents and in the preview, never on the public site.
status: draft
# Answer group that handles the errand (internal; one of: {answer_groups}).
answer_group: {answer_group}
# Department that owns the errand (one of: {departments}).
department: {department}
# How far the contact centre handles it: information, radgivning, vidarebefordran or forenklad-myndighetsutovning.
rosa: information
# The e-service that lets the citizen do it themselves. Remove these lines if there is none.
self_service:
  url: https://
  label: Ansök här
  login: [bankid, freja]   # or none
  needs:
    - BankID eller Freja eID+
# Words people use for this that are not in the text: everyday words, old names, abbreviations.
keywords: []
# Ids of related articles (their folder names). In the text, link one with [text](article:its-id).
related: []
# Who answers for the content (internal).
owner: {owner}
# When the content must be checked again (YYYY-MM-DD).
review_by: {review_by}
---
Skriv svaret här, i klarspråk. Börja med vem det gäller.

## Det här behöver du

- Skriv vad medborgaren behöver ha till hands.

## Så här gör du

1. Skriv stegen i ordning.
"""


def new_article(root: Path, article_id: str, site: SiteConfig, title: str | None = None,
                category: str | None = None, owner: str | None = None, today: dt.date | None = None) -> Path:
    """Create `<root>/<id>/<source>.md` from the template; return its path."""
    if not ID_PATTERN.match(article_id):
        raise PortalError(f"'{article_id}' is not a valid id: use lowercase a-z, 0-9 and '-' (e.g. 'bygglov')")
    if article_id in RESERVED_IDS:
        raise PortalError(f"'{article_id}' is reserved for the site's own pages; choose another id")
    folder = root / article_id
    if folder.exists():
        raise PortalError(f"{folder} already exists")
    if category is not None and category not in site.categories:
        raise PortalError(f"category '{category}' is not in site.yml; known: {', '.join(site.categories)}")
    today = today or dt.date.today()
    text = TEMPLATE.format(
        title=title or article_id.replace("-", " ").capitalize(),
        category=category or next(iter(site.categories)),
        categories=", ".join(site.categories),
        answer_group=next(iter(site.answer_groups), "") or "", answer_groups=", ".join(site.answer_groups) or "-",
        department=next(iter(site.departments), "") or "", departments=", ".join(site.departments) or "-",
        owner=owner or "namn@example.se",
        review_by=(today + dt.timedelta(days=365)).isoformat(),
    )
    folder.mkdir(parents=True)
    path = folder / f"{site.source_language}.md"
    path.write_text(text, "utf-8")
    return path
