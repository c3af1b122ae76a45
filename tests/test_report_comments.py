"""`portal report feedback` shows the citizens' comments as stored (redacted), newest first, with --article."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from portal.cli.main import cli
from portal.web.feedbackstore import current_store
from tests.test_editor_language import NO_LOCALE


def test_report_feedback_shows_the_comments_newest_first(client, app, runner, corpus_dir: Path, tmp_path: Path):
    r = client.post("/api/v1/feedback", json={"article": "bygglov", "lang": "sv", "helpful": False,
                                             "comment": "Ring mig på 070-123 45 67, avgiften står inte"})
    assert r.status_code == 201
    with app.app_context():
        store = current_store()
        store.add_feedback("forskoleplats", "en", True, "Clear, thanks",
                           now=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
        store.add_feedback("bygglov", "sv", True, "", now=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
        store.add_feedback("bygglov", "en", False, "Which form?", now=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    base = ["report", "feedback", "--articles", str(corpus_dir), "--data-dir", str(tmp_path / "data")]

    out = json.loads(runner.invoke(cli, [*base, "--json"], env=NO_LOCALE).stdout)
    said = [(c["article"], c["comment"]) for c in out["comments"]]
    assert said == [("bygglov", "Ring mig på [telefon], avgiften står inte"), ("forskoleplats", "Clear, thanks"),
                    ("bygglov", "Which form?")]  # newest first; the empty answer is no comment
    assert all("070" not in c for _, c in said)

    only = json.loads(runner.invoke(cli, [*base, "--json", "--article", "bygglov"], env=NO_LOCALE).stdout)
    assert [c["comment"] for c in only["comments"]] == ["Ring mig på [telefon], avgiften står inte", "Which form?"]
    assert [row["key"] for row in only["rows"]] == ["bygglov"]

    printed = runner.invoke(cli, [*base, "--article", "bygglov"], env=NO_LOCALE)
    assert printed.exit_code == 0, printed.output
    lines = printed.stdout.splitlines()
    start = lines.index("Kommentarer, nyaste först (2)")
    assert "bygglov  sv  nej: Ring mig på [telefon], avgiften står inte" in lines[start + 1]
    assert "bygglov  en  nej: Which form?" in lines[start + 2]
    english = runner.invoke(cli, [*base, "--lang", "en"], env=NO_LOCALE).stdout
    assert "Comments, newest first (3)" in english and "forskoleplats  en  yes: Clear, thanks" in english

    unknown = runner.invoke(cli, [*base, "--article", "finns-inte"], env=NO_LOCALE)
    assert unknown.exit_code == 2 and "artikeln 'finns-inte' finns inte" in unknown.output
