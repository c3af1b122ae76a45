"""The benchmark's query sets, drawn deterministically from a content folder.

Three kinds, as an agent or a citizen types them:

* ``words``: 1–3-word queries from article titles and keywords (``slutbesked``, ``avgift förskoleplats``,
  ``ansöka om parkeringstillstånd``); about a fifth are English, from the translations.
* ``prefix``: the same kind of query cut inside its last word, sent with ``prefix=True`` (as you type).
* ``typo``: a query with one edit (swap, drop, double or replace a letter) in a word of six letters or more.

Agents and the public get different queries (:func:`audience_queries`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import yaml

KINDS = ("words", "prefix", "typo")
LETTERS = "abcdefghijklmnoprstuvyäö"


@dataclass(frozen=True)
class Query:
    """One query as sent: its text, language, whether the last word is unfinished, and its kind."""

    text: str
    lang: str
    prefix: bool
    kind: str


def _front(path: Path) -> dict:
    text = path.read_text("utf-8")
    if not text.startswith("---"):
        return {}
    return yaml.safe_load(text.split("---\n", 2)[1]) or {}


def phrases(root: Path, sample: int, rng: random.Random) -> dict[str, list[str]]:
    """Titles and keywords of a sample of articles, per language (sv, en)."""
    folders = sorted(p for p in Path(root).iterdir() if (p / "sv.md").is_file())
    chosen = rng.sample(folders, k=min(sample, len(folders)))
    out: dict[str, list[str]] = {"sv": [], "en": []}
    for folder in chosen:
        for lang in ("sv", "en"):
            path = folder / f"{lang}.md"
            if path.is_file():
                front = _front(path)
                out[lang].append(str(front.get("title", "")))
                out[lang].extend(str(k) for k in front.get("keywords") or [])
    return out


def _words(phrase: str) -> list[str]:
    return [w.strip(".,?!:;()").lower() for w in phrase.split() if w.strip(".,?!:;()")]


def word_query(pool: list[str], rng: random.Random) -> str:
    """1–3 words from one title or keyword phrase (whole phrase when it is short)."""
    words = _words(rng.choice(pool))
    n = min(len(words), rng.choice((1, 2, 3)))
    start = rng.randint(0, len(words) - n)
    return " ".join(words[start:start + n])


def typo(word: str, rng: random.Random) -> str:
    """*word* with one realistic edit, never in its first letter."""
    i = rng.randint(1, len(word) - 2)
    edit = rng.choice(("swap", "drop", "double", "replace"))
    if edit == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if edit == "drop":
        return word[:i] + word[i + 1:]
    if edit == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice([c for c in LETTERS if c != word[i]]) + word[i + 1:]


def make_queries(root: Path, per_kind: int, seed: int = 7, en_share: float = 0.2,
                 exclude: frozenset[tuple[str, str, bool]] = frozenset()) -> list[Query]:
    """*per_kind* queries of each kind, in a fixed order for a given content folder and seed; none of *exclude*
    (``(text, lang, prefix)``) unless the content has too few phrases for that."""
    rng = random.Random(seed)
    pools = phrases(root, max(50, per_kind), rng)
    out: list[Query] = []
    seen: set[tuple[str, str, bool]] = set(exclude)
    for kind in KINDS:
        made = tries = 0
        while made < per_kind:
            tries += 1
            lang = "en" if pools["en"] and rng.random() < en_share else "sv"
            text = word_query(pools[lang], rng)
            if not text:
                continue
            if kind == "prefix":
                words = text.split()
                last = words[-1]
                if len(last) < 4:
                    continue
                words[-1] = last[: rng.randint(2, len(last) - 1)]
                text = " ".join(words)
            elif kind == "typo":
                words = text.split()
                long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
                if not long:
                    continue
                i = rng.choice(long)
                words[i] = typo(words[i], rng)
                text = " ".join(words)
            if (text, lang, kind == "prefix") in seen and tries < 100 * per_kind:
                continue  # each query once: the product caches results, the benchmark measures searching
            seen.add((text, lang, kind == "prefix"))
            out.append(Query(text, lang, kind == "prefix", kind))
            made += 1
    return out


def audience_queries(root: Path, per_kind: int) -> dict[str, list[Query]]:
    """The agents' queries (:func:`make_queries`, seed 7) and other ones for the public (seed 8, none of the
    agents'): the product caches per question (results per audience, the semantic model's question vectors for
    all), so the public's searches must not find the agents' questions already answered."""
    agent = make_queries(root, per_kind)
    public = make_queries(root, per_kind, seed=8, exclude=frozenset((q.text, q.lang, q.prefix) for q in agent))
    return {"agent": agent, "public": public}
