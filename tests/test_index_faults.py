"""Issue 27, finding 5: a missing or damaged index generation while serving.

A worker keeps serving the last good generation it has open when a newer one is missing or damaged (and says so in
the log once), answers 503 in the one error shape (a readable page on HTML routes) only when it has none, never
builds an index inside a request, and a damaged or truncated file in a generation cannot kill it: generations are
read into memory after their checksums are checked, never memory-mapped.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from portal import create_app
from portal.build import stages
from portal.search.index import IndexHandle, current_generation
from portal.search.searcher import Searcher
from tests.conftest import TODAY, wait_until_serving
from tests.test_auth import add_users, login


def make_app(corpus_dir: Path, tmp_path: Path):
    app = create_app({"TESTING": True, "ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index",
                      "TODAY": TODAY.isoformat(), "SECRET_KEY": "test-secret", "DATA_DIR": tmp_path / "data"})
    add_users(app)
    return app


def hits(client, query: str) -> list[str]:
    r = client.get("/api/v1/search", query_string={"q": query, "lang": "sv", "mode": "lexical"})
    assert r.status_code == 200, r.get_data(as_text=True)
    return [h["id"] for h in r.get_json()["hits"]]


def point_current_at(index_dir: Path, name: str) -> None:
    tmp = index_dir / ".current-test"
    os.symlink(name, tmp)
    os.replace(tmp, index_dir / "current")


@pytest.fixture
def serving(corpus_dir: Path, tmp_path: Path):
    """The app over a built index, with one search answered (its generation is open)."""
    stages.index_content(corpus_dir, tmp_path / "index")
    client = make_app(corpus_dir, tmp_path).test_client()
    assert hits(client, "bygglov")[0] == "bygglov"
    return client


def warnings_about(caplog, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and text in r.getMessage()]


def test_current_pointing_to_a_missing_generation_keeps_the_open_one(serving, tmp_path, caplog):
    caplog.set_level(logging.WARNING, "portal")
    point_current_at(tmp_path / "index", "gen-20990101T000000-1-1")
    assert hits(serving, "bygglov")[0] == "bygglov"
    assert hits(serving, "bibliotekskort")[0] == "bibliotekskort"
    assert serving.get("/api/v1/articles/bygglov").status_code == 200
    assert len(warnings_about(caplog, "gen-20990101T000000-1-1")) == 1  # said once, not on every request


def test_a_truncated_segment_in_a_new_generation_is_refused_and_the_old_one_kept(serving, corpus_dir, tmp_path,
                                                                                   caplog):
    caplog.set_level(logging.WARNING, "portal")
    source = corpus_dir / "bibliotekskort" / "sv.md"
    source.write_text(source.read_text("utf-8") + "\nOrdet trumfnabb finns här.\n", "utf-8")
    old = current_generation(tmp_path / "index")
    stages.index_content(corpus_dir, tmp_path / "index", full=True)  # its own segment files, no hard links
    new = current_generation(tmp_path / "index")
    assert new != old
    segment = next(new.glob("*.seg"))
    with segment.open("r+b") as f:
        f.truncate(segment.stat().st_size // 3)
    assert hits(serving, "trumfnabb") == []
    assert hits(serving, "bygglov")[0] == "bygglov"  # the open generation answers
    assert "trumfnabb" not in serving.get("/api/v1/articles/bibliotekskort").get_json()["html"]
    said = warnings_about(caplog, new.name)
    assert len(said) == 1 and segment.name in said[0], said


def test_one_changed_byte_is_found_by_the_checksums(corpus_dir, tmp_path):
    stages.index_content(corpus_dir, tmp_path / "index")
    gen = current_generation(tmp_path / "index")
    segment = next(gen.glob("*.seg"))
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0x01
    segment.write_bytes(bytes(data))
    from portal.exceptions import IndexCorruptError

    with pytest.raises(IndexCorruptError, match=segment.name):
        IndexHandle(tmp_path / "index")


def test_no_generation_at_all_is_a_503_and_builds_nothing(corpus_dir, tmp_path, monkeypatch):
    from portal.search.index import writer

    def no_build(*_args, **_kwargs):
        raise AssertionError("an index was built inside a request")

    monkeypatch.setattr(writer, "build_index", no_build)
    monkeypatch.setattr(writer, "update_index", no_build)
    monkeypatch.setattr(stages, "build_index", no_build)
    from portal.web import state

    monkeypatch.setattr(state, "build_index", no_build, raising=False)
    app = make_app(corpus_dir, tmp_path)
    client = app.test_client()
    started = time.perf_counter()
    r = client.get("/api/v1/search", query_string={"q": "bygglov"})
    assert r.status_code == 503, r.get_data(as_text=True)
    error = r.get_json()["error"]
    assert error["status"] == 503 and error["code"] == "unavailable" and "index" in error["message"]
    assert r.headers["Retry-After"]
    page = client.get("/sv/search/", query_string={"q": "bygglov"})
    assert page.status_code == 503 and "<html" in page.get_data(as_text=True)
    assert "Kontaktcenter" in page.get_data(as_text=True) or "kontakt" in page.get_data(as_text=True).lower()
    assert login(client).status_code == 302
    agent = client.get("/agent/", query_string={"q": "bygglov"})
    assert agent.status_code == 503 and "Sökningen" in agent.get_data(as_text=True)
    assert client.get("/agent/search.json", query_string={"q": "bygglov"}).status_code == 503
    assert time.perf_counter() - started < 5
    assert not (tmp_path / "index" / "current").exists()
    # What needs no index still works: the article pages and the API's articles (there is no search to disagree).
    assert client.get("/api/v1/articles/bygglov").status_code == 200
    assert client.get("/sv/bygglov/").status_code == 200


def test_a_damaged_generation_at_start_is_a_503_until_portal_index_builds_a_good_one(corpus_dir, tmp_path, caplog):
    caplog.set_level(logging.WARNING, "portal")
    stages.index_content(corpus_dir, tmp_path / "index")
    gen = current_generation(tmp_path / "index")
    (gen / "vocab.json").write_text("{broken", "utf-8")
    client = make_app(corpus_dir, tmp_path).test_client()
    r = client.get("/api/v1/search", query_string={"q": "bygglov"})
    assert r.status_code == 503 and r.get_json()["error"]["code"] == "unavailable"
    assert str(tmp_path) not in r.get_data(as_text=True)  # the reason is logged, not told to the caller
    assert len(warnings_about(caplog, "vocab.json")) == 1
    assert current_generation(tmp_path / "index") == gen  # nothing was rebuilt by the request
    run = stages.index_content(corpus_dir, tmp_path / "index")
    assert run.mode == "full"  # portal index never builds on top of a damaged generation
    assert hits(client, "bygglov")[0] == "bygglov"


def test_a_damaged_vectors_file_leaves_the_search_lexical(corpus_dir, tmp_path, caplog):
    caplog.set_level(logging.WARNING, "portal")
    stages.index_content(corpus_dir, tmp_path / "index")
    gen = current_generation(tmp_path / "index")
    vectors = gen / "vectors.npy"
    data = bytearray(vectors.read_bytes())
    data[-3] ^= 0x10
    vectors.write_bytes(bytes(data))
    result = Searcher(IndexHandle(tmp_path / "index")).search("hur bygger jag ett hus", "sv")
    assert result.mode == "lexical" and result.hits
    assert warnings_about(caplog, "vectors.npy")


def test_an_open_generation_is_not_memory_mapped(corpus_dir, tmp_path):
    stages.index_content(corpus_dir, tmp_path / "index")
    searcher = Searcher(IndexHandle(tmp_path / "index"))
    assert searcher.search("hur bygger jag ett hus", "sv").mode == "hybrid"
    assert searcher.search("bygglov", "sv", mode="lexical").hits
    folder = str((tmp_path / "index").resolve())
    maps = Path("/proc/self/maps").read_text()
    assert folder not in maps, [line for line in maps.splitlines() if folder in line]


# --- a real server: truncating the files of the generation it has open ---------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.parametrize("server_kind", ["portal serve", "gunicorn"])
def test_truncating_the_open_generation_kills_no_worker(corpus_dir, tmp_path, server_kind):
    index_dir = tmp_path / "index"
    stages.index_content(corpus_dir, index_dir)
    port = free_port()
    env = {**os.environ, "PORTAL_DATA_DIR": str(tmp_path / "data"), "PORTAL_SECRET_KEY": "test-secret",
           "PORTAL_ARTICLES_DIR": str(corpus_dir), "PORTAL_INDEX_DIR": str(index_dir)}
    bin_dir = Path(sys.executable).parent
    if server_kind == "gunicorn":
        if shutil.which("gunicorn", path=str(bin_dir)) is None:
            pytest.skip("gunicorn is not installed")
        command = [str(bin_dir / "gunicorn"), "-w", "2", "-k", "gthread", "--threads", "2", "-b",
                   f"127.0.0.1:{port}", "portal.web.app:create_app()"]
    else:
        command = [str(bin_dir / "portal"), "serve", "--articles", str(corpus_dir), "--index", str(index_dir),
                   "--port", str(port)]
    server = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/api/v1/search?q=bygglov", server, server_kind)
        queries = ["bygglov", "hur bygger jag ett hus", "bibliotekskort", "förskoleplats", "ritning", "låna böcker"]
        for q in queries:  # every worker gets its generation open
            for _ in range(3):
                assert get(port, "/api/v1/search?q=" + urllib.request.quote(q))[0] == 200
        gen = current_generation(index_dir)
        for name in [p.name for p in gen.glob("*.seg")] + ["vectors.npy", "vocab.json"]:
            with (gen / name).open("r+b") as f:
                f.truncate(64)
        answers = [get(port, "/api/v1/search?q=" + urllib.request.quote(q + extra))
                   for q in queries for extra in ("", " hus", " kort", " ansöka")]
        answers += [get(port, "/api/v1/articles/bygglov"), get(port, "/sv/bygglov/")]
        assert server.poll() is None, "the server died"
        assert [status for status, _ in answers] == [200] * len(answers), answers
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0]
    assert "SIGBUS" not in log, log
    if server_kind == "gunicorn":  # gunicorn's master boots a new worker for one that died: none was needed
        assert log.count("Booting worker") == 2, log
