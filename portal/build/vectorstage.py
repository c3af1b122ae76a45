"""The semantic stage: after the lexical index is swapped in, its generation gets its vectors.

The lexical search answers from the moment the generation is current; the vectors follow into the same
generation folder (see :mod:`portal.search.vectors`), and searches turn hybrid as soon as they are complete.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from portal.content.model import Corpus
from portal.exceptions import IndexCorruptError, IndexMissingError
from portal.search.embedding import SemanticUnavailable, enabled
from portal.search.index import current_generation
from portal.search.vectors import EmbedRun, embed_generation, readable_vectors

log = logging.getLogger("portal")
Progress = Callable[[int, int], None]


def current_or_none(index_dir: Path) -> Path | None:
    """The current generation of *index_dir*, or None when there is none."""
    try:
        return current_generation(index_dir)
    except (IndexMissingError, IndexCorruptError):
        return None


def add_vectors(corpus: Corpus, gen: Path, previous: Path | None, changed: Iterable[str] | None = None,
                progress: Progress | None = None) -> EmbedRun | None:
    """Give *gen* its vectors: those of *previous* with the *changed* articles embedded again, or (without
    *changed*, or when *previous* has none) every article's, reusing any text embedded before. None when
    semantic search is off or its model cannot be loaded here (the search then stays lexical)."""
    if not enabled():
        return None
    try:
        return embed_generation(corpus, gen, previous, changed, progress)
    except SemanticUnavailable as exc:
        log.warning("semantic search is not available (%s): the search stays lexical", exc)
        return None


def ensure_vectors(corpus: Corpus, gen: Path, progress: Progress | None = None) -> EmbedRun | None:
    """Embed *gen* when its vectors are missing (a run that was stopped while embedding) or damaged; None when
    semantic search is off."""
    if not enabled():
        return None
    found = readable_vectors(gen)
    if found is not None:
        return EmbedRun(len(found.rows), 0, 0.0)
    return add_vectors(corpus, gen, None, None, progress)
