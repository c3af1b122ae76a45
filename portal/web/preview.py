"""The live preview for editors (`portal serve --dev`): pages reload in the browser when a content file
is saved, and `portal check`'s problems are shown on every page instead of failing silently.

* The problems panel speaks the editor's language (the content's source language, or ``--lang``), with the
  same sentences as `portal check` and the agent app (portal.content.problemtext); the problems of the article
  on screen come first.
* An article that cannot be used (front matter that cannot be read, a required key missing) is shown as far
  as it can be, with its problems (file, line, message) at the top, instead of the site's 404 page.
* The search page runs the published site's search over a Pagefind bundle of the current content
  (portal.site.previewsearch, the ``PREVIEW_SEARCH`` setting), served at ``/pagefind/``.

Only active in dev mode; never part of a frozen site.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request, send_from_directory

from portal.content.catalogues import Messages, choose_language
from portal.content.frontmatter import ID_PATTERN
from portal.content.load import read_article
from portal.content.model import Corpus
from portal.content.problemtext import problem_text
from portal.exceptions import Problem
from portal.render.markdown import render_corpus
from portal.web.pages import render_page
from portal.web.security import static_csp
from portal.web.state import get_state

bp = Blueprint("preview", __name__, url_prefix="/_preview")
bundle_bp = Blueprint("preview_search", __name__)
SHOWN_PROBLEMS = 50
FIRST_BUNDLE_WAIT_S = 120.0  # the first search after start-up waits for the first bundle (a few seconds)


def active() -> bool:
    """True in the dev preview (and never while freezing)."""
    return bool(current_app.config.get("DEV")) and not current_app.config.get("FREEZING")


def search_active() -> bool:
    """True when the preview's search page runs the published site's search (a bundle builder is set)."""
    return active() and current_app.config.get("PREVIEW_SEARCH") is not None


def editor_messages() -> Messages:
    """The editor's language: ``EDITOR_LANG`` (``portal serve --lang``), the locale's, or the content's."""
    source = get_state().corpus().site.source_language
    return Messages(choose_language(current_app.config.get("EDITOR_LANG"), source))


@bp.route("/generation")
def generation() -> Any:
    """The content generation: it changes whenever a file is saved (the page's script polls this)."""
    state = get_state()
    state.corpus()  # notices changed files and reloads them
    builder = current_app.config.get("PREVIEW_SEARCH")
    if builder is not None:
        builder.refresh(state.generation)
    errors = sum(p.is_error for p in state.problems())
    return jsonify({"generation": state.generation, "errors": errors})


@bundle_bp.route("/pagefind/<path:filename>")
def pagefind(filename: str) -> Response:
    """The preview's Pagefind bundle (the published site's search over the current content)."""
    builder = current_app.config.get("PREVIEW_SEARCH")
    folder = builder.bundle(wait=FIRST_BUNDLE_WAIT_S) if builder is not None and active() else None
    if folder is None:
        abort(404)
    response = send_from_directory(folder, filename, max_age=0)
    response.headers["Cache-Control"] = "no-store"  # the bundle changes whenever a file is saved
    return response


def _under(shown: str, folder: Path) -> bool:
    """Is the problem's file (as shown: relative to the working folder, or absolute) in *folder*?"""
    try:
        return Path(os.path.realpath(shown)).is_relative_to(folder)
    except (OSError, ValueError):
        return False


def _items(problems: list[Problem], lang: str) -> list[dict[str, str]]:
    return [{"kind": "error" if p.is_error else "warning", "where": f"{p.path}:{p.line}",
             "text": problem_text(p, lang)} for p in problems]


def _context() -> dict[str, Any]:
    if not active():
        return {}
    state = get_state()
    problems = state.problems()
    said = editor_messages()
    here: list[Problem] = []
    article_id = (request.view_args or {}).get("article_id") if request else None
    if article_id:  # this article's own problems first
        folder = Path(os.path.realpath(state.corpus().root / str(article_id)))
        here = [p for p in problems if _under(p.path, folder)]
        problems = here + [p for p in problems if p not in here]
    return {"preview_generation": state.generation, "preview_problem_count": len(problems),
            "preview_problems": _items(problems[:SHOWN_PROBLEMS], said.lang), "preview_lang": said.lang,
            "preview_here": _items(here, said.lang),
            "preview_heading": said.gettext("Preview: %(count)s problem(s) in the content", count=len(problems)),
            "preview_here_heading": said.gettext("This article has problems"),
            "preview_note": said.gettext("This page reloads when you save a file. Only you see this panel: it is "
                                         "never published.")}


def _broken_article() -> Any:
    """An article folder that cannot be used, shown as far as it can be with its problems at the top."""
    if not active() or request.endpoint != "public.article":
        return None
    args = request.view_args or {}
    lang, article_id = str(args.get("lang", "")), str(args.get("article_id", ""))
    corpus = get_state().corpus()
    if (article_id in corpus.articles or article_id in corpus.redirects or not ID_PATTERN.match(article_id)
            or lang not in corpus.site.language_codes or not (corpus.root / article_id).is_dir()):
        return None
    found: list[Problem] = []
    article, _usable = read_article(corpus.root / article_id, corpus.site, found, get_state().today())
    if article is None or article.audience != "public":  # an internal article has no public page, broken or not
        return None
    render_corpus(Corpus(corpus.root, corpus.site, {article_id: article}), resolve=corpus.resolve)
    version = article.version(lang) or article.source
    said = editor_messages()
    page = render_page("preview_broken.html", lang, [], title=version.title or article_id, version=version,
                       article_id=article_id, preview_unusable=said.gettext(
                           "This article cannot be published as it is: fix the problems above, then save."))
    return page, 200


def _search_headers(response: Response) -> Response:
    """The search page runs Pagefind's WebAssembly (in a worker, whose policy is its script's): the page and the
    bundle get the static site's policy, as published."""
    if search_active() and request.endpoint in ("public.search", "preview_search.pagefind"):
        site = get_state().corpus().site
        response.headers["Content-Security-Policy"] = static_csp(site.connect_origins, meta=False,
                                                                 form_origin=site.api_origin)
    return response


def init_app(app: Flask) -> None:
    """Register the preview's endpoints and template context when the app runs in dev mode."""
    if not app.config.get("DEV"):
        return
    app.register_blueprint(bp)
    app.register_blueprint(bundle_bp)
    app.context_processor(_context)
    app.before_request(_broken_article)
    app.after_request(_search_headers)
    builder = app.config.get("PREVIEW_SEARCH")
    if builder is not None and not app.config.get("FREEZING"):
        builder.refresh(0)  # the first bundle, while the editor opens the browser
