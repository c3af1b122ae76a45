"""The search index: the only package that talks to Whoosh.

Terms are produced by :mod:`portal.search.analysis` and indexed ready-made (:mod:`.documents`). Every build
writes a new *generation* folder and atomically swaps the `current` symlink to it (:mod:`.writer`), so a
reader (:mod:`.reader`) never sees a half-written index and a failed build leaves the previous one in use. Each
generation lists its files with their checksums (:mod:`.manifest`), checked when it is opened, and can be shipped
to another machine as one artifact (:mod:`.artifact`).
"""

from portal.search.index.documents import SCHEMA_VERSION, analyzers_for, glossary, synonym_map
from portal.search.index.manifest import MANIFEST
from portal.search.index.manifest import verify as verify_generation
from portal.search.index.reader import (
    Alternative,
    Generation,
    IndexHandle,
    RawHit,
    all_documents,
    current_generation,
    documents_for,
    open_generation,
    run_query,
)
from portal.search.index.writer import build_index, update_index

__all__ = [
    "MANIFEST", "SCHEMA_VERSION", "Alternative", "Generation", "IndexHandle", "RawHit", "all_documents",
    "analyzers_for", "build_index", "current_generation", "documents_for", "glossary", "open_generation", "run_query",
    "synonym_map", "update_index", "verify_generation",
]
