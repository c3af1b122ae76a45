""""Nytt och ändrat": the articles created or changed in the last 7 or 30 days, what changed in each (commit
messages, which languages, a link to the difference), for the agents' answer groups; each agent marks what they
have read (:mod:`portal.web.changesread`).

The list comes from the history in memory (:func:`portal.web.history.current_changelog`): the commits of the
period are found by date (a binary search), then each article they touched, so a page costs what changed, not the
size of the content. An article that changes again after it was read shows as unread again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext

from portal.content.changelog import Change, ChangeLog, Commit, Entry, FileChange
from portal.content.model import Article, Corpus
from portal.web.auth import current_user, login_required
from portal.web.changesread import current_marks
from portal.web.history import SHA, article_folders, current_changelog, merged_text, touched_labels, when_text
from portal.web.state import get_state

bp = Blueprint("whatsnew", __name__, url_prefix="/agent")
PERIODS = (7, 30)
PAGE_SIZE = 50
KEPT_LISTS = 16  # lists kept per worker (periods x answer groups of the current view)


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


@dataclass
class Item:
    """One article on the list: its changes in the period (raw entries of the history, newest first), whether it
    was created in it and the version just before the period ("" when it was created)."""

    article: Article
    changelog: ChangeLog
    entries: list[Entry]
    created: bool
    base: str
    newest_time: float

    @property
    def changes(self) -> list[Change]:
        """The period's changes with their commits (worked out for the articles shown only)."""
        return self.changelog.as_changes(self.entries)

    @property
    def files(self) -> list[FileChange]:
        """Every file the period's changes touched (a file changed twice is here twice)."""
        return [f for _index, files in self.entries for f in files]

    @property
    def newest(self) -> Commit:
        """The article's latest commit: what "read" refers to."""
        return self.changelog.commits[self.entries[0][0]]


def recent(changelog: ChangeLog, corpus: Corpus, since: dt.datetime, answer_group: str = "") -> list[Item]:
    """The articles created or changed at *since* or later (of *answer_group* when given), the latest first.
    Removed articles are left out (there is nothing to open), and so are changes to a folder no article is in."""
    cutoff = since.timestamp()
    owners = {**corpus.redirects, **{aid: aid for aid in corpus.articles}}
    seen: dict[str, None] = {}
    for index, _commit in changelog.commits_since(since):
        for folder in changelog.touched(index):
            aid = owners.get(folder)
            if aid is not None:
                seen.setdefault(aid)
    items = []
    for aid in seen:
        art = corpus.articles[aid]
        if answer_group and art.answer_group != answer_group:
            continue
        entries = changelog.entries(article_folders(art))
        period = [e for e in entries if changelog.time(e[0]) >= cutoff]
        if not period:
            continue
        older = next((changelog.commits[i].sha for i, _files in entries if changelog.time(i) < cutoff), "")
        items.append(Item(art, changelog, period, not older, older, changelog.time(period[0][0])))
    # The latest first; in one commit, new articles before changed ones, then by title.
    items.sort(key=lambda item: (-item.newest_time, not item.created, item.article.source.title.casefold()))
    return items


def recent_for_view(changelog: ChangeLog, corpus: Corpus, since: dt.datetime, answer_group: str) -> list[Item]:
    """:func:`recent`, worked out once per view of the content, period and answer group (the next page, a mark
    read and its redirect ask for the same list)."""
    kept: dict[tuple, tuple[ChangeLog, Corpus, list[Item]]] = current_app.extensions.setdefault(
        "portal_whatsnew", {})
    key = (id(changelog), id(corpus), since, answer_group)
    found = kept.get(key)
    if found is not None and found[0] is changelog and found[1] is corpus:
        return found[2]
    items = recent(changelog, corpus, since, answer_group)
    if len(kept) >= KEPT_LISTS:
        kept.clear()
    kept[key] = (changelog, corpus, items)  # the objects kept too: their ids are not reused meanwhile
    return items


def _params(corpus: Corpus) -> dict[str, Any]:
    args = request.values
    try:
        days = int(args.get("days", PERIODS[0]))
    except ValueError:
        days = PERIODS[0]
    group = args.get("answer_group", "")
    unread = args.get("show", "") == "unread"
    try:
        page = max(1, int(args.get("page", 1)))
    except ValueError:
        page = 1
    return {"days": days if days in PERIODS else PERIODS[0],
            "answer_group": group if group in corpus.site.answer_groups else "", "unread": unread, "page": page}


def _since(days: int) -> dt.datetime:
    """The start of the period: midnight *days* days before today (the app's date), in the server's time zone."""
    start = get_state().today() - dt.timedelta(days=days)
    return dt.datetime.combine(start, dt.time()).astimezone()


def _user_name() -> str:
    user = current_user()
    return user.name if user is not None else ""


@bp.route("/changes")
@login_required
def changes() -> Any:
    """The list, filtered by period and answer group, unread first when asked, a page at a time."""
    corpus = get_state().corpus()
    params = _params(corpus)
    changelog = current_changelog()
    items = recent_for_view(changelog, corpus, _since(params["days"]), params["answer_group"]) if changelog else []
    marks = current_marks().read(_user_name()) if items else {}
    read = {item.article.id for item in items if marks.get(item.article.id) == item.newest.sha}
    shown = [item for item in items if item.article.id not in read] if params["unread"] else items
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = min(params["page"], pages)
    return render_template(
        "agent/changes.html", site=corpus.site, corpus=corpus, changelog=changelog, params=params, read=read,
        items=shown[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], total=len(items), unread=len(items) - len(read),
        page=page,
        pages=pages, periods=PERIODS, touched_labels=touched_labels, when=when_text,
        merged=merged_text)


@bp.post("/changes/read")
@login_required
def mark_read() -> Any:
    """Mark one article (``article``, as of its commit ``revision``) read or, with ``unread=1``, unread again; or,
    with ``all=1``, every article of the period and answer group that has not been read."""
    corpus = get_state().corpus()
    params = _params(corpus)
    user = _user_name()
    marks = current_marks()
    anchor = ""
    if request.form.get("all") == "1":
        changelog = current_changelog()
        items = recent_for_view(changelog, corpus, _since(params["days"]), params["answer_group"]) if changelog else []
        marks.mark(user, [(item.article.id, item.newest.sha) for item in items])
    else:
        article, revision = request.form.get("article", ""), request.form.get("revision", "")
        if article not in corpus.articles or (request.form.get("unread") != "1" and not SHA.match(revision)):
            return render_template("agent/message.html", site=corpus.site, title=gettext("Unknown article"),
                                   message=gettext("The article is not in the list any more. Reload the page.")), 400
        if request.form.get("unread") == "1":
            marks.unmark(user, article)
        else:
            marks.mark(user, [(article, revision)])
        anchor = f"#item-{article}"
    query = {"days": params["days"], "answer_group": params["answer_group"] or None,
             "show": "unread" if params["unread"] else None, "page": params["page"] if params["page"] > 1 else None}
    return redirect(url_for("whatsnew.changes", **query) + anchor, code=303)


def init_app(app: Flask) -> None:
    """Register "Nytt och ändrat"."""
    app.register_blueprint(bp)
