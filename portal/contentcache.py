"""A cache of loaded, checked and rendered articles: a load re-reads only the folders whose files changed.

Loading 10,000 articles (parse, validate, render Markdown, sanitise) takes a minute or more; with the cache
a command-line run or a fresh app worker re-reads only changed folders. Each article folder's entry holds
the article as loaded and rendered (without the dates from git, which are applied afterwards), the
problems found in it and the `article:` link resolutions its HTML depends on. An entry is reused when
the folder's files have the same name, size and modification time, or failing that (a fresh clone in
CI) the same bytes. Anything site-wide (site.yml, synonyms.yml, the loading code, library versions,
the content folder's path) is part of the cache key: a change there reloads everything.

The cache lives in the index folder (beside the compound lexicon), in a few dozen shard files, each written
atomically; a damaged, unreadable or foreign file is logged and ignored, and rebuilt on the next write.
Only this program writes these pickles: like the index itself, the folder must not be writable by others.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import logging
import os
import pickle
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from portal import content, exceptions, frontmatter, model, render, siteconfig, sourcefile
from portal.content import article_folders, load_corpus, read_article
from portal.exceptions import Problem, display_path
from portal.model import Article, Corpus
from portal.render import LinkLog, render_corpus, resolve_link
from portal.siteconfig import SiteConfig

log = logging.getLogger("portal")

CACHE_SCHEMA = 1  # bump when an entry's shape changes
SHARDS = 32  # one changed article rewrites one shard (~1/32 of the cache), not all of it
FOLDER = "content-cache"
SITE_FILES = ("site.yml", "synonyms.yml")
# The code whose output is cached: a change to any of these files (an upgrade, a fix) reloads everything.
_CODE = (content, exceptions, frontmatter, model, render, siteconfig, sourcefile, sys.modules[__name__])
_LIBRARIES = ("markdown", "nh3", "pyyaml")

FileStat = tuple[tuple[str, int, int], ...]
Progress = Callable[[int, int], None]


def folder_files(folder: str, recursive: bool = True) -> FileStat:
    """(path, mtime_ns, size) of every file in *folder* (and below it when *recursive*), sorted."""
    out = []
    stack = [folder]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir():
                    if recursive:
                        stack.append(entry.path)
                elif entry.is_file():
                    st = entry.stat()
                    out.append((entry.path, st.st_mtime_ns, st.st_size))
    return tuple(sorted(out))


def content_stamp(root: Path) -> dict[str, FileStat]:
    """A fingerprint of every file, per article folder ("" for the top-level files)."""
    stamp = {"": folder_files(str(root), recursive=False)}
    for folder in article_folders(root):
        stamp[folder.name] = folder_files(str(folder))
    return stamp


def files_digest(files: FileStat, base: str) -> str | None:
    """A hash of the names (relative to *base*) and bytes of *files*; None when one cannot be read."""
    h = hashlib.blake2b(digest_size=16)
    try:
        for path, _mtime, _size in files:
            data = Path(path).read_bytes()
            h.update(f"{os.path.relpath(path, base)}\0{len(data)}\0".encode("utf-8", "surrogateescape"))
            h.update(data)
    except OSError:
        return None
    return h.hexdigest()


def site_digest(root: Path) -> str:
    """A hash of the site-wide files (site.yml, synonyms.yml): when it changes, every article is reloaded."""
    files = tuple((str(root / name), 0, 0) for name in SITE_FILES if (root / name).is_file())
    return files_digest(files, str(root)) or "unreadable"


def _code_digest() -> str:
    h = hashlib.blake2b(digest_size=16)
    for module in _CODE:
        h.update(Path(module.__file__ or "").read_bytes())
    for name in _LIBRARIES:
        try:
            h.update(f"{name}={importlib.metadata.version(name)};".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{name}=?;".encode())
    return h.hexdigest()


@dataclass
class Entry:
    """What loading one article folder gave, and the state of its files then."""

    stat: FileStat
    digest: str
    today: dt.date
    cwd: str  # problems name files relative to the working folder of the run that found them
    article: Article | None  # None when the folder holds no usable article
    review_by: dt.date | None  # the review date decides a warning: the entry is reused only on a day that agrees
    problems: list[Problem]
    links: LinkLog = field(default_factory=dict)

    def valid_on(self, today: dt.date) -> bool:
        """True when *today* gives the same date-dependent problems as the day the entry was made."""
        return self.review_by is None or (self.review_by < self.today) == (self.review_by < today)


@dataclass
class LoadStats:
    """How a load went: folders reused from the cache and folders read from disk."""

    folders: int = 0
    cached: int = 0
    read: list[str] = field(default_factory=list)
    rerendered: list[str] = field(default_factory=list)  # cached, but a link target changed
    removed: int = 0
    cache_used: bool = False


@dataclass
class Loaded:
    """The result of a load: the corpus (None if unusable), its problems, and per-folder content digests."""

    corpus: Corpus | None
    problems: list[Problem]
    digests: dict[str, str]
    site_digest: str
    stats: LoadStats


class ContentCache:
    """The shard files of one content folder's cache in *folder* (see the module docstring)."""

    def __init__(self, root: Path, folder: Path):
        self.root, self.folder = root, folder
        self.key = (CACHE_SCHEMA, _code_digest(), sys.version_info[:2], str(root), str(root.resolve()),
                    site_digest(root))

    def _path(self, shard: int) -> Path:
        return self.folder / f"shard-{shard:02d}.pickle"

    def read(self) -> dict[str, Entry]:
        """Every usable entry; a missing, damaged or foreign shard is logged and skipped."""
        entries: dict[str, Entry] = {}
        if not self.folder.is_dir():
            return entries
        for shard in range(SHARDS):
            path = self._path(shard)
            try:
                with path.open("rb") as f:
                    if pickle.load(f) != self.key:  # noqa: S301 (files this program wrote; see docstring)
                        log.info("content cache %s is from another version or content state; reloading", path)
                        continue
                    part = pickle.load(f)  # noqa: S301
                if not isinstance(part, dict) or not all(isinstance(e, Entry) for e in part.values()):
                    raise TypeError("not a table of entries")
                entries.update(part)
            except FileNotFoundError:
                continue
            except Exception as exc:  # any damage at all: the cache is only an optimisation
                log.warning("ignoring the damaged content cache file %s (%s: %s); it will be rebuilt",
                            path, type(exc).__name__, exc)
        return entries

    def write(self, entries: dict[str, Entry], shards: set[int]) -> None:
        """Write the *shards* of *entries* atomically; a failure is logged, never raised."""
        tables: dict[int, dict[str, Entry]] = {s: {} for s in shards}
        for name, entry in entries.items():
            shard = shard_of(name)
            if shard in tables:
                tables[shard][name] = entry
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("cannot create the content cache folder %s: %s", self.folder, exc)
            return
        for shard, table in tables.items():
            path = self._path(shard)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            try:
                with tmp.open("wb") as f:
                    pickle.dump(self.key, f, protocol=pickle.HIGHEST_PROTOCOL)
                    pickle.dump(table, f, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, path)
            except (OSError, pickle.PicklingError, RecursionError) as exc:
                log.warning("cannot write the content cache file %s: %s", path, exc)
                with contextlib.suppress(OSError):
                    tmp.unlink(missing_ok=True)


def shard_of(name: str) -> int:
    """The shard an article folder's entry lives in."""
    return zlib.crc32(name.encode("utf-8", "surrogateescape")) % SHARDS


def _moved(problems: list[Problem], cwd: str) -> list[Problem]:
    """*problems* made in working folder *cwd*, with their paths shown as a run from here shows them."""
    here = os.getcwd()
    if cwd == here:
        return problems
    out = []
    for p in problems:
        path = p.path if os.path.isabs(p.path) else os.path.normpath(os.path.join(cwd, p.path))
        out.append(replace(p, path=display_path(path)))
    return out


def load(root: Path, today: dt.date, cache_dir: Path | None,
         progress: Progress | None = None) -> Loaded:
    """Load, check and render *root* like a cold load, reusing cached folders from *cache_dir* (None: no cache).

    Git dates are not applied here (see :mod:`portal.gitinfo`)."""
    stamp = content_stamp(root)
    cache = ContentCache(root, cache_dir) if cache_dir is not None else None
    old = cache.read() if cache is not None else {}
    stats = LoadStats(folders=len(stamp) - 1, cache_used=bool(old))
    entries: dict[str, Entry] = {}
    dirty: set[str] = set()
    here = os.getcwd()

    def load_folder(folder: Path, site: SiteConfig, problems: list[Problem], day: dt.date) -> Article | None:
        name = folder.name
        files = stamp.get(name) or folder_files(str(folder))
        entry = old.get(name)
        if entry is not None and entry.valid_on(day):
            same = entry.stat == files
            if not same and entry.digest == files_digest(files, str(folder)):
                entry.stat, same = files, True  # same bytes, new times (a fresh clone): keep, with the new times
                dirty.add(name)
            if same:
                entries[name] = entry
                problems.extend(_moved(entry.problems, entry.cwd))
                stats.cached += 1
                _tick()
                return entry.article
        digest = files_digest(files, str(folder)) or "unreadable"  # before reading: a later edit shows next time
        found: list[Problem] = []
        article, usable = read_article(folder, site, found, day)
        problems.extend(found)
        entries[name] = Entry(files, digest, day, here, article if usable else None,
                              article.review_by if article is not None else None, found)
        dirty.add(name)
        stats.read.append(name)
        _tick()
        return article if usable else None

    done = [0]

    def _tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], stats.folders)

    corpus, problems = load_corpus(root, today, load_folder)
    if corpus is not None:
        fresh = set(stats.read)
        for name, entry in entries.items():
            if name not in fresh and entry.article is not None and any(
                    resolve_link(corpus, *k) != url for k, url in entry.links.items()):
                stats.rerendered.append(name)
        todo = [n for n in (*stats.read, *stats.rerendered) if n in corpus.articles]
        links: dict[str, LinkLog] = {}
        render_corpus(corpus, only=todo, links=links)
        for name in stats.rerendered:
            entries[name].links = links.get(name, {})
            dirty.add(name)
        for name in stats.read:
            entries[name].links = links.get(name, {})
    gone = set(old) - set(entries)
    stats.removed = len(gone)
    if cache is not None and (dirty or gone):
        cache.write(entries, {shard_of(n) for n in dirty | gone})
    digests = {name: e.digest for name, e in entries.items()}
    return Loaded(corpus, problems, digests, cache.key[-1] if cache else site_digest(root), stats)
