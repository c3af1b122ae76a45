"""`portal new` writes a draft that passes `portal check`, with comments in the content's language; the
outdated-translation warning names the commit for source_revision, and `portal translated` writes it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from portal.cli.main import cli
from portal.content.translated import with_revision
from tests.test_editor_language import NO_LOCALE

GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.se", "GIT_COMMITTER_NAME": "Test",
           "GIT_COMMITTER_EMAIL": "t@example.se", "PATH": "/usr/bin:/bin"}


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True,
                          env={**GIT_ENV, "HOME": str(folder)})
    return done.stdout.strip()


def portal(runner, *args: str):
    return runner.invoke(cli, list(args), env=NO_LOCALE)


@pytest.mark.parametrize(("lang", "comment"), [(None, "# Kategori (en av: bygga-bo, barn-skola, kultur)."),
                                               ("en", "# Category (one of: bygga-bo, barn-skola, kultur).")])
def test_new_then_check_passes(runner, corpus_dir: Path, lang: str | None, comment: str) -> None:
    extra = ["--lang", lang] if lang else []
    made = portal(runner, "new", "simskola", "--articles", str(corpus_dir), "--title", "Simskola: så anmäler du",
                  "--category", "kultur", "--owner", "anna.lind@testby.se", *extra)
    assert made.exit_code == 0, made.output
    text = (corpus_dir / "simskola" / "sv.md").read_text("utf-8")
    assert comment in text and "status: draft" in text and 'title: "Simskola: så anmäler du"' in text
    checked = portal(runner, "check", "--articles", str(corpus_dir), *extra)
    assert checked.exit_code == 0, checked.output
    assert "simskola" not in checked.stdout  # not even a warning
    # Opening the e-service lines as the comment says gives a valid e-service.
    opened = text.replace("# self_service:", "self_service:").replace("#   ", "  ")
    (corpus_dir / "simskola" / "sv.md").write_text(opened, "utf-8")
    assert portal(runner, "check", "--articles", str(corpus_dir)).exit_code == 0


def test_new_refuses_in_swedish(runner, corpus_dir: Path) -> None:
    done = portal(runner, "new", "Simskola", "--articles", str(corpus_dir))
    assert "'Simskola' är inget giltigt id" in str(done.exception)


def test_outdated_warning_names_the_commit_and_translated_records_it(runner, corpus_dir: Path) -> None:
    source = corpus_dir / "bygglov" / "sv.md"
    source.write_text(source.read_text("utf-8").replace("Du behöver bygglov", "Du måste ha bygglov"), "utf-8")
    git(corpus_dir, "commit", "-qam", "ny formulering")
    commit = git(corpus_dir, "log", "-1", "--format=%H")
    warned = portal(runner, "check", "--articles", str(corpus_dir))
    line = next(x for x in warned.stdout.splitlines() if "bygglov/en.md" in x)
    assert f"sätt sedan source_revision: {commit}" in line and "portal translated bygglov en" in line
    before = (corpus_dir / "bygglov" / "en.md").read_bytes()
    done = portal(runner, "translated", "bygglov", "en", "--articles", str(corpus_dir))
    assert done.exit_code == 0, done.output
    assert f"source_revision är nu {commit}" in done.stdout
    after = (corpus_dir / "bygglov" / "en.md").read_bytes()
    assert after == before.replace(b"\n---\n", f"\nsource_revision: {commit}\n---\n".encode(), 1)
    assert "bygglov/en.md" not in portal(runner, "check", "--articles", str(corpus_dir)).stdout
    # Once more after the next change: the line is replaced, not added twice.
    source.write_text(source.read_text("utf-8") + "\nEn mening till.\n", "utf-8")
    git(corpus_dir, "commit", "-qam", "en mening till")
    assert portal(runner, "translated", "bygglov", "en", "--articles", str(corpus_dir)).exit_code == 0
    text = (corpus_dir / "bygglov" / "en.md").read_text("utf-8")
    assert text.count("source_revision:") == 1 and git(corpus_dir, "log", "-1", "--format=%H") in text


def test_translated_refuses_a_source_not_committed(runner, corpus_dir: Path) -> None:
    source = corpus_dir / "bygglov" / "sv.md"
    source.write_text(source.read_text("utf-8") + "\nÄndrat.\n", "utf-8")
    before = (corpus_dir / "bygglov" / "en.md").read_bytes()
    done = portal(runner, "translated", "bygglov", "en", "--articles", str(corpus_dir))
    assert done.exit_code != 0 and "checka in källtexten först" in str(done.exception)
    assert (corpus_dir / "bygglov" / "en.md").read_bytes() == before
    done = portal(runner, "translated", "bygglov", "fi", "--articles", str(corpus_dir))
    assert "finns inte" in str(done.exception)


def test_with_revision_keeps_every_other_byte() -> None:
    crlf = b"\xef\xbb\xbf---\r\ntitle: A\r\nsummary: B\r\n---\r\nText\r\n"
    assert with_revision(crlf, "abc1234") == (b"\xef\xbb\xbf---\r\ntitle: A\r\nsummary: B\r\n"
                                              b"source_revision: abc1234\r\n---\r\nText\r\n")
    kept = b"---\ntitle: A\nsource_revision: 1111111   # old\nsummary: B\n---\nsource_revision: not me\n"
    assert with_revision(kept, "2222222") == kept.replace(b"1111111   # old", b"2222222")
    assert with_revision(b"# no front matter\n", "abc1234") is None
    assert with_revision(b"---\ntitle: never closed\n", "abc1234") is None
