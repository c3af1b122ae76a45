"""Facts from git history: when each content file last changed, and which translations are outdated.

Dates are never typed by hand. Outside a git repository (or for files not yet committed) the
file's modification time is used instead and marked as such.

Reading the history (`git log` over the content, one `git rev-list` per translation that records its
source revision) depends only on the commit checked out, so with a cache folder its result is kept
there keyed by that commit: a run on an unchanged checkout asks git one question.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import pickle
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path

from portal.exceptions import WARNING, Problem, display_path
from portal.model import Corpus

log = logging.getLogger("portal")
HISTORY_CACHE = "git-history.pickle"
_HISTORY_SCHEMA = 1


@dataclass(frozen=True)
class FileHistory:
    """The latest commit that touched one file: its id, date, and order (0 = newest commit)."""

    commit: str
    date: dt.date
    order: int


@dataclass
class History:
    """The git facts of one checkout: each file's latest commit (by real path) and answers of
    :func:`changed_since` asked so far."""

    key: tuple
    files: dict[str, FileHistory]
    changed: dict[tuple[str, str], bool | None] = field(default_factory=dict)
    from_cache: bool = False


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _histories(root: Path, top: str) -> dict[str, FileHistory]:
    out = _git(root, "log", "--format=%x00%H %cI", "--name-only", "--no-renames", "--", ".")
    if out is None:  # a repository with no commits yet
        return {}
    result: dict[str, FileHistory] = {}
    order = -1
    commit, date = "", dt.date.min
    for line in out.splitlines():
        if line.startswith("\x00"):
            order += 1
            commit, stamp = line[1:].split(" ", 1)
            date = dt.datetime.fromisoformat(stamp).date()
        elif line.strip():
            # git names files by their path in the repository, which holds no symlinked folders: joining
            # is the real path (resolving every one of 10,000s of paths took seconds).
            path = os.path.join(top, line)
            if path not in result:
                result[path] = FileHistory(commit, date, order)
    return result


def file_histories(root: Path) -> dict[Path, FileHistory] | None:
    """The latest commit of every file below *root* (by real path), from one `git log`; None outside git."""
    history = read_history(root)
    return None if history is None else {Path(k): v for k, v in history.files.items()}


def read_history(root: Path, cache_dir: Path | None = None) -> History | None:
    """The git facts of *root*'s checkout, from the cache in *cache_dir* when HEAD is the same; None outside git."""
    head = _git(root, "rev-parse", "--show-toplevel", "--is-shallow-repository", "HEAD")
    if head is None:  # outside git, or no commits yet (HEAD unknown)
        top = _git(root, "rev-parse", "--show-toplevel")
        return None if top is None else History((), _histories(root, top.strip()))
    top, shallow, commit = head.splitlines()[:3]
    key = (_HISTORY_SCHEMA, top, shallow, commit, os.path.realpath(root))
    path = cache_dir / HISTORY_CACHE if cache_dir is not None else None
    if path is not None:
        try:
            with path.open("rb") as f:
                cached = pickle.load(f)  # noqa: S301 (a file this program wrote; see portal.contentcache)
            if isinstance(cached, History) and cached.key == key:
                cached.from_cache = True
                return cached
        except (FileNotFoundError, NotADirectoryError):
            pass
        except Exception as exc:  # damage of any kind: read git again
            log.warning("ignoring the damaged git history cache %s (%s); it will be rebuilt", path, exc)
    return History(key, _histories(root, top))


def write_history(history: History, cache_dir: Path) -> None:
    """Keep *history* in *cache_dir* (atomically); a failure is logged, never raised."""
    if not history.key:
        return
    path = cache_dir / HISTORY_CACHE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as f:
            pickle.dump(replace(history, from_cache=False), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot write the git history cache %s: %s", path, exc)
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def changed_since(root: Path, revision: str, path: Path) -> bool | None:
    """True when *path* changed in a commit after *revision*; None when git does not know *revision*."""
    if _git(root, "cat-file", "-e", f"{revision}^{{commit}}") is None:
        return None
    out = _git(root, "rev-list", "--max-count=1", f"{revision}..HEAD", "--", str(path))
    return None if out is None else bool(out.strip())


def apply_history(corpus: Corpus, problems: list[Problem] | None = None, cache_dir: Path | None = None) -> bool:
    """Set `updated`, `revision` and `outdated` on every version; return False when outside git.

    With *cache_dir*, the facts read from git are kept there for the next run on the same commit."""
    history = read_history(corpus.root, cache_dir)
    histories = history.files if history is not None else None
    asked = len(history.changed) if history is not None else 0
    problems = problems if problems is not None else []
    root, real_root = os.path.join(corpus.root, ""), os.path.join(os.path.realpath(corpus.root), "")
    for article in corpus.articles.values():
        # Version files are never symlinks (they are refused), so only a symlinked folder needs resolving;
        # other paths are the root's real path plus their place below it (realpath per file took seconds).
        linked = os.path.islink(article.folder)

        def real(path: Path, linked: bool = linked) -> str:
            text = str(path)
            if linked or not text.startswith(root):
                return os.path.realpath(text)
            return real_root + text[len(root):]

        src_hist = histories.get(real(article.source.path)) if histories is not None else None
        for version in article.versions.values():
            hist = histories.get(real(version.path)) if histories is not None else None
            if hist is not None:
                version.updated, version.revision = hist.date, hist.commit
            else:
                version.updated = dt.date.fromtimestamp(version.path.stat().st_mtime)
            if version is article.source or history is None:
                continue
            version.outdated = _is_outdated(corpus.root, article.source.path, version.source_revision,
                                            src_hist, hist, version.path, problems, history)
            if version.outdated:
                line = version.front.line("source_revision") if version.front else 1
                problems.append(Problem(display_path(version.path), line,
                                        f"the translation is outdated: {article.source.path.name} has changed "
                                        "since it was translated. Bring the translation up to date and record "
                                        "the current commit in source_revision", WARNING))
    if history is not None and cache_dir is not None and (not history.from_cache or asked != len(history.changed)):
        write_history(history, cache_dir)
    return history is not None


def _is_outdated(root: Path, source: Path, revision: str | None, src_hist: FileHistory | None,
                 hist: FileHistory | None, path: Path, problems: list[Problem], history: History) -> bool:
    if revision:
        key = (revision, str(source))
        if key not in history.changed:
            history.changed[key] = changed_since(root, revision, source)
        changed = history.changed[key]
        if changed is not None:
            return changed
        problems.append(Problem(display_path(path), 1, f"source_revision {revision} is not in the git history "
                                "here (a shallow clone?); judging by commit order instead", WARNING))
    if src_hist is None or hist is None:
        return False  # not committed yet: nothing to compare
    return src_hist.order < hist.order
