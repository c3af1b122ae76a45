"""Edit links (issue 29): site.yml's edit_url checked with file and line, "Redigera" in the agent app for the language
shown and the internal notes, never on the public site; and the CI example editors are pointed to."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from portal.cli.main import cli
from portal.content.editlink import valid_edit_url
from portal.content.siteconfig import load_site
from tests.conftest import CORPUS
from tests.test_agent import agent  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parent.parent
EDITOR = "https://git.testby.se/MARKER-EDITOR-5d2e/-/edit/main/articles/"


def text(r) -> str:
    return r.get_data(as_text=True)


def site_with(tmp_path: Path, edit_url: str) -> tuple[object, list]:
    folder = tmp_path / "content"
    folder.mkdir()
    source = (CORPUS / "site.yml").read_text("utf-8")
    (folder / "site.yml").write_text(re.sub(r"  edit_url: .*", f"  edit_url: {edit_url}", source), "utf-8")
    problems: list = []
    return load_site(folder, problems), problems


@pytest.mark.parametrize("url", [
    "http://git.testby.se/edit/main/{path}",          # not https
    "https://git.testby.se/edit/main/articles/",      # no {path}
    "https://git.testby.se/{path}/{path}",            # twice
    "https://git.testby.se/edit/{branch}/{path}",     # another placeholder
    "'https://git.testby.se/e\"x/{path}'",            # a quote that would end the link
    "https://anna@git.testby.se/{path}",              # a user name in the address
    "https:///{path}",                                # no host
])
def test_a_malformed_edit_url_is_an_error_with_file_and_line(tmp_path, url):
    site, problems = site_with(tmp_path, url)
    assert site is None or not site.edit_url  # the rest of site.yml is still read: one run, every problem
    [problem] = [p for p in problems if p.code == "edit-url"]
    assert problem.path.endswith("site.yml") and problem.line == 5 and problem.is_error
    assert "{path}" in problem.message and "https://" in problem.message


def test_the_swedish_message_says_what_to_write(tmp_path):
    from portal.content.problemtext import problem_line

    _site, problems = site_with(tmp_path, "http://git.testby.se/edit/main/{path}")
    [problem] = [p for p in problems if p.code == "edit-url"]
    swedish = problem_line(problem, "sv")
    assert swedish.startswith(f"{problem.path}:5: site.edit_url ska vara https://")
    assert "{path}" in swedish and "webbredigerare" in swedish and "http://git.testby.se" in swedish


def test_valid_edit_urls():
    for url in ("https://gitlab.example.se/kommun/innehall/-/edit/main/articles/{path}",
                "https://github.com/kommun/innehall/edit/main/{path}",
                "https://forgejo.example.se/kommun/innehall/_edit/main/articles/{path}"):
        assert valid_edit_url(url), url


def test_agents_get_redigera_for_the_language_shown_and_the_notes(agent):  # noqa: F811
    page = text(agent.get("/agent/article/bygglov"))
    assert f'href="{EDITOR}bygglov/sv.md"' in page and ">Redigera<" in page
    assert f'href="{EDITOR}bygglov/internal.md"' in page
    assert f'href="{EDITOR}bygglov/en.md"' in text(agent.get("/agent/article/bygglov?lang=en"))
    # no Arabic text: the Swedish one shown, and its file linked
    assert f'href="{EDITOR}forskoleplats/sv.md"' in text(agent.get("/agent/article/forskoleplats?lang=ar"))
    assert "internal.md" not in text(agent.get("/agent/article/forskoleplats"))  # it has no notes


def test_no_redigera_without_an_editor(agent, app):  # noqa: F811
    with app.app_context():
        from portal.web.state import get_state

        get_state().corpus().site.edit_url = ""
    page = text(agent.get("/agent/article/bygglov"))
    assert "Redigera" not in page and "git.testby.se" not in page


def test_no_edit_link_or_file_path_on_the_public_pages(client):
    for url in ("/sv/bygglov/", "/en/bygglov/", "/ar/bygglov/", "/sv/", "/sv/a-z/", "/sv/search/",
                "/api/v1/articles/bygglov?lang=sv", "/api/v1/articles"):
        body = text(client.get(url))
        for leak in ("git.testby.se", "MARKER-EDITOR", "Redigera", "bygglov/sv.md", "/edit/"):
            assert leak not in body, (url, leak)


def test_the_ci_example_is_yaml_and_runs_real_commands():
    docs = list(yaml.safe_load_all((ROOT / "docs" / "ci-example.yml").read_text("utf-8")))
    gitlab, github = [d for d in docs if d]
    assert {"check", "preview", "publish"} <= gitlab.keys()
    assert gitlab["preview"]["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
    assert {"on", "jobs"} <= github.keys() or {True, "jobs"} <= github.keys()  # YAML 1.1 reads `on` as true
    scripts = " ".join(" ".join(job.get("script", [])) for job in gitlab.values() if isinstance(job, dict))
    scripts += " " + " ".join(step.get("run", "") for job in github["jobs"].values() for step in job["steps"])
    commands = set(re.findall(r"\bportal ([a-z-]+)", scripts))
    assert {"check", "build"} <= commands
    assert commands <= set(cli.commands), commands - set(cli.commands)
