"""Property-based tests (hypothesis): no front matter, file content or query makes the product crash."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.content.load import load_corpus
from portal.search.index import IndexHandle
from portal.search.searcher import Searcher
from portal.site import pipeline
from tests.conftest import CORPUS, TODAY

SITE = (CORPUS / "site.yml").read_text("utf-8")
YAMLISH = st.lists(st.sampled_from([
    "title", "summary", "category", "audience", "self_service", "url", "keywords", "related", "review_by", ":",
    ": ", "- ", "\n", "  ", "[", "]", "{", "}", "'", '"', "#", "&a", "*a", "!!python/object:os.system", "|", ">",
    "2027-02-30", "https://x.se", "javascript:", "bygga-bo", "internal", "draft", "\t", "\x00", "\ufeff", "é",
    "---", "...", "%YAML 1.1", "<<: *a", "~", "null", "yes", "1e9", "-1",
]), max_size=60).map("".join)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(front=YAMLISH, body=st.text(max_size=200))
def test_any_front_matter_gives_problems_not_crashes(tmp_path: Path, front: str, body: str) -> None:
    root = tmp_path / "c"
    (root / "artikel").mkdir(parents=True, exist_ok=True)
    (root / "site.yml").write_text(SITE, "utf-8")
    (root / "artikel" / "sv.md").write_text(f"---\n{front}\n---\n{body}", "utf-8", errors="surrogatepass")
    _corpus, problems = load_corpus(root, TODAY)
    for p in problems:
        assert p.path.endswith(("sv.md", "site.yml", "artikel")) and p.line >= 1 and p.message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(raw=st.binary(max_size=400))
def test_any_bytes_give_problems_not_crashes(tmp_path: Path, raw: bytes) -> None:
    root = tmp_path / "c"
    (root / "artikel").mkdir(parents=True, exist_ok=True)
    (root / "site.yml").write_text(SITE, "utf-8")
    (root / "artikel" / "sv.md").write_bytes(b"---\ntitle: x\nsummary: y\ncategory: kultur\n---\n" + raw)
    corpus, problems = load_corpus(root, TODAY)
    assert corpus is not None
    if b"\x00" in raw:
        assert any(p.path.endswith("artikel/sv.md") and "binary" in p.message for p in problems)
    else:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            assert any(p.path.endswith("artikel/sv.md") and "UTF-8" in p.message for p in problems)


@pytest.fixture(scope="module")
def searcher(tmp_path_factory) -> Searcher:
    index_dir = tmp_path_factory.mktemp("hostile-index")
    root = tmp_path_factory.mktemp("hostile-corpus") / "articles"
    import shutil

    shutil.copytree(CORPUS, root)
    pipeline.index(root, index_dir, TODAY)
    return Searcher(IndexHandle(index_dir))


QUERY_TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=string.punctuation + " AND OR NOT ~*?^:()[]{}\"'\\", max_size=100),
    st.text(alphabet="åäöÅÄÖ بناءرخصة 建筑 ёжз ‮\u200b\u0000\x7f", max_size=100),
)


@settings(max_examples=300, deadline=None)
@given(query=QUERY_TEXT, prefix=st.booleans(), internal=st.booleans(), lang=st.sampled_from(["sv", "en", "ar"]))
def test_any_query_gives_an_answer(searcher: Searcher, query: str, prefix: bool, internal: bool, lang: str) -> None:
    result = searcher.search(query, lang, prefix=prefix, internal=internal, today=TODAY)
    ids = [h.id for h in result.hits]
    assert len(ids) == len(set(ids))
    if not internal:
        assert not {"hemlig-rutin", "utkast-artikel"} & set(ids)
