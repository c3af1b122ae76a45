"""What each file in an article folder is, and which of them may ever be published.

An article folder holds its language files (``<lang>.md``), the agent-only notes (``internal.md``), agent-only
files, and attachments published beside the article. Published attachments go by an allow-list of file types
(:data:`ATTACHMENT_TYPES`): documents, images and text a browser shows or downloads but never runs. Anything
else (HTML, scripts, SVG, XML, programs, archives …) would be served from the site's own origin, which also
serves the agent app, so it is an error and is never published. Every file or folder whose name starts with
``internal``, in any case and at any depth, is for agents only. Backup, merge and editor leftovers
(``sv.md~``, ``sv.md.orig``, ``.sv.md.swp``, ``.DS_Store`` …) are errors and never published.

:func:`sort_folder` classifies a folder for the loader; :func:`publishable` answers the same question for one
path, for the app and the static build to check again whatever they are about to publish.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from portal.content.problemtext import problem
from portal.exceptions import Problem, display_path

NOTES = "internal.md"  # the agent-only notes, read as Markdown


@dataclass(frozen=True)
class AttachmentType:
    """How a published attachment is served: its content type, and whether a browser may show it in the page
    (else it is downloaded). *sandbox*: served with a sandboxing Content-Security-Policy (every type but PDF:
    Chrome's PDF viewer refuses to open in a sandboxed document, and a PDF's own scripts run in the viewer,
    never with the site's origin)."""

    mimetype: str
    inline: bool
    sandbox: bool = True


# The file types published beside an article (by lower-case extension). Not on it, on purpose: HTML, XHTML, SVG,
# XML, JavaScript and CSS (a browser runs or applies them as part of the site), Markdown (an article's own text),
# old binary Office formats (.doc, .xls, .ppt, .rtf: they carry macros; save as DOCX/XLSX/PPTX or PDF) and
# macro-enabled ones (.docm …), programs and archives (.exe, .zip …: nobody can see what is in them).
ATTACHMENT_TYPES: dict[str, AttachmentType] = {
    ".pdf": AttachmentType("application/pdf", True, sandbox=False),
    ".png": AttachmentType("image/png", True),
    ".jpg": AttachmentType("image/jpeg", True),
    ".jpeg": AttachmentType("image/jpeg", True),
    ".gif": AttachmentType("image/gif", True),
    ".webp": AttachmentType("image/webp", True),
    ".txt": AttachmentType("text/plain", True),
    ".csv": AttachmentType("text/csv", False),
    ".docx": AttachmentType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", False),
    ".xlsx": AttachmentType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
    ".pptx": AttachmentType("application/vnd.openxmlformats-officedocument.presentationml.presentation", False),
    ".odt": AttachmentType("application/vnd.oasis.opendocument.text", False),
    ".ods": AttachmentType("application/vnd.oasis.opendocument.spreadsheet", False),
    ".odp": AttachmentType("application/vnd.oasis.opendocument.presentation", False),
}
ALLOWED_TEXT = "PDF, PNG, JPEG, GIF, WebP, TXT, CSV, DOCX, XLSX, PPTX, ODT, ODS, ODP"

# What the static build writes into an article's own folder (the article page, /<lang>/<id>/index.html).
GENERATED_NAMES = frozenset({"index.html"})

# Editor, backup and merge leftovers, by name (compared in lower case).
_LEFTOVER_NAMES = frozenset({".ds_store", "thumbs.db", "ehthumbs.db", "desktop.ini", ".directory"})
_LEFTOVER_SUFFIXES = (".orig", ".rej", ".bak", ".backup", ".old", ".tmp", ".swp", ".swo", ".swn", ".swx")
_LEFTOVER_PREFIXES = ("~$", ".#", "._", ".~lock.")  # Office owner files, Emacs locks, AppleDouble, LibreOffice locks
_MERGETOOL = re.compile(r"_(?:BASE|LOCAL|REMOTE|BACKUP)_\d+(?:\.|$)")  # git mergetool's copies


def is_internal_name(name: str) -> bool:
    """Is a file or folder of this name for agents only (it starts with "internal", in any case)?"""
    return name.casefold().startswith("internal")


def is_leftover(name: str) -> bool:
    """Is a file of this name an editor's, a backup's or a merge's leftover (``sv.md~``, ``#sv.md#``,
    ``sv.md.orig``, ``.sv.md.swp``, ``.DS_Store``, ``Thumbs.db`` …)?"""
    lower = name.casefold()
    return (lower in _LEFTOVER_NAMES or lower.endswith("~") or lower.endswith(_LEFTOVER_SUFFIXES)
            or lower.startswith(_LEFTOVER_PREFIXES) or (len(lower) > 1 and lower[0] == lower[-1] == "#")
            or _MERGETOOL.search(name) is not None)


def attachment_type(name: str) -> AttachmentType | None:
    """How a published attachment named *name* is served, or None when its type is not on the allow-list."""
    return ATTACHMENT_TYPES.get(PurePosixPath(name).suffix.casefold())


def publishable(rel: str) -> AttachmentType | None:
    """The type of the attachment at *rel* (a path relative to its article folder, with ``/``) when it may be
    published, else None: hidden, internal, left-over, generated names and types off the allow-list never are."""
    parts = rel.split("/")
    if any(p in ("", ".", "..") or p.startswith(".") or is_internal_name(p) for p in parts):
        return None
    if is_leftover(parts[-1]) or (len(parts) == 1 and parts[0].casefold() in GENERATED_NAMES):
        return None
    return attachment_type(parts[-1])


@dataclass
class FolderFiles:
    """The files of one article folder, sorted by what they are."""

    markdown: list[Path] = field(default_factory=list)  # top-level .md files: the language versions (or strays)
    notes: Path | None = None  # internal.md
    attachments: list[Path] = field(default_factory=list)  # published beside the article
    internal_attachments: list[Path] = field(default_factory=list)  # for agents only


def _problem(path: Path, code: str, **params: str) -> Problem:
    return problem(display_path(path), 1, code, **params)


def _type_problem(path: Path, shown: str) -> Problem:
    if not path.suffix:
        return _problem(path, "attachment-no-type", name=shown, allowed=ALLOWED_TEXT)
    return _problem(path, "attachment-type", name=shown, type=path.suffix.casefold(), allowed=ALLOWED_TEXT)


def sort_folder(folder: Path, problems: list[Problem]) -> FolderFiles:
    """Sort every file below *folder* into a :class:`FolderFiles`; each file that may not be there (a link,
    a leftover, a type off the allow-list, a name the build writes itself) is a problem and left out."""
    found = FolderFiles()
    seen: dict[str, str] = {}  # published names in lower case: a case-insensitive host would mix them up
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        parts, name, shown = rel.parts, rel.name, rel.as_posix()
        if any(part.startswith(".") for part in parts[:-1]):
            continue  # inside a hidden folder (.git …): not content
        if path.is_symlink():
            problems.append(_problem(path, "file-symlink"))
            continue
        if path.is_dir():
            continue
        if is_leftover(name):
            problems.append(_problem(path, "file-leftover", name=shown))
        elif name.startswith("."):
            continue  # other hidden files (.gitkeep …) are never published either
        elif any(is_internal_name(part) for part in parts):
            if parts == (NOTES,):
                found.notes = path
                continue
            if len(parts) == 1 and name.casefold() == NOTES:
                problems.append(_problem(path, "notes-name", name=shown))
            found.internal_attachments.append(path)
        elif len(parts) == 1 and path.suffix.casefold() == ".md":
            found.markdown.append(path)
        elif len(parts) == 1 and name.casefold() in GENERATED_NAMES:
            problems.append(_problem(path, "attachment-generated", name=shown))
        elif attachment_type(name) is None:
            problems.append(_type_problem(path, shown))
        elif shown.casefold() in seen:
            problems.append(_problem(path, "attachment-case", name=shown, other=seen[shown.casefold()]))
        else:
            seen[shown.casefold()] = shown
            found.attachments.append(path)
    return found
