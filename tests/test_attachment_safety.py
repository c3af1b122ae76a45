"""Nothing in an article folder but allowed attachments is published (issue 26, findings 1 and 2).

Attachments are published by an allow-list of file types; anything else (HTML, scripts, SVG, XML, programs,
archives ...) is an error in `portal check` and is never published nor served, even when the check is skipped.
Every file or folder whose name starts with "internal", in any case and at any depth, is internal; editor,
backup and merge leftovers are errors and never published. Served attachments carry their type, `nosniff`,
a disposition and (but PDF) a sandboxing policy.
"""

from __future__ import annotations

import gzip
import shutil
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal import create_app
from portal.build.published import PublicSite
from portal.build.stages import cache_dir_for, load_content
from portal.cli.main import cli
from portal.content import problemtext
from portal.content.load import load_corpus
from portal.exceptions import BuildError, ContentError
from portal.site import pipeline
from portal.site.freeze import freeze_site
from tests.conftest import CORPUS, MARKERS, TODAY, git_init
from tests.test_auth import add_users, login
from tests.test_check import GOOD, make

GZIPPED = (".pf_fragment", ".pf_index", ".pf_meta")

# Files that could run code in a browser, or that nobody publishes beside an article (public folder names).
HOSTILE = {
    "info.html": '<p>MARKER-HOSTILE-HTML-a1</p><script src="helper.js"></script>',
    "helper.js": "/* MARKER-HOSTILE-JS-a2 */ fetch('/agent/article/hemlig-rutin');",
    "x.svg": '<svg xmlns="http://www.w3.org/2000/svg"><script href="helper.js"/><!-- MARKER-HOSTILE-SVG-a3 --></svg>',
    "data.xml": "<x>MARKER-HOSTILE-XML-a4</x>",
    "page.xhtml": '<html xmlns="http://www.w3.org/1999/xhtml">MARKER-HOSTILE-XHTML-a5</html>',
    "Sida.HTM": "<p>MARKER-HOSTILE-HTM-a6</p>",
    "run.exe": b"MZ MARKER-HOSTILE-EXE-a7",
    "bundle.zip": b"PK\x03\x04 MARKER-HOSTILE-ZIP-a8",
    "style.css": "/* MARKER-HOSTILE-CSS-a9 */",
    "README": "MARKER-HOSTILE-NOEXT-b1",
    "sub/nested.html": "<p>MARKER-HOSTILE-NESTED-b2</p>",
    "sub/notes.md": "MARKER-HOSTILE-SUBMD-b3",
    "makro.docm": b"PK MARKER-HOSTILE-DOCM-b4",
}
# A name the build writes itself into the article's folder.
CLASH = {"index.html": "<h1>MARKER-CLASH-INDEX-c1</h1>"}
# Internal by name: never public (internal.md~ and internal.md.orig are leftovers, INTERNAL.MD a misnamed note).
INTERNAL = {
    "Internal/plan.txt": "MARKER-INT-CAPS-DIR-d1",
    "INTERNAL/lista.pdf": b"%PDF-1.4 MARKER-INT-UPPER-DIR-d2",
    "sub/internal.md": "MARKER-INT-SUB-NOTE-d3",
    "internal.md~": "MARKER-INT-TILDE-d4",
    "internal.md.orig": "MARKER-INT-ORIG-d5",
    "INTERNAL.MD": "MARKER-INT-UPPER-NOTE-d6",
    "internal-notes.pdf": b"%PDF-1.4 MARKER-INT-PDF-d7",
    "bilagor/Internal-beslut.docx": b"PK MARKER-INT-DEEP-d8",
    "Internal.txt": "MARKER-INT-TXT-d9",
}
# Backup, merge and editor leftovers.
LEFTOVERS = {
    "sv.md~": "MARKER-LEFT-TILDE-e1",
    "sv.md.orig": "MARKER-LEFT-ORIG-e2",
    "sv.md.rej": "MARKER-LEFT-REJ-e3",
    "ritning.pdf.bak": b"%PDF MARKER-LEFT-BAK-e4",
    ".sv.md.swp": b"b0VIM MARKER-LEFT-SWP-e5",
    ".sv.md.swo": b"b0VIM MARKER-LEFT-SWO-e6",
    "#sv.md#": "MARKER-LEFT-EMACS-e7",
    ".#sv.md": "MARKER-LEFT-LOCK-e8",
    ".DS_Store": b"\0\0\0\1Bud1 MARKER-LEFT-DSSTORE-e9",
    "Thumbs.db": b"MARKER-LEFT-THUMBS-f1",
    "desktop.ini": "[.ShellClassInfo] MARKER-LEFT-DESKTOP-f2",
    "~$blankett.docx": b"MARKER-LEFT-OWNER-f3",
    "ritning_BACKUP_4711.pdf": b"%PDF MARKER-LEFT-MERGETOOL-f4",
    "sub/karta.png~": b"MARKER-LEFT-SUB-f5",
}
# What a municipality does publish beside an article: (content type, shown inline).
ALLOWED = {
    "karta.pdf": (b"%PDF-1.4 karta", "application/pdf", True),
    "bild.png": (b"\x89PNG\r\n\x1a\n bild", "image/png", True),
    "Foto.JPG": (b"\xff\xd8\xff foto", "image/jpeg", True),
    "blankett.docx": (b"PK\x03\x04 blankett", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                      False),
    "sub/taxa.xlsx": (b"PK\x03\x04 taxa", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
    "las-mig.txt": ("<script>alert(1)</script> text", "text/plain", True),
    "lista.csv": ("a;b\n1;2\n", "text/csv", False),
}


def _markers(files: dict) -> list[str]:
    out = []
    for content in files.values():
        text = content.decode("latin-1") if isinstance(content, bytes) else content
        out += [w.strip("<>/*!-") for w in text.split() if "MARKER-" in w]
    return [m[m.index("MARKER-"):].split("<")[0] for m in out]


def _write(folder: Path, files: dict) -> None:
    for rel, content in files.items():
        if isinstance(content, tuple):
            content = content[0]
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def corpus_with(tmp_path: Path, files: dict, article: str = "bygglov") -> Path:
    """A copy of the test corpus with *files* added to the folder of *article*, committed to git."""
    root = tmp_path / "articles"
    shutil.copytree(CORPUS, root)
    _write(root / article, files)
    git_init(root)
    return root


def all_bytes(site: Path) -> dict[str, bytes]:
    """Every file of a built site by its path, Pagefind's compressed files decompressed."""
    out = {}
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        data = path.read_bytes()
        out[path.relative_to(site).as_posix()] = gzip.decompress(data) if path.suffix in GZIPPED else data
    return out


def app_for(root: Path, tmp_path: Path, **config):
    return create_app({"TESTING": True, "ARTICLES_DIR": root, "INDEX_DIR": tmp_path / "index",
                       "TODAY": TODAY.isoformat(), "SECRET_KEY": "test-secret", "DATA_DIR": tmp_path / "data",
                       **config})


def fetch(client, url: str):
    """GET *url*; the response, already read and closed (a failed assertion leaves no file open)."""
    r = client.get(url)
    r.get_data()
    r.close()
    return r


def errors_for(root: Path) -> list:
    _, problems = load_corpus(root)
    return [p for p in problems if p.is_error]


# --- portal check ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_file_type_off_the_allow_list_is_a_check_error_naming_it(tmp_path: Path, name: str) -> None:
    root = make(tmp_path, {f"bygglov/{name}": HOSTILE[name]})
    found = [p for p in errors_for(root) if p.path.endswith(f"bygglov/{name}")]
    assert len(found) == 1, errors_for(root)
    assert found[0].line == 1
    message = found[0].message
    assert name in message and "PDF" in message and "internal/" in message  # what to do instead
    assert root.joinpath("bygglov", name) not in load_corpus(root)[0].articles["bygglov"].attachments


def test_an_attachment_named_like_the_article_page_is_an_error(tmp_path: Path) -> None:
    root = make(tmp_path, {"bygglov/index.html": CLASH["index.html"], "bygglov/sub/index.pdf": b"%PDF"})
    found = [p for p in errors_for(root) if "index" in p.path]
    assert [p.path.rsplit("content/", 1)[1] for p in found] == ["bygglov/index.html"]
    assert "index.html" in found[0].message and "rename" in found[0].message


@pytest.mark.parametrize("name", sorted(LEFTOVERS))
def test_a_leftover_is_a_check_error_saying_delete_it(tmp_path: Path, name: str) -> None:
    root = make(tmp_path, {f"bygglov/{name}": LEFTOVERS[name]})
    found = [p for p in errors_for(root) if p.path.endswith(f"bygglov/{name}")]
    assert len(found) == 1, errors_for(root)
    assert found[0].line == 1 and name in found[0].message and "delete" in found[0].message


@pytest.mark.parametrize("name", ["internal.md~", "internal.md.orig", "Internal.md.bak", "sub/internal.md.rej"])
def test_an_internal_notes_leftover_is_an_error(tmp_path: Path, name: str) -> None:
    root = make(tmp_path, {"bygglov/internal.md": "Anteckning.", f"bygglov/{name}": "gammal anteckning"})
    found = [p for p in errors_for(root) if p.path.endswith(f"bygglov/{name}")]
    assert len(found) == 1 and "delete" in found[0].message


def test_internal_notes_named_in_another_case_is_an_error(tmp_path: Path) -> None:
    root = make(tmp_path, {"bygglov/INTERNAL.MD": "MARKER-INT-UPPER-NOTE-d6"})
    found = [p for p in errors_for(root) if p.path.endswith("bygglov/INTERNAL.MD")]
    assert len(found) == 1 and "internal.md" in found[0].message
    art = load_corpus(root)[0].articles["bygglov"]
    assert art.internal_md is None and not art.attachments
    assert [p.name for p in art.internal_attachments] == ["INTERNAL.MD"]  # agents still reach it


def test_internal_named_files_anywhere_are_agent_only(tmp_path: Path) -> None:
    files = {k: v for k, v in INTERNAL.items() if k not in ("internal.md~", "internal.md.orig", "INTERNAL.MD")}
    root = make(tmp_path, {f"bygglov/{k}": v for k, v in files.items()})
    assert errors_for(root) == []
    art = load_corpus(root)[0].articles["bygglov"]
    assert art.attachments == []
    assert sorted(p.relative_to(art.folder).as_posix() for p in art.internal_attachments) == sorted(files)


@pytest.mark.parametrize("target", ["Internal/plan.txt", "./INTERNAL-beslut.pdf", "bilagor/internal.md",
                                    "bilagor/Internal/lista.pdf"])
def test_public_text_cannot_link_an_internal_named_file(tmp_path: Path, target: str) -> None:
    root = make(tmp_path, {"bygglov/sv.md": GOOD + f"Se [filen]({target}).\n"})
    assert any(p.path.endswith("bygglov/sv.md") and p.line == 10 and p.code == "internal-file-link"
               for p in errors_for(root)), target


def test_links_that_only_look_internal_are_fine(tmp_path: Path) -> None:
    text = ("Se [kartan](intern-karta.pdf), [sidan](https://internal.example.se/a) och "
            "[broschyren](bilagor/internationell.pdf).\n")
    root = make(tmp_path, {"bygglov/sv.md": GOOD + text, "bygglov/intern-karta.pdf": b"%PDF",
                           "bygglov/bilagor/internationell.pdf": b"%PDF"})
    assert errors_for(root) == []


def test_allowed_attachments_pass_the_check(tmp_path: Path) -> None:
    root = make(tmp_path, {f"bygglov/{k}": v[0] for k, v in ALLOWED.items()} | {"bygglov/.gitkeep": ""})
    assert errors_for(root) == []
    art = load_corpus(root)[0].articles["bygglov"]
    assert sorted(p.relative_to(art.folder).as_posix() for p in art.attachments) == sorted(ALLOWED)


def test_attachments_differing_only_in_case_are_an_error(tmp_path: Path) -> None:
    root = make(tmp_path, {"bygglov/karta.pdf": b"%PDF", "bygglov/Karta.PDF": b"%PDF"})
    found = errors_for(root)
    assert len(found) == 1 and "Karta.PDF" in found[0].message and "karta.pdf" in found[0].message
    assert [p.name for p in load_corpus(root)[0].articles["bygglov"].attachments] == ["Karta.PDF"]


def test_portal_check_names_every_file_and_exits_1(tmp_path: Path, runner) -> None:
    root = make(tmp_path, {"bygglov/info.html": "<p>x</p>", "bygglov/sv.md~": "old", "bygglov/karta.pdf": b"%PDF"})
    result = runner.invoke(cli, ["check", "--articles", str(root)])
    assert result.exit_code == 1, result.output
    assert "bygglov/info.html:1: " in result.output and "bygglov/sv.md~:1: " in result.output
    assert "karta.pdf" not in result.output


def test_the_messages_are_in_swedish_for_the_agent_app(tmp_path: Path) -> None:
    root = make(tmp_path, {"bygglov/info.html": "x", "bygglov/sv.md~": "x", "bygglov/index.html": "x",
                           "bygglov/INTERNAL.MD": "x", "bygglov/a.pdf": b"%PDF", "bygglov/A.pdf": b"%PDF"})
    found = errors_for(root)
    assert len(found) == 5
    app = create_app({"TESTING": True, "ARTICLES_DIR": root, "INDEX_DIR": tmp_path / "index"})
    with app.test_request_context("/agent/reports/content"):
        texts = [problemtext.problem_text(problem) for problem in found]
    for problem, swedish in zip(found, texts, strict=True):
        assert swedish != problem.message and "%(" not in swedish, problem
        assert Path(problem.path).name in swedish, swedish
    assert "radera" in " ".join(texts).lower() and "byt namn" in " ".join(texts).lower()


# --- the static build --------------------------------------------------------------------------------------------

def test_the_build_refuses_content_with_such_files_before_writing(tmp_path: Path) -> None:
    root = corpus_with(tmp_path, {"info.html": HOSTILE["info.html"]})
    out = tmp_path / "site"
    with pytest.raises(ContentError):
        pipeline.build(root, out, tmp_path / "index", today=TODAY)
    assert not out.exists()
    (root / "bygglov" / "info.html").unlink()
    pipeline.build(root, out, tmp_path / "index", today=TODAY)
    (root / "bygglov" / "sv.md~").write_text("MARKER-LEFT-TILDE-e1")
    before = all_bytes(out)
    with pytest.raises(ContentError):
        pipeline.build_incremental(root, out, tmp_path / "index", today=TODAY)
    assert all_bytes(out) == before


def test_even_without_the_check_nothing_but_allowed_attachments_is_built(tmp_path: Path) -> None:
    """The content loaded without stopping at its errors and frozen as it is: no hostile, internal or left-over
    file, nor any of their markers, anywhere in the output; the allowed attachments and the article page are."""
    files = {**HOSTILE, **INTERNAL, **LEFTOVERS, **{k: v[0] for k, v in ALLOWED.items()}}
    root = corpus_with(tmp_path, files)
    loaded = load_content(root, TODAY)
    assert loaded.corpus is not None and any(p.is_error for p in loaded.problems)
    out = tmp_path / "site"
    freeze_site(loaded.corpus, out, tmp_path / "index", today=TODAY, loaded=loaded)
    built = all_bytes(out)
    markers = _markers({**HOSTILE, **CLASH, **INTERNAL, **LEFTOVERS}) + list(MARKERS)
    assert len(markers) > 40
    for path, data in built.items():
        for marker in markers:
            assert marker.encode() not in data, (path, marker)
    for lang in ("sv", "en", "ar"):
        folder = sorted(p for p in built if p.startswith(f"{lang}/bygglov/"))
        easy = ["sv/bygglov/lattlast/index.html"] if lang == "sv" else []  # its easy-read text's page
        assert folder == sorted([f"{lang}/bygglov/index.html", f"{lang}/bygglov/ritning.pdf", *easy,
                                 *(f"{lang}/bygglov/{name}" for name in ALLOWED)]), folder
    assert not any("internal" in p.lower() for p in built)


def test_the_build_refuses_an_unsafe_attachment_that_got_past_the_loader(tmp_path: Path) -> None:
    """Defence in depth: an article whose attachments list names a hostile file (a stale cache, a bug) is
    not published."""
    root = corpus_with(tmp_path, {"info.html": HOSTILE["info.html"]})
    loaded = load_content(root, TODAY)
    corpus = loaded.corpus
    art = corpus.articles["bygglov"]
    art.attachments.append(art.folder / "info.html")
    out = tmp_path / "site"
    with pytest.raises(BuildError, match=r"info\.html"):
        freeze_site(corpus, out, tmp_path / "index", today=TODAY)
    assert not out.exists()


def test_the_index_html_attachment_never_replaces_the_article_page(tmp_path: Path) -> None:
    root = corpus_with(tmp_path, CLASH)
    loaded = load_content(root, TODAY)
    assert any(p.path.endswith("bygglov/index.html") for p in loaded.problems if p.is_error)
    out = tmp_path / "site"
    freeze_site(loaded.corpus, out, tmp_path / "index", today=TODAY, loaded=loaded)
    for lang in ("sv", "en", "ar"):
        page = (out / lang / "bygglov" / "index.html").read_text("utf-8")
        assert "MARKER-CLASH-INDEX-c1" not in page and "bygglov" in page


def test_a_cached_load_classifies_the_same_as_a_fresh_one(tmp_path: Path) -> None:
    root = corpus_with(tmp_path, {})
    cache = cache_dir_for(tmp_path / "index")
    first = load_content(root, TODAY, cache_dir=cache)
    assert not any(p.is_error for p in first.problems)
    _write(root / "bygglov", {"info.html": "x", ".DS_Store": b"x", "Internal/a.txt": "MARKER-INT-CAPS-DIR-d1"})
    again = load_content(root, TODAY, cache_dir=cache)
    fresh = load_content(root, TODAY)
    assert [str(p) for p in again.problems] == [str(p) for p in fresh.problems]
    names = {Path(p.path).name for p in again.problems if p.is_error}
    assert names == {"info.html", ".DS_Store"}
    for loaded in (again, fresh, load_content(root, TODAY, cache_dir=cache)):
        art = loaded.corpus.articles["bygglov"]
        assert [p.name for p in art.attachments] == ["ritning.pdf"]
        assert "Internal/a.txt" in {p.relative_to(art.folder).as_posix() for p in art.internal_attachments}
        assert loaded.pages["bygglov"].attachments == ("ritning.pdf",)


# --- served by the app (agent app, API and the preview of the public site) -----------------------------------

@pytest.fixture(params=[False, True], ids=["app", "preview"])
def hostile_app(request, tmp_path: Path):
    files = {**HOSTILE, **CLASH, **INTERNAL, **LEFTOVERS, **{k: v[0] for k, v in ALLOWED.items()}}
    root = corpus_with(tmp_path, files)
    dev = {"DEV": True, "RELOAD_CONTENT": True} if request.param else {}
    return app_for(root, tmp_path, **dev)


def test_the_app_serves_no_hostile_internal_or_left_over_file(hostile_app) -> None:
    client = hostile_app.test_client()
    names = [*HOSTILE, *CLASH, *INTERNAL, *LEFTOVERS]
    for lang in ("sv", "en"):
        for name in names:
            if name == "index.html":
                continue
            r = fetch(client, f"/{lang}/bygglov/{name.replace('#', '%23')}")
            assert r.status_code == 404, (lang, name, r.status_code)
        assert b"MARKER-CLASH-INDEX-c1" not in fetch(client, f"/{lang}/bygglov/index.html").data
    markers = _markers({**HOSTILE, **CLASH, **INTERNAL, **LEFTOVERS})
    for url in ("/sv/bygglov/", "/en/bygglov/", "/api/v1/articles/bygglov", "/api/v1/articles/bygglov?lang=en",
                "/api/v1/articles", "/api/v1/search?q=MARKER", "/api/v1/search?q=plan",
                "/api/v1/search?q=lista", "/sitemap.xml", "/sv/a-z/"):
        body = fetch(client, url).get_data(as_text=True)
        for marker in markers:
            assert marker not in body, (url, marker)
        assert "Internal/" not in body and "internal-notes" not in body, url


def test_a_hostile_file_listed_as_an_attachment_is_still_not_served(app, client) -> None:
    """Defence in depth: even a hostile file in an article's attachment list (a bypassed check) answers 404."""
    from portal.web.state import get_state

    with app.app_context():
        art = get_state().corpus().articles["bygglov"]
        for name in ("info.html", "x.svg", "helper.js", "internal.md", "sv.md~"):
            (art.folder / name).write_text("<script>MARKER</script>", encoding="utf-8")
            art.attachments.append(art.folder / name)
    for name in ("info.html", "x.svg", "helper.js", "internal.md", "sv.md~"):
        assert fetch(client, f"/sv/bygglov/{name}").status_code == 404, name


def test_allowed_attachments_are_served_with_their_type_nosniff_and_disposition(hostile_app) -> None:
    client = hostile_app.test_client()
    for name, (content, mimetype, inline) in ALLOWED.items():
        r = fetch(client, f"/sv/bygglov/{name}")
        assert r.status_code == 200, name
        assert r.mimetype == mimetype, name
        assert r.data == (content.encode() if isinstance(content, str) else content)
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        disposition = r.headers["Content-Disposition"]
        assert disposition.startswith("inline" if inline else "attachment"), (name, disposition)
        csp = r.headers["Content-Security-Policy"]
        if mimetype != "application/pdf":  # Chrome's PDF viewer refuses to run in a sandboxed document
            assert "sandbox" in csp and "default-src 'none'" in csp, (name, csp)
        assert "script-src 'self'" not in csp or mimetype == "application/pdf"


def test_agents_download_internal_named_files_only_as_downloads(hostile_app) -> None:
    add_users(hostile_app)
    client = hostile_app.test_client()
    assert login(client).status_code == 302
    page = client.get("/agent/article/bygglov").get_data(as_text=True)
    for rel in ("Internal/plan.txt", "sub/internal.md", "internal-notes.pdf", "INTERNAL.MD"):
        url = f"/agent/article/bygglov/internal/{rel}"
        assert url in page, rel
        r = fetch(client, url)
        assert r.status_code == 200, rel
        assert r.headers["Content-Disposition"].startswith("attachment")
        assert r.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in r.headers["Content-Security-Policy"]
    assert fetch(client, "/agent/article/bygglov/internal/checklista.txt").status_code == 200
    for rel in ("internal.md~", "internal.md.orig", "info.html", "../sv.md", "ritning.pdf"):
        assert fetch(client, f"/agent/article/bygglov/internal/{rel}").status_code == 404, rel


# --- a property: any internal-named file, anywhere ------------------------------------------------------------

def _any_case(word: str) -> st.SearchStrategy[str]:
    return st.tuples(*(st.sampled_from([c.lower(), c.upper()]) for c in word)).map("".join)


SAFE_CHARS = string.ascii_letters + string.digits + "-_.~#"
INTERNAL_NAMES = st.tuples(_any_case("internal"), st.text(SAFE_CHARS, max_size=8)).map("".join)
FOLDERS = st.lists(st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=6), max_size=2)
EXTENSIONS = st.sampled_from(["", ".md", ".pdf", ".png", ".txt", ".docx", ".html", ".md~", ".md.orig"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=INTERNAL_NAMES, ext=EXTENSIONS, before=FOLDERS, after=FOLDERS)
def test_any_internal_named_file_or_folder_at_any_depth_is_never_published(
        tmp_path_factory, name: str, ext: str, before: list[str], after: list[str]) -> None:
    rel = "/".join([*before, name + ext, *after])
    if after:
        rel += "/bilaga.pdf"
    tmp = tmp_path_factory.mktemp("prop")
    root = make(tmp, {f"bygglov/{rel}": b"%PDF-1.4 MARKER-PROPERTY-g1"})
    corpus, _problems = load_corpus(root)
    art = corpus.articles["bygglov"]
    assert art.attachments == [], rel
    published = [f for p in PublicSite.of_corpus(corpus, TODAY) for f in p.page.attachments]
    assert published == [], (rel, published)
    app = create_app({"TESTING": True, "ARTICLES_DIR": root, "INDEX_DIR": tmp / "index", "TODAY": TODAY.isoformat()})
    r = fetch(app.test_client(), "/sv/bygglov/" + rel.replace("#", "%23"))
    assert r.status_code == 404 and b"MARKER-PROPERTY-g1" not in r.data, rel
