"""The stages in order: load and check content, render it, read git history, index, freeze.

Each stage is a function in its own module that returns values; this module only strings them
together, so that the command line, the app and the tests run exactly the same steps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from portal.content import all_problems, load_corpus, reload_articles
from portal.exceptions import ContentError, PortalError, Problem
from portal.gitinfo import apply_history
from portal.index import build_index
from portal.model import Corpus
from portal.render import render_corpus

Progress = Callable[[int, int], None]


def load(root: Path, today: dt.date | None = None, history: bool = True) -> tuple[Corpus | None, list[Problem]]:
    """Load, validate and render the content folder; the corpus is None when it cannot be used at all."""
    if not root.is_dir():
        raise PortalError(f"the content folder {root} does not exist")
    corpus, problems = load_corpus(root, today)
    if corpus is not None:
        render_corpus(corpus)
        if history:
            apply_history(corpus, corpus.history_problems)
            problems.extend(corpus.history_problems)
        problems.sort(key=lambda p: (p.path, p.line))
    return corpus, problems


def reload(corpus: Corpus, names: list[str], today: dt.date | None = None) -> list[Problem]:
    """Re-read and re-render the article folders *names* in *corpus*; return all problems.

    Saving a file changes no git history, so the dates and outdated flags from git are kept; a commit
    is picked up by the next full load."""
    reload_articles(corpus, names, today)
    render_corpus(corpus, only=names)
    problems = all_problems(corpus) + corpus.history_problems
    return sorted(problems, key=lambda p: (p.path, p.line))


def load_valid(root: Path, today: dt.date | None = None) -> tuple[Corpus, list[Problem]]:
    """Like :func:`load`, but raise :class:`ContentError` when there is any error."""
    corpus, problems = load(root, today)
    if corpus is None or any(p.is_error for p in problems):
        raise ContentError(problems)
    return corpus, problems


def index(root: Path, index_dir: Path, today: dt.date | None = None,
          progress: Progress | None = None) -> tuple[Corpus, Path]:
    """Check the content and build a new index generation; the old index stays if anything fails."""
    corpus, _ = load_valid(root, today)
    return corpus, build_index(corpus, index_dir, today, progress)


def build(root: Path, out: Path, index_dir: Path, today: dt.date | None = None,
          progress: Progress | None = None, say: Callable[[str], None] | None = None) -> dict:
    """Check, index and freeze the public site into *out*, atomically; return a summary."""
    from portal.freeze import freeze_site

    say = say or (lambda _msg: None)
    say("Checking and indexing the content …")
    corpus, _gen = index(root, index_dir, today, progress)
    say("Freezing the public site …")
    return freeze_site(corpus, out, index_dir, today=today, progress=progress, say=say)
