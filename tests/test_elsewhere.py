"""Other authorities' errands: a question about one gets no confident hit and says where it belongs."""

from __future__ import annotations

from importlib import resources
from urllib.parse import urlsplit

import yaml
from hypothesis import given
from hypothesis import strategies as st

from portal.search.elsewhere import authorities, referral, tokens
from portal.search.results import Hit
from tests.test_api import validate
from tests.test_auth import add_users, login


def hit(title: str, summary: str = "") -> Hit:
    return Hit(id="x", lang="sv", title=title, summary=summary, score=1.0, audience="public", url=None,
               self_service_url=None)


def test_the_list_is_well_formed():
    data = yaml.safe_load(resources.files("portal.data").joinpath("elsewhere.yml").read_text("utf-8"))
    ids = [e["id"] for e in data]
    assert len(ids) == len(set(ids))
    seen: dict[tuple[str, ...], str] = {}
    for entry in data:
        assert set(entry) == {"id", "authority", "url", "words"}, entry["id"]
        assert urlsplit(entry["url"]).scheme == "https" and urlsplit(entry["url"]).netloc
        for word in entry["words"]:
            form = tokens(str(word))
            assert form, (entry["id"], word)
            assert form not in seen, f"{word!r} is listed for {seen.get(form)} and {entry['id']}"
            seen[form] = entry["id"]


def test_a_question_about_another_authoritys_errand_is_referred():
    found = referral("När betalas barnbidraget ut?", [hit("Förskoleavgift", "Vad förskolan kostar.")])
    assert found is not None and found.authority == "Försäkringskassan" and found.word == "barnbidraget"
    assert referral("how do I renew my passport", []).id == "polisen"
    assert referral("كيف أجدد رخصة القيادة", []).id == "transportstyrelsen"
    assert referral("milloin veroilmoitus pitää palauttaa", []).id == "skatteverket"
    assert referral("ansöka om F-skatt", []).id == "skatteverket"  # hyphens and case


def test_the_municipalitys_own_article_on_the_word_is_never_referred():
    # The municipality's article names the word in its title or summary: the question is about it.
    own = hit("Ekonomiskt bistånd", "Försörjningsstöd om du inte får sjukpenning eller lön.")
    assert referral("hur ansöker jag om sjukpenning", [hit("Hemtjänst"), own]) is None
    assert referral("hur ansöker jag om sjukpenning", [hit("Hemtjänst"), hit("A"), hit("B"), own]) is not None
    assert referral("bygglov för garage", [hit("Bygglov")]) is None
    assert referral("", []) is None
    # A listed word inside another word is not that word, and a word with another meaning is listed only in
    # phrases: "passa" is not a passport, nor is a work shift ("pass").
    assert referral("vem kan passa mina barn på kvällen", []) is None
    assert referral("vilket pass jobbar hemtjänsten på helgen", []) is None


@given(st.sampled_from([(a.id, f) for a, forms in authorities() for f in forms]), st.text(max_size=30))
def test_every_listed_word_refers_unless_a_hit_names_it(case, noise):
    _authority, form = case
    question = " ".join(form)
    assert referral(f"{noise} {question}?", []) is not None
    # A hit that names the whole question names every listed word in it.
    assert referral(question, [hit(f"{noise} {question}")]) is None
    assert referral(question, [hit("Annat"), hit("Mer", f"{question}.")]) is None


def test_the_api_says_where_the_errand_belongs_and_no_hit_is_confident(client):
    for mode in ("lexical", "hybrid"):
        data = client.get(f"/api/v1/search?q=hur+ansöker+jag+om+sjukpenning+för+bygglov&mode={mode}").get_json()
        validate(data, "SearchResult")
        assert data["elsewhere"] == {"id": "forsakringskassan", "authority": "Försäkringskassan",
                                     "url": "https://www.forsakringskassan.se", "word": "sjukpenning"}
        assert data["hits"] and not data["confident"]
        assert not any(h["confident"] for h in data["hits"])
    plain = client.get("/api/v1/search?q=bygglov").get_json()
    assert plain["elsewhere"] is None and plain["confident"]


def test_the_agent_app_shows_the_referral(app, client):
    add_users(app)
    login(client)
    page = client.get("/agent/?q=hur+ansöker+jag+om+sjukpenning").get_data(as_text=True)
    assert "Det här sköts troligen av" in page and 'href="https://www.forsakringskassan.se"' in page
    assert "Det här sköts troligen av" not in client.get("/agent/?q=bygglov").get_data(as_text=True)


def test_portal_search_says_it(runner, corpus_dir, tmp_path):
    from portal.cli.main import cli

    out = runner.invoke(cli, ["search", "förnya passet", "--articles", str(corpus_dir),
                              "--index", str(tmp_path / "index"), "--mode", "lexical"])
    assert out.exit_code == 0, out.output
    assert "Polisen (https://polisen.se)" in out.output
