"""Incremental index updates: only the changed articles are re-indexed, atomically, and the vocabulary
(which feeds "did you mean") loses exactly what was removed."""

from __future__ import annotations

import json
from pathlib import Path

from portal.search.index import IndexHandle, current_generation, update_index
from portal.search.searcher import Searcher
from portal.site import pipeline
from tests.conftest import TODAY


def setup(corpus_dir: Path, tmp_path: Path) -> tuple[Path, Searcher]:
    index_dir = tmp_path / "index"
    pipeline.index(corpus_dir, index_dir, TODAY)
    return index_dir, Searcher(IndexHandle(index_dir))


def replace(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text("utf-8").replace(old, new), "utf-8")


def test_changed_article_is_reindexed(corpus_dir: Path, tmp_path: Path) -> None:
    index_dir, searcher = setup(corpus_dir, tmp_path)
    before = current_generation(index_dir)
    replace(corpus_dir / "bibliotekskort" / "sv.md", "Ta med legitimation.", "Ta med legitimation och ett foto.")
    corpus, _ = pipeline.load_valid(corpus_dir, TODAY)
    gen = update_index(corpus, index_dir, ["bibliotekskort"], TODAY)
    assert gen != before and current_generation(index_dir) == gen
    assert json.loads((gen / "meta.json").read_text())["incremental_updates"] == 1
    assert [h.id for h in searcher.search("foto", "sv", today=TODAY).hits] == ["bibliotekskort"]
    # Everything else is still there, once.
    assert [h.id for h in searcher.search("bygglov", "sv", today=TODAY).hits][:1] == ["bygglov"]
    all_ids = [h.id for h in searcher.search("ansöka bibliotekskort förskola bygglov", "sv", today=TODAY).hits]
    assert len(all_ids) == len(set(all_ids))


def test_removed_words_leave_the_public_vocabulary(corpus_dir: Path, tmp_path: Path) -> None:
    index_dir, searcher = setup(corpus_dir, tmp_path)
    replace(corpus_dir / "bibliotekskort" / "sv.md", "Ta med legitimation.", "Fråga Lindqvistsson i receptionen.")
    corpus, _ = pipeline.load_valid(corpus_dir, TODAY)
    update_index(corpus, index_dir, ["bibliotekskort"], TODAY)
    assert searcher.search("lindqvistson", "sv", today=TODAY).suggestion == "lindqvistsson"
    replace(corpus_dir / "bibliotekskort" / "sv.md", "Fråga Lindqvistsson i receptionen.", "Fråga i receptionen.")
    corpus, _ = pipeline.load_valid(corpus_dir, TODAY)
    update_index(corpus, index_dir, ["bibliotekskort"], TODAY)
    result = searcher.search("lindqvistson", "sv", today=TODAY)
    assert result.suggestion is None and result.hits == []


def test_article_turned_internal_leaves_public_search(corpus_dir: Path, tmp_path: Path) -> None:
    index_dir, searcher = setup(corpus_dir, tmp_path)
    replace(corpus_dir / "bibliotekskort" / "sv.md", "category: kultur", "category: kultur\naudience: internal")
    corpus, _ = pipeline.load_valid(corpus_dir, TODAY)
    update_index(corpus, index_dir, ["bibliotekskort"], TODAY)
    assert searcher.search("bibliotekskort", "sv", today=TODAY).hits == []
    assert searcher.search("bibliotekskortt", "sv", today=TODAY).suggestion is None
    agent = searcher.search("bibliotekskort", "sv", internal=True, today=TODAY)
    assert [h.id for h in agent.hits] == ["bibliotekskort"]


def test_added_and_removed_articles(corpus_dir: Path, tmp_path: Path) -> None:
    import shutil

    index_dir, searcher = setup(corpus_dir, tmp_path)
    shutil.copytree(corpus_dir / "bibliotekskort", corpus_dir / "lanekort")
    replace(corpus_dir / "lanekort" / "sv.md", "Skaffa bibliotekskort", "Förnya lånekort")
    shutil.rmtree(corpus_dir / "bibliotekskort")
    corpus, _ = pipeline.load_valid(corpus_dir, TODAY)
    update_index(corpus, index_dir, ["lanekort", "bibliotekskort"], TODAY)
    found = [h.id for h in searcher.search("lånekort", "sv", today=TODAY).hits]
    assert found == ["lanekort"]
    assert "bibliotekskort" not in [h.id for h in searcher.search("bibliotekskort", "sv", today=TODAY).hits]


def test_update_without_index_builds_one(corpus_dir: Path, tmp_path: Path) -> None:
    corpus, _ = pipeline.load_valid(corpus_dir, TODAY)
    gen = update_index(corpus, tmp_path / "fresh", ["bygglov"], TODAY)
    assert json.loads((gen / "meta.json").read_text())["incremental_updates"] == 0
    assert Searcher(IndexHandle(tmp_path / "fresh")).search("bygglov", "sv", today=TODAY).hits


def test_changed_synonyms_force_a_full_build(corpus_dir: Path, tmp_path: Path) -> None:
    index_dir, searcher = setup(corpus_dir, tmp_path)
    (corpus_dir / "synonyms.yml").write_text("- [lånekort, bibliotekskort]\n", "utf-8")
    corpus, _ = pipeline.load_valid(corpus_dir, TODAY)
    gen = update_index(corpus, index_dir, [], TODAY)
    assert json.loads((gen / "meta.json").read_text())["incremental_updates"] == 0
    assert [h.id for h in searcher.search("lånekort", "sv", today=TODAY).hits] == ["bibliotekskort"]


def test_an_update_takes_the_compound_lexicon_words_from_the_index(corpus_dir: Path, tmp_path: Path,
                                                                     monkeypatch) -> None:
    from portal.search.index import documents, writer

    index_dir, searcher = setup(corpus_dir, tmp_path)
    read: list[str] = []
    real = documents.content_words

    def counting(articles, an):  # type: ignore[no-untyped-def]
        articles = list(articles)
        read.extend(a.id for a in articles)
        return real(articles, an)

    monkeypatch.setattr(writer, "content_words", counting)
    monkeypatch.setattr(documents, "content_words", counting)
    replace(corpus_dir / "bibliotekskort" / "sv.md", "Ta med legitimation.", "Ta med legitimation och lånekortsfodral.")
    corpus, _ = pipeline.load_valid(corpus_dir, TODAY)
    gen = update_index(corpus, index_dir, ["bibliotekskort"], TODAY)
    assert read == ["bibliotekskort"]  # not every article's text again
    words = set(json.loads((gen / writer.WORDS_FILE).read_text("utf-8")))
    assert "lånekortsfodral" in words and "bygglov" in words
    assert [h.id for h in searcher.search("lånekortsfodral", "sv", today=TODAY).hits] == ["bibliotekskort"]
