"""The benchmark works (bench/): a small run of the generator, the in-process queries and the FTS5 baseline.

A smoke test, not a timing assertion: timings live in bench/RESULTS.md, never in tests.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
import phases  # noqa: E402
import queries  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402

from portal.site import pipeline  # noqa: E402

ARTICLES = 30


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 generated articles."""
    out = tmp_path_factory.mktemp("bench") / "content"
    generate.generate(out, ARTICLES, seed=3)
    return out


def test_generated_content_passes_check_and_has_the_right_shape(content: Path) -> None:
    corpus, problems = pipeline.load(content)
    assert corpus is not None
    assert [str(p) for p in problems if p.is_error] == []
    assert len(corpus.articles) == ARTICLES
    assert set(corpus.site.language_codes) == {"sv", "en"}
    words = [len(a.source.text.split()) for a in corpus.articles.values()]
    assert 250 <= sum(words) / len(words) <= 600
    assert any("en" in a.versions for a in corpus.articles.values())
    assert any(a.internal_text for a in corpus.articles.values())


def test_generator_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    generate.generate(a, 5, seed=9)
    generate.generate(b, 5, seed=9)
    files_a = {p.relative_to(a): p.read_bytes() for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b): p.read_bytes() for p in b.rglob("*") if p.is_file()}
    assert files_a == files_b
    assert generate.main([str(tmp_path / "c"), "--articles", "5", "--seed", "9"]) == 0
    assert (tmp_path / "c" / "site.yml").read_bytes() == (a / "site.yml").read_bytes()
    with pytest.raises(SystemExit):
        generate.generate(a, 5, seed=9)  # refuses to overwrite without force


def test_query_sets_have_every_kind(content: Path) -> None:
    made = queries.make_queries(content, per_kind=6)
    assert [q.kind for q in made].count("typo") == 6
    assert all(q.prefix for q in made if q.kind == "prefix")
    assert all(1 <= len(q.text.split()) <= 3 for q in made)
    assert made == queries.make_queries(content, per_kind=6)


def test_in_process_queries_and_fts5_baseline(content: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    pipeline.index(content, index)
    result = phases.phase_query(str(content), str(index), per_kind=4)
    for audience in ("agent", "public"):
        for kind in queries.KINDS:
            assert result[audience][kind]["n"] == 4
            assert result[audience][kind]["p95"] >= result[audience][kind]["p50"] > 0
    assert result["agent"]["words"]["mean_hits"] > 0
    fts = phases.phase_fts5(str(content), str(tmp_path / "fts.sqlite3"), per_kind=4)
    assert fts["documents"] >= ARTICLES
    assert fts["agent"]["words"]["mean_hits"] > 0


def test_the_one_command_writes_json_and_prints_a_table(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "results.json"
    code = run.main(["--sizes", "20", "--queries", "3", "--skip", "http,freeze,mkdocs", "--no-git",
                     "--json", str(out), "--workdir", str(tmp_path / "work")])
    assert code == 0
    results = json.loads(out.read_text("utf-8"))
    size = results["sizes"]["20"]
    assert size["index"]["index_s"] > 0
    assert size["index"]["changed_mode"] == "full rebuild"
    assert "search_words_p95_vs_fts5" in size["ratios"]
    printed = capsys.readouterr().out
    assert "in-process agent, words" in printed
    assert printed == report.table(results) + "\n"


def test_the_postgresql_store_benchmark_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    import feedbackstore_pg

    monkeypatch.setattr(sys, "argv", ["feedbackstore_pg.py", "--ops", "5", "--rounds", "1"])
    feedbackstore_pg.main()
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in printed] == ["write", "read"]
    assert all("ratio" in line for line in printed)
