"""The text of a file as a commit left it, read from the git repository's object files, not by running git.

Comparing two versions of an article is something an agent asks for while working; starting a git process per
request for it (and two per file) is what the history is built to avoid (:mod:`portal.content.changelog` records
each version's blob id once). Dulwich reads the blobs straight from the repository's pack and loose object files,
in the process, each worker keeping the repository open. A blob the repository does not hold (a shallow or partial
clone) is None: the page says so.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("portal")
MAX_TEXT_BYTES = 2 * 1024 * 1024  # the limit of an article file is 1 MiB: anything larger is not compared
_repos: dict[str, Any] = {}
_lock = threading.Lock()  # dulwich's pack files are read with seek and read: one reader at a time


class Blob:
    """What a blob holds as far as a comparison goes: its text, or that it is binary or too large to show."""

    def __init__(self, text: str | None, binary: bool = False, size: int = 0):
        self.text, self.binary, self.size = text, binary, size


def _open(root: Path) -> Any:
    from dulwich.repo import Repo  # imported when a comparison is first asked for

    repo = _repos.get(_key(root))
    if repo is None:
        repo = _repos[_key(root)] = Repo.discover(os.path.realpath(root))
    return repo


def _drop(root: Path) -> None:
    """Forget the repository of *root* (its packs closed: dulwich warns about packs left open)."""
    repo = _repos.pop(_key(root), None)
    if repo is not None:
        with contextlib.suppress(Exception):
            repo.close()


def _key(root: Path) -> str:
    # Per process too: a forked worker must not share the parent's open pack files (and their file positions).
    return f"{os.getpid()}:{os.path.realpath(root)}"


def read_blob(root: Path, blob_id: str) -> Blob | None:
    """The blob *blob_id* of the repository that holds the content folder *root*; None when that repository
    does not hold it (or there is no repository)."""
    from dulwich.errors import NotGitRepository

    with _lock:
        for attempt in (1, 2):
            try:
                data = _open(root).object_store[blob_id.encode("ascii")].as_raw_string()
                break
            except KeyError:
                # A new pack since the repository was opened (git gc, a fetch): open it again once.
                _drop(root)
                if attempt == 2:
                    return None
            except (NotGitRepository, OSError, ValueError) as exc:
                log.warning("cannot read blob %s of the repository of %s: %s", blob_id, root, exc)
                _drop(root)
                return None
    if len(data) > MAX_TEXT_BYTES:
        return Blob(None, size=len(data))
    if b"\0" in data[:8000]:  # git's own test for a binary file
        return Blob(None, binary=True, size=len(data))
    return Blob(data.decode("utf-8", "replace"), size=len(data))
