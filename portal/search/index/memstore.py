"""A Whoosh storage over an index generation's bytes, read into memory once.

An index generation is read into memory after its checksums are checked (:mod:`.manifest`), and Whoosh reads
from those bytes: nothing is memory-mapped, so a file truncated or damaged on disk later cannot stop the process
(SIGBUS) or change what it answers.

Whoosh keeps a segment as one compound file (``.seg``) of several parts (postings, terms, stored fields,
columns). Over a file it hands each searcher a copy of every part it opens (a ``BytesIO`` made from the mapped
bytes): a worker with four threads held four copies of the 65 MB segment of a 10,000-article index. Here the
compound file is split into its parts once, each part its own ``bytes``; a ``BytesIO`` over ``bytes`` shares
them, so every searcher of every thread reads the same copy at the speed of Whoosh's own in-memory reads.
"""

from __future__ import annotations

import struct
from typing import Any

from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import RamStorage
from whoosh.filedb.structfile import BufferFile, StructFile

COMPOUND_SUFFIX = ".seg"
_HEAD = struct.calcsize(">qi")  # where the compound file's directory starts, and its length


class _HeadAndDirectory:
    """The parts of a compound file Whoosh reads when it opens one: the head (where its directory is) and the
    directory at the end. Reading anywhere else is an error: the parts themselves come from :meth:`subset`."""

    def __init__(self, size: int, head: bytes, directory_at: int, directory: bytes):
        self._size, self._head, self._at, self._directory = size, head, directory_at, directory
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        pos, end = self._pos, self._size if size is None or size < 0 else self._pos + size
        if end <= len(self._head):
            data = self._head[pos:end]
        elif pos >= self._at:
            data = self._directory[pos - self._at:end - self._at]
        else:
            raise OSError(f"a read at {pos} outside a compound file's head and directory")
        self._pos = pos + len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        rest = self.read(size)
        cut = rest.find(b"\n")
        if cut >= 0:
            self._pos -= len(rest) - cut - 1
            rest = rest[:cut + 1]
        return rest

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = (0, self._pos, self._size)[whence] + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        pass


class CompoundParts(StructFile):
    """A compound segment file whose parts are held apart: Whoosh reads its directory from here and gets each
    part (:meth:`subset`) as a file over that part's own bytes."""

    def __init__(self, name: str, size: int, head: bytes, directory_at: int, directory: bytes,
                 parts: dict[tuple[int, int], bytes]):
        super().__init__(_HeadAndDirectory(size, head, directory_at, directory), name=name)
        self._parts = parts

    def subset(self, position: int, length: int, name: str | None = None) -> BufferFile:
        """The part at *position* (without copying it)."""
        return BufferFile(self._parts[(position, length)], name=name or self._name)


def split_compound(data: bytes) -> tuple[bytes, int, bytes, dict[tuple[int, int], bytes]]:
    """A compound file's head, where its directory starts, the directory, and its parts by (offset, length)."""
    reader = CompoundStorage(BufferFile(data), use_mmap=False)  # reads the directory, copies nothing
    ranges = [reader.range(name) for name in reader.list()]
    directory_at = struct.unpack(">q", data[:8])[0]
    parts = {(offset, length): data[offset:offset + length] for offset, length in ranges}
    return data[:_HEAD], directory_at, data[directory_at:], parts


class PartsStorage(RamStorage):
    """Whoosh's in-memory storage, with each compound segment file split into its parts (see the module)."""

    def __init__(self, files: dict[str, bytes]):
        super().__init__()
        self._compound: dict[str, tuple[int, bytes, int, bytes, dict[tuple[int, int], bytes]]] = {}
        for name, data in files.items():
            if name.endswith(COMPOUND_SUFFIX):
                self._compound[name] = (len(data), *split_compound(data))
                self.files[name] = b""  # listed (Whoosh finds its files by name); read through _compound
            else:
                self.files[name] = data

    def file_length(self, name: str) -> int:
        """The length of the file *name*."""
        return self._compound[name][0] if name in self._compound else super().file_length(name)

    def open_file(self, name: str, **_kwargs: Any) -> StructFile:
        """The file *name*, read from memory (a compound file: its head and directory, and its parts apart)."""
        if name in self._compound:
            return CompoundParts(name, *self._compound[name])
        if name not in self.files:
            raise NameError(name)
        return BufferFile(self.files[name], name=name)  # over bytes: shared, not copied (a memoryview would be)
