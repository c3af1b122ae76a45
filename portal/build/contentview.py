"""The content a server's views show, brought to the state of the index generation its search uses.

Every index generation records the content it reflects (``content.json``: per article a digest of its files, its
dates from git and whether it was public; :func:`portal.build.stages.content_state`). A long-running server keeps
the :class:`~portal.build.cachedload.Loaded` its views show; when a request finds a new generation, the server
compares the generation's record with the record of what it holds and, when they differ, loads the content folder
again through the content cache (:func:`portal.build.stages.load_content`: only folders whose files changed are
read, and an article whose links now resolve differently is rendered again). The articles whose files, dates and
link resolutions are the same as before are taken over from the content held (no unpickling); the others come
from the cache. The result equals a fresh load of the content folder, as `portal index` saw it when it built the
generation (or later: a view is never older than its search).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portal.build import collector, stages
from portal.build.cachedload import LazyArticles, Loaded

log = logging.getLogger("portal")


@dataclass
class Followed:
    """What bringing the content to a generation did: the content, whether it was loaded again, how many
    articles were taken over as they were, and whether the content folder now holds what the generation
    recorded (False: the folder changed again since, or the generation was built from other content)."""

    loaded: Loaded
    reloaded: bool
    kept: int
    matches: bool
    seconds: float


def record_of(loaded: Loaded, today: dt.date) -> dict[str, Any]:
    """The part of a generation's content record that *loaded* would have (site files and articles) on *today*."""
    state = stages.content_state(loaded, today, commit=False)
    return {"site": state["site"], "articles": state["articles"]}


def same_content(loaded: Loaded, record: dict[str, Any] | None, built_for: dt.date) -> bool:
    """True when *loaded* is the content the generation with content *record* (built for the day *built_for*)
    reflects; False when it differs or the generation keeps no record."""
    if not record or "articles" not in record or "site" not in record:
        return False
    mine = record_of(loaded, built_for)
    return mine["site"] == record["site"] and mine["articles"] == record["articles"]


def follow(root: Path, cache_dir: Path | None, held: Loaded | None, record: dict[str, Any] | None,
           built_for: dt.date) -> Followed:
    """The content for a generation whose content record is *record*: *held* itself when it is that content,
    else the content folder loaded again (unchanged articles taken over from *held*)."""
    t0 = time.perf_counter()
    if held is not None and held.corpus is not None and same_content(held, record, built_for):
        return Followed(held, False, len(held.corpus.articles), True, time.perf_counter() - t0)
    loaded = stages.load_content(root, cache_dir=cache_dir, lazy=True)
    kept = _take_over(loaded, held)
    loaded.pages = {}  # what the static build needs: a server's views do not
    if loaded.corpus is not None:
        articles = loaded.corpus.articles
        loaded.corpus.articles = articles.everything() if isinstance(articles, LazyArticles) else articles
        collector.keep_new()  # the new content is kept out of the collector's walks
    matches = loaded.corpus is not None and same_content(loaded, record, built_for)
    return Followed(loaded, True, kept, matches, time.perf_counter() - t0)


def _take_over(loaded: Loaded, held: Loaded | None) -> int:
    """Put the articles of *held* that are exactly those of *loaded* (same files, dates from git and link
    resolutions, not read or rendered again by this load) into *loaded*'s corpus; how many."""
    if held is None or held.corpus is None or loaded.corpus is None:
        return 0
    fresh = set(loaded.stats.read) | set(loaded.stats.rerendered)
    before, now = held.corpus.articles, loaded.corpus.articles
    kept = 0
    for name in list(now):
        if name in fresh or name not in before:
            continue
        if (held.digests.get(name) == loaded.digests.get(name) and held.git.get(name) == loaded.git.get(name)
                and held.links.get(name) == loaded.links.get(name)):
            now[name] = before[name]
            kept += 1
    return kept
