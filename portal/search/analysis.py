"""Text analysis for search, in pure Python: tokenising, stop words, stemming, Swedish compounds.

Text is analysed here, outside Whoosh, and indexed as ready-made terms. That keeps the index schema
free of custom classes (Whoosh pickles analyzers) and keeps large tables such as the compound
lexicon out of the index and out of each web worker.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources

import Stemmer

STEMMER_NAMES = {
    "sv": "swedish", "en": "english", "fi": "finnish", "ar": "arabic", "fa": "persian", "da": "danish",
    "no": "norwegian", "nb": "norwegian", "nn": "norwegian", "de": "german", "fr": "french", "es": "spanish",
    "it": "italian", "pt": "portuguese", "nl": "dutch", "ru": "russian", "tr": "turkish", "pl": "polish",
    "el": "greek", "hu": "hungarian", "ro": "romanian", "lt": "lithuanian", "et": "estonian",
    "fit": "finnish",  # Meänkieli inflects as Finnish does (no stemmer of its own)
}
_WORD = re.compile(r"\w+", re.UNICODE)
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")  # tashkeel and tatweel
_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
MIN_COMPOUND = 6
MIN_PART = 3
LINKS = ("s", "e", "a", "u", "o", "")
TAIL_ENDINGS = ("arna", "erna", "orna", "ens", "ets", "er", "ar", "or", "en", "et", "na", "n", "s", "t", "a", "e")


@functools.cache
def stopwords(lang: str) -> frozenset[str]:
    """The stop words of *lang* (empty for a language without a list)."""
    text = resources.files("portal.data").joinpath("stopwords.txt").read_text("utf-8")
    for line in text.splitlines():
        if line.startswith(f"{lang}:"):
            return frozenset(normalize(w, lang) for w in line.split(":", 1)[1].split())
    return frozenset()


def normalize(word: str, lang: str) -> str:
    """Lowercase and fold what searchers type inconsistently (Arabic letter variants and marks)."""
    word = unicodedata.normalize("NFC", word).casefold()
    if lang in ("ar", "fa"):
        word = _ARABIC_MARKS.sub("", word).translate(_ARABIC_FOLD)
    return word


def tokenize(text: str) -> list[str]:
    """Split *text* into words (letters and digits); underscores and punctuation separate words."""
    return [w for w in _WORD.findall(text.replace("_", " ")) if w]


class Stem:
    """A language's stemmer: Snowball via PyStemmer, plus Swedish definite-form endings it leaves."""

    def __init__(self, lang: str):
        name = STEMMER_NAMES.get(lang.split("-")[0])
        self.lang = lang
        self._stemmer = Stemmer.Stemmer(name) if name else None
        self._cache: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        got = self._cache.get(word)
        if got is None:
            got = self._stemmer.stemWord(word) if self._stemmer else word
            if self.lang == "sv" and len(got) > 5 and got.endswith(("an", "et")):
                # Snowball keeps "-an"/"-et" (förskolan, tillståndet); searchers type the base form.
                got = got[:-2]
            if len(self._cache) < 200_000:
                self._cache[word] = got
        return got


@dataclass
class Lexicon:
    """Allowed compound parts: surface forms that may start a compound, stems that may end one."""

    heads: set[str] = field(default_factory=set)
    tails: set[str] = field(default_factory=set)
    base: set[str] = field(default_factory=set)  # every known word, for heads that change their vowel

    def add_words(self, words: Iterable[str], stem: Callable[[str], str]) -> None:
        """Let every word of *words* (4+ letters) serve as a head and a tail."""
        for w in words:
            if len(w) >= 4 and w.isalpha():
                self.heads.add(w)
                self.base.add(w)
                self.tails.add(stem(w))


class Decompounder:
    """Splits compounds against a lexicon, allowing the linking morphemes -s-, -e-, -a-, -u-, -o-."""

    def __init__(self, lexicon: Lexicon, stem: Callable[[str], str]):
        self.lexicon, self.stem = lexicon, stem
        self._stop = stopwords("sv")
        self._cache: dict[str, list[str] | None] = {}

    def _head(self, head: str) -> str | None:
        heads = self.lexicon.heads
        if head in self._stop:
            return None
        if head in heads:
            return self.stem(head)
        # förskole- (förskola), gatu- (gata), kyrko- (kyrka): the head drops or changes its final vowel.
        base = self.lexicon.base
        if head[-1] in "eou" and head[:-1] + "a" in base:
            return self.stem(head[:-1] + "a")
        if head + "a" in base:
            return self.stem(head + "a")
        return None

    def _tail(self, tail: str) -> str | None:
        if tail in self._stop:
            return None
        s = self.stem(tail)
        if s in self.lexicon.tails or tail in self.lexicon.base:
            return s
        # An inflected last part (insatser, ansökningar): its base form must be a known word.
        for ending in TAIL_ENDINGS:
            if tail.endswith(ending) and len(tail) - len(ending) >= MIN_PART:
                base = tail[: -len(ending)]
                if base in self.lexicon.base or self.stem(base) in self.lexicon.tails:
                    return s
        return None

    def split(self, word: str) -> list[str] | None:
        """Stems of the parts of *word* (fewest parts wins), or None when it is not a compound."""
        if len(word) < MIN_COMPOUND or not word.isalpha():
            return None
        if word in self._cache:
            return self._cache[word]
        best: list[str] | None = None
        for i in range(MIN_PART, len(word) - MIN_PART + 1):
            head = self._head(word[:i])
            if head is None:
                continue
            for link in LINKS:
                rest = word[i:]
                if link and not rest.startswith(link):
                    continue
                rest = rest[len(link):]
                if len(rest) < MIN_PART:
                    continue
                tail = self._tail(rest)
                parts = [tail] if tail else self.split(rest)
                # Fewest parts wins; on a tie the earliest split, whose last part (the compound's
                # head noun in Swedish) is longest: livsmedel|s|verksamhet, not livsmedelsverk|samhet.
                if parts and (best is None or len(parts) + 1 < len(best)):
                    best = [head, *parts]
        if len(self._cache) < 200_000:
            self._cache[word] = best
        return best


@functools.cache
def hunspell_lexicon(stem_lang: str = "sv") -> Lexicon:
    """Compound parts from the hunspell-sv dictionary (LGPL; read at index time, never shipped)."""
    import sys
    import sysconfig
    from pathlib import Path

    lex = Lexicon()
    stem = Stem(stem_lang)
    candidates = [Path(sysconfig.get_path("data")) / "share/hunspell/sv_SE.dic",
                  Path(sys.prefix) / "share/hunspell/sv_SE.dic", Path("/usr/share/hunspell/sv_SE.dic")]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        return lex
    for line in path.read_text("utf-8", errors="replace").splitlines()[1:]:
        word, _, flags = line.partition("/")
        word = word.strip().lower()
        if len(word) < MIN_PART or not word.isalpha():
            continue
        # X: may begin a compound, Z: only inside compounds, U: middle, Y: may end a compound.
        if any(f in flags for f in "XZU") or ("Y" in flags and len(word) >= 4):
            lex.heads.add(word)
        if "Y" in flags or (not flags and len(word) >= 4):
            lex.tails.add(stem(word))
        if len(word) >= 4:
            lex.base.add(word)
    return lex


@dataclass
class QueryWord:
    """One word of a query, analysed: its stem and, for a compound, the stems of its parts."""

    raw: str
    stem: str
    parts: list[str] | None = None
    stop: bool = False


class Analyzer:
    """Index and query analysis for one language."""

    def __init__(self, lang: str, decompounder: Decompounder | None = None):
        self.lang = lang
        self.stem = Stem(lang)
        self.stop = stopwords(lang)
        self.decompounder = decompounder

    def words(self, text: str) -> list[str]:
        """Normalised words of *text*, stop words kept (the whole text is normalised at once)."""
        return tokenize(normalize(text, self.lang))

    def terms(self, text: str, parts: bool = True) -> list[str]:
        """Index terms of *text*: stems without stop words, plus the parts of each compound."""
        return self.terms_of(self.words(text), parts)

    def terms_of(self, words: list[str], parts: bool = True) -> list[str]:
        """Index terms of already normalised *words* (see :meth:`words`)."""
        out: list[str] = []
        for word in words:
            if word in self.stop:
                continue
            out.append(self.stem(word))
            if parts and self.decompounder is not None:
                split = self.decompounder.split(word)
                if split:
                    out.extend(split)
        return out

    def query(self, text: str) -> list[QueryWord]:
        """Analyse a query; stop words are marked (and dropped later unless nothing else remains)."""
        return [QueryWord(w, self.stem(w), stop=w in self.stop) for w in self.words(text)]
