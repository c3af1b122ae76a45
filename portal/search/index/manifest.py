"""The checksums of an index generation: written once when it is finished, checked whenever it is opened.

A generation's files are never changed after it is swapped in (each build writes a new folder; the semantic vectors
arrive later as new files, which carry their own checksum: :mod:`portal.search.vectors`). ``manifest.json`` lists
every other file with its size and SHA-256; a reader takes the bytes it checked and never looks at the files
again (nothing is memory-mapped), so a file damaged or truncated later cannot hurt a process that has the
generation open, and one damaged before is refused with the file's name.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from portal.exceptions import IndexCorruptError

MANIFEST = "manifest.json"
FORMAT = 1
# Written into the generation after it is current, with their own checksum (vectors.json names vectors.npy's).
LATER_FILES = frozenset({"vectors.npy", "vectors.json"})
_CHUNK = 1 << 20


def is_lock(name: str) -> bool:
    """True for Whoosh's lock files (empty, and never read)."""
    return "LOCK" in name


def file_digest(path: Path) -> tuple[int, str]:
    """The size and SHA-256 of the file at *path*."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def write_manifest(folder: Path, known: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """List every file of the unfinished generation *folder* (not the lock files, the vectors or hidden temporary
    files) with its size and checksum in ``manifest.json``; return the manifest. *known* gives the entries of
    files copied from a generation whose manifest was just checked (hard links of the same bytes), so that they
    are not read again."""
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.iterdir()):
        name = path.name
        if not path.is_file() or name == MANIFEST or name in LATER_FILES or is_lock(name) or name.startswith("."):
            continue
        entry = (known or {}).get(name)
        if entry is not None and entry["size"] == path.stat().st_size:
            files[name] = dict(entry)
            continue
        size, digest = file_digest(path)
        files[name] = {"size": size, "sha256": digest}
    manifest = {"format": FORMAT, "files": files}
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), "utf-8")
    os.replace(tmp, folder / MANIFEST)
    return manifest


def read_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """The file entries of *folder*'s manifest; IndexCorruptError when it is missing or unreadable."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
        files = manifest["files"]
        if manifest.get("format") != FORMAT or not isinstance(files, dict) or not all(
                isinstance(e, dict) and isinstance(e.get("size"), int) and isinstance(e.get("sha256"), str)
                for e in files.values()):
            raise ValueError("not a manifest of this format")
    except FileNotFoundError:
        raise IndexCorruptError(f"the index generation {folder.name} has no {MANIFEST} (it is incomplete, or from an "
                                "older version): run `portal index` to build a new one") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(f"the index generation {folder.name} has a damaged {MANIFEST} ({exc}): "
                                "run `portal index` to build a new one") from None
    for name in files:
        if "/" in name or name.startswith(".") or name in (MANIFEST, "..") or "\\" in name:
            raise IndexCorruptError(f"the index generation {folder.name} lists a file it may not hold ({name!r})")
    return files


class FileDamaged(IndexCorruptError):
    """A file of an index generation is missing, cannot be read or does not match its checksum."""

    def __init__(self, folder: Path, name: str, why: str):
        self.file, self.why = name, why
        super().__init__(f"the index generation {folder.name} is damaged: {name} {why}; "
                         "run `portal index` to build a new one")


def damaged(folder: Path, name: str, why: str) -> FileDamaged:
    """The error for the file *name* of the generation *folder* that fails its check."""
    return FileDamaged(folder, name, why)


def check_bytes(folder: Path, name: str, data: bytes, entry: dict[str, Any]) -> None:
    """Raise IndexCorruptError unless *data* (the file *name* of *folder*) has the size and checksum of *entry*."""
    if len(data) != entry["size"]:
        raise damaged(folder, name, f"has {len(data)} bytes instead of the {entry['size']} its checksum was made of")
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise damaged(folder, name, "does not match its checksum")


def read_checked(folder: Path) -> dict[str, bytes]:
    """Every file the manifest of *folder* lists, read into memory and checked; IndexCorruptError naming the first
    file that is missing, of another size or does not match its checksum."""
    out: dict[str, bytes] = {}
    for name, entry in read_manifest(folder).items():
        try:
            data = (folder / name).read_bytes()
        except FileNotFoundError:
            raise damaged(folder, name, "is missing") from None
        except OSError as exc:
            raise damaged(folder, name, f"cannot be read ({exc.strerror or exc})") from None
        check_bytes(folder, name, data, entry)
        out[name] = data
    return out


def verify(folder: Path) -> dict[str, dict[str, Any]]:
    """Check every file *folder*'s manifest lists without keeping the bytes; return the manifest's entries."""
    files = read_manifest(folder)
    for name, entry in files.items():
        try:
            size, digest = file_digest(folder / name)
        except FileNotFoundError:
            raise damaged(folder, name, "is missing") from None
        except OSError as exc:
            raise damaged(folder, name, f"cannot be read ({exc.strerror or exc})") from None
        if size != entry["size"]:
            raise damaged(folder, name, f"has {size} bytes instead of the {entry['size']} its checksum was made of")
        if digest != entry["sha256"]:
            raise damaged(folder, name, "does not match its checksum")
    return files
