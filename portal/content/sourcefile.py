"""Reading content files: bytes to text, front matter to data with line numbers.

Every failure becomes a :class:`~portal.exceptions.Problem` naming the file and line; nothing here
raises on bad content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from portal.content.problemtext import problem
from portal.exceptions import Problem, display_path

MAX_FILE_BYTES = 1024 * 1024

KeyPath = tuple[str, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so that an impossible date (2027-02-30) is reported by
    the date check on its own line instead of failing the whole file."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

# libyaml parses about 5x faster (a quarter of loading 10,000 articles went to YAML). It is tried first; on any
# error the pure-Python loader parses again, so problems are reported exactly as before.
_FastLoader: type | None = None
if getattr(yaml, "__with_libyaml__", False):
    class _CLoader(yaml.CSafeLoader):  # type: ignore[name-defined,misc]
        """CSafeLoader with the same resolvers as :class:`_Loader`."""

    _CLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _FastLoader = _CLoader


def _compose(loader_class: type, text: str) -> tuple[Any, Any]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return node, (None if node is None else loader.construct_document(node))
    finally:
        loader.dispose()


@dataclass
class YamlDoc:
    """Parsed YAML data plus the 1-based line of every mapping key (by key path)."""

    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    first_line: int = 1

    def line(self, *keys: str) -> int:
        """Return the line of the deepest known key along *keys*, or the document's first line."""
        for n in range(len(keys), 0, -1):
            if keys[:n] in self.lines:
                return self.lines[keys[:n]]
        return self.first_line


@dataclass
class SourceText:
    """A content file read and split: front matter (if any) and Markdown body."""

    path: Path
    text: str
    front: YamlDoc | None
    body: str
    body_line: int
    # The front matter could not be read (its problem is reported): the body is still checked (its links), so
    # that one run reports every problem of the file.
    broken: bool = False


def read_text(path: Path, problems: list[Problem], max_bytes: int = MAX_FILE_BYTES) -> str | None:
    """Read *path* as UTF-8 text, normalising a BOM and CRLF; report and return None on failure."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            problems.append(problem(display_path(path), 1, "file-too-large", size=f"{size / 1048576:.1f}",
                                    limit=max_bytes // 1048576))
            return None
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(problem(display_path(path), 1, "file-unreadable", reason=exc.strerror or exc))
        return None
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        problems.append(problem(display_path(path), line, "file-binary"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(problem(display_path(path), line, "file-not-utf8", byte=f"0x{raw[exc.start]:02x}"))
        return None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        problems.append(problem(display_path(path), 1, "file-empty"))
        return None
    return text


def parse_yaml(text: str, path: Path, problems: list[Problem], first_line: int = 1) -> YamlDoc | None:
    """Parse YAML *text* (which starts at *first_line* of *path*) keeping the line of each key."""
    try:
        try:
            if _FastLoader is None:
                raise yaml.YAMLError("libyaml is not available")
            node, data = _compose(_FastLoader, text)
        except Exception:  # the pure-Python loader reports the problem (same messages as always)
            node, data = _compose(_Loader, text)
        if node is None:
            return YamlDoc(None, {}, first_line)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        what = exc.problem or "invalid YAML"
        problems.append(problem(display_path(path), line, "yaml-invalid", detail=what))
        return None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        problems.append(problem(display_path(path), first_line, "yaml-error", detail=exc))
        return None
    doc = YamlDoc(data, {}, first_line)
    _collect_lines(node, (), doc, path, problems)
    return doc


def _collect_lines(node: yaml.Node, prefix: KeyPath, doc: YamlDoc, path: Path,
                   problems: list[Problem]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = doc.first_line + key_node.start_mark.line
            if key in seen:
                problems.append(problem(display_path(path), line, "key-twice", key=key))
            seen.add(key)
            doc.lines[(*prefix, key)] = line
            _collect_lines(value_node, (*prefix, key), doc, path, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            doc.lines[(*prefix, str(i))] = doc.first_line + item.start_mark.line
            _collect_lines(item, (*prefix, str(i)), doc, path, problems)


def split_front_matter(path: Path, text: str, problems: list[Problem],
                       required: bool = True) -> SourceText | None:
    """Split a Markdown file into its YAML front matter and body. Front matter that cannot be read gives a
    ``broken`` text (no front matter, the body); one that is not closed gives None."""
    lines = text.split("\n")
    if lines[0].strip() != "---":
        if required:
            problems.append(problem(display_path(path), 1, "front-missing"))
            return SourceText(path, text, None, text, 1, broken=True)
        return SourceText(path, text, None, text, 1)
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        problems.append(problem(display_path(path), 1, "front-unclosed"))
        return None
    body = "\n".join(lines[end + 1:])
    front = parse_yaml("\n".join(lines[1:end]), path, problems, first_line=2)
    if front is None:
        return SourceText(path, text, None, body, end + 2, broken=True)
    if front.data is None:
        front.data = {}
    if not isinstance(front.data, dict):
        problems.append(problem(display_path(path), 2, "front-not-mapping"))
        return SourceText(path, text, None, body, end + 2, broken=True)
    return SourceText(path, text, front, body, end + 2)
