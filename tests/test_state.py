"""The app's shared state: dev-mode reloading of only what changed, and never building the index in a request
(tests/test_generation_views.py and tests/test_index_faults.py: the views following the generation, faults)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from portal import create_app
from portal.build import stages
from portal.search.index import current_generation
from tests.conftest import TODAY


def make_app(corpus_dir: Path, tmp_path: Path, reload: bool = True):
    if not (tmp_path / "index" / "current").exists():  # `portal serve` builds it at start-up; a request never does
        stages.index_content(corpus_dir, tmp_path / "index")
    return create_app({"TESTING": True, "ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index",
                       "TODAY": TODAY.isoformat(), "SECRET_KEY": "x", "DATA_DIR": tmp_path / "data",
                       "RELOAD_CONTENT": reload})


def touch_edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text("utf-8").replace(old, new), "utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))


def test_changed_article_reloads_alone(corpus_dir: Path, tmp_path: Path) -> None:
    app = make_app(corpus_dir, tmp_path)
    with app.app_context():
        state = app.extensions["portal"]
        corpus = state.corpus()
        other = corpus.articles["bygglov"]
        searcher = state.searcher()
        generation = state.generation
        touch_edit(corpus_dir / "bibliotekskort" / "sv.md", "Ta med legitimation.", "Ta med ett foto.")
        corpus = state.corpus()
        assert state.generation == generation + 1
        assert "foto" in corpus.articles["bibliotekskort"].source.text
        assert corpus.articles["bygglov"] is other  # untouched folders are not re-read
        assert [h.id for h in searcher.search("foto", "sv", today=TODAY).hits] == ["bibliotekskort"]


def test_problems_update_and_index_keeps_last_good(corpus_dir: Path, tmp_path: Path) -> None:
    app = make_app(corpus_dir, tmp_path)
    with app.app_context():
        state = app.extensions["portal"]
        state.searcher()
        gen = current_generation(tmp_path / "index")
        touch_edit(corpus_dir / "bibliotekskort" / "sv.md", "category: kultur", "category: fritid")
        problems = [str(p) for p in state.problems() if p.is_error]
        assert any("bibliotekskort/sv.md" in p and "fritid" in p for p in problems)
        assert current_generation(tmp_path / "index") == gen  # content with errors is not indexed
        touch_edit(corpus_dir / "bibliotekskort" / "sv.md", "category: fritid", "category: kultur")
        assert not [p for p in state.problems() if p.is_error]


def test_new_folder_and_site_change_reload_everything(corpus_dir: Path, tmp_path: Path) -> None:
    app = make_app(corpus_dir, tmp_path)
    with app.app_context():
        state = app.extensions["portal"]
        state.searcher()
        shutil.copytree(corpus_dir / "bibliotekskort", corpus_dir / "lanekort")
        touch_edit(corpus_dir / "lanekort" / "sv.md", "Skaffa bibliotekskort", "Förnya lånekort")
        assert "lanekort" in state.corpus().articles
        assert state.searcher().search("lånekort", "sv", today=TODAY).hits[0].id == "lanekort"


def test_damaged_index_is_not_rebuilt_by_the_app(corpus_dir: Path, tmp_path: Path, caplog) -> None:
    import pytest

    from portal.exceptions import IndexCorruptError

    app = make_app(corpus_dir, tmp_path, reload=False)
    index_dir = tmp_path / "index"
    with app.app_context():
        app.extensions["portal"].searcher()
    gen = current_generation(index_dir)
    (gen / "vocab.json").write_text("{broken", "utf-8")
    app = make_app(corpus_dir, tmp_path, reload=False)
    with app.app_context(), pytest.raises(IndexCorruptError, match=r"vocab\.json"):
        app.extensions["portal"].searcher()
    assert current_generation(index_dir) == gen and "damaged" in caplog.text
    assert stages.index_content(corpus_dir, index_dir).mode == "full"  # `portal index` builds a whole new one
    with app.app_context():
        hits = app.extensions["portal"].searcher().search("bygglov", "sv", today=TODAY).hits
    assert hits and hits[0].id == "bygglov"


def test_loaded_content_is_out_of_the_garbage_collectors_way(corpus_dir: Path, tmp_path: Path) -> None:
    import gc
    import weakref

    app = make_app(corpus_dir, tmp_path)
    with app.app_context():
        state = app.extensions["portal"]
        article = state.corpus().articles["bygglov"]
        tracked = {id(o) for o in gc.get_objects()}
        assert id(article) not in tracked and id(article.source) not in tracked  # frozen, not walked
        assert gc.get_freeze_count() > 0
        gone = weakref.ref(article)
        del article, tracked
        # A full reload releases what the last one froze: the corpus it replaced can be collected.
        touch_edit(corpus_dir / "site.yml", "name: Testby kommun", "name: Testbyns kommun")
        assert state.corpus().articles["bygglov"] is not None
        gc.collect()
        assert gone() is None


def test_one_request_looks_for_changed_files_once(corpus_dir: Path, tmp_path: Path, monkeypatch) -> None:
    from portal.web import state as state_module

    app = make_app(corpus_dir, tmp_path)
    with app.app_context():
        app.extensions["portal"].corpus()
    stamps = []
    real = state_module.content_stamp
    monkeypatch.setattr(state_module, "content_stamp", lambda root: stamps.append(root) or real(root))
    client = app.test_client()
    assert client.get("/api/v1/search?q=bygglov").status_code == 200  # the corpus, then the searcher
    assert len(stamps) == 1
    touch_edit(corpus_dir / "bibliotekskort" / "sv.md", "Ta med legitimation.", "Ta med ett foto.")
    hits = client.get("/api/v1/search?q=foto").get_json()["hits"]
    assert len(stamps) == 2 and hits[0]["id"] == "bibliotekskort"  # the next request sees the change
