"""The semantic half of an index generation: which texts are embedded, and the vectors kept beside the Whoosh files.

Each article version gets one passage: its title, summary and keywords (whole bodies ranked no better, at ten
times the cost: docs/architecture.md). An article with internal notes gets one more, its title and the notes,
marked ``internal``: only the agents' search scores with it, and so are the passages of internal and draft
articles and of articles outside their publishing dates (a public search leaves them out entirely, also from how
the other articles' closeness is scaled).

The vectors are written into the generation *after* it was swapped in (``vectors.npy``, then ``vectors.json``,
each atomically; the JSON file is the sign that both are complete and holds the size and SHA-256 of the matrix),
so the lexical search and the pages never wait for them. A reader reads the matrix into memory and checks it
(never memory-mapped: a file truncated under a mapping would stop the process) and refuses a damaged one. Every
passage is known by the hash of its text: a rebuild takes the vectors of unchanged text from the previous
generation (and from the shared cache named by ``PORTAL_EMBEDDING_CACHE``), and embeds only what changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from portal.content.model import Article, Corpus
from portal.search.embedding import DIMENSIONS, MODEL_NAME, Progress, embedder
from portal.search.index.manifest import FileDamaged

VECTORS_FILE = "vectors.npy"
ROWS_FILE = "vectors.json"
FORMAT = 2  # 2: the rows file holds the matrix's size and checksum (1, before: read, but not checked)
PUBLIC, INTERNAL = "text", "internal"
INTERNAL_NOTE_CHARS = 600  # the start of the notes says what they are about


@dataclass(frozen=True)
class Passage:
    """One text to embed: of article *id*, in *lang*, public text or internal notes (*kind*)."""

    id: str
    lang: str
    kind: str
    text: str

    @property
    def digest(self) -> str:
        """The hash its vector is cached under (the model's name is part of it)."""
        return hashlib.blake2b(f"{MODEL_NAME}\x00{self.text}".encode(), digest_size=16).hexdigest()


def article_passages(article: Article, corpus: Corpus, today: dt.date) -> list[Passage]:
    """The passages of one article: each language version's, and its internal notes'. The text of an article
    citizens may not see *today* (internal, draft, outside its publishing dates) counts as internal too, so that
    it never weighs in a public search, not even in how the other articles' closeness is scaled."""
    src = corpus.site.source_language
    versions = [article.source] if article.audience == "internal" else list(article.versions.values())
    kind = PUBLIC if article.is_public(today) else INTERNAL
    out = []
    for version in versions:
        keywords = ", ".join(version.keywords)
        text = f"{version.title}. {version.summary}" + (f" {keywords}." if keywords else "")
        out.append(Passage(article.id, version.lang, kind, text))
    if article.internal_text.strip():
        notes = " ".join(article.internal_text.split())[:INTERNAL_NOTE_CHARS]
        out.append(Passage(article.id, src, INTERNAL, f"{article.source.title}. {notes}"))
    return out


@dataclass
class VectorSet:
    """The vectors of one generation: row *i* of :attr:`matrix` is the passage ``rows[i]``."""

    matrix: np.ndarray
    rows: list[tuple[str, str, str, str]]  # (article id, lang, kind, digest)


class VectorsDamaged(FileDamaged):
    """A generation's vectors are complete (their rows file is there) but the matrix does not match it."""


def read_vectors(gen: Path) -> VectorSet | None:
    """The generation's vectors, read into memory and checked; None while they are still being made (or were
    never made, or by another model); VectorsDamaged when the matrix does not match its size and checksum."""
    try:
        meta = json.loads((gen / ROWS_FILE).read_text("utf-8"))
        if meta.get("format") not in (1, FORMAT) or meta.get("model") != MODEL_NAME:
            return None
        rows = [tuple(r) for r in meta["rows"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        data = (gen / VECTORS_FILE).read_bytes()
    except OSError as exc:
        raise VectorsDamaged(gen, VECTORS_FILE, f"cannot be read ({exc.strerror or exc})") from None
    if meta.get("format") == FORMAT and (len(data) != meta.get("size")
                                         or hashlib.sha256(data).hexdigest() != meta.get("sha256")):
        raise VectorsDamaged(gen, VECTORS_FILE, f"does not match its checksum in {ROWS_FILE} ({len(data)} bytes)")
    try:
        matrix = np.load(io.BytesIO(data), allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise VectorsDamaged(gen, VECTORS_FILE, f"cannot be read ({exc})") from None
    if matrix.shape != (len(rows), DIMENSIONS):
        raise VectorsDamaged(gen, VECTORS_FILE, f"has {matrix.shape[0]} rows where {ROWS_FILE} names {len(rows)}")
    return VectorSet(matrix, rows)  # type: ignore[arg-type]


def readable_vectors(gen: Path) -> VectorSet | None:
    """:func:`read_vectors`, with damaged vectors taken as none (a build then embeds again what it needs)."""
    try:
        return read_vectors(gen)
    except VectorsDamaged:
        return None


@dataclass
class EmbedRun:
    """What one embedding run did."""

    passages: int
    embedded: int
    seconds: float


def embed_generation(corpus: Corpus, gen: Path, previous: Path | None = None, ids: Iterable[str] | None = None,
                     progress: Progress | None = None) -> EmbedRun:
    """Write *gen*'s vectors: of every article, or (with *ids*) of the changed articles, the rest taken from
    *previous* as they are. Text already embedded (in *previous* or the shared cache) is not embedded again."""
    t0 = time.perf_counter()
    today = _built_for(gen)
    old = readable_vectors(previous) if previous is not None else None
    if ids is not None and old is not None:
        changed = set(ids)
        kept = [i for i, r in enumerate(old.rows) if r[0] not in changed]
        passages = [p for aid in sorted(changed) if aid in corpus.articles
                    for p in article_passages(corpus.articles[aid], corpus, today)]
        base_rows = [old.rows[i] for i in kept]
        base = np.asarray(old.matrix[kept], dtype=np.float32) if kept else np.zeros((0, DIMENSIONS), np.float32)
    else:
        passages = [p for aid in sorted(corpus.articles) for p in article_passages(corpus.articles[aid], corpus, today)]
        base_rows, base = [], np.zeros((0, DIMENSIONS), np.float32)
    digests = [p.digest for p in passages]
    known: dict[str, np.ndarray] = {}
    if old is not None:  # only the vectors this run needs are read out of the previous generation
        at = {r[3]: i for i, r in enumerate(old.rows)}
        known = {d: np.asarray(old.matrix[at[d]], dtype=np.float32) for d in set(digests) if d in at}
    todo = sorted({d: p.text for p, d in zip(passages, digests, strict=True) if d not in known}.items())
    with SharedCache.open() as shared:
        found = shared.get([d for d, _ in todo])
        known.update(found)
        todo = [(d, t) for d, t in todo if d not in found]
        if todo:
            vectors = embedder().passages([t for _, t in todo], progress)
            fresh = {d: vectors[i] for i, (d, _) in enumerate(todo)}
            known.update(fresh)
            shared.put(fresh)
    if progress and not todo:
        progress(1, 1)
    matrix = np.vstack([base] + [known[d][None, :] for d in digests]) if digests else base
    rows = base_rows + [(p.id, p.lang, p.kind, d) for p, d in zip(passages, digests, strict=True)]
    write_vectors(gen, matrix.astype(np.float32, copy=False), rows)
    return EmbedRun(len(rows), len(todo), time.perf_counter() - t0)


def _built_for(gen: Path) -> dt.date:
    """The day the generation was built for (whether an article is public depends on it)."""
    try:
        return dt.date.fromisoformat(json.loads((gen / "meta.json").read_text("utf-8"))["today"])
    except (OSError, ValueError, KeyError, TypeError):
        return dt.date.today()


def write_vectors(gen: Path, matrix: np.ndarray, rows: list[tuple[str, str, str, str]]) -> None:
    """Write the vectors into *gen*: the matrix first, then the rows with the matrix's size and checksum (whose
    presence says both are there). Each is a new file swapped in by name: a reader's copy never changes."""
    tag = f"{os.getpid()}-{time.monotonic_ns()}"
    buffer = io.BytesIO()
    np.save(buffer, matrix)
    data = buffer.getvalue()
    tmp_npy = gen / f".{VECTORS_FILE}.{tag}.tmp"
    tmp_npy.write_bytes(data)
    os.replace(tmp_npy, gen / VECTORS_FILE)
    tmp_json = gen / f".{ROWS_FILE}.{tag}.tmp"
    tmp_json.write_text(json.dumps({"format": FORMAT, "model": MODEL_NAME, "size": len(data),
                                    "sha256": hashlib.sha256(data).hexdigest(), "rows": rows}, ensure_ascii=False),
                        "utf-8")
    os.replace(tmp_json, gen / ROWS_FILE)


class SharedCache:
    """Vectors by passage hash, shared by every index on the machine that names the same folder in
    ``PORTAL_EMBEDDING_CACHE`` (a test suite builds hundreds of indexes of the same few articles)."""

    def __init__(self, db: sqlite3.Connection | None):
        self.db = db

    @classmethod
    def open(cls) -> SharedCache:
        """The cache named by the environment, or one that holds nothing."""
        folder = os.environ.get("PORTAL_EMBEDDING_CACHE")
        if not folder:
            return cls(None)
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(Path(folder) / "vectors.sqlite3", timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS vectors (digest TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        except (OSError, sqlite3.Error):
            return cls(None)  # a cache that cannot be used only costs time
        return cls(db)

    def __enter__(self) -> SharedCache:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.db is not None:
            self.db.close()

    def get(self, digests: list[str]) -> dict[str, np.ndarray]:
        """The cached vectors of *digests*."""
        if self.db is None or not digests:
            return {}
        out = {}
        for start in range(0, len(digests), 500):
            chunk = digests[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for digest, blob in self.db.execute(f"SELECT digest, vector FROM vectors WHERE digest IN ({marks})",  # noqa: S608
                                                chunk):
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape == (DIMENSIONS,):
                    out[digest] = vector
        return out

    def put(self, vectors: dict[str, np.ndarray]) -> None:
        """Keep *vectors* for the next index."""
        if self.db is None or not vectors:
            return
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                [(d, np.asarray(v, np.float32).tobytes()) for d, v in vectors.items()])

