"""What the web app serves from: the loaded content and the search index, shared by all views.

The index is read through an :class:`~portal.index.IndexHandle`, which follows each atomic rebuild.
A missing or damaged index is rebuilt from the content (with a clear log message) instead of failing.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from portal import pipeline
from portal.exceptions import IndexCorruptError, IndexMissingError
from portal.index import IndexHandle, build_index
from portal.model import Corpus
from portal.search import Searcher

log = logging.getLogger("portal")


class PortalState:
    """Holds the corpus and the searcher; reloads the corpus when content files change (dev mode)."""

    def __init__(self, articles: Path, index_dir: Path, reload: bool = False):
        self.articles, self.index_dir, self.reload = articles, index_dir, reload
        self._lock = threading.RLock()
        self._corpus: Corpus | None = None
        self._problems: list[Any] = []
        self._stamp: tuple | None = None
        self._searcher: Searcher | None = None

    def _content_stamp(self) -> tuple:
        return tuple(sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size)
                            for p in self.articles.rglob("*") if p.is_file()))

    def corpus(self) -> Corpus:
        """The current content (reloaded first when files changed and reloading is on)."""
        with self._lock:
            if self._corpus is None or (self.reload and self._content_stamp() != self._stamp):
                stamp = self._content_stamp() if self.reload else None
                corpus, problems = pipeline.load(self.articles)
                if corpus is None:
                    if self._corpus is None:
                        from portal.exceptions import ContentError
                        raise ContentError(problems)
                else:
                    reindex = self._corpus is not None
                    self._corpus = corpus
                    if reindex and not any(p.is_error for p in problems):
                        build_index(corpus, self.index_dir)
                self._problems, self._stamp = problems, stamp
            return self._corpus

    def problems(self) -> list[Any]:
        """Problems found when the content was last loaded."""
        self.corpus()
        return self._problems

    def searcher(self) -> Searcher:
        """The searcher; builds the index first when it is missing or damaged."""
        if self.reload:
            self.corpus()
        with self._lock:
            if self._searcher is None:
                try:
                    self._searcher = Searcher(IndexHandle(self.index_dir))
                except (IndexMissingError, IndexCorruptError) as exc:
                    log.warning("%s; rebuilding the index from %s", exc, self.articles)
                    build_index(self.corpus(), self.index_dir)
                    self._searcher = Searcher(IndexHandle(self.index_dir))
            return self._searcher

    def today(self) -> dt.date:
        """Today's date (configurable for tests and previews of future publishing)."""
        value = current_app.config.get("TODAY")
        return dt.date.fromisoformat(value) if isinstance(value, str) else (value or dt.date.today())


def init_app(app: Flask) -> None:
    """Attach one :class:`PortalState` to *app*."""
    app.extensions["portal"] = PortalState(app.config["ARTICLES_DIR"], app.config["INDEX_DIR"],
                                           reload=bool(app.config.get("RELOAD_CONTENT")))


def get_state() -> PortalState:
    """The :class:`PortalState` of the current app."""
    return current_app.extensions["portal"]
