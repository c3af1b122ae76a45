"""Errands of other authorities: a question about one is told "not ours, ask them", not given a sure answer.

A municipal contact centre is asked daily about sickness benefit, passports or the dentist. The knowledge base
rightly has no article on them, but the search still finds the article nearest in words or meaning, and without
a sign that the errand belongs elsewhere a hit scored as high as an answer. The built-in list
(``portal/data/elsewhere.yml``) names each authority and the words of its errands in the languages the glossary
has. When a question holds one of those words and none of the first hits' titles and summaries do, the search marks no
hit confident and says where the errand belongs (:class:`Referral`): the agents can refer the caller, a citizen
is sent on, a chatbot on the API can say so. A word the municipality's own article is about never refers (a
question about the article that names it finds that article first, and its title or summary says the word).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from portal.search.results import Hit

_TOKEN = re.compile(r"[\w-]+")


@dataclass(frozen=True)
class Referral:
    """Where a question's errand belongs: the authority and its web site, and the word that said so."""

    id: str
    authority: str
    url: str
    word: str

    def as_dict(self) -> dict[str, str]:
        """JSON-ready fields."""
        return {"id": self.id, "authority": self.authority, "url": self.url, "word": self.word}


def tokens(text: str) -> tuple[str, ...]:
    """The words of *text* as the list is matched: NFC, case folded, hyphens kept (f-skatt, id-kort)."""
    return tuple(t.strip("-") for t in _TOKEN.findall(unicodedata.normalize("NFC", text).casefold()) if t.strip("-"))


@functools.cache
def authorities() -> tuple[tuple[Referral, tuple[tuple[str, ...], ...]], ...]:
    """The built-in list: each authority (as a :class:`Referral` without a word) and its words as token tuples."""
    data: list[dict[str, Any]] = yaml.safe_load(
        resources.files("portal.data").joinpath("elsewhere.yml").read_text("utf-8"))
    out = []
    for entry in data:
        forms = tuple(dict.fromkeys(t for w in entry["words"] if (t := tokens(str(w)))))
        out.append((Referral(entry["id"], entry["authority"], entry["url"], ""), forms))
    return tuple(out)


def _holds(words: tuple[str, ...], form: tuple[str, ...]) -> bool:
    n = len(form)
    return any(words[i:i + n] == form for i in range(len(words) - n + 1))


OWN_HITS = 3  # the hits whose title or summary may name the word themselves


def referral(question: str, hits: list[Hit]) -> Referral | None:
    """The authority whose errand *question* names, unless one of the first *hits* names it in its title or
    summary too (the municipality's own article on that word); None when it names no other authority's errand."""
    words = tokens(question)
    own: list[tuple[str, ...]] | None = None  # the hits' words, read only once a form is found (most searches: none)
    for authority, forms in authorities():
        for form in forms:
            if not _holds(words, form):
                continue
            if own is None:
                own = [tokens(f"{h.title} {h.summary}") for h in hits[:OWN_HITS]]
            if not any(_holds(o, form) for o in own):
                return Referral(authority.id, authority.authority, authority.url, " ".join(form))
    return None
