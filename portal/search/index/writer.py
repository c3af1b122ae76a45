"""Writing the index: a full build or an incremental update, always into a new generation folder
that is swapped in atomically (`os.replace` of the `current` symlink) only when it is complete."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from portal.content.model import Corpus
from portal.search.analysis import Analyzer
from portal.search.index.champions import add_champions, add_champions_to, champion_fields
from portal.search.index.documents import (
    SCHEMA_VERSION,
    Vocabulary,
    add_to_lexicon,
    analyzers_for,
    article_documents,
    content_words,
    make_schema,
    synonym_groups,
    synonym_map,
    unpack,
)
from portal.search.index.manifest import LATER_FILES, is_lock, verify, write_manifest
from portal.search.index.reader import current_generation

Progress = Callable[[int, int], None]
PREVIOUS_GENERATIONS_KEPT = 1
CHAMPIONS_FILE = "champions.json"
WORDS_FILE = "lexicon-words.json"
GRACE_SECONDS = 120.0


def _new_generation(index_dir: Path) -> Path:
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**9}.tmp"
    tmp = index_dir / name
    tmp.mkdir()
    return tmp


def _meta(corpus: Corpus, groups: list[list[str]], today: dt.date, count: int, updates: int) -> dict[str, Any]:
    return {"schema": SCHEMA_VERSION, "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "root": str(corpus.root), "languages": corpus.site.language_codes,
            "source_language": corpus.site.source_language, "articles": count, "today": today.isoformat(),
            "synonyms": groups, "incremental_updates": updates}


CONTENT_STATE = "content.json"


def _finish(tmp: Path, meta: dict[str, Any], vocab: Vocabulary, index_dir: Path,
            content_state: dict[str, Any] | None = None, known: dict[str, dict[str, Any]] | None = None) -> Path:
    (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    if content_state is not None:  # what the generation reflects, for the next incremental `portal index`
        (tmp / CONTENT_STATE).write_text(json.dumps(content_state, ensure_ascii=False), "utf-8")
    (tmp / "vocab.json").write_text(json.dumps(vocab.as_json(), ensure_ascii=False), "utf-8")
    write_manifest(tmp, known)  # the last file: from here on nothing in the generation changes
    gen = tmp.with_name(tmp.name.removesuffix(".tmp"))
    os.replace(tmp, gen)
    swap(index_dir, gen)
    return gen


@contextlib.contextmanager
def _writing(ix: Any, limitmb: int, **commit: Any) -> Iterator[Any]:
    """A Whoosh writer that commits (with *commit* options) when the block succeeds, else cancels."""
    writer = ix.writer(limitmb=limitmb)
    try:
        yield writer
        writer.commit(**commit)
    except BaseException:
        writer.cancel()
        raise
    finally:
        ix.close()


def _add(writer: Any, vocab: Vocabulary, docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        writer.add_document(**doc)
        vocab.count(unpack(doc["vocab"]), +1)


def build_index(corpus: Corpus, index_dir: Path, today: dt.date | None = None,
                progress: Progress | None = None, content_state: dict[str, Any] | None = None) -> Path:
    """Index every article in every language into a new generation and make it current; return it.

    *content_state* (from :func:`portal.site.pipeline.content_state`) is kept in the generation as a record of
    the content it reflects."""
    today = today or dt.date.today()
    tmp = _new_generation(index_dir)
    try:
        words = content_words(corpus.articles.values(), Analyzer("sv")) if "sv" in corpus.site.language_codes else set()
        analyzers = analyzers_for(corpus, index_dir, words)
        _write_words(tmp, words)
        groups = synonym_groups(corpus)
        synonyms = synonym_map(groups)
        vocab = Vocabulary(corpus.site.language_codes)
        ix = whoosh_index.create_in(str(tmp), make_schema(corpus.site.language_codes))
        articles = sorted(corpus.articles.values(), key=lambda a: a.id)
        docs = []
        for n, article in enumerate(articles, 1):
            docs.extend(article_documents(article, corpus, analyzers, synonyms, today))
            if progress:
                progress(n, 2 * len(articles))
        _write_thresholds(tmp, add_champions(docs, corpus.site.language_codes))
        # Sorting the postings in memory: at 10,000 articles 1,024 MB took the build from 136 s to 91-106 s
        # (256 MB spills and merges runs; 512 MB was slower still), for 7 % more peak memory (1.23 GB).
        with _writing(ix, 1024, optimize=True) as writer:
            step = max(1, len(docs) // 100)
            for n, doc in enumerate(docs, 1):
                _add(writer, vocab, [doc])
                if progress and (n % step == 0 or n == len(docs)):
                    progress(len(articles) + n * len(articles) // len(docs), 2 * len(articles))
        return _finish(tmp, _meta(corpus, groups, today, len(articles), 0), vocab, index_dir, content_state)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def update_index(corpus: Corpus, index_dir: Path, article_ids: Iterable[str], today: dt.date | None = None,
                 analyzers: dict[str, Analyzer] | None = None, content_state: dict[str, Any] | None = None,
                 checked: dict[str, dict[str, Any]] | None = None) -> Path:
    """Re-index only *article_ids* (changed, added or removed) into a new generation and swap it in.

    The unchanged segment files are hard-linked from the current generation (never written: a generation's
    files do not change), so this costs about as much as indexing the changed articles. The current generation's
    checksums are checked first (*checked*: its manifest entries, when the caller just did), so that damage is
    never carried into the new one. Falls back to a full build when there is no usable index or when site-wide
    settings (languages, synonyms) changed. A long-running caller passes its *analyzers* (from
    :func:`analyzers_for`) so the compound lexicon is not rebuilt from all content. *content_state* is recorded as
    in :func:`build_index` (without it the new generation has no record).
    """
    today = today or dt.date.today()
    ids = sorted(set(article_ids))
    try:
        old = current_generation(index_dir)
        checked = checked if checked is not None else verify(old)
        meta = json.loads((old / "meta.json").read_text("utf-8"))
        vocab = Vocabulary(corpus.site.language_codes, json.loads((old / "vocab.json").read_text("utf-8")))
        thresholds = _read_thresholds(old)
    except Exception:  # no index, or one that cannot be read: build from scratch
        return build_index(corpus, index_dir, today, content_state=content_state)
    groups = synonym_groups(corpus)
    if (meta.get("schema") != SCHEMA_VERSION or meta.get("languages") != corpus.site.language_codes
            or meta.get("synonyms") != groups or meta.get("source_language") != corpus.site.source_language):
        return build_index(corpus, index_dir, today, content_state=content_state)
    tmp = _new_generation(index_dir)
    try:
        linked = [f.name for f in old.iterdir() if f.is_file() and f.suffix != ".json" and not is_lock(f.name)
                  and f.name not in LATER_FILES and f.name in checked]
        for name in linked:
            os.link(old / name, tmp / name)
        ix = whoosh_index.open_dir(str(tmp))
        with _writing(ix, 128, merge=True) as writer:
            with ix.searcher() as searcher:
                vocabs = searcher.reader().column_reader("vocab")
                for aid in ids:
                    for docnum in searcher.document_numbers(id=aid):
                        vocab.count(unpack(vocabs[docnum]), -1)
                # Whoosh's BM25F average: the field's total length over all documents.
                averages = {full: searcher.avg_field_length(full) or 1.0
                            for full in champion_fields(corpus.site.language_codes).values()}
            for aid in ids:
                writer.delete_by_term("id", aid)
            changed = [corpus.articles[a] for a in ids if a in corpus.articles]
            words = _read_words(old)
            if words is None:  # an index from before the words were kept
                words = content_words(corpus.articles.values(), Analyzer("sv"))
            else:
                words |= content_words(changed, Analyzer("sv"))
            _write_words(tmp, words)
            if analyzers is None:
                analyzers = analyzers_for(corpus, index_dir, words)
            else:
                add_to_lexicon(analyzers, changed)
            synonyms = synonym_map(groups)
            _write_thresholds(tmp, thresholds)
            for aid in ids:
                if aid in corpus.articles:
                    docs = article_documents(corpus.articles[aid], corpus, analyzers, synonyms, today)
                    for doc in docs:
                        add_champions_to(doc, corpus.site.language_codes, averages, thresholds)
                    _add(writer, vocab, docs)
        updated = _meta(corpus, groups, today, len(corpus.articles), meta.get("incremental_updates", 0) + 1)
        # The checksums of the files still shared with the checked generation need not be worked out again.
        known = {name: checked[name] for name in linked
                 if (tmp / name).exists() and os.path.samefile(tmp / name, old / name)}
        return _finish(tmp, updated, vocab, index_dir, content_state, known=known)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_words(gen: Path, words: set[str]) -> None:
    # The content's Swedish words, which extend the compound lexicon: kept so that an incremental
    # update need not read them out of every article again. Words of removed text stay until the next
    # full build (they only ever serve as possible compound parts).
    (gen / WORDS_FILE).write_text(json.dumps(sorted(words), ensure_ascii=False), "utf-8")


def _read_words(gen: Path) -> set[str] | None:
    try:
        return set(json.loads((gen / WORDS_FILE).read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _write_thresholds(gen: Path, thresholds: dict[str, dict[str, float]]) -> None:
    (gen / CHAMPIONS_FILE).write_text(json.dumps(thresholds, ensure_ascii=False), "utf-8")


def _read_thresholds(gen: Path) -> dict[str, dict[str, float]]:
    return json.loads((gen / CHAMPIONS_FILE).read_text("utf-8"))


def swap(index_dir: Path, gen: Path) -> None:
    """Point `current` at *gen* atomically, then prune old generations."""
    link = index_dir / "current"
    tmp_link = index_dir / f".current-{os.getpid()}-{time.monotonic_ns()}"
    os.symlink(gen.name, tmp_link)
    os.replace(tmp_link, link)
    prune(index_dir, keep=gen.name)


def prune(index_dir: Path, keep: str, grace_seconds: float = GRACE_SECONDS) -> None:
    """Remove old generations and leftovers of failed runs; the newest previous generation and any
    younger than the grace period stay, for readers that still have them open."""
    now = time.time()
    gens = sorted((p for p in index_dir.glob("gen-*") if p.is_dir() and p.name != keep),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    finished = [p for p in gens if not p.name.endswith(".tmp")]
    for old in finished[PREVIOUS_GENERATIONS_KEPT:]:
        if now - old.stat().st_mtime > grace_seconds:
            shutil.rmtree(old, ignore_errors=True)
    for leftover in (p for p in gens if p.name.endswith(".tmp")):
        if now - leftover.stat().st_mtime > grace_seconds:  # another process may still be writing it
            shutil.rmtree(leftover, ignore_errors=True)
