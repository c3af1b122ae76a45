"""`portal new` scaffolding and the content-health report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from portal.content.health import content_health, format_text
from portal.content.load import load_corpus
from portal.content.scaffold import new_article
from portal.exceptions import PortalError
from portal.site import pipeline
from tests.conftest import TODAY


def test_new_article_is_valid_draft(corpus_dir: Path) -> None:
    corpus, _ = load_corpus(corpus_dir)
    path = new_article(corpus_dir, "simskola", corpus.site, title="Anmäla barn till simskola",
                       category="kultur", today=TODAY)
    text = path.read_text("utf-8")
    assert path == corpus_dir / "simskola" / "sv.md"
    assert "title: Anmäla barn till simskola" in text and "status: draft" in text
    assert "# Category (one of: bygga-bo, barn-skola, kultur)" in text
    text = text.replace("url: https://\n", "url: https://e.testby.se/simskola\n")
    path.write_text(text, "utf-8")
    corpus, problems = load_corpus(corpus_dir)
    assert [str(p) for p in problems if p.is_error] == []
    assert corpus.articles["simskola"].status == "draft"


@pytest.mark.parametrize(("article_id", "message"), [("Simskola", "not a valid id"), ("search", "reserved"),
                                                     ("bygglov", "already exists")])
def test_new_article_refuses(corpus_dir: Path, article_id: str, message: str) -> None:
    corpus, _ = load_corpus(corpus_dir)
    with pytest.raises(PortalError, match=message):
        new_article(corpus_dir, article_id, corpus.site)


def test_health_report(corpus_dir: Path) -> None:
    corpus, _ = pipeline.load(corpus_dir)
    h = content_health(corpus, TODAY, zero_results=[("simskola", 4)])
    assert h.overdue == {"MARKER-OWNER-9a1f@testby.se": ["forskoleplats"]}
    assert h.overdue_by_department == {"utbildning": ["forskoleplats"]}
    assert h.missing_translations == {"en": ["bibliotekskort"], "ar": ["bibliotekskort", "forskoleplats"]}
    assert h.without_eservice == ["bibliotekskort"]
    assert h.orphans == ["bibliotekskort"]  # featured articles count as linked
    assert h.drafts == ["utkast-artikel"]
    text = format_text(h, corpus)
    assert "Review overdue, by owner (1)" in text and "   4× simskola" in text


def test_health_due_soon_and_expired(corpus_dir: Path) -> None:
    corpus, _ = pipeline.load(corpus_dir)
    corpus.articles["bygglov"].review_by = TODAY + dt.timedelta(days=10)
    corpus.articles["bibliotekskort"].expires = TODAY
    h = content_health(corpus, TODAY)
    assert h.due_soon == {"MARKER-OWNER-2b7d@testby.se": ["bygglov"]}
    assert h.expired == ["bibliotekskort"]
