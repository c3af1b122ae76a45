"""The agent app: search page (with and without JavaScript), article view, reports, headers."""

from __future__ import annotations

import ast
import re
import sqlite3
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from portal.build import stages
from portal.content import problemtext
from portal.exceptions import Problem
from tests.test_auth import add_users, csrf, login


@pytest.fixture
def agent(app):
    """A client logged in as an agent."""
    add_users(app)
    client = app.test_client()
    assert login(client).status_code == 302
    return client


@pytest.fixture
def editor(app):
    """A client logged in as an editor."""
    add_users(app)
    client = app.test_client()
    assert login(client, "erik", "erik-password-1").status_code == 302
    return client


def text(r) -> str:
    return r.get_data(as_text=True)


def plain(r) -> str:
    """The page's text without tags (highlights split titles into several elements)."""
    return re.sub(r"<[^>]+>", "", text(r))


def test_search_page_without_javascript(agent):
    page = text(agent.get("/agent/?q=bygglov"))
    assert 'id="q"' in page and 'value="bygglov"' in page
    assert "<mark>" in page and "Ansöka om bygglov" in plain(agent.get("/agent/?q=bygglov"))
    assert "E-tjänst" in page and "Svenska" in page and "Bygga och bo" in page
    assert "Granskas senast 2027-06-30" in page
    assert "/agent/article/bygglov?lang=sv" in page


def test_search_json_as_you_type(agent):
    r = agent.get("/agent/search.json?q=byggl&prefix=1")
    data = r.get_json()
    assert r.status_code == 200 and data["count"] >= 1
    assert "bygglov" in data["html"] and "<mark>" in data["html"]
    assert r.headers["Cache-Control"] == "private, no-store"


def test_results_show_internal_hits_and_badges(agent):
    page = text(agent.get("/agent/?q=rutin"))
    assert "MARKER-INTERNAL-ARTICLE-TITLE-1d8b" in page and "Intern" in page
    assert "Intern anteckning:" in page  # the bygglov hit matched in its internal note
    page = text(agent.get("/agent/?q=simskola"))
    assert "Utkast" in page
    page = text(agent.get("/agent/?q=förskola"))
    assert "Granskning försenad (2020-01-31)" in page


def test_suggestion_and_no_results(agent):
    page = text(agent.get("/agent/?q=bygglv"))
    assert "Menade du:" in page
    page = text(agent.get("/agent/?q=qwzxv"))
    assert "Inga träffar" in page


def test_filters(agent):
    assert "bygglov" not in text(agent.get("/agent/?q=ansöka&category=barn-skola")).split('id="results"')[1]
    assert "/agent/article/bygglov" in text(agent.get("/agent/?q=ansöka&answer_group=bbmt"))
    assert "/agent/article/hemlig-rutin" not in text(agent.get("/agent/?q=rutin&audience=public"))
    assert "Apply for a building permit" in plain(agent.get("/agent/?q=building+permit&lang=en"))
    # unknown filter values are dropped, not errors
    assert agent.get("/agent/?q=bygglov&category=nope&lang=xx&audience=zz").status_code == 200


def test_query_is_escaped(agent):
    page = text(agent.get("/agent/?q=<script>alert(1)</script>"))
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_article_view(agent):
    page = text(agent.get("/agent/article/bygglov?lang=en"))
    assert "Apply for a building permit" in page
    assert "MARKER-INTERNAL-NOTE-7f3a" in page  # internal notes
    assert "MARKER-ANSWERGROUP-NAME-5e1c" in page and "Byggnadsnämnden" in page and "Rådgivning" in page
    assert "MARKER-OWNER-2b7d@testby.se" in page and "2027-06-30" in page
    assert 'value="https://www.testby.se/en/bygglov/"' in page  # public link to copy
    assert 'value="https://e.testby.se/bygglov"' in page  # e-service link to copy
    assert page.count('class="copy-btn') == 2
    assert "/agent/article/bygglov/internal/checklista.txt" in page
    assert "/agent/article/forskoleplats?lang=en" in page  # related
    langs = page.split('id="lang-h"')[1].split("</section>")[0]
    assert "källspråk" in langs and "översatt" in langs


def test_article_badges_and_fallback(agent):
    page = text(agent.get("/agent/article/hemlig-rutin"))
    assert "Intern artikel" in page and "ingen publik länk" in page
    page = text(agent.get("/agent/article/utkast-artikel"))
    assert "Utkast – inte publicerad" in page
    page = text(agent.get("/agent/article/bibliotekskort?lang=en"))
    assert "Finns inte på English" in page and "saknas" in page
    assert agent.get("/agent/article/bygglov-ansokan").status_code == 200  # an old id
    assert agent.get("/agent/article/nope").status_code == 404


def test_internal_attachment_download(agent):
    r = agent.get("/agent/article/bygglov/internal/checklista.txt")
    assert r.status_code == 200 and b"MARKER-INTERNAL-ATTACHMENT-3c9e" in r.data
    assert "attachment" in r.headers["Content-Disposition"] and r.headers["Cache-Control"] == "private, no-store"
    r.close()
    for bad in ("../sv.md", "..%2Fsv.md", "nope.txt", "../../site.yml"):
        assert agent.get(f"/agent/article/bygglov/internal/{bad}").status_code == 404


def test_strict_csp_and_no_inline_code(agent):
    for url in ("/agent/?q=bygglov", "/agent/article/bygglov", "/agent/login"):
        r = agent.get(url)
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        page = text(r)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert "<style" not in page and " style=" not in page, url


def test_agent_pages_send_no_referer_and_public_pages_only_the_origin(agent, client):
    for url in ("/agent/?q=bygglov", "/agent/article/bygglov", "/agent/login"):
        r = agent.get(url)
        assert r.headers["Referrer-Policy"] == "no-referrer", url
        if r.status_code == 200:
            assert '<meta name="referrer" content="no-referrer">' in text(r), url
    assert client.get("/sv/bygglov/").headers["Referrer-Policy"] == "strict-origin"
    assert client.get("/api/v1/search?q=bygglov").headers["Referrer-Policy"] == "strict-origin"


def test_low_result_searches_are_logged_redacted(agent, editor, tmp_path):
    agent.get("/agent/?q=qwzxv 19850615-1234")
    db = tmp_path / "data" / "searchlog.sqlite3"
    rows = sqlite3.connect(db).execute("SELECT query, lang, searches, zero, max_hits FROM search_counts").fetchall()
    assert rows == [("qwzxv [personnummer]", "sv", 1, 1, 0)]
    assert b"19850615" not in db.read_bytes()
    page = text(editor.get("/agent/reports/searches"))
    assert "qwzxv [personnummer]" in page and "19850615" not in page


def test_typing_is_one_logged_search(agent, tmp_path):
    for typed in ("zq", "zqx", "zqxw", "zqxwv"):
        agent.get(f"/agent/search.json?q={typed}")  # as you type: not logged
    agent.get("/agent/search.json?q=zqxwv&prefix=0&log=1")  # the agent settled on it
    rows = sqlite3.connect(tmp_path / "data" / "searchlog.sqlite3").execute(
        "SELECT query, searches FROM search_counts").fetchall()
    assert rows == [("zqxwv", 1)]


def test_report_needs_editor(agent, editor):
    assert agent.get("/agent/reports/searches").status_code == 403
    r = editor.get("/agent/reports/searches?days=abc")
    assert r.status_code == 200 and "Sökningar utan eller med få svar" in text(r)


def test_logout_button_present(agent):
    page = text(agent.get("/agent/"))
    assert 'action="/agent/logout"' in page and csrf(agent, "/agent/") in page


def test_content_health_page(agent, editor):
    assert agent.get("/agent/reports/content").status_code == 403
    agent.get("/agent/?q=qwzxv")  # a zero-result search shows up next to the content
    page = text(editor.get("/agent/reports/content"))
    assert "Innehållets hälsa" in page
    assert "Ansöka om plats i förskola" in page  # review overdue (2020-01-31)
    # the check's problems, on the page, in Swedish (the terminal's `portal check` keeps English)
    assert "granskningsdatumet review_by 2020-01-31 har passerat" in page
    assert "has passed" not in page and "Varning: " in page and "Warning" not in page
    assert "qwzxv" in page


def test_every_coded_problem_is_translated_and_extracted(app):
    """Each problem code has a Swedish text in the catalogue, and pybabel's extraction (babel.cfg) finds
    its message id: an id passed to gettext through a variable would silently stay English."""
    root = Path(__file__).resolve().parents[1]
    with open(root / "translations" / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    extracted = {m[2] for m in extract_from_dir(str(root), method_map, options_map)}
    params = (("old", "x"), ("other", "y"), ("id", "z"), ("date", "2020-01-31"), ("source", "sv.md"),
              ("revision", "abc1234"), ("name", "info.html"), ("type", ".html"), ("allowed", "PDF"))
    for code in problemtext.MESSAGES:
        problem = Problem("a.md", 1, "ENGLISH", code=code, params=params)
        text_sv = problemtext.problem_text(problem)
        assert text_sv != "ENGLISH" and "%(" not in text_sv, code
        assert problemtext.problem_text(problem, "en") != text_sv, f"{code} has no Swedish translation"
    assert problemtext.problem_text(Problem("a.md", 1, "no code")) == "no code"
    tree = ast.parse(Path(problemtext.__file__).read_text("utf-8"))
    ids = [c.args[0].value for c in ast.walk(tree) if getattr(getattr(c, "func", None), "id", "") == "N_"]
    assert len(ids) > len(problemtext.MESSAGES) and all(i in extracted for i in ids)


def test_expired_and_scheduled_articles_are_flagged(agent, app, corpus_dir):
    path = corpus_dir / "bibliotekskort" / "sv.md"
    path.write_text(path.read_text("utf-8").replace("category: kultur", "category: kultur\nexpires: 2026-01-01"))
    stages.index_content(corpus_dir, app.config["INDEX_DIR"])  # `portal index`: the views follow the index
    page = text(agent.get("/agent/article/bibliotekskort"))
    assert "Utgången 2026-01-01" in page
    results = text(agent.get("/agent/?q=bibliotekskort"))
    assert "Utgången 2026-01-01" in results


def test_filters_list_every_key_with_its_name(agent):
    page = text(agent.get("/agent/?q=bygglov&category=kultur&audience=internal"))
    assert '<option value="kultur" selected>Kultur och fritid</option>' in page
    assert '<option value="bbmt">MARKER-ANSWERGROUP-NAME-5e1c</option>' in page  # agents see routing names
    assert '<option value="utbildning">Utbildningsförvaltningen</option>' in page
    assert '<option value="internal" selected>Interna</option>' in page


def test_agent_404_is_swedish_in_the_agent_layout(agent, client):
    """Unknown articles, attachments and agent URLs: a Swedish page in the agent layout, status 404."""
    for url in ("/agent/article/nope", "/agent/article/bygglov/internal/nope.txt", "/agent/no/such-page.txt"):
        r = agent.get(url)
        page = text(r)
        assert r.status_code == 404, url
        assert "Sidan finns inte" in page and 'lang="sv"' in page and "agent.css" in page, url
        assert "Not Found" not in page and "Logga ut" in page, url
    r = client.get("/agent/no/such-page.txt")  # not logged in: the same page, without the menu
    assert r.status_code == 404 and "Sidan finns inte" in text(r) and "Logga ut" not in text(r)


def test_login_methods_shown_by_name(agent):
    page = plain(agent.get("/agent/article/bygglov"))
    assert "Inloggning: BankID, Freja eID+" in page
    assert "bankid, freja" not in page


def test_typo_while_typing_finds_the_corrected_hits(agent):
    """As you type, an unknown (mistyped) last word is corrected at once: no zero-hit answer first."""
    data = agent.get("/agent/search.json?q=bygglv&prefix=1").get_json()
    assert data["count"] >= 1 and data["suggestion"] == "bygglov"
    assert "Inga träffar" not in data["html"] and "Menade du" in data["html"]
    # a word still being typed that the index completes is not "corrected"
    data = agent.get("/agent/search.json?q=byggl&prefix=1").get_json()
    assert data["count"] >= 1 and data["suggestion"] is None


def test_the_agent_is_told_when_no_hit_is_a_sure_answer(agent):
    sure = plain(agent.get("/agent/?q=hur+ansöker+jag+om+bygglov"))
    assert "Säkert svar" in sure and "Vi hittade inget säkert svar" not in sure
    question = "/agent/?q=vad+kostar+ett+nytt+pass+hos+polisen"
    unsure = plain(agent.get(question))
    assert "Vi hittade inget säkert svar" in unsure and "Säkert svar" not in unsure
    assert "Kontaktcenter:" in unsure and 'class="hits"' in text(agent.get(question))  # the hits still show
    data = agent.get("/agent/search.json?q=vad+kostar+ett+nytt+pass+hos+polisen&prefix=0").get_json()
    assert data["mode"] == "hybrid" and data["answered"] == 0 and data["count"] > 0
    assert agent.get("/agent/search.json?q=byggl&prefix=1").get_json()["mode"] == "lexical"
