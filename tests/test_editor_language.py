"""Swedish first (issue 29): the command line speaks the content's language, with the same sentences as the
agent app's "Innehållets hälsa", from one table of problems rendered by the Babel catalogues."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from portal.cli.main import cli
from portal.content import catalogues, problemtext
from portal.content.load import load_corpus
from portal.exceptions import Problem
from tests.test_auth import add_users, login

NO_LOCALE = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}


def break_corpus(corpus_dir: Path) -> None:
    """An unknown category and a link to an id that does not exist, in bygglov."""
    path = corpus_dir / "bygglov" / "sv.md"
    text = path.read_text("utf-8").replace("category: bygga-bo", "category: fritid")
    path.write_text(text + "\nLäs om [förskolan](article:forskoleplatsen).\n", "utf-8")


def check(runner, corpus_dir: Path, *args: str, env: dict[str, str] | None = None):
    return runner.invoke(cli, ["check", "--articles", str(corpus_dir), *args], env={**NO_LOCALE, **(env or {})})


def test_check_speaks_swedish_by_default_for_a_swedish_site(runner, corpus_dir: Path) -> None:
    break_corpus(corpus_dir)
    result = check(runner, corpus_dir)
    assert result.exit_code == 1
    assert "okänd kategori 'fritid'. Kända: bygga-bo, barn-skola, kultur" in result.stdout
    assert ("länken till 'article:forskoleplatsen' pekar på en artikel som inte finns. Menade du 'forskoleplats'? "
            "Kontrollera id:t (mappens namn)") in result.stdout
    assert "varning: review_by" not in result.stdout  # no English left
    assert "is not known" not in result.stdout and "does not exist" not in result.stdout
    assert "artikel/artiklar kontrollerade: 2 fel" in result.stderr


def test_check_speaks_english_with_lang_en_or_an_english_locale(runner, corpus_dir: Path) -> None:
    break_corpus(corpus_dir)
    for args, env in ((["--lang", "en"], {}), ([], {"LANG": "en_GB.UTF-8"}), ([], {"LC_ALL": "en_US.UTF-8"})):
        result = check(runner, corpus_dir, *args, env=env)
        assert "category 'fritid' is not known. Known: bygga-bo, barn-skola, kultur" in result.stdout, (args, env)
        assert "Did you mean 'forskoleplats'?" in result.stdout
        assert "article(s) checked: 2 error(s)" in result.stderr
    # A language without a catalogue (German) falls back to the content's language, not to nothing.
    assert "okänd kategori" in check(runner, corpus_dir, env={"LANG": "de_DE.UTF-8"}).stdout
    # --lang wins over the locale.
    assert "okänd kategori" in check(runner, corpus_dir, "--lang", "sv", env={"LANG": "en_GB.UTF-8"}).stdout


def test_choose_language() -> None:
    choose = catalogues.choose_language
    assert choose(None, "sv", {}) == "sv"
    assert choose(None, "sv", {"LANG": "C.UTF-8"}) == "sv"
    assert choose(None, "sv", {"LANG": "en_US.UTF-8"}) == "en"
    assert choose(None, "sv", {"LANGUAGE": "fi:sv", "LANG": "en_US.UTF-8"}) == "fi"
    assert choose("ar", "sv", {"LANG": "en_US.UTF-8"}) == "ar"
    assert choose(None, "de", {}) == "en"  # no catalogue for the content's language: English
    assert choose("xx", None, {"LANG": "POSIX"}) == "en"


def test_check_json_keeps_the_english_message_and_adds_code_and_text(runner, corpus_dir: Path) -> None:
    break_corpus(corpus_dir)
    rows = json.loads(check(runner, corpus_dir, "--json").stdout)
    row = next(r for r in rows if r["code"] == "choice-unknown")
    assert row["message"].startswith("category 'fritid' is not known")
    assert row["text"].startswith("okänd kategori 'fritid'")


def test_the_health_page_and_the_command_line_say_the_same_sentence(app, corpus_dir: Path, runner) -> None:
    break_corpus(corpus_dir)
    _, problems = load_corpus(corpus_dir)
    wanted = [problemtext.problem_text(p, "sv") for p in problems if p.is_error]
    assert len(wanted) == 2
    add_users(app)
    client = app.test_client()
    assert login(client, "erik", "erik-password-1").status_code == 302
    page = client.get("/agent/reports/content").get_data(as_text=True)
    import html

    shown = html.unescape(page)
    printed = check(runner, corpus_dir).stdout
    for sentence in wanted:
        assert sentence in shown and sentence in printed, sentence


def test_every_problem_code_renders_in_swedish_and_english() -> None:
    for code, message in problemtext.MESSAGES.items():
        names = set(re.findall(r"%\((\w+)\)s", message)) - {"hint"}
        values = {**{name: f"<{name}>" for name in names}, "what": "category", "kind": "list", "suggestion": "w"}
        made = problemtext.problem("a.md", 1, code, **values)
        swedish, english = problemtext.problem_text(made, "sv"), problemtext.problem_text(made, "en")
        assert english == made.message and "%(" not in english, code
        assert "%(" not in swedish and swedish != english, f"{code} has no Swedish text"
        for name in names - {"what", "kind"}:
            assert f"<{name}>" in swedish and f"<{name}>" in english, (code, name)  # every value is shown
        if "%(hint)s" in message:
            assert "Menade du 'w'?" in swedish and "Did you mean 'w'?" in english, code
    assert problemtext.problem_text(Problem("a.md", 1, "no code"), "sv") == "no code"


def test_a_problem_kept_from_an_older_version_still_renders() -> None:
    # the content cache may hold a problem made before a message gained a value: never a crash
    old = Problem("a.md", 1, "old text", code="translation-outdated", params=(("source", "sv.md"),))
    assert "sv.md" in problemtext.problem_text(old, "sv")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_new_prints_in_the_chosen_language(runner, corpus_dir: Path, lang: str) -> None:
    result = runner.invoke(cli, ["new", "simskola", "--articles", str(corpus_dir), "--lang", lang], env=NO_LOCALE)
    assert result.exit_code == 0, result.output
    assert ("Skapade" if lang == "sv" else "Created") in result.stdout
    again = runner.invoke(cli, ["new", "simskola", "--articles", str(corpus_dir), "--lang", lang], env=NO_LOCALE)
    assert again.exit_code != 0
