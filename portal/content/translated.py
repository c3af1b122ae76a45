"""`portal translated ID LANG`: record in a translation that it is up to date with its source.

The translation's ``source_revision`` gets the commit that last changed the source-language file, the commit
`portal check`'s outdated-translation warning names. Only that one line of the file changes (or is added
before the front matter's closing ``---``): every other byte stays as it was, line endings and a BOM included.
"""

from __future__ import annotations

import re
from pathlib import Path

from portal.content.catalogues import Messages
from portal.content.gitinfo import last_commit, uncommitted
from portal.content.siteconfig import SiteConfig
from portal.exceptions import PortalError

_REVISION_LINE = re.compile(rb"^source_revision[ \t]*:.*?(\r?\n|$)", re.MULTILINE)


def with_revision(raw: bytes, commit: str) -> bytes | None:
    """*raw* (a Markdown file) with ``source_revision: <commit>`` in its front matter; None when the file has no
    front matter closed by ``---``."""
    start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    first_end = raw.find(b"\n", start)
    if first_end < 0 or raw[start:first_end].rstrip(b"\r").strip() != b"---":
        return None
    newline = b"\r\n" if raw[first_end - 1:first_end] == b"\r" else b"\n"
    pos = first_end + 1
    while pos <= len(raw):
        end = raw.find(b"\n", pos)
        line = raw[pos:len(raw) if end < 0 else end].rstrip(b"\r")
        if line.strip() in (b"---", b"..."):
            front_end = pos
            break
        if end < 0:
            return None
        pos = end + 1
    else:
        return None
    entry = b"source_revision: " + commit.encode("ascii")
    found = _REVISION_LINE.search(raw, first_end + 1, front_end)
    if found is not None:
        return raw[:found.start()] + entry + found.group(1) + raw[found.end():]
    return raw[:front_end] + entry + newline + raw[front_end:]


def record_translated(root: Path, article_id: str, lang: str, site: SiteConfig,
                      messages: Messages | None = None) -> tuple[Path, str]:
    """Write the source's last commit into the *lang* translation of *article_id*; return its path and the
    commit. Refused (PortalError, in the messages' language) for a missing file, the source language itself, a
    source with changes not committed yet (no commit holds what was translated) or outside git."""
    said = messages or Messages("en")
    source = root / article_id / f"{site.source_language}.md"
    path = root / article_id / f"{lang}.md"
    if lang == site.source_language:
        raise PortalError(said.gettext("%(lang)s is the source language: only a translation records "
                                       "source_revision", lang=lang))
    if not source.is_file() or not path.is_file():
        raise PortalError(said.gettext("there is no file %(path)s", path=path if source.is_file() else source))
    if uncommitted(root, source):
        raise PortalError(said.gettext("%(path)s has changes that are not committed: commit the source first, so "
                                       "that source_revision can name the commit that was translated", path=source))
    commit = last_commit(root, source)
    if commit is None:
        raise PortalError(said.gettext("%(path)s is not in a git repository with commits; source_revision names "
                                       "a git commit", path=source))
    changed = with_revision(path.read_bytes(), commit)
    if changed is None:
        raise PortalError(said.gettext("%(path)s does not start with front matter between two lines '---'",
                                       path=path))
    path.write_bytes(changed)
    return path, commit
