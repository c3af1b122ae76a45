"""The content cache's storage: per article folder, a small entry and the article itself, in shard files.

Loading 10,000 articles (parse, validate, render Markdown, sanitise) takes a minute or more; with the cache
a command-line run or a fresh app worker re-reads only changed folders (:mod:`portal.build.cachedload`). Each
article folder's :class:`Entry` holds the state of its files, the problems found in it, the `article:` link
resolutions its HTML depends on and its :class:`~portal.content.crosscheck.ArticleFacts` (what the whole-corpus
checks need). The article as loaded and rendered (without the dates from git) is kept beside it as a
pickle of its own, unpickled only when the article is used: a run that re-indexes one changed article
reads the entries of all folders (small) and the article of one. An entry is reused when the folder's files
have the same name, size and modification time, or failing that (a fresh clone in CI) the same bytes.
Anything site-wide (site.yml, synonyms.yml, the loading code, library versions, the content folder's path)
is part of the cache key: a change there reloads everything.

The entries also keep each article's dates from git (:class:`~portal.content.gitinfo.GitFacts`) with the commit
they were read for: after a new commit they are worked out again and only the small entries files are
rewritten. The cache lives in the index folder (beside the compound lexicon), in a few dozen shards of two
files each (entries, articles), each written atomically. A damaged, unreadable or foreign file is logged
and ignored, and rebuilt on the next write. Only this program writes these pickles: like the index itself,
the folder must not be writable by others.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import pickle
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.build.pagefacts import PageFacts
from portal.content.crosscheck import ArticleFacts
from portal.content.gitinfo import GitFacts
from portal.content.load import folder_names
from portal.exceptions import Problem

log = logging.getLogger("portal")

CACHE_SCHEMA = 5  # bump when an entry's shape changes (3: the page facts; 4: the modules moved into sub-packages;
# 5: the easy-read text)
SHARDS = 32  # one changed article rewrites one shard (~1/32 of the cache), not all of it
FOLDER = "content-cache"
SITE_FILES = ("site.yml", "synonyms.yml")
# The code whose output is cached: a change to any of these files (an upgrade, a fix) reloads everything.
_CODE = ("portal.build.cachedload", "portal.content.load", "portal.build.contentcache", "portal.content.crosscheck",
         "portal.exceptions", "portal.content.frontmatter", "portal.content.gitinfo", "portal.content.model",
         "portal.build.pagefacts", "portal.render.markdown", "portal.content.siteconfig", "portal.content.sourcefile",
         "portal.content.folderfiles", "portal.content.readability", "portal.content.problemtext")
_LIBRARIES = ("markdown", "nh3", "pyyaml")

FileStat = tuple[tuple[str, int, int], ...]
LinkLog = dict[tuple[str, str, str], "str | None"]  # as portal.render.markdown.LinkLog (not imported: slow to import)
# What the shard keeps of one article: (the entry's digest and links when it was made, the pickled article).
Blob = tuple[str, LinkLog, bytes]


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


def content_stamp(root: Path, links: set[str] | None = None) -> dict[str, FileStat]:
    """A fingerprint of every file, per article folder ("" for the top-level files); the names of folders
    that are symbolic links are added to *links*."""
    top = str(root)
    stamp = {"": folder_files(top, recursive=False)}
    for name in folder_names(root, links):
        stamp[name] = folder_files(os.path.join(top, name))
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
    for name in _CODE:
        module = sys.modules.get(name)
        origin = module.__file__ if module is not None else getattr(importlib.util.find_spec(name), "origin", "")
        h.update(Path(origin or "").read_bytes())
    for name in _LIBRARIES:
        try:
            h.update(f"{name}={importlib.metadata.version(name)};".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{name}=?;".encode())
    return h.hexdigest()


@dataclass
class Entry:
    """What loading one article folder gave, and the state of its files then (the article is kept apart)."""

    stat: FileStat
    digest: str
    today: dt.date
    cwd: str  # problems name files relative to the working folder of the run that found them
    facts: ArticleFacts | None  # None when the folder holds no usable article
    review_by: dt.date | None  # the review date decides a warning: the entry is reused only on a day that agrees
    problems: list[Problem]
    links: LinkLog = field(default_factory=dict)
    git: GitFacts | None = None  # the dates from git, for the commit they name
    page: PageFacts | None = None  # what the static build needs of the rendered article (portal.build.published)
    unusable: ArticleFacts | None = None  # a folder read but unusable: its links are still checked

    def valid_on(self, today: dt.date) -> bool:
        """True when *today* gives the same date-dependent problems as the day the entry was made."""
        return self.review_by is None or (self.review_by < self.today) == (self.review_by < today)


def shard_of(name: str) -> int:
    """The shard an article folder's entry lives in."""
    return zlib.crc32(name.encode("utf-8", "surrogateescape")) % SHARDS


class ContentCache:
    """The shard files of one content folder's cache in *folder* (see the module docstring): per shard, one
    file of entries and one of articles."""

    def __init__(self, root: Path, folder: Path):
        self.root, self.folder = root, folder
        self.key = (CACHE_SCHEMA, _code_digest(), sys.version_info[:2], str(root), str(root.resolve()),
                    site_digest(root))

    def _path(self, kind: str, shard: int) -> Path:
        return self.folder / f"{kind}-{shard:02d}.pickle"

    def _read(self, kind: str, shard: int) -> dict | None:
        path = self._path(kind, shard)
        try:
            with path.open("rb") as f:
                if pickle.load(f) != self.key:  # noqa: S301 (files this program wrote; see docstring)
                    log.info("content cache %s is from another version or content state; reloading", path)
                    return None
                table = pickle.load(f)  # noqa: S301
            if not isinstance(table, dict):
                raise TypeError("not a table")
            if kind == "entries" and not all(isinstance(e, Entry) for e in table.values()):
                raise TypeError("not a table of entries")
            return table
        except FileNotFoundError:
            return None
        except Exception as exc:  # any damage at all: the cache is only an optimisation
            log.warning("ignoring the damaged content cache file %s (%s: %s); it will be rebuilt",
                        path, type(exc).__name__, exc)
            return None

    def read(self) -> dict[str, Entry]:
        """Every usable entry (not the articles); a missing, damaged or foreign shard is logged and skipped."""
        entries: dict[str, Entry] = {}
        if self.folder.is_dir():
            for shard in range(SHARDS):
                entries.update(self._read("entries", shard) or {})
        return entries

    def articles(self, shard: int) -> dict[str, Blob] | None:
        """The articles kept in *shard* (by folder name); None when the file is missing, damaged or foreign.

        Each comes with the digest and links of the entry it was kept with: a caller uses it only for an
        entry that has the same (the two files are written one after the other, and by any process)."""
        return self._read("articles", shard)

    def write(self, entries: dict[str, Entry], blobs: dict[str, Blob], shards: set[int],
              article_shards: set[int]) -> None:
        """Write the entries files of *shards* and the articles files of *article_shards* (with *blobs*),
        each atomically; a failure is logged, never raised."""
        tables: dict[tuple[str, int], dict[str, Any]] = {("articles", s): {} for s in article_shards}
        tables.update({("entries", s): {} for s in shards})
        for name, entry in entries.items():
            shard = shard_of(name)
            if ("entries", shard) in tables:
                tables["entries", shard][name] = entry
            if ("articles", shard) in tables and name in blobs:
                tables["articles", shard][name] = blobs[name]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("cannot create the content cache folder %s: %s", self.folder, exc)
            return
        for legacy in self.folder.glob("shard-*.pickle"):  # the layout before entries and articles were apart
            with contextlib.suppress(OSError):
                legacy.unlink()
        for (kind, shard), table in tables.items():  # the articles first: an entry never names missing ones
            path = self._path(kind, shard)
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


def pack_article(entry: Entry, article: Any) -> Blob:
    """What the shard keeps of *article*, loaded with *entry* (see :meth:`ContentCache.articles`)."""
    return entry.digest, entry.links, pickle.dumps(article, protocol=pickle.HIGHEST_PROTOCOL)


def unpack_article(entry: Entry, blob: Blob | None) -> Any:
    """The article of *blob* when it was kept with an entry like *entry*; None otherwise, or when damaged."""
    if blob is None or blob[0] != entry.digest or blob[1] != entry.links:
        return None
    try:
        return pickle.loads(blob[2])  # noqa: S301 (a file this program wrote; see the module docstring)
    except Exception as exc:
        log.warning("ignoring a damaged article in the content cache (%s: %s)", type(exc).__name__, exc)
        return None
