"""What goes into the index for each article version, and the vocabulary kept beside it.

Text is analysed by :mod:`portal.search.analysis` and stored as ready-made terms. Each document also keeps
its own term and word sets, so that an incremental update can subtract exactly what it removes from
the vocabulary (which feeds compound splitting, typo correction and "did you mean").
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
import zlib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from whoosh.analysis import DelimitedAttributeFilter, SpaceSeparatedTokenizer
from whoosh.columns import CompressedBytesColumn, VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema

from portal.content.model import Article, Corpus, Version
from portal.render.markdown import easy_read_url, public_url
from portal.search.analysis import Analyzer, Decompounder, Lexicon, hunspell_lexicon

SCHEMA_VERSION = 8  # 8: the easy-read text in the source-language document
# How much one occurrence of a term weighs in each part of an article. The parts are indexed together
# in one pre-weighted field per language (BM25F: the weighted counts are summed, then saturated), so a
# query term costs one posting list instead of one per part; the head field (no body) serves synonyms
# and very common terms.
WEIGHTS = {"title": 6.0, "keywords": 4.0, "summary": 2.5, "body": 1.0}
HEAD = ("title", "keywords", "summary")
STORED_BODY_CHARS = 6000
SCOPES = ("public", "all")


def make_schema(langs: Iterable[str]) -> Schema:
    """The index schema: filter fields, stored metadata, and pre-analysed, pre-weighted text per language."""
    weighted = SpaceSeparatedTokenizer() | DelimitedAttributeFilter("^", "boost", 1.0, float)
    fields: dict[str, Any] = {
        "key": ID(unique=True, stored=True), "id": ID(stored=True), "lang": ID(stored=True),
        "audience": ID, "visible": ID(stored=True), "category": ID, "answer_group": ID, "department": ID,
        # Only the small metadata is a stored field: every candidate of a search unpickles it. The texts
        # for highlighting (read for the shown hits only) and the vocabulary (read by incremental
        # updates only) are columns of their own.
        "eservice": ID, "meta": STORED, "vocab": COLUMN(VarBytesColumn()),
        "texts": COLUMN(CompressedBytesColumn()),
    }
    for lang in langs:
        for name in ("text", "head", "top", "internal", "itop"):
            fields[f"{name}_{lang}"] = TEXT(analyzer=weighted, phrase=False)
    return Schema(**fields)


def weighted_text(parts: dict[str, list[str]], names: Iterable[str]) -> str:
    """The terms of the parts *names* as one field value, each written ``term^weight``."""
    out = []
    for name in names:
        suffix = "" if WEIGHTS[name] == 1.0 else f"^{WEIGHTS[name]:g}"
        out.extend(t + suffix for t in parts[name] if "^" not in t)
    return " ".join(out)


def lexicon(cache_dir: Path | None = None) -> Lexicon:
    """The hunspell-sv compound lexicon, pickled in *cache_dir* after the first read (2 s → 0.2 s)."""
    if cache_dir is not None:
        path = cache_dir / f"lexicon-sv-v{SCHEMA_VERSION}.pickle"
        try:
            with path.open("rb") as f:
                return pickle.load(f)  # noqa: S301 (a file this process wrote itself)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):  # ImportError: a class moved
            pass
    lex = hunspell_lexicon("sv")
    if cache_dir is not None:
        tmp = path.with_suffix(f".{id(lex)}.tmp")
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as f:
                pickle.dump(lex, f, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)
        except OSError:
            tmp.unlink(missing_ok=True)
    return lex


def content_words(articles: Iterable[Article], an: Analyzer) -> set[str]:
    """The written Swedish words of *articles* (titles, summaries, text): compound parts of their own."""
    words: set[str] = set()
    for article in articles:
        version = article.versions.get("sv")
        if version is not None:
            words.update(an.words(f"{version.title} {version.summary} {version.text}"))
    return words


def analyzers_for(corpus: Corpus, cache_dir: Path | None = None, words: set[str] | None = None) -> dict[str, Analyzer]:
    """One analyzer per published language; Swedish splits compounds against hunspell-sv and the content.

    *words* are the content's Swedish words when the caller already knows them (an incremental update
    keeps them beside the index: reading them out of 10,000 articles takes seconds)."""
    out = {code: Analyzer(code) for code in corpus.site.language_codes}
    if "sv" in out:
        base = lexicon(cache_dir)
        lex = Lexicon(set(base.heads), set(base.tails), set(base.base))
        if words is None:
            words = content_words(corpus.articles.values(), out["sv"])
        lex.add_words(words, out["sv"].stem)
        out["sv"] = Analyzer("sv", Decompounder(lex, out["sv"].stem))
    return out


def add_to_lexicon(analyzers: dict[str, Analyzer], articles: Iterable[Article]) -> None:
    """Let the words of *articles* serve as compound parts too (after an incremental change)."""
    sv = analyzers.get("sv")
    if sv is None or sv.decompounder is None:
        return
    sv.decompounder.lexicon.add_words(content_words(articles, sv), sv.stem)


def glossary() -> list[list[str]]:
    """The built-in English–Swedish glossary of municipal errands (portal/data/glossary.yml)."""
    text = resources.files("portal.data").joinpath("glossary.yml").read_text("utf-8")
    return [[str(w).lower() for w in group] for group in yaml.safe_load(text)]


def synonym_groups(corpus: Corpus) -> list[list[str]]:
    """The content's own synonym groups followed by the built-in glossary: what the index uses."""
    return corpus.synonyms + glossary()


def synonym_map(groups: list[list[str]]) -> dict[str, list[str]]:
    """Each word or phrase of every synonym group, mapped to the others in its group."""
    out: dict[str, list[str]] = {}
    for group in groups:
        for word in group:
            out.setdefault(word, []).extend(w for w in group if w != word)
    return out


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _forms(an: Analyzer, words: list[str]) -> dict[str, str]:
    return {w: an.stem(w) for w in words if len(w) > 3 and w not in an.stop}


def article_documents(article: Article, corpus: Corpus, analyzers: dict[str, Analyzer],
                      synonyms: dict[str, list[str]], today: dt.date) -> list[dict[str, Any]]:
    """The index documents of one article: one per language version (internal articles: source only)."""
    src = corpus.site.source_language
    internal_words = analyzers[src].words(article.internal_text)
    internal_terms = analyzers[src].terms_of(internal_words)
    internal_forms = _forms(analyzers[src], internal_words)
    versions = [article.source] if article.audience == "internal" else list(article.versions.values())
    return [_document(article, v, corpus, analyzers[v.lang], synonyms, today, internal_terms, internal_forms)
            for v in versions]


def _document(article: Article, version: Version, corpus: Corpus, an: Analyzer, synonyms: dict[str, list[str]],
              today: dt.date, internal_terms: list[str], internal_words: dict[str, str]) -> dict[str, Any]:
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
        "langs": sorted(article.versions),
        "url": public_url(article.id, version.lang) if article.audience == "public" else None,
        "publish_from": _iso(article.publish_from), "expires": _iso(article.expires),
        "review_by": _iso(article.review_by), "outdated": version.outdated,
        "updated": _iso(version.updated), "owner": article.owner,
        # Ranking compares the query with the title for every candidate: analysed once, here.
        "title_stems": sorted({w.stem for w in an.query(version.title) if not w.stop}),
    }
    body = version.text
    easy = article.easy if version is article.source and article.audience == "public" else None
    if easy is not None:
        # Its words find the article too (an easy-read text says things in the everyday words people search
        # with); a search that asks for easy-read Swedish is sent to it (portal.search.easyread).
        meta["easy"] = {"title": easy.title, "summary": easy.summary, "url": easy_read_url(article.id, version.lang)}
        body = f"{body}\n{easy.title}\n{easy.summary}\n{easy.text}"
    words = {"title": an.words(version.title), "summary": an.words(version.summary),
             "body": an.words(body), "own_keywords": an.words(" , ".join(version.keywords))}
    fields = {
        "title": an.terms_of(words["title"]), "keywords": an.terms(" , ".join(keywords)),
        "summary": an.terms_of(words["summary"]), "body": an.terms_of(words["body"]),
    }
    vocab = {"lang": version.lang, "src": corpus.site.source_language, "visible": visible,
             "terms": sorted({t for terms in fields.values() for t in terms}),
             "words": _forms(an, [w for ws in words.values() for w in ws]),
             "internal_terms": sorted(set(internal_terms)), "internal_words": internal_words}
    doc: dict[str, Any] = {
        "key": f"{article.id}:{version.lang}", "id": article.id, "lang": version.lang,
        "audience": article.audience, "visible": "1" if visible else "0", "category": article.category,
        "answer_group": article.answer_group or "", "department": article.department or "",
        # Compressed: every hit unpickles its stored fields, and only an incremental update reads this.
        "eservice": "1" if ss else "0", "meta": meta, "vocab": pack(vocab),
        "texts": pack_texts(version.text[:STORED_BODY_CHARS], article.internal_text[:STORED_BODY_CHARS]),
        f"text_{version.lang}": weighted_text(fields, WEIGHTS), f"head_{version.lang}": weighted_text(fields, HEAD),
    }
    if version.lang == corpus.site.source_language and internal_terms:
        # Internal notes are written in the source language, so that plan finds them.
        doc[f"internal_{version.lang}"] = " ".join(internal_terms)
    return doc


def pack(vocab: dict[str, Any]) -> bytes:
    """A document's vocabulary as stored in the index."""
    return zlib.compress(json.dumps(vocab, ensure_ascii=False).encode("utf-8"), 1)


def pack_texts(body: str, internal: str) -> bytes:
    """A document's body and internal notes (as much as highlighting needs) as one column value."""
    return json.dumps([body, internal], ensure_ascii=False).encode("utf-8")


def unpack_texts(data: bytes | None) -> tuple[str, str]:
    """The inverse of :func:`pack_texts`; empty texts for a document without the column."""
    if not data:
        return "", ""
    body, internal = json.loads(data)
    return str(body), str(internal)


def unpack(data: bytes) -> dict[str, Any]:
    """The inverse of :func:`pack`."""
    return json.loads(zlib.decompress(data))


class Vocabulary:
    """Document frequencies of terms and written word forms, for public documents and for all."""

    def __init__(self, langs: Iterable[str], data: dict[str, Any] | None = None):
        langs = list(langs)
        empty = {scope: {lang: {} for lang in langs} for scope in SCOPES}
        self.df: dict[str, dict[str, dict[str, int]]] = (data or {}).get("df") or empty
        # word -> [number of documents, stem]
        self.forms: dict[str, dict[str, dict[str, list]]] = (data or {}).get("forms") or {
            scope: {lang: {} for lang in langs} for scope in SCOPES}

    def count(self, vocab: dict[str, Any], sign: int) -> None:
        """Add (sign=1) or remove (sign=-1) one document's terms and words."""
        lang, src = vocab["lang"], vocab["src"]
        scopes = SCOPES if vocab["visible"] else ("all",)
        for scope in scopes:
            self._terms(self.df[scope].setdefault(lang, {}), vocab["terms"], sign)
            self._forms(self.forms[scope].setdefault(lang, {}), vocab["words"], sign)
        self._terms(self.df["all"].setdefault(lang, {}), vocab["internal_terms"], sign)
        self._forms(self.forms["all"].setdefault(src, {}), vocab["internal_words"], sign)

    @staticmethod
    def _terms(table: dict[str, int], terms: Iterable[str], sign: int) -> None:
        for t in terms:
            n = table.get(t, 0) + sign
            if n > 0:
                table[t] = n
            else:
                table.pop(t, None)

    @staticmethod
    def _forms(table: dict[str, list], words: dict[str, str], sign: int) -> None:
        for word, stem in words.items():
            n = (table[word][0] if word in table else 0) + sign
            if n > 0:
                table[word] = [n, stem]
            else:
                table.pop(word, None)

    def as_json(self) -> dict[str, Any]:
        """The form written to `vocab.json`."""
        return {"df": self.df, "forms": self.forms}
