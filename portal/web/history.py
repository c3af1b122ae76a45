"""The agent app's view of change: each article's history from git, and two of its versions compared.

The history comes from :mod:`portal.content.changelog`: read from git once per checkout (``portal index`` keeps it
in the index's cache folder) and loaded by each worker once for each view of the content it serves
(:func:`current_changelog`), so no request starts a git process. Two versions are compared from the blobs the
history names, read in the process (:mod:`portal.content.gitblobs`). The internal notes and agent-only files are
part of the history: these pages are behind the login, and nothing here reaches the public site or the static
build. Outside a git repository the pages say so.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request
from flask_babel import gettext

from portal.build.stages import cache_dir_for
from portal.content.changelog import Change, ChangeLog, Commit, FileChange, read_changelog
from portal.content.editlink import edit_link
from portal.content.gitblobs import read_blob
from portal.content.model import Article, Corpus, Version
from portal.render.textdiff import TextDiff, diff_texts
from portal.web.auth import login_required
from portal.web.state import get_state

bp = Blueprint("history", __name__, url_prefix="/agent")
SHA = re.compile(r"^[0-9a-f]{40}$")
EASY_READ_FILE = "lattlast.md"  # the easy-read Swedish version's file (portal.content.model)
_lock = threading.Lock()


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the history of the content being shown -------------------------------------------------------------------

def current_changelog() -> ChangeLog | None:
    """The git history of the content this request shows; None when the content folder is not in a git repository.

    Loaded once per view of the content (a new index generation, or in the preview a changed file or a new
    commit) from the cache ``portal index`` wrote, or read from git once when there is none for this commit."""
    state = get_state()
    state.view()  # the view first: its generation counter is the stamp
    stamp = (state.generation, _head_stamp(state.articles) if state.reload else None)
    kept = current_app.extensions.get("portal_changelog")
    if kept is not None and kept[0] == stamp:
        return kept[1]  # type: ignore[no-any-return]
    with _lock:
        kept = current_app.extensions.get("portal_changelog")
        if kept is not None and kept[0] == stamp:
            return kept[1]  # type: ignore[no-any-return]
        changelog = read_changelog(state.articles, cache_dir_for(state.index_dir))
        current_app.extensions["portal_changelog"] = (stamp, changelog)
        return changelog


def _head_stamp(articles: Path) -> int:
    """When the preview's checkout last moved (a commit, a checkout): the time of git's HEAD log, found by
    looking up from the content folder; 0 when there is none. A file's time, no git process."""
    for folder in (articles, *articles.resolve().parents):
        for name in (".git/logs/HEAD", ".git"):
            path = folder / name
            if path.exists():
                return path.stat().st_mtime_ns
    return 0


def article_folders(article: Article) -> list[str]:
    """The folders an article's history is in: its own, then those it had before (``redirect_from``)."""
    return [article.id, *article.redirect_from]


def article_changes(article: Article) -> tuple[ChangeLog | None, list[Change]]:
    """The history and the article's changes in it, newest first (none outside git)."""
    changelog = current_changelog()
    return changelog, (changelog.changes(article_folders(article)) if changelog is not None else [])


def article_panel(article: Article, version: Version, corpus: Corpus, limit: int = 5) -> dict[str, Any]:
    """What the article view shows of editing and history: "Redigera" links to the web editor for the language
    shown and for the internal notes (None without site.edit_url), and the latest *limit* changes."""
    changelog, changes = article_changes(article)
    edit_url = corpus.site.edit_url
    return {"edit_link": edit_link(edit_url, corpus.root, version.path),
            "notes_edit_link": edit_link(edit_url, corpus.root, article.internal_path),
            "changelog": changelog, "latest_changes": changes[:limit], "change_count": len(changes),
            "when": when_text}


def when_text(when: dt.datetime) -> str:
    """A commit's time as the server's clock shows it: ``2026-11-23 14:05``."""
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def merged_text(commit: Commit) -> str:
    """" (sammanfogad 2026-11-20)" for a commit that reached the branch on a later day than it was made (a merge
    request merged later); nothing otherwise."""
    day = commit.landed_at.strftime("%Y-%m-%d")
    if day == commit.when.astimezone().strftime("%Y-%m-%d"):
        return ""
    return " (" + gettext("merged %(date)s", date=day) + ")"


# --- what a change is called ----------------------------------------------------------------------------------

def file_label(path: str, article: Article, corpus: Corpus) -> tuple[int, str, str | None]:
    """How a file of an article is named on the pages: (order, label, language code for its ``lang``)."""
    site = corpus.site
    stem, _, suffix = path.partition(".")
    if suffix == "md" and "/" not in path and stem in site.language_codes:
        return (0 if stem == article.source.lang else 1 + site.language_codes.index(stem),
                site.language(stem).name, stem)
    if path == EASY_READ_FILE:
        return 50, gettext("Easy-read Swedish"), "sv"
    if path == "internal.md":
        return 60, gettext("Internal notes"), None
    return 70, path, None


def status_label(change: FileChange) -> str:
    """What happened to a file, in words."""
    if change.status == "A":
        return gettext("added")
    if change.status == "D":
        return gettext("removed")
    if change.status == "R":
        return gettext("moved") if change.old == change.new else gettext("moved and changed")
    return gettext("changed")


def changed_files(change: Change, article: Article, corpus: Corpus) -> list[tuple[str, str | None, str]]:
    """The files one change touched, in page order: (label, language code for ``lang``, what happened)."""
    files = sorted(change.files, key=lambda f: (file_label(f.path, article, corpus), f.path))
    return [(*file_label(f.path, article, corpus)[1:], status_label(f)) for f in files]


def touched_labels(files: tuple[FileChange, ...] | list[FileChange], article: Article,
                   corpus: Corpus) -> list[tuple[str, str | None]]:
    """The names of the texts and files *files* changed, each once, in page order."""
    labels = sorted({file_label(f.path, article, corpus) for f in files})
    return [(label, lang) for _order, label, lang in labels]


# --- two versions compared ------------------------------------------------------------------------------------

@dataclass
class FileDiff:
    """One file as two versions have it: its name, what happened, and the text's difference (None when it is
    not text, or a version is not in the local repository: *note* says which)."""

    label: str
    lang: str | None
    status: str
    diff: TextDiff | None
    note: str = ""


def files_at(changes: list[Change], sha: str) -> dict[str, str]:
    """Each file of the article (path in its folder) and its blob as the commit *sha* left it; empty for "" (before
    the first)."""
    if not sha:
        return {}
    position = next(i for i, change in enumerate(changes) if change.commit.sha == sha)
    files: dict[str, str] = {}
    for change in reversed(changes[position:]):  # oldest first, up to the commit asked for
        for f in change.files:
            if f.new is None:
                files.pop(f.path, None)
            else:
                files[f.path] = f.new
    return files


def compare(article: Article, corpus: Corpus, changes: list[Change], old_sha: str, new_sha: str) -> list[FileDiff]:
    """Every file that differs between the versions *old_sha* ("" for before the article existed) and
    *new_sha*, in page order."""
    before, after = files_at(changes, old_sha), files_at(changes, new_sha)
    out = []
    for path in sorted(before.keys() | after.keys(), key=lambda p: (file_label(p, article, corpus), p)):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        _order, label, lang = file_label(path, article, corpus)
        status = gettext("added") if old is None else gettext("removed") if new is None else gettext("changed")
        out.append(_file_diff(corpus.root, label, lang, status, old, new))
    return out


def _file_diff(root: Path, label: str, lang: str | None, status: str, old: str | None, new: str | None) -> FileDiff:
    blobs = [read_blob(root, blob) if blob else None for blob in (old, new)]
    if any(blob_id and blob is None for blob_id, blob in zip((old, new), blobs, strict=True)):
        return FileDiff(label, lang, status, None, gettext(
            "This version is not in the server's copy of the git repository (a shallow clone?), so it cannot be "
            "shown."))
    if any(b is not None and b.text is None for b in blobs):
        return FileDiff(label, lang, status, None, gettext("The file is not text (an attachment): it cannot be "
                                                           "compared word by word."))
    texts = [b.text if b is not None and b.text is not None else "" for b in blobs]
    return FileDiff(label, lang, status, diff_texts(texts[0], texts[1]))


# --- the pages --------------------------------------------------------------------------------------------------

def _article_or_404(article_id: str) -> tuple[Article, Corpus]:
    corpus = get_state().corpus()
    art = corpus.resolve(article_id)
    if art is None:
        abort(404)
    return art, corpus


def _page(template: str, art: Article, corpus: Corpus, **context: Any) -> str:
    return render_template(template, article=art, site=corpus.site, when=when_text, merged=merged_text, **context)


@bp.route("/article/<article_id>/history")
@login_required
def history(article_id: str) -> Any:
    """Every commit that changed the article (its translations, notes and files included), newest first, and a
    form to compare two versions."""
    art, corpus = _article_or_404(article_id)
    changelog, changes = article_changes(art)
    rows = [{"change": change, "previous": changes[i + 1].commit.sha if i + 1 < len(changes) else "",
             "files": changed_files(change, art, corpus)} for i, change in enumerate(changes)]
    return _page("agent/history.html", art, corpus, changelog=changelog, rows=rows)


@bp.route("/article/<article_id>/diff")
@login_required
def diff(article_id: str) -> Any:
    """Two versions of the article compared (``from``: the older commit, empty for before the article existed;
    ``to``: the newer, by default the newest)."""
    art, corpus = _article_or_404(article_id)
    changelog, changes = article_changes(art)
    if changelog is None or not changes:
        return _page("agent/diff.html", art, corpus, changelog=changelog, files=[], between=[], old="", new=""), 200
    known = {change.commit.sha: i for i, change in enumerate(changes)}
    new = request.args.get("to", "") or changes[0].commit.sha
    old = request.args.get("from", "")
    if not SHA.match(new) or new not in known or (old and (not SHA.match(old) or old not in known)):
        message = gettext("The article has no version with that id. Choose the versions from the article's history.")
        return render_template("agent/message.html", site=corpus.site, title=gettext("Unknown version"),
                               message=message), 400
    if old and known[old] < known[new]:  # the older one given as "to": compare them the right way round
        old, new = new, old
    between = changes[known[new]:known[old]] if old else changes[known[new]:]
    return _page("agent/diff.html", art, corpus, changelog=changelog, files=compare(art, corpus, changes, old, new),
                 between=between, old=old, new=new, old_change=changes[known[old]] if old else None,
                 new_change=changes[known[new]])


def init_app(app: Flask) -> None:
    """Register the history pages."""
    app.register_blueprint(bp)
