"""The static search page's downloads in a real browser: nothing before the first query, the small Pagefind
bundle for what it can answer, the full-text bundle only when the small one finds nothing."""

from __future__ import annotations

import pytest

from tests.browser.test_public_browser import built, search, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def _requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    return seen


def _bundles(urls: list[str]) -> tuple[list[str], list[str]]:
    small = [u for u in urls if "/pagefind/" in u and "/pagefind/full/" not in u]
    return small, [u for u in urls if "/pagefind/full/" in u]


def test_nothing_of_pagefind_loads_before_the_first_query(page, server):  # noqa: F811
    seen = _requests(page)
    page.goto(f"{server.url}/sv/search/")
    page.wait_for_load_state("networkidle")
    page.focus("#q-page")
    page.wait_for_timeout(300)
    assert _bundles(seen) == ([], [])
    page.fill("#q-page", "bygglov")
    page.wait_for_selector("#search-results .result-count", timeout=15000)
    small, full = _bundles(seen)
    assert any(u.endswith("/pagefind/pagefind.js") for u in small)
    assert any(".pf_index" in u for u in small) and any(".pf_meta" in u for u in small)
    assert full == []


@pytest.mark.parametrize(("query", "expected", "why"), [
    ("byggnadslov", "/sv/bygglov/", "a keyword"),
    ("dagis", "/sv/forskoleplats/", "a keyword with its synonyms"),
    ("förskola", "/sv/forskoleplats/", "a synonym of a keyword"),
    ("minst fyra månader", "/sv/forskoleplats/", "words of the summary"),
    ("Ansöka om bygglov", "/sv/bygglov/", "the title")])
def test_the_small_bundle_finds_title_summary_keywords_and_synonyms(page, server, query, expected, why):  # noqa: F811
    seen = _requests(page)
    assert expected in search(page, server.url, "sv", query), why
    assert _bundles(seen)[1] == [], f"{why}: the full-text bundle was loaded"


def test_a_word_only_in_the_body_is_found_through_the_full_text_bundle(page, server):  # noqa: F811
    seen = _requests(page)
    links = search(page, server.url, "sv", "ritning")  # in bygglov's body only
    assert "/sv/bygglov/" in links, links
    assert any(u.endswith(".pf_index") for u in _bundles(seen)[1])
    item = page.locator("#search-results .results > li").filter(has=page.locator('a[href="/sv/bygglov/"]'))
    assert item.locator("a.eservice-link").get_attribute("href") == "https://e.testby.se/bygglov"


def test_the_full_text_bundle_starts_only_once_the_small_one_is_in(page, server):  # noqa: F811
    # Pagefind's instances share one WebAssembly module in its worker: the full bundle's loading while the
    # small one's is still under way broke searches now and then (empty results, or "invalid gzip data"
    # from a garbled fragment name). Here the small bundle's module is held back for a while: the full
    # bundle, which a word only in article bodies needs, must not start before it is in.
    events: list[str] = []
    held: list = []
    small_wasm = f"{server.url}/pagefind/wasm.sv.pagefind"
    page.route(small_wasm, lambda route: held.append(route))
    page.on("request", lambda r: events.append("full" if "/pagefind/full/" in r.url else r.url))
    page.on("requestfinished", lambda r: events.append("small in") if r.url == small_wasm else None)
    page.goto(f"{server.url}/sv/search/")
    page.fill("#q-page", "ritning")  # in bygglov's body only
    for _ in range(60):  # until the small bundle asks for its module, and a while after
        page.wait_for_timeout(25)
    assert len(held) == 1, events
    assert "full" not in events, "the full-text bundle started before the small one was in"
    held[0].continue_()
    page.wait_for_selector("#search-results .result-count", timeout=15000)
    assert page.locator('#search-results a[href="/sv/bygglov/"]').count() >= 1
    assert events.index("small in") < events.index("full")


def test_a_word_only_inside_a_compound_finds_its_article(page, server):  # noqa: F811
    # "omsorg" is on no page by itself: förskoleplats has the keyword "barnomsorg" (the agents' search finds
    # it by the compound's parts; Pagefind only by the compound's start).
    assert "/sv/forskoleplats/" in search(page, server.url, "sv", "omsorg")


def test_a_word_in_no_article_finds_nothing(page, server):  # noqa: F811
    assert search(page, server.url, "sv", "zqxwvutspork") == []
    assert page.locator("#search-results .result-count").inner_text().startswith("Inga")
    assert page.locator("#no-js-help").is_visible()


PLAN = """async ([query, words]) => {
  const m = await import('/static/public/searchplan.js');
  // A lexicon of 10,000 pages with one shard: [in the small bundle, log2(1 + pages)].
  const fetchJson = async (url) => (url.endsWith('/sv.json')
    ? { pages: 10000, split: [], shards: { b: 'sv-b.json' } } : words);
  const lexicon = new m.Lexicon('/pagefind/lexicon/', 'sv', fetchJson);
  const data = { lang: 'sv', stop: ['om'], synonyms: [['bygglov', 'byggnadslov']], doing: [] };
  const p = await m.plan(query, data, lexicon);
  return { alts: p.clauses.map((c) => c.alts.map((a) => a.q)), reach: await lexicon.reach('bygg') };
}"""


def test_a_synonym_on_most_pages_is_not_asked_beside_a_word_the_index_has(page, server):  # noqa: F811
    # Pagefind takes 150-300 ms to go through 3,000 pages (bench/RESULTS.md): "byggnadslov" on about 4,000
    # of 10,000 is left out beside "bygglov", asked for a word the index lacks, asked when it is rare.
    page.goto(f"{server.url}/sv/search/")
    broad = {"bygglov": [1, 10], "byggnadslov": [1, 12]}
    assert page.evaluate(PLAN, ["bygglov", broad]) == {"alts": [["bygglov"]], "reach": 1023 + 4095}
    assert page.evaluate(PLAN, ["bygglov", {"byggnadslov": [1, 12]}])["alts"] == [["byggnadslov"]]
    assert page.evaluate(PLAN, ["bygglov", {"bygglov": [1, 10], "byggnadslov": [1, 5]}])["alts"] == [
        ["bygglov", "byggnadslov"]]


NEEDED = """async (bounds) => {
  const m = await import('/static/public/searchplan.js');
  const pages = bounds.map((b, i) => ({ id: i, bounds: b }));
  return m.neededFirst(pages, 3).map((page) => page.id);
}"""


def test_only_the_fragments_that_can_be_among_the_first_results_are_fetched_before_them(page, server):  # noqa: F811
    page.goto(f"{server.url}/sv/search/")
    # Many pages with the same score (a common word typed last): the first three only, not all that tie.
    assert page.evaluate(NEEDED, [[1, 1]] * 8) == [0, 1, 2]
    # One that could beat the third once boosted (an e-service when the citizen wants to do the errand).
    assert page.evaluate(NEEDED, [[3, 3], [2, 2], [1, 1], [1, 1], [0.8, 1.08], [0.5, 0.5]]) == [0, 1, 2, 4]
    # The best "at least" are needed whatever their order; one that can at most tie the third is not.
    assert page.evaluate(NEEDED, [[0.5, 0.5], [1, 1.35], [2, 2], [0.9, 1], [3, 3]]) == [1, 2, 4]
    # Three or fewer: all of them.
    assert page.evaluate(NEEDED, [[1, 1], [0.2, 0.2]]) == [0, 1]


INSIDE = """async ([query, typing]) => {
  const m = await import('/static/public/searchplan.js');
  const shards = {
    a: { avgift: [1, 0, 'hemtjänstavgift parkeringsavgift'], avgång: [1, 2] },
    e: { enhet: [0, 0, 'tillståndsenheten'], enheter: [1, 2] }, t: { terapi: [0, 0, 'familjeterapi'] },
    h: { hemtjänstavgift: [1, 3] }, p: { parkeringsavgift: [1, 2] } };
  const fetchJson = async (url) => (url.endsWith('/sv.json')
    ? { pages: 100, split: [], shards: { a: 'a', e: 'e', h: 'h', p: 'p', t: 't' } } : shards[url.split('/').pop()]);
  const lexicon = new m.Lexicon('/pagefind/lexicon/', 'sv', fetchJson);
  const p = await m.plan(query, { lang: 'sv', stop: [], synonyms: [], doing: [] }, lexicon, typing);
  return p.clauses.map((c) => c.alts.map((a) => a.q + (a.full ? ' (full text)' : '')));
}"""


def test_a_word_the_pages_have_only_inside_compounds_asks_for_the_compounds(page, server):  # noqa: F811
    # "avgift" is on no page by itself, only in "hemtjänstavgift" and "parkeringsavgift": Pagefind, which
    # matches the start of words, cannot find those for it; the agents' index, which splits compounds, can.
    page.goto(f"{server.url}/sv/search/")
    compounds = ["hemtjänstavgift", "parkeringsavgift"]
    assert page.evaluate(INSIDE, ["avgift", False]) == [compounds]
    assert page.evaluate(INSIDE, ["avgifter", False]) == [compounds]  # an inflected form
    assert page.evaluate(INSIDE, ["avgift", True]) == [compounds]  # the last word, maybe still being typed
    # Compounds only in article bodies: asked of the full-text bundle at once.
    assert page.evaluate(INSIDE, ["terapi", False]) == [["familjeterapi (full text)"]]
    # When the word starts a word of the pages, Pagefind finds that: its compounds are not asked too (each
    # one more index chunk to download).
    assert page.evaluate(INSIDE, ["enhet", False]) == [["enhet"]]
    # Such a word is never a correction, nor what a half-typed word is taken to start.
    assert page.evaluate(INSIDE, ["avgitf", False]) == []
    assert page.evaluate(INSIDE, ["avgi", True]) == []
