"""What lives beside a published site: the spare tree, the search-pending mark, a build's lock and its strays.

The spare tree: an incremental build patches the site the last swap moved out instead of copying the site.

Publishing exchanges a new tree with the live site in one step (portal.site.freeze.swap_into_place), which
moves the previous site out. Instead of removing it, an incremental build keeps it beside the output as
the *spare* (``.<out>.spare``). The next incremental build patches the spare to the new state and
exchanges it in: the cost follows the change, not the size of the site (hard-linking 60,000 files of
a 10,000-article site into a new tree took 6.6 s).

Why a patched spare equals a full build of the new content:

* The spare carries its own build record (portal.build.incremental.MANIFEST), so it may be one or more builds
  behind. A plan from the spare's record to the new one covers every file that can differ between the
  two (the same rules as one step, portal.build.incremental.plan); the plan from the live site's record to
  the new one covers every file that can differ between the live site and the new build.
* So, for a file the spare plan covers: the new build writes it if the live plan covers it (or it goes),
  else the live site's file is already right and is taken from there. Every other file of the spare is
  already right.

How it stays safe:

* The two trees share files as hard links: a file is never written through. It is unlinked and written
  anew, or a link to the live file is made under a temporary name and renamed over it.
* The spare's record is removed before its first change and written last: a spare left half-patched by
  a failed or killed build has no record and is never patched again.
* The pages go live with the previous search index, so the spare must hold the live site's search
  bundle: the same files (hard links; the search step keeps them so, :func:`install_bundle`).
* A different day, code or settings in the spare's record, no record, another bundle: the spare is not
  used, and the build hard-links the live site into a new tree as before.

Where: everything a build keeps or makes beside ``out`` is in one folder next to it, ``.<out>.work/``
(:func:`work_dir`): the spare (``spare/``), the mark that the search index is behind the pages
(``pending-search``, :func:`search_pending`) and, while a build runs, its temporary trees (``new-…``,
``search-…``, ``bundle-…``, ``old-…``), which a killed build leaves behind for the next one to remove
(:func:`remove_strays`). Next to ``out`` because trees are exchanged with it and hard-linked to it, which needs
one file system; in a folder of its own that holds a ``.gitignore`` of ``*``, so that a build in a checkout
adds nothing ``git status`` shows, whatever the checkout's own ``.gitignore`` says (the older layout,
``.<out>.spare`` and its siblings beside the site, is moved in by the next build). One build of a folder runs
at a time (:func:`locked`).

Modes: the site is served by a web server running as another user, so its folders and files are made as the
umask says (0755 and 0644 under the usual 022): ``mkdtemp`` makes its folder 0700, so every tree made here is
given the mode a new folder gets under the umask (:func:`scratch`); files are written and folders made below
it the ordinary way, which follows the umask, and hard links keep their file's mode.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from portal.build import incremental as inc
from portal.build.staticsearch import FULL_SUBDIR

BUNDLE = "pagefind"
STRAYS = ("new", "old", "search", "bundle")  # the temporary trees a build makes in the work folder
IGNORE_ALL = "# Made by `portal build`: the previous site and the build's temporary trees, never committed.\n*\n"
_ENTRIES = (f"{BUNDLE}/pagefind-entry.json", f"{FULL_SUBDIR}/pagefind-entry.json")


def exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); False where that is unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def current_umask() -> int:
    """This process's umask (from /proc where there is one: setting it to read it is not thread-safe)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text("ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _work(out: Path) -> Path:
    return out.parent / f".{out.name}.work"


def work_dir(out: Path) -> Path:
    """The folder beside the site *out* that holds its spare, its marks and a build's temporary trees; made
    (as the umask says) with a ``.gitignore`` that keeps it all out of a checkout's ``git status``."""
    work = _work(out)
    if not (work / ".gitignore").is_file():
        work.mkdir(parents=True, exist_ok=True)
        tmp = work / ".gitignore.tmp"
        tmp.write_text(IGNORE_ALL, "utf-8")
        os.replace(tmp, work / ".gitignore")
    return work


def scratch(out: Path, kind: str) -> Path:
    """A new empty folder for a build's tree of *kind* (one of :data:`STRAYS`) in the work folder of *out*,
    with the mode a new folder gets under the umask (``mkdtemp`` alone makes it 0700, and a tree made here
    becomes the published site or its ``pagefind/``)."""
    path = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=work_dir(out)))
    os.chmod(path, 0o777 & ~current_umask())
    return path


def spare_path(out: Path) -> Path:
    """Where the spare tree of the site *out* is kept (in its work folder)."""
    return _work(out) / "spare"


def same_bundle(a: Path, b: Path) -> bool:
    """Do the sites *a* and *b* hold the very same search bundle files (hard links of one build)?"""
    for rel in _ENTRIES:
        try:
            sa, sb = (a / rel).stat(), (b / rel).stat()
        except OSError:
            return False
        if (sa.st_ino, sa.st_dev) != (sb.st_ino, sb.st_dev):
            return False
    return True


def usable_record(spare: Path, live: Path, manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The spare's build record when the spare can be patched to *manifest*'s state; None when it cannot."""
    if not spare.is_dir():
        return None
    record = inc.read_manifest(spare)
    if record is None or inc.changed_articles(record, manifest) is None or not same_bundle(spare, live):
        return None
    return record


def discard(spare: Path) -> None:
    """Remove a spare that cannot be used (or a stale one after a full build)."""
    shutil.rmtree(spare, ignore_errors=True)


def take(live_file: Path, target: Path) -> None:
    """Make *target* the same file as *live_file*: a new hard link (a copy across file systems) renamed over it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.spare-tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(live_file, tmp)
    except OSError:
        shutil.copy2(live_file, tmp)
    os.replace(tmp, target)


def _is_same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def patch(spare: Path, live: Path, live_cover: inc.Cover, spare_cover: inc.Cover) -> int:
    """Bring *spare* to the new build's state except the pages the build renders; return the files changed.

    *live_cover*: what the plan from the live site's record to the new one answers for (rendered now, or
    gone); *spare_cover*: the same from the spare's record."""
    (spare / inc.MANIFEST).unlink(missing_ok=True)  # from here on the spare is half-patched until the end
    candidates = (live_cover.files | spare_cover.files | live_cover.scan(spare) | live_cover.scan(live)
                  | spare_cover.scan(spare) | spare_cover.scan(live))
    changed = 0
    emptied: set[Path] = set()
    for rel in sorted(candidates):
        target, source = spare / rel, live / rel
        if live_cover.covers(rel) or not source.is_file():
            if target.is_file() or target.is_symlink():
                target.unlink()
                emptied.add(target.parent)
                changed += 1
        elif not _is_same(source, target):
            take(source, target)
            changed += 1
    # A removed article or letter leaves no empty folder (the pages re-rendered now make theirs again).
    for folder in sorted(emptied, key=lambda f: len(f.parts), reverse=True):
        while folder != spare and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    return changed


def install_bundle(bundle: Path, site: Path) -> Path:
    """Put the search bundle folder *bundle* in *site* as its ``pagefind/`` in one step; return the folder
    now holding the previous bundle (to be removed), or the emptied *bundle* path when there was none."""
    target = site / BUNDLE
    if target.is_dir() and exchange(bundle, target):
        return bundle
    if target.exists():
        raise OSError("cannot exchange the search bundle in one step")
    os.replace(bundle, target)
    return bundle


def link_copy(folder: Path, near: Path) -> Path:
    """A new folder in the work folder of the site *near* holding hard links of every file below *folder*."""
    copy = scratch(near, "bundle")
    inc.link_tree(folder, copy, lambda _rel: True)
    return copy


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """One build of *out* at a time: two builds patching the same spare tree would corrupt it. The lock is
    on the folder holding *out* (no lock file is left beside the site), so it covers its siblings too. On the
    way out, a work folder left with nothing in it (a full build keeps no spare) is removed."""
    fd = os.open(out.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        try:
            _tidy(out)
        finally:
            os.close(fd)  # releases the lock


def _tidy(out: Path) -> None:
    work = _work(out)
    with contextlib.suppress(OSError):
        if {p.name for p in work.iterdir()} <= {".gitignore"}:
            (work / ".gitignore").unlink(missing_ok=True)
            work.rmdir()


def search_pending(out: Path) -> Path:
    """The mark (in the work folder, never in the site) that the site's pages are newer than its search bundle."""
    return _work(out) / "pending-search"


def remove_strays(out: Path) -> None:
    """Remove what a killed build left beside *out* (its temporary trees and bundles; never the spare), and move
    what an older version kept beside the site (``.<out>.spare``, ``.<out>.pending-search``) into the work
    folder."""
    for kind in STRAYS:
        for path in [*_work(out).glob(f"{kind}-*"), *out.parent.glob(f".{out.name}.{kind}-*")]:
            shutil.rmtree(path, ignore_errors=True)
    for old, new in ((out.parent / f".{out.name}.spare", spare_path(out)),
                     (out.parent / f".{out.name}.pending-search", search_pending(out))):
        if not old.exists():
            continue
        if new.exists() and old.is_dir():
            discard(old)
        elif new.exists():
            old.unlink()
        else:
            work_dir(out)
            os.replace(old, new)
