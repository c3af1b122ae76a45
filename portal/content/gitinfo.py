"""Facts from git history: when each content file last changed, and which translations are outdated.

Dates are never typed by hand. Outside a git repository (or for files not yet committed) the
file's modification time is used instead and marked as such.

Reading the history (`git log` over the content, one `git rev-list` per translation that records its
source revision) depends only on the commit checked out, so with a cache folder its result is kept
there keyed by that commit: a run on an unchanged checkout asks git one question. The facts derived
for each article (:class:`GitFacts`) are kept in the content cache with the article's entry, so that such
a run works them out again only for the folders whose files changed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import logging
import os
import pickle
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path

from portal.content import crosscheck
from portal.content.crosscheck import ArticleFacts
from portal.content.model import EASY_READ, Article
from portal.content.problemtext import problem
from portal.exceptions import WARNING, Problem, display_path

log = logging.getLogger("portal")
HISTORY_CACHE = "git-history.pickle"
_HISTORY_SCHEMA = 2


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


def head_commit(root: Path) -> str | None:
    """The commit *root*'s checkout is at; None outside git (or before the first commit)."""
    out = _git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    return out.strip() or None if out is not None else None


def last_commit(root: Path, path: Path) -> str | None:
    """The last commit that changed *path*; None outside git or for a file never committed."""
    out = _git(root, "log", "-1", "--format=%H", "--", str(path))
    return out.strip() or None if out is not None else None


def uncommitted(root: Path, path: Path) -> bool:
    """True when *path* has changes that are not committed (or is not committed at all)."""
    out = _git(root, "status", "--porcelain", "--", str(path))
    return bool(out and out.strip())


def read_history(root: Path, cache_dir: Path | None = None) -> History | None:
    """The git facts of *root*'s checkout, from the cache in *cache_dir* when HEAD is the same; None outside git."""
    head = _git(root, "rev-parse", "--show-toplevel", "--is-shallow-repository", "HEAD")
    if head is None:  # outside git, or no commits yet (HEAD unknown)
        top = _git(root, "rev-parse", "--show-toplevel")
        return None if top is None else History((), _histories(root, top.strip()))
    top, shallow, commit = head.splitlines()[:3]
    key = (_HISTORY_SCHEMA, _code_version(), top, shallow, commit, os.path.realpath(root))
    path = cache_dir / HISTORY_CACHE if cache_dir is not None else None
    if path is not None:
        try:
            with path.open("rb") as f:
                cached = pickle.load(f)  # noqa: S301 (a file this program wrote; see portal.build.contentcache)
            if isinstance(cached, History) and cached.key == key:
                cached.from_cache = True
                return cached
        except (FileNotFoundError, NotADirectoryError):
            pass
        except Exception as exc:  # damage of any kind: read git again
            log.warning("ignoring the damaged git history cache %s (%s); it will be rebuilt", path, exc)
    return History(key, _histories(root, top))


def _code_version() -> str:
    """A hash of the code the cached facts come from (this module and the facts it reads)."""
    h = hashlib.blake2b(digest_size=12)
    for path in (__file__, crosscheck.__file__):
        h.update(Path(path).read_bytes())
    return h.hexdigest()


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


@dataclass(frozen=True)
class GitFacts:
    """What git says about one article's versions: (lang, updated, revision, outdated) in version order,
    and the warnings it gives (outdated translations), made in working folder *cwd*.

    They depend only on the checkout (*key*, as :attr:`History.key`; None outside git), the folder's files
    (a file not yet committed is dated by its modification time) and where a symlinked folder leads
    (*link*), so the content cache keeps them with the folder's entry."""

    key: tuple | None
    link: str | None
    dates: tuple[tuple[str, dt.date | None, str | None, bool], ...]
    problems: tuple[Problem, ...]
    cwd: str

    def apply(self, article: Article) -> None:
        """Set `updated`, `revision` and `outdated` on every text of *article* (its versions, then the easy-read)."""
        for (key, version), (lang, updated, revision, outdated) in zip(article.texts.items(), self.dates,
                                                                       strict=True):
            assert key == lang
            version.updated, version.revision, version.outdated = updated, revision, outdated


class GitReader:
    """The :class:`GitFacts` of articles, from one :class:`History` (None outside git) and its cache."""

    def __init__(self, root: Path, history: History | None):
        self.root, self.history = root, history
        self._asked = 0 if history is None else len(history.changed)
        self._root, self._real_root = os.path.join(root, ""), os.path.join(os.path.realpath(root), "")
        self._cwd = os.getcwd()  # one string shared by all the facts (and by their pickle)

    def facts(self, article: ArticleFacts, link: str | None, known: GitFacts | None = None) -> GitFacts:
        """The git facts of *article* (*link*: where its folder leads when it is a symlink). *known* are
        the facts kept from a load of the same files (same names, times and sizes): taken as they are when
        they were read for this checkout and link."""
        key = None if self.history is None else self.history.key
        if known is not None and known.key == key and key != () and known.link == link:
            return known
        return self._read(article, link)

    def _read(self, article: ArticleFacts, link: str | None) -> GitFacts:
        history = self.history
        histories = history.files if history is not None else None
        problems: list[Problem] = []

        def real(text: str) -> str:
            # Version files are never symlinks (they are refused), so only a symlinked folder needs resolving;
            # other paths are the root's real path plus their place below it (realpath per file took seconds).
            if link is not None or not text.startswith(self._root):
                return os.path.realpath(text)
            return self._real_root + text[len(self._root):]

        src_hist = histories.get(real(article.source_path)) if histories is not None else None
        dates = []
        for i, version in enumerate(article.versions):
            hist = histories.get(real(version.path)) if histories is not None else None
            if hist is not None:
                updated, revision = hist.date, hist.commit
            else:
                updated, revision = dt.date.fromtimestamp(os.stat(version.path).st_mtime), None
            outdated = False
            if i and history is not None:
                outdated = _is_outdated(self.root, Path(article.source_path), version.source_revision,
                                        src_hist, hist, Path(version.path), problems, history)
                if outdated and version.lang == EASY_READ:
                    problems.append(problem(display_path(version.path), version.revision_line,
                                            "easy-read-outdated", WARNING,
                                            source=os.path.basename(article.source_path)))
                elif outdated:
                    # the commit to record: the source's last one (HEAD while the source is not committed)
                    commit = src_hist.commit if src_hist is not None else head_commit(self.root) or "HEAD"
                    problems.append(problem(display_path(version.path), version.revision_line,
                                            "translation-outdated", WARNING,
                                            source=os.path.basename(article.source_path), commit=commit,
                                            id=article.id, lang=version.lang))
            dates.append((version.lang, updated, revision, outdated))
        return GitFacts(None if history is None else history.key, link, tuple(dates), tuple(problems), self._cwd)

    def save(self, cache_dir: Path | None) -> None:
        """Keep the history in *cache_dir* when it was read from git or learnt new answers."""
        history = self.history
        if history is not None and cache_dir is not None and (
                not history.from_cache or self._asked != len(history.changed)):
            write_history(history, cache_dir)


def _is_outdated(root: Path, source: Path, revision: str | None, src_hist: FileHistory | None,
                 hist: FileHistory | None, path: Path, problems: list[Problem], history: History) -> bool:
    if revision:
        key = (revision, str(source))
        if key not in history.changed:
            history.changed[key] = changed_since(root, revision, source)
        changed = history.changed[key]
        if changed is not None:
            return changed
        problems.append(problem(display_path(path), 1, "revision-unknown", WARNING, revision=revision))
    if src_hist is None or hist is None:
        return False  # not committed yet: nothing to compare
    return src_hist.order < hist.order


# The day the accessibility statement (templates/public/accessibility.html) was last changed, for an installed
# package, which carries no git history. tests/test_public.py fails when the template's git date is later.
STATEMENT_CHANGED = dt.date(2026, 11, 23)


@functools.cache
def statement_date(template: Path) -> dt.date:
    """When the accessibility statement last changed: its template's last commit in a checkout, else the date
    recorded with the package (never the day of the build: the law asks when the statement was reviewed)."""
    out = _git(template.parent, "log", "-1", "--format=%cs", "--", template.name)
    return dt.date.fromisoformat(out.strip()) if out and out.strip() else STATEMENT_CHANGED
