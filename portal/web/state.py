"""What the web app serves from: the loaded content and the search index, shared by all views.

**The views follow the index generation.** Each request pins one *view*: the index generation its searches use
and the content its pages show, made for each other. The first time a request finds that the ``current`` link
leads to a new generation, the worker brings its content to that generation (:mod:`portal.build.contentview`:
when the generation's record of its content differs from what the worker holds, the content folder is loaded
again through the content cache, unchanged articles taken over) and makes that the view; requests that start
meanwhile wait for it, those already running finish with the view they pinned. So after `portal index` (or
`portal build`) every worker shows a new, changed or removed article in its pages, its API and its search at the
same moment, without a restart; a page is never older than the search beside it, nor than anything an earlier
request of the same worker showed.

**Faults.** A generation that is missing or damaged is never opened (its checksums are checked when it is read
into memory: :mod:`portal.search.index.reader`); the worker keeps serving the last good one and says so once in
its log. With none at all, searches answer 503 (:mod:`portal.web.unavailable`) and the pages show the content
folder as loaded (there is no search to disagree with). No index is ever built inside a request: `portal index`
builds it, and `portal serve` does at start-up when there is none.

With reloading on (`portal serve --dev`), a changed article folder is re-read, re-rendered and re-indexed on its
own; a change to site.yml, synonyms.yml or the set of folders reloads everything.

Each change of view after the first is told to the state's *listeners* (the audit trail,
:mod:`portal.web.audit`): ``index_generation`` when a worker takes up a new generation, ``content_reloaded``
when dev mode re-reads content.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context

from portal.build import collector, contentview, stages, vectorstage
from portal.build.cachedload import Loaded, LoadStats
from portal.build.contentcache import content_stamp
from portal.content.model import Corpus
from portal.exceptions import ContentError, IndexMissingError, Problem
from portal.search.index import Generation, IndexHandle, analyzers_for, update_index
from portal.search.searcher import Searcher

log = logging.getLogger("portal")
Stamp = dict[str, tuple]
RETRY_SECONDS = 30.0  # content that could not be brought to a generation is tried again after this long


@dataclass(frozen=True)
class View:
    """One index generation (None: there is none) and the content shown with it."""

    generation: Generation | None
    loaded: Loaded
    corpus: Corpus
    problems: list[Problem]


class PortalState:
    """Holds the views (generation and content); reloads what changed when reloading is on (dev mode)."""

    def __init__(self, articles: Path, index_dir: Path, reload: bool = False):
        self.articles, self.index_dir, self.reload = articles, index_dir, reload
        self.handle = IndexHandle(index_dir, open_now=False)
        self._searcher = Searcher(self.handle)
        self._lock = threading.RLock()  # dev mode: one reload at a time
        self._updating = threading.Lock()  # production: one thread brings the content to a new generation
        self._view: View | None = None
        self._failed: dict[str, float] = {}  # generations whose content could not be loaded, and when
        # dev mode
        self._corpus: Corpus | None = None
        self._problems: list[Problem] = []
        self._stamp: Stamp | None = None
        self._analyzers: dict | None = None  # kept between incremental index updates (dev mode)
        self.generation = 0  # bumped on every content change (the preview's live reload watches it)
        self.listeners: list[Callable[[str, str, str], None]] = []  # (action, target, detail) of each change

    def _notify(self, action: str, target: str, detail: str) -> None:
        for listener in self.listeners:
            try:
                listener(action, target, detail)
            except Exception:  # a listener (the audit trail) must never stop a worker from serving
                log.exception("could not note %s %s", action, target)

    # --- what the views ask for ---------------------------------------------------------------------------------

    def view(self) -> View:
        """This request's view: pinned by its first call (the index generation its searches use and the content
        its pages show); outside a request, the newest."""
        if has_request_context():
            found = g.get("portal_view")
            if found is not None:
                return found
        view = self._dev_view() if self.reload else self._current_view()
        if has_request_context():
            g.portal_view = view
            if view.generation is not None:
                g.portal_pin = self.handle.pin(view.generation)
        return view

    def corpus(self) -> Corpus:
        """The content this request shows (reloaded first when files changed and reloading is on)."""
        return self.view().corpus

    def problems(self) -> list[Problem]:
        """Problems found when the content shown was loaded."""
        return self.view().problems

    def searcher(self) -> Searcher:
        """The searcher, answering from this request's generation; IndexMissingError (a 503) when there is
        none: the index is never built here."""
        if self.view().generation is None:
            self.handle.refresh()  # raises what keeps the index from being opened
            raise IndexMissingError(f"the search index in {self.index_dir} is being opened; try again")
        return self._searcher

    def index_status(self) -> dict[str, Any] | None:
        """The generation this worker serves (for readiness checks and metrics): its name, when it was built,
        and its count of articles; None when it has none. Opens a new one if the link moved, builds nothing."""
        gen = self.handle.latest()
        if gen is None:
            return None
        return {"generation": gen.name, "built": gen.meta.get("built"), "articles": gen.meta.get("articles")}

    def today(self) -> dt.date:
        """Today's date (configurable for tests and previews of future publishing)."""
        value = current_app.config.get("TODAY")
        return dt.date.fromisoformat(value) if isinstance(value, str) else (value or dt.date.today())

    # --- production: the views follow the generation -----------------------------------------------------------

    def _current_view(self) -> View:
        gen = self.handle.latest()
        view = self._view
        if view is not None and (view.generation is gen or self._failed_recently(gen)):
            return view
        # One thread brings the content along; requests that arrive meanwhile wait for it rather than answer from
        # the previous generation: once one request of this worker has shown the new generation, no later one
        # shows an older page (requests already running keep the view they pinned).
        with self._updating:
            view = self._view
            gen = self.handle.latest()
            if view is not None and (view.generation is gen or self._failed_recently(gen)):
                return view
            self._view = self._follow(view, gen)
            self.generation += 1
            return self._view

    def _follow(self, view: View | None, gen: Generation | None) -> View:
        record = gen.content if gen is not None else None
        built_for = _built_for(gen)
        cache_dir = stages.cache_dir_for(self.index_dir)
        if view is None:  # the worker's first content
            loaded = stages.load_content(self.articles, cache_dir=cache_dir)
            if loaded.corpus is None:
                raise ContentError(loaded.problems)
            loaded.pages = {}  # the static build's page facts: not needed here
            collector.settle()
            if gen is not None and not contentview.same_content(loaded, record, built_for):
                log.info("the content folder %s is not what the index generation %s was built from (it changed "
                         "since): the pages show the folder", self.articles, gen.name)
            return View(gen, loaded, loaded.corpus, loaded.problems)
        if gen is None:
            return view
        try:
            followed = contentview.follow(self.articles, cache_dir, view.loaded, record, built_for)
        except Exception:
            log.exception("could not load the content for the index generation %s; still serving %s", gen.name,
                          view.generation.name if view.generation else "no generation")
            self._failed[gen.name] = time.monotonic()
            return view
        loaded = followed.loaded
        if loaded.corpus is None:
            log.warning("the content folder %s cannot be loaded (%d problem(s)); still serving the index "
                        "generation %s with the content loaded before", self.articles, len(loaded.problems),
                        view.generation.name if view.generation else "(none)")
            self._failed[gen.name] = time.monotonic()
            return view
        if followed.reloaded:
            log.info("index generation %s: content loaded again in %.2f s (%d of %d articles kept as they were)",
                     gen.name, followed.seconds, followed.kept, len(loaded.corpus.articles))
        self._notify("index_generation", gen.name, f"worker {os.getpid()}: {len(loaded.corpus.articles)} articles"
                     + (f", {len(loaded.corpus.articles) - followed.kept} loaded again" if followed.reloaded else ""))
        if not followed.matches:
            log.info("the content folder %s differs from what the index generation %s was built from (it changed "
                     "since): the pages show the folder", self.articles, gen.name)
        return View(gen, loaded, loaded.corpus, loaded.problems)

    def _failed_recently(self, gen: Generation | None) -> bool:
        when = self._failed.get(gen.name) if gen is not None else None
        return when is not None and time.monotonic() - when < RETRY_SECONDS

    # --- dev mode: reload changed folders, update the index in place -----------------------------------------

    def _dev_view(self) -> View:
        with self._lock:
            if self._corpus is None:
                self._full_load(index=False)
            elif not _checked_in_this_request():
                self._reload_changed()
            assert self._corpus is not None
            loaded = Loaded(self._corpus, self._problems, {}, "", LoadStats())
            return View(self.handle.latest(), loaded, self._corpus, self._problems)

    def _full_load(self, index: bool) -> None:
        # Unchanged folders come from the content cache in the index folder: a fresh worker over a warm
        # cache starts in seconds instead of re-rendering every article.
        stamp = content_stamp(self.articles)
        loaded = stages.load_content(self.articles, cache_dir=stages.cache_dir_for(self.index_dir))
        corpus, problems = loaded.corpus, loaded.problems
        if corpus is None:
            if self._corpus is None:
                raise ContentError(problems)
        else:
            self._corpus = corpus
            # The analyzers (with the compound lexicon of all content) are made now, at start-up, not by the
            # request that brings the first edit (about 2 s at 10,000 articles).
            self._analyzers = analyzers_for(corpus, self.index_dir)
            if index and not any(p.is_error for p in problems):
                stages.index_loaded(loaded, self.index_dir)  # only what changed, when the index records it
            collector.settle()
        self._problems, self._stamp = problems, stamp
        self.generation += 1
        if index:  # not the first load
            self._notify("content_reloaded", "", f"worker {os.getpid()}: all articles")

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
        self._notify("content_reloaded", "", f"worker {os.getpid()}: {len(changed)} folder(s)")
        if not any(p.is_error for p in self._problems):
            before = vectorstage.current_or_none(self.index_dir)
            gen = update_index(self._corpus, self.index_dir, changed, analyzers=self._analyzers)
            vectorstage.add_vectors(self._corpus, gen, before, changed)


def _built_for(gen: Generation | None) -> dt.date:
    """The day *gen* was built for (whether an article was public then is part of its content record)."""
    try:
        return dt.date.fromisoformat(gen.meta["today"]) if gen is not None else dt.date.today()
    except (KeyError, TypeError, ValueError):
        return dt.date.today()


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
    """Attach one :class:`PortalState` to *app*, open the current index generation (a worker starts with it in
    memory; a missing one is logged, never built) and unpin each request's generation when it ends."""
    state = PortalState(app.config["ARTICLES_DIR"], app.config["INDEX_DIR"],
                        reload=bool(app.config.get("RELOAD_CONTENT")))
    app.extensions["portal"] = state
    if not app.config.get("FREEZING"):
        state.handle.latest()

    @app.teardown_request
    def _unpin(_exc: BaseException | None) -> None:
        token = g.pop("portal_pin", None)
        if token is not None:
            with contextlib.suppress(ValueError, RuntimeError):
                state.handle.unpin(token)


def get_state() -> PortalState:
    """The :class:`PortalState` of the current app."""
    return current_app.extensions["portal"]
