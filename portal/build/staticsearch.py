"""The static site's search: Pagefind indexes the frozen pages, one index per language, in two bundles.

* ``pagefind/`` (the one every search loads): an article's title, keywords, synonyms and e-service name as
  text, its title, summary and e-service as metadata (Pagefind searches metadata too). Small enough that a
  first search stays under 200 KB at 10,000 articles in a language (bench/RESULTS.md, "Static search bytes").
* ``pagefind/full/``: the whole article text as well. The search page asks it for words only an article's
  body has, when the small bundle finds nothing, and for a long question (a chat message, a call retold:
  portal/static/public/searchplan.js, ``longPlan``), whose topic words are often in the body alone.

Beside them, ``pagefind/lexicon/`` (portal/build/staticlexicon.py): the words of each language's index, for the
search page's query rewriting (portal/static/public/searchplan.js), written while Pagefind runs.

The boilerplate every article repeats (the e-service box, "last updated", the translation notices) is kept
out of both with ``data-pagefind-ignore`` in ``templates/public/article.html``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from portal.build.staticlexicon import write_lexicons
from portal.exceptions import BuildError

FULL_SUBDIR = "pagefind/full"
# What the small bundle leaves out of the page text: the article body and its lead paragraph (the summary is
# searched as metadata). The title stays as text: a page with no text at all is left out of the index, which is
# what happens to an easy-read text's page (all of it excluded): it is in the full-text bundle only, asked when a
# query asks for easy-read Swedish or the small bundle finds nothing, so an ordinary search costs no more.
SMALL_EXCLUDE = ".article-body, .article-text .lead, .easy-read-text"
# Pagefind splits its word index into chunks of about this many word positions (default 20,000). A search
# loads the chunk(s) its words fall in; smaller chunks mean a smaller first download for the same words.
# Pagefind 1.5 reads it from this environment variable (named "unstable" by Pagefind: check it when
# upgrading; tests/test_staticsearch.py fails if it stops working).
CHUNK_ENV = "PAGEFIND_UNSTABLE_INDEX_CHUNK_SIZE"
CHUNK_SIZE = 3000


def _pagefind(site: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, CHUNK_ENV: str(CHUNK_SIZE)}
    return subprocess.Popen([sys.executable, "-m", "pagefind", "--site", str(site), "--silent", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def run_pagefind(site: Path) -> None:
    """Build both Pagefind bundles (one index per language, from ``<html lang>``) into ``site/pagefind``."""
    # A folder hard-linked from a published site must not be written through, and Pagefind does not empty
    # its output folder: start from no bundle at all.
    shutil.rmtree(site / "pagefind", ignore_errors=True)
    _run_both(site, ["--exclude-selectors", SMALL_EXCLUDE], ["--output-subdir", FULL_SUBDIR],
              lambda: write_lexicons(site, site / "pagefind"))
    if not (site / "pagefind" / "pagefind.js").is_file() or not (site / FULL_SUBDIR / "pagefind.js").is_file():
        raise BuildError("Pagefind could not index the site: it wrote no search bundle")


def build_bundle(site: Path, dest: Path) -> None:
    """Build both bundles of *site* into the empty folder *dest* (what ``site/pagefind`` would hold), reading
    *site* only: the bundle of a published site is rebuilt beside it and then exchanged in one step."""
    full = dest / FULL_SUBDIR.split("/", 1)[1]
    _run_both(site, ["--exclude-selectors", SMALL_EXCLUDE, "--output-path", str(dest)],
              ["--output-path", str(full)], lambda: write_lexicons(site, dest))
    if not (dest / "pagefind.js").is_file() or not (full / "pagefind.js").is_file():
        raise BuildError("Pagefind could not index the site: it wrote no search bundle")


def _run_both(site: Path, small: list[str], full: list[str], beside: Callable[[], object]) -> None:
    """The two Pagefind runs side by side (they write to different folders): on two cores the rebuild takes
    about as long as the full-text run alone. *beside* (the lexicons) runs in this process meanwhile."""
    runs = [_pagefind(site, *small), _pagefind(site, *full)]
    try:
        beside()
    except BaseException:
        for other in runs:
            other.kill()
            other.wait()
        raise
    errors = []
    for run in runs:
        try:
            out, err = run.communicate(timeout=900)
        except subprocess.TimeoutExpired:
            for other in runs:
                other.kill()
                other.wait()
            raise BuildError("Pagefind could not index the site: it took more than 15 minutes") from None
        if run.returncode != 0:
            errors.append((err or out).strip())
    if errors:
        raise BuildError(f"Pagefind could not index the site: {' '.join(errors)}")
