"""Reading content files: bytes to text, front matter to data with line numbers.

Every failure becomes a :class:`~portal.exceptions.Problem` naming the file and line; nothing here
raises on bad content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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


def read_text(path: Path, problems: list[Problem], max_bytes: int = MAX_FILE_BYTES) -> str | None:
    """Read *path* as UTF-8 text, normalising a BOM and CRLF; report and return None on failure."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            problems.append(Problem(display_path(path), 1, f"the file is {size / 1048576:.1f} MiB; the limit is "
                                    f"{max_bytes // 1048576} MiB. Split it or move large material into an attachment"))
            return None
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(display_path(path), 1, f"cannot read the file: {exc.strerror or exc}"))
        return None
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        problems.append(Problem(display_path(path), line,
                                "the file holds binary data, not text; save it as UTF-8 text"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(Problem(display_path(path), line, "the file is not valid UTF-8 text (byte "
                                f"0x{raw[exc.start]:02x}); save it with the encoding UTF-8"))
        return None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        problems.append(Problem(display_path(path), 1, "the file is empty"))
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
        problems.append(Problem(display_path(path), line, f"the YAML cannot be read: {what}. Check indentation, colons "
                                "and quotes (text containing ': ' needs quotes)"))
        return None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        problems.append(Problem(display_path(path), first_line, f"the YAML cannot be read: {exc}"))
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
                problems.append(Problem(display_path(path), line, f"the key '{key}' appears twice; keep one of them"))
            seen.add(key)
            doc.lines[(*prefix, key)] = line
            _collect_lines(value_node, (*prefix, key), doc, path, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            doc.lines[(*prefix, str(i))] = doc.first_line + item.start_mark.line
            _collect_lines(item, (*prefix, str(i)), doc, path, problems)


def split_front_matter(path: Path, text: str, problems: list[Problem],
                       required: bool = True) -> SourceText | None:
    """Split a Markdown file into its YAML front matter and body."""
    lines = text.split("\n")
    if lines[0].strip() != "---":
        if required:
            problems.append(Problem(display_path(path), 1, "the file must start with front matter: a line '---', the "
                                    "keys (title, summary, ...), and another line '---'"))
            return None
        return SourceText(path, text, None, text, 1)
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        problems.append(Problem(display_path(path), 1,
                                "the front matter is not closed: add a line '---' after the keys"))
        return None
    front = parse_yaml("\n".join(lines[1:end]), path, problems, first_line=2)
    if front is None:
        return None
    if front.data is None:
        front.data = {}
    if not isinstance(front.data, dict):
        problems.append(Problem(display_path(path), 2, "the front matter must be keys and values (key: value), "
                                "not a list or a single value"))
        return None
    body = "\n".join(lines[end + 1:])
    return SourceText(path, text, front, body, end + 2)
