"""The stages in order: load and check content, render it, read git history, index, freeze.

Each stage is a function in its own module that returns values; this module only strings them
together, so that the command line, the app and the tests run exactly the same steps. Loading and
indexing (the part the web app needs too) are in :mod:`portal.build.stages`; this module adds the
freeze, and is what the command line and the tests call.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

from portal.build.stages import (
    IndexRun,
    Loaded,
    Progress,
    _valid,
    cache_dir_for,
    changed_articles,
    content_state,
    index,
    index_content,
    index_loaded,
    load,
    load_content,
    load_valid,
    reload,
)
from portal.content.changelog import keep_changelog
from portal.exceptions import PortalError

__all__ = ["IndexRun", "Loaded", "build", "build_incremental", "cache_dir_for", "changed_articles", "content_state",
           "index", "index_content", "index_loaded", "load", "load_content", "load_valid", "reload"]


def build(root: Path, out: Path, index_dir: Path, today: dt.date | None = None,
          progress: Progress | None = None, say: Callable[[str], None] | None = None) -> dict:
    """Check, index and freeze the public site into *out*, atomically; return a summary."""
    from portal.site.freeze import freeze_site

    say = say or (lambda _msg: None)
    say("Checking and indexing the content …")
    run = index_content(root, index_dir, today, progress, vectors=False)
    keep_changelog(root, cache_dir_for(index_dir))  # the agents' history pages: git log read once per build
    say("Freezing the public site …")
    summary = freeze_site(run.corpus, out, index_dir, today=today, progress=progress, say=say, loaded=run.loaded)
    # The pages are out and the lexical search answers: the semantic vectors follow into the same generation.
    say("Embedding the articles for semantic search …")
    done = run.add_vectors(progress)
    if done is not None:
        say(f"Semantic vectors: {done.passages} passage(s), {done.embedded} embedded now ({done.seconds:.1f} s).")
    return summary


def build_incremental(root: Path, out: Path, index_dir: Path, today: dt.date | None = None,
                      progress: Progress | None = None, say: Callable[[str], None] | None = None) -> dict:
    """`portal build --incremental`: check the content, then bring the index up to date in a child process
    (portal.build.beside) while the pages the changes can show are re-rendered and published (portal.site.freeze).
    The content is loaded lazily: only the articles the work needs are unpickled (portal.build.published).
    Return the freeze's summary with ``index`` (what the index update did) and ``index_at_s`` (when it was
    done, from the start)."""
    from portal.build.beside import Beside
    from portal.site.freeze import freeze_site

    say = say or (lambda _msg: None)
    today = today or dt.date.today()
    t0 = time.perf_counter()
    say("Checking the content …")
    loaded = load_content(root, today, cache_dir=cache_dir_for(index_dir), progress=progress, lazy=True)
    corpus = _valid(loaded)
    indexing = Beside(lambda: _index_note(index_loaded(loaded, index_dir, today)), "index update")
    note: list[str] = []
    failed: list[PortalError] = []

    def report() -> None:  # once, as soon as the index is done; a failure is raised after the pages are out
        if note:
            return
        try:
            text, at = indexing.result()
            note.append(f"{text} ({at - t0:.1f} s after the start)")
        except PortalError as exc:
            failed.append(PortalError(f"the search index could not be updated (the previous one stays in use): {exc}"))
            note.append("The search index could not be updated (the error is shown at the end)")
        say(note[0] + ".")

    def say_and_report(message: str) -> None:
        if indexing.done():
            report()
        say(message)

    say("Updating the search index and freezing the public site (incremental) …")
    try:
        summary = freeze_site(corpus, out, index_dir, today=today, progress=progress, say=say_and_report,
                              incremental=True, loaded=loaded)
    except BaseException:
        with contextlib.suppress(PortalError):  # let it finish: it swaps in a whole new index or nothing
            indexing.result()
        raise
    report()
    keep_changelog(root, cache_dir_for(index_dir))
    if failed:
        raise failed[0]
    return {**summary, "index": note[0], "index_at_s": round(indexing.result()[1] - t0, 3)}


def _index_note(run: IndexRun) -> str:
    """What an index run did, in words."""
    n = len(run.corpus.articles)
    if run.mode == "full":
        return f"Built the search index of {n} article(s)"
    if run.mode == "update":
        return f"Updated {len(run.changed)} article(s) in the search index"
    return "The search index was up to date"
