"""The stages up to the index: load and check content (through the content cache), render it, read git
history, index.

Each stage is a function in its own module that returns values; this module only strings them
together, so that the command line, the app and the tests run exactly the same steps. The freeze that
follows is added by :mod:`portal.site.pipeline` (it needs the web app, which itself loads through here).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.build import cachedload, contentcache, vectorstage
from portal.content.gitinfo import head_commit
from portal.content.load import all_problems, reload_articles
from portal.content.model import Corpus
from portal.exceptions import ContentError, IndexCorruptError, PortalError, Problem
from portal.render.markdown import render_corpus
from portal.search.index import build_index, current_generation, update_index, verify_generation
from portal.search.index.writer import CONTENT_STATE

log = logging.getLogger("portal")
Progress = Callable[[int, int], None]
Loaded = cachedload.Loaded
CONTENT_STATE_VERSION = 1


def cache_dir_for(index_dir: Path) -> Path:
    """Where the content cache of an index folder lives (inside it, beside the compound lexicon)."""
    return index_dir / contentcache.FOLDER


def load_content(root: Path, today: dt.date | None = None, history: bool = True, cache_dir: Path | None = None,
                 progress: Progress | None = None, lazy: bool = False) -> Loaded:
    """Load, validate and render the content folder, re-reading only changed folders when *cache_dir* holds
    a cache (see :mod:`portal.build.cachedload`); the result equals a load without cache. With *lazy*, cached
    articles are unpickled only when used."""
    if not root.is_dir():
        raise PortalError(f"the content folder {root} does not exist")
    return cachedload.load(root, today or dt.date.today(), cache_dir, progress, history=history, lazy=lazy)


def load(root: Path, today: dt.date | None = None, history: bool = True,
         cache_dir: Path | None = None, lazy: bool = False) -> tuple[Corpus | None, list[Problem]]:
    """Load, validate and render the content folder; the corpus is None when it cannot be used at all.

    With *cache_dir*, unchanged article folders come from the content cache there (with *lazy*, their
    articles are unpickled only when used)."""
    loaded = load_content(root, today, history, cache_dir, lazy=lazy)
    return loaded.corpus, loaded.problems


def reload(corpus: Corpus, names: list[str], today: dt.date | None = None) -> list[Problem]:
    """Re-read and re-render the article folders *names* in *corpus*; return all problems.

    Saving a file changes no git history, so the dates and outdated flags from git are kept; a commit
    is picked up by the next full load."""
    reload_articles(corpus, names, today)
    render_corpus(corpus, only=names)
    problems = all_problems(corpus) + corpus.history_problems
    return sorted(problems, key=lambda p: (p.path, p.line))


def load_valid(root: Path, today: dt.date | None = None) -> tuple[Corpus, list[Problem]]:
    """Like :func:`load`, but raise :class:`ContentError` when there is any error."""
    loaded = load_content(root, today)
    return _valid(loaded), loaded.problems


def _valid(loaded: Loaded) -> Corpus:
    if loaded.corpus is None or any(p.is_error for p in loaded.problems):
        raise ContentError(loaded.problems)
    return loaded.corpus


@dataclass
class IndexRun:
    """What `portal index` did: a full build, an update of the changed articles, or nothing to do."""

    corpus: Corpus
    generation: Path
    mode: str  # "full", "update" or "unchanged"
    changed: list[str]  # the article ids re-indexed by an update (changed, added or removed)
    loaded: Loaded
    seconds: dict[str, float] = field(default_factory=dict)
    previous: Path | None = None  # the generation that was current before (its vectors are reused)
    embedded: vectorstage.EmbedRun | None = None

    def add_vectors(self, progress: Progress | None = None) -> vectorstage.EmbedRun | None:
        """Give the run's generation its vectors (only the changed articles' text is embedded)."""
        if self.mode == "unchanged":
            self.embedded = vectorstage.ensure_vectors(self.corpus, self.generation, progress)
        else:
            changed = self.changed if self.mode == "update" else None
            self.embedded = vectorstage.add_vectors(self.corpus, self.generation, self.previous, changed, progress)
        return self.embedded


def content_state(loaded: Loaded, today: dt.date, commit: bool = True) -> dict[str, Any]:
    """A record of everything an article's index documents depend on besides the site-wide settings:
    its files' content digest, the dates and outdated flags from git, and whether it is public today
    (``articles``); and of the content folder itself: the digest of each folder's files (``files``) and the git
    commit it was at (``commit``, with *commit*), by which another machine tells whether it holds the same content
    (:mod:`portal.build.shipping`)."""
    assert loaded.corpus is not None
    articles = {}
    for aid, facts in loaded.facts.items():  # the facts of every article: no article need be unpickled
        h = hashlib.blake2b(loaded.digests.get(aid, "").encode(), digest_size=12)
        for lang, updated, outdated in sorted(loaded.version_dates(aid)):
            h.update(f"|{lang}|{updated}|{outdated}".encode())
        h.update(b"|public" if facts.is_public(today) else b"|hidden")
        articles[aid] = h.hexdigest()
    return {"version": CONTENT_STATE_VERSION, "root": str(loaded.corpus.root), "site": loaded.site_digest,
            "commit": head_commit(loaded.corpus.root) if commit else None, "articles": articles,
            "files": dict(sorted(loaded.digests.items()))}


def changed_articles(index_dir: Path, state: dict[str, Any]) -> list[str] | None:
    """The ids whose record differs from the current generation's; None when an update cannot be trusted
    (no index or no record, another content folder, site.yml or synonyms.yml changed). The caller has checked the
    generation's checksums (:func:`index_loaded`)."""
    try:
        old = json.loads((current_generation(index_dir) / CONTENT_STATE).read_text("utf-8"))
        if any(old.get(k) != state[k] for k in ("version", "root", "site")):
            return None
        before, now = dict(old["articles"]), state["articles"]
    except Exception:  # no index, no record, or a damaged one: build in full
        return None
    return sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))


def index_content(root: Path, index_dir: Path, today: dt.date | None = None, progress: Progress | None = None,
                  full: bool = False, cache: bool = True, load_progress: Progress | None = None,
                  lazy: bool = False, vectors: bool = True) -> IndexRun:
    """Check the content and bring the index up to date in a new generation (the old one stays if anything
    fails): only the changed articles when the current generation records the content it reflects,
    else (or with *full*) a full build. With *cache*, unchanged folders come from the content cache; with
    *lazy*, the run's corpus unpickles cached articles only when used (an update uses the changed ones).
    With *vectors*, the semantic vectors follow once the lexical index is in use (without, the caller adds
    them: :meth:`IndexRun.add_vectors`)."""
    today = today or dt.date.today()
    t0 = time.perf_counter()
    loaded = load_content(root, today, cache_dir=cache_dir_for(index_dir) if cache else None,
                          progress=load_progress, lazy=lazy)
    _valid(loaded)
    t1 = time.perf_counter()
    run = index_loaded(loaded, index_dir, today, progress, full, vectors=False)
    t2 = time.perf_counter()
    run.seconds = {"load": t1 - t0, "index": t2 - t1}
    if vectors:
        run.add_vectors(progress)
        run.seconds["vectors"] = time.perf_counter() - t2
    return run


def index_loaded(loaded: Loaded, index_dir: Path, today: dt.date | None = None, progress: Progress | None = None,
                 full: bool = False, vectors: bool = True) -> IndexRun:
    """Bring the index up to date with valid *loaded* content (see :func:`index_content`)."""
    today = today or dt.date.today()
    corpus = _valid(loaded)
    previous = vectorstage.current_or_none(index_dir)
    checked = None
    if previous is not None and not full:
        try:  # an update builds on the current generation's files: never on damaged ones
            checked = verify_generation(previous)
        except IndexCorruptError as exc:
            log.warning("%s: building the index in full", exc)
    state = content_state(loaded, today)
    changed = None if checked is None else changed_articles(index_dir, state)
    if changed is None:
        gen, mode = build_index(corpus, index_dir, today, progress, content_state=state), "full"
    elif changed:
        gen, mode = update_index(corpus, index_dir, changed, today, content_state=state, checked=checked), "update"
        if _built_in_full(gen):  # the writer rebuilt all (e.g. a new index schema): say so
            mode, changed = "full", None
    else:
        gen, mode = current_generation(index_dir), "unchanged"
    run = IndexRun(corpus, gen, mode, changed or [], loaded, previous=previous)
    if vectors:
        run.add_vectors()
    return run


def _built_in_full(gen: Path) -> bool:
    try:
        return json.loads((gen / "meta.json").read_text("utf-8")).get("incremental_updates", 0) == 0
    except (OSError, ValueError):
        return False


def index(root: Path, index_dir: Path, today: dt.date | None = None,
          progress: Progress | None = None, full: bool = False) -> tuple[Corpus, Path]:
    """Check the content and update the index (see :func:`index_content`); return the corpus and generation."""
    run = index_content(root, index_dir, today, progress, full=full)
    return run.corpus, run.generation
