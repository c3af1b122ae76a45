"""Champion lists: each term's best documents, scored exactly as the full field would score them, with
the full posting lists as the fallback when they cannot fill a page."""

from __future__ import annotations

from pathlib import Path

import pytest
import whoosh.searching
from whoosh import query as wq

from portal.search.index import IndexHandle, champions, reader, update_index
from portal.search.index.champions import Leaf, champion_scores
from portal.search.searcher import Searcher
from portal.site import pipeline
from tests.conftest import TODAY


def build(corpus_dir: Path, tmp_path: Path) -> tuple[Path, Searcher]:
    index_dir = tmp_path / "index"
    pipeline.index(corpus_dir, index_dir, TODAY)
    return index_dir, Searcher(IndexHandle(index_dir))


def shared_term(searcher: Searcher, at_least: int = 2) -> str:
    """A term that several Swedish documents have in their text."""
    reader = searcher.handle.refresh().searcher().reader()
    terms = [t.decode() if isinstance(t, bytes) else t for _, t in reader.most_frequent_terms("text_sv", 50)]
    terms = [t for t in terms if reader.doc_frequency("text_sv", t) >= at_least]
    assert terms, "the test corpus should share some words between articles"
    return terms[0]


def test_a_cut_list_keeps_the_best_documents(corpus_dir: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(champions, "CHAMPIONS", 1)
    _, searcher = build(corpus_dir, tmp_path)
    gen = searcher.handle.refresh()
    s = gen.searcher()
    term = shared_term(searcher)
    assert s.doc_frequency("text_sv", term) >= 2
    assert s.doc_frequency("top_sv", term) == 1
    assert term in gen.cut["top_sv"]
    best = s.search(wq.Term("text_sv", term), limit=1)[0].docnum  # BM25F on the full field
    assert set(s.docs_for_query(wq.Term("top_sv", term))) == {best}


def test_champion_scores_are_the_full_fields_scores(corpus_dir: Path, tmp_path: Path) -> None:
    # A long article too: Whoosh stores field lengths in one byte, so long lengths are rounded.
    page = corpus_dir / "bygglov" / "sv.md"
    page.write_text(page.read_text("utf-8") + "\n" + "Du kan ansöka om bygglov för ett nytt hus. " * 150, "utf-8")
    _, searcher = build(corpus_dir, tmp_path)
    s = searcher.handle.refresh().searcher()
    for term in s.reader().field_terms("text_sv"):
        full = {hit.docnum: hit.score for hit in s.search(wq.Term("text_sv", term), limit=None)}
        fast = champion_scores(s, [[[[Leaf("top_sv", term, 1.0)]]]])
        assert fast == pytest.approx(full, rel=1e-3), term
    # Internal notes have champion lists of their own.
    notes = {hit.docnum: hit.score for hit in s.search(wq.Term("internal_sv", "rutin"), limit=None)}
    assert notes
    fast = champion_scores(s, [[[[Leaf("itop_sv", "rutin", 1.0)]]]])
    assert fast == pytest.approx(notes, rel=1e-3)


def test_complete_lists_answer_without_reading_full_lists(corpus_dir: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _, searcher = build(corpus_dir, tmp_path)

    def full_search(*args: object, **kwargs: object) -> None:
        raise AssertionError("the full posting lists were read")

    monkeypatch.setattr(whoosh.searching.Searcher, "search", full_search)
    assert [h.id for h in searcher.search("bygglov", "sv", today=TODAY).hits][:1] == ["bygglov"]
    assert searcher.search("bibliotekskort förskola", "sv", internal=True, today=TODAY).hits


def test_cut_lists_fall_back_to_the_full_lists(corpus_dir: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(champions, "CHAMPIONS", 1)
    # In a five-article corpus every shared word counts as very common (matched in titles only).
    monkeypatch.setattr(reader, "COMMON_SHARE", 1.0)
    _, searcher = build(corpus_dir, tmp_path)
    s = searcher.handle.refresh().searcher()
    term = shared_term(searcher)
    having = {s.stored_fields(d)["id"] for d in s.docs_for_query(wq.Term("text_sv", term))}
    hits = searcher.search(term, "sv", internal=True, today=TODAY).hits
    assert {h.id for h in hits} >= having  # the champion alone would have found one


def test_an_updated_article_joins_the_lists_it_deserves(corpus_dir: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(champions, "CHAMPIONS", 1)
    index_dir, searcher = build(corpus_dir, tmp_path)
    term = "bygglov"
    gen = searcher.handle.refresh()
    assert gen.searcher().doc_frequency("top_sv", term) == 1
    page = corpus_dir / "bibliotekskort" / "sv.md"
    page.write_text(page.read_text("utf-8").replace("title: ", "title: Bygglov bygglov bygglov ", 1), "utf-8")
    corpus, _ = pipeline.load_valid(corpus_dir, TODAY)
    update_index(corpus, index_dir, ["bibliotekskort"], TODAY)
    s = searcher.handle.refresh().searcher()
    owners = {s.stored_fields(d)["id"] for d in s.docs_for_query(wq.Term("top_sv", term))}
    assert "bibliotekskort" in owners


def test_block_reading_gives_the_matchers_postings(corpus_dir: Path, tmp_path: Path) -> None:
    index_dir, searcher = build(corpus_dir, tmp_path)
    corpus, _ = pipeline.load_valid(corpus_dir, TODAY)
    update_index(corpus, index_dir, ["bygglov"], TODAY)  # a second segment, and deletions in the first
    s = searcher.handle.refresh().searcher()
    term = shared_term(searcher)
    checked = 0
    for segment, _offset in s.reader().leaf_readers():
        for field in ("top_sv", "text_sv"):
            if (field, term) not in segment:
                continue
            m = segment.postings(field, term)
            slow = []
            while m.is_active():
                slow.append((m.id(), m.weight()))
                m.next()
            assert list(champions._postings(segment, field, term)) == slow
            checked += 1
    assert checked >= 2


def test_decoded_lists_and_metadata_are_reused_within_bounds(corpus_dir: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _, searcher = build(corpus_dir, tmp_path)
    reads: list[str] = []
    real = champions._postings

    def counting(segment, field, term):  # type: ignore[no-untyped-def]
        reads.append(term)
        return real(segment, field, term)

    monkeypatch.setattr(champions, "_postings", counting)
    first = searcher.search("bygglov", "sv", today=TODAY)
    assert reads
    reads.clear()
    searcher.handle.refresh().cache.pop("results")  # not the result cache: the lists themselves
    again = searcher.search("bygglov", "sv", today=TODAY)
    assert reads == [] and [h.id for h in again.hits] == [h.id for h in first.hits]
    monkeypatch.setattr(champions, "LEAF_CACHE", 2)
    monkeypatch.setattr(reader, "META_CACHE", 2)
    searcher.search("bibliotekskort förskola bygglov ansöka", "sv", today=TODAY)
    cache = searcher.handle.refresh().cache
    assert len(cache["leaves"]) <= 2 and len(cache["meta"]) <= 2
