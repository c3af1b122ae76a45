"""Freeze the public site into a folder with Frozen-Flask, index it with Pagefind, swap it into place.

Everything is written into a temporary folder next to the output. Only when every page answered 200,
every local link in every page points at a file that was written, and the Pagefind index was built,
is the new site swapped into place. A failed build leaves the last good site untouched.

The pages are frozen by one Frozen-Flask Freezer per core, each over its share of the URLs
(portal.build.freezework). With ``incremental=True`` and a previous build of the same day, code and site
settings, only the pages that can show a changed article are rendered (portal.build.incremental), into the
spare tree patched to the new state (portal.build.spare) or, without a usable spare, into a new tree of hard
links to the previous build; those pages are published at once, and the Pagefind index, which cannot
be updated page by page, is rebuilt beside the site and exchanged in right after: until then the
previous search index stays in place. One build of an output folder runs at a time.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flask import current_app, url_for

from portal.build import collector
from portal.build import incremental as inc
from portal.build.cachedload import LazyArticles, Loaded
from portal.build.freezework import Frozen, default_workers, freeze_urls
from portal.build.linkcheck import broken_links, file_checker
from portal.build.pagecache import article_urls
from portal.build.published import PublicSite
from portal.build.spare import (
    discard,
    install_bundle,
    link_copy,
    locked,
    remove_strays,
    scratch,
    search_pending,
    spare_path,
    usable_record,
)
from portal.build.spare import exchange as _exchange
from portal.build.spare import patch as spare_patch
from portal.build.staticsearch import build_bundle, run_pagefind
from portal.content.folderfiles import publishable
from portal.content.load import RESERVED_IDS
from portal.content.model import Corpus
from portal.exceptions import BuildError
from portal.render.localize import letter_slug
from portal.web.security import static_headers_file

__all__ = ["GENERATED_ENDPOINTS", "broken_links", "freeze_site", "frozen_urls", "publish_search_index",
           "swap_into_place"]

Progress = Callable[[int, int], None]
Page = tuple[str, dict[str, Any], str]  # endpoint, values, site path


def static_files() -> Iterator[str]:
    """Paths (below the static folder) of the public site's CSS, JavaScript and images."""
    folder = Path(current_app.static_folder or "") / "public"
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != "preview.js":  # the live preview's script is never published
            yield path.relative_to(folder.parent).as_posix()


# Every public endpoint whose URLs frozen_urls() generates. A new public page must be added here and
# there, or the build fails (like a missing URL generator) instead of silently leaving it out.
GENERATED_ENDPOINTS = frozenset({
    "public.root", "public.not_found_page", "public.sitemap", "public.robots", "public.home", "public.a_z",
    "public.search", "public.accessibility", "public.category", "public.article", "public.attachment",
    "public.a_z_letter", "public.favicon", "public.easy_read", "public.easy_read_index",
})


def frozen_urls(c: Corpus, site: PublicSite, only: set[str] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (endpoint, values) of the public site of *c* (its public articles today: *site*), for
    Frozen-Flask (in a request context); with *only*, the pages of articles (and of old ids) not in *only*
    are left out."""
    yield "public.root", {}
    for endpoint in ("public.not_found_page", "public.sitemap", "public.robots", "public.favicon"):
        yield endpoint, {}
    for filename in static_files():
        yield "static", {"filename": filename}
    articles = [p for p in site if p.id in only] if only is not None else list(site)
    for lang in c.site.language_codes:
        for endpoint in ("public.home", "public.a_z", "public.search", "public.accessibility"):
            yield endpoint, {"lang": lang}
        for key in c.site.categories:
            yield "public.category", {"lang": lang, "key": key}
        for heading in sorted({p.letter(lang) for p in site}):
            yield "public.a_z_letter", {"lang": lang, "letter": letter_slug(heading)}
        if source := lang == c.site.source_language:  # the easy-read pages are in the source language
            yield "public.easy_read_index", {"lang": lang}
        for p in articles:
            yield "public.article", {"lang": lang, "article_id": p.id}
            if source and p.page.easy is not None:
                yield "public.easy_read", {"lang": lang, "article_id": p.id}
            for filename in p.page.attachments:
                yield "public.attachment", {"lang": lang, "article_id": p.id, "filename": filename}
        for old, target in sorted(c.redirects.items()):
            if old not in c.articles and target in site and (only is None or old in only):
                yield "public.article", {"lang": lang, "article_id": old}


def page_counts(c: Corpus, site: PublicSite) -> tuple[int, int]:
    """How many files and how many HTML pages :func:`frozen_urls` gives (counted without making them; in an
    app context)."""
    langs, letters = c.site.language_codes, 0
    redirects = sum(1 for old, target in c.redirects.items() if old not in c.articles and target in site)
    for lang in langs:
        letters += len({p.letter(lang) for p in site})
    attached = [f for p in site for f in p.page.attachments]
    static = list(static_files())
    per_lang = 4 + len(c.site.categories) + len(site) + redirects
    easy = 1 + sum(1 for p in site if p.page.easy is not None)  # the easy-read index and texts (source language)
    files = 5 + len(static) + letters + easy + len(langs) * (per_lang + len(attached))  # 5: root, 404, sitemap …
    html = 2 + sum(1 for f in static if f.endswith(".html")) + letters + easy + len(langs) * per_lang
    return files, html


def swap_into_place(new: Path, out: Path, remove_old: bool = True) -> Path | None:
    """Put *new* where *out* is, in one step where the system can; the previous *out* is removed afterwards.

    On Linux the two folders are exchanged atomically, so a visitor never finds *out* missing; elsewhere
    the previous *out* is renamed aside first. With *remove_old* false the folder now holding the
    previous site is returned for the caller to remove (removing 20,000 files takes seconds)."""
    old = None
    if out.exists():
        if not out.is_dir():
            raise BuildError(f"{out} exists and is not a folder")
        if _exchange(new, out):
            old = new
        else:
            old = scratch(out, "old")
            os.replace(out, old / "site")
            try:
                os.replace(new, out)
            except OSError:
                os.replace(old / "site", out)
                raise
    else:
        os.replace(new, out)
    if old is not None and remove_old:
        shutil.rmtree(old, ignore_errors=True)
        return None
    return old


def make_app(corpus: Corpus, site: PublicSite, index_dir: Path, today: dt.date,  # type: ignore[no-untyped-def]
             destination: Path):
    """The app configured for freezing *corpus* (its public articles: *site*) into *destination*."""
    from portal.web.app import create_app

    return create_app({
        "ARTICLES_DIR": corpus.root, "INDEX_DIR": index_dir, "TODAY": today.isoformat(), "FREEZING": True,
        "PUBLIC_CORPUS": corpus, "PUBLIC_SITE": site, "SERVER_NAME": None, "FREEZER_DESTINATION": str(destination),
        "FREEZER_IGNORE_404_NOT_FOUND": False, "FREEZER_REDIRECT_POLICY": "error",
        "FREEZER_REMOVE_EXTRA_FILES": False, "FREEZER_IGNORE_MIMETYPE_WARNINGS": False,
        "FREEZER_DEFAULT_MIMETYPE": "application/octet-stream",
    })


def _pages(app: Any, corpus: Corpus, site: PublicSite, only: set[str] | None = None) -> list[Page]:
    """Every page of the site (with *only*: see :func:`frozen_urls`) as (endpoint, values, path); BuildError
    for a public endpoint left out."""
    # Strict like a missing URL generator: a public page the freezer would never visit is an error.
    unvisited = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("public.")
                 } - GENERATED_ENDPOINTS
    if unvisited:
        raise BuildError(f"no URL generator for {', '.join(sorted(unvisited))}; the static site would "
                         "miss those pages")
    with app.test_request_context():
        article_url = article_urls()
        return [(endpoint, values, article_url(values["lang"], values["article_id"]) if endpoint == "public.article"
                 else url_for(endpoint, **values)) for endpoint, values in frozen_urls(corpus, site, only)]


def _freeze(app: Any, root: Path, paths: list[str], workers: int | None, progress: Progress | None,
            extra_files: set[str] | frozenset[str] = frozenset()) -> Frozen:
    """Freeze *paths* into *root* and check the links of every written page; BuildError on any failure."""
    total = len(paths) + 2
    done = [0]

    def step(n: int) -> None:
        done[0] += n
        if progress:
            progress(min(done[0], total - 2), total)

    frozen = freeze_urls(app, root, paths, workers or default_workers(len(paths)), step)
    missing = frozen.links.missing(file_checker(root, frozen.written | extra_files))
    if missing:
        raise BuildError("broken links in the built site:\n  " + "\n  ".join(missing[:50]))
    if progress:
        progress(total, total)
    headers = root / "_headers.tmp"  # a new file: the old one may be shared with another tree
    headers.unlink(missing_ok=True)
    headers.write_text(static_headers_file(
        app.config["PUBLIC_CORPUS"].site.connect_origins, app.config["PUBLIC_CORPUS"].site.api_origin), "utf-8")
    os.replace(headers, root / "_headers")
    return frozen


def publish_search_index(out: Path, say: Callable[[str], None] | None = None) -> float:
    """Rebuild the Pagefind index of the published site *out* and swap it in; return the seconds taken.

    Pagefind reads the published pages and writes a new bundle beside the site, which is exchanged with
    the site's ``pagefind/`` folder in one step: the previous search index is used until then. The spare
    tree (portal.build.spare) gets the same bundle files as hard links, so that the next incremental build can
    publish it with the search index in use."""
    t0 = time.perf_counter()
    if say:
        say("Indexing the static site for search (Pagefind) …")
    staging = scratch(out, "search")
    spare = spare_path(out)
    copy = None
    try:
        build_bundle(out, staging)
        copy = link_copy(staging, out) if spare.is_dir() else None
        old = install_bundle(staging, out)
    except OSError:  # no exchange on this system: a new tree with the new bundle, swapped in whole
        shutil.rmtree(staging, ignore_errors=True)
        if copy is not None:
            shutil.rmtree(copy, ignore_errors=True)
        discard(spare)
        _publish_search_index_whole(out)
        return time.perf_counter() - t0
    except BaseException:
        for folder in (staging, copy):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        raise
    if copy is not None:
        try:
            shutil.rmtree(install_bundle(copy, spare), ignore_errors=True)
        except OSError:
            discard(spare)  # a spare with another bundle is never patched; better none
            shutil.rmtree(copy, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    return time.perf_counter() - t0


def _publish_search_index_whole(out: Path) -> None:
    tmp = scratch(out, "search")
    try:
        inc.link_tree(out, tmp, lambda rel: not rel.startswith("pagefind/"))
        run_pagefind(tmp)
        swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def freeze_site(corpus: Corpus, out: Path, index_dir: Path, *, today: dt.date | None = None,
                progress: Progress | None = None, say: Callable[[str], None] | None = None,
                workers: int | None = None, incremental: bool = False,
                changed: set[str] | None = None, loaded: Loaded | None = None) -> dict:
    """Freeze the public site of *corpus* into *out* atomically; return a summary of what was built.

    *workers*: processes to freeze with (default: one per core for a large site). *incremental*: when
    *out* holds a build of the same day, code and site settings, re-render only what the changed
    articles can change (see portal.build.incremental); *changed* adds article ids the caller knows changed
    to those the build finds by itself. Otherwise, and when nothing can be reused, a full build.
    *loaded*: the load that gave *corpus*, whose page facts stand in for the articles wherever a build
    needs every article (portal.build.published): with a lazy corpus, an incremental build unpickles only the
    articles its pages show."""
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    day = today or dt.date.today()
    with locked(out), collector.untraced():
        remove_strays(out)
        site = (PublicSite.of_loaded(loaded, day) if loaded is not None and loaded.corpus is corpus
                else PublicSite.of_corpus(corpus, day))
        return _freeze_site(corpus, site, out, index_dir, day, progress, say or (lambda _msg: None),
                            workers, incremental, changed)


def _freeze_site(corpus: Corpus, site: PublicSite, out: Path, index_dir: Path, today: dt.date,
                 progress: Progress | None, say: Callable[[str], None], workers: int | None, incremental: bool,
                 changed: set[str] | None) -> dict:
    t_start = time.perf_counter()  # an incremental build's time counts from here: the records are part of it
    clash = sorted(RESERVED_IDS & set(corpus.articles))
    if clash:
        raise BuildError(f"article id(s) {', '.join(clash)} clash with page names of the public site")
    unsafe = [f"{p.id}/{f}" for p in site for f in p.page.attachments if publishable(f) is None]
    if unsafe:  # the loader never lists these: a bug or a stale record, never published
        raise BuildError(f"files that are never published are listed as attachments: {', '.join(unsafe)}")
    manifest = inc.make_manifest(corpus, site, today)
    previous = inc.read_manifest(out) if incremental else None
    todo = inc.changed_articles(previous, manifest) if previous is not None else None
    if incremental:
        why = inc.why_full(previous, manifest, out)
        if why:
            say(f"Full build: {why}.")
    if todo is not None and (out / "pagefind" / "pagefind.js").is_file():
        todo |= {i for i in changed or () if i in previous["articles"] or i in manifest["articles"]}  # type: ignore[index]
        return _freeze_incremental(corpus, site, out, index_dir, today, manifest, previous, todo,  # type: ignore[arg-type]
                                   workers, progress, say, t_start)
    if isinstance(corpus.articles, LazyArticles):  # every page is rendered: unpickled once, before the workers
        corpus.articles = corpus.articles.everything()
    t0 = time.perf_counter()
    tmp = scratch(out, "new")
    try:
        app = make_app(corpus, site, index_dir, today, tmp)
        paths = [path for _e, _v, path in _pages(app, corpus, site)]
        frozen = _freeze(app, tmp, paths, workers, progress)
        inc.write_manifest(tmp, manifest)
        t_freeze = time.perf_counter() - t0
        say("Indexing the static site for search (Pagefind) …")
        t1 = time.perf_counter()
        run_pagefind(tmp)
        t_pagefind = time.perf_counter() - t1
        swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    discard(spare_path(out))  # it shows an older state of other code, settings or days: never patched
    search_pending(out).unlink(missing_ok=True)  # this build's bundle is its pages' own
    say(f"Published the static site in {out}")
    return {"mode": "full", "pages": frozen.html_pages, "rendered": len(frozen.written),
            "languages": len(corpus.site.languages), "articles": len(site), "out": str(out),
            "freeze_s": round(t_freeze, 3), "pagefind_s": round(t_pagefind, 3)}


def _freeze_incremental(corpus: Corpus, site: PublicSite, out: Path, index_dir: Path, today: dt.date,
                        manifest: dict, previous: dict, todo: set[str], workers: int | None,
                        progress: Progress | None, say: Callable[[str], None], t0: float) -> dict:
    """Re-render the pages *todo* can change into the spare tree patched to the new state (or, without a
    usable spare, into a new tree of hard links to *out*), publish it, then rebuild the search index."""
    summary: dict[str, Any] = {"mode": "incremental", "changed": sorted(todo), "languages": len(corpus.site.languages),
                               "articles": len(site), "out": str(out)}
    if not todo:
        pagefind_s = 0.0
        if search_pending(out).exists():
            say("Nothing changed since the last build, but its search index was not finished: rebuilding it …")
            pagefind_s = publish_search_index(out, say)
            search_pending(out).unlink(missing_ok=True)
        else:
            say("Nothing changed since the last build.")
        return {**summary, "pages": sum(1 for _ in out.rglob("*.html")), "rendered": 0, "reused": 0,
                "published_s": 0.0, "pagefind_s": round(pagefind_s, 3), "steps_s": {}}
    t_records = time.perf_counter()
    spare = spare_path(out)
    record = usable_record(spare, out, manifest)
    if record is None:
        discard(spare)
        tree = scratch(out, "new")
    else:
        tree = spare
    try:
        app = make_app(corpus, site, index_dir, today, tree)
        languages = corpus.site.language_codes
        plan = inc.plan(previous, manifest, site, todo)
        # The spare may be several builds behind: what its record and this build's differ in, too.
        spare_plan = inc.plan(record, manifest, site, inc.changed_articles(record, manifest) or set()) \
            if record is not None else None
        pages = _pages(app, corpus, site, plan.articles | (spare_plan.articles if spare_plan else set()))
        cover = plan.cover(pages, languages)
        paths = [path for endpoint, values, path in pages if plan.wants(endpoint, values)]
        t_plan = time.perf_counter()
        if spare_plan is not None:
            taken = spare_patch(tree, out, cover, spare_plan.cover(pages, languages))
            method = "spare"
        else:
            # The previous search index comes along: it stays in use until the new one is ready.
            taken = len(inc.link_tree(out, tree, lambda rel: not cover.covers(rel)
                                      and rel not in (inc.MANIFEST, "_headers")))
            method = "link"
        t_link = time.perf_counter()
        say(f"Re-rendering {len(paths)} page(s) that can show {len(todo)} changed article(s) …")
        frozen = _freeze(app, tree, paths, workers, progress)
        inc.write_manifest(tree, manifest)  # last: a tree without a record is never patched
        t_render = time.perf_counter()
        search_pending(out).touch()  # until the new bundle is in: a killed build's next run rebuilds it
        old = swap_into_place(tree, out, remove_old=False)
    except BaseException:
        shutil.rmtree(tree, ignore_errors=True)
        raise
    t_swap = time.perf_counter()
    published = t_swap - t0
    say(f"Published {len(paths)} updated page(s) in {out} ({published:.1f} s); rebuilding the search index …")
    if old == tree:  # exchanged: the previous site is the next build's spare
        if tree != spare:
            os.replace(tree, spare)
    elif old is not None:
        shutil.rmtree(old, ignore_errors=True)
    pagefind_s = publish_search_index(out, say)
    search_pending(out).unlink(missing_ok=True)
    say(f"Published the new search index ({pagefind_s:.1f} s)")
    with app.app_context():
        files, html = page_counts(corpus, site)
    return {**summary, "pages": html, "rendered": len(frozen.written), "reused": files - len(paths),
            "method": method, "taken": taken, "published_s": round(published, 3), "pagefind_s": round(pagefind_s, 3),
            "steps_s": {"records": round(t_records - t0, 3), "plan": round(t_plan - t_records, 3),
                        method: round(t_link - t_plan, 3), "render_and_check": round(t_render - t_link, 3),
                        "swap": round(t_swap - t_render, 3)}}
