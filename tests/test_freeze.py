"""`portal build`: the frozen public site, its search index, and the atomic swap."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from portal.exceptions import BuildError, ContentError
from portal.site import freeze, pipeline
from portal.site.freeze import broken_links, swap_into_place
from portal.web import public
from tests.conftest import MARKERS, TODAY

GZIPPED = (".pf_fragment", ".pf_index", ".pf_meta")


def build(corpus_dir: Path, tmp_path: Path, out: Path | None = None, **kw) -> tuple[Path, dict]:
    """Build the test corpus into tmp_path/site (or *out*)."""
    out = out or tmp_path / "site"
    summary = pipeline.build(corpus_dir, out, tmp_path / "index", today=TODAY, **kw)
    return out, summary


def all_bytes(root: Path) -> dict[Path, bytes]:
    """Every file below *root*, Pagefind's gzip-compressed files decompressed."""
    out = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix in GZIPPED:
            data = gzip.decompress(data)
        out[path] = data
    return out


def fingerprint(root: Path) -> dict[str, str]:
    """A hash of every file below *root*, by relative path."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def site(corpus_dir: Path, tmp_path: Path) -> Path:
    """The test corpus, built."""
    calls: list[tuple[int, int]] = []
    out, summary = build(corpus_dir, tmp_path, progress=lambda d, t: calls.append((d, t)))
    assert summary["languages"] == 3 and summary["pages"] >= 30
    assert calls and calls[-1][0] == calls[-1][1]
    return out


def test_the_build_has_every_page_type(site: Path):
    for rel in ("index.html", "404.html", "sitemap.xml", "robots.txt", "static/public/site.css",
                "static/public/search.js", "pagefind/pagefind.js"):
        assert (site / rel).is_file(), rel
    for lang in ("sv", "en", "ar"):
        for rel in ("index.html", "a-z/index.html", "search/index.html", "accessibility/index.html",
                    "category/bygga-bo/index.html", "bygglov/index.html", "bibliotekskort/index.html",
                    "bygglov/ritning.pdf", "bygglov-ansokan/index.html"):
            assert (site / lang / rel).is_file(), f"{lang}/{rel}"
    assert (site / "sv/bygglov-ansokan/index.html").read_text().count('url=/sv/bygglov/') == 1
    for lang in ("sv", "en", "ar"):
        assert list((site / "pagefind").glob(f"pagefind.{lang}_*.pf_meta")), lang


def test_no_internal_byte_anywhere_in_the_build(site: Path):
    files = all_bytes(site)
    assert any(p.suffix == ".pf_fragment" for p in files)
    for path, data in files.items():
        for marker in MARKERS:
            assert marker.encode() not in data, (path, marker)
    names = {p.relative_to(site).as_posix() for p in files}
    assert not any("hemlig-rutin" in n or "utkast-artikel" in n or "internal" in n or "checklista" in n
                   for n in names)
    assert not any(n.startswith(("agent", "api", "static/agent")) for n in names)
    html = b"".join(d for p, d in files.items() if p.suffix == ".html")
    for internal in (b"radgivning", "Basnivå".encode(), b"2027-06-30",
                     b"2020-01-31"):
        assert internal not in html


def test_search_index_holds_keywords_and_synonyms(site: Path):
    fragments = b"".join(gzip.decompress(p.read_bytes()) for p in (site / "pagefind/fragment").glob("sv_*"))
    assert b"dagis" in fragments and b"f\xc3\xb6rskola" in fragments
    assert b"eservice" in fragments


def test_no_broken_local_links(site: Path):
    assert broken_links(site) == []


def test_broken_links_are_found(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a/index.html").write_text('<a href="/a/">ok</a><a href="/b/">bad</a><a href="https://x">x</a>'
                                           '<link rel="stylesheet" href="/s.css">')
    assert broken_links(tmp_path) == ["a/index.html: link to /b/ leads nowhere",
                                      "a/index.html: link to /s.css leads nowhere"]


def test_a_failed_build_leaves_the_last_good_site(corpus_dir: Path, tmp_path: Path, monkeypatch):
    out, _ = build(corpus_dir, tmp_path)
    before = fingerprint(out)

    def broken(*_args, **_kwargs):
        raise RuntimeError("a page cannot be rendered")

    monkeypatch.setattr(public, "search_terms", broken)
    with pytest.raises((BuildError, RuntimeError)):
        build(corpus_dir, tmp_path, out=out)
    assert fingerprint(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".site")) == []


def test_a_build_with_a_404_fails_and_leaves_the_last_good_site(corpus_dir: Path, tmp_path: Path, monkeypatch):
    out, _ = build(corpus_dir, tmp_path)
    before = fingerprint(out)
    real = freeze.frozen_urls

    def with_missing(*args, **kwargs):
        yield from real(*args, **kwargs)
        yield "public.article", {"lang": "sv", "article_id": "finns-inte"}

    monkeypatch.setattr(freeze, "frozen_urls", with_missing)
    with pytest.raises(BuildError, match="404"):
        build(corpus_dir, tmp_path, out=out)
    assert fingerprint(out) == before


def test_content_errors_stop_the_build_before_freezing(corpus_dir: Path, tmp_path: Path):
    out, _ = build(corpus_dir, tmp_path)
    before = fingerprint(out)
    (corpus_dir / "bibliotekskort" / "sv.md").write_text("---\ntitle: x\n---\nno category\n")
    with pytest.raises(ContentError):
        build(corpus_dir, tmp_path, out=out)
    assert fingerprint(out) == before


def test_swap_replaces_the_old_site(tmp_path: Path):
    out, new = tmp_path / "out", tmp_path / "new"
    out.mkdir()
    (out / "old.html").write_text("old")
    new.mkdir()
    (new / "new.html").write_text("new")
    swap_into_place(new, out)
    assert [p.name for p in out.iterdir()] == ["new.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_cli_build(runner, corpus_dir: Path, tmp_path: Path):
    from portal.cli.main import cli

    result = runner.invoke(cli, ["build", "--articles", str(corpus_dir), "--index", str(tmp_path / "idx"),
                                 "--out", str(tmp_path / "cli-site")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli-site/sv/bygglov/index.html").is_file()


def test_static_site_ships_its_security_policy(tmp_path: Path, corpus_dir: Path) -> None:
    from portal.web.security import STATIC_CSP

    out = tmp_path / "site"
    pipeline.build(corpus_dir, out, tmp_path / "index", TODAY)
    headers = (out / "_headers").read_text("utf-8")
    assert f"Content-Security-Policy: {STATIC_CSP}" in headers and "frame-ancestors 'none'" in headers
    assert "X-Content-Type-Options: nosniff" in headers
    page = (out / "sv" / "bygglov" / "index.html").read_text("utf-8")
    assert '<meta http-equiv="Content-Security-Policy" content="default-src &#39;self&#39;;' in page
    assert "unsafe-inline" not in headers + page
    # a search page's address holds the query: no page tells another server more than our origin
    assert "Referrer-Policy: strict-origin\n" in headers and '<meta name="referrer" content="strict-origin">' in page


def test_every_public_endpoint_is_frozen(tmp_path: Path, corpus_dir: Path, monkeypatch) -> None:
    monkeypatch.setattr(freeze, "GENERATED_ENDPOINTS", freeze.GENERATED_ENDPOINTS - {"public.a_z"})
    with pytest.raises(BuildError, match=r"no URL generator for public\.a_z"):
        pipeline.build(corpus_dir, tmp_path / "site", tmp_path / "index", TODAY)


def test_content_without_attachments_builds(tmp_path: Path, corpus_dir: Path) -> None:
    (corpus_dir / "bygglov" / "ritning.pdf").unlink()
    text = (corpus_dir / "bygglov" / "sv.md").read_text("utf-8").replace(" ([exempel](ritning.pdf))", "")
    (corpus_dir / "bygglov" / "sv.md").write_text(text, "utf-8")
    summary = pipeline.build(corpus_dir, tmp_path / "site", tmp_path / "index", TODAY)
    assert summary["pages"] > 0
