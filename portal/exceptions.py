"""Every error the product reports about content or input, in one place.

A content problem always names the file and, where it can, the line, so that an editor who
is not a programmer can open the file and fix it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ERROR = "error"
WARNING = "warning"


def display_path(path: Path | str) -> str:
    """Return *path* relative to the current folder when it lies below it, else as given."""
    p = Path(path)
    try:
        return os.path.relpath(p) if p.is_absolute() and Path.cwd() in p.parents else str(p)
    except ValueError:  # another drive (Windows) or an unreadable cwd
        return str(p)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or worth a look) in the content, located by file and line."""

    path: str
    line: int
    message: str
    severity: str = ERROR
    # What the agent app needs to show the message in Swedish (portal.content.problemtext): a message code and its
    # values. Plain data, so that problems still pickle into the content cache; not compared.
    code: str = field(default="", compare=False)
    params: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        tag = "" if self.severity == ERROR else "warning: "
        return f"{self.path}:{self.line}: {tag}{self.message}"

    @property
    def is_error(self) -> bool:
        """True when this problem must stop a build."""
        return self.severity == ERROR


class PortalError(Exception):
    """Base class for errors the command line reports as a one-line message, never a traceback."""


class ContentError(PortalError):
    """The content folder has errors; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.is_error]
        super().__init__(f"{len(errors)} error(s) in the content; run `portal check` to see them")


class IndexMissingError(PortalError):
    """There is no usable search index where one was expected."""


class IndexCorruptError(PortalError):
    """The search index exists but cannot be read."""


class BuildError(PortalError):
    """The static build failed; the previous site was left in place."""


class QueryError(PortalError):
    """A search query or its parameters cannot be answered (bad language, bad limit, ...)."""


class ConfigError(PortalError, RuntimeError):
    """The app's settings are unsafe or wrong, so it refuses to start. A RuntimeError too: gunicorn prints those
    as one line (``Error: …``) when it loads the app, as `portal serve` does, instead of a traceback."""
