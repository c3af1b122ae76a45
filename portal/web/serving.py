"""Running the app for `portal serve` (production serving is gunicorn; see the README)."""

from __future__ import annotations

import click
from flask import Flask
from werkzeug.serving import run_simple


def run(app: Flask, host: str, port: int) -> None:
    """Serve *app* on host:port with a threaded development server, after printing how to use it."""
    base = f"http://{host}:{port}"
    click.echo(f"Public site preview: {base}/", err=True)
    click.echo(f"Agent app:           {base}/agent/", err=True)
    click.echo(f"API:                 {base}/api/v1/openapi.json", err=True)
    messages = app.extensions.get("startup_messages", [])
    for line in messages:
        click.echo(line, err=True)
    if app.extensions.get("portal_oidc") is not None:
        click.echo("Agents sign in with the identity provider (PORTAL_OIDC_ISSUER), or with a local user.", err=True)
    elif not messages:
        click.echo("Log in to the agent app with a user from the users file; add one with "
                   "`portal users add NAME --role agent` (or `--role editor` or `--role admin`).", err=True)
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
