"""`portal index` after a change: only the changed articles are read and re-indexed, in a new generation."""

from __future__ import annotations

import json
import os
from pathlib import Path

from portal.build import contentcache
from portal.search.index import current_generation
from portal.site import pipeline
from tests.test_cli import run


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))


def index(tmp_path: Path, *extra: str):
    done = run("index", "--articles", "articles", "--index", "idx", *extra, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


def search_ids(tmp_path: Path, query: str) -> list[str]:
    done = run("search", query, "--index", "idx", "--json", "--internal", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return [h["id"] for h in json.loads(done.stdout)]


def test_one_changed_article_is_read_and_indexed_alone(tmp_path: Path, corpus_dir: Path) -> None:
    first = index(tmp_path)
    assert "Built the index of 5 article(s)" in first and "5 folder(s) read" in first
    gen = current_generation(tmp_path / "idx")
    assert "is up to date" in index(tmp_path)
    assert current_generation(tmp_path / "idx") == gen  # nothing changed: nothing written
    edit(corpus_dir / "bibliotekskort" / "sv.md", "Ta med legitimation.", "Ta med en zebrafink.")
    out = index(tmp_path)
    assert "1 folder(s) read, 4 from the cache" in out
    assert "Updated 1 article in the index" in out and "bibliotekskort" in out
    assert current_generation(tmp_path / "idx") != gen  # a new generation, swapped in atomically
    assert search_ids(tmp_path, "zebrafink") == ["bibliotekskort"]


def test_added_and_removed_articles_are_updated(tmp_path: Path, corpus_dir: Path) -> None:
    index(tmp_path)
    assert "utkast-artikel" in search_ids(tmp_path, "simskola")
    (corpus_dir / "utkast-artikel").rename(corpus_dir / "simskola")
    out = index(tmp_path)
    assert "Updated 2 articles" in out and "simskola, utkast-artikel" in out
    assert search_ids(tmp_path, "simskola") == ["simskola"]


def test_site_and_synonym_changes_and_full_flag_rebuild_everything(tmp_path: Path, corpus_dir: Path) -> None:
    index(tmp_path)
    with (corpus_dir / "synonyms.yml").open("a", encoding="utf-8") as f:
        f.write("- [zebrafink, bibliotekskort]\n")
    out = index(tmp_path)
    assert "Built the index of 5 article(s)" in out and "5 folder(s) read" in out
    assert "bibliotekskort" in search_ids(tmp_path, "zebrafink")
    assert "Built the index" in index(tmp_path, "--full")
    assert "5 folder(s) read" in index(tmp_path, "--no-cache")


def test_index_without_a_record_is_built_in_full(tmp_path: Path, corpus_dir: Path) -> None:
    index(tmp_path)
    (current_generation(tmp_path / "idx") / "content.json").write_text("{damaged", "utf-8")
    assert "Built the index" in index(tmp_path)
    assert "is up to date" in index(tmp_path)


def test_damaged_cache_is_no_traceback(tmp_path: Path, corpus_dir: Path) -> None:
    index(tmp_path)
    for shard in (tmp_path / "idx" / contentcache.FOLDER).glob("*-[0-9][0-9].pickle"):  # entries and articles
        shard.write_bytes(b"\x80\x05 damaged")
    edit(corpus_dir / "bibliotekskort" / "sv.md", "Ta med legitimation.", "Ta med en zebrafink.")
    out = index(tmp_path)
    assert "5 folder(s) read" in out and "Updated 1 article" in out
    assert search_ids(tmp_path, "zebrafink") == ["bibliotekskort"]


def test_incremental_index_matches_a_full_build(tmp_path: Path, corpus_dir: Path) -> None:
    from portal.search.index import IndexHandle, all_documents

    pipeline.index(corpus_dir, tmp_path / "a")
    edit(corpus_dir / "bygglov" / "sv.md", "bygga till", "bygga ut")
    update = pipeline.index_content(corpus_dir, tmp_path / "a")
    assert update.mode == "update" and update.changed == ["bygglov"]
    assert pipeline.index_content(corpus_dir, tmp_path / "b", full=True).mode == "full"

    def docs(index_dir: Path) -> dict:
        return {(d["id"], d["lang"]): d for d in all_documents(IndexHandle(index_dir))}

    assert docs(tmp_path / "a") == docs(tmp_path / "b")


def test_bench_index_phase_measures_the_incremental_command(tmp_path: Path) -> None:
    import sys

    bench = Path(__file__).resolve().parent.parent / "bench"
    sys.path.insert(0, str(bench))
    import generate
    import phases

    generate.generate(tmp_path / "content", 12, seed=5)
    result = phases.phase_index(str(tmp_path / "content"), str(tmp_path / "index"))
    changed = result["changed_article"]
    assert result["changed_mode"] == "full rebuild"
    assert result["warm_load_read"] == 0
    assert result["incremental_mode"] == "update" and result["incremental_read"] == [changed]
    said = result["cli_update_output"]
    assert any("Updated 1 article" in line for line in said) and result["cli_update_s"] > 0
    assert "Semantic vectors:" in said[-1] or "Semantic search is off" in said[-1]


def test_an_update_the_writer_turns_into_a_full_build_is_reported_as_one(tmp_path: Path, corpus_dir: Path) -> None:
    index(tmp_path)
    gen = current_generation(tmp_path / "idx")
    meta = json.loads((gen / "meta.json").read_text("utf-8"))
    (gen / "meta.json").write_text(json.dumps({**meta, "schema": -1}), "utf-8")  # an index of another version
    edit(corpus_dir / "bibliotekskort" / "sv.md", "Ta med legitimation.", "Ta med en zebrafink.")
    out = index(tmp_path)
    assert "Built the index of 5 article(s)" in out and "Updated" not in out
    assert search_ids(tmp_path, "zebrafink") == ["bibliotekskort"]
