"""The audit trail on the command line: what `portal users` and `portal tokens` record, and `portal report audit`.

The commands write to the same trail as the app (the app's database: PORTAL_DATABASE_URL or DATABASE_URL, else
the SQLite file in the data folder), as the operating-system user who ran them, ``via`` ``cli``.
"""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path

import click

from portal.cli.datafolder import data_folder
from portal.web.audittrail import DEFAULT_DAYS, AuditTrail


def cli_actor() -> str:
    """Who runs this command: the operating-system user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (a container)
        return f"uid {os.getuid()}"


def trail(data_dir: Path) -> AuditTrail:
    """The app's audit trail, in the database the app uses, with its retention (PORTAL_AUDIT_DAYS)."""
    from portal.web.database import Database, database_url

    url = os.environ.get("PORTAL_DATABASE_URL") or os.environ.get("DATABASE_URL") or None
    days = os.environ.get("PORTAL_AUDIT_DAYS") or str(DEFAULT_DAYS)
    if not days.isdigit() or int(days) < 1:
        raise click.ClickException(f"PORTAL_AUDIT_DAYS must be a whole number of days, 1 or more (not '{days[:20]}')")
    return AuditTrail(Database(database_url(data_dir, url)), int(days))


def record(data_dir: Path, action: str, target: str, detail: str = "") -> None:
    """Record a command's *action* on *target* in the audit trail (a database that cannot be written is said in
    the log, and the command's own work stands)."""
    trail(data_dir).record(action, cli_actor(), target, detail, "cli")


@click.command("audit")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The app's data folder (default: PORTAL_DATA_DIR or .portal/data).")
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True, help="How far back to look.")
@click.option("--user", default=None, help="Only what this user did, or what was done to them.")
@click.option("--limit", type=click.IntRange(1, 100000), default=1000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def report_audit(data_dir: Path | None, days: int, user: str | None, limit: int, as_json: bool) -> None:
    """The audit trail, newest first: logins and failed logins, logouts, sessions ended, users, roles and tokens
    changed, error reports closed, content reloads and index generations (events past PORTAL_AUDIT_DAYS, default
    365, are deleted first)."""
    audit = trail(data_folder(data_dir))
    pruned = audit.prune()
    events = audit.events(days=days, user=user, limit=limit)
    if as_json:
        click.echo(json.dumps([e.as_dict() for e in events], ensure_ascii=False, indent=1))
        return
    for e in events:
        click.echo(f"{e.at[:19].replace('T', ' ')}  {e.actor:<20} {e.action:<17} {e.target:<20} {e.detail}"
                   + (f"  ({e.via})" if e.via else ""))
    click.echo(f"{len(events)} event(s) in the last {days} day(s)" + (f" for '{user}'" if user else "")
               + f"; {pruned} event(s) older than {audit.days} days deleted.", err=True)
