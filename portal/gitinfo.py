"""Facts from git history: when each content file last changed, and which translations are outdated.

Dates are never typed by hand. Outside a git repository (or for files not yet committed) the
file's modification time is used instead and marked as such.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

from portal.exceptions import WARNING, Problem, display_path
from portal.model import Corpus


@dataclass(frozen=True)
class FileHistory:
    """The latest commit that touched one file: its id, date, and order (0 = newest commit)."""

    commit: str
    date: dt.date
    order: int


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def file_histories(root: Path) -> dict[Path, FileHistory] | None:
    """The latest commit of every file below *root*, from one `git log`; None outside git."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    top_path = Path(top.strip())
    out = _git(root, "log", "--format=%x00%H %cI", "--name-only", "--no-renames", "--", ".")
    if out is None:  # a repository with no commits yet
        return {}
    result: dict[Path, FileHistory] = {}
    order = -1
    commit, date = "", dt.date.min
    for line in out.splitlines():
        if line.startswith("\x00"):
            order += 1
            commit, stamp = line[1:].split(" ", 1)
            date = dt.datetime.fromisoformat(stamp).date()
        elif line.strip():
            path = (top_path / line).resolve()
            if path not in result:
                result[path] = FileHistory(commit, date, order)
    return result


def changed_since(root: Path, revision: str, path: Path) -> bool | None:
    """True when *path* changed in a commit after *revision*; None when git does not know *revision*."""
    if _git(root, "cat-file", "-e", f"{revision}^{{commit}}") is None:
        return None
    out = _git(root, "rev-list", "--max-count=1", f"{revision}..HEAD", "--", str(path))
    return None if out is None else bool(out.strip())


def apply_history(corpus: Corpus, problems: list[Problem] | None = None) -> bool:
    """Set `updated`, `revision` and `outdated` on every version; return False when outside git."""
    histories = file_histories(corpus.root)
    problems = problems if problems is not None else []
    for article in corpus.articles.values():
        src_hist = histories.get(article.source.path.resolve()) if histories is not None else None
        for version in article.versions.values():
            hist = histories.get(version.path.resolve()) if histories is not None else None
            if hist is not None:
                version.updated, version.revision = hist.date, hist.commit
            else:
                version.updated = dt.date.fromtimestamp(version.path.stat().st_mtime)
            if version is article.source or histories is None:
                continue
            version.outdated = _is_outdated(corpus.root, article.source.path, version.source_revision,
                                            src_hist, hist, version.path, problems)
            if version.outdated:
                line = version.front.line("source_revision") if version.front else 1
                problems.append(Problem(display_path(version.path), line,
                                        f"the translation is outdated: {article.source.path.name} has changed "
                                        "since it was translated. Bring the translation up to date and record "
                                        "the current commit in source_revision", WARNING))
    return histories is not None


def _is_outdated(root: Path, source: Path, revision: str | None, src_hist: FileHistory | None,
                 hist: FileHistory | None, path: Path, problems: list[Problem]) -> bool:
    if revision:
        changed = changed_since(root, revision, source)
        if changed is not None:
            return changed
        problems.append(Problem(display_path(path), 1, f"source_revision {revision} is not in the git history "
                                "here (a shallow clone?); judging by commit order instead", WARNING))
    if src_hist is None or hist is None:
        return False  # not committed yet: nothing to compare
    return src_hist.order < hist.order
