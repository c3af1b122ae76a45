"""Issue 27, finding 4: the article views follow the index generation, so a running worker shows a new, changed or
removed article in its pages and its API at the moment its search does, without a restart; and a generation built
once (in CI) is shipped as one artifact, checked and swapped in on another machine.

The app runs in production mode (no ``RELOAD_CONTENT``): content is loaded once and only an index run changes what
it serves.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from portal import create_app
from portal.build import stages
from portal.search.index import current_generation
from tests.conftest import TODAY
from tests.test_auth import add_users, login

PORTAL = [sys.executable, "-c", "from portal.cli.main import main; main()"]


def portal(*args: str) -> subprocess.CompletedProcess:
    """Run the `portal` command; its result (exit code, stdout, stderr)."""
    return subprocess.run([*PORTAL, *args], capture_output=True, text=True, timeout=600, check=False)


def index(corpus_dir: Path, index_dir: Path) -> stages.IndexRun:
    """Bring the index up to date as `portal index` does."""
    return stages.index_content(corpus_dir, index_dir, lazy=True)


def serving(corpus_dir: Path, index_dir: Path, tmp_path: Path):
    """The app over *index_dir*, in production mode, with an agent logged in on the returned client."""
    app = create_app({"TESTING": True, "ARTICLES_DIR": corpus_dir, "INDEX_DIR": index_dir,
                      "TODAY": TODAY.isoformat(), "SECRET_KEY": "test-secret", "DATA_DIR": tmp_path / "data"})
    add_users(app)
    client = app.test_client()
    assert login(client).status_code == 302
    return app, client


def api_ids(client, query: str) -> list[str]:
    r = client.get("/api/v1/search", query_string={"q": query, "lang": "sv", "mode": "lexical"})
    assert r.status_code == 200, r.get_data(as_text=True)
    return [h["id"] for h in r.get_json()["hits"]]


def agent_ids(client, query: str) -> list[str]:
    r = client.get("/agent/search.json", query_string={"q": query, "prefix": "1"})  # lexical, as typed
    assert r.status_code == 200, r.get_data(as_text=True)
    return list(dict.fromkeys(re.findall(r'/agent/article/([a-z0-9-]+)', r.get_json()["html"])))


@pytest.fixture
def live(corpus_dir: Path, tmp_path: Path):
    """An index of the test corpus and the app serving it, warmed up by a search and an article view."""
    index(corpus_dir, tmp_path / "index")
    _app, client = serving(corpus_dir, tmp_path / "index", tmp_path)
    assert "bygglov" in api_ids(client, "bygglov")
    assert client.get("/api/v1/articles/bygglov").status_code == 200
    assert client.get("/sv/bibliotekskort/").status_code == 200
    return client


def new_article(corpus_dir: Path) -> None:
    folder = corpus_dir / "lanekort"
    folder.mkdir()
    (folder / "sv.md").write_text(
        "---\ntitle: Förnya lånekortet\nsummary: Ett lånekort gäller i tre år och förnyas i biblioteket.\n"
        "category: kultur\n---\nDu förnyar lånekortet i biblioteket. Ordet zorbaquint finns bara här.\n", "utf-8")


def test_a_new_article_is_searchable_and_opens_in_every_view_after_the_index_update(live, corpus_dir, tmp_path):
    client = live
    new_article(corpus_dir)
    assert client.get("/api/v1/articles/lanekort").status_code == 404  # not indexed yet: not shown yet either
    assert index(corpus_dir, tmp_path / "index").mode == "update"
    assert api_ids(client, "zorbaquint")[0] == "lanekort"
    assert agent_ids(client, "zorbaquint")[0] == "lanekort"
    r = client.get("/api/v1/articles/lanekort")
    assert r.status_code == 200 and "zorbaquint" in r.get_json()["html"]
    page = client.get("/agent/article/lanekort")
    assert page.status_code == 200 and "Förnya lånekortet" in page.get_data(as_text=True)
    public = client.get("/sv/lanekort/")
    assert public.status_code == 200 and "zorbaquint" in public.get_data(as_text=True)
    listed = client.get("/api/v1/articles").get_json()["articles"]
    assert "lanekort" in [a["id"] for a in listed]


def test_changed_text_shows_in_the_same_request_that_search_sees_the_new_generation(live, corpus_dir, tmp_path):
    client = live
    source = corpus_dir / "bibliotekskort" / "sv.md"
    source.write_text(source.read_text("utf-8").replace("Skaffa bibliotekskort", "Skaffa ett kvarnbibliotekskort")
                      .replace("Ta med legitimation.", "Ta med legitimation och ordet plinkovar."), "utf-8")
    page = client.get("/sv/bibliotekskort/").get_data(as_text=True)
    assert "plinkovar" not in page  # the running worker shows what its index holds
    index(corpus_dir, tmp_path / "index")
    # One request that uses both: the preview's search page lists the hits found in the index with the titles of
    # the articles the views hold.
    found = client.get("/sv/search/", query_string={"q": "plinkovar"}).get_data(as_text=True)
    assert "Skaffa ett kvarnbibliotekskort" in found
    assert "plinkovar" in client.get("/sv/bibliotekskort/").get_data(as_text=True)
    assert "plinkovar" in client.get("/api/v1/articles/bibliotekskort").get_json()["html"]
    assert "plinkovar" in client.get("/agent/article/bibliotekskort").get_data(as_text=True)


def test_a_removed_article_is_gone_from_search_and_every_view(live, corpus_dir, tmp_path):
    client = live
    shutil.rmtree(corpus_dir / "bibliotekskort")
    assert client.get("/sv/bibliotekskort/").status_code == 200  # still in the index the worker serves
    index(corpus_dir, tmp_path / "index")
    assert "bibliotekskort" not in api_ids(client, "bibliotekskort")
    assert "bibliotekskort" not in agent_ids(client, "bibliotekskort")
    assert client.get("/api/v1/articles/bibliotekskort").status_code == 404
    assert client.get("/sv/bibliotekskort/").status_code == 404
    assert client.get("/agent/article/bibliotekskort").status_code == 404
    assert "bibliotekskort" not in [a["id"] for a in client.get("/api/v1/articles").get_json()["articles"]]


def test_an_index_update_the_worker_cannot_open_changes_neither_search_nor_views(live, corpus_dir, tmp_path):
    client = live
    new_article(corpus_dir)
    index(corpus_dir, tmp_path / "index")
    (current_generation(tmp_path / "index") / "vocab.json").write_bytes(b"{damaged")
    assert api_ids(client, "zorbaquint") == []
    assert client.get("/api/v1/articles/lanekort").status_code == 404  # never a view newer than its search


# --- one artifact, built once, installed on each machine ------------------------------------------------------------

@pytest.fixture
def artifact(corpus_dir: Path, tmp_path: Path) -> Path:
    """The test corpus's index generation exported as `gen.tar`."""
    index(corpus_dir, tmp_path / "ci-index")
    done = portal("index", "export", "--index", str(tmp_path / "ci-index"), "--out", str(tmp_path / "gen.tar"))
    assert done.returncode == 0, done.stderr
    return tmp_path / "gen.tar"


def test_an_exported_generation_installs_on_another_machine_and_is_served(artifact, corpus_dir, tmp_path):
    machine = tmp_path / "machine-index"
    built = current_generation(tmp_path / "ci-index")
    with tarfile.open(artifact) as tar:
        names = tar.getnames()
    assert any(n.endswith("/manifest.json") for n in names) and any(n.endswith("/vectors.npy") for n in names)
    done = portal("index", "install", str(artifact), "--index", str(machine), "--articles", str(corpus_dir))
    assert done.returncode == 0, done.stderr
    installed = current_generation(machine)
    assert installed.name == built.name
    shipped = sorted(p.name for p in built.iterdir() if "LOCK" not in p.name)  # Whoosh's empty lock files stay
    assert sorted(p.name for p in installed.iterdir()) == shipped
    _app, client = serving(corpus_dir, machine, tmp_path)
    assert api_ids(client, "bygglov")[0] == "bygglov"
    assert client.get("/api/v1/articles/bygglov").status_code == 200
    r = client.get("/api/v1/search", query_string={"q": "hur bygger jag ett hus", "lang": "sv"})
    assert r.get_json()["mode"] == "hybrid"  # the vectors came along
    again = portal("index", "install", str(artifact), "--index", str(machine), "--articles", str(corpus_dir))
    assert again.returncode == 0 and current_generation(machine) == installed  # installing twice is harmless


def _flip_a_byte(artifact: Path, member_suffix: str) -> str:
    """Change one byte inside the data of the artifact's member ending in *member_suffix*; its name."""
    with tarfile.open(artifact) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(member_suffix))
        offset = member.offset_data + member.size // 2
    with artifact.open("r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x55]))
    return member.name


@pytest.mark.parametrize("suffix", [".seg", "vocab.json", "vectors.npy"])
def test_a_tampered_artifact_is_refused_with_a_clear_message(artifact, corpus_dir, tmp_path, suffix):
    machine = tmp_path / "machine-index"
    name = _flip_a_byte(artifact, suffix)
    done = portal("index", "install", str(artifact), "--index", str(machine), "--articles", str(corpus_dir))
    assert done.returncode == 1
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith("Error:") and Path(name).name in message and "checksum" in message, done.stderr
    assert not (machine / "current").exists()
    assert not machine.exists() or not list(machine.glob("gen-*"))  # nothing left behind


def test_an_artifact_is_refused_when_the_artifact_digest_given_differs(artifact, corpus_dir, tmp_path):
    done = portal("index", "install", str(artifact), "--index", str(tmp_path / "m"), "--articles", str(corpus_dir),
                  "--sha256", "0" * 64)
    assert done.returncode == 1 and "sha256" in done.stderr and not (tmp_path / "m" / "current").exists()


def test_an_artifact_of_other_content_is_refused_naming_what_differs(artifact, corpus_dir, tmp_path):
    machine = tmp_path / "machine-index"
    index(corpus_dir, machine)
    before = current_generation(machine)
    source = corpus_dir / "bygglov" / "sv.md"
    source.write_text(source.read_text("utf-8") + "\nEn rad till.\n", "utf-8")
    done = portal("index", "install", str(artifact), "--index", str(machine), "--articles", str(corpus_dir))
    assert done.returncode == 1
    assert "bygglov" in done.stderr and "content" in done.stderr, done.stderr
    assert current_generation(machine) == before  # the machine keeps serving what it had


def test_no_generation_file_is_changed_in_place_by_later_runs(corpus_dir, tmp_path):
    index(corpus_dir, tmp_path / "index")
    first = current_generation(tmp_path / "index")

    def snapshot(gen: Path) -> dict[str, tuple[int, int, bytes]]:
        return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes()) for p in gen.iterdir()}

    before = snapshot(first)
    new_article(corpus_dir)
    index(corpus_dir, tmp_path / "index")
    stages.index_content(corpus_dir, tmp_path / "index", full=True)
    assert snapshot(first) == before
    for gen in (tmp_path / "index").glob("gen-*"):
        assert os.access(gen / "manifest.json", os.R_OK)
