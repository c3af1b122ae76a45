"""The benchmark works (bench/): a small run of every step but MkDocs (an optional package); a step that fails,
cannot run or leaves a number out fails the run.

A smoke test, not a timing assertion: timings live in bench/RESULTS.md, never in tests.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
import httpbench  # noqa: E402
import queries  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402
import sitebytes  # noqa: E402

from portal.site import pipeline  # noqa: E402

ARTICLES = 30


@pytest.fixture(scope="module", autouse=True)
def _no_vectors() -> Any:
    """The index builds here make no semantic vectors (PORTAL_SEMANTIC_SEARCH=0): embedding every article costs
    most of this module's time, and it tests the benchmark, not the model. The HTTP step still starts one
    server with the variable unset (the default) and one with it 0."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PORTAL_SEMANTIC_SEARCH", "0")
        yield


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


@pytest.fixture(scope="module")
def whole_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``bench/run.py`` at 20 articles, every step but MkDocs, both HTTP servers: exit code, JSON, printed table."""
    tmp = tmp_path_factory.mktemp("whole")
    out, printed = tmp / "results.json", io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = run.main(["--sizes", "20", "--queries", "3", "--http-queries", "3", "--skip", "mkdocs", "--no-git",
                         "--http-compare-semantic", "--json", str(out), "--workdir", str(tmp / "work")])
    return {"code": code, "results": json.loads(out.read_text("utf-8")), "printed": printed.getvalue(),
            "site": tmp / "work" / "n20" / "site"}


def test_the_one_command_measures_every_step_and_prints_a_table(whole_run: dict[str, Any]) -> None:
    results, printed = whole_run["results"], whole_run["printed"]
    assert results["problems"] == []
    assert whole_run["code"] == 0
    size = results["sizes"]["20"]
    assert size["index"]["index_s"] > 0
    assert size["index"]["changed_mode"] == "full rebuild"
    assert "search_words_p95_vs_fts5" in size["ratios"]
    for audience in ("agent", "public"):
        for kind in queries.KINDS:
            assert size["query"][audience][kind]["n"] == 3
            assert size["query"][audience][kind]["p95"] >= size["query"][audience][kind]["p50"] > 0
    assert size["query"]["agent"]["words"]["mean_hits"] > 0
    assert size["fts5"]["documents"] >= 20
    assert size["fts5"]["agent"]["words"]["mean_hits"] > 0
    assert printed == report.table(results) + "\n"
    assert "in-process agent, words" in printed and "PROBLEMS" not in printed
    states = {(row[0], state) for row, line in report.cells(results) for _text, _value, state in line}
    assert {label for label, state in states if state != "ok"} == {
        "  MkDocs build, s", "  pages/s: portal / MkDocs", "  portal pages/s vs MkDocs", "  MkDocs (child)"}
    assert ("  MkDocs build, s", "skipped") in states


def test_http_measures_prefix_lexical_and_hybrid_on_both_servers(whole_run: dict[str, Any]) -> None:
    http = whole_run["results"]["sizes"]["20"]["http"]
    assert "GET" in http["route_methods"]
    for server in (http, http["lexical_only"]):
        for audience in ("agent", "public"):
            for kind in ("prefix", "words_lexical", "words_hybrid", "typo"):
                assert server[audience][kind]["n"] == 3
                assert server[audience][kind]["p95"] >= server[audience][kind]["p50"] > 0
            assert server[audience]["words_lexical"]["mean_hits"] > 0
            assert server["hybrid_vs_lexical_p95"][audience] > 0
        assert len(server["workers_maxrss_kb"]) == 1 and server["maxrss_kb"] > 10_000
    assert http["semantic_env"] == "unset (default)"
    assert http["lexical_only"]["semantic_env"] == "PORTAL_SEMANTIC_SEARCH=0"
    assert http["semantic_memory_kb"] == http["maxrss_kb"] - http["lexical_only"]["maxrss_kb"]
    assert set(http["mode_parameter"]) == {"documented", "refuses_unknown", "known"}
    assert "words, settled (hybrid)" in whole_run["printed"]
    assert "semantic search's share (difference)" in whole_run["printed"]


def test_first_static_search_bytes_are_those_of_the_published_bundle(whole_run: dict[str, Any],
                                                                      tmp_path: Path) -> None:
    size = whole_run["results"]["sizes"]["20"]
    first, site = size["bytes"]["first_search"], whole_run["site"]
    assert size["pagefind"]["pagefind_s"] > 0 and size["pagefind"]["files"] > 0  # rebuilt beside the site
    assert first["bundle"] == "/pagefind/" and first["stray_files"] == 0
    assert first["results_loaded"] == min(first["pages"], 25)
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text("utf-8"))
    meta = sitebytes.pagefind_meta(site / "pagefind" / f"pagefind.{entry['languages']['sv']['hash']}.pf_meta")
    assert first["index_chunks"] == len(meta["chunks"]) and first["pages"] == len(meta["pages"])
    assert sitebytes.first_search_bytes(site) == first  # the rebuild beside the site left it as published
    # A plain Pagefind run into the published folder (what the benchmark did before) leaves two generations side by
    # side: they are seen as stray, and only the generation the entry names counts.
    copy_site = tmp_path / "site"
    shutil.copytree(site, copy_site)
    subprocess.run([sys.executable, "-m", "pagefind", "--site", str(copy_site), "--silent"], check=True,
                   capture_output=True, timeout=300)
    assert sitebytes.first_search_bytes(copy_site)["stray_files"] > 0


def test_a_number_missing_from_a_result_is_a_problem(whole_run: dict[str, Any]) -> None:
    results = copy.deepcopy(whole_run["results"])
    del results["sizes"]["20"]["http"]["agent"]["words_hybrid"]
    assert report.problems(results) == ["20 articles: no number for 'HTTP agent, words, settled (hybrid)'"]
    assert "MISSING" in report.table(results) and "PROBLEMS (1)" in report.table(results)
    results["sizes"]["20"]["freeze"] = {"error": "RuntimeError: boom"}
    assert "20 articles: step freeze failed: RuntimeError: boom" in report.problems(results)


def test_a_failed_step_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError(f"bench phase {name} failed: boom")

    monkeypatch.setattr(run, "run_phase", broken)
    out = tmp_path / "results.json"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = run.main(["--sizes", "5", "--skip", "index,fts5,http,freeze,mkdocs", "--no-git", "--json", str(out),
                         "--workdir", str(tmp_path / "work")])
    assert code == 1
    assert "in-process agent, words" in printed.getvalue() and "FAILED" in printed.getvalue()
    problems = json.loads(out.read_text("utf-8"))["problems"]
    assert problems and all("query" in p for p in problems[:1])


def test_a_step_that_cannot_run_fails_the_run_unless_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_route(*args: Any) -> list[str]:
        raise RuntimeError("portal.create_app() has no GET /api/v1/search")

    monkeypatch.setattr(httpbench, "search_route", no_route)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = run.main(["--sizes", "5", "--skip", "index,query,fts5,freeze,mkdocs", "--no-git", "--json",
                         str(tmp_path / "a.json"), "--workdir", str(tmp_path / "a")])
        assert code == 1
        assert "no GET /api/v1/search" in printed.getvalue()
        code = run.main(["--sizes", "5", "--skip", "index,query,fts5,freeze,mkdocs,http", "--no-git", "--json",
                         str(tmp_path / "b.json"), "--workdir", str(tmp_path / "b")])
    assert code == 0
    assert "HTTP agent, words, mode=lexical" in printed.getvalue().split("JSON")[-1]
    with pytest.raises(SystemExit):
        run.main(["--skip", "htp"])  # a misspelt step is an error, not a step quietly run


def test_the_postgresql_store_benchmark_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    import feedbackstore_pg

    monkeypatch.setattr(sys, "argv", ["feedbackstore_pg.py", "--ops", "5", "--rounds", "1"])
    feedbackstore_pg.main()
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in printed] == ["write", "read"]
    assert all("ratio" in line for line in printed)
