"""Closing the loop for editors: agents' error reports (made, listed, closed by hand or by a change), the
agents' copied e-service links counted, and the per-article figures in the agent app and `portal report`."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from werkzeug.security import generate_password_hash

from portal.cli.main import cli
from portal.web import searchlog
from portal.web.feedbackstore import current_store
from tests.test_agent import agent, editor  # noqa: F401 - fixtures
from tests.test_auth import FAST, add_users, csrf, login


def text(r) -> str:
    return r.get_data(as_text=True)


def report(client, article="bygglov", what="Avgiften är fel, den höjdes i år", suggestion=""):
    token = csrf(client, f"/agent/article/{article}")
    return client.post(f"/agent/article/{article}/report",
                       data={"what": what, "suggestion": suggestion, "csrf_token": token})


def open_reports(app, **kw):
    with app.app_context():
        return current_store().reports(**kw)


def owner_client(app):
    """A client logged in as the owner of bygglov (the part of its owner's e-mail address before the @)."""
    add_users(app)
    app.config["USERS"]["marker-owner-2b7d"] = {"role": "agent",
                                                 "hash": generate_password_hash("owner-password-1", method=FAST)}
    client = app.test_client()
    assert login(client, "marker-owner-2b7d", "owner-password-1").status_code == 302
    return client


def commit_change(folder, path, old, new):
    file = folder / path
    file.write_text(file.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    env = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.se", "GIT_COMMITTER_NAME": "T",
           "GIT_COMMITTER_EMAIL": "t@example.se", "HOME": str(folder), "PATH": "/usr/bin:/bin"}
    for args in (["add", "-A"], ["commit", "-q", "-m", "change"]):
        subprocess.run(["git", "-C", str(folder), *args], check=True, env=env, capture_output=True)


# --- error reports --------------------------------------------------------------------------------------------

def test_an_agent_reports_an_error_which_reaches_the_owner_redacted(agent, app):  # noqa: F811
    page = text(agent.get("/agent/article/bygglov"))
    assert 'action="/agent/article/bygglov/report"' in page and "Inga öppna felrapporter" in page
    r = report(agent, what="Fel avgift; den som ringde, 19800101-1234, fick fel svar", suggestion="Ny taxa <b>2027</b>")
    assert r.status_code == 302 and r.headers["Location"].endswith("/agent/article/bygglov?reported=1#report-h")
    [stored] = open_reports(app)
    assert (stored.article, stored.reporter, stored.owner) == ("bygglov", "anna", "MARKER-OWNER-2b7d@testby.se")
    assert "1234" not in stored.what and "[personnummer]" in stored.what
    page = text(agent.get("/agent/article/bygglov?reported=1"))
    assert "Rapporten har skickats till MARKER-OWNER-2b7d@testby.se" in page
    assert "Ny taxa &lt;b&gt;2027&lt;/b&gt;" in page and "<b>2027" not in page
    listing = text(agent.get("/agent/reports/errors"))
    assert "Fel avgift" in listing and "MARKER-OWNER-2b7d@testby.se" in listing
    # an agent who does not own the article may not close it, so no button for them
    assert "Markera som åtgärdad" not in listing


@pytest.mark.parametrize(("what", "message"), [("", "Skriv vad som är fel"), ("x" * 2001, "Texten är för lång")])
def test_an_empty_or_too_long_report_is_refused_with_a_message(agent, app, what, message):  # noqa: F811
    r = report(agent, what=what)
    assert r.status_code == 302 and "report_error=" in r.headers["Location"]
    page = text(agent.get(r.headers["Location"]))
    assert message in page and 'aria-invalid="true"' in page
    assert open_reports(app) == []


def test_reports_need_a_login_and_a_csrf_token(client, agent, app):  # noqa: F811
    for path in ("/agent/reports/errors", "/agent/reports/feedback"):
        r = client.get(path)
        assert r.status_code == 302 and "/agent/login" in r.headers["Location"]
    token = csrf(client)  # a valid form token from the login page, but nobody logged in
    for path in ("/agent/article/bygglov/report", "/agent/article/bygglov/start", "/agent/reports/errors/1/done"):
        r = client.post(path, data={"what": "x", "csrf_token": token})
        assert r.status_code == 302 and "/agent/login" in r.headers["Location"], path
    assert agent.post("/agent/article/bygglov/report", data={"what": "x"}).status_code == 400
    assert agent.post("/agent/article/bygglov/start").status_code == 400
    assert open_reports(app) == []


def test_an_unknown_article_cannot_be_reported(agent):  # noqa: F811
    token = csrf(agent, "/agent/article/bygglov")
    assert agent.post("/agent/article/finns-inte/report", data={"what": "x", "csrf_token": token}).status_code == 404


def test_the_owner_or_an_editor_closes_a_report_and_others_cannot(agent, editor, app):  # noqa: F811
    report(agent)
    report(agent, what="Länken till taxan är trasig")
    first, second = sorted(r.id for r in open_reports(app))
    token = csrf(agent, "/agent/reports/errors")
    assert agent.post(f"/agent/reports/errors/{first}/done", data={"csrf_token": token}).status_code == 403
    owner = owner_client(app)
    listing = text(owner.get("/agent/reports/errors?owner=mine"))
    assert "Markera som åtgärdad" in listing and "Länken till taxan" in listing
    mine = "/agent/reports/errors?owner=mine"
    r = owner.post(f"/agent/reports/errors/{first}/done",
                   data={"csrf_token": csrf(owner, "/agent/reports/errors"), "next": mine})
    assert r.status_code == 302 and r.headers["Location"].endswith(mine)
    r = editor.post(f"/agent/reports/errors/{second}/done",
                    data={"csrf_token": csrf(editor, "/agent/reports/errors"), "next": "https://evil.example/"})
    assert r.status_code == 302 and "evil" not in r.headers["Location"]
    assert open_reports(app) == []
    closed = text(editor.get("/agent/reports/errors?closed=1"))
    assert "åtgärdad av marker-owner-2b7d" in closed and "åtgärdad av erik" in closed
    assert editor.post("/agent/reports/errors/999/done",
                       data={"csrf_token": csrf(editor, "/agent/reports/errors")}).status_code == 404


def test_a_report_closes_by_itself_when_the_article_changes_in_git(agent, app, corpus_dir):  # noqa: F811
    app.config["RELOAD_CONTENT"] = True
    app.extensions["portal"].reload = True
    report(agent)
    report(agent, article="forskoleplats", what="Kön är längre nu")
    text(agent.get("/agent/reports/errors"))
    assert len(open_reports(app)) == 2  # nothing changed yet: nothing closes
    commit_change(corpus_dir, "bygglov/sv.md", "\n---\n", "\n---\nNy mening om avgiften.\n")
    listing = text(agent.get("/agent/reports/errors?closed=1"))
    assert "artikeln ändrades" in listing
    assert [r.article for r in open_reports(app)] == ["forskoleplats"]


# --- e-service starts by agents ----------------------------------------------------------------------------------

def test_an_agents_copied_e_service_link_counts_as_an_agent_start(agent, app):  # noqa: F811
    page = text(agent.get("/agent/article/bygglov"))
    button = re.search(r'<button[^>]*data-copy="copy-eservice"[^>]*>', page).group(0)
    count_url = re.search(r'data-count="([^"]+)"', button).group(1)
    token = re.search(r'data-csrf="([^"]+)"', button).group(1)
    r = agent.post(count_url, data={"lang": "en"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 204
    with app.app_context():
        assert current_store().figures()["bygglov"].starts == {"agent": 1}
    no_eservice = agent.post("/agent/article/hemlig-rutin/start", headers={"X-CSRF-Token": token})
    assert no_eservice.status_code == 404


# --- the figures ---------------------------------------------------------------------------------------------------

def seed(app):
    with app.app_context():
        store = current_store()
        for _ in range(3):
            store.add_feedback("forskoleplats", "sv", True)
        store.add_feedback("bygglov", "sv", False, "<script>alert(1)</script> oklart")
        store.add_feedback("bygglov", "en", True)
        store.add_start("bygglov", "sv", "web")
        store.add_start("bygglov", "sv", "web")
        store.add_start("bygglov", "sv", "agent")
        log = searchlog.current_log()
        for _ in range(4):
            log.record("parkeringstillstånd för rörelsehindrade", "sv", 0)


def test_the_editors_figures_page_sorts_what_to_fix_first(agent, editor, app):  # noqa: F811
    seed(app)
    report(agent, article="forskoleplats", what="Fel telefonnummer")
    assert agent.get("/agent/reports/feedback").status_code == 403
    page = text(editor.get("/agent/reports/feedback"))
    order = [page.index(s) for s in ('href="/agent/article/forskoleplats"', "parkeringstillstånd för rörelsehindrade",
                                     'href="/agent/article/bygglov"')]
    assert order == sorted(order), "forskoleplats (an open report: 5) before the search (4) before bygglov (2 + 1)"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert '<svg role="img"' in page and 'class="bar-yes"' in page and "1 ja, 1 nej" in page
    totals = re.search(r"<dt>Svar</dt><dd>(\d+)</dd>", page).group(1)
    assert totals == "5"


def test_portal_report_feedback_and_errors_on_the_command_line(agent, app, runner, corpus_dir, tmp_path):  # noqa: F811
    seed(app)
    report(agent, what="Fel avgift")
    data = str(tmp_path / "data")
    r = runner.invoke(cli, ["report", "feedback", "--articles", str(corpus_dir), "--data-dir", data, "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert [row["key"] for row in out["rows"]] == ["bygglov", "parkeringstillstånd för rörelsehindrade",
                                                    "forskoleplats"]
    first = out["rows"][0]
    assert (first["yes"], first["no"], first["open_reports"], first["starts"]) == (1, 1, 1, {"web": 2, "agent": 1})
    assert first["score"] == 5 + 2 + 1 and out["totals"]["starts"] == {"web": 2, "agent": 1}
    r = runner.invoke(cli, ["report", "feedback", "--articles", str(corpus_dir), "--data-dir", data, "--lang", "en"])
    assert r.exit_code == 0 and "██████████░░░░░░░░░░" in r.output and "4 time(s) without a hit" in r.output
    r = runner.invoke(cli, ["report", "errors", "--articles", str(corpus_dir), "--data-dir", data, "--lang", "en"])
    assert r.exit_code == 0 and "Fel avgift" in r.output and "0 closed now" in r.output
    report_id = re.search(r"#(\d+)", r.output).group(1)
    r = runner.invoke(cli, ["report", "errors", "--articles", str(corpus_dir), "--data-dir", data, "--done", report_id])
    assert r.exit_code == 0 and open_reports(app) == []
    r = runner.invoke(cli, ["report", "errors", "--articles", str(corpus_dir), "--data-dir", data, "--done", report_id,
                            "--lang", "en"])
    assert r.exit_code == 1 and "no open report" in r.output
    r = runner.invoke(cli, ["report", "--articles", str(corpus_dir), "--data-dir", data, "--lang", "en"])
    assert r.exit_code == 0 and "What came back in the last 30 day(s)" in r.output
    r = runner.invoke(cli, ["report", "--articles", str(corpus_dir), "--data-dir", data],
                      env={"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"})
    assert "Det som kom in de senaste 30 dagarna" in r.output and "Granskning försenad, per ägare" in r.output


def test_the_command_line_closes_reports_whose_article_changed(agent, app, runner, corpus_dir, tmp_path):  # noqa: F811
    report(agent)
    commit_change(corpus_dir, "bygglov/en.md", "\n---\n", "\n---\nA new sentence.\n")
    r = runner.invoke(cli, ["report", "errors", "--articles", str(corpus_dir), "--data-dir", str(tmp_path / "data"),
                            "--all", "--lang", "en"])
    assert r.exit_code == 0 and "1 closed now" in r.output and "(changed)" in r.output


def test_agents_see_open_reports_in_the_results_and_atop_the_article(agent, app, monkeypatch):  # noqa: F811
    assert "Felrapporterad" not in agent.get("/agent/search.json?q=bygglov").get_json()["html"]
    report(agent)
    results = agent.get("/agent/search.json?q=bygglov").get_json()["html"]
    assert "Felrapporterad (1)" in results
    assert "Felrapporterad (1)" in text(agent.get("/agent/?q=bygglov"))  # without JavaScript too
    page = text(agent.get("/agent/article/bygglov"))
    assert '<a class="badge badge-warn" href="#report-h"' in page and "1 öppen felrapport: läs" in page

    def broken(self):
        raise OSError("the database is down")

    monkeypatch.setattr("portal.web.feedbackstore.Store.reported_articles", broken)
    r = agent.get("/agent/search.json?q=bygglov")
    assert r.status_code == 200 and r.get_json()["count"] >= 1  # the search never fails for a badge
