"""`portal index`: bring the search index up to date; `portal index export` and `portal index install`: ship one
generation, built once (in CI), to every serving machine (:mod:`portal.build.shipping`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from portal.build import shipping, vectorstage
from portal.cli.options import ARTICLES, INDEX, need_folder, progress_bar
from portal.content.changelog import keep_changelog
from portal.site import pipeline


@click.group("index", invoke_without_command=True)
@ARTICLES
@INDEX
@click.option("--full", is_flag=True, help="Rebuild the whole index, even when only some articles changed.")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Read every article folder again instead of reusing unchanged ones from the content cache.")
@click.pass_context
def index_group(ctx: click.Context, articles: Path, index_dir: Path, full: bool, no_cache: bool) -> None:
    """Bring the search index up to date: only the changed articles, or all of them when site.yml or
    synonyms.yml changed (atomically: a failed run leaves the old index in use; a running server shows the new
    content in its pages and its search at once).

    `portal index export` and `portal index install` ship one generation to other machines."""
    if ctx.invoked_subcommand is not None:
        return
    root = need_folder(articles)
    load_bar, close_load = progress_bar("Loading")
    update, close = progress_bar("Indexing")

    def index_progress(done: int, total: int) -> None:
        close_load()
        update(done, total)

    try:
        run = pipeline.index_content(root, index_dir.resolve(), progress=index_progress, full=full,
                                     cache=not no_cache, load_progress=load_bar, lazy=True, vectors=False)
    finally:
        close_load()
        close()
    report_index(run, index_dir)
    keep_changelog(root, pipeline.cache_dir_for(index_dir.resolve()))  # the agents' history pages
    # The lexical index is in use from here on; the semantic vectors follow into the same generation.
    add_vectors(run)


def add_vectors(run: pipeline.IndexRun) -> None:
    """Embed what changed for semantic search, with progress and the time left."""
    from portal.cli.progress import StepProgress

    shown = StepProgress(sys.stderr)
    shown.say("Embedding the articles for semantic search (the lexical search is already in use) …")
    try:
        done = run.add_vectors(shown.update)
    finally:
        shown.close()
    if done is None:
        click.echo("Semantic search is off (PORTAL_SEMANTIC_SEARCH=0, or its model is missing): "
                   "the search stays lexical.", err=True)
    else:
        click.echo(f"Semantic vectors: {done.passages} passage(s), {done.embedded} embedded now, the rest "
                   f"unchanged ({done.seconds:.1f} s).", err=True)


def report_index(run: pipeline.IndexRun, index_dir: Path) -> None:
    """What `portal index` did to the lexical index, in words."""
    stats = run.loaded.stats
    click.echo(f"Loaded {len(run.corpus.articles)} article(s): {len(stats.read)} folder(s) read, "
               f"{stats.cached} from the cache ({run.seconds['load']:.1f} s).", err=True)
    n = len(run.changed)
    if run.mode == "full":
        click.echo(f"Built the index of {len(run.corpus.articles)} article(s) into {index_dir} "
                   f"({run.seconds['index']:.1f} s).", err=True)
    elif run.mode == "update":
        click.echo(f"Updated {n} article{'' if n == 1 else 's'} in the index {index_dir} ({', '.join(run.changed[:5])}"
                   f"{' …' if n > 5 else ''}; {run.seconds['index']:.1f} s).", err=True)
    else:
        click.echo(f"The index {index_dir} is up to date ({len(run.corpus.articles)} article(s)).", err=True)


@index_group.command("export")
@INDEX
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The artifact to write: a tar file (gzip'd when the name ends in .gz or .tgz).")
def export_cmd(index_dir: Path, out: Path) -> None:
    """Write the current index generation, after checking it, into one artifact to install on other machines.

    Prints the artifact's SHA-256 (as sha256sum does) on stdout: publish it with the artifact and give it to
    `portal index install --sha256`."""
    done = shipping.export_index(index_dir.resolve(), out.resolve())
    extra = "with" if done.vectors else "WITHOUT (they were not made yet: each machine embeds them when installing)"
    click.echo(f"Exported the index generation {done.generation} ({done.files} files, {done.size / 1e6:.1f} MB, "
               f"{extra} semantic vectors; content commit {done.commit or 'unknown'}) to {out}.", err=True)
    click.echo(f"{done.sha256}  {out}")


@index_group.command("install")
@click.argument("artifact", type=click.Path(dir_okay=False, path_type=Path))
@ARTICLES
@INDEX
@click.option("--sha256", "sha256", default=None, metavar="HEX",
              help="The artifact's SHA-256 as `portal index export` printed it: anything else is refused.")
def install_cmd(artifact: Path, articles: Path, index_dir: Path, sha256: str | None) -> None:
    """Check an exported index generation and make it the current one (the running workers serve it on their next
    request). The content folder must hold the content it was built from (check out its commit first)."""
    root = need_folder(articles)
    # The agents' history pages of the checked-out commit, read before the workers are sent to the new generation.
    keep_changelog(root, pipeline.cache_dir_for(index_dir.resolve()))
    done = shipping.install_index(artifact, index_dir.resolve(), root, sha256)
    if done.already:
        click.echo(f"The index generation {done.generation} is already the current one in {index_dir}.", err=True)
    else:
        click.echo(f"Installed the index generation {done.generation} ({done.files} files, {done.size / 1e6:.1f} MB; "
                   f"content commit {done.commit or 'unknown'}) in {index_dir}: it is in use.", err=True)
    if not done.vectors:
        loaded = pipeline.load_content(root, cache_dir=pipeline.cache_dir_for(index_dir.resolve()), lazy=True)
        if loaded.corpus is not None:
            made = vectorstage.ensure_vectors(loaded.corpus, index_dir.resolve() / done.generation)
            if made is not None:
                click.echo(f"Semantic vectors: {made.passages} passage(s), {made.embedded} embedded here.", err=True)
