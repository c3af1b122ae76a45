"""One pass (issue 29): `portal check` reports every problem it can find in one run, sorted by file and line: a
broken article keeps its other problems (its links too), the whole-corpus checks run on what could be read, and
misspelt ids, categories, departments and keys get a "Did you mean"."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.cli.main import cli
from portal.content.load import load_corpus
from portal.site import pipeline
from tests.test_check import GOOD, SITE, make

KULTURSKOLAN = """\
---
title: Kulturskolan
summary: Kurser i musik, dans och teater.
category: kultur
---
Anmäl dig i e-tjänsten.
"""

# Several kinds of errors at once, each of which used to hide the others until it was fixed.
BROKEN = {
    "kulturskolan/sv.md": KULTURSKOLAN,
    # an unknown category, a misspelt key and two broken article links: the links were reported only in a
    # second round once the article could be used
    "musik/sv.md": "---\ntitle: Musik\nsummary: Spela.\ncategory: kultr\nreviw_by: 2030-01-01\n---\n"
                   "Se [kulturskolan](article:kulturskola).\n\nOch [annat](article:finns-inte).\n",
    # front matter that cannot be read: its body's broken link is still reported
    "dans/sv.md": "---\ntitle: Dans\nsummary: [oavslutad\ncategory: kultur\n---\nSe [bygget](article:bygglv).\n",
    # a department misspelt, and a link to the article whose front matter cannot be read (not "missing")
    "teater/sv.md": "---\ntitle: Teater\nsummary: Scen.\ncategory: kultur\ndepartment: byg\n---\n"
                    "Se [dans](article:dans).\n",
}


def test_every_kind_of_error_in_one_run_sorted_by_file_and_line(tmp_path: Path, runner) -> None:
    root = make(tmp_path, BROKEN)
    result = runner.invoke(cli, ["check", "--articles", str(root), "--lang", "en"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    expected = [
        ("dans/sv.md:", "the YAML cannot be read"),
        ("dans/sv.md:6:", "the link to 'article:bygglv' points to an article that does not exist. "
                          "Did you mean 'bygglov'?"),
        ("musik/sv.md:4:", "category 'kultr' is not known. Did you mean 'kultur'?"),
        ("musik/sv.md:5:", "unknown key 'reviw_by' in a source-language file. Did you mean 'review_by'?"),
        ("musik/sv.md:7:", "'article:kulturskola' points to an article that does not exist. "
                           "Did you mean 'kulturskolan'?"),
        ("musik/sv.md:9:", "'article:finns-inte' points to an article that does not exist."),
        ("teater/sv.md:5:", "department 'byg' is not known. Did you mean 'bygg'?"),
    ]
    for where, words in expected:
        assert any(where in line and words in line for line in lines), (where, words, lines)
    found = [(line.split(":")[0].split("/")[-2:], int(line.split(":")[1])) for line in lines]
    assert found == sorted(found), "not sorted by file and line"
    assert not any("teater" in line and "article:dans" in line for line in lines)  # dans exists, if broken
    assert len(lines) == len(expected)


def test_a_translation_is_not_blamed_for_its_sources_broken_front_matter(tmp_path: Path) -> None:
    source = GOOD.replace("review_by: 2030-01-01", "self_service: {url: 'https://e.provby.se/x', label: [A}")
    root = make(tmp_path, {"bygglov/sv.md": source,
                           "bygglov/en.md": "---\ntitle: P\nsummary: S.\nself_service: {label: Apply}\n---\n"})
    found = [str(p) for p in load_corpus(root)[1]]
    assert len(found) == 1 and "bygglov/sv.md:" in found[0] and "the YAML cannot be read" in found[0], found


def test_the_content_cache_reports_the_same_problems(tmp_path: Path) -> None:
    root = make(tmp_path, BROKEN)
    cold = [str(p) for p in load_corpus(root)[1]]
    cache = tmp_path / "cache"
    first = [str(p) for p in pipeline.load(root, cache_dir=cache)[1]]
    again = [str(p) for p in pipeline.load(root, cache_dir=cache)[1]]  # every folder from the cache
    assert cold == first == again


def test_did_you_mean_for_a_featured_id_and_a_site_key(tmp_path: Path) -> None:
    root = make(tmp_path / "a", {"site.yml": SITE + "featured: [bygglv]\n"})
    found = [str(p) for p in load_corpus(root)[1]]
    assert any("featured article 'bygglv' does not exist. Did you mean 'bygglov'?" in e for e in found), found
    # an error in site.yml does not hide the articles' problems
    root = make(tmp_path / "b", {"site.yml": SITE + "featrued: []\n", "musik/sv.md": BROKEN["musik/sv.md"]})
    found = [str(p) for p in load_corpus(root)[1]]
    assert any("unknown key 'featrued'. Did you mean 'featured'?" in e for e in found), found
    assert any("'article:kulturskola' points to an article" in e for e in found), found


# The planted errors of the property test: (folder, file text, what its line must say).
PLANTED = {
    "bad-yaml": ("---\ntitle: A\nsummary: [x\ncategory: kultur\n---\nText.\n", "the YAML cannot be read"),
    "no-front": ("Bara text.\n", "must start with front matter"),
    "category": (GOOD.replace("category: bygga", "category: okand"), "category 'okand' is not known"),
    "key": (GOOD.replace("review_by:", "reviewby:"), "unknown key 'reviewby'"),
    "link": (GOOD + "\n[x](article:saknas-helt)\n", "'article:saknas-helt' points to an article"),
    "date": (GOOD.replace("2030-01-01", "2030-02-30"), "real date"),
    "related": (GOOD.replace("---\nText", "related: [saknas-ocksa]\n---\nText"), "related article 'saknas-ocksa'"),
    "broken-link": ("---\ntitle: B\nsummary: [x\n---\n[y](article:inget-alls)\n", "'article:inget-alls' points"),
}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sets(st.sampled_from(sorted(PLANTED)), min_size=1))
def test_any_set_of_planted_errors_is_reported_in_one_run(tmp_path: Path, kinds: set[str]) -> None:
    folder = tmp_path / "case"
    shutil.rmtree(folder, ignore_errors=True)
    root = make(folder, {f"fel-{kind}/sv.md": PLANTED[kind][0] for kind in kinds})
    found = [str(p) for p in load_corpus(root)[1] if p.is_error]
    for kind in kinds:
        assert any(f"fel-{kind}/sv.md:" in e and PLANTED[kind][1] in e for e in found), (kind, found)
