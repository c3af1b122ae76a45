"""Git-derived facts: last-updated dates per file and the outdated-translation rule."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

from portal.site import pipeline
from tests.conftest import CORPUS


def git(folder: Path, *args: str, date: str | None = None) -> str:
    env = {"GIT_AUTHOR_NAME": "Redaktör", "GIT_AUTHOR_EMAIL": "r@example.se", "GIT_COMMITTER_NAME": "Redaktör",
           "GIT_COMMITTER_EMAIL": "r@example.se", "HOME": str(folder), "PATH": "/usr/bin:/bin"}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{date}T12:00:00+01:00"
    done = subprocess.run(["git", "-C", str(folder), *args], check=True, env=env, capture_output=True, text=True)
    return done.stdout.strip()


def repo(tmp_path: Path) -> Path:
    root = tmp_path / "articles"
    shutil.copytree(CORPUS, root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first", date="2026-01-10")
    return root


def edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text("utf-8").replace(old, new), "utf-8")


def test_last_updated_comes_from_git(tmp_path: Path) -> None:
    root = repo(tmp_path)
    edit(root / "bygglov" / "en.md", "extension", "annex")
    git(root, "commit", "-q", "-am", "en", date="2026-03-05")
    corpus, _ = pipeline.load(root)
    art = corpus.articles["bygglov"]
    assert art.source.updated == dt.date(2026, 1, 10)
    assert art.translations["en"].updated == dt.date(2026, 3, 5)
    assert art.translations["en"].revision == git(root, "rev-parse", "HEAD")


def test_translation_outdated_when_source_changes_later(tmp_path: Path) -> None:
    root = repo(tmp_path)
    corpus, problems = pipeline.load(root)
    assert not corpus.articles["bygglov"].translations["en"].outdated
    edit(root / "bygglov" / "sv.md", "bygga till", "bygga ut")
    git(root, "commit", "-q", "-am", "source changed", date="2026-02-01")
    corpus, problems = pipeline.load(root)
    assert corpus.articles["bygglov"].translations["en"].outdated
    assert corpus.articles["bygglov"].translations["ar"].outdated
    assert any("bygglov/en.md" in p.path and "outdated" in p.message and not p.is_error for p in problems)
    # Translating again (a later commit of the translation) makes it current.
    edit(root / "bygglov" / "en.md", "extension", "an extension")
    git(root, "commit", "-q", "-am", "en updated", date="2026-02-02")
    corpus, _ = pipeline.load(root)
    assert not corpus.articles["bygglov"].translations["en"].outdated
    assert corpus.articles["bygglov"].translations["ar"].outdated


def test_source_revision_decides_when_present(tmp_path: Path) -> None:
    root = repo(tmp_path)
    first = git(root, "rev-parse", "HEAD")
    edit(root / "bygglov" / "sv.md", "bygga till", "bygga ut")
    git(root, "commit", "-q", "-am", "source changed", date="2026-02-01")
    second = git(root, "rev-parse", "HEAD")
    # The translation is committed later, but records that it was translated from the first commit.
    edit(root / "bygglov" / "en.md", "keywords: [planning permission]",
         f"keywords: [planning permission]\nsource_revision: {first}")
    git(root, "commit", "-q", "-am", "en touched", date="2026-02-03")
    corpus, _ = pipeline.load(root)
    assert corpus.articles["bygglov"].translations["en"].outdated
    edit(root / "bygglov" / "en.md", first, second)
    git(root, "commit", "-q", "-am", "en translated from second", date="2026-02-04")
    corpus, _ = pipeline.load(root)
    assert not corpus.articles["bygglov"].translations["en"].outdated


def test_unknown_source_revision_falls_back_with_a_warning(tmp_path: Path) -> None:
    root = repo(tmp_path)
    edit(root / "bygglov" / "en.md", "keywords: [planning permission]",
         "keywords: [planning permission]\nsource_revision: 0123456789abcdef0123456789abcdef01234567")
    git(root, "commit", "-q", "-am", "en", date="2026-02-03")
    corpus, problems = pipeline.load(root)
    assert not corpus.articles["bygglov"].translations["en"].outdated
    assert any("not in the git history" in p.message for p in problems)


def test_shallow_clone(tmp_path: Path) -> None:
    root = repo(tmp_path)
    edit(root / "bygglov" / "sv.md", "bygga till", "bygga ut")
    git(root, "commit", "-q", "-am", "source changed", date="2026-02-01")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{root}", str(clone)], check=True,
                   capture_output=True)
    corpus, problems = pipeline.load(clone)
    assert not [p for p in problems if p.is_error]
    assert corpus.articles["bygglov"].source.updated == dt.date(2026, 2, 1)


def test_outside_git_falls_back_to_file_dates(tmp_path: Path) -> None:
    root = tmp_path / "articles"
    shutil.copytree(CORPUS, root)
    corpus, problems = pipeline.load(root)
    assert not [p for p in problems if p.is_error]
    art = corpus.articles["bygglov"]
    assert art.source.updated == dt.date.fromtimestamp((root / "bygglov" / "sv.md").stat().st_mtime)
    assert art.source.revision is None and not art.translations["en"].outdated


def test_cached_lazy_loads_follow_each_commit_like_cold_loads(tmp_path: Path) -> None:
    """The content cache keeps each article's git facts for the commit they were read at: after every
    commit (and an edit not yet committed) a lazy load from the cache dates and flags like a cold load."""
    root = repo(tmp_path)
    cache = tmp_path / "index" / "content-cache"
    first = git(root, "rev-parse", "HEAD")

    def same_as_cold() -> pipeline.Loaded:
        lazy = pipeline.load_content(root, cache_dir=cache, lazy=True)
        reference = pipeline.load_content(root)
        assert pipeline.content_state(lazy, dt.date.today()) == pipeline.content_state(reference, dt.date.today())
        assert lazy.problems == reference.problems
        assert lazy.corpus == reference.corpus
        return lazy

    same_as_cold()
    edit(root / "bygglov" / "sv.md", "bygga till", "bygga ut")
    git(root, "commit", "-q", "-am", "source changed", date="2026-02-01")
    assert same_as_cold().corpus.articles["bygglov"].translations["en"].outdated
    edit(root / "bygglov" / "en.md", "keywords: [planning permission]",
         f"keywords: [planning permission]\nsource_revision: {first}")
    assert same_as_cold().stats.read == ["bygglov"]  # not committed: the file's own date
    git(root, "commit", "-q", "-am", "en records its source", date="2026-02-03")
    loaded = same_as_cold()
    assert loaded.stats.read == [] and loaded.corpus.articles["bygglov"].translations["en"].outdated
    edit(root / "bygglov" / "en.md", first, "0123456789abcdef0123456789abcdef01234567")
    git(root, "commit", "-q", "-am", "unknown source revision", date="2026-02-04")
    assert any("not in the git history" in p.message for p in same_as_cold().problems)
    assert any("not in the git history" in p.message for p in same_as_cold().problems)  # from the cache
