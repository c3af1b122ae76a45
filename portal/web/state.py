"""What the web app serves from: the loaded content and the search index, shared by all views.

The index is read through an :class:`~portal.search.index.IndexHandle`, which follows each atomic rebuild.
A missing or damaged index is rebuilt from the content (with a clear log message) instead of failing.
With reloading on (`portal serve --dev`), a changed article folder is re-read, re-rendered and
re-indexed on its own; a change to site.yml, synonyms.yml or the set of folders reloads everything.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

from flask import Flask, current_app, g, has_request_context

from portal.build import collector, stages, vectorstage
from portal.build.contentcache import content_stamp
from portal.content.model import Corpus
from portal.exceptions import ContentError, IndexCorruptError, IndexMissingError, Problem
from portal.search.index import IndexHandle, analyzers_for, build_index, update_index
from portal.search.searcher import Searcher

log = logging.getLogger("portal")
Stamp = dict[str, tuple]


class PortalState:
    """Holds the corpus and the searcher; reloads what changed when reloading is on (dev mode)."""

    def __init__(self, articles: Path, index_dir: Path, reload: bool = False):
        self.articles, self.index_dir, self.reload = articles, index_dir, reload
        self._lock = threading.RLock()
        self._corpus: Corpus | None = None
        self._problems: list[Problem] = []
        self._stamp: Stamp | None = None
        self._searcher: Searcher | None = None
        self._analyzers: dict | None = None  # kept between incremental index updates (dev mode)
        self.generation = 0  # bumped on every content change (the preview's live reload watches it)

    def corpus(self) -> Corpus:
        """The current content (reloaded first when files changed and reloading is on)."""
        with self._lock:
            if self._corpus is None:
                self._full_load(index=False)
            elif self.reload and not _checked_in_this_request():
                self._reload_changed()
            assert self._corpus is not None
            return self._corpus

    def _full_load(self, index: bool) -> None:
        # Unchanged folders come from the content cache in the index folder: a fresh worker over a warm
        # cache starts in seconds instead of re-rendering every article.
        stamp = content_stamp(self.articles) if self.reload else None
        loaded = stages.load_content(self.articles, cache_dir=stages.cache_dir_for(self.index_dir))
        corpus, problems = loaded.corpus, loaded.problems
        if corpus is None:
            if self._corpus is None:
                raise ContentError(problems)
        else:
            self._corpus = corpus
            # Dev mode: the analyzers (with the compound lexicon of all content) are made now, at start-up,
            # not by the request that brings the first edit (about 2 s at 10,000 articles).
            self._analyzers = analyzers_for(corpus, self.index_dir) if self.reload else None
            if index and not any(p.is_error for p in problems):
                stages.index_loaded(loaded, self.index_dir)  # only what changed, when the index records it
            collector.settle()
        self._problems, self._stamp = problems, stamp
        self.generation += 1

    def _reload_changed(self) -> None:
        stamp = content_stamp(self.articles)
        old = self._stamp or {}
        if stamp == old:
            return
        if stamp.get("") != old.get("") or stamp.keys() != old.keys() or self._corpus is None:
            self._full_load(index=True)
            return
        changed = [name for name in stamp if name and stamp[name] != old.get(name)]
        self._problems = stages.reload(self._corpus, changed)
        self._stamp = stamp
        self.generation += 1
        if not any(p.is_error for p in self._problems):
            before = vectorstage.current_or_none(self.index_dir)
            gen = update_index(self._corpus, self.index_dir, changed, analyzers=self._analyzers)
            vectorstage.add_vectors(self._corpus, gen, before, changed)

    def problems(self) -> list[Problem]:
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
                    gen = build_index(self.corpus(), self.index_dir)
                    vectorstage.add_vectors(self.corpus(), gen, None)
                    self._searcher = Searcher(IndexHandle(self.index_dir))
            return self._searcher

    def today(self) -> dt.date:
        """Today's date (configurable for tests and previews of future publishing)."""
        value = current_app.config.get("TODAY")
        return dt.date.fromisoformat(value) if isinstance(value, str) else (value or dt.date.today())


def _checked_in_this_request() -> bool:
    """True when this request has already looked for changed files (it sees one state of the content;
    looking at 10,000 folders' files costs about half a second)."""
    if not has_request_context():
        return False
    if g.get("portal_content_checked"):
        return True
    g.portal_content_checked = True
    return False


def init_app(app: Flask) -> None:
    """Attach one :class:`PortalState` to *app*."""
    app.extensions["portal"] = PortalState(app.config["ARTICLES_DIR"], app.config["INDEX_DIR"],
                                           reload=bool(app.config.get("RELOAD_CONTENT")))


def get_state() -> PortalState:
    """The :class:`PortalState` of the current app."""
    return current_app.extensions["portal"]
