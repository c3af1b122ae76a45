"""What the `portal` commands share: the content and index options, and progress bars on stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from portal.content.catalogues import Messages, choose_language

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


def need_site(root: Path) -> Any:
    """The site.yml of the content folder *root*; a ContentError with its problems when it cannot be used."""
    from portal.content.siteconfig import load_site
    from portal.exceptions import ContentError

    problems: list = []
    site = load_site(root, problems)
    if site is None:
        raise ContentError(problems)
    return site


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


MESSAGES_LANG = click.option(
    "--lang", "lang", default=None, metavar="LANG",
    help="The language of the messages, e.g. sv or en (default: the locale's language, else the content's source "
         "language; English where there is no catalogue).")
_chosen: list[Messages] = []  # the language the running command chose, for the errors main() prints


def messages_for(lang: str | None, root: Path | None) -> Messages:
    """The messages of this run: in *lang* (``--lang``), the locale's language or *root*'s source language
    (site.yml), as :func:`portal.content.catalogues.choose_language` decides; kept for :func:`messages`."""
    source = None
    if root is not None and lang is None:
        from portal.content.siteconfig import load_site

        site = load_site(root, [])
        source = site.source_language if site is not None else None
    chosen = Messages(choose_language(lang, source))
    _chosen[:] = [chosen]
    return chosen


def messages() -> Messages:
    """The messages the running command chose; before any, the locale's language (English without one)."""
    return _chosen[0] if _chosen else Messages(choose_language(None, None))
