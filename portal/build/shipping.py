"""An index generation shipped as one artifact: built once (in CI), checked and swapped in on each machine.

``portal index export --out gen.tar`` writes the current generation, after checking it, into a tar file (gzip'd
when the name ends in ``.gz`` or ``.tgz``): one folder named after the generation holding its files, its
``manifest.json`` (the size and SHA-256 of every file) and, when they are made, the semantic vectors with their own
checksum. ``portal index install gen.tar`` on a serving machine:

1. checks the whole file against ``--sha256`` when given (what the export printed; a checksum published by CI
   guards against a changed artifact, the manifest only against a damaged one);
2. reads only regular files named ``<generation>/<file>`` (no links, no paths out of the folder), unpacks them into
   a temporary folder beside the others, checks every file against the manifest (a file it does not list is
   refused too), the vectors against theirs, and opens the generation as a server would;
3. checks that the content folder (``--articles``) holds the content the generation was built from: the same
   site.yml and synonyms.yml and, folder by folder, the same files (``content.json`` records their digests and
   the git commit). The article views read the content folder (they follow the generation the search uses,
   :mod:`portal.web.state`), so a machine must check out the artifact's commit first;
4. renames the folder into place and swaps the ``current`` link in one step: every worker serves it on its next
   request. Anything refused leaves the machine's index as it was, and names the file or article at fault.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from portal.build.contentcache import content_stamp, files_digest, site_digest
from portal.content.gitinfo import head_commit
from portal.exceptions import IndexCorruptError, PortalError
from portal.search.index import MANIFEST, SCHEMA_VERSION, current_generation, open_generation, verify_generation
from portal.search.index.manifest import LATER_FILES, FileDamaged, check_bytes, read_manifest
from portal.search.index.writer import CONTENT_STATE, swap
from portal.search.vectors import ROWS_FILE, VECTORS_FILE, read_vectors

GENERATION_NAME = re.compile(r"gen-[A-Za-z0-9_.-]{1,120}")
MAX_MEMBER_BYTES = 8 << 30  # a generation's largest file (the segment: 58 MB at 10,000 articles) is far below
SHOWN = 8  # differing article folders named in a refusal


@dataclass
class Shipped:
    """What an export wrote or an install put in place."""

    generation: str
    files: int
    size: int
    sha256: str = ""  # of the artifact file
    commit: str | None = None  # of the content the generation was built from
    vectors: bool = False
    already: bool = False  # install: that generation was already the current one
    notes: list[str] = field(default_factory=list)


def _mode(path: Path, writing: bool) -> str:
    gz = path.name.endswith((".gz", ".tgz"))
    return ("w:gz" if gz else "w") if writing else "r:*"


def export_index(index_dir: Path, out: Path) -> Shipped:
    """Write the current generation of *index_dir* (checked first) into the artifact *out*, atomically."""
    gen = current_generation(index_dir)
    entries = verify_generation(gen)
    names = [MANIFEST, *sorted(entries)]
    vectors = read_vectors(gen) is not None  # VectorsDamaged (a PortalError) when they are damaged
    if vectors:
        names += [VECTORS_FILE, ROWS_FILE]
    content = json.loads((gen / CONTENT_STATE).read_text("utf-8")) if CONTENT_STATE in entries else {}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    size = 0
    try:
        with tarfile.open(tmp, _mode(out, writing=True), format=tarfile.PAX_FORMAT) as tar:
            for name in names:
                data = (gen / name).read_bytes()
                if name in entries:  # the bytes written are the bytes checked
                    check_bytes(gen, name, data, entries[name])
                info = tarfile.TarInfo(f"{gen.name}/{name}")
                info.size, info.mode, info.mtime = len(data), 0o644, int((gen / name).stat().st_mtime)
                tar.addfile(info, io.BytesIO(data))
                size += len(data)
        if vectors:  # the matrix and its rows were read one after the other: check the pair as written
            _check_vectors_in(tmp, gen.name)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Shipped(gen.name, len(names), size, _sha256(out), content.get("commit"), vectors)


def _check_vectors_in(artifact: Path, name: str) -> None:
    with tarfile.open(artifact, "r:*") as tar, tempfile.TemporaryDirectory(dir=artifact.parent) as scratch:
        for file in (VECTORS_FILE, ROWS_FILE):
            member = tar.extractfile(f"{name}/{file}")
            assert member is not None
            (Path(scratch) / file).write_bytes(member.read())
        read_vectors(Path(scratch))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def install_index(artifact: Path, index_dir: Path, articles: Path, sha256: str | None = None) -> Shipped:
    """Check the artifact *artifact* and make its generation the current one of *index_dir*, when the content
    folder *articles* holds the content it was built from; PortalError (the index left as it was) otherwise."""
    if not artifact.is_file():
        raise PortalError(f"there is no index artifact {artifact}")
    if sha256 is not None and _sha256(artifact) != sha256.strip().lower():
        raise PortalError(f"the artifact {artifact} does not match the sha256 given: it is not the file that was "
                          "exported (or it was changed or damaged on the way)")
    index_dir.mkdir(parents=True, exist_ok=True)
    name, tmp = _unpack(artifact, index_dir)
    try:
        shipped = _check_unpacked(tmp, name, artifact)
        _check_content(tmp, articles, artifact)
        target = index_dir / name
        try:
            current = current_generation(index_dir)
        except PortalError:
            current = None
        if current is not None and current.name == name:
            verify_generation(current)
            shipped.already = True
            return shipped
        if target.exists():  # installed before, then replaced: take it back if it is whole
            verify_generation(target)
        else:
            os.rename(tmp, target)
        swap(index_dir, target)
        return shipped
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _unpack(artifact: Path, index_dir: Path) -> tuple[str, Path]:
    """Unpack the artifact's regular files into a new temporary generation folder; its name and the folder."""
    name: str | None = None
    tmp: Path | None = None
    try:
        with tarfile.open(artifact, "r:*") as tar:
            for member in tar:
                parts = member.name.split("/")
                if (not member.isreg() or len(parts) != 2 or not GENERATION_NAME.fullmatch(parts[0])
                        or parts[0].endswith(".tmp") or not parts[1] or parts[1].startswith(".")
                        or member.size > MAX_MEMBER_BYTES or (name is not None and parts[0] != name)):
                    raise PortalError(f"{artifact} holds {member.name!r}, which no index artifact holds: refused")
                if tmp is None:
                    name = parts[0]
                    tmp = index_dir / f"{name}-install-{os.getpid()}.tmp"
                    shutil.rmtree(tmp, ignore_errors=True)
                    tmp.mkdir()
                path = tmp / parts[1]
                if path.exists():
                    raise PortalError(f"{artifact} holds {member.name!r} twice: refused")
                source = tar.extractfile(member)
                assert source is not None
                with path.open("wb") as f:
                    shutil.copyfileobj(source, f, 1 << 20)
    except (tarfile.TarError, OSError, EOFError, PortalError) as exc:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, PortalError):
            raise
        raise PortalError(f"{artifact} is not an index artifact made by `portal index export`, or it is damaged or "
                          f"incomplete ({exc})") from None
    if name is None or tmp is None:
        raise PortalError(f"{artifact} is empty: not an index artifact")
    return name, tmp


def _check_unpacked(folder: Path, name: str, artifact: Path) -> Shipped:
    """Check the unpacked generation as a server will open it; what it holds."""
    try:
        entries = read_manifest(folder)
        present = {p.name for p in folder.iterdir()}
        extra = present - set(entries) - {MANIFEST} - LATER_FILES
        if extra:
            raise PortalError(f"{artifact} holds files its {MANIFEST} does not list ({', '.join(sorted(extra))}): "
                              "refused")
        verify_generation(folder)
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
        if meta.get("schema") != SCHEMA_VERSION:
            raise PortalError(f"{artifact} was exported by another version of portal (index schema "
                              f"{meta.get('schema')}, this one reads {SCHEMA_VERSION}): build it with this version")
        vectors = read_vectors(folder) is not None
        open_generation(folder)
    except FileDamaged as exc:
        raise PortalError(f"{artifact} is refused: {name}/{exc.file} {exc.why}") from None
    except IndexCorruptError as exc:
        raise PortalError(f"{artifact} is refused: {str(exc).replace(folder.name, name)}") from None
    size = sum((folder / n).stat().st_size for n in present)
    content = json.loads((folder / CONTENT_STATE).read_text("utf-8")) if CONTENT_STATE in entries else {}
    return Shipped(name, len(present), size, _sha256(artifact), content.get("commit"), vectors)


def _check_content(folder: Path, articles: Path, artifact: Path) -> None:
    """PortalError unless *articles* holds the content the unpacked generation in *folder* was built from."""
    try:
        record = json.loads((folder / CONTENT_STATE).read_text("utf-8"))
        files: dict[str, str] = record["files"]
        site = record["site"]
    except (OSError, ValueError, KeyError, TypeError):
        raise PortalError(f"{artifact} has no record of the content it was built from (it was exported from an "
                          "index built by an older version): build it again with this version") from None
    if not articles.is_dir():
        raise PortalError(f"the content folder {articles} does not exist")
    here = {name: files_digest(stamp, str(articles / name)) for name, stamp in content_stamp(articles).items()
            if name}
    differ = sorted(n for n in here.keys() | files.keys() if here.get(n) != files.get(n))
    site_differs = site_digest(articles) != site
    if not differ and not site_differs:
        return
    shown = ", ".join(differ[:SHOWN]) + (" …" if len(differ) > SHOWN else "")
    what = ([f"{len(differ)} article folder(s) differ ({shown})"] if differ else []) + (
        ["site.yml or synonyms.yml differ"] if site_differs else [])
    commit, mine = record.get("commit"), head_commit(articles)
    if commit and commit == mine:
        where = f"; {articles} is at its commit {commit[:12]} but has changes of its own: undo them"
    elif commit:
        where = (f"; the artifact was built at commit {commit[:12]}, {articles} is at "
                 f"{mine[:12] if mine else 'no commit'}: check out {commit[:12]} first")
    else:
        where = ""
    raise PortalError(f"{artifact} was built from other content than {articles}: {'; '.join(what)}{where}. "
                      "The article views read this folder, so it must hold what the index holds")
