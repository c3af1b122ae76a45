"""Where the data shipped with `portal` is: the templates and the UI translations."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent  # the package's own folder (its code, portal/static, portal/data)


def package_folder(name: str) -> Path:
    """The folder of data shipped with `portal` (templates, translations).

    An installed wheel has it inside the package; a source checkout keeps it at the top level,
    beside the package; an editable install maps it through the import system.
    """
    for candidate in (PACKAGE / name, PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    return Path(str(resources.files(f"portal.{name}")))
