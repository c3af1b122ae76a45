"""What a team would use instead, on the same articles: SQLite FTS5 for search, MkDocs for the static site.

* FTS5 (Python's ``sqlite3``): one row per article version with title, summary, keywords, body and the
  internal notes; ``unicode61`` tokens, BM25 ranking with the same field weights as the product. It has
  no stemming, no compound splitting and no typo tolerance: it is a floor for raw query speed, not a
  rival in quality (typo queries mostly find nothing).
* MkDocs: the public Markdown (``sv`` and ``en`` pages, no internal notes) with front matter turned into
  a heading and a lead, ``article:`` links rewritten to page links, the default theme and its search
  plugin, and a one-entry ``nav`` (an automatic nav of every page would make MkDocs quadratic).
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import yaml
from queries import Query

FIELD_WEIGHTS = (0.0, 0.0, 6.0, 2.5, 4.0, 1.0, 1.5)  # id, lang, title, summary, keywords, body, internal
_LINK = re.compile(r"\(article:([a-z0-9-]+)\)")
_TOKEN = re.compile(r"\w+", re.UNICODE)


def read_version(path: Path) -> tuple[dict, str]:
    """The front matter and body of one Markdown file."""
    text = path.read_text("utf-8")
    if text.startswith("---"):
        _, front, body = text.split("---\n", 2)
        return yaml.safe_load(front) or {}, body
    return {}, text


def fts5_build(content: Path, db: Path) -> tuple[sqlite3.Connection, int]:
    """Read every article folder into a fresh FTS5 table at *db*; the open connection and the row count."""
    db.unlink(missing_ok=True)
    conn = sqlite3.connect(db)
    conn.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, lang UNINDEXED, title, summary, keywords, "
                 "body, internal, tokenize = 'unicode61 remove_diacritics 0')")
    rows = []
    for folder in sorted(p for p in content.iterdir() if (p / "sv.md").is_file()):
        notes = (folder / "internal.md").read_text("utf-8") if (folder / "internal.md").is_file() else ""
        for path in sorted(folder.glob("*.md")):
            if path.name == "internal.md":
                continue
            front, body = read_version(path)
            rows.append((folder.name, path.stem, str(front.get("title", "")), str(front.get("summary", "")),
                         " ".join(str(k) for k in front.get("keywords") or []), body, notes))
    conn.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    conn.commit()
    return conn, len(rows)


def fts5_expression(q: Query) -> str:
    """An FTS5 MATCH expression: every word must match; the last one as a prefix when *q* is unfinished."""
    words = [w for w in _TOKEN.findall(q.text.lower()) if w]
    terms = [f'"{w}"' for w in words]
    if q.prefix and terms:
        terms[-1] += "*"
    return " ".join(terms)


def fts5_search(conn: sqlite3.Connection, q: Query, limit: int = 10) -> list[tuple]:
    """The top *limit* rows for *q* in its language, ranked by weighted BM25, with title and summary."""
    expr = fts5_expression(q)
    if not expr:
        return []
    weights = ", ".join(str(w) for w in FIELD_WEIGHTS)
    sql = (f"SELECT id, title, summary, bm25(docs, {weights}) AS score FROM docs "  # noqa: S608 (fixed numbers)
           "WHERE docs MATCH ? AND lang = ? ORDER BY score LIMIT ?")
    return conn.execute(sql, (expr, q.lang, limit)).fetchall()


def mkdocs_export(content: Path, workdir: Path) -> int:
    """Write ``mkdocs.yml`` and ``docs/`` for the public articles of *content* into *workdir*; file count."""
    docs = workdir / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "index.md").write_text("# Exempelstads kommun\n\nVälkommen.\n", "utf-8")
    count = 1
    for folder in sorted(p for p in content.iterdir() if (p / "sv.md").is_file()):
        src_front, _ = read_version(folder / "sv.md")
        if src_front.get("audience", "public") != "public":
            continue
        for path in sorted(folder.glob("*.md")):
            if path.name == "internal.md":
                continue
            front, body = read_version(path)
            out = docs / path.stem / f"{folder.name}.md"
            out.parent.mkdir(exist_ok=True)
            body = _LINK.sub(r"(\1.md)", body)
            out.write_text(f"# {front.get('title', '')}\n\n{front.get('summary', '')}\n\n{body}", "utf-8")
            count += 1
    config = {"site_name": "Exempelstads kommun", "site_url": "https://www.exempelstad.se/", "theme": "mkdocs",
              "nav": [{"Hem": "index.md"}], "plugins": ["search"], "site_dir": "site", "docs_dir": "docs"}
    (workdir / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    return count


def mkdocs_build(workdir: Path) -> Path:
    """``mkdocs build`` in *workdir* (a child process, as a team would run it); the site folder."""
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--quiet", "-f", str(workdir / "mkdocs.yml")],
                          capture_output=True, text=True, check=False, cwd=workdir, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"mkdocs build failed: {done.stderr[-2000:]}")
    return workdir / "site"
