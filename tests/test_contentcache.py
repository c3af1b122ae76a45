"""The content cache: a load re-reads only changed folders and gives exactly what a load without it gives."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from portal.build import cachedload, contentcache
from portal.build.pagefacts import page_facts
from portal.build.published import PublicSite
from portal.content.crosscheck import facts_of
from portal.site import pipeline
from tests.conftest import TODAY, git_init


def cold(root: Path, today: dt.date = TODAY) -> pipeline.Loaded:
    return pipeline.load_content(root, today)


def cached(root: Path, cache: Path, today: dt.date = TODAY) -> pipeline.Loaded:
    return pipeline.load_content(root, today, cache_dir=cache)


def assert_same(a: pipeline.Loaded, b: pipeline.Loaded) -> None:
    assert a.corpus is not None and b.corpus is not None
    assert a.corpus == b.corpus  # every article, version, rendered HTML, git date and problem list
    assert [str(p) for p in a.problems] == [str(p) for p in b.problems]
    assert a.problems == b.problems
    # What the static build takes of every article: from each load's page facts, and from the articles.
    assert a.pages.keys() == b.pages.keys() == a.facts.keys()
    for loaded in (a, b):
        assert PublicSite.of_loaded(loaded, TODAY) == PublicSite.of_corpus(a.corpus, TODAY)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")
    st = path.stat()  # a later time even on file systems with coarse timestamps
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "index" / contentcache.FOLDER


def test_cached_load_equals_cold_load_and_reads_nothing(corpus_dir: Path, cache: Path) -> None:
    edit(corpus_dir / "bygglov" / "sv.md", "category: bygga-bo", "category: fritid")  # an error to report
    first = cached(corpus_dir, cache)
    assert sorted(first.stats.read) == sorted(p.name for p in corpus_dir.iterdir() if p.is_dir() and p.name != ".git")
    second = cached(corpus_dir, cache)
    assert second.stats.read == [] and second.stats.cached == len(first.stats.read)
    reference = cold(corpus_dir)
    assert any(p.is_error and "bygglov/sv.md" in p.path for p in reference.problems)
    assert_same(reference, first)
    assert_same(reference, second)


def test_one_changed_folder_is_read_alone(corpus_dir: Path, cache: Path) -> None:
    cached(corpus_dir, cache)
    edit(corpus_dir / "bibliotekskort" / "sv.md", "Ta med legitimation.", "Ta med ett foto.")
    again = cached(corpus_dir, cache)
    assert again.stats.read == ["bibliotekskort"]
    assert "foto" in again.corpus.articles["bibliotekskort"].source.text
    assert_same(cold(corpus_dir), again)
    assert cached(corpus_dir, cache).stats.read == []  # the cache now holds the new version


def test_changed_site_yml_reloads_everything(corpus_dir: Path, cache: Path) -> None:
    everything = len(cached(corpus_dir, cache).stats.read)
    with (corpus_dir / "site.yml").open("a", encoding="utf-8") as f:
        f.write("\n# a comment changes nothing, but site.yml changed\n")
    assert len(cached(corpus_dir, cache).stats.read) == everything
    with (corpus_dir / "synonyms.yml").open("a", encoding="utf-8") as f:
        f.write("- [lånekort, bibliotekskort]\n")
    again = cached(corpus_dir, cache)
    assert len(again.stats.read) == everything
    assert_same(cold(corpus_dir), again)


@pytest.mark.parametrize("damage", [b"", b"not a pickle at all", b"\x80\x05garbage", None])
def test_damaged_cache_is_ignored_logged_and_rebuilt(corpus_dir: Path, cache: Path, caplog, damage) -> None:
    cached(corpus_dir, cache)
    shards = sorted([*cache.glob("entries-*.pickle"), *cache.glob("articles-*.pickle")])
    assert shards
    for shard in shards:
        if damage is None:  # a truncated file
            shard.write_bytes(shard.read_bytes()[:-7])
        else:
            shard.write_bytes(damage)
    again = cached(corpus_dir, cache)
    assert_same(cold(corpus_dir), again)
    assert "damaged content cache" in caplog.text
    assert cached(corpus_dir, cache).stats.read == []  # rewritten whole


def test_files_of_the_former_layout_are_removed(corpus_dir: Path, cache: Path) -> None:
    cache.mkdir(parents=True)
    (cache / "shard-00.pickle").write_bytes(b"\x80\x05 a shard of both entries and articles")
    assert_same(cold(corpus_dir), cached(corpus_dir, cache))
    assert not (cache / "shard-00.pickle").exists() and any(cache.glob("entries-*.pickle"))


def test_foreign_cache_is_ignored(corpus_dir: Path, cache: Path, monkeypatch) -> None:
    cached(corpus_dir, cache)
    monkeypatch.setattr(contentcache, "CACHE_SCHEMA", contentcache.CACHE_SCHEMA + 1)
    again = cached(corpus_dir, cache)
    assert len(again.stats.read) == again.stats.folders
    assert_same(cold(corpus_dir), again)


def test_unwritable_cache_folder_only_logs(corpus_dir: Path, tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    loaded = cached(corpus_dir, blocker / "cache")
    assert_same(cold(corpus_dir), loaded)
    assert "content cache" in caplog.text


def test_fresh_clone_same_bytes_new_times_reads_nothing(corpus_dir: Path, cache: Path) -> None:
    cached(corpus_dir, cache)
    for path in corpus_dir.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 3_000_000_000))
    again = cached(corpus_dir, cache)
    assert again.stats.read == []
    assert_same(cold(corpus_dir), again)


def test_link_target_turned_internal_rerenders_the_linking_article(corpus_dir: Path, cache: Path) -> None:
    before = cached(corpus_dir, cache)
    assert 'href="/sv/forskoleplats/"' in before.corpus.articles["bygglov"].source.html
    edit(corpus_dir / "forskoleplats" / "sv.md", "review_by:", "audience: internal\nreview_by:")
    again = cached(corpus_dir, cache)
    assert again.stats.read == ["forskoleplats"] and "bygglov" in again.stats.rerendered
    assert 'href="/sv/forskoleplats/"' not in again.corpus.articles["bygglov"].source.html
    assert_same(cold(corpus_dir), again)


def test_another_day_decides_review_warnings_like_a_cold_load(corpus_dir: Path, cache: Path) -> None:
    cached(corpus_dir, cache, today=dt.date(2020, 1, 1))  # forskoleplats is not yet due for review
    later = cached(corpus_dir, cache, today=TODAY)  # now it is
    assert later.stats.read == ["forskoleplats"]
    assert any("review_by 2020-01-31 has passed" in p.message for p in later.problems)
    assert_same(cold(corpus_dir, TODAY), later)


def test_problem_paths_follow_the_working_folder(corpus_dir: Path, cache: Path, monkeypatch) -> None:
    root = corpus_dir.resolve()
    monkeypatch.chdir(root.parent)
    first = cached(root, cache)
    assert any(p.path.startswith("articles/forskoleplats/") for p in first.problems)
    monkeypatch.chdir(root / "bygglov")
    again = cached(root, cache)
    assert again.stats.read == []
    assert_same(cold(root), again)
    assert str(root / "forskoleplats" / "sv.md") in [p.path for p in again.problems]  # not below: in full


def test_git_dates_follow_new_commits(corpus_dir: Path, cache: Path) -> None:
    cached(corpus_dir, cache)
    assert (cache / "git-history.pickle").is_file()
    edit(corpus_dir / "bygglov" / "sv.md", "bygga till", "bygga ut")
    shutil.rmtree(corpus_dir / ".git")
    git_init(corpus_dir)  # a new HEAD: the history cache must not be used
    again = cached(corpus_dir, cache)
    assert_same(cold(corpus_dir), again)
    (cache / "git-history.pickle").write_bytes(b"broken")
    assert_same(cold(corpus_dir), cached(corpus_dir, cache))


def test_removed_and_added_folders(corpus_dir: Path, cache: Path) -> None:
    cached(corpus_dir, cache)
    shutil.rmtree(corpus_dir / "bibliotekskort")
    shutil.copytree(corpus_dir / "forskoleplats", corpus_dir / "forskoleplats-2")
    again = cached(corpus_dir, cache)
    assert again.stats.read == ["forskoleplats-2"] and again.stats.removed == 1
    assert "bibliotekskort" not in again.corpus.articles
    assert_same(cold(corpus_dir), again)


def test_a_fresh_app_worker_reads_no_unchanged_folder(corpus_dir: Path, tmp_path: Path, monkeypatch) -> None:
    from tests.test_state import make_app

    first = make_app(corpus_dir, tmp_path, reload=False)
    with first.app_context():
        warm = first.extensions["portal"].corpus()
    read: list[str] = []
    real = cachedload.read_article
    monkeypatch.setattr(cachedload, "read_article", lambda folder, *a: read.append(folder.name) or real(folder, *a))
    second = make_app(corpus_dir, tmp_path, reload=False)
    with second.app_context():
        assert second.extensions["portal"].corpus() == warm
    assert read == []


# --- the lazy corpus `portal index` uses: unchanged articles are unpickled only when used --------------------

def lazy_load(root: Path, cache: Path, today: dt.date = TODAY) -> pipeline.Loaded:
    return pipeline.load_content(root, today, cache_dir=cache, lazy=True)


@pytest.fixture
def unpickled(monkeypatch) -> list[str]:
    """The digests of the articles unpickled from the cache (in order)."""
    seen: list[str] = []
    real = cachedload.unpack_article

    def counting(entry, blob):
        seen.append(entry.digest)
        return real(entry, blob)
    monkeypatch.setattr(cachedload, "unpack_article", counting)
    return seen


def test_lazy_load_of_one_edit_unpickles_nothing_and_equals_a_cold_load(corpus_dir: Path, cache: Path,
                                                                         unpickled: list[str]) -> None:
    cached(corpus_dir, cache)
    edit(corpus_dir / "bibliotekskort" / "sv.md", "Ta med legitimation.", "Ta med ett foto.")
    unpickled.clear()
    lazy = lazy_load(corpus_dir, cache)
    assert lazy.stats.read == ["bibliotekskort"] and unpickled == []
    assert "foto" in lazy.corpus.articles["bibliotekskort"].source.text and unpickled == []
    site = PublicSite.of_loaded(lazy, TODAY)  # what an incremental static build needs of every article
    assert len(site) >= 3 and unpickled == []
    assert site["bibliotekskort"].page == page_facts(lazy.corpus.articles["bibliotekskort"])  # read, not unpickled
    reference = cold(corpus_dir)
    assert lazy.facts == {aid: facts_of(a) for aid, a in reference.corpus.articles.items()}
    assert pipeline.content_state(lazy, TODAY) == pipeline.content_state(reference, TODAY)
    assert_same(reference, lazy)  # the comparison unpickles every other article
    assert len(unpickled) == len(reference.corpus.articles) - 1


@pytest.mark.parametrize("how", ["delete", "rename", "turn-internal"])
def test_a_change_in_one_article_breaks_anothers_link(corpus_dir: Path, cache: Path, how: str) -> None:
    cached(corpus_dir, cache)
    if how == "delete":
        shutil.rmtree(corpus_dir / "forskoleplats")
        expected = "the link to 'article:forskoleplats' points to an article that does not exist"
    elif how == "rename":
        (corpus_dir / "forskoleplats").rename(corpus_dir / "forskoleplats-ny")
        expected = "the link to 'article:forskoleplats' points to an article that does not exist"
    else:
        edit(corpus_dir / "forskoleplats" / "sv.md", "review_by:", "audience: internal\nreview_by:")
        expected = "a public article cannot link to the internal article 'forskoleplats'"
    lazy = lazy_load(corpus_dir, cache)
    assert "bygglov" in lazy.stats.rerendered
    assert any(expected in p.message and "bygglov/sv.md" in p.path for p in lazy.problems)
    if how != "turn-internal":
        assert any("related article 'forskoleplats' does not exist" in p.message for p in lazy.problems)
    assert 'href="/sv/forskoleplats/"' not in lazy.corpus.articles["bygglov"].source.html
    reference = cold(corpus_dir)
    assert pipeline.content_state(lazy, TODAY) == pipeline.content_state(reference, TODAY)
    assert_same(reference, lazy)
    assert_same(reference, lazy_load(corpus_dir, cache))  # and again from what the cache now holds


def test_a_new_redirect_claiming_an_existing_id_is_reported_lazily(corpus_dir: Path, cache: Path) -> None:
    cached(corpus_dir, cache)
    edit(corpus_dir / "forskoleplats" / "sv.md", "review_by:", "redirect_from: [bygglov, bygglov-ansokan]\nreview_by:")
    lazy = lazy_load(corpus_dir, cache)
    assert lazy.stats.read == ["forskoleplats"]
    messages = [p.message for p in lazy.problems]
    assert "redirect_from 'bygglov' is the id of an existing article" in messages
    assert any("is also claimed by" in m for m in messages)
    assert_same(cold(corpus_dir), lazy)


def test_lazy_load_after_site_yml_change_reads_everything(corpus_dir: Path, cache: Path) -> None:
    everything = len(cached(corpus_dir, cache).stats.read)
    with (corpus_dir / "site.yml").open("a", encoding="utf-8") as f:
        f.write("\n# a comment changes nothing, but site.yml changed\n")
    lazy = lazy_load(corpus_dir, cache)
    assert len(lazy.stats.read) == everything
    assert_same(cold(corpus_dir), lazy)


def test_lazy_load_follows_new_commits_and_damaged_article_tables(corpus_dir: Path, cache: Path, caplog) -> None:
    cached(corpus_dir, cache)
    edit(corpus_dir / "bygglov" / "sv.md", "bygga till", "bygga ut")
    shutil.rmtree(corpus_dir / ".git")
    git_init(corpus_dir)  # a new HEAD: no git facts of the old one may be used
    assert_same(cold(corpus_dir), lazy_load(corpus_dir, cache))
    for shard in cache.glob("articles-*.pickle"):  # the entries survive, the articles do not
        shard.write_bytes(shard.read_bytes()[:-7])
    lazy = lazy_load(corpus_dir, cache)
    assert lazy.stats.read == []
    assert_same(cold(corpus_dir), lazy)  # every article read again, and kept again
    assert "damaged content cache" in caplog.text
    caplog.clear()
    assert_same(cold(corpus_dir), lazy_load(corpus_dir, cache))
    assert "damaged" not in caplog.text


def test_pickled_lazy_corpus_holds_its_articles(corpus_dir: Path, cache: Path) -> None:
    import pickle

    cached(corpus_dir, cache)
    lazy = lazy_load(corpus_dir, cache)
    again = pickle.loads(pickle.dumps(lazy.corpus))  # noqa: S301 (its own pickle)
    assert isinstance(again.articles, dict) and again == cold(corpus_dir).corpus
