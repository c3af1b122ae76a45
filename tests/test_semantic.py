"""The semantic half of search: vectors in each index generation, reuse by content hash, internal text kept to
the agents, questions in other languages, confidence, and the lexical search that never waits for the model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from portal.search import hybrid
from portal.search.index import IndexHandle
from portal.search.results import Hit
from portal.search.searcher import Searcher
from portal.search.vectors import INTERNAL, ROWS_FILE, VECTORS_FILE, read_vectors
from portal.site import pipeline
from tests.conftest import MARKERS, TODAY

SAMPLE = Path(__file__).resolve().parent.parent / "articles"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Searcher:
    index_dir = tmp_path_factory.mktemp("semantic-sample")
    pipeline.index(SAMPLE, index_dir, TODAY)
    return Searcher(IndexHandle(index_dir))


def _ids(result) -> list[str]:
    return [h.id for h in result.hits]


def test_vectors_live_in_the_generation_with_internal_notes_marked(corpus_dir: Path, tmp_path: Path) -> None:
    _corpus, gen = pipeline.index(corpus_dir, tmp_path / "index", TODAY)
    vs = read_vectors(gen)
    assert vs is not None and vs.matrix.shape == (len(vs.rows), 384)
    assert np.allclose(np.linalg.norm(np.asarray(vs.matrix), axis=1), 1.0, atol=1e-3)
    kinds = {(r[0], r[1], r[2]) for r in vs.rows}
    assert ("bygglov", "sv", INTERNAL) in kinds  # its internal.md
    assert {("bygglov", lang, "text") for lang in ("sv", "en", "ar")} <= kinds
    # Only ids, languages, kinds and hashes beside the numbers: no text, so no internal text, is kept there.
    stored = (gen / ROWS_FILE).read_text("utf-8")
    assert not any(marker in stored for marker in MARKERS)


def test_a_rebuild_with_nothing_changed_embeds_nothing(corpus_dir: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("PORTAL_EMBEDDING_CACHE", raising=False)  # only the previous generation may help
    first = pipeline.index_content(corpus_dir, tmp_path / "index", TODAY, full=True)
    assert first.embedded is not None and first.embedded.embedded == first.embedded.passages > 0
    again = pipeline.index_content(corpus_dir, tmp_path / "index", TODAY, full=True)
    assert again.generation != first.generation
    assert again.embedded is not None and again.embedded.embedded == 0
    assert np.array_equal(np.asarray(read_vectors(again.generation).matrix),
                          np.asarray(read_vectors(first.generation).matrix))


def test_one_changed_article_embeds_only_its_text(corpus_dir: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("PORTAL_EMBEDDING_CACHE", raising=False)
    index_dir = tmp_path / "index"
    pipeline.index_content(corpus_dir, index_dir, TODAY)
    source = corpus_dir / "bibliotekskort" / "sv.md"
    source.write_text(source.read_text("utf-8").replace("title: ", "title: Nytt lånekort och ", 1), "utf-8")
    run = pipeline.index_content(corpus_dir, index_dir, TODAY)
    assert run.mode == "update" and run.changed == ["bibliotekskort"]
    assert run.embedded is not None and run.embedded.embedded == 1
    rows = read_vectors(run.generation).rows
    assert sum(1 for r in rows if r[0] == "bibliotekskort") == 1
    assert len(rows) == run.embedded.passages


def test_the_lexical_index_does_not_wait_for_the_vectors(corpus_dir: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(hybrid, "RECHECK_SECONDS", 0.0)
    run = pipeline.index_content(corpus_dir, tmp_path / "index", TODAY, vectors=False)
    assert read_vectors(run.generation) is None
    searcher = Searcher(IndexHandle(tmp_path / "index"))
    lexical = searcher.search("bygglov", "sv", today=TODAY)
    assert lexical.mode == "lexical" and _ids(lexical)[0] == "bygglov"
    run.add_vectors()  # into the generation already in use: its searches turn hybrid
    assert searcher.search("bygglov", "sv", today=TODAY, limit=5).mode == "hybrid"


def test_a_killed_embedding_is_finished_by_the_next_run(corpus_dir: Path, tmp_path: Path) -> None:
    run = pipeline.index_content(corpus_dir, tmp_path / "index", TODAY)
    for name in (ROWS_FILE, VECTORS_FILE):
        (run.generation / name).unlink()
    again = pipeline.index_content(corpus_dir, tmp_path / "index", TODAY)
    assert again.mode == "unchanged" and read_vectors(again.generation) is not None


def test_public_search_never_scores_with_internal_notes(corpus_dir: Path, tmp_path: Path) -> None:
    pipeline.index(corpus_dir, tmp_path / "index", TODAY)
    handle = IndexHandle(tmp_path / "index")
    vs = hybrid.vectors(handle)
    assert vs is not None
    note = next(i for i, r in enumerate(vs.rows) if r[2] == INTERNAL)
    # A question that is the internal note itself: agents' scores use it, public scores cannot.
    text = (corpus_dir / "bygglov" / "internal.md").read_text("utf-8")
    agents = hybrid.semantic_scores(handle, text, "sv", internal=True)
    public = hybrid.semantic_scores(handle, text, "sv", internal=False)
    assert agents is not None and public is not None
    assert "hemlig-rutin" in agents.position and "hemlig-rutin" not in public.position and vs.rows[note][0] == "bygglov"
    searcher = Searcher(handle)
    for marker in MARKERS:
        result = searcher.search(marker, "sv", today=TODAY)
        for hit in result.hits:
            assert hit.audience == "public" and hit.status == "published", (marker, hit.id)
            assert marker not in json.dumps(hit.public_dict(), ensure_ascii=False)


def test_internal_and_draft_articles_stay_out_of_public_semantic_hits(corpus_dir: Path, tmp_path: Path) -> None:
    pipeline.index(corpus_dir, tmp_path / "index", TODAY)
    searcher = Searcher(IndexHandle(tmp_path / "index"))
    for question in ("hur lämnar jag över ett ärende till en förvaltning", "rutin för överlämning"):
        public = searcher.search(question, "sv", today=TODAY, mode="hybrid")
        assert public.mode == "hybrid"
        assert not {"hemlig-rutin", "utkast-artikel"} & set(_ids(public))
        agents = searcher.search(question, "sv", internal=True, today=TODAY, mode="hybrid")
        assert "hemlig-rutin" in _ids(agents)[:3]


@pytest.mark.parametrize(("question", "lang", "expected"), [
    ("كيف أحصل على مساعدة منزلية لأمي المسنة", "ar", "hemtjanst"),
    ("كيف أحصل على بطاقة المكتبة", "ar", "bibliotekskort"),
    ("miten saan kirjastokortin", "fi", "bibliotekskort"),
    ("can I get help paying my debts", "en", "budget-och-skuldradgivning"),
    ("Sideen ayaan u codsadaa daryeelka guriga hooyaday", "sv", "hemtjanst"),  # Somali
    ("چگونه برای کودکم در پیش دبستانی جا بگیرم", "sv", "forskoleplats"),  # Persian
    ("får jag sätta upp ett plank mot grannen", "sv", "bygglov"),
    ("miten isälle saa edunvalvojan", "fi", "god-man"),  # the glossary's word, far ahead lexically
])
def test_questions_in_any_language_find_the_article(sample: Searcher, question: str, lang: str,
                                                    expected: str) -> None:
    result = sample.search(question, lang, today=TODAY)
    assert result.mode == "hybrid"
    assert expected in _ids(result)[:3], _ids(result)
    hit = next(h for h in result.hits if h.id == expected)
    # Answered in the searched language where a translation exists, else the source marked as a fallback.
    assert hit.lang == (lang if lang in hit.langs else "sv")
    assert hit.fallback == (hit.lang != lang)


def test_prefix_searches_stay_lexical_and_settled_ones_are_hybrid(sample: Searcher) -> None:
    assert sample.search("hemtj", "sv", prefix=True, today=TODAY).mode == "lexical"
    assert sample.search("hemtjänst", "sv", today=TODAY).mode == "hybrid"
    assert sample.search("hemtjänst", "sv", today=TODAY, mode="lexical").mode == "lexical"


def test_confidence_tells_an_answer_from_no_answer(sample: Searcher) -> None:
    answered = sample.search("hur ansöker jag om hemtjänst", "sv", today=TODAY)
    assert answered.hits[0].id == "hemtjanst" and answered.hits[0].confident and answered.answered
    for question in ("vad kostar ett körkort", "sjukskriven och behöver pengar från försäkringskassan"):
        unanswered = sample.search(question, "sv", today=TODAY)
        assert unanswered.hits, question  # the closest articles still show
        assert not any(h.confident for h in unanswered.hits), (question, _ids(unanswered))
        assert unanswered.answered == 0


def test_semantic_search_can_be_switched_off(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_SEMANTIC_SEARCH", "0")
    run = pipeline.index_content(SAMPLE, tmp_path / "index", TODAY)
    assert run.embedded is None and read_vectors(run.generation) is None
    searcher = Searcher(IndexHandle(tmp_path / "index"))
    result = searcher.search("bygglov", "sv", today=TODAY)
    assert result.mode == "lexical" and result.hits[0].id == "bygglov" and result.hits[0].confident
    # Without the model, a strong first hit well ahead of the rest is the only confident one.
    assert not any(h.confident for h in searcher.search("vad kostar ett körkort", "sv", today=TODAY).hits)


def _hit(aid: str, score: float) -> Hit:
    return Hit(aid, "sv", aid, "", score, "all", f"/sv/{aid}/", None)


def test_a_strong_lexical_match_is_not_pushed_down_by_a_below_average_closeness() -> None:
    """The model's "not close" is noise: only standing out adds, so a word match 13 times ahead stays first."""
    semantic = hybrid.Semantic(["a", "b", "c"], {"a": 0, "b": 1, "c": 2}, np.asarray([-1.1, 2.3, 0.4]))
    lexical = [_hit("a", 43.6), _hit("b", 3.2), _hit("c", 1.3)]
    fused = hybrid.fuse(lexical, [], semantic, words=4)
    assert [h.id for h in fused] == ["a", "b", "c"]
    # … while standing out still lifts a weaker word match above a stronger one
    semantic = hybrid.Semantic(["a", "b"], {"a": 0, "b": 1}, np.asarray([0.0, 3.0]))
    assert [h.id for h in hybrid.fuse([_hit("a", 6.0), _hit("b", 3.0)], [], semantic, words=4)] == ["b", "a"]


@pytest.mark.parametrize("word, expected", [
    ("qashinkayaga", "avfall-sophamtning"),  # Somali: qashin (rubbish) + kayaga (our)
    ("edunvalvojaksi", "god-man"),  # Finnish: edunvalvoja (guardian) + ksi (to become)
])
def test_a_glossary_word_with_an_ending_it_does_not_list_is_still_read(sample: Searcher, word: str,
                                                                       expected: str) -> None:
    result = sample.search(word, "sv", today=TODAY, mode="lexical")
    assert _ids(result)[:1] == [expected], _ids(result)
