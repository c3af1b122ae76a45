"""Links to the content repository's web editor: "Redigera" on each article in the agent app.

`site.yml` may name the editor of the repository the content lives in, as MkDocs' ``edit_uri`` does, with
``{path}`` where a file's path in the content folder goes::

    site:
      edit_url: https://gitlab.example.se/kommun/innehall/-/edit/main/articles/{path}

so that a department's editor fixes a sentence in GitLab's, GitHub's or Forgejo's web editor and opens a merge
request without a checkout of their own. The link is for agents and editors only: the public pages and the static
build never show it (nor the repository's address or the files' paths).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlsplit

EDIT_PATH = "{path}"  # where site.edit_url takes the file's path


def valid_edit_url(url: str) -> bool:
    """True for a web editor's address: https, a host, ``{path}`` exactly once and no other braces, and nothing
    that could end the link's attribute or add to the address (spaces, quotes, angle brackets, a user name)."""
    if url.count(EDIT_PATH) != 1 or re.search(r"[\s'\"<>\\`{}]", url.replace(EDIT_PATH, "")):
        return False
    try:
        parts = urlsplit(url.replace(EDIT_PATH, "x"))
        _ = parts.port  # raises on a bad port
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and not parts.username and not parts.password


def edit_link(edit_url: str, root: Path, path: Path | None) -> str | None:
    """The web editor's address of the content file *path* (below the content folder *root*); None without an
    editor (site.edit_url), without a file, or for a file outside the folder."""
    if not edit_url or path is None:
        return None
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        return None
    return edit_url.replace(EDIT_PATH, quote(relative, safe="/"))
