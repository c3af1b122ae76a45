"""Shared fixtures: the app from the factory over a copy of the tiny test corpus, in tmp_path."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal import create_app

CORPUS = Path(__file__).parent / "corpus"
# The suite builds hundreds of indexes of the same few articles: their passages are embedded once, kept by
# content hash in a cache every index (and every `portal` child process) shares. Not in tmp_path on purpose.
EMBEDDING_CACHE = Path(__file__).resolve().parent.parent / ".portal" / "test-embeddings"
os.environ.setdefault("PORTAL_EMBEDDING_CACHE", str(EMBEDDING_CACHE))
TODAY = dt.date(2026, 11, 23)
# Strings planted in every internal place of tests/corpus: none may ever reach a public byte.
MARKERS = (
    "MARKER-INTERNAL-NOTE-7f3a", "MARKER-INTERNAL-ATTACHMENT-3c9e", "MARKER-OWNER-2b7d", "MARKER-OWNER-9a1f",
    "MARKER-INTERNAL-ARTICLE-TITLE-1d8b", "MARKER-INTERNAL-ARTICLE-SUMMARY-6f2a",
    "MARKER-INTERNAL-ARTICLE-BODY-8e4c", "MARKER-DRAFT-TITLE-4a6b", "MARKER-DRAFT-SUMMARY-0c3d",
    "MARKER-DRAFT-BODY-2f9e", "MARKER-ANSWERGROUP-NAME-5e1c", "MARKER-EDITOR-5d2e",
    # the easy-read texts (lattlast.md) of the internal and the draft article
    "MARKER-INTERNAL-EASY-READ-5b2e", "MARKER-DRAFT-EASY-READ-9d4f",
)


def git_init(folder: Path) -> None:
    """Make *folder* a git repository with everything in it committed."""
    env = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.se", "GIT_COMMITTER_NAME": "Test",
           "GIT_COMMITTER_EMAIL": "t@example.se", "HOME": str(folder), "PATH": "/usr/bin:/bin"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "content"]):
        subprocess.run(["git", "-C", str(folder), *args], check=True, env=env, capture_output=True)


def build_test_site(tmp: Path) -> Path:
    """The test corpus, committed to git and built (checked, indexed, frozen) below *tmp*; the site."""
    from portal.site import pipeline

    articles = tmp / "articles"
    shutil.copytree(CORPUS, articles)
    git_init(articles)
    pipeline.build(articles, tmp / "site", tmp / "index", today=TODAY)
    return tmp / "site"


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A fresh copy of the tiny test corpus, committed to its own git repository."""
    target = tmp_path / "articles"
    shutil.copytree(CORPUS, target)
    git_init(target)
    return target


@pytest.fixture(scope="session")
def indexed_corpus(tmp_path_factory) -> Path:
    """An index of the test corpus (built once per session as `portal index` builds it: the app never builds one
    inside a request), to copy for each test."""
    from portal.build import stages

    tmp = tmp_path_factory.mktemp("indexed-corpus")
    shutil.copytree(CORPUS, tmp / "articles")
    git_init(tmp / "articles")
    stages.index_content(tmp / "articles", tmp / "index")
    return tmp / "index"


@pytest.fixture
def app(corpus_dir: Path, tmp_path: Path, indexed_corpus: Path):
    """The app over the test corpus, with its index (a copy of one built from the same articles) in tmp_path."""
    shutil.copytree(indexed_corpus, tmp_path / "index", symlinks=True)
    app = create_app({"TESTING": True, "ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index",
                      "TODAY": TODAY.isoformat(), "SECRET_KEY": "test-secret", "DATA_DIR": tmp_path / "data"})
    return app


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def runner():
    """A click runner for the `portal` command line."""
    return CliRunner()


@pytest.fixture(scope="module")
def postgres_url():
    """The DATABASE_URL of a real PostgreSQL server, one per test module."""
    from tests.pgserver import throwaway_postgres

    with throwaway_postgres() as (_folder, url):
        yield url


def wait_until_serving(url: str, server: subprocess.Popen, what: str, seconds: float = 120) -> None:
    """Wait until *url* answers 200; fail the test with the *server*'s output (its stdout, a text pipe) when it
    exits or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"{what} did not start:\n" + server.communicate()[0])
            time.sleep(0.3)
