"""What the static site's search script knows about the words of the site: a lexicon per language.

Pagefind (portal/build/staticsearch.py) matches the words a citizen types, all of them, as prefixes. It has no
notion of stop words, typos, Swedish compounds or synonyms. ``portal/static/public/searchplan.js`` rewrites
the query before Pagefind sees it, and needs to know which words the site's pages hold. This module writes
that, from the frozen pages themselves (so only what is published can enter it), with the same analysis as
the agents' search (portal/search/analysis.py: normalising, stop words, the compound splitter):

* ``pagefind/lexicon/<lang>.json``: the shard table (first letter(s) of a word → file name);
* ``pagefind/lexicon/<lang>-<key>.<hash>.json``: the words of one shard, each with whether the small Pagefind
  bundle has it (titles, summaries, keywords), how many pages have it anywhere (the full-text bundle), and
  the compounds it is a later part of, as the Swedish compound splitter reads them (so that "tillstånd"
  finds "serveringstillstånd", which Pagefind's prefix match cannot); a part that is on no page by itself
  ("omsorg" of "barnomsorg") is there too, with its compounds only.

A query loads the shard of each of its words' first letters only (bench/RESULTS.md, "Static search as good
as the server's": bytes at 10,000 articles). The stop words and synonyms are in the search page itself
(portal/web/public.py, ``search_data``).
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from portal.content.model import EASY_READ
from portal.search.analysis import Decompounder, Lexicon, Stem, hunspell_lexicon, normalize, stopwords, tokenize

LEXICON_DIR = "lexicon"
SHARD_WORDS = 1500  # a first letter with more words than this is split by its first two letters
MAX_CONTAINERS = 4  # compounds listed per part word: the most common ones (each one more search)
# Compounds listed for a part on no page by itself: each is one more Pagefind search and index chunk (about
# 7 KB) for a query that has nothing else to go on; 4 made "tillstånd att servera alkohol" 211 KB at 10,000
# articles (bench/RESULTS.md), over the 200 KB a first query may download.
MAX_PART_CONTAINERS = 2
MIN_PART = 4  # a shorter part that is no word of its own ("tal", "lag") says too little by itself
_HTML_LANG = re.compile(r'<html[^>]*\blang="([^"]+)"')
_TEXT_LANG = re.compile(r'<div class="article-text" lang="([^"]+)"')
_TITLE = re.compile(r'<h1 data-pagefind-meta="title">(.*?)</h1>', re.S)
_SUMMARY = re.compile(r'<p class="lead" data-pagefind-meta="summary">(.*?)</p>', re.S)
_TERMS = re.compile(r'<div class="search-terms"[^>]*>(.*?)</div>', re.S)
_BODY = re.compile(r'<div class="article-body"[^>]*>(.*)</div>\s*<div class="search-terms"', re.S)
_IGNORED = re.compile(r'<(span|div|section|dl|aside)\b[^>]*data-pagefind-ignore[^>]*>.*?</\1>', re.S)
_TAG = re.compile(r"<[^>]+>")


@dataclass
class PageWords:
    """The words of one article page: those the small bundle indexes, and the body's."""

    lang: str
    text_lang: str
    small: set[str] = field(default_factory=set)
    body: set[str] = field(default_factory=set)


def _text(fragment: str) -> str:
    return html.unescape(_TAG.sub(" ", _IGNORED.sub(" ", fragment)))


def page_words(page: str) -> PageWords | None:
    """The words of an article page's indexed parts (None for a page Pagefind does not index)."""
    if "data-pagefind-body" not in page:
        return None
    m = _HTML_LANG.search(page)
    lang = m.group(1) if m else "sv"
    t = _TEXT_LANG.search(page)
    text_lang = t.group(1) if t else lang
    small = " ".join(_text(m.group(1)) for rx in (_TITLE, _SUMMARY, _TERMS) if (m := rx.search(page)))
    b = _BODY.search(page)
    words = PageWords(lang, text_lang)
    words.small = set(tokenize(normalize(small, text_lang)))
    words.body = set(tokenize(normalize(_text(b.group(1)), text_lang))) if b else set()
    return words


def _keep(word: str, stop: frozenset[str]) -> bool:
    return len(word) >= 2 and word.isalpha() and word not in stop


@dataclass
class LanguageLexicon:
    """Counts of one language's index: word → (pages in the small bundle, pages in the full text)."""

    lang: str
    pages: int = 0
    small: Counter = field(default_factory=Counter)
    full: Counter = field(default_factory=Counter)
    swedish: set[str] = field(default_factory=set)  # words met in Swedish text: compound splitting applies

    def add(self, page: PageWords, stop: frozenset[str]) -> None:
        """Count the words of one page of this language's index."""
        small = {w for w in page.small if _keep(w, stop)}
        full = small | {w for w in page.body if _keep(w, stop)}
        self.pages += 1
        self.small.update(small)
        self.full.update(full)
        if page.text_lang == "sv":
            self.swedish.update(full)


def shard_key(word: str, big: set[str]) -> str:
    """The shard a word is in: its first letter, or its first two when that letter's shard is split."""
    return word[:2] if word[:1] in big and len(word) >= 2 else word[:1]


def _file_key(key: str) -> str:
    # Letters such as å, ä, ö or Arabic ones in a file name are asking for trouble on some hosts.
    return "-".join(f"{ord(c):x}" for c in key)


def entries(lex: LanguageLexicon, decompounder: Decompounder | None, stem: Stem) -> dict[str, list]:
    """Each word's entry: [1 when the small bundle has it else 0, the pages that have it as a power of two
    (round(log2(1 + pages)): enough to weigh a word, half the bytes of the count), the compounds it is a later
    part of (parkeringstillstånd for tillstånd) or 0].

    A later part that no page has as a word of its own ("avgift" when the pages only say "hemtjänstavgift"
    and "parkeringsavgift") gets an entry too, under its stem: [1 when the small bundle has one of its
    compounds else 0, 0, its compounds]. The agents' index finds such a compound by its parts; Pagefind
    cannot, so the browser asks for the compounds instead."""
    out: dict[str, list] = {w: [1 if lex.small.get(w) else 0, round(math.log2(1 + n)), 0] for w, n in lex.full.items()}
    if decompounder is None:
        return out
    by_stem: dict[str, list[str]] = defaultdict(list)
    for word in out:
        by_stem[stem(word)].append(word)
    containers: dict[str, Counter] = defaultdict(Counter)
    part_only: dict[str, Counter] = defaultdict(Counter)
    for word in lex.swedish:
        parts = decompounder.split(word)
        for part in (parts or [])[1:]:
            # Not the first part: Pagefind finds "bygglovsansökan" for "bygglov" by itself (a prefix).
            for surface in by_stem.get(part, ()):
                if not word.startswith(surface):
                    containers[surface][word] = lex.full[word]
            if part not in by_stem and part not in out and _a_word(part, decompounder.lexicon.heads):
                part_only[part][word] = lex.full[word]
    for word, found in containers.items():
        out[word][2] = _most_common(found)
    for part, found in part_only.items():
        out[part] = [1 if any(lex.small.get(w) for w in found) else 0, 0, _most_common(found, MAX_PART_CONTAINERS)]
    return out


def _a_word(part: str, heads: set[str]) -> bool:
    # The splitter also ends words in "ning" (rit-ning) or "tion": fine in the agents' index, but nothing
    # a citizen searches for. A word the dictionary lets start a compound is one; a stem such as "arbet" or
    # "avbrot" (arbete, avbrott) is one when its word is.
    return len(part) >= MIN_PART and part.isalpha() and any(
        w in heads for w in (part, part + "e", part + "a", part + part[-1]))


def _most_common(found: Counter, most: int = MAX_CONTAINERS) -> str:
    return " ".join(w for w, _n in sorted(found.items(), key=lambda x: (-x[1], x[0]))[:most])


def _trim(entry: list) -> list:
    while entry and entry[-1] == 0:
        entry = entry[:-1]
    return entry


def write_language(dest: Path, lex: LanguageLexicon, decompounder: Decompounder | None) -> dict[str, str]:
    """Write one language's shards and shard table into *dest*; return the table."""
    words = entries(lex, decompounder, Stem("sv"))
    letters = Counter(w[0] for w in words)
    big = {c for c, n in letters.items() if n > SHARD_WORDS}
    shards: dict[str, dict[str, list]] = defaultdict(dict)
    for word in sorted(words):
        shards[shard_key(word, big)][word] = _trim(words[word])
    table: dict[str, str] = {}
    for key, shard in sorted(shards.items()):
        data = json.dumps(shard, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
        name = f"{lex.lang}-{_file_key(key)}.{hashlib.sha256(data).hexdigest()[:10]}.json"
        (dest / name).write_bytes(data)
        table[key] = name
    meta = {"version": 1, "lang": lex.lang, "pages": lex.pages, "split": sorted(big), "shards": table}
    (dest / f"{lex.lang}.json").write_text(json.dumps(meta, ensure_ascii=False, separators=(",", ":")), "utf-8")
    return table


def _stop_all(langs: set[str]) -> frozenset[str]:
    # A language's index also holds the source-language text of untranslated articles: the Swedish stop
    # words are no more worth a lookup there than in Swedish.
    out: set[str] = set(stopwords("sv"))
    for lang in langs:
        out |= stopwords(lang)
    return frozenset(out)


def write_lexicons(site: Path, bundle: Path) -> list[str]:
    """Read every article page of the frozen *site* and write the lexicons into ``bundle/lexicon``;
    return the languages written."""
    pages = []
    for path in [*site.glob("*/*/index.html"), *site.glob(f"*/*/{EASY_READ}/index.html")]:  # easy-read texts too
        if path.parts[-3] == "pagefind":
            continue
        found = page_words(path.read_text("utf-8", errors="replace"))
        if found is not None:
            if path.parent.name == EASY_READ:  # in the full-text bundle only (staticsearch.SMALL_EXCLUDE)
                found.body, found.small = found.body | found.small, set()
            pages.append(found)
    langs = {p.lang for p in pages}
    stop = _stop_all(langs)
    lexicons: dict[str, LanguageLexicon] = {}
    for page in pages:
        lexicons.setdefault(page.lang, LanguageLexicon(page.lang)).add(page, stop)
    dest = bundle / LEXICON_DIR
    dest.mkdir(parents=True, exist_ok=True)
    decompounder = None
    if any(lex.swedish for lex in lexicons.values()):
        stem = Stem("sv")
        base = hunspell_lexicon("sv")
        compound_lex = Lexicon(set(base.heads), set(base.tails), set(base.base))
        for lex in lexicons.values():
            compound_lex.add_words(lex.swedish, stem)
        decompounder = Decompounder(compound_lex, stem)
    for lex in lexicons.values():
        write_language(dest, lex, decompounder)
    return sorted(lexicons)
