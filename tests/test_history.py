"""Each article's history from git, two versions compared, "Nytt och ändrat" and its read marks (issue 29), over a
real git repository with commits by different people on different days (a folder renamed with redirect_from among
them); none of it on the public site."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from portal import create_app
from portal.content.changelog import read_changelog
from portal.render.textdiff import diff_texts
from portal.web.changesread import ReadMarks
from portal.web.database import Database
from tests.conftest import CORPUS, MARKERS, TODAY
from tests.test_auth import FAST

FEE_OLD, FEE_NEW = "Avgiften är 1 200 kronor.", "Avgiften är 1 500 kronor."
SIMSKOLA = """---
title: Anmäla barn till simskola
summary: Anmäl ditt barn till kommunens simskola på sommaren.
category: kultur
answer_group: bas
---
Simskolan är för barn från fem år.
"""


def git_env(folder: Path, author: str, when: str) -> dict[str, str]:
    """Who commits in *folder*, and when (ISO time)."""
    email = author.lower().replace(" ", ".") + "@testby.se"
    return {"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": author,
            "GIT_COMMITTER_EMAIL": email, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when,
            "HOME": str(folder), "PATH": "/usr/bin:/bin"}


def commit(folder: Path, author: str, when: str, message: str) -> str:
    """Commit everything in *folder* as *author* at *when* (ISO time); return the commit id."""
    env = git_env(folder, author, when)
    for args in (["add", "-A"], ["commit", "-q", "-m", message]):
        subprocess.run(["git", "-C", str(folder), *args], check=True, env=env, capture_output=True)
    return subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


def make_repo(tmp: Path) -> tuple[Path, dict[str, str]]:
    """The test corpus with a history: bygglov first committed as bygglov-ansokan, renamed, its fee raised, its
    English text and notes changed; a new article and a changed one in the last week."""
    articles = tmp / "articles"
    shutil.copytree(CORPUS, articles)
    subprocess.run(["git", "init", "-q", "-b", "main", str(articles)], check=True)
    (articles / "bygglov").rename(articles / "bygglov-ansokan")
    edit(articles / "bygglov-ansokan" / "sv.md", "redirect_from: [bygglov-ansokan]\n", "")
    edit(articles / "bygglov-ansokan" / "sv.md", "Läs också om", f"{FEE_OLD}\n\nLäs också om")
    (articles / "bygglov-ansokan" / "karta.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")  # not text
    shas = {"first": commit(articles, "Test Person", "2026-10-01T10:00:00+02:00", "Innehållet")}
    (articles / "bygglov-ansokan").rename(articles / "bygglov")
    edit(articles / "bygglov" / "sv.md", "review_by:", "redirect_from: [bygglov-ansokan]\nreview_by:")
    shas["rename"] = commit(articles, "Anna Lind", "2026-10-28T09:00:00+01:00", "Byt namn till bygglov")
    edit(articles / "bygglov" / "sv.md", FEE_OLD, FEE_NEW)
    shas["fee"] = commit(articles, "Anna Lind", "2026-11-18T14:00:00+01:00",
                         "Höjd avgift för bygglov\n\nBeslut i byggnadsnämnden 2026-11-12.")
    edit(articles / "bygglov" / "internal.md", "\n", "\nNy rutin från november: hänvisa till handläggaren.\n")
    (articles / "bygglov" / "en.md").write_text((articles / "bygglov" / "en.md").read_text("utf-8") + "\nMore.\n",
                                                "utf-8")
    shas["notes"] = commit(articles, "Erik Ek", "2026-11-20T11:00:00+01:00", "Engelska och rutinen")
    (articles / "simskola").mkdir()
    (articles / "simskola" / "sv.md").write_text(SIMSKOLA, "utf-8")
    edit(articles / "forskoleplats" / "sv.md", "\n---\n", "\n---\nDu kan ansöka när som helst på året.\n\n")
    shas["new"] = commit(articles, "Sara Holm", "2026-11-22T16:00:00+01:00", "Ny artikel om simskola")
    return articles, shas


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    return make_repo(tmp_path_factory.mktemp("history"))


def make_app(articles: Path, tmp: Path, **config):
    app = create_app({"TESTING": True, "ARTICLES_DIR": articles, "INDEX_DIR": tmp / "index", "TODAY": TODAY.isoformat(),
                      "SECRET_KEY": "test-secret", "DATA_DIR": tmp / "data", **config})
    app.config["USERS"] = {name: {"role": role, "hash": generate_password_hash(f"{name}-password-1", method=FAST)}
                           for name, role in (("anna", "agent"), ("erik", "editor"))}
    return app


def logged_in(app, name: str = "anna"):
    client = app.test_client()
    page = client.get("/agent/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/agent/login", data={"username": name, "password": f"{name}-password-1", "csrf_token": token})
    assert r.status_code == 302
    return client


@pytest.fixture(scope="module")
def app(repo, tmp_path_factory):
    return make_app(repo[0], tmp_path_factory.mktemp("history-app"))


@pytest.fixture(scope="module")
def agent(app):
    return logged_in(app)


def text(r) -> str:
    return r.get_data(as_text=True)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


# --- the history as read from git ---------------------------------------------------------------------------------

def test_the_history_follows_a_renamed_folder_and_caches_by_commit(repo, tmp_path):
    articles, shas = repo
    log = read_changelog(articles, tmp_path / "cache")
    changes = log.changes(["bygglov", "bygglov-ansokan"])
    assert [c.commit.sha for c in changes] == [shas["notes"], shas["fee"], shas["rename"], shas["first"]]
    assert [c.commit.author for c in changes] == ["Erik Ek", "Anna Lind", "Anna Lind", "Test Person"]
    assert changes[1].commit.subject == "Höjd avgift för bygglov"
    assert changes[1].commit.body == "Beslut i byggnadsnämnden 2026-11-12."
    moved = {f.path: f for f in changes[2].files}  # one change for the move, not a delete and an add
    assert moved["en.md"].status == "R" and moved["en.md"].old == moved["en.md"].new
    assert moved["sv.md"].status == "R" and moved["sv.md"].old != moved["sv.md"].new  # moved and changed
    assert {f.path for f in changes[0].files} == {"en.md", "internal.md"}
    assert (tmp_path / "cache" / "git-changelog.pickle").is_file()
    again = read_changelog(articles, tmp_path / "cache")
    assert again.key == log.key and again.changes(["bygglov", "bygglov-ansokan"]) == changes
    since = dt.datetime(2026, 11, 19, tzinfo=dt.UTC)
    assert [c.sha for _, c in again.commits_since(since)] == [shas["new"], shas["notes"]]


def test_after_new_commits_only_they_are_read_and_the_history_equals_a_full_read(tmp_path, monkeypatch):
    articles, shas = make_repo(tmp_path)
    cache = tmp_path / "cache"
    read_changelog(articles, cache)
    edit(articles / "bygglov" / "sv.md", FEE_NEW, "Avgiften är 1 700 kronor.")
    commit(articles, "Karin Berg", "2026-11-23T09:00:00+01:00", "Ny avgift")
    asked = []
    real_run = subprocess.run

    def spy(args, *a, **kw):
        asked.append(args)
        return real_run(args, *a, **kw)

    monkeypatch.setattr(subprocess, "run", spy)
    step = read_changelog(articles, cache)
    logs = [a for a in asked if "log" in a]  # the changes and the parents, of the new commit only
    assert len(logs) == 2 and all(f"{shas['new']}.." in " ".join(log) for log in logs)
    monkeypatch.undo()
    full = read_changelog(articles)
    assert step.commits == full.commits and step.folders == full.folders
    assert [c.commit.subject for c in step.changes(["bygglov", "bygglov-ansokan"])][:2] == [
        "Ny avgift", "Engelska och rutinen"]
    # history rewritten (an amended commit): not a continuation, read in full
    subprocess.run(["git", "-C", str(articles), "-c", "user.name=K", "-c", "user.email=k@testby.se", "commit", "-q",
                    "--amend", "-m", "Ny avgift, rättad"], check=True, capture_output=True)
    again = read_changelog(articles, cache)
    assert again.commits[0].subject == "Ny avgift, rättad" and len(again.commits) == len(full.commits)


def test_outside_git_there_is_no_history(tmp_path):
    shutil.copytree(CORPUS, tmp_path / "articles")
    assert read_changelog(tmp_path / "articles", tmp_path / "cache") is None


def test_a_changed_sentence_shows_as_the_words_that_changed():
    diff = diff_texts(f"# Bygglov\n\n{FEE_OLD}\nRing oss.\n", f"# Bygglov\n\n{FEE_NEW}\nRing oss.\n")
    pieces = [(p.kind, p.text) for h in diff.hunks for p in h.pieces]
    assert ("del", "200") in pieces and ("ins", "500") in pieces
    assert (diff.words_added, diff.words_removed) == (1, 1)
    assert not diff_texts("same\n", "same\n").changed


# --- the pages ------------------------------------------------------------------------------------------------------

def test_the_article_shows_its_latest_changes_and_links_the_history(agent):
    page = text(agent.get("/agent/article/bygglov"))
    assert "Senaste ändringar" in page and "Höjd avgift för bygglov" in page and "Erik Ek" in page
    assert 'href="/agent/article/bygglov/history"' in page


def test_the_history_lists_every_commit_with_author_date_and_languages(agent, repo):
    shas = repo[1]
    r = agent.get("/agent/article/bygglov/history")
    page = text(r)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "private, no-store"
    for subject in ("Engelska och rutinen", "Höjd avgift för bygglov", "Byt namn till bygglov", "Innehållet"):
        assert subject in page
    assert page.index("Engelska och rutinen") < page.index("Innehållet")  # newest first
    assert "Anna Lind" in page and "Test Person" in page and "2026-11-18" in page
    assert "Interna anteckningar" in page and "English" in page and "Beslut i byggnadsnämnden" in page
    assert f"/agent/article/bygglov/diff?to={shas['fee']}&amp;from={shas['rename']}" in page
    assert text(agent.get("/agent/article/bygglov-ansokan/history")) == page  # the old id leads to the same


def test_the_difference_between_two_versions_is_marked_for_eyes_and_ears(agent, repo):
    shas = repo[1]
    page = text(agent.get(f"/agent/article/bygglov/diff?from={shas['rename']}&to={shas['fee']}"))
    assert re.search(r"<del><span class=\"visually-hidden\">\[Borttaget: </span>200<span", page)
    assert re.search(r"<ins><span class=\"visually-hidden\">\[Tillagt: </span>500<span", page)
    assert "Höjd avgift för bygglov" in page and "Engelska och rutinen" not in page
    # the two given the other way round: the same comparison
    assert text(agent.get(f"/agent/article/bygglov/diff?from={shas['fee']}&to={shas['rename']}")) == page
    notes = text(agent.get(f"/agent/article/bygglov/diff?from={shas['fee']}&to={shas['notes']}"))
    assert "Interna anteckningar" in notes and "Ny rutin från november" in notes and "More." in notes
    whole = text(agent.get(f"/agent/article/bygglov/diff?to={shas['first']}"))
    assert "karta.png" in whole and "inte text" in whole  # a binary attachment: not compared word by word


def test_no_git_process_per_request(agent, repo, monkeypatch):
    agent.get("/agent/article/bygglov/history")  # the history of this view of the content, loaded once
    started = []
    real = subprocess.Popen.__init__

    def counting(self, args, *a, **kw):
        started.append(args)
        real(self, args, *a, **kw)

    monkeypatch.setattr(subprocess.Popen, "__init__", counting)
    shas = repo[1]
    for url in ("/agent/article/bygglov", "/agent/article/bygglov/history", "/agent/changes?days=30",
                f"/agent/article/bygglov/diff?from={shas['first']}&to={shas['notes']}"):
        assert agent.get(url).status_code == 200, url
    assert not started


def test_unknown_versions_are_a_clear_400(agent, repo):
    for query in ("?to=abc", "?to=" + "0" * 40, f"?from=x&to={repo[1]['fee']}", f"?to={repo[1]['new']}"):
        r = agent.get("/agent/article/bygglov/diff" + query)
        assert r.status_code == 400 and "Okänd version" in text(r), query
    assert agent.get("/agent/article/no-such/history").status_code == 404


def test_whats_new_lists_the_period_by_answer_group(agent, repo):
    page = text(agent.get("/agent/changes?days=7"))
    assert "Nytt och ändrat" in page
    titles = re.findall(r'<h2 id="item-([a-z0-9-]+)"', page)
    assert titles == ["simskola", "forskoleplats", "bygglov"]  # the latest change first
    item = page[page.index('id="item-simskola"'):page.index('id="item-forskoleplats"')]
    assert ">Ny<" in item and "Sara Holm" in item and "Ny artikel om simskola" in item
    item = page[page.index('id="item-bygglov"'):]
    assert ">Ändrad<" in item and "Interna anteckningar" in item and "Svenska" in item
    assert f"diff?to={repo[1]['notes']}&amp;from={repo[1]['rename']}" in item  # from before the period
    only = text(agent.get("/agent/changes?days=7&answer_group=bbmt"))
    assert re.findall(r'<h2 id="item-([a-z0-9-]+)"', only) == ["bygglov"]
    month = text(agent.get("/agent/changes?days=30&answer_group=bbmt"))
    assert "Byt namn till bygglov" in month and f"from={repo[1]['first']}" in month
    assert text(agent.get("/agent/changes?days=7&answer_group=nonsense")).count('<h2 id="item-') == 3


def test_marks_read_per_user_and_all_at_once(app, repo):
    anna, erik = logged_in(app, "anna"), logged_in(app, "erik")
    page = text(anna.get("/agent/changes?days=7"))
    r = anna.post("/agent/changes/read", data={"article": "bygglov", "revision": repo[1]["notes"], "days": "7",
                                               "csrf_token": csrf_of(page)})
    assert r.status_code == 303 and r.headers["Location"].endswith("/agent/changes?days=7#item-bygglov")
    page = text(anna.get("/agent/changes?days=7"))
    assert "3 artiklar, 2 olästa" in page
    assert re.findall(r'<h2 id="item-([a-z0-9-]+)"', text(anna.get("/agent/changes?days=7&show=unread"))) == [
        "simskola", "forskoleplats"]
    assert "3 artiklar, 3 olästa" in text(erik.get("/agent/changes?days=7"))  # read marks are per user
    anna.post("/agent/changes/read", data={"all": "1", "days": "7", "csrf_token": csrf_of(page)})
    assert "3 artiklar, 0 olästa" in text(anna.get("/agent/changes?days=7"))
    anna.post("/agent/changes/read", data={"article": "simskola", "unread": "1", "days": "7",
                                           "csrf_token": csrf_of(page)})
    assert "3 artiklar, 1 oläst" in text(anna.get("/agent/changes?days=7"))
    bad = anna.post("/agent/changes/read", data={"article": "nope", "revision": "x", "csrf_token": csrf_of(page)})
    assert bad.status_code == 400
    assert anna.post("/agent/changes/read", data={"article": "bygglov"}).status_code == 400  # no CSRF token


def test_an_article_changed_after_it_was_read_is_unread_again(tmp_path):
    articles, _shas = make_repo(tmp_path)
    app = make_app(articles, tmp_path)
    anna = logged_in(app)
    page = text(anna.get("/agent/changes?days=7"))
    anna.post("/agent/changes/read", data={"all": "1", "days": "7", "csrf_token": csrf_of(page)})
    edit(articles / "bygglov" / "sv.md", FEE_NEW, "Avgiften är 1 600 kronor.")
    commit(articles, "Anna Lind", "2026-11-23T08:00:00+01:00", "Avgiften igen")
    later = logged_in(make_app(articles, tmp_path))  # a new view of the content (as after portal index)
    page = text(later.get("/agent/changes?days=7&show=unread"))
    assert re.findall(r'<h2 id="item-([a-z0-9-]+)"', page) == ["bygglov"] and "Avgiften igen" in page


def test_a_merge_request_merged_later_is_news_when_it_was_merged(tmp_path):
    articles, _shas = make_repo(tmp_path)
    subprocess.run(["git", "-C", str(articles), "checkout", "-q", "-b", "lanekort"], check=True)
    path = articles / "bibliotekskort" / "sv.md"
    path.write_text(path.read_text("utf-8") + "\nLånekortet är gratis.\n", "utf-8")
    commit(articles, "Karin Berg", "2026-11-10T10:00:00+01:00", "Lånekortet kostar inget")  # before the 7 days
    subprocess.run(["git", "-C", str(articles), "checkout", "-q", "main"], check=True)
    subprocess.run(["git", "-C", str(articles), "merge", "-q", "--no-ff", "lanekort", "-m", "Merge branch 'lanekort'"],
                   check=True, env=git_env(articles, "Sara Holm", "2026-11-21T12:00:00+01:00"))
    page = text(logged_in(make_app(articles, tmp_path)).get("/agent/changes?days=7"))
    item = page[page.index('id="item-bibliotekskort"'):]
    assert "Lånekortet kostar inget" in item and "2026-11-10" in item and "(sammanfogad 2026-11-21)" in item


def test_without_git_the_pages_say_so(tmp_path):
    shutil.copytree(CORPUS, tmp_path / "articles")
    anna = logged_in(make_app(tmp_path / "articles", tmp_path))
    for url in ("/agent/changes", "/agent/article/bygglov/history", "/agent/article/bygglov/diff"):
        r = anna.get(url)
        assert r.status_code == 200 and "inte ett git-arkiv" in text(r), url
    assert "inte ett git-arkiv" in text(anna.get("/agent/article/bygglov"))


def test_no_history_or_edit_link_on_the_public_pages(app, repo):
    client = app.test_client()
    for url in ("/sv/bygglov/", "/en/bygglov/", "/sv/", "/sv/a-z/", "/api/v1/articles/bygglov?lang=sv"):
        body = text(client.get(url))
        for leak in ("Höjd avgift", "Anna Lind", "/history", "/diff", "Redigera", "bygglov/sv.md", *MARKERS):
            assert leak not in body, (url, leak)


@pytest.mark.parametrize("url", ["sqlite", "postgres"])
def test_read_marks_on_sqlite_and_postgresql(url, tmp_path, request):
    db = Database(tmp_path / "marks.sqlite3" if url == "sqlite" else request.getfixturevalue("postgres_url"))
    marks = ReadMarks(db)
    assert marks.read("anna") == {}
    assert marks.mark("anna", [("bygglov", "a" * 40), ("simskola", "b" * 40)]) == 2
    marks.mark("anna", [("bygglov", "c" * 40)])  # read again after a change: one row, the newer commit
    marks.mark("erik", [("bygglov", "a" * 40)])
    assert marks.read("anna") == {"bygglov": "c" * 40, "simskola": "b" * 40}
    assert marks.unmark("anna", "simskola") and not marks.unmark("anna", "simskola")
    assert marks.read("anna") == {"bygglov": "c" * 40} and marks.read("erik") == {"bygglov": "a" * 40}
    assert marks.mark("anna", []) == 0
    db.run("DELETE FROM change_reads")
    db.drop()


def test_shallow_and_partial_clones_say_what_is_missing(repo, tmp_path):
    source, shas = repo[0], repo[1]
    subprocess.run(["git", "-C", str(source), "config", "uploadpack.allowFilter", "true"], check=True)
    shallow, partial = tmp_path / "shallow", tmp_path / "partial"
    for target, args in ((shallow, ["--depth", "2"]), (partial, ["--filter=blob:none"])):
        subprocess.run(["git", "clone", "-q", *args, f"file://{source}", str(target)], check=True, capture_output=True)
    anna = logged_in(make_app(shallow, tmp_path / "a"))
    page = text(anna.get("/agent/article/bygglov/history"))
    assert "grund kopia" in page and "Engelska och rutinen" in page and "Innehållet" not in page
    anna = logged_in(make_app(partial, tmp_path / "b"))
    page = text(anna.get(f"/agent/article/bygglov/diff?from={shas['first']}&to={shas['fee']}"))
    assert anna.get("/agent/article/bygglov/history").status_code == 200
    assert "finns inte i serverns kopia av git-arkivet" in page  # the old blobs were never fetched


def test_the_benchmark_runs_on_small_content(tmp_path):
    import json
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, str(root / "bench" / "history_bench.py"), str(tmp_path), "--articles", "20",
                           "--commits", "20", "--requests", "2"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["history"]["commits"] == 21 and result["app"]["git processes during the requests"] == 0
