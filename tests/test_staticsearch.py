"""The static search's two Pagefind bundles (portal/build/staticsearch.py): what each one indexes, and their size."""

from __future__ import annotations

import gzip
import html
import json
import os
from pathlib import Path

import pytest

from portal.build import staticlexicon, staticsearch
from portal.exceptions import BuildError
from tests.conftest import build_test_site

SIGNATURE = b"pagefind_dcd"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The test corpus, built once for this module."""
    return build_test_site(tmp_path_factory.mktemp("staticsearch"))


def _unpack(path: Path) -> bytes:
    data = gzip.decompress(path.read_bytes())
    return data[len(SIGNATURE):] if data.startswith(SIGNATURE) else data


def _cbor(b: bytes, i: int = 0):
    """A minimal CBOR decoder: enough for Pagefind's index chunks (ints, strings, arrays)."""
    major, info = b[i] >> 5, b[i] & 31
    i += 1
    if info < 24:
        value = info
    else:
        size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
        value = int.from_bytes(b[i:i + size], "big")
        i += size
    if major == 0:
        return value, i
    if major == 1:
        return -1 - value, i
    if major in (2, 3):
        raw = b[i:i + value]
        return (raw.decode() if major == 3 else raw), i + value
    if major == 4:
        items = []
        for _ in range(value):
            item, i = _cbor(b, i)
            items.append(item)
        return items, i
    raise ValueError(f"unexpected CBOR major type {major}")  # pragma: no cover


def words(bundle: Path, lang: str) -> set[str]:
    """Every word (and every accented form of it) in *bundle*'s word index of *lang*."""
    out: set[str] = set()
    for chunk in (bundle / "index").glob(f"{lang}_*.pf_index"):
        for word in _cbor(_unpack(chunk))[0][0]:
            out.add(word[0])
            out.update(form[0] for form in word[2])
    return out


def fragments(bundle: Path, lang: str) -> dict[str, dict]:
    """*bundle*'s page fragments of *lang* by URL: the indexed text (``content``) and the metadata."""
    frags = (json.loads(_unpack(p)) for p in (bundle / "fragment").glob(f"{lang}_*.pf_fragment"))
    return {f["url"]: f for f in frags}


def test_two_bundles_index_the_same_pages(site: Path):
    # ... but the easy-read texts, which only the full-text bundle has (a search asks it for them).
    small, full = site / "pagefind", site / staticsearch.FULL_SUBDIR
    for lang in ("sv", "en", "ar"):
        easy = {"/sv/bygglov/lattlast/"} if lang == "sv" else set()
        assert set(fragments(small, lang)) == set(fragments(full, lang)) - easy != set(), lang
        assert easy <= set(fragments(full, lang))
        assert "/sv/bygglov/" in fragments(small, "sv")


def test_the_small_bundle_holds_title_summary_keywords_synonyms_and_e_service(site: Path):
    small = site / "pagefind"
    sv = words(small, "sv")
    # Pagefind keeps a word's stem: a word is indexed when a word of the index starts its stem.
    for word in ("bygglov", "ansöka",           # title
                 "skickar", "minst", "innan",   # summaries (metadata)
                 "bygglovsansökan", "byggnadslov", "barnomsorg",  # keywords
                 "dagis", "förskola"):          # a keyword and its synonym group
        assert any(word.startswith(w) for w in sv), word
    page = fragments(small, "sv")["/sv/bygglov/"]
    assert page["meta"]["title"] == "Ansöka om bygglov"
    assert page["meta"]["summary"].startswith("Du behöver bygglov")
    assert page["meta"]["eservice"] == "Ansök om bygglov"
    assert page["meta"]["eservice_url"] == "https://e.testby.se/bygglov"


def test_the_small_bundle_leaves_out_the_body_and_the_full_bundle_has_it(site: Path):
    body_only = "nytt hus"  # in bygglov's body, nowhere in its title, summary or keywords
    small = fragments(site / "pagefind", "sv")["/sv/bygglov/"]["content"]
    full = fragments(site / staticsearch.FULL_SUBDIR, "sv")["/sv/bygglov/"]["content"]
    assert body_only not in small and "Du som vill bygga" not in small
    assert body_only in full
    for word in ("hus", "ritning"):
        assert word not in words(site / "pagefind", "sv")
        assert word in words(site / staticsearch.FULL_SUBDIR, "sv")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_boilerplate_is_in_no_bundle(site: Path, lang: str):
    """What every article repeats (the e-service box, last updated, the translation notices) is not indexed."""
    boilerplate = {"sv": ["Gör det själv", "Du behöver:", "logga in", "öppnas på en annan", "Senast uppdaterad",
                          "Ansvarig", "https://"],
                   "en": ["Do it online", "You need:", "to log in", "opens on another", "Last updated",
                          "Responsible", "not available in", "https://"]}[lang]
    for bundle in (site / "pagefind", site / staticsearch.FULL_SUBDIR):
        pages = fragments(bundle, lang)
        assert f"/{lang}/bygglov/" in pages and f"/{lang}/bibliotekskort/" in pages
        for url, page in pages.items():
            for text in boilerplate:
                assert text not in page["content"], (bundle.name, url, text)


def test_index_chunks_are_small(tmp_path: Path):
    """Pagefind honours the chunk size: 300 pages of 80 words (24,000 positions) are one or two chunks with
    its default of 20,000 positions a chunk, and at least six with ours."""
    vocab = [f"ord{i}" for i in range(400)]
    for n in range(300):
        text = " ".join(vocab[(n * 7 + k * 13) % len(vocab)] for k in range(80))
        page = tmp_path / f"p{n}" / "index.html"
        page.parent.mkdir()
        page.write_text(f"<html lang='sv'><body><main data-pagefind-body><h1>Sida {n}</h1>"
                        f"<div class='article-body'><p>{text}</p></div></main></body></html>")
    staticsearch.run_pagefind(tmp_path)
    chunks = list((tmp_path / staticsearch.FULL_SUBDIR / "index").glob("sv_*.pf_index"))
    assert len(chunks) >= 24_000 // staticsearch.CHUNK_SIZE - 2, len(chunks)


def test_a_failing_pagefind_run_is_a_build_error(tmp_path: Path, monkeypatch):
    (tmp_path / "index.html").write_text("<html lang='sv'><body data-pagefind-body><p>x</p></body></html>")
    monkeypatch.setattr(staticsearch, "SMALL_EXCLUDE", "p:unknown-pseudo(")
    with pytest.raises(BuildError):
        staticsearch.run_pagefind(tmp_path)


def test_the_published_bundle_is_never_written_through(tmp_path: Path):
    """run_pagefind starts from an empty bundle: a file hard-linked from a published site keeps its bytes."""
    site = tmp_path / "site"
    (site / "pagefind").mkdir(parents=True)
    (site / "index.html").write_text("<html lang='sv'><body data-pagefind-body><h1>Hej</h1></body></html>")
    published = tmp_path / "published-pagefind.js"
    published.write_text("the published bundle")
    os.link(published, site / "pagefind" / "pagefind.js")
    staticsearch.run_pagefind(site)
    assert published.read_text() == "the published bundle"
    assert (site / "pagefind" / "pagefind.js").read_text() != "the published bundle"


# --- the lexicons beside the bundles (portal/build/staticlexicon.py) ---------------------------------------------

def lexicon(site: Path, lang: str) -> dict[str, list]:
    """Every word of *lang*'s lexicon with its entry, read through its shard table."""
    folder = site / "pagefind" / staticlexicon.LEXICON_DIR
    table = json.loads((folder / f"{lang}.json").read_text("utf-8"))
    out: dict[str, list] = {}
    for key, name in table["shards"].items():
        shard = json.loads((folder / name).read_text("utf-8"))
        assert all(w.startswith(key) for w in shard), name
        out.update(shard)
    return out


def test_the_lexicon_knows_each_word_and_where_pagefind_has_it(site: Path):
    sv = lexicon(site, "sv")
    assert sv["bygglov"][0] == 1  # in the title: the small bundle has it
    assert sv["ritning"][0] == 0 and sv["ritning"][1] >= 1  # only in the body: the full-text bundle only
    assert "hur" not in sv and "och" not in sv  # stop words are never looked up
    assert "bygglovsansökan" in sv["ansöka"][2].split()  # the compounds a word is a later part of
    assert len(sv["bygglov"]) < 3  # a first part: Pagefind finds bygglovsansökan for bygglov by itself
    # A later part that is on no page by itself: its stem, on no page (0), with the compounds that hold it
    # (and whether the small bundle has one: barnomsorg is a keyword, bibliotekskort in a title).
    assert sv["omsorg"] == [1, 0, "barnomsorg"] and sv["kort"] == [1, 0, "bibliotekskort"]
    assert "ning" not in sv and "tion" not in sv  # the splitter's rit-ning, legitima-tion: no words to search
    table = json.loads((site / "pagefind" / "lexicon" / "sv.json").read_text("utf-8"))
    assert table["pages"] == 4  # the public Swedish articles and bygglov's easy-read text (pages Pagefind has)
    assert sv["grannarna"][1] == 1  # a word only the easy-read text has
    en = lexicon(site, "en")
    assert "bibliotekskort" in en  # an untranslated article is in the English index in Swedish


def test_no_internal_word_enters_any_lexicon(site: Path, corpus_dir: Path):
    """Internal articles, drafts, internal notes and attachments: none of their own words in any lexicon."""
    from portal.search.analysis import normalize, tokenize

    def words(paths) -> set[str]:
        return {w for p in paths for w in tokenize(normalize(p.read_text("utf-8", errors="replace"), "sv"))}

    internal = words([corpus_dir / "hemlig-rutin" / "sv.md", corpus_dir / "utkast-artikel" / "sv.md",
                      corpus_dir / "hemlig-rutin" / "lattlast.md", corpus_dir / "utkast-artikel" / "lattlast.md",
                      corpus_dir / "bygglov" / "internal.md", *(corpus_dir / "bygglov" / "internal").rglob("*.*")])
    public = words([p for p in corpus_dir.glob("*/*.md") if p.parent.name not in ("hemlig-rutin", "utkast-artikel")
                    and p.name != "internal.md"] + [corpus_dir / "synonyms.yml"])
    only_internal = internal - public
    assert {"påminn", "överlämning", "simskola"} <= only_internal
    for lang in ("sv", "en", "ar"):
        words_of_lang = set(lexicon(site, lang))
        assert not only_internal & words_of_lang, lang
        # The markers of tests/conftest.py are also in internal fields of public articles (owner, answer group).
        assert "marker" not in words_of_lang and "owner" not in words_of_lang, lang


def test_the_search_page_carries_the_stop_words_and_synonyms_of_the_server(site: Path):
    from portal.search.analysis import stopwords
    from portal.search.index import glossary

    html = (site / "sv" / "search" / "index.html").read_text("utf-8")
    raw = html.split('<script type="application/json" id="search-data">', 1)[1].split("</script>", 1)[0]
    data = json.loads(raw)
    assert set(data["stop"]) == set(stopwords("sv")) and data["lang"] == "sv" and data["api"] is None
    assert all(group in data["synonyms"] for group in glossary())
    assert "ansöka" in data["doing"]
    en = json.loads((site / "en" / "search" / "index.html").read_text("utf-8").split(
        'id="search-data">', 1)[1].split("</script>", 1)[0])
    assert set(en["stop"]) == set(stopwords("en")) | set(stopwords("sv"))


def test_the_page_words_reader_follows_the_article_template(site: Path):
    page = staticlexicon.page_words((site / "en" / "bibliotekskort" / "index.html").read_text("utf-8"))
    assert page is not None and page.lang == "en" and page.text_lang == "sv"  # a Swedish fallback page
    assert page.small and page.body
    assert staticlexicon.page_words((site / "sv" / "a-z" / "index.html").read_text("utf-8")) is None


# --- site.search_api: the search API the static page asks first --------------------------------------------

def _with_api(folder: Path, value: str) -> None:
    site_yml = folder / "site.yml"
    site_yml.write_text(site_yml.read_text("utf-8").replace(
        "  base_url: https://www.testby.se\n", f"  base_url: https://www.testby.se\n  search_api: {value}\n"), "utf-8")


@pytest.mark.parametrize("value", ["javascript:alert(1)", "http://api.testby.se/api/v1/search",
                                   "'https://api.testby.se/api/v1/search; script-src *'",
                                   "https://user:pw@api.testby.se/search", "https://api.testby.se/search?q=x",
                                   "https://api.testby.se:99999/search", "[1, 2]"])
def test_a_bad_search_api_is_an_error_naming_site_yml_and_its_line(corpus_dir: Path, value: str):
    from portal.content.siteconfig import load_site

    _with_api(corpus_dir, value)
    problems: list = []
    site = load_site(corpus_dir, problems)
    # One pass (issue 29): the site is still read so that the articles' problems are reported too, but without
    # the bad value, and the error stops any build.
    assert site is None or (site.search_api == "" and site.api == "")
    assert [str(p) for p in problems if p.is_error] and all(
        str(p).split(":", 1)[0].endswith("site.yml") and p.line == 4 and "site.search_api" in p.message
        for p in problems if p.is_error), [str(p) for p in problems]


def test_the_search_api_origin_goes_into_connect_src_of_every_page_and_the_headers(corpus_dir: Path, tmp_path: Path):
    from portal.content.siteconfig import load_site
    from portal.site import pipeline
    from tests.conftest import git_init

    _with_api(corpus_dir, "https://api.testby.se/api/v1/search")
    problems: list = []
    config = load_site(corpus_dir, problems)
    assert config is not None and config.search_api_origin == "https://api.testby.se"
    git_init(corpus_dir)
    pipeline.build(corpus_dir, tmp_path / "site", tmp_path / "index")
    site = tmp_path / "site"
    headers = (site / "_headers").read_text("utf-8")
    assert "connect-src 'self' https://api.testby.se;" in headers
    for page in (site / "sv" / "search" / "index.html", site / "en" / "bygglov" / "index.html"):
        assert "connect-src 'self' https://api.testby.se;" in html.unescape(page.read_text("utf-8")), page
    data = (site / "sv" / "search" / "index.html").read_text("utf-8").split('id="search-data">', 1)[1]
    assert json.loads(data.split("</script>", 1)[0])["api"] == "https://api.testby.se/api/v1/search"


CONTACT = '<a href="#footer-contact">Kontaktcenter</a>'
PHONE = '<a href="tel:0123456700" dir="ltr">0123-45 67 00</a>'
UNSURE = {"sv": f"Vi hittade inget säkert svar på din fråga. Här är det som liknar mest — eller kontakta {CONTACT}"
                f" på {PHONE}.",
          "ar": f"لم نجد إجابة أكيدة على سؤالك. إليك أقرب ما وجدناه — أو اتصل بـ {CONTACT} على الرقم {PHONE}."}


def test_the_preview_search_page_says_above_the_hits_when_none_is_a_confident_answer(client, monkeypatch):
    import dataclasses

    from portal.search.searcher import Searcher

    search, sure = Searcher.search, {"first": False}

    def flagged(self, *args, **kwargs):  # each hit's confident flag as the test says
        found = search(self, *args, **kwargs)
        return dataclasses.replace(found, hits=[dataclasses.replace(h, confident=sure["first"] and i == 0)
                                                for i, h in enumerate(found.hits)])

    monkeypatch.setattr(Searcher, "search", flagged)
    for lang in ("sv", "ar"):
        page = client.get(f"/{lang}/search/?q=bygglov").get_data(as_text=True)
        assert f'<p class="search-unsure">{UNSURE[lang]}</p>' in page, page
        assert page.index("search-unsure") < page.index(f'href="/{lang}/bygglov/"')  # above the hits, which show
        assert 'id="footer-contact"' in page and '<template id="search-unsure">' not in page
    sure["first"] = True
    assert "search-unsure" not in client.get("/sv/search/?q=bygglov").get_data(as_text=True)
    assert "search-unsure" not in client.get("/sv/search/").get_data(as_text=True)  # no query, no hits


def test_the_static_search_page_carries_the_notice_for_the_api_hits_unshown(site: Path):
    for lang in ("sv", "ar"):
        page = (site / lang / "search" / "index.html").read_text("utf-8")
        notice = page.split('<template id="search-unsure">', 1)[1].split("</template>", 1)[0]
        assert notice == f'<p class="search-unsure">{UNSURE[lang]}</p>'
        assert page.count("class=\"search-unsure\"") == 1  # only in the template: search.js shows it for API hits


REFERRAL = {"sv": "Det här ärendet sköts troligen av {link}.", "ar": "هذه المعاملة على الأرجح من اختصاص {link}."}


def test_the_search_page_says_where_another_authoritys_errand_belongs(client):
    link = '<a class="elsewhere-link" href="https://www.forsakringskassan.se" rel="noopener">Försäkringskassan</a>'
    for lang in ("sv", "ar"):
        page = client.get(f"/{lang}/search/?q=hur+ansöker+jag+om+sjukpenning").get_data(as_text=True)
        line = f'<p class="search-elsewhere">{REFERRAL[lang].format(link=link)}</p>'
        assert line in page, page
        assert page.index("search-elsewhere") < page.index("search-unsure")  # no hit is an answer: both are said
    assert "search-elsewhere" not in client.get("/sv/search/?q=bygglov").get_data(as_text=True)


def test_the_static_search_page_carries_the_referral_for_the_api_answer_unshown(site: Path):
    page = (site / "sv" / "search" / "index.html").read_text("utf-8")
    line = page.split('<template id="search-elsewhere">', 1)[1].split("</template>", 1)[0]
    empty = '<a class="elsewhere-link" href="https://" rel="noopener"></a>'
    assert line == f'<p class="search-elsewhere">{REFERRAL["sv"].format(link=empty)}</p>'
    assert page.count('class="search-elsewhere"') == 1
