"""Markdown rendering: article links by id, sanitising of hostile HTML, pathological input."""

from __future__ import annotations

import time
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.render.markdown import Renderer, html_to_text

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[klicka](javascript:alert(1))",
    "[klicka](JaVaScRiPt:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<svg onload=alert(1)></svg>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<object data=x></object><embed src=x>",
    "<form action=https://evil.example><input name=pnr></form>",
    "![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<div onclick=\"alert(1)\">x</div>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<base href=\"https://evil.example/\">",
    "<meta http-equiv=refresh content=\"0;url=https://evil.example\">",
    "<style>body{display:none}</style>",
]
FORBIDDEN = ("<script", "onerror", "onload", "onclick", "javascript:", "vbscript:", "<iframe", "<svg", "style=",
             "<object", "<embed", "<form", "<input", "data:text/html", "<base", "<meta", "<style")


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_html_is_removed(source: str) -> None:
    out = Renderer().render(f"Text före.\n\n{source}\n\nText efter.", "sv").lower()
    for bad in FORBIDDEN:
        assert bad not in out, (source, out)
    assert "text före" in out and "text efter" in out


def test_article_links_resolve_per_language() -> None:
    r = Renderer()
    out = r.render("Läs om [bygglov](article:bygglov#avgift) och [x](article:saknas).", "en",
                   lambda i, lang: f"/{lang}/{i}/" if i == "bygglov" else None)
    assert '<a href="/en/bygglov/#avgift"' in out
    assert "<span>x</span>" in out and "article:" not in out


def test_headings_demoted_below_the_title_and_given_ids() -> None:
    out = Renderer().render("# Rubrik\n\n## Så gör du\n", "sv")
    assert "<h1" not in out and '<h2 id="rubrik">Rubrik</h2>' in out and "Så gör du" in out


def test_tables_and_lists_survive() -> None:
    out = Renderer().render("| a | b |\n|---|---|\n| 1 | 2 |\n\n1. ett\n2. två\n", "sv")
    assert "<table>" in out and "<ol>" in out


@pytest.mark.parametrize("source", [
    ">" * 20000 + " djup\n",
    "".join("  " * i + "- a\n" for i in range(3000)),
    "[" * 20000 + "x" + "]" * 20000,
    "[a](<" * 5000,
    "<" * 50000,
    "*_" * 30000,
    "<div>" * 5000,
    "[\n" * 20000,
])
def test_pathological_input_finishes_quickly(source: str) -> None:
    start = time.monotonic()
    out = Renderer().render(source, "sv")
    assert time.monotonic() - start < 10
    assert isinstance(out, str)


def test_html_to_text() -> None:
    assert html_to_text("<p>Hej&amp;hå</p><ul><li>ett</li><li>två</li></ul>") == "Hej&hå ett två"


PIECES = st.sampled_from([*"<>[]()!*_`#-:/\"'=& \nabjs", "javascript:", "<script>", "onerror=", "article:",
                          "](", "<a href=", "<img src=x "])


class _Attrs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, max_size=80).map("".join))
def test_any_markdown_renders_safely(source: str) -> None:
    parser = _Attrs()
    parser.feed(Renderer().render(source, "sv"))
    for tag, attrs in parser.tags:
        assert tag not in ("script", "iframe", "style", "object", "embed", "svg")
        for name, value in attrs:
            assert not name.startswith("on")
            if name in ("href", "src"):
                assert not (value or "").strip().lower().startswith(("javascript:", "vbscript:", "data:"))


def test_relative_links_in_internal_notes_get_the_agent_base() -> None:
    out = Renderer().render("[lista](internal/lista.md) [pdf](./karta.pdf) [w](https://x.se) [a](#x)", "sv",
                            base="/agent/article/bygglov/")
    assert 'href="/agent/article/bygglov/internal/lista.md"' in out
    assert 'href="/agent/article/bygglov/karta.pdf"' in out
    assert 'href="https://x.se"' in out and 'href="#x"' in out


def test_public_relative_links_stay_relative() -> None:
    assert 'href="ritning.pdf"' in Renderer().render("[r](ritning.pdf)", "sv")
