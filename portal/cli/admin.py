"""Administration commands: `portal users`, `portal tokens` and `portal report` (`searches`, `feedback`,
`errors`; `audit` in :mod:`portal.cli.auditcmd`). What `users` and `tokens` change goes to the audit trail.

They work on the app's data folder (``--data-dir``, else PORTAL_DATA_DIR, else ``.portal/data``), the
same one the app uses, so a user added here can log in at once (the app rereads the users file).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from portal.cli import auditcmd
from portal.cli.datafolder import data_folder
from portal.cli.options import MESSAGES_LANG, messages_for
from portal.web import accounts, searchlog


def _file(data_dir: Path | None, explicit: Path | None, env: str, name: str) -> Path:
    return Path(explicit or os.environ.get(env) or data_folder(data_dir) / name)


DATA_DIR = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="The app's data folder (default: PORTAL_DATA_DIR or .portal/data).")
USERS_FILE = click.option("--users-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                          help="The users file (default: PORTAL_USERS_FILE or DATA_DIR/users.json).")
TOKENS_FILE = click.option("--tokens-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                           help="The tokens file (default: PORTAL_TOKENS_FILE or DATA_DIR/tokens.json).")
ROLE = click.option("--role", type=click.Choice(accounts.ROLES), default="agent", show_default=True,
                    help="agent: search, read and report errors; editor: also the reports and figures; admin: also "
                         "users, sessions, API tokens and the audit trail.")
TOKEN_ROLE = click.option("--role", type=click.Choice(accounts.TOKEN_ROLES), default="agent", show_default=True,
                          help="agent: search internal content; editor: the same (a token never administers).")
MIN_PASSWORD = 10


@click.group()
def users() -> None:
    """Manage the people who may log in to the agent app."""


@users.command("add")
@click.argument("name")
@ROLE
@DATA_DIR
@USERS_FILE
def users_add(name: str, role: str, data_dir: Path | None, users_file: Path | None) -> None:
    """Add a user (or set a new password): prompts for the password and stores only its hash."""
    if not name.strip() or any(c.isspace() for c in name) or len(name) > 100:
        raise click.BadParameter("a user name is one word of at most 100 characters", param_hint="NAME")
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise click.BadParameter(f"the password must be at least {MIN_PASSWORD} characters")
    path = _file(data_dir, users_file, "PORTAL_USERS_FILE", "users.json")
    before = accounts.read_json(path, "users").get(name)
    accounts.set_user(path, name, password, role)
    click.echo(f"User '{name}' ({role}) saved in {path}.", err=True)
    folder = data_folder(data_dir)
    if before is None:
        auditcmd.record(folder, "user_added", name, role)
        return
    auditcmd.record(folder, "password_set", name)
    if before.get("role") != role:
        auditcmd.record(folder, "role_changed", name, f"{before.get('role', '?')} -> {role}")
    _end_sessions(name, data_dir)  # a new password: whoever knew the old one is logged out


@users.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(accounts.ROLES))
@DATA_DIR
@USERS_FILE
def users_set_role(name: str, role: str, data_dir: Path | None, users_file: Path | None) -> None:
    """Give the local user NAME the role ROLE (agent, editor or admin); the password stays. It counts from the
    user's next request. After an upgrade from two roles, name the install's admin with this."""
    path = _file(data_dir, users_file, "PORTAL_USERS_FILE", "users.json")
    try:
        before = accounts.set_role(path, name, role)
    except KeyError:
        raise click.ClickException(f"there is no user '{name}' in {path} (add one with `portal users add {name} "
                                   f"--role {role}`)") from None
    if before == role:
        click.echo(f"'{name}' already has the role {role}.", err=True)
        return
    auditcmd.record(data_folder(data_dir), "role_changed", name, f"{before or '?'} -> {role}")
    click.echo(f"'{name}' is now {role} (was {before or 'without a role'}).", err=True)


@users.command("list")
@DATA_DIR
@USERS_FILE
def users_list(data_dir: Path | None, users_file: Path | None) -> None:
    """List the users and their roles (never their password hashes)."""
    for name, entry in sorted(accounts.read_json(_file(data_dir, users_file, "PORTAL_USERS_FILE",
                                                   "users.json"), "users").items()):
        click.echo(f"{name}\t{entry.get('role', '?')}\t{entry.get('created', '')}")


@users.command("remove")
@click.argument("name")
@DATA_DIR
@USERS_FILE
def users_remove(name: str, data_dir: Path | None, users_file: Path | None) -> None:
    """Remove a user and end their sessions."""
    if not accounts.remove_entry(_file(data_dir, users_file, "PORTAL_USERS_FILE", "users.json"), "users", name):
        raise click.ClickException(f"there is no user '{name}'")
    click.echo(f"User '{name}' removed.", err=True)
    auditcmd.record(data_folder(data_dir), "user_removed", name)
    _end_sessions(name, data_dir)


@users.command("end-sessions")
@click.argument("name")
@DATA_DIR
def users_end_sessions(name: str, data_dir: Path | None) -> None:
    """End every session of NAME at once (a lost laptop, someone who left): their next request goes to the login
    page. Uses the app's database (DATABASE_URL, else the data folder's)."""
    if _end_sessions(name, data_dir, strict=True) == 0:
        click.echo(f"'{name}' had no open sessions.", err=True)


def _end_sessions(name: str, data_dir: Path | None, strict: bool = False) -> int:
    """End *name*'s sessions and say how many; a database that cannot be used is an error only when *strict*."""
    from portal.web.database import StoreUnavailable
    from portal.web.sessions import SessionStore

    try:
        ended = SessionStore(_store(data_dir).db).end_all(name)
    except StoreUnavailable as exc:
        if strict:
            raise
        click.echo(f"Warning: could not end the sessions of '{name}' ({exc}); run `portal users end-sessions "
                   f"{name}` later.", err=True)
        return 0
    if ended or strict:
        auditcmd.record(data_folder(data_dir), "sessions_ended", name, str(ended))
    if ended:
        click.echo(f"Ended {ended} session(s) of '{name}'.", err=True)
    return ended


@click.group()
def tokens() -> None:
    """Manage API tokens for machine clients (CRM, chatbot, the city's website)."""


@tokens.command("add")
@click.argument("name")
@TOKEN_ROLE
@DATA_DIR
@TOKENS_FILE
def tokens_add(name: str, role: str, data_dir: Path | None, tokens_file: Path | None) -> None:
    """Create a token for NAME; it is printed once and stored only as a SHA-256 hash."""
    path = _file(data_dir, tokens_file, "PORTAL_TOKENS_FILE", "tokens.json")
    token = accounts.add_token(path, name, role)
    auditcmd.record(data_folder(data_dir), "token_added", name, role)
    click.echo(token)
    click.echo(f"Token '{name}' saved (hashed) in {path}. Send it as 'Authorization: Bearer <token>'; "
               "it cannot be shown again.", err=True)


@tokens.command("list")
@DATA_DIR
@TOKENS_FILE
def tokens_list(data_dir: Path | None, tokens_file: Path | None) -> None:
    """List the token names and roles."""
    for name, entry in sorted(accounts.read_json(_file(data_dir, tokens_file, "PORTAL_TOKENS_FILE",
                                                   "tokens.json"), "tokens").items()):
        click.echo(f"{name}\t{entry.get('role', '?')}\t{entry.get('created', '')}")


@tokens.command("remove")
@click.argument("name")
@DATA_DIR
@TOKENS_FILE
def tokens_remove(name: str, data_dir: Path | None, tokens_file: Path | None) -> None:
    """Revoke a token."""
    if not accounts.remove_entry(_file(data_dir, tokens_file, "PORTAL_TOKENS_FILE", "tokens.json"), "tokens",
                             name):
        raise click.ClickException(f"there is no token '{name}'")
    auditcmd.record(data_folder(data_dir), "token_removed", name)
    click.echo(f"Token '{name}' revoked.", err=True)


def _corpus(articles: Path) -> Any:
    """The content folder, loaded (a ContentError when it has errors)."""
    from portal.exceptions import ContentError
    from portal.site import pipeline

    if not articles.is_dir():
        raise click.BadParameter(f"the content folder '{articles}' does not exist", param_hint="'--articles'")
    corpus, problems = pipeline.load(articles.resolve())
    if corpus is None:
        raise ContentError(problems)
    return corpus


def _store(data_dir: Path | None) -> Any:
    """The feedback store the app uses: DATABASE_URL, else the SQLite file in the data folder."""
    from portal.web.feedbackstore import DEFAULT_DAYS, open_store

    days = int(os.environ.get("PORTAL_FEEDBACK_DAYS") or DEFAULT_DAYS)
    return open_store(data_folder(data_dir),
                      os.environ.get("PORTAL_DATABASE_URL") or os.environ.get("DATABASE_URL") or None, days)


def _searchlog(data_dir: Path | None, retention_days: int | None = None) -> searchlog.SearchLog:
    """The search log the app uses: in DATABASE_URL's PostgreSQL, else the SQLite file in the data folder."""
    keep = retention_days or int(os.environ.get("PORTAL_SEARCH_LOG_DAYS") or searchlog.DEFAULT_DAYS)
    cap = int(os.environ.get("PORTAL_SEARCH_LOG_MAX_QUERIES") or searchlog.DEFAULT_MAX_QUERIES)
    return searchlog.for_data_dir(data_folder(data_dir), keep, os.environ.get("PORTAL_DATABASE_URL")
                                  or os.environ.get("DATABASE_URL") or None, cap)


ARTICLES = click.option("--articles", type=click.Path(file_okay=False, path_type=Path), default=Path("articles"),
                        show_default=True, help="The content folder.")
AS_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group(invoke_without_command=True)
@ARTICLES
@DATA_DIR
@AS_JSON
@MESSAGES_LANG
@click.pass_context
def report(ctx: click.Context, articles: Path, data_dir: Path | None, as_json: bool, lang: str | None) -> None:
    """Content health for editors, then the top of what came back about the content (`portal report feedback`:
    all of it; `portal report errors`: the agents' error reports; `portal report searches`: searches that
    found little)."""
    if ctx.invoked_subcommand is not None:
        return
    from portal.content.health import content_health, format_text
    from portal.web import feedbackreport

    said = messages_for(lang, articles if articles.is_dir() else None)
    corpus, store = _corpus(articles), _store(data_dir)
    zero = _searchlog(data_dir).zero_results()
    health = content_health(corpus, zero_results=zero)
    feedbackreport.close_changed_reports(store, corpus)
    rows = feedbackreport.feedback_rows(corpus, store, zero, 30)
    if as_json:
        click.echo(json.dumps({**health.as_dict(), "feedback": [r.as_dict() for r in rows[:20]]},
                              ensure_ascii=False, indent=1))
    else:
        click.echo(format_text(health, corpus, said) + "\n" + feedbackreport.format_text(rows, 30, 10, said))


@report.command("searches")
@DATA_DIR
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True,
              help="How far back to look.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--retention-days", type=click.IntRange(1, 3650), default=None,
              help="Delete rows older than this first (default: PORTAL_SEARCH_LOG_DAYS or 90).")
@AS_JSON
@MESSAGES_LANG
def report_searches(data_dir: Path | None, days: int, limit: int, retention_days: int | None,
                    as_json: bool, lang: str | None) -> None:
    """The most frequent searches with no or few results (personal data already removed)."""
    said = messages_for(lang, Path("articles") if Path("articles", "site.yml").is_file() else None)
    log = _searchlog(data_dir, retention_days)
    pruned = log.prune()
    rows = log.top(limit=limit, days=days)
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in rows], ensure_ascii=False, indent=1))
    else:
        for r in rows:
            click.echo(f"{r.searches:5}  {r.zero:5}  {r.lang:3}  {r.query}")
        uncounted = log.uncounted(days)
        click.echo(said.gettext("%(count)s quer(ies) with fewer than %(low)s hits in the last %(days)s day(s) "
                                "(columns: searches, of which with no hit, language, query); %(pruned)s row(s) "
                                "older than %(keep)s days deleted.", count=len(rows), low=searchlog.LOW_RESULTS,
                                days=days, pruned=pruned, keep=log.days), err=True)
        if uncounted:
            click.echo(said.gettext("%(count)s more search(es) were not counted one by one: they came on a day that "
                                    "already had %(cap)s distinct queries.", count=uncounted, cap=log.max_queries),
                       err=True)


@report.command("feedback")
@ARTICLES
@DATA_DIR
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True, help="How far back to look.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--article", "article_id", default=None, metavar="ID", help="Only this article (and its comments).")
@AS_JSON
@MESSAGES_LANG
def report_feedback(articles: Path, data_dir: Path | None, days: int, limit: int, article_id: str | None,
                    as_json: bool, lang: str | None) -> None:
    """Per article: yes/no answers, comments, e-service starts, open error reports, and the searches that found
    nothing, what to fix first at the top; then the citizens' comments (as stored: redacted), newest first."""
    from portal.web.feedbackreport import close_changed_reports, feedback_rows, format_comments, format_text, totals

    said = messages_for(lang, articles if articles.is_dir() else None)
    corpus, store = _corpus(articles), _store(data_dir)
    if article_id is not None and article_id not in corpus.articles:
        raise click.BadParameter(said.gettext("there is no article '%(id)s'", id=article_id), param_hint="'--article'")
    close_changed_reports(store, corpus)
    zero = _searchlog(data_dir).zero_results(limit=50) if article_id is None else []
    rows = [r for r in feedback_rows(corpus, store, zero, days) if article_id in (None, r.key)]
    comments = store.comments(article_id, limit=limit, days=days)
    if as_json:
        click.echo(json.dumps({"days": days, "totals": totals(rows), "rows": [r.as_dict() for r in rows[:limit]],
                               "comments": [c.__dict__ for c in comments]}, ensure_ascii=False, indent=1))
    else:
        click.echo(format_text(rows, days, limit, said) + "\n" + format_comments(comments, said))


@report.command("errors")
@ARTICLES
@DATA_DIR
@click.option("--owner", default=None, help="Only the reports on this owner's articles.")
@click.option("--all", "show_all", is_flag=True, help="Also the closed reports.")
@click.option("--done", "done", type=int, default=None, metavar="ID", help="Mark report ID as done.")
@AS_JSON
@MESSAGES_LANG
def report_errors(articles: Path, data_dir: Path | None, owner: str | None, show_all: bool, done: int | None,
                  as_json: bool, lang: str | None) -> None:
    """The agents' error reports on articles, per owner; reports on articles changed since are closed first."""
    from portal.web.feedbackreport import close_changed_reports

    said = messages_for(lang, articles if articles.is_dir() else None)
    corpus, store = _corpus(articles), _store(data_dir)
    closed = close_changed_reports(store, corpus)
    if done is not None:
        if not store.close_report(done, os.environ.get("USER", "") or "portal", "done"):
            raise click.ClickException(said.gettext("there is no open report %(id)s", id=done))
        click.echo(said.gettext("Report %(id)s marked as done.", id=done), err=True)
        return
    reports = store.reports(open_only=not show_all, owner=owner, limit=10000)
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in reports], ensure_ascii=False, indent=1))
        return
    for r in reports:
        state = (said.gettext("closed %(date)s (%(how)s)", date=r.closed_at[:10], how=r.closed_how) if r.closed_at
                 else said.gettext("open"))
        who = said.gettext("owner: %(owner)s", owner=r.owner or said.gettext("(none)"))
        click.echo(f"#{r.id}  {r.article}  {who}  {r.at[:16].replace('T', ' ')}  {state}")
        click.echo("      " + said.gettext("wrong: %(what)s", what=r.what))
        if r.suggestion:
            click.echo("      " + said.gettext("suggestion: %(text)s", text=r.suggestion))
    click.echo(said.gettext("%(count)s report(s); %(closed)s closed now because their article changed. Mark one as "
                            "done: portal report errors --done ID", count=len(reports), closed=closed), err=True)


def register(cli: click.Group) -> None:
    """Add the administration commands to the `portal` command group."""
    report.add_command(auditcmd.report_audit)
    for command in (users, tokens, report):
        cli.add_command(command)
