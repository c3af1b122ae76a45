"""`portal new ID`: a new article folder with every front-matter key filled in and explained.

The file is a draft that passes `portal check` as written: the e-service lines are there but commented out (an
empty address would be an error), to be opened when the errand has one. Its comments are in Swedish for Swedish
content, in English otherwise (or as ``--lang`` says).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from portal.content.catalogues import Messages
from portal.content.frontmatter import ID_PATTERN
from portal.content.load import RESERVED_IDS
from portal.content.siteconfig import SiteConfig
from portal.exceptions import PortalError

TEMPLATE_SV = """\
---
# Frågan eller ärendet med medborgarens egna ord (högst 200 tecken).
title: {title}
# En eller två meningar: visas i sökresultat och för sökmotorer (högst 400 tecken).
summary: Skriv en eller två meningar som sammanfattar svaret.
# Kategori (en av: {categories}).
category: {category}
# public (standard) eller internal: en intern artikel är bara för handläggarna och publiceras aldrig.
audience: public
# draft medan du skriver: syns för handläggarna och i förhandsvisningen, aldrig på den publika webbplatsen.
# Sätt status: published när artikeln är klar.
status: draft
# Svarsgruppen som tar hand om ärendet (internt; en av: {answer_groups}).
answer_group: {answer_group}
# Förvaltningen som äger ärendet (en av: {departments}).
department: {department}
# Hur långt kontaktcenter hanterar ärendet: information, radgivning, vidarebefordran eller
# forenklad-myndighetsutovning.
rosa: information
# E-tjänsten där medborgaren gör ärendet själv. Finns det en: ta bort # framför de fem raderna och skriv
# e-tjänstens adress (den måste börja med https://).
# self_service:
#   url: https://e-tjanster.example.se/{id}
#   label: Ansök här
#   login: [bankid, freja]   # eller none
#   needs: [BankID eller Freja eID+]
# Ord som folk använder om detta men som inte står i texten: vardagsord, gamla namn, förkortningar.
keywords: []
# Id för relaterade artiklar (deras mappnamn). I texten länkar du till en med [text](article:dess-id).
related: []
# Vem som ansvarar för innehållet (internt).
owner: {owner}
# När innehållet ska granskas igen (ÅÅÅÅ-MM-DD).
review_by: {review_by}
---
Skriv svaret här, i klarspråk. Börja med vem det gäller.

## Det här behöver du

- Skriv vad medborgaren behöver ha till hands.

## Så här gör du

1. Skriv stegen i ordning.
"""

TEMPLATE_EN = """\
---
# The question or errand in the citizen's own words (at most 200 characters).
title: {title}
# One or two sentences: shown in search results and to search engines (at most 400 characters).
summary: Write one or two sentences that sum up the answer.
# Category (one of: {categories}).
category: {category}
# public (default) or internal: an internal article is for agents only and never published.
audience: public
# draft while you write: visible to agents and in the preview, never on the public site.
# Set status: published when the article is ready.
status: draft
# Answer group that handles the errand (internal; one of: {answer_groups}).
answer_group: {answer_group}
# Department that owns the errand (one of: {departments}).
department: {department}
# How far the contact centre handles it: information, radgivning, vidarebefordran or forenklad-myndighetsutovning.
rosa: information
# The e-service that lets the citizen do it themselves. If there is one: remove the # before the five lines and
# write the e-service's address (it must start with https://).
# self_service:
#   url: https://e-services.example.org/{id}
#   label: Apply here
#   login: [bankid, freja]   # or none
#   needs: [BankID or Freja eID+]
# Words people use for this that are not in the text: everyday words, old names, abbreviations.
keywords: []
# Ids of related articles (their folder names). In the text, link one with [text](article:its-id).
related: []
# Who answers for the content (internal).
owner: {owner}
# When the content must be checked again (YYYY-MM-DD).
review_by: {review_by}
---
Write the answer here, in plain language. Start with who it is for.

## What you need

- Write what the citizen needs to have at hand.

## How to do it

1. Write the steps in order.
"""


def _yaml_text(value: str) -> str:
    """*value* as a YAML scalar: plain when it reads as plain text, else double-quoted (a title with ': ' or a
    quote would otherwise break the front matter)."""
    value = " ".join(value.split())
    if re.fullmatch(r"[^\W\d_][\w .,()?!@+/-]*", value) and ": " not in value:
        return value
    return json.dumps(value, ensure_ascii=False)


def new_article(root: Path, article_id: str, site: SiteConfig, title: str | None = None,
                category: str | None = None, owner: str | None = None, today: dt.date | None = None,
                messages: Messages | None = None) -> Path:
    """Create `<root>/<id>/<source>.md` from the template (comments in Swedish when *messages* are Swedish,
    else in English); return its path. A refusal is a PortalError in the messages' language."""
    said = messages or Messages("en")
    if not ID_PATTERN.match(article_id):
        raise PortalError(said.gettext("'%(id)s' is not a valid id: use lowercase a-z, 0-9 and '-' (e.g. "
                                       "'bygglov')", id=article_id))
    if article_id in RESERVED_IDS:
        raise PortalError(said.gettext("'%(id)s' is reserved for the site's own pages; choose another id",
                                       id=article_id))
    folder = root / article_id
    if folder.exists():
        raise PortalError(said.gettext("%(folder)s already exists", folder=folder))
    if category is not None and category not in site.categories:
        raise PortalError(said.gettext("category '%(category)s' is not in site.yml; known: %(known)s",
                                       category=category, known=", ".join(site.categories)))
    today = today or dt.date.today()
    template = TEMPLATE_SV if said.lang == "sv" else TEMPLATE_EN
    text = template.format(
        id=article_id,
        title=_yaml_text(title or article_id.replace("-", " ").capitalize()),
        category=category or next(iter(site.categories)),
        categories=", ".join(site.categories),
        answer_group=next(iter(site.answer_groups), "") or "", answer_groups=", ".join(site.answer_groups) or "-",
        department=next(iter(site.departments), "") or "", departments=", ".join(site.departments) or "-",
        owner=_yaml_text(owner or ("namn@example.se" if said.lang == "sv" else "name@example.org")),
        review_by=(today + dt.timedelta(days=365)).isoformat(),
    )
    folder.mkdir(parents=True)
    path = folder / f"{site.source_language}.md"
    path.write_text(text, "utf-8")
    return path
