"""Freeze the public site into a folder with Frozen-Flask, index it with Pagefind, swap it into place.

Everything is written into a temporary folder next to the output. Only when every page answered 200,
every local link in every page points at a file that was written, and the Pagefind index was built,
is the old site renamed away and the new one renamed into place. A failed build leaves the last
good site untouched.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app
from flask_frozen import Freezer, FrozenFlaskWarning, MissingURLGeneratorWarning

from portal.content import RESERVED_IDS
from portal.exceptions import BuildError
from portal.model import Corpus
from portal.security import static_headers_file
from portal.staticsearch import run_pagefind

Progress = Callable[[int, int], None]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and ((name == "href" and tag in ("a", "link")) or (name == "src" and tag in ("script", "img"))):
                self.urls.append(value)


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
})


def frozen_urls(c: Corpus, day: dt.date) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (endpoint, values) of the public site, for Frozen-Flask (in a request context)."""
    yield "public.root", {}
    for endpoint in ("public.not_found_page", "public.sitemap", "public.robots"):
        yield endpoint, {}
    for filename in static_files():
        yield "static", {"filename": filename}
    public = c.public_articles(day)
    for lang in c.site.language_codes:
        for endpoint in ("public.home", "public.a_z", "public.search", "public.accessibility"):
            yield endpoint, {"lang": lang}
        for key in c.site.categories:
            yield "public.category", {"lang": lang, "key": key}
        for a in public:
            yield "public.article", {"lang": lang, "article_id": a.id}
            for path in a.attachments:
                yield "public.attachment", {"lang": lang, "article_id": a.id,
                                            "filename": path.relative_to(a.folder).as_posix()}
        for old, target in sorted(c.redirects.items()):
            if old not in c.articles and c.articles.get(target) in public:
                yield "public.article", {"lang": lang, "article_id": old}


def broken_links(root: Path) -> list[str]:
    """Local links (``/…`` paths) in the HTML files below *root* that point at no file; as messages."""
    problems = []
    for page in sorted(root.rglob("*.html")):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for url in parser.urls:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            target = root / unquote(parts.path).lstrip("/")
            if parts.path.endswith("/"):
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"{page.relative_to(root)}: link to {url} leads nowhere")
    return problems


def swap_into_place(new: Path, out: Path) -> None:
    """Rename *new* to *out*; the previous *out* is renamed aside first and removed afterwards."""
    old = None
    if out.exists():
        if not out.is_dir():
            raise BuildError(f"{out} exists and is not a folder")
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, old / "site")
    try:
        os.replace(new, out)
    except OSError:
        if old is not None:
            os.replace(old / "site", out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def make_app(corpus: Corpus, index_dir: Path, today: dt.date, destination: Path):  # type: ignore[no-untyped-def]
    """The app configured for freezing *corpus* into *destination*."""
    from portal.app import create_app

    return create_app({
        "ARTICLES_DIR": corpus.root, "INDEX_DIR": index_dir, "TODAY": today.isoformat(), "FREEZING": True,
        "PUBLIC_CORPUS": corpus, "SERVER_NAME": None, "FREEZER_DESTINATION": str(destination),
        "FREEZER_IGNORE_404_NOT_FOUND": False, "FREEZER_REDIRECT_POLICY": "error",
        "FREEZER_REMOVE_EXTRA_FILES": False, "FREEZER_IGNORE_MIMETYPE_WARNINGS": False,
        "FREEZER_DEFAULT_MIMETYPE": "application/octet-stream",
    })


def freeze_site(corpus: Corpus, out: Path, index_dir: Path, *, today: dt.date | None = None,
                progress: Progress | None = None, say: Callable[[str], None] | None = None) -> dict:
    """Freeze the public site of *corpus* into *out* atomically; return a summary of what was built."""

    today = today or dt.date.today()
    say = say or (lambda _msg: None)
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    clash = sorted(RESERVED_IDS & set(corpus.articles))
    if clash:
        raise BuildError(f"article id(s) {', '.join(clash)} clash with page names of the public site")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        app = make_app(corpus, index_dir, today, tmp)
        freezer = Freezer(app, with_static_files=False, with_no_argument_rules=False, log_url_for=True)
        with app.test_request_context():
            urls = list(frozen_urls(corpus, today))
        # Strict like a missing URL generator: a public page the freezer would never visit is an error.
        unvisited = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("public.")
                     } - GENERATED_ENDPOINTS
        if unvisited:
            raise BuildError(f"no URL generator for {', '.join(sorted(unvisited))}; the static site would "
                             "miss those pages")
        freezer.register_generator(lambda: iter(urls))
        total = len(urls) + 2
        pages = 0
        with warnings.catch_warnings():
            warnings.simplefilter("error", FrozenFlaskWarning)
            # Only the public site is frozen; the agent app and the API are never part of it.
            warnings.simplefilter("ignore", MissingURLGeneratorWarning)
            try:
                for n, page in enumerate(freezer.freeze_yield(), 1):
                    pages += page.path.suffix == ".html"
                    if progress:
                        progress(min(n, total - 2), total)
            except (ValueError, FrozenFlaskWarning) as exc:
                raise BuildError(f"the public site could not be frozen: {exc}") from exc
        missing = broken_links(tmp)
        if missing:
            raise BuildError("broken links in the built site:\n  " + "\n  ".join(missing[:50]))
        if progress:
            progress(total - 1, total)
        (tmp / "_headers").write_text(static_headers_file(), "utf-8")
        say("Indexing the static site for search (Pagefind) …")
        run_pagefind(tmp)
        if progress:
            progress(total, total)
        swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    say(f"Published the static site in {out}")
    return {"pages": pages, "languages": len(corpus.site.languages), "articles": len(corpus.public_articles(today)),
            "out": str(out)}
