"""Python's cycle collector and the loaded content: when to pause it, and what to keep out of its walks.

At 10,000 articles the loaded content is hundreds of thousands of objects (millions with every article
in memory) that live as long as the corpus does. Each full collection walks all of them, at whatever
moment a collection happens to be set off: in the middle of a load (half of reading the cache's
entries), of a request (489 ms in an app worker), of a build (reading two build records took 1 s each).
The helpers here keep such objects out of its way; new objects are collected as usual.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

_keep_loads = False


def keep_loads() -> None:
    """From now on, what a load makes stays out of the collector's walks (:func:`paused`): for a
    command-line run, which keeps its content until it exits (freed by reference counting all the same)."""
    global _keep_loads
    _keep_loads = True


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The collector paused while a load makes objects that all live on (see :func:`keep_loads`)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _keep_loads:
            gc.freeze()  # else the first collection after the load walks everything it made, twice over
        if was:
            gc.enable()


@contextlib.contextmanager
def untraced() -> Iterator[None]:
    """The objects that exist now (the loaded corpus) kept out of the collector's walks until the end.

    A one-article build spent more time in the collector (set off by reading the build records and
    rendering the list pages) than in its own work, 4.5 s against 1.3–2.1 s (bench/RESULTS.md, third
    round)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def settle() -> None:
    """Take the content just loaded by a long-running process out of the collector's way until its next
    full load: what an earlier load froze is released first, so that the corpus it replaced is freed."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def keep_new() -> None:
    """After a server brought its content to a new index generation (:mod:`portal.build.contentview`): collect
    what is new and keep the rest out of the collector's walks, without walking what earlier loads froze. A full
    collection (:func:`settle`) walks millions of objects at 10,000 articles (1.1 s, holding every thread of the
    worker); what it would find among the frozen objects after an update is a few dozen objects (40 after four
    updates, measured), freed at the next full load."""
    gc.collect()
    gc.freeze()
