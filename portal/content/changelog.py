"""Each article's history from git: who changed which of its files, when and why.

`git log` over the content folder is read once for each commit the checkout is at: ``portal index`` (and
``portal build``) reads it and keeps it in the cache folder beside the content cache, keyed by that commit, and
the app's workers load it from there (or read git once themselves when the checkout moved since). Nothing asks git
per request. Each commit records, per article folder, the files it changed with their blob ids before and after,
so that two versions can be compared later without asking git again (:mod:`portal.content.gitblobs` reads the
blobs).

A folder renamed with ``redirect_from`` keeps its history: the changes made under the old id count for the article
that names it (:meth:`ChangeLog.changes`). Merge commits are left out (their changes are in the commits they
merge), as ``git log`` shows them by default; a merged commit counts as new from when its merge reached the branch
(:attr:`Commit.landed`), so a change made in a merge request a week before it was merged is still news.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import heapq
import logging
import os
import pickle
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("portal")
CACHE_FILE = "git-changelog.pickle"
SCHEMA = 2
NO_BLOB = "0" * 40
# One record per commit: its fields apart by 0x1f, the message ended by 0x1d; the files follow with -z.
_FORMAT = "--format=%x1e%H%x1f%cI%x1f%aN%x1f%B%x1d"
GIT_TIMEOUT_S = 300
Entry = tuple[int, tuple["FileChange", ...]]  # a commit's index in ChangeLog.commits, and the files it changed
MAX_SUBJECT, MAX_BODY = 500, 4000  # a commit message pasted whole from somewhere: shown shortened


@dataclass(frozen=True)
class Commit:
    """One commit: its id, when it was committed, who wrote it and its message (subject and body)."""

    sha: str
    when: dt.datetime
    author: str
    subject: str
    body: str = ""
    # When it reached the checked-out branch (seconds since 1970): its own time on the branch's first-parent line,
    # the merge's for a commit a merge request brought (a change made on a branch on the 10th and merged on the 20th
    # is new on the 20th). 0: its own time.
    landed: float = 0.0

    @property
    def landed_at(self) -> dt.datetime:
        """When the commit reached the branch, in the server's time zone."""
        return dt.datetime.fromtimestamp(self.landed or self.when.timestamp()).astimezone()


@dataclass(frozen=True)
class FileChange:
    """One file of an article folder as one commit changed it: its path in the folder (``sv.md``,
    ``internal/rutin.pdf``), git's status letter (A added, M modified, D deleted, T type changed) and its blob
    ids before and after (None for a file that did not exist)."""

    path: str
    status: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Change:
    """One commit as it touched one article: the commit and the files it changed (a file moved with the folder,
    as a rename with ``redirect_from`` does, has the status R)."""

    commit: Commit
    files: tuple[FileChange, ...]


@dataclass
class ChangeLog:
    """The history of every folder of one checkout; ``key`` names the checkout (empty: nothing committed yet).

    ``commits`` are newest first as git lists them; ``folders`` maps a folder name to its changes as (index in
    ``commits``, files), newest first; ``shallow`` is true for a shallow clone (the history is cut short)."""

    key: tuple
    commits: list[Commit] = field(default_factory=list)
    folders: dict[str, list[tuple[int, tuple[FileChange, ...]]]] = field(default_factory=dict)
    shallow: bool = False

    def entries(self, folders: Iterable[str]) -> list[Entry]:
        """The raw changes of the article whose folder is, or was, one of *folders* (its id, then its
        ``redirect_from`` ids): (index in :attr:`commits`, files), newest first, one per commit."""
        lists = [self.folders.get(name, []) for name in dict.fromkeys(folders)]
        if len(lists) == 1:
            return lists[0]
        out: list[Entry] = []
        for i, files in heapq.merge(*lists, key=lambda item: item[0]):
            if out and out[-1][0] == i:  # the commit that moved the folder: one change
                out[-1] = (i, _moved(out[-1][1], files))
            else:
                out.append((i, files))
        return out

    def changes(self, folders: Iterable[str]) -> list[Change]:
        """Every change to the article whose folder is, or was, one of *folders*, newest first."""
        return self.as_changes(self.entries(folders))

    def as_changes(self, entries: list[Entry]) -> list[Change]:
        """*entries* (of :meth:`entries`) with their commits."""
        return [Change(self.commits[i], files) for i, files in entries]

    def time(self, index: int) -> float:
        """When commit number *index* reached the branch (seconds since 1970)."""
        return self._derived()[2][index]

    def commits_since(self, since: dt.datetime) -> list[tuple[int, Commit]]:
        """The commits that reached the branch at *since* or later (:attr:`Commit.landed`), the latest first, with
        their index in :attr:`commits` (a date out of order, as a clock that was wrong leaves, is placed by it)."""
        by_time = self._derived()[0]
        end = bisect.bisect_right(by_time, (-since.timestamp(), len(self.commits)))
        return [(i, self.commits[i]) for _, i in by_time[:end]]

    def touched(self, index: int) -> list[str]:
        """The folders commit number *index* changed."""
        return self._derived()[1].get(index, [])

    def _derived(self) -> tuple[list[tuple[float, int]], dict[int, list[str]], list[float]]:
        # Worked out on first use in each process (a benign race: two threads make the same), never pickled.
        found = self.__dict__.get("_derived_cache")
        if found is None:
            times = [c.landed or c.when.timestamp() for c in self.commits]
            by_time = sorted((-t, i) for i, t in enumerate(times))
            touched: dict[int, list[str]] = {}
            for name, entries in self.folders.items():
                for i, _files in entries:
                    touched.setdefault(i, []).append(name)
            found = self.__dict__["_derived_cache"] = (by_time, touched, times)
        return found

    def __getstate__(self) -> dict:
        """What is pickled: the fields, not what :meth:`_derived` works out."""
        state = dict(self.__dict__)
        state.pop("_derived_cache", None)
        return state


def _moved(first: tuple[FileChange, ...], second: tuple[FileChange, ...]) -> tuple[FileChange, ...]:
    """One commit's files in two folders of one article: a file deleted in one and added in the other moved."""
    by_path: dict[str, FileChange] = {}
    for change in (*first, *second):
        before = by_path.get(change.path)
        if before is None:
            by_path[change.path] = change
        else:
            gone, added = (before, change) if before.status == "D" else (change, before)
            by_path[change.path] = FileChange(change.path, "R", gone.old, added.new)
    return tuple(by_path.values())


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), "-c", "core.quotePath=false", *args], capture_output=True,
                              timeout=GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


def parse_log(out: str, landed: dict[str, float] | None = None) -> tuple[list[Commit], dict[str, list[Entry]]]:
    """The commits and each folder's changes from the output of ``git log --raw -z`` in :data:`_FORMAT`, with
    when each commit reached the branch (*landed*, from :func:`landing_times`)."""
    landed = landed or {}
    commits: list[Commit] = []
    folders: dict[str, list[tuple[int, tuple[FileChange, ...]]]] = {}
    for record in out.split("\x1e")[1:]:
        head, _, raw = record.partition("\x1d")
        sha, stamp, author, message = [*head.split("\x1f", 3), "", "", ""][:4]
        subject, _, body = message.strip().partition("\n")
        index = len(commits)
        when = dt.datetime.fromisoformat(stamp)
        commits.append(Commit(sha, when, author.strip(), subject.strip()[:MAX_SUBJECT], body.strip()[:MAX_BODY],
                              landed.get(sha, when.timestamp())))
        per_folder: dict[str, list[FileChange]] = {}
        tokens = raw.lstrip("\x00\n").split("\x00")
        for meta, path in zip(tokens[::2], tokens[1::2], strict=False):
            parts = meta.split()
            folder, sep, rest = path.partition("/")
            if len(parts) < 5 or not sep:  # site.yml, synonyms.yml: not an article's
                continue
            old, new, status = parts[2], parts[3], parts[4][:1]
            per_folder.setdefault(folder, []).append(
                FileChange(rest, status, None if old == NO_BLOB else old, None if new == NO_BLOB else new))
        for folder, files in per_folder.items():
            folders.setdefault(folder, []).append((index, tuple(files)))
    return commits, folders


def read_log(root: Path, head: str, since: str | None = None) -> tuple[list[Commit], dict[str, list[Entry]]] | None:
    """Read the history of the content folder *root* up to the commit *head* (only after the commit *since*, when
    given) with one ``git log`` of the changes and one of the commits' parents; None when git cannot."""
    span = f"{since}..{head}" if since else head
    landed = landing_times(root, head, span)
    out = _git(root, "log", "--no-renames", "--raw", "--no-abbrev", "-z", "--relative", _FORMAT, span, "--", ".")
    return None if out is None or landed is None else parse_log(out, landed)


def landing_times(root: Path, head: str, span: str) -> dict[str, float] | None:
    """When each commit of *span* reached the branch at *head*: a commit on its first-parent line at its own time,
    any other at the time of the first merge on that line that brought it. One ``git log`` of every commit's
    parents (no diffs: quick), then one pass from the oldest."""
    out = _git(root, "log", "--format=%H %ct %P", span)
    if out is None:
        return None
    graph: dict[str, tuple[float, list[str]]] = {}
    for line in out.splitlines():
        sha, _, rest = line.partition(" ")
        stamp, _, parents = rest.partition(" ")
        if sha and stamp:
            graph[sha] = (float(stamp), parents.split())
    line_of_head = []
    commit: str | None = head
    while commit in graph:
        line_of_head.append(commit)
        parents = graph[commit][1]
        commit = parents[0] if parents else None
    landed: dict[str, float] = {}
    for merge in reversed(line_of_head):  # the oldest first: what an older merge brought is taken
        when = graph[merge][0]
        landed[merge] = when
        todo = list(graph[merge][1][1:])
        while todo:
            sha = todo.pop()
            if sha in landed or sha not in graph:  # an earlier merge's, or from before the span
                continue
            landed[sha] = when
            todo.extend(graph[sha][1])
    return landed


def checkout_key(root: Path) -> tuple | None:
    """What names the checkout of *root* (its top folder, whether it is shallow, the commit it is at); None outside
    git; an empty tuple in a repository with nothing committed yet."""
    out = _git(root, "rev-parse", "--show-toplevel", "--is-shallow-repository", "HEAD")
    if out is None:
        return None if _git(root, "rev-parse", "--show-toplevel") is None else ()
    top, shallow, commit = [*out.splitlines(), "", "", ""][:3]
    return (SCHEMA, top, shallow, commit, os.path.realpath(root))


def read_changelog(root: Path, cache_dir: Path | None = None) -> ChangeLog | None:
    """The history of *root*'s checkout: from *cache_dir* when it was read at the same commit, else from git (and
    kept there); None when *root* is not in a git repository (or git is missing)."""
    key = checkout_key(root)
    if key is None:
        return None
    if not key:
        return ChangeLog(())
    path = cache_dir / CACHE_FILE if cache_dir is not None else None
    cached = _load(path) if path is not None else None
    if isinstance(cached, ChangeLog) and cached.key == key:
        return cached
    changelog = _read_after(root, cached, key) if isinstance(cached, ChangeLog) else None
    if changelog is None:
        read = read_log(root, key[3])
        if read is None:
            return None
        changelog = ChangeLog(key, read[0], read[1], shallow=key[2] == "true")
    if path is not None:
        _save(changelog, path)
    return changelog


def _read_after(root: Path, cached: ChangeLog, key: tuple) -> ChangeLog | None:
    """The history at *key* from the *cached* one and only the commits made after it, when the checkout moved
    forward from it (a pull, a merge, new commits): every commit of a history is diffed once, not at every build
    (diffing 3,000 commits of 10,000 folders took git 6 s of CPU). None when it did not (another branch, a rebase,
    another clone): read it all."""
    old_key = cached.key
    if len(old_key) != len(key) or not old_key or (old_key[0], old_key[1], old_key[2], old_key[4]) != (
            key[0], key[1], key[2], key[4]):
        return None
    if _git(root, "merge-base", "--is-ancestor", old_key[3], key[3]) is None:
        return None
    read = read_log(root, key[3], since=old_key[3])
    if read is None:
        return None
    commits, folders = read
    n = len(commits)
    for name, entries in cached.folders.items():
        folders.setdefault(name, []).extend((i + n, files) for i, files in entries)
    return ChangeLog(key, commits + cached.commits, folders, shallow=cached.shallow)


def keep_changelog(root: Path, cache_dir: Path) -> ChangeLog | None:
    """Read *root*'s history into *cache_dir* now (``portal index`` and ``portal build`` do, so that no request of
    the app waits for git); a failure is logged, never raised: the history must not stop a build."""
    try:
        return read_changelog(root, cache_dir)
    except Exception:
        log.exception("could not read the git history of %s for the agents' history pages", root)
        return None


def _load(path: Path) -> object:
    try:
        with path.open("rb") as f:
            return pickle.load(f)  # noqa: S301 (a file this program wrote; see portal.build.contentcache)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except Exception as exc:  # damage of any kind: read git again
        log.warning("ignoring the damaged git history cache %s (%s); it will be rebuilt", path, exc)
        return None


def _save(changelog: ChangeLog, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as f:
            pickle.dump(changelog, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot write the git history cache %s: %s", path, exc)
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
