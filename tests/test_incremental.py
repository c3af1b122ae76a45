"""Incremental and parallel freezing: the same bytes as a full build, reused files, the same strictness."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from portal.build import cachedload, incremental
from portal.build import spare as spare_mod
from portal.build.freezework import split_urls
from portal.build.published import PublicSite
from portal.exceptions import BuildError, PortalError
from portal.search.index import IndexHandle, current_generation
from portal.search.searcher import Searcher
from portal.site import freeze, pipeline
from portal.web import public
from tests.conftest import TODAY
from tests.test_freeze import all_bytes, fingerprint


def freeze_dir(corpus_dir: Path, tmp_path: Path, out: Path, lazy: bool = False, **kw) -> dict:
    """Load *corpus_dir* and freeze it into *out* (no search index build: the freeze only). With *lazy*, as
    `portal build --incremental` does: indexed through the content cache, the articles unpickled when used,
    the build's facts of every article taken from the load (portal.build.published)."""
    if lazy:
        run = pipeline.index_content(corpus_dir, tmp_path / "index", TODAY, lazy=True)
        return freeze.freeze_site(run.corpus, out, tmp_path / "index", today=TODAY, loaded=run.loaded, **kw)
    corpus, _ = pipeline.load_valid(corpus_dir, TODAY)
    return freeze.freeze_site(corpus, out, tmp_path / "index", today=TODAY, **kw)


def comparable(site: Path) -> dict[Path, object]:
    """Every file's bytes by relative path; Pagefind's entry files parsed (their key order varies)."""
    files: dict[Path, object] = {p.relative_to(site): data for p, data in all_bytes(site).items()}
    entries = [p for p in files if p.name == "pagefind-entry.json"]
    assert entries
    for entry in entries:
        files[entry] = json.loads(files[entry])  # type: ignore[arg-type]
    return files


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


def retitle_related(root: Path) -> None:
    # bygglov lists forskoleplats as related: its page shows the new title too.
    edit(root / "forskoleplats" / "sv.md", "title: ", "title: Nytt namn – ")


def delete_article(root: Path) -> None:
    shutil.rmtree(root / "bibliotekskort")


def unpublish_article_with_old_id(root: Path) -> None:
    # bygglov has an old id (a redirect page) and is related from nowhere; as a draft all of it goes.
    edit(root / "bygglov" / "sv.md", "title: ", "status: draft\ntitle: ")


def add_article(root: Path) -> None:
    (root / "nytt-arende").mkdir()
    (root / "nytt-arende" / "sv.md").write_text(
        "---\ntitle: Ett nytt ärende\nsummary: Helt nytt.\ncategory: bygga-bo\nrelated: [bygglov]\n---\n"
        "Se [bygglov](article:bygglov).\n", "utf-8")


def easy_read_texts(root: Path) -> None:
    # One easy-read text retitled (its page, the easy-read index), one new (its page, the link from sv.md's page).
    edit(root / "bygglov" / "lattlast.md", "title: ", "title: Nytt – ")
    (root / "forskoleplats" / "lattlast.md").write_text(
        "---\ntitle: Förskola\nsummary: Barn kan gå i förskola.\n---\nBarn leker i förskolan.\n", "utf-8")


EDITS: dict[str, Callable[[Path], None]] = {
    "retitle a related article": retitle_related, "delete an article": delete_article,
    "unpublish an article with an old id": unpublish_article_with_old_id, "add an article": add_article,
    "change and add easy-read texts": easy_read_texts,
}


@pytest.mark.parametrize("lazy", [False, True], ids=["in-memory", "lazy"])
@pytest.mark.parametrize("change", list(EDITS))
def test_incremental_build_is_byte_identical_to_a_full_build(corpus_dir: Path, tmp_path: Path, change: str,
                                                             lazy: bool):
    site = tmp_path / "site"
    freeze_dir(corpus_dir, tmp_path, site, lazy=lazy)
    before = {p: p.stat().st_ino for p in site.rglob("*.html")}
    EDITS[change](corpus_dir)
    summary = freeze_dir(corpus_dir, tmp_path, site, lazy=lazy, incremental=True)
    assert summary["mode"] == "incremental" and summary["changed"]
    full = tmp_path / "full"
    freeze_dir(corpus_dir, tmp_path, full)
    # Nothing is build-specific but the order of the languages in Pagefind's entry file (it follows the
    # order the folders are read in): every other byte must be the same.
    incremental_files, full_files = comparable(site), comparable(full)
    assert incremental_files.keys() == full_files.keys()
    assert [p for p in full_files if incremental_files[p] != full_files[p]] == []
    reused = [p for p, ino in before.items() if p.exists() and p.stat().st_ino == ino]
    # The files not re-rendered come from the previous build (the count leaves the search bundle out).
    assert site / "sv" / "accessibility" / "index.html" in reused and summary["reused"] > 0
    assert freeze.broken_links(site) == []


def test_unchanged_pages_are_hard_linked_and_changed_ones_rendered(corpus_dir: Path, tmp_path: Path):
    site = tmp_path / "site"
    freeze_dir(corpus_dir, tmp_path, site)
    page = {rel: (site / rel).stat().st_ino for rel in
            ("sv/bibliotekskort/index.html", "en/bibliotekskort/index.html", "sv/forskoleplats/index.html",
             "sv/bygglov/index.html", "sv/bygglov-ansokan/index.html", "sv/accessibility/index.html",
             "static/public/site.css", "sv/a-z/index.html")}
    retitle_related(corpus_dir)
    summary = freeze_dir(corpus_dir, tmp_path, site, incremental=True)
    assert summary["changed"] == ["forskoleplats"]
    same = {rel for rel, ino in page.items() if (site / rel).stat().st_ino == ino}
    assert same == {"sv/bibliotekskort/index.html", "en/bibliotekskort/index.html", "sv/bygglov-ansokan/index.html",
                    "sv/accessibility/index.html", "static/public/site.css"}
    assert "Nytt namn" in (site / "sv/bygglov/index.html").read_text("utf-8")  # its related list


def test_nothing_changed_renders_nothing(corpus_dir: Path, tmp_path: Path):
    site = tmp_path / "site"
    freeze_dir(corpus_dir, tmp_path, site)
    before = fingerprint(site)
    summary = freeze_dir(corpus_dir, tmp_path, site, incremental=True)
    assert summary["rendered"] == 0 and summary["changed"] == [] and fingerprint(site) == before


def test_a_new_day_or_new_settings_mean_a_full_build(corpus_dir: Path, tmp_path: Path):
    site = tmp_path / "site"
    freeze_dir(corpus_dir, tmp_path, site)
    corpus, _ = pipeline.load_valid(corpus_dir, TODAY)
    previous = incremental.read_manifest(site)
    assert previous is not None
    same = incremental.make_manifest(corpus, PublicSite.of_corpus(corpus, TODAY), TODAY)
    assert incremental.changed_articles(previous, same) == set()
    tomorrow_day = TODAY.replace(day=TODAY.day + 1)
    tomorrow = incremental.make_manifest(corpus, PublicSite.of_corpus(corpus, tomorrow_day), tomorrow_day)
    assert incremental.changed_articles(previous, tomorrow) is None
    edit(corpus_dir / "site.yml", "0123-45 67 00", "0123-45 67 01")
    summary = freeze_dir(corpus_dir, tmp_path, site, incremental=True)
    assert summary["mode"] == "full"


def test_the_build_record_holds_only_public_articles(corpus_dir: Path, tmp_path: Path):
    site = tmp_path / "site"
    freeze_dir(corpus_dir, tmp_path, site)
    record = json.loads((site / incremental.MANIFEST).read_text("utf-8"))
    assert set(record["articles"]) == {"bibliotekskort", "bygglov", "forskoleplats"}
    assert "hemlig-rutin" not in json.dumps(record) and "utkast-artikel" not in json.dumps(record)


def break_rendering(monkeypatch) -> None:
    """Every article page fails to render from now on."""
    def broken(*_args, **_kwargs):
        raise RuntimeError("a page cannot be rendered")
    monkeypatch.setattr(public, "search_terms", broken)


def test_a_failed_incremental_build_leaves_the_last_good_site(corpus_dir: Path, tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    freeze_dir(corpus_dir, tmp_path, site)
    before = fingerprint(site)
    retitle_related(corpus_dir)
    break_rendering(monkeypatch)
    with pytest.raises((BuildError, RuntimeError)):
        freeze_dir(corpus_dir, tmp_path, site, incremental=True)
    assert fingerprint(site) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


def test_a_broken_link_in_a_rerendered_page_fails_the_incremental_build(corpus_dir: Path, tmp_path: Path):
    site = tmp_path / "site"
    freeze_dir(corpus_dir, tmp_path, site)
    before = fingerprint(site)
    edit(corpus_dir / "forskoleplats" / "sv.md", "\n---\n", "\n---\n[blankett](/sv/forskoleplats/saknas.pdf)\n")
    with pytest.raises(BuildError, match=r"saknas\.pdf leads nowhere"):
        freeze_dir(corpus_dir, tmp_path, site, incremental=True)
    assert fingerprint(site) == before


def test_a_parallel_freeze_writes_what_one_process_writes(corpus_dir: Path, tmp_path: Path):
    one, two = tmp_path / "one", tmp_path / "two"
    freeze_dir(corpus_dir, tmp_path, one, workers=1)
    summary = freeze_dir(corpus_dir, tmp_path, two, workers=2)
    assert summary["pages"] >= 30
    assert comparable(one) == comparable(two)


def test_a_404_in_the_second_worker_fails_the_parallel_freeze(corpus_dir: Path, tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    freeze_dir(corpus_dir, tmp_path, site)
    before = fingerprint(site)
    real = freeze.frozen_urls

    def with_missing(*args, **kwargs):
        urls = list(real(*args, **kwargs))
        # Index 1 of a round-robin deal of two is the second worker's.
        yield from [urls[0], ("public.article", {"lang": "sv", "article_id": "finns-inte"}), *urls[1:]]

    assert split_urls(["a", "b", "c"], 2)[1] == ["b"]
    monkeypatch.setattr(freeze, "frozen_urls", with_missing)
    progress: list[tuple[int, int]] = []
    with pytest.raises(BuildError, match=r"worker 2 of 2: .*404.*finns-inte"):
        freeze_dir(corpus_dir, tmp_path, site, workers=2, progress=lambda d, t: progress.append((d, t)))
    assert fingerprint(site) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


def test_cli_build_incremental(runner, corpus_dir: Path, tmp_path: Path):
    from portal.cli.main import cli

    args = ["build", "--articles", str(corpus_dir), "--index", str(tmp_path / "idx"),
            "--out", str(tmp_path / "cli-site"), "--incremental"]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "Full build: no record of a previous build" in first.output
    retitle_related(corpus_dir)
    second = runner.invoke(cli, args)
    assert second.exit_code == 0, second.output
    assert "that can show 1 changed article(s)" in second.output and "Published the new search index" in second.output
    assert "Nytt namn" in (tmp_path / "cli-site/sv/forskoleplats/index.html").read_text("utf-8")
    # The agent index was brought up to date beside the freeze (in another process), and says so.
    assert re.search(r"Updated 1 article\(s\) in the search index \([\d.]+ s after the start\)", second.output)
    hits = Searcher(IndexHandle(tmp_path / "idx")).search("nytt namn", "sv").hits
    assert hits and hits[0].id == "forskoleplats"


def test_a_failed_index_update_beside_the_freeze_fails_the_build(runner, corpus_dir: Path, tmp_path: Path,
                                                                 monkeypatch):
    from portal.cli.main import cli

    args = ["build", "--articles", str(corpus_dir), "--index", str(tmp_path / "idx"),
            "--out", str(tmp_path / "cli-site"), "--incremental"]
    assert runner.invoke(cli, args).exit_code == 0
    generation = current_generation(tmp_path / "idx")
    retitle_related(corpus_dir)

    def broken(*_args, **_kwargs):
        raise OSError("No space left on device")
    monkeypatch.setattr(pipeline, "index_loaded", broken)  # the forked child inherits it
    result = runner.invoke(cli, args)
    assert result.exit_code == 1 and isinstance(result.exception, PortalError)  # main() prints it as "Error: …"
    assert str(result.exception) == ("the search index could not be updated (the previous one stays in use): "
                                     "unexpected OSError: No space left on device")
    assert current_generation(tmp_path / "idx") == generation
    # The pages do not depend on the agent index: they were published.
    assert "Nytt namn" in (tmp_path / "cli-site/sv/forskoleplats/index.html").read_text("utf-8")


def test_a_failed_freeze_lets_the_index_update_finish(corpus_dir: Path, tmp_path: Path, monkeypatch):
    site, index_dir = tmp_path / "site", tmp_path / "idx"
    pipeline.build_incremental(corpus_dir, site, index_dir, TODAY)
    before = fingerprint(site)
    retitle_related(corpus_dir)
    break_rendering(monkeypatch)
    with pytest.raises((BuildError, RuntimeError)):
        pipeline.build_incremental(corpus_dir, site, index_dir, TODAY)
    assert fingerprint(site) == before
    hits = Searcher(IndexHandle(index_dir)).search("nytt namn", "sv").hits
    assert hits and hits[0].id == "forskoleplats"  # the content is valid: its index is current


def test_a_lazy_incremental_build_unpickles_only_the_articles_its_pages_show(corpus_dir: Path, tmp_path: Path,
                                                                            monkeypatch):
    site = tmp_path / "site"
    freeze_dir(corpus_dir, tmp_path, site, lazy=True)
    freeze_dir(corpus_dir, tmp_path, site, lazy=True, incremental=True)  # the cache now holds every article
    unpickled: list[str] = []
    real = cachedload._Load.cached_article

    def counting(self, name):
        unpickled.append(name)
        return real(self, name)
    monkeypatch.setattr(cachedload._Load, "cached_article", counting)
    # forskoleplats (read again, not unpickled) keeps its letter; bygglov lists it as related.
    edit(corpus_dir / "forskoleplats" / "sv.md", "title: Ansöka om plats", "title: Ansök om en plats")
    summary = freeze_dir(corpus_dir, tmp_path, site, lazy=True, incremental=True)
    assert summary["mode"] == "incremental" and summary["changed"] == ["forskoleplats"]
    # bygglov: its page is re-rendered (and it is featured on the home page, and listed under A too);
    # bibliotekskort is on no page the change touches: another category, another letter, no link to it.
    assert sorted(set(unpickled)) == ["bygglov"]
    assert_same_as_full(corpus_dir, tmp_path, site)


def test_the_page_counts_are_those_of_the_pages(corpus_dir: Path, tmp_path: Path):
    (corpus_dir / "bygglov" / "bilaga.txt").write_text("En bilaga.", "utf-8")  # (HTML is never an attachment)
    corpus, _ = pipeline.load_valid(corpus_dir, TODAY)
    site = PublicSite.of_corpus(corpus, TODAY)
    app = freeze.make_app(corpus, site, tmp_path / "index", TODAY, tmp_path / "out")
    pages = freeze._pages(app, corpus, site)
    with app.app_context():
        files, html = freeze.page_counts(corpus, site)
    assert any(path.endswith("/bilaga.txt") for _e, _v, path in pages)
    assert (files, html) == (len(pages), sum(1 for _e, _v, path in pages
                                             if incremental.file_of(path).endswith(".html")))


def assert_same_as_full(corpus_dir: Path, tmp_path: Path, site: Path) -> None:
    """*site* holds exactly what a full build of *corpus_dir* writes (Pagefind's entry files parsed)."""
    full = tmp_path / "full"
    shutil.rmtree(full, ignore_errors=True)
    freeze_dir(corpus_dir, tmp_path, full)
    incremental_files, full_files = comparable(site), comparable(full)
    assert incremental_files.keys() == full_files.keys()
    assert [p for p in full_files if incremental_files[p] != full_files[p]] == []
    assert freeze.broken_links(site) == []
    folders = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_dir())
    assert folders == sorted(p.relative_to(full) for p in full.rglob("*") if p.is_dir())  # no empty leftovers


def retitle_to_new_letter(root: Path) -> None:
    # Its letter changes from S to B in Swedish (and in the languages that show the Swedish title).
    edit(root / "bibliotekskort" / "sv.md", "title: Skaffa", "title: Beställ")


@pytest.mark.parametrize("lazy", [False, True], ids=["in-memory", "lazy"])
def test_the_spare_tree_is_patched_after_several_changes_in_a_row(corpus_dir: Path, tmp_path: Path, lazy: bool):
    site = tmp_path / "site"
    spare = spare_mod.spare_path(site)
    freeze_dir(corpus_dir, tmp_path, site)
    assert not spare.exists()
    steps = [retitle_related, retitle_to_new_letter, add_article, delete_article,
             lambda root: edit(root / "forskoleplats" / "sv.md", "title: Nytt namn – ", "title: ")]
    methods = []
    for step in steps:
        step(corpus_dir)
        summary = freeze_dir(corpus_dir, tmp_path, site, lazy=lazy, incremental=True)
        methods.append(summary["method"])
        assert_same_as_full(corpus_dir, tmp_path, site)
        # The spare is the previous build, with its own record and the live site's search bundle.
        assert incremental.read_manifest(spare) is not None
        assert spare_mod.same_bundle(spare, site)
    # The first incremental build after a full one links the live site; every later one patches the spare.
    assert methods == ["link"] + ["spare"] * (len(steps) - 1)


def test_a_spare_two_builds_behind_is_patched_to_the_new_state(corpus_dir: Path, tmp_path: Path):
    site = tmp_path / "site"
    freeze_dir(corpus_dir, tmp_path, site)
    retitle_related(corpus_dir)
    freeze_dir(corpus_dir, tmp_path, site, incremental=True)
    # A build the spare does not see: the live site moves on, the spare stays where it was.
    spare = spare_mod.spare_path(site)
    kept = tmp_path / "kept-spare"
    spare.rename(kept)
    retitle_to_new_letter(corpus_dir)
    freeze_dir(corpus_dir, tmp_path, site, incremental=True)
    shutil.rmtree(spare)
    kept.rename(spare)  # two builds behind the new one; same search bundle as the live site
    shutil.rmtree(spare / "pagefind")
    shutil.copytree(site / "pagefind", spare / "pagefind", copy_function=os.link)
    delete_article(corpus_dir)
    summary = freeze_dir(corpus_dir, tmp_path, site, incremental=True)
    assert summary["method"] == "spare" and summary["changed"] == ["bibliotekskort"]
    assert_same_as_full(corpus_dir, tmp_path, site)


def test_a_changed_letter_renders_the_letter_pages_and_the_a_z_index(corpus_dir: Path, tmp_path: Path):
    site = tmp_path / "site"
    freeze_dir(corpus_dir, tmp_path, site)
    assert (site / "sv/a-z/s/index.html").is_file() and not (site / "sv/a-z/b/index.html").exists()
    retitle_to_new_letter(corpus_dir)
    freeze_dir(corpus_dir, tmp_path, site, incremental=True)
    assert not (site / "sv/a-z/s/index.html").exists()  # no Swedish title starts with S any more
    assert "Beställ bibliotekskort" in (site / "sv/a-z/b/index.html").read_text("utf-8")
    assert 'href="/sv/a-z/b/"' in (site / "sv/a-z/index.html").read_text("utf-8")
    assert 'href="/sv/a-z/b/"' in (site / "sv/a-z/a/index.html").read_text("utf-8")  # every letter page links it
    assert_same_as_full(corpus_dir, tmp_path, site)


def test_one_changed_title_renders_only_its_letter_pages(corpus_dir: Path, tmp_path: Path):
    site = tmp_path / "site"
    freeze_dir(corpus_dir, tmp_path, site)
    a_page = (site / "sv/a-z/a/index.html").stat().st_ino
    edit(corpus_dir / "bibliotekskort" / "sv.md", "title: Skaffa", "title: Skaffa ett")
    freeze_dir(corpus_dir, tmp_path, site, incremental=True)
    assert (site / "sv/a-z/a/index.html").stat().st_ino == a_page  # another letter: reused
    assert "Skaffa ett bibliotekskort" in (site / "sv/a-z/s/index.html").read_text("utf-8")
    assert_same_as_full(corpus_dir, tmp_path, site)


def test_a_failed_build_in_the_middle_leaves_the_live_site_and_the_next_build_is_right(
        corpus_dir: Path, tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    freeze_dir(corpus_dir, tmp_path, site)
    retitle_related(corpus_dir)
    freeze_dir(corpus_dir, tmp_path, site, incremental=True)  # now there is a spare
    before = fingerprint(site)
    retitle_to_new_letter(corpus_dir)
    real = freeze._freeze

    def fail_after_patching(app, root, *args, **kwargs):
        assert root == spare_mod.spare_path(site)  # the spare was patched: it fails half-way
        raise BuildError("the freeze failed")

    monkeypatch.setattr(freeze, "_freeze", fail_after_patching)
    with pytest.raises(BuildError, match="the freeze failed"):
        freeze_dir(corpus_dir, tmp_path, site, incremental=True)
    assert fingerprint(site) == before
    monkeypatch.setattr(freeze, "_freeze", real)
    summary = freeze_dir(corpus_dir, tmp_path, site, incremental=True)
    assert summary["method"] == "link"  # the half-patched spare was not used again
    assert_same_as_full(corpus_dir, tmp_path, site)


def test_a_spare_without_its_record_or_with_another_bundle_is_not_patched(corpus_dir: Path, tmp_path: Path):
    site = tmp_path / "site"
    spare = spare_mod.spare_path(site)
    freeze_dir(corpus_dir, tmp_path, site)
    retitle_related(corpus_dir)
    freeze_dir(corpus_dir, tmp_path, site, incremental=True)
    (spare / incremental.MANIFEST).unlink()  # as a build killed while patching leaves it
    retitle_to_new_letter(corpus_dir)
    assert freeze_dir(corpus_dir, tmp_path, site, incremental=True)["method"] == "link"
    assert_same_as_full(corpus_dir, tmp_path, site)
    entry = spare / "pagefind" / "pagefind-entry.json"
    data = entry.read_bytes()
    entry.unlink()
    entry.write_bytes(data)  # the same bytes, but not the live site's file
    delete_article(corpus_dir)
    assert freeze_dir(corpus_dir, tmp_path, site, incremental=True)["method"] == "link"
    assert_same_as_full(corpus_dir, tmp_path, site)


def test_a_full_build_removes_the_spare(corpus_dir: Path, tmp_path: Path):
    site = tmp_path / "site"
    freeze_dir(corpus_dir, tmp_path, site)
    retitle_related(corpus_dir)
    freeze_dir(corpus_dir, tmp_path, site, incremental=True)
    assert spare_mod.spare_path(site).is_dir()
    freeze_dir(corpus_dir, tmp_path, site)
    assert not spare_mod.spare_path(site).exists()


def test_a_title_that_starts_with_no_letter_gets_a_letter_page_too(corpus_dir: Path, tmp_path: Path):
    site = tmp_path / "site"
    freeze_dir(corpus_dir, tmp_path, site)
    edit(corpus_dir / "bibliotekskort" / "sv.md", "title: Skaffa", "title: (Nytt) Skaffa")
    freeze_dir(corpus_dir, tmp_path, site, incremental=True)
    assert "(Nytt) Skaffa bibliotekskort" in (site / "sv/a-z/u0028/index.html").read_text("utf-8")
    assert_same_as_full(corpus_dir, tmp_path, site)
