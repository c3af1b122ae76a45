"""Searches that ask for easy-read Swedish (lättläst): "lättläst bygglov", "bygglov på lätt svenska".

The words that ask for it are taken out of the query (they name no errand), and each hit whose article has an
easy-read text (its source-language document's ``easy`` metadata, :mod:`portal.search.index.documents`) is shown
as that text: its title, summary and address, marked ``easy_read``; those hits come first. The static site's
search page does the same with Pagefind (portal/static/public/search.js, ``easyAsked``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from portal.search.results import Hit

# The words people use to ask for easy-read Swedish (any case, any ending: "lättlästa", "lättläst").
# Words on their own: "MARKER-EASY-READ-1" or "lättläst-versionen" is one word that asks for nothing.
EASY_WORDS = re.compile(r"(?<![\w-])(?:lättläst\w*|lattlast\w*|lätt\s+svenska|lättare\s+svenska|enkel\s+svenska|"
                        r"easy[- ]?read\w*|easy\s+swedish)(?![\w-])", re.IGNORECASE)


def asks_easy_read(query: str) -> tuple[str, bool]:
    """(*query* without the words that ask for easy-read Swedish, whether it asked). A query of nothing else
    is kept as it is."""
    if not EASY_WORDS.search(query):
        return query, False
    rest = " ".join(EASY_WORDS.sub(" ", query).split())
    rest = re.sub(r"(?<!\w)(?:på|in|som|på\s+en)\s*$", "", rest, flags=re.IGNORECASE).strip()  # "bygglov på …"
    return (rest or query), True


def prefer_easy_read(hits: list[Hit], metas: Iterable[dict[str, Any]]) -> list[Hit]:
    """*hits* with each one whose article has an easy-read text shown as that text, those first (in order)."""
    easy = {m["id"]: m["easy"] for m in metas if m.get("easy")}
    for hit in hits:
        found = easy.get(hit.id)
        if found is not None and not hit.fallback and hit.audience == "public":
            hit.title, hit.summary, hit.url, hit.easy_read = found["title"], found["summary"], found["url"], True
            hit.highlights = {}
    return [h for h in hits if h.easy_read] + [h for h in hits if not h.easy_read]
