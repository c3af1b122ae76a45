"""The build's broken-link check: every local link in every written page must lead to a written file.

Links are taken with a regular expression over each page as it is written (the freezer hands the page
over), not with an HTML parser afterwards: at 20,000 pages the parser cost as much as rendering. The
expression reads the same links the parser did (``href`` of ``a`` and ``link``, ``src`` of ``script``
and ``img``), with quoted attribute values that may hold ``>``, and entity-decoded values; it is
stricter in one way: a link inside an HTML comment is checked too.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

_TAG = re.compile(r"""<(a|link|script|img)\b((?:[^>"']|"[^"]*"|'[^']*')*)>""", re.IGNORECASE)
_ATTR = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_WANTED = {"a": "href", "link": "href", "script": "src", "img": "src"}


def page_links(text: str) -> list[str]:
    """The link URLs of one HTML page, in document order (``href`` of a/link, ``src`` of script/img)."""
    urls = []
    for m in _TAG.finditer(text):
        wanted = _WANTED[m.group(1).lower()]
        for a in _ATTR.finditer(m.group(2)):
            if a.group(1).lower() == wanted:
                value = a.group(2) if a.group(2) is not None else a.group(3) if a.group(3) is not None else a.group(4)
                if value:
                    urls.append(html.unescape(value))
                break  # the first of a repeated attribute counts, as in browsers
    return urls


@functools.lru_cache(maxsize=65536)  # the same menu, footer and list links on thousands of pages
def local_target(url: str) -> str | None:
    """The file (relative to the site root, as posix text) a local ``/…`` link needs; None for others."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    target = unquote(parts.path).lstrip("/")
    return target + "index.html" if parts.path.endswith("/") else target


@dataclass
class Links:
    """Local link targets found in written pages: each target with the first page and URL that needs it."""

    targets: dict[str, tuple[str, str, int]] = field(default_factory=dict)

    def add_page(self, page: str, text: str) -> None:
        """Record the local links of *page* (its path relative to the site root) with HTML *text*."""
        for url in page_links(text):
            target = local_target(url)
            if target is None:
                continue
            first = self.targets.get(target)
            self.targets[target] = (page, url, 1) if first is None else (first[0], first[1], first[2] + 1)

    def merge(self, other: Links) -> None:
        """Add another worker's findings."""
        for target, (page, url, n) in other.targets.items():
            first = self.targets.get(target)
            self.targets[target] = (page, url, n) if first is None else (first[0], first[1], first[2] + n)

    def missing(self, exists: Callable[[str], bool]) -> list[str]:
        """Messages for the targets *exists* says are not there, sorted by page."""
        out = []
        for target, (page, url, n) in sorted(self.targets.items(), key=lambda t: (t[1][0], t[0])):
            if not exists(target):
                more = f" (and {n - 1} more link(s) to it)" if n > 1 else ""
                out.append(f"{page}: link to {url} leads nowhere{more}")
        return out


def file_checker(root: Path, written: Iterable[str]) -> Callable[[str], bool]:
    """A test for 'this target is a file of the site': the set of written files first, then the disk."""
    known = set(written)

    def exists(target: str) -> bool:
        return target in known or (root / target).is_file()
    return exists


def broken_links(root: Path) -> list[str]:
    """Local links (``/…`` paths) in the HTML files below *root* that point at no file; as messages."""
    problems = []
    for page in sorted(root.rglob("*.html")):
        rel = page.relative_to(root).as_posix()
        for url in page_links(page.read_text(encoding="utf-8")):
            target = local_target(url)
            if target is not None and not (root / target).is_file():
                problems.append(f"{rel}: link to {url} leads nowhere")
    return problems
