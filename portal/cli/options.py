"""What the `portal` commands share: the content and index options, and progress bars on stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

ARTICLES = click.option("--articles", "articles", type=click.Path(file_okay=False, path_type=Path),
                        default=Path("articles"), show_default=True, help="The content folder.")
INDEX = click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path),
                     default=Path(".portal/index"), show_default=True,
                     help="Where the search index and the content cache live (never inside the public build).")


def need_folder(path: Path) -> Path:
    """*path* resolved; a usage error (exit 2) when the content folder does not exist."""
    if not path.is_dir():
        raise click.BadParameter(f"the content folder '{path}' does not exist", param_hint="'--articles'")
    return path.resolve()


def progress_bar(label: str) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A progress bar on stderr that works with the stages' (done, total) callbacks, and its closer."""
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr,
                                                   show_pos=True)
            bar.__enter__()
        bar.update(done - bar.pos)

    def close() -> None:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)
            state.clear()

    return update, close
