"""The `portal` command line: exit codes, messages, JSON output; never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from portal.cli.main import cli

PORTAL = [sys.executable, "-c", "from portal.cli.main import main; main()"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*PORTAL, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_check_clean_corpus(runner, corpus_dir: Path) -> None:
    result = runner.invoke(cli, ["check", "--articles", str(corpus_dir), "--lang", "en"])
    assert result.exit_code == 0
    assert "0 error(s)" in result.output


def test_check_reports_path_line_message_and_exit_1(tmp_path: Path, corpus_dir: Path) -> None:
    (corpus_dir / "bygglov" / "sv.md").write_text(
        (corpus_dir / "bygglov" / "sv.md").read_text("utf-8").replace("category: bygga-bo", "category: fritid"))
    done = run("check", "--articles", "articles", "--lang", "en", cwd=corpus_dir.parent)
    assert done.returncode == 1
    assert "articles/bygglov/sv.md:4: category 'fritid' is not known" in done.stdout
    assert "Known: bygga-bo, barn-skola, kultur" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_check_json(runner, corpus_dir: Path) -> None:
    result = runner.invoke(cli, ["check", "--articles", str(corpus_dir), "--json"])
    problems = json.loads(result.stdout)
    assert problems and problems[0]["severity"] == "warning" and problems[0]["line"] == 13


def test_missing_folder_is_exit_2_one_line(tmp_path: Path) -> None:
    for command in (["check"], ["index"], ["build"], ["search", "x"]):
        done = run(*command, "--articles", "nope", cwd=tmp_path)
        assert done.returncode == 2, (command, done.stderr)
        assert "does not exist" in done.stderr and "Traceback" not in done.stderr


def test_bad_option_is_exit_2(tmp_path: Path) -> None:
    done = run("search", "x", "--limit", "zero", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    done = run("check", "--frobnicate", cwd=tmp_path)
    assert done.returncode == 2 and "No such option" in done.stderr


def test_index_and_search_json(tmp_path: Path, corpus_dir: Path) -> None:
    done = run("index", "--articles", "articles", "--index", "idx", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "idx" / "current").is_symlink()
    # The lexical index first, then the vectors, with their own progress and what was embedded.
    assert done.stderr.index("Built the index of") < done.stderr.index("Embedding the articles for semantic search")
    assert "Semantic vectors:" in done.stderr and "passage(s)" in done.stderr
    again = run("index", "--articles", "articles", "--index", "idx", cwd=tmp_path)
    assert "0 embedded now" in again.stderr, again.stderr
    done = run("search", "bygglovsansökan", "--articles", "articles", "--index", "idx", "--json", cwd=tmp_path)
    hits = json.loads(done.stdout)
    assert hits[0]["id"] == "bygglov"
    asked = json.loads(run("search", "hur ansöker jag om bygglov", "--index", "idx", "--json", cwd=tmp_path).stdout)
    assert asked[0]["id"] == "bygglov" and asked[0]["confident"] is True
    for key in ("id", "lang", "title", "summary", "score", "audience", "url", "self_service_url", "confident"):
        assert key in hits[0]
    assert hits[0]["url"] == "/sv/bygglov/" and hits[0]["self_service_url"] == "https://e.testby.se/bygglov"
    done = run("search", "building permit", "--lang", "en", "--index", "idx", "--json", cwd=tmp_path)
    assert json.loads(done.stdout)[0]["lang"] == "en"
    done = run("search", "överlämning", "--index", "idx", "--json", "--internal", cwd=tmp_path)
    internal = [h for h in json.loads(done.stdout) if h["id"] == "hemlig-rutin"]
    assert internal and internal[0]["url"] is None and internal[0]["audience"] == "internal"
    done = run("search", "överlämning", "--index", "idx", "--json", cwd=tmp_path)
    assert "hemlig-rutin" not in done.stdout


def test_search_builds_a_missing_index(tmp_path: Path, corpus_dir: Path) -> None:
    done = run("search", "bygglov", "--articles", "articles", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Building it now" in done.stderr
    assert (tmp_path / ".portal" / "index" / "current").exists()


def test_search_unknown_language(tmp_path: Path, corpus_dir: Path) -> None:
    run("index", "--articles", "articles", cwd=tmp_path)
    done = run("search", "x", "--lang", "de", cwd=tmp_path)
    assert done.returncode == 2 and "unknown language 'de'" in done.stderr


def test_index_refuses_content_with_errors(tmp_path: Path, corpus_dir: Path) -> None:
    (corpus_dir / "bygglov" / "sv.md").write_bytes(b"---\ntitle: \xff\n---\n")
    done = run("index", "--articles", "articles", cwd=tmp_path)
    assert done.returncode == 1
    assert "articles/bygglov/sv.md:2: the file is not valid UTF-8" in done.stderr
    assert "Traceback" not in done.stderr


def test_build_does_not_create_users_and_serve_prints_the_first_login(tmp_path: Path, corpus_dir: Path) -> None:
    import re
    import time

    assert run("build", "--articles", "articles", "--out", "site", cwd=tmp_path).returncode == 0
    assert not (tmp_path / ".portal" / "data" / "users.json").exists()
    from tests.browser.conftest import free_port

    proc = subprocess.Popen([*PORTAL, "serve", "--articles", "articles", "--port", str(free_port())], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, out = time.monotonic() + 60, ""
        while time.monotonic() < deadline and "with password" not in out:
            line = proc.stderr.readline()
            out += line
            if not line and proc.poll() is not None:
                break
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    password = re.search(r"as 'admin' with password (\S+)", out)
    assert password, out
    assert (tmp_path / ".portal" / "data" / "users.json").exists()
