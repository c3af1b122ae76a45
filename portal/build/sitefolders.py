"""What lives beside a published site, and the conditions a build of it runs under.

Beside ``out`` a build keeps the spare tree (portal.build.spare), the mark that the search index is behind the
pages, and, while it runs, its temporary folders (``mkdtemp`` names ``.<out>.<kind>-…``), which a killed
build leaves behind for the next one to remove. One build of a folder runs at a time.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """One build of *out* at a time: two builds patching the same spare tree would corrupt it. The lock is
    on the folder holding *out* (no lock file is left beside the site), so it covers its siblings too."""
    fd = os.open(out.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


STRAYS = ("new", "old", "search", "bundle")  # the temporary folders a build makes beside *out* (mkdtemp prefixes)


def search_pending(out: Path) -> Path:
    """The mark (beside the site, never in it) that the site's pages are newer than its search bundle."""
    return out.parent / f".{out.name}.pending-search"


def remove_strays(out: Path) -> None:
    """Remove what a killed build left beside *out* (its temporary trees and bundles; never the spare)."""
    for kind in STRAYS:
        for path in out.parent.glob(f".{out.name}.{kind}-*"):
            shutil.rmtree(path, ignore_errors=True)
