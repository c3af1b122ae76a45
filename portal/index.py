"""The search index: the only module that talks to Whoosh.

Terms are produced by :mod:`portal.analysis` and indexed ready-made. Every build writes a new
*generation* directory and then atomically swaps the `current` symlink to it, so a reader never
sees a half-written index and a failed build leaves the previous one in use.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.scoring import BM25F

from portal.analysis import Analyzer, Decompounder, Lexicon, hunspell_lexicon
from portal.exceptions import IndexCorruptError, IndexMissingError
from portal.model import Article, Corpus, Version
from portal.render import public_url

SCHEMA_VERSION = 1
TEXT_FIELDS = ("title", "keywords", "summary", "body")
STORED_BODY_CHARS = 6000
Progress = Callable[[int, int], None]


def analyzers_for(corpus: Corpus) -> dict[str, Analyzer]:
    """One analyzer per published language; Swedish splits compounds against hunspell-sv and the content."""
    out = {}
    for code in corpus.site.language_codes:
        out[code] = Analyzer(code)
    if "sv" in out:
        base = hunspell_lexicon("sv")
        lex = Lexicon(set(base.heads), set(base.tails), set(base.base))
        words: set[str] = set()
        for article in corpus.articles.values():
            for version in article.versions.values():
                if version.lang == "sv":
                    words.update(out["sv"].words(f"{version.title} {version.summary} {version.text}"))
        lex.add_words(words, out["sv"].stem)
        out["sv"] = Analyzer("sv", Decompounder(lex, out["sv"].stem))
    return out


def make_schema(langs: Iterable[str]) -> Schema:
    """The index schema: filter fields, stored metadata, and pre-analysed text fields per language."""
    terms = SpaceSeparatedTokenizer()
    fields: dict[str, Any] = {
        "key": ID(unique=True, stored=True), "id": ID(stored=True), "lang": ID(stored=True),
        "audience": ID, "visible": ID, "category": ID, "answer_group": ID, "department": ID,
        "eservice": ID, "meta": STORED, "internal": TEXT(analyzer=terms, phrase=False),
    }
    for lang in langs:
        for name in TEXT_FIELDS:
            fields[f"{name}_{lang}"] = TEXT(analyzer=terms, phrase=False)
    return Schema(**fields)


def _doc(article: Article, version: Version, corpus: Corpus, analyzers: dict[str, Analyzer],
         synonyms: dict[str, list[str]], today: dt.date, internal_terms: str) -> dict[str, Any]:
    an = analyzers[version.lang]
    keywords = list(version.keywords)
    if version.lang != corpus.site.source_language:
        keywords += article.source.keywords  # citizens search for Swedish errand names in any language
    keywords += [s for k in keywords for s in synonyms.get(k.lower(), [])]
    ss = article.self_service_for(version.lang)
    visible = article.is_public(today)
    meta = {
        "id": article.id, "lang": version.lang, "title": version.title, "summary": version.summary,
        "audience": article.audience, "status": article.status, "category": article.category,
        "answer_group": article.answer_group, "department": article.department, "rosa": article.rosa,
        "self_service_url": ss.url if ss else None, "self_service_label": ss.label if ss else None,
        "langs": sorted(article.versions), "url": public_url(article.id, version.lang)
        if article.audience == "public" else None,
        "publish_from": _iso(article.publish_from), "expires": _iso(article.expires),
        "review_by": _iso(article.review_by), "outdated": version.outdated,
        "updated": _iso(version.updated), "owner": article.owner,
        "body": version.text[:STORED_BODY_CHARS], "internal": article.internal_text[:STORED_BODY_CHARS],
    }
    doc = {
        "key": f"{article.id}:{version.lang}", "id": article.id, "lang": version.lang,
        "audience": article.audience, "visible": "1" if visible else "0", "category": article.category,
        "answer_group": article.answer_group or "", "department": article.department or "",
        "eservice": "1" if ss else "0", "meta": meta, "internal": internal_terms,
        f"title_{version.lang}": " ".join(an.terms(version.title)),
        f"keywords_{version.lang}": " ".join(an.terms(" , ".join(keywords))),
        f"summary_{version.lang}": " ".join(an.terms(version.summary)),
        f"body_{version.lang}": " ".join(an.terms(version.text)),
    }
    return doc


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def glossary() -> list[list[str]]:
    """The built-in English–Swedish glossary of municipal errands (portal/data/glossary.yml)."""
    from importlib import resources

    import yaml

    text = resources.files("portal.data").joinpath("glossary.yml").read_text("utf-8")
    return [[str(w).lower() for w in group] for group in yaml.safe_load(text)]


def synonym_map(groups: list[list[str]]) -> dict[str, list[str]]:
    """Each word or phrase of every synonym group, mapped to the others in its group."""
    out: dict[str, list[str]] = {}
    for group in groups:
        for word in group:
            out.setdefault(word, []).extend(w for w in group if w != word)
    return out


def build_index(corpus: Corpus, index_dir: Path, today: dt.date | None = None,
                progress: Progress | None = None) -> Path:
    """Index every article in every language into a new generation and make it current; return it."""
    today = today or dt.date.today()
    index_dir.mkdir(parents=True, exist_ok=True)
    gen = index_dir / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = gen.with_name(gen.name + ".tmp")
    tmp.mkdir()
    try:
        langs = corpus.site.language_codes
        analyzers = analyzers_for(corpus)
        groups = corpus.synonyms + glossary()
        synonyms = synonym_map(groups)
        ix = whoosh_index.create_in(str(tmp), make_schema(langs))
        writer = ix.writer(limitmb=256)
        try:
            vocab = {"public": {lang: Counter() for lang in langs}, "all": {lang: Counter() for lang in langs}}
            surface: dict[str, dict[str, Counter]] = {lang: {} for lang in langs}
            forms: dict[str, dict[str, dict[str, str]]] = {"public": {lang: {} for lang in langs},
                                                           "all": {lang: {} for lang in langs}}
            articles = sorted(corpus.articles.values(), key=lambda a: a.id)
            for n, article in enumerate(articles, 1):
                internal_terms = " ".join(analyzers[corpus.site.source_language].terms(article.internal_text))
                versions = [article.source] if article.audience == "internal" else list(article.versions.values())
                for version in versions:
                    doc = _doc(article, version, corpus, analyzers, synonyms, today, internal_terms)
                    writer.add_document(**doc)
                    terms = {t for name in TEXT_FIELDS for t in doc[f"{name}_{version.lang}"].split()}
                    vocab["all"][version.lang].update(terms | set(internal_terms.split()))
                    if doc["visible"] == "1":
                        vocab["public"][version.lang].update(terms)
                    text = f"{version.title} {version.summary} {version.text} {' '.join(version.keywords)}"
                    _count_surface(analyzers[version.lang], text, surface[version.lang])
                    for scope in ("public", "all") if doc["visible"] == "1" else ("all",):
                        _add_forms(analyzers[version.lang], text, forms[scope][version.lang])
                    if article.internal_text:
                        src = corpus.site.source_language
                        _add_forms(analyzers[src], article.internal_text, forms["all"][src])
                if progress:
                    progress(n, len(articles))
            writer.commit(optimize=True)
        except BaseException:
            writer.cancel()
            raise
        finally:
            ix.close()
        meta = {"schema": SCHEMA_VERSION, "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "root": str(corpus.root), "languages": langs, "source_language": corpus.site.source_language,
                "articles": len(articles), "today": today.isoformat()}
        words = {lang: {stem: c.most_common(1)[0][0] for stem, c in table.items()}
                 for lang, table in surface.items()}
        meta["synonyms"] = groups
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
        (tmp / "vocab.json").write_text(json.dumps({"df": vocab, "surface": words, "forms": forms},
                                                   ensure_ascii=False), "utf-8")
        os.replace(tmp, gen)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _swap(index_dir, gen)
    return gen


def _count_surface(an: Analyzer, text: str, table: dict[str, Counter]) -> None:
    for word in an.words(text):
        if word not in an.stop:
            table.setdefault(an.stem(word), Counter())[word] += 1


def _add_forms(an: Analyzer, text: str, table: dict[str, str]) -> None:
    for word in an.words(text):
        if len(word) > 3 and word not in table and word not in an.stop:
            table[word] = an.stem(word)


def _swap(index_dir: Path, gen: Path) -> None:
    link = index_dir / "current"
    tmp_link = index_dir / f".current-{os.getpid()}-{time.monotonic_ns()}"
    os.symlink(gen.name, tmp_link)
    os.replace(tmp_link, link)
    _prune(index_dir, keep={gen.name})


def _prune(index_dir: Path, keep: set[str], grace_seconds: float = 120.0) -> None:
    """Remove old generations; the newest previous one and any younger than the grace period stay for
    readers that still have them open."""
    gens = sorted((p for p in index_dir.glob("gen-*") if p.is_dir() and p.name not in keep),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    now = time.time()
    for old in gens[1:]:
        if now - old.stat().st_mtime > grace_seconds or old.name.endswith(".tmp"):
            shutil.rmtree(old, ignore_errors=True)


def current_generation(index_dir: Path) -> Path:
    """The directory of the current generation; IndexMissingError when there is none."""
    link = index_dir / "current"
    try:
        target = os.readlink(link)
    except OSError:
        raise IndexMissingError(f"there is no search index in {index_dir}; run `portal index`") from None
    gen = index_dir / target
    if not gen.is_dir():
        raise IndexCorruptError(f"the search index in {index_dir} points to a missing folder; "
                                "run `portal index` to rebuild it")
    return gen


@dataclass
class Generation:
    """One opened index generation with its vocabulary; one Whoosh searcher per thread."""

    path: Path
    ix: Any
    meta: dict[str, Any]
    df: dict[str, dict[str, dict[str, int]]]
    surface: dict[str, dict[str, str]]
    forms: dict[str, dict[str, dict[str, str]]]
    local: threading.local = field(default_factory=threading.local)

    def searcher(self) -> Any:
        s = getattr(self.local, "searcher", None)
        if s is None:
            s = self.local.searcher = self.ix.searcher(weighting=BM25F(B=0.6, K1=1.2))
        return s


def open_generation(gen: Path) -> Generation:
    """Open a generation; IndexCorruptError when anything in it cannot be read."""
    try:
        meta = json.loads((gen / "meta.json").read_text("utf-8"))
        if meta.get("schema") != SCHEMA_VERSION:
            raise IndexCorruptError(f"the search index in {gen.parent} was built by another version; "
                                    "run `portal index` to rebuild it")
        vocab = json.loads((gen / "vocab.json").read_text("utf-8"))
        ix = whoosh_index.open_dir(str(gen), readonly=True)
        ix.doc_count()
    except IndexCorruptError:
        raise
    except Exception as exc:  # Whoosh raises many kinds of errors for damaged files
        raise IndexCorruptError(f"the search index in {gen.parent} is damaged ({type(exc).__name__}); "
                                "run `portal index` to rebuild it") from exc
    return Generation(gen, ix, meta, vocab["df"], vocab["surface"], vocab["forms"])


class IndexHandle:
    """A long-lived reader of an index folder that follows each atomic swap to a new generation."""

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir
        self._lock = threading.Lock()
        self._gen: Generation | None = None
        self._target: str | None = None
        self.refresh()

    def refresh(self) -> Generation:
        """The current generation, reopened if the `current` link has moved since last time."""
        try:
            target = os.readlink(self.index_dir / "current")
        except OSError:
            target = None
        if target is not None and target == self._target and self._gen is not None:
            return self._gen
        with self._lock:
            if target != self._target or self._gen is None:
                self._gen = open_generation(current_generation(self.index_dir))
                self._target = target
            return self._gen

    @property
    def meta(self) -> dict[str, Any]:
        """The current generation's metadata (languages, build time, ...)."""
        return self.refresh().meta

    def vocabulary(self, lang: str, public: bool) -> dict[str, int]:
        """Document frequency of each term in *lang*: of public documents only, or of all."""
        return self.refresh().df["public" if public else "all"].get(lang, {})

    def forms(self, lang: str, public: bool) -> dict[str, str]:
        """Every written word form in *lang* mapped to its stem (public documents only, or all)."""
        return self.refresh().forms["public" if public else "all"].get(lang, {})

    def surface(self, lang: str) -> dict[str, str]:
        """The most common written form of each stem in *lang* (for "did you mean")."""
        return self.refresh().surface.get(lang, {})


# --- running queries -------------------------------------------------------------------------------

FIELD_BOOSTS = {"title": 6.0, "keywords": 4.0, "summary": 2.5, "body": 1.0}
INTERNAL_BOOST = 1.5


@dataclass
class Alternative:
    """One way to match a query word: all *terms* (AND), or a *prefix*, with a weight."""

    terms: list[str]
    weight: float = 1.0
    prefix: bool = False


@dataclass
class RawHit:
    """A matching document: its stored metadata and score."""

    meta: dict[str, Any]
    score: float


def _term_query(lang: str, term: str, weight: float, internal: bool, prefix: bool) -> wq.Query:
    subs: list[wq.Query] = []
    for name, boost in FIELD_BOOSTS.items():
        if prefix:
            subs.append(wq.Prefix(f"{name}_{lang}", term, boost=boost * weight))
        else:
            subs.append(wq.Term(f"{name}_{lang}", term, boost=boost * weight))
    if internal and not prefix:
        subs.append(wq.Term("internal", term, boost=INTERNAL_BOOST * weight))
    return wq.Or(subs)


def run_query(handle: IndexHandle, words_by_lang: dict[str, list[list[Alternative]]], *, internal: bool,
              filters: dict[str, str] | None = None, limit: int = 50) -> list[RawHit]:
    """Match documents of each language in *words_by_lang* against that language's query words."""
    per_lang = []
    for lang, words in words_by_lang.items():
        word_queries = []
        for alts in words:
            options = []
            for alt in alts:
                if len(alt.terms) == 1:
                    options.append(_term_query(lang, alt.terms[0], alt.weight, internal, alt.prefix))
                else:
                    options.append(wq.And([_term_query(lang, t, alt.weight / len(alt.terms), internal, alt.prefix)
                                           for t in alt.terms]))
            if options:
                word_queries.append(wq.Or(options))
        if word_queries:
            body = wq.Or(word_queries, scale=0.9) if len(word_queries) > 1 else word_queries[0]
            per_lang.append(wq.And([wq.Term("lang", lang), body]))
    if not per_lang:
        return []
    restrict: list[wq.Query] = [] if internal else [wq.Term("visible", "1")]
    for name, value in (filters or {}).items():
        restrict.append(wq.Term(name, value))
    searcher = handle.refresh().searcher()
    filter_q = wq.And(restrict) if restrict else None
    results = searcher.search(wq.Or(per_lang), limit=limit, filter=filter_q)
    return [RawHit(hit["meta"], hit.score) for hit in results]


def all_documents(handle: IndexHandle) -> list[dict[str, Any]]:
    """The stored metadata of every document (for listings and checks)."""
    searcher = handle.refresh().searcher()
    return [fields["meta"] for fields in searcher.all_stored_fields()]
