"""Easy-read Swedish (lättläst): lattlast.md beside an article's sv.md is read as a variant of the source language,
checked (errors with file and line, readability hints), flagged when the Swedish text changes, published at its
own address with links both ways, listed, in the sitemap and found by search (preferred when asked for)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from portal.content.load import load_corpus
from portal.content.model import EASY_READ
from portal.content.readability import MAX_WORDS, easy_read_hints, lix, sentences
from portal.search.easyread import asks_easy_read
from portal.site import pipeline
from portal.web.state import get_state
from tests.conftest import CORPUS, MARKERS, TODAY
from tests.test_gitinfo import edit, git, repo

SAMPLE = Path(__file__).resolve().parents[1] / "articles"
EASY_FRONT = "---\ntitle: Bygglov\nsummary: Du behöver bygglov.\n---\n"


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def copy_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "articles"
    shutil.copytree(CORPUS, root)
    return root


# --- content and checks -----------------------------------------------------------------------------------------

def test_easy_read_is_a_swedish_variant_of_the_article() -> None:
    corpus, problems = load_corpus(CORPUS, TODAY)
    assert corpus is not None
    bygglov = corpus.articles["bygglov"]
    assert bygglov.easy is not None and bygglov.easy.lang == "sv"
    assert bygglov.easy.title == "Bygglov – lov att bygga"
    assert EASY_READ not in bygglov.versions and bygglov.texts[EASY_READ] is bygglov.easy
    assert bygglov.self_service_in(bygglov.easy).label == "Ansök om bygglov här"  # its own label
    assert not [p for p in problems if "lattlast" in p.path and p.is_error]
    assert corpus.articles["bibliotekskort"].easy is None


def test_errors_in_an_easy_read_file_name_file_and_line(tmp_path: Path) -> None:
    root = copy_corpus(tmp_path)
    (root / "bygglov" / "lattlast.md").write_text(
        "---\ntitle: Bygglov\nsummary: Du behöver bygglov.\ncategory: bygga-bo\n---\nText.\n", "utf-8")
    (root / "forskoleplats" / "lattlast.md").write_text("---\ntitle: Förskola\n---\nText.\n", "utf-8")
    (root / "bibliotekskort" / "lattlast.md").write_text("Ingen front matter.\n", "utf-8")
    _, problems = load_corpus(root, TODAY)
    shown = [f"{p.path}:{p.line}: {p.message}" for p in problems if p.is_error]
    assert any(re.search(r"bygglov/lattlast\.md:4: unknown key 'category'", s) for s in shown), shown
    assert any(re.search(r"forskoleplats/lattlast\.md:\d+: 'summary' is required", s) for s in shown), shown
    assert any("bibliotekskort/lattlast.md:1:" in s for s in shown), shown


def test_easy_read_without_a_source_file_is_an_error(tmp_path: Path) -> None:
    root = copy_corpus(tmp_path)
    (root / "ny-artikel").mkdir()
    (root / "ny-artikel" / "lattlast.md").write_text(EASY_FRONT + "Text.\n", "utf-8")
    _, problems = load_corpus(root, TODAY)
    assert any(p.path.endswith("ny-artikel/lattlast.md") and p.is_error and "sv.md" in p.message for p in problems)


def test_readability_hints_are_warnings_on_the_lines_they_are_about(tmp_path: Path) -> None:
    root = copy_corpus(tmp_path)
    long = " ".join(["ord"] * (MAX_WORDS + 5)) + "."
    (root / "bygglov" / "lattlast.md").write_text(EASY_FRONT + "Kort mening.\n\n" + long + "\n", "utf-8")
    _, problems = load_corpus(root, TODAY)
    hints = [p for p in problems if p.path.endswith("bygglov/lattlast.md")]
    assert [(p.line, p.code, p.is_error) for p in hints] == [(7, "easy-read-sentence", False)]
    assert f"{MAX_WORDS + 5} words" in hints[0].message
    hard = ("Kommunfullmäktiges förvaltningsorganisation beslutade beträffande byggnadsnämndens "
            "delegationsordning avseende bygglovshandläggningen.\n")
    (root / "bygglov" / "lattlast.md").write_text(EASY_FRONT + hard, "utf-8")
    _, problems = load_corpus(root, TODAY)
    lix_hints = [p for p in problems if p.path.endswith("bygglov/lattlast.md") and p.code == "easy-read-lix"]
    assert len(lix_hints) == 1 and lix_hints[0].line == 2 and not lix_hints[0].is_error


def test_sentences_and_lix() -> None:
    text = "## Så gör du\n\nDu ringer oss. Vi svarar!\n\n1. Logga in\n2. Skicka [ansökan](https://e.se/a).\n"
    found = sentences(text, 10)
    assert [(s.line, s.words) for s in found] == [
        (10, ("Så", "gör", "du")), (12, ("Du", "ringer", "oss")), (12, ("Vi", "svarar")),
        (14, ("Logga", "in")), (15, ("Skicka", "ansökan"))]
    assert lix(sentences("Katten sitter. Hunden springer.")) == pytest.approx(2 + 100 * 1 / 4)
    assert lix([]) == 0.0


def test_the_sample_easy_read_texts_are_easy_to_read() -> None:
    corpus, problems = load_corpus(SAMPLE)
    assert corpus is not None
    easy = {a.id: a.easy for a in corpus.articles.values() if a.easy is not None and a.audience == "public"}
    assert len(easy) >= 5
    assert set(corpus.site.featured) - {"forskoleplats", "bygglov", "ekonomiskt-bistand", "felanmalan-gata-park",
                                        "parkeringstillstand-rorelsehindrade", "trygghetslarm"} == set()
    assert set(corpus.site.featured) <= set(easy)  # the most used e-services have one
    for aid, version in easy.items():
        assert easy_read_hints(version, aid) == [], aid  # no long sentence, LIX under the limit
        ordinary = corpus.articles[aid].source
        assert lix(sentences(version.body)) < lix(sentences(ordinary.body)), aid
    assert not [p for p in problems if "lattlast" in p.path]


def test_easy_read_is_outdated_when_the_swedish_text_changes(tmp_path: Path) -> None:
    root = repo(tmp_path)
    corpus, _ = pipeline.load(root)
    assert corpus.articles["bygglov"].easy.outdated is False
    edit(root / "bygglov" / "sv.md", "bygga till", "bygga ut")
    git(root, "commit", "-q", "-am", "source changed", date="2026-02-01")
    corpus, problems = pipeline.load(root)
    assert corpus.articles["bygglov"].easy.outdated is True
    flagged = [p for p in problems if p.path.endswith("bygglov/lattlast.md") and p.code == "easy-read-outdated"]
    assert len(flagged) == 1 and not flagged[0].is_error and "sv.md has changed" in flagged[0].message
    # Written again after the change (a later commit of lattlast.md): current again.
    edit(root / "bygglov" / "lattlast.md", "ditt bygge", "det du bygger")
    git(root, "commit", "-q", "-am", "easy-read updated", date="2026-02-02")
    corpus, _ = pipeline.load(root)
    assert corpus.articles["bygglov"].easy.outdated is False


# --- the public pages --------------------------------------------------------------------------------------------

def test_easy_read_page_is_swedish_marked_and_linked_both_ways(client) -> None:
    easy = page(client, "/sv/bygglov/lattlast/")
    assert '<html lang="sv" dir="ltr">' in easy
    assert '<span class="easy-read-label">Lättläst</span>' in easy
    assert re.search(r'<a href="/sv/bygglov/" hreflang="sv">Läs den vanliga texten</a>', easy)
    assert "<h1 data-pagefind-meta=\"title\">Bygglov – lov att bygga</h1>" in easy
    assert 'data-pagefind-meta="easyread:1"' in easy
    assert '<link rel="canonical" href="https://www.testby.se/sv/bygglov/lattlast/">' in easy
    assert 'hreflang="en" href=' not in easy  # no translation pairs with it
    assert 'href="../ritning.pdf"' in easy  # the attachment beside the article
    assert 'href="/sv/forskoleplats/"' in easy
    assert "Ansök om bygglov här" in easy  # its own e-service label
    ordinary = page(client, "/sv/bygglov/")
    assert re.search(r'<a href="/sv/bygglov/lattlast/" lang="sv" hreflang="sv">.*Lättläst</a>', ordinary)
    assert "/sv/lattlast/" in ordinary  # the header and the footer lead to the easy-read index
    assert "/lattlast/" not in page(client, "/en/bygglov/").replace("/sv/lattlast/", "")


@pytest.mark.parametrize("url", ["/en/bygglov/lattlast/", "/ar/bygglov/lattlast/", "/sv/bibliotekskort/lattlast/",
                                 "/sv/hemlig-rutin/lattlast/", "/sv/utkast-artikel/lattlast/", "/en/lattlast/",
                                 "/sv/nope/lattlast/"])
def test_easy_read_pages_exist_only_for_public_articles_on_the_swedish_site(client, url: str) -> None:
    html = page(client, url, 404)
    assert not any(marker in html for marker in MARKERS)


def test_easy_read_index_and_sitemap(client) -> None:
    index = page(client, "/sv/lattlast/")
    assert "<h1>Lättläst</h1>" in index
    assert re.search(r'<a href="/sv/bygglov/lattlast/">Bygglov – lov att bygga</a>', index)
    assert "utkast" not in index and "hemlig" not in index
    sitemap = page(client, "/sitemap.xml")
    assert "<loc>https://www.testby.se/sv/bygglov/lattlast/</loc>" in sitemap
    assert "<loc>https://www.testby.se/sv/lattlast/</loc>" in sitemap
    assert "hemlig-rutin/lattlast" not in sitemap and "utkast-artikel/lattlast" not in sitemap


def test_the_easy_read_page_says_when_it_may_be_out_of_date(tmp_path: Path) -> None:
    from portal.web.app import create_app

    root = repo(tmp_path)
    edit(root / "bygglov" / "sv.md", "bygga till", "bygga ut")
    git(root, "commit", "-q", "-am", "source changed", date="2026-02-01")
    corpus, _ = pipeline.load(root)
    app = create_app({"TESTING": True, "ARTICLES_DIR": root, "INDEX_DIR": tmp_path / "index", "PUBLIC_CORPUS": corpus,
                      "TODAY": TODAY.isoformat(), "SECRET_KEY": "t", "DATA_DIR": tmp_path / "data"})
    html = page(app.test_client(), "/sv/bygglov/lattlast/")
    assert "Den här lättlästa texten kan vara inaktuell" in html


# --- search ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "rest"), [("lättläst bygglov", "bygglov"), ("Bygglov på lätt svenska", "Bygglov"),
                                             ("lättlästa texter om förskola", "texter om förskola"),
                                             ("lättläst", "lättläst"), ("bygglov", "bygglov"),
                                             ("MARKER-INTERNAL-EASY-READ-5b2e", "MARKER-INTERNAL-EASY-READ-5b2e")])
def test_what_asks_for_easy_read(query: str, rest: str) -> None:
    assert asks_easy_read(query) == (rest, query != rest or query == "lättläst")  # a word of its own only


def test_search_prefers_the_easy_read_text_when_asked(client) -> None:
    asked = client.get("/api/v1/search", query_string={"q": "lättläst bygglov", "lang": "sv"}).get_json()
    first = asked["hits"][0]
    assert (first["id"], first["easy_read"], first["url"]) == ("bygglov", True, "/sv/bygglov/lattlast/")
    assert first["title"] == "Bygglov – lov att bygga"
    plain = client.get("/api/v1/search", query_string={"q": "bygglov", "lang": "sv"}).get_json()
    assert (plain["hits"][0]["url"], plain["hits"][0]["easy_read"]) == ("/sv/bygglov/", False)
    # Another language's search is not sent to a Swedish text.
    english = client.get("/api/v1/search", query_string={"q": "easy read building permit", "lang": "en"}).get_json()
    assert not any(h["easy_read"] for h in english["hits"])


def test_words_only_the_easy_read_text_has_find_the_article(app) -> None:
    assert "grannar" not in (CORPUS / "bygglov" / "sv.md").read_text("utf-8")
    with app.app_context():
        result = get_state().searcher().search("grannarna", "sv", mode="lexical")
    assert [h.id for h in result.hits] == ["bygglov"]


def test_preview_search_page_links_the_easy_read_text(client) -> None:
    html = page(client, "/sv/search/?q=l%C3%A4ttl%C3%A4st+bygglov")
    assert re.search(r'<a href="/sv/bygglov/lattlast/"[^>]*>Bygglov – lov att bygga</a>\s*'
                     r'<span class="badge badge-easy">Lättläst</span>', html)


def test_markers_of_internal_and_draft_easy_read_texts_are_in_the_marker_list() -> None:
    for folder in ("hemlig-rutin", "utkast-artikel"):
        text = (CORPUS / folder / "lattlast.md").read_text("utf-8")
        assert any(m in text for m in MARKERS), folder



def test_agents_see_the_easy_read_text_and_its_state(app) -> None:
    from tests.test_auth import add_users, login

    add_users(app)
    agent = app.test_client()
    assert login(agent).status_code == 302
    html = page(agent, "/agent/article/bygglov")
    assert re.search(r'<a href="/sv/bygglov/lattlast/" class="easy-read">Lättläst</a>\s*– '
                     r'<span class="state state-ok">finns</span>', html)
    assert 'class="easy-read"' not in page(agent, "/agent/article/hemlig-rutin")  # no public page to send
