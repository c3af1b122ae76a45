"""The `portal` command line: thin commands over the library functions."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from portal.build import collector
from portal.cli.indexcmd import index_group
from portal.cli.options import ARTICLES, INDEX, MESSAGES_LANG, messages, messages_for, need_folder, need_site
from portal.exceptions import ContentError, PortalError
from portal.site import pipeline


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="portal")
def cli() -> None:
    """Knowledge base, agent search, JSON API and static self-service site for a contact centre."""


@cli.command()
@ARTICLES
@INDEX
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
@click.option("--no-cache", "no_cache", is_flag=True, help="Read every article folder (ignore the content cache).")
@MESSAGES_LANG
def check(articles: Path, index_dir: Path, as_json: bool, no_cache: bool, lang: str | None) -> None:
    """Validate all content: every problem as `path:line: message`, sorted by file and line; exit 1 on any error.

    Every problem is reported in one run. Where an index folder already exists, unchanged folders come from its
    content cache (checking alone never creates one: an editor's repository gets no new folder)."""
    from portal.content.problemtext import problem_line, problem_text

    root = need_folder(articles)
    use_cache = not no_cache and index_dir.is_dir()
    cache_dir = pipeline.cache_dir_for(index_dir.resolve()) if use_cache else None
    corpus, problems = pipeline.load(root, cache_dir=cache_dir, lazy=True)  # checking needs no article unpickled
    said = messages_for(lang, root)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if as_json:  # "message" stays English for machines; "text" is what a person reads
        click.echo(json.dumps([{"path": p.path, "line": p.line, "severity": p.severity, "code": p.code,
                                "message": p.message, "text": problem_text(p, said.lang)}
                               for p in problems], ensure_ascii=False, indent=1))
    else:
        for p in problems:
            click.echo(problem_line(p, said.lang))
        n = len(corpus.articles) if corpus else 0
        click.echo(said.gettext("%(articles)s article(s) checked: %(errors)s error(s), %(warnings)s warning(s).",
                                articles=n, errors=errors, warnings=warnings), err=True)
    sys.exit(1 if errors else 0)


cli.add_command(index_group)


@cli.command()
@click.argument("query")
@ARTICLES
@INDEX
@click.option("--lang", default=None, help="Language to search (default: the source language).")
@click.option("--internal", is_flag=True, help="Include internal articles and internal notes.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--prefix", is_flag=True, help="Treat the last word as unfinished (search as you type).")
@click.option("--mode", type=click.Choice(["auto", "lexical", "hybrid"]), default="auto", show_default=True,
              help="hybrid: words and meaning (the multilingual model); lexical: words only; auto: hybrid unless "
                   "--prefix.")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
def search(query: str, articles: Path, index_dir: Path, lang: str | None, internal: bool, limit: int,
           prefix: bool, mode: str, as_json: bool) -> None:
    """Search the index from the terminal."""
    from portal.exceptions import IndexCorruptError, IndexMissingError
    from portal.search.index import IndexHandle
    from portal.search.searcher import Searcher

    index_dir = index_dir.resolve()
    try:
        handle = IndexHandle(index_dir)
    except (IndexMissingError, IndexCorruptError) as exc:
        click.echo(f"{exc}. Building it now from {articles} …", err=True)
        pipeline.index(need_folder(articles), index_dir)
        handle = IndexHandle(index_dir)
    from portal.exceptions import QueryError

    try:
        result = Searcher(handle).search(query, lang, internal=internal, limit=limit, prefix=prefix, mode=mode)
    except QueryError as exc:
        raise click.BadParameter(str(exc), param_hint="'--lang'") from None
    if result.elsewhere:
        where = result.elsewhere
        click.echo(f"Probably an errand for {where.authority} ({where.url}): the question says \"{where.word}\".",
                   err=True)
    if as_json:
        fields = ("id", "lang", "title", "summary", "score", "audience", "url", "self_service_url",
                  "self_service_label", "fallback", "confident", "category", "department")
        extra = ("answer_group", "status", "in_internal") if internal else ()
        click.echo(json.dumps([{k: getattr(h, k) for k in fields + extra} for h in result.hits],
                              ensure_ascii=False, indent=1))
        return
    if result.suggestion:
        click.echo(f"Did you mean: {result.suggestion}", err=True)
    if not result.hits:
        click.echo("No results.", err=True)
    elif not any(h.confident for h in result.hits):
        click.echo("No confident answer: these are the closest articles.", err=True)
    for n, h in enumerate(result.hits, 1):
        tags = [h.lang] + (["fallback"] if h.fallback else []) + ([h.audience] if h.audience != "public" else [])
        tags += ["confident"] if h.confident else []
        click.echo(f"{n:2}. {h.title}  [{h.id}; {', '.join(tags)}; score {h.score:.2f}]")
        click.echo(f"    {h.summary}")
        if h.self_service_url:
            click.echo(f"    e-service: {h.self_service_url}")


@cli.command()
@ARTICLES
@INDEX
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help="Where to write the static site.")
@click.option("--incremental", is_flag=True,
              help="Re-render only the pages that changed articles can change, reusing the rest of the "
                   "build in --out (when it was made today with the same code and settings); the search "
                   "index follows right after.")
@MESSAGES_LANG
def build(articles: Path, index_dir: Path, out: Path, incremental: bool, lang: str | None) -> None:
    """Check, index and freeze the public site (atomically: a failed build leaves the last site)."""
    from portal.cli.progress import StepProgress

    root = need_folder(articles)
    said = messages_for(lang, root)
    shown = StepProgress(sys.stderr)
    try:
        if incremental:
            summary = pipeline.build_incremental(root, out.resolve(), index_dir.resolve(), progress=shown.update,
                                                 say=shown.say)
        else:
            summary = pipeline.build(root, out.resolve(), index_dir.resolve(), progress=shown.update, say=shown.say)
    finally:
        shown.close()
    click.echo(said.gettext("Built %(pages)s page(s) in %(languages)s language(s) into %(out)s.",
                            pages=summary["pages"], languages=summary["languages"], out=out), err=True)
    if summary.get("steps_s"):  # where an incremental build's time went (bench/incremental_cli.py reads it)
        click.echo(f"  pages published after {summary['published_s']} s, steps: {json.dumps(summary['steps_s'])}; "
                   f"search index {summary['pagefind_s']} s more; agent index ready {summary['index_at_s']} s "
                   "after the start", err=True)


@cli.command()
@click.argument("article_id", metavar="ID")
@ARTICLES
@click.option("--title", help="The question or errand, in plain language.")
@click.option("--category", help="A category key from site.yml.")
@click.option("--owner", help="Who answers for the content (an e-mail address).")
@MESSAGES_LANG
def new(article_id: str, articles: Path, title: str | None, category: str | None, owner: str | None,
        lang: str | None) -> None:
    """Create a new article folder with every front-matter key filled in and explained (a draft that passes
    `portal check`; comments in Swedish for Swedish content)."""
    from portal.content.scaffold import new_article

    root = need_folder(articles)
    said = messages_for(lang, root)
    path = new_article(root, article_id, need_site(root), title=title, category=category, owner=owner, messages=said)
    click.echo(said.gettext("Created %(path)s. It starts as a draft: fill it in, set status: published, then run "
                            "`portal check`.", path=path))


@cli.command()
@click.argument("article_id", metavar="ID")
@click.argument("language", metavar="LANG")
@ARTICLES
@MESSAGES_LANG
def translated(article_id: str, language: str, articles: Path, lang: str | None) -> None:
    """Record that the LANG translation of ID is up to date with its source: source_revision in its front matter
    gets the commit that last changed the source (the rest of the file is left as it is)."""
    from portal.content.translated import record_translated

    root = need_folder(articles)
    said = messages_for(lang, root)
    path, commit = record_translated(root, article_id, language, need_site(root), messages=said)
    click.echo(said.gettext("%(path)s: source_revision is now %(commit)s.", path=path, commit=commit))


@cli.command()
@ARTICLES
@INDEX
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--dev", is_flag=True, help="Preview mode: reload content and pages when files change, show the "
              "problems on every page, and search as the published site does.")
@MESSAGES_LANG
def serve(articles: Path, index_dir: Path, host: str, port: int, dev: bool, lang: str | None) -> None:
    """Run the app: agent UI, API and a preview of the public site."""
    from portal.web.app import create_app
    from portal.web.serving import run

    root = need_folder(articles)
    config: dict[str, Any] = {"ARTICLES_DIR": root, "INDEX_DIR": index_dir.resolve(), "RELOAD_CONTENT": dev,
                              "DEV": dev, "FIRST_USER": True, "EDITOR_LANG": lang}
    if dev:  # the preview's search: the published site's, over a bundle of the current content beside the index
        from portal.site.previewsearch import PreviewSearch

        config["PREVIEW_SEARCH"] = PreviewSearch(root, index_dir.resolve().parent / "preview", index_dir.resolve())
    app = create_app(config)
    _index_at_start(app, root, index_dir.resolve())
    run(app, host, port)


def _index_at_start(app: Any, root: Path, index_dir: Path) -> None:
    """Build the index before serving when there is no usable generation (the app never builds one inside a
    request): a missing or damaged index is built in full; content with errors leaves searching at 503."""
    state = app.extensions["portal"]
    if state.handle.latest() is not None:
        return
    click.echo(f"No usable search index in {index_dir}: building it now …", err=True)
    try:
        run = pipeline.index_content(root, index_dir, lazy=True)
    except ContentError as exc:
        click.echo(f"Warning: {exc}; searching answers 503 until they are fixed and `portal index` runs.", err=True)
        return
    click.echo(f"Built the index of {len(run.corpus.articles)} article(s) ({sum(run.seconds.values()):.1f} s).",
               err=True)
    state.handle.latest()


def _register_admin_commands() -> None:
    from portal.cli import admin as cli_admin

    cli_admin.register(cli)


_register_admin_commands()


def main() -> None:
    """Entry point: run the CLI, turning every expected error into a one-line message."""
    collector.keep_loads()  # a run keeps what it loads until it exits (a server settles its own: portal.web.state)
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except ContentError as exc:
        from portal.content.problemtext import problem_line

        said = messages()
        errors = [p for p in exc.problems if p.is_error]
        for p in errors:
            click.echo(problem_line(p, said.lang), err=True)
        click.echo(said.gettext("Error: %(errors)s error(s) in the content; run `portal check` to see them",
                                errors=len(errors)), err=True)
        sys.exit(1)
    except PortalError as exc:
        click.echo(messages().gettext("Error: %(message)s", message=exc), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("PORTAL_DEBUG"):
            raise
        click.echo(f"Error: unexpected {type(exc).__name__}: {exc} (run with PORTAL_DEBUG=1 for details)",
                   err=True)
        sys.exit(70)
