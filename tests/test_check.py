"""Every validation rule of `portal check`, each on a tiny corpus built in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.cli.main import cli
from portal.content.load import load_corpus

SITE = """\
site:
  name: Provby kommun
  base_url: https://www.provby.se
source_language: sv
languages:
  - {code: sv, name: Svenska, dir: ltr}
  - {code: en, name: English, dir: ltr}
  - {code: ar, name: العربية, dir: rtl}
categories:
  bygga:
    sv: Bygga
  kultur:
    sv: Kultur
answer_groups:
  bas:
    sv: Basnivå
departments:
  bygg: Byggförvaltningen
contact:
  phone: "010-10 10 10"
  hours:
    monday: "08:00-17:00"
"""

GOOD = """\
---
title: Ansöka om bygglov
summary: Så ansöker du om bygglov.
category: bygga
answer_group: bas
department: bygg
review_by: 2030-01-01
---
Text om bygglov.
"""

INTERNAL = """\
---
title: Intern rutin
summary: Bara för handläggare.
category: kultur
audience: internal
---
Intern text.
"""


def make(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    """A content folder with site.yml, one good article, and *files* (relative path -> content)."""
    root = tmp_path / "content"
    base: dict[str, str | bytes] = {"site.yml": SITE, "bygglov/sv.md": GOOD}
    for rel, content in {**base, **files}.items():
        if content is None:  # a file deliberately left out
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def errors(root: Path) -> list[str]:
    _, problems = load_corpus(root)
    return [str(p) for p in problems if p.is_error]


def fm(**changes: str | None) -> str:
    """GOOD with front-matter lines replaced (value None removes the key)."""
    lines = GOOD.splitlines()
    out = []
    for line in lines:
        key = line.split(":", 1)[0]
        if key in changes:
            if changes[key] is not None:
                out.append(f"{key}: {changes.pop(key)}")
            else:
                changes.pop(key)
            continue
        if line == "---" and out and changes:
            out.extend(f"{k}: {v}" for k, v in changes.items() if v is not None)
            changes = {}
        out.append(line)
    return "\n".join(out) + "\n"


# (name, files, expected path suffix:line, expected words in the message)
CASES = [
    ("missing title", {"bygglov/sv.md": fm(title=None)}, "bygglov/sv.md:2", "'title' is required"),
    ("missing summary", {"bygglov/sv.md": fm(summary=None)}, "bygglov/sv.md:2", "'summary' is required"),
    ("missing category", {"bygglov/sv.md": fm(category=None)}, "bygglov/sv.md:2", "known categories: bygga, kultur"),
    ("unknown key", {"bygglov/sv.md": fm(titel="x")}, "bygglov/sv.md:8", "unknown key 'titel'"),
    ("title too long", {"bygglov/sv.md": fm(title="a" * 201)}, "bygglov/sv.md:2", "the limit is 200"),
    ("summary too long", {"bygglov/sv.md": fm(summary="a" * 401)}, "bygglov/sv.md:3", "the limit is 400"),
    ("unknown category", {"bygglov/sv.md": fm(category="fritid")}, "bygglov/sv.md:4",
     "category 'fritid' is not known"),
    ("unknown answer group", {"bygglov/sv.md": fm(answer_group="xyz")}, "bygglov/sv.md:5", "answer group 'xyz'"),
    ("unknown department", {"bygglov/sv.md": fm(department="skola")}, "bygglov/sv.md:6", "department 'skola'"),
    ("bad audience", {"bygglov/sv.md": fm(audience="alla")}, "bygglov/sv.md:8", "audience 'alla'"),
    ("bad status", {"bygglov/sv.md": fm(status="klar")}, "bygglov/sv.md:8", "status 'klar'"),
    ("bad rosa", {"bygglov/sv.md": fm(rosa="info")}, "bygglov/sv.md:8", "ROSA level 'info'"),
    ("unreal date", {"bygglov/sv.md": fm(review_by="2027-02-30")}, "bygglov/sv.md:7", "real date"),
    ("date as words", {"bygglov/sv.md": fm(review_by="nästa vår")}, "bygglov/sv.md:7", "YYYY-MM-DD"),
    ("http e-service", {"bygglov/sv.md": fm(self_service="{url: 'http://e.provby.se/x', label: Ansök}")},
     "bygglov/sv.md:8", "https://"),
    ("e-service without label", {"bygglov/sv.md": fm(self_service="{url: 'https://e.provby.se/x'}")},
     "bygglov/sv.md:8", "'label' is required"),
    ("e-service unknown key", {"bygglov/sv.md": fm(self_service="{url: 'https://e.provby.se/x', label: A, "
                                                                 "lnk: x}")},
     "bygglov/sv.md:8", "unknown key 'lnk' in self_service"),
    ("keywords not a list", {"bygglov/sv.md": fm(keywords="dagis, förskola")}, "bygglov/sv.md:8", "must be a list"),
    ("title a mapping", {"bygglov/sv.md": fm(title="{a: b}")}, "bygglov/sv.md:2", "must be text"),
    ("related missing", {"bygglov/sv.md": fm(related="[finns-inte]")}, "bygglov/sv.md:8",
     "related article 'finns-inte' does not exist"),
    ("related bad id", {"bygglov/sv.md": fm(related="[Finns Inte]")}, "bygglov/sv.md:8", "not an article id"),
    ("uppercase id", {"Parkering/sv.md": GOOD}, "Parkering:1", "not a valid article id"),
    ("id with space", {"min artikel/sv.md": GOOD}, "min artikel:1", "not a valid article id"),
    ("ids differ in case", {"BYGGLOV/sv.md": GOOD}, "bygglov:1", "collides with 'BYGGLOV'"),
    ("reserved id", {"search/sv.md": GOOD}, "search:1", "reserved"),
    ("invalid utf-8", {"bygglov/sv.md": GOOD.encode() + b"\nrad tre \xff\xfe\n"}, "bygglov/sv.md:11",
     "not valid UTF-8"),
    ("latin-1 file", {"bygglov/sv.md": GOOD.replace("Text", "Text på svenska").encode("latin-1")},
     "bygglov/sv.md:2", "UTF-8"),
    ("binary", {"bygglov/sv.md": b"---\ntitle: x\x00\x01\n---\n"}, "bygglov/sv.md:2", "binary"),
    ("empty file", {"bygglov/sv.md": ""}, "bygglov/sv.md:1", "empty"),
    ("blank file", {"bygglov/sv.md": "  \n\n"}, "bygglov/sv.md:1", "empty"),
    ("huge file", {"bygglov/sv.md": GOOD + "ord " * 300_000}, "bygglov/sv.md:1", "the limit is 1 MiB"),
    ("translation without source", {"skola/en.md": "---\ntitle: School\nsummary: S.\n---\n"},
     "skola/en.md:1", "has no source"),
    ("unpublished language", {"bygglov/de.md": "---\ntitle: Bau\nsummary: S.\n---\n"}, "bygglov/de.md:1",
     "'de' is not a published language"),
    ("unknown markdown file", {"bygglov/anteckningar.md": "x"}, "bygglov/anteckningar.md:1", "unknown file"),
    ("folder without source", {"tom/bild.png": b"\x89PNG"}, "tom:1", "has no sv.md"),
    ("broken yaml", {"bygglov/sv.md": "---\ntitle: Bygglov\nsummary: [oavslutad\ncategory: bygga\n---\n"},
     "bygglov/sv.md:", "the YAML cannot be read"),
    ("colon in value", {"bygglov/sv.md": "---\ntitle: Bygglov: så gör du\nsummary: S.\ncategory: bygga\n---\n"},
     "bygglov/sv.md:2", "text containing ': ' needs quotes"),
    ("tab indentation", {"bygglov/sv.md": "---\ntitle: A\nsummary: B\nself_service:\n\turl: x\n---\n"},
     "bygglov/sv.md:", "the YAML cannot be read"),
    ("front matter a list", {"bygglov/sv.md": "---\n- a\n- b\n---\n"}, "bygglov/sv.md:2", "keys and values"),
    ("unclosed front matter", {"bygglov/sv.md": "---\ntitle: A\nsummary: B\n"}, "bygglov/sv.md:1", "not closed"),
    ("no front matter", {"bygglov/sv.md": "# Bygglov\n\nText.\n"}, "bygglov/sv.md:1", "must start with front"),
    ("duplicate key", {"bygglov/sv.md": fm(title="A\ntitle: B")}, "bygglov/sv.md:3", "appears twice"),
    ("link to missing id", {"bygglov/sv.md": GOOD + "\nSe [annat](article:saknas).\n"}, "bygglov/sv.md:11",
     "'article:saknas' points to an article that does not exist"),
    ("public links internal", {"rutin/sv.md": INTERNAL,
                               "bygglov/sv.md": GOOD + "Se [rutinen](article:rutin).\n"},
     "bygglov/sv.md:10", "cannot link to the internal article 'rutin'"),
    ("translation with source key", {"bygglov/en.md": "---\ntitle: Permit\nsummary: S.\ncategory: bygga\n---\n"},
     "bygglov/en.md:4", "unknown key 'category' in a translation"),
    ("translation e-service url", {"bygglov/en.md": "---\ntitle: P\nsummary: S.\nself_service: {url: 'https://x.se'}\n---\n"},
     "bygglov/en.md:4", "self_service.url' belongs in the source"),
    ("translation missing title", {"bygglov/en.md": "---\nsummary: S.\n---\n"}, "bygglov/en.md:2",
     "'title' is required"),
    ("bad source_revision", {"bygglov/en.md": "---\ntitle: P\nsummary: S.\nsource_revision: main\n---\n"},
     "bygglov/en.md:4", "git commit id"),
    ("redirect to existing id", {"annat/sv.md": fm(redirect_from="[bygglov]")}, "annat/sv.md:8",
     "existing article"),
    ("expires before publish", {"bygglov/sv.md": fm(publish_from="2027-01-01", expires="2026-01-01")},
     "bygglov/sv.md:9", "'expires' must come after"),
    ("internal.md with front matter", {"bygglov/internal.md": "---\na: b\n---\nText"}, "bygglov/internal.md:1",
     "without front matter"),
    ("invalid utf-8 in internal.md", {"bygglov/internal.md": b"ok\n\xc3\x28\n"}, "bygglov/internal.md:2", "UTF-8"),
    ("site unknown key", {"site.yml": SITE + "theme: dark\n"}, "site.yml:23", "unknown key 'theme'"),
    ("site category unknown language", {"site.yml": SITE.replace("    sv: Kultur", "    sv: Kultur\n    de: Kultur")},
     "site.yml:14", "language 'de' is not in languages"),
    ("site source language not published", {"site.yml": SITE.replace("source_language: sv", "source_language: fi")},
     "site.yml:4", "source_language 'fi' is not in languages"),
    ("site bad dir", {"site.yml": SITE.replace("dir: rtl", "dir: right")}, "site.yml:8", "dir must be ltr or rtl"),
    ("site bad hours", {"site.yml": SITE.replace('"08:00-17:00"', "8-17")}, "site.yml:22", "opening hours"),
    ("site missing", {"site.yml": None}, "site.yml:1", "site.yml is missing"),
    ("site broken yaml", {"site.yml": SITE + "  bad: [\n"}, "site.yml:", "the YAML cannot be read"),
    ("featured missing", {"site.yml": SITE + "featured: [finns-inte]\n"}, "site.yml:23", "featured article"),
    ("synonyms not groups", {"synonyms.yml": "- dagis\n"}, "synonyms.yml:1", "at least two words"),
]


@pytest.mark.parametrize(("name", "files", "where", "words"), CASES, ids=[c[0] for c in CASES])
def test_rule(tmp_path: Path, name: str, files: dict, where: str, words: str) -> None:
    root = make(tmp_path, files)
    found = errors(root)
    assert any(where in e and words in e for e in found), f"{name}: expected {where!r} / {words!r} in {found}"


def test_every_problem_in_one_run(tmp_path: Path) -> None:
    root = make(tmp_path, {"bygglov/sv.md": fm(category="fritid", review_by="x"), "skola/en.md": "---\n---\n",
                           "Fel/sv.md": GOOD})
    found = errors(root)
    assert len(found) >= 4
    assert any("fritid" in e for e in found) and any("review_by" in e for e in found)
    assert any("skola/en.md" in e for e in found) and any("Fel" in e for e in found)


def test_bom_and_crlf_accepted(tmp_path: Path) -> None:
    raw = ("\ufeff" + GOOD).replace("\n", "\r\n").encode("utf-8")
    root = make(tmp_path, {"bygglov/sv.md": raw})
    corpus, problems = load_corpus(root)
    assert not [p for p in problems if p.is_error]
    assert corpus.articles["bygglov"].source.title == "Ansöka om bygglov"
    assert "\r" not in corpus.articles["bygglov"].source.body


def test_front_matter_without_body_accepted(tmp_path: Path) -> None:
    root = make(tmp_path, {"bygglov/sv.md": GOOD.split("Text om")[0].rstrip() + "\n"})
    corpus, problems = load_corpus(root)
    assert not [p for p in problems if p.is_error]
    assert corpus.articles["bygglov"].source.body.strip() == ""


def test_past_review_date_is_a_warning(tmp_path: Path, runner) -> None:
    root = make(tmp_path, {"bygglov/sv.md": fm(review_by="2001-01-01")})
    result = runner.invoke(cli, ["check", "--articles", str(root), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "warning: review_by 2001-01-01 has passed" in result.output


def test_attachments_and_internal_attachments(tmp_path: Path) -> None:
    root = make(tmp_path, {"bygglov/karta.pdf": b"%PDF-1.4", "bygglov/internal/lista.txt": "intern",
                           "bygglov/bilder/a.png": b"\x89PNG"})
    corpus, _ = load_corpus(root)
    art = corpus.articles["bygglov"]
    assert sorted(p.name for p in art.attachments) == ["a.png", "karta.pdf"]
    assert [p.name for p in art.internal_attachments] == ["lista.txt"]


def test_symlinked_attachment_rejected(tmp_path: Path) -> None:
    root = make(tmp_path, {})
    (root / "bygglov" / "passwd").symlink_to("/etc/passwd")
    assert any("links to other files are not allowed" in e for e in errors(root))


def test_sample_content_is_valid() -> None:
    root = Path(__file__).resolve().parents[1] / "articles"
    corpus, problems = load_corpus(root)
    assert [str(p) for p in problems if p.is_error] == []
    public = [a for a in corpus.articles.values() if a.audience == "public"]
    assert len(public) >= 40
    assert sum(a.self_service is not None for a in public) >= 25
    assert sum("en" in a.translations for a in public) >= 15
    assert sum("ar" in a.translations for a in public) >= 5
    assert sum("fi" in a.translations for a in public) >= 5
    assert sum(a.internal_md is not None for a in corpus.articles.values()) >= 10
    assert sum(a.audience == "internal" for a in corpus.articles.values()) >= 3
    assert {a.category for a in public} == set(corpus.site.categories)


def test_public_text_cannot_link_into_internal_folder(tmp_path: Path) -> None:
    root = make(tmp_path, {"bygglov/sv.md": GOOD + "Se [listan](internal/lista.txt).\n",
                           "bygglov/internal/lista.txt": "intern"})
    assert any("bygglov/sv.md:10" in e and "internal/" in e for e in errors(root))
    root = make(tmp_path / "ok", {"bygglov/internal.md": "Se [listan](internal/lista.txt).\n",
                                  "bygglov/internal/lista.txt": "intern"})
    assert errors(root) == []


NOTICE = """notice:
  from: 2026-12-01
  until: 2026-12-27
  sv: Stängt i jul.
  en: Closed at Christmas.
"""


def _notice_problems(tmp_path: Path, notice: str, today: str) -> list[str]:
    import datetime as dt

    root = make(tmp_path, {"site.yml": SITE + notice})
    _, problems = load_corpus(root, dt.date.fromisoformat(today))
    return [str(p) for p in problems if "notice" in p.message]


def test_notice_missing_a_published_language_is_a_warning_naming_it(tmp_path: Path) -> None:
    (problem,) = _notice_problems(tmp_path, NOTICE, "2026-12-05")
    assert problem.startswith(f"{tmp_path}/content/site.yml:") and "warning: notice: no text in 'ar'" in problem


def test_expired_notice_is_a_warning_on_its_until_line(tmp_path: Path) -> None:
    (problem,) = _notice_problems(tmp_path, NOTICE, "2026-12-28")
    line = (SITE + NOTICE).splitlines().index("  until: 2026-12-27") + 1
    assert problem == (f"{tmp_path}/content/site.yml:{line}: warning: notice: it ended on 2026-12-27 and is no "
                       "longer shown; remove it from site.yml")


@pytest.mark.parametrize(("dates", "message"), [
    ("  from: soon\n", "notice: from must be a date such as 2026-12-24"),
    ("  until: '2026-13-45'\n", "notice: until must be a date such as 2026-12-24"),
    ("  from: 2026-12-10\n  until: 2026-12-01\n", "notice: until (2026-12-01) is before from (2026-12-10)"),
])
def test_bad_notice_dates_are_errors(tmp_path: Path, dates: str, message: str) -> None:
    root = make(tmp_path, {"site.yml": SITE + "notice:\n" + dates + "  sv: Text.\n  en: Text.\n  ar: نص.\n"})
    assert any(message in e for e in errors(root)), errors(root)
