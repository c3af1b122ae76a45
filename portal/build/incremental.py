"""Incremental freezing: which pages one changed article can change, and the rest taken from the last build.

Every build writes a manifest (:data:`MANIFEST`) into the site: the publishing day, one fingerprint of
everything that every page shows (site.yml, synonyms, the code, templates, UI translations, static files,
library versions) and, per public article, a fingerprint of what its pages show, its category and its
old ids. Only public facts go in: the manifest is published with the site, so a non-public article is
simply absent from it.

The next build compares: a different day or global fingerprint means a full build (every page shows
today's opening hours). Otherwise the changed articles are those whose fingerprint differs, that
appeared or that disappeared, and :func:`plan` works out every page that can show one of them, from
what the templates use:

* the article's own pages in every language (fallback pages included) and attachments;
* the redirect pages of its old ids (before and after the change): they show its title;
* pages of articles whose ``related`` list or body links name it or one of those old ids (a related
  entry shows its title; a body link turns into text when its target stops being public);
* the category pages of its category before and after; the A–Ö letter pages of the letter its title
  is listed under in each language, before and after (all of a language's when a letter comes or goes:
  each links every letter); the home pages (category counts, featured
  e-services), the A–Ö index pages (which letters have a page) and the sitemap, always.

What a plan re-renders and every other file in those article folders and letter folders is its
:class:`Cover`: the files of the previous build it may not reuse. Every other file is taken from the
previous build (portal.build.spare). Re-rendering a page too many is harmless; a stale page is not, so the
rules lean that way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from portal.build.published import PublicSite
from portal.content.model import Corpus
from portal.folders import PACKAGE, package_folder
from portal.render.localize import letter_slug

MANIFEST = "_build.json"
FORMAT = 3  # 2: each article's A–Ö letter per language; 3: fingerprints from portal.build.published
_LIBRARIES = ("Flask", "Frozen-Flask", "Jinja2", "babel", "flask-babel", "Werkzeug")
# Endpoints re-rendered on every change (the easy-read index lists the easy-read texts' titles).
ALWAYS = ("public.home", "public.a_z", "public.sitemap", "public.easy_read_index")
Page = tuple[str, dict[str, Any], str]  # endpoint, values, site path


def _tree_digest(folders: Iterable[Path], h: Any) -> None:
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")


def global_fingerprint(corpus: Corpus, today: dt.date) -> str:
    """One fingerprint of everything every page can show besides the articles themselves."""
    h = hashlib.sha256()
    h.update(today.isoformat().encode())
    site_yml = corpus.site.path
    h.update(site_yml.read_bytes() if site_yml.is_file() else repr(corpus.site).encode())
    h.update(repr(corpus.synonyms).encode())
    for name in _LIBRARIES:
        try:
            h.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            h.update(name.encode())
    _tree_digest([PACKAGE, package_folder("templates"), package_folder("translations")], h)
    return h.hexdigest()[:24]


def make_manifest(corpus: Corpus, site: PublicSite, today: dt.date) -> dict[str, Any]:
    """The record of what a build of *corpus* (its public articles: *site*) on *today* shows (public facts only)."""
    langs = corpus.site.language_codes
    return {"format": FORMAT, "today": today.isoformat(), "global": global_fingerprint(corpus, today),
            "articles": {p.id: [p.fingerprint(), p.category, sorted(p.page.redirect_from),
                                {lang: p.letter(lang) for lang in langs}] for p in site}}


def read_manifest(site: Path) -> dict[str, Any] | None:
    """The manifest of the build in *site*, or None when there is no usable one."""
    try:
        data = json.loads((site / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("articles"), dict):
        return None
    return data


def write_manifest(site: Path, manifest: dict[str, Any]) -> None:
    """Write *manifest* into the built *site* as a new file (the old one may be shared with another tree)."""
    tmp = site / f".{MANIFEST}.tmp"
    tmp.unlink(missing_ok=True)
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, sort_keys=True), "utf-8")
    os.replace(tmp, site / MANIFEST)


def file_of(path: str) -> str:
    """The file (relative to the site root) Frozen-Flask writes for a site path."""
    path = urlsplit(unquote(path)).path
    return path[1:] + "index.html" if path.endswith("/") else path[1:]


def changed_articles(previous: dict[str, Any], current: dict[str, Any]) -> set[str] | None:
    """Ids of public articles that changed, appeared or disappeared; None when everything must be rebuilt."""
    if previous.get("today") != current["today"] or previous.get("global") != current["global"]:
        return None
    old, new = previous["articles"], current["articles"]
    return {i for i in old.keys() | new.keys() if (old.get(i) or [None])[0] != (new.get(i) or [None])[0]}


def why_full(previous: dict[str, Any] | None, current: dict[str, Any], site: Path) -> str | None:
    """Why the build in *site* cannot be updated incrementally, in words; None when it can."""
    if previous is None:
        return "no record of a previous build in the output folder"
    if previous.get("today") != current["today"]:
        return f"the previous build was made on {previous.get('today')} (every page shows today's hours)"
    if previous.get("global") != current["global"]:
        return "the site settings, synonyms, code, templates or translations changed"
    if not (site / "pagefind" / "pagefind.js").is_file():
        return "the previous build has no search index"
    return None


@dataclass
class Cover:
    """The files of a build a plan answers for: the pages it re-renders, and everything in its article
    folders (every language) and letter pages, whether the new build still has them or not."""

    files: set[str]
    folders: set[tuple[str, str]]  # (language, article id)

    def covers(self, rel: str) -> bool:
        """Is the file *rel* (relative to the site root) one the plan answers for?"""
        if rel in self.files:
            return True
        parts = rel.split("/", 2)
        return len(parts) > 2 and (parts[0], parts[1]) in self.folders

    def scan(self, root: Path) -> set[str]:
        """The files below *root* in the covered article folders."""
        found: set[str] = set()
        for lang, aid in self.folders:
            folder = root / lang / aid
            if folder.is_dir():
                found.update(p.relative_to(root).as_posix() for p in folder.rglob("*") if not p.is_dir())
        return found


@dataclass
class Plan:
    """What an incremental build re-renders: article ids (their folders in every language), categories and
    A–Ö letter pages as (language, letter)."""

    articles: set[str]
    categories: set[str]
    letters: set[tuple[str, str]] = field(default_factory=set)

    def wants(self, endpoint: str, values: dict[str, Any]) -> bool:
        """Is the page (endpoint, values) re-rendered?"""
        if endpoint in ALWAYS:
            return True
        if endpoint == "public.category":
            return values["key"] in self.categories
        if endpoint == "public.a_z_letter":
            return (values["lang"], values["letter"]) in {(lang, letter_slug(lt)) for lang, lt in self.letters}
        if endpoint in ("public.article", "public.attachment", "public.easy_read"):
            return values["article_id"] in self.articles
        return False

    def cover(self, pages: list[Page], languages: Iterable[str]) -> Cover:
        """The files this plan answers for in a build whose pages are *pages*."""
        files = {file_of(path) for endpoint, values, path in pages if self.wants(endpoint, values)}
        # A letter page the new build no longer has (no title starts with it now) is covered too.
        files.update(f"{lang}/a-z/{letter_slug(lt)}/index.html" for lang, lt in self.letters)
        return Cover(files, {(lang, aid) for lang in languages for aid in self.articles})


def plan(previous: dict[str, Any], current: dict[str, Any], site: PublicSite, changed: set[str]) -> Plan:
    """Every article folder, category page and letter page that can show one of the *changed* articles (the
    public articles of the new build: *site*)."""
    old, new = previous["articles"], current["articles"]
    keys = set(changed)
    categories = set()
    letter_pages: set[tuple[str, str]] = set()
    for i in changed:
        for record in (old.get(i), new.get(i)):
            if record:
                keys.update(record[2])  # its old ids: their redirect pages show its title
                categories.add(record[1])
                letter_pages.update(record[3].items())
    # Every letter page links every letter: when a letter comes or goes, all of that language's change.
    for lang in {lang for lang, _ in letter_pages}:
        before, after = ({r[3].get(lang) for r in records.values()} for records in (old, new))
        if before != after:
            letter_pages.update((lang, lt) for lt in before | after if lt)
    # A related entry shows the title; a body link (or a link to an attachment) turns into text or breaks
    # when its target stops being public.
    articles = keys | {p.id for p in site if not keys.isdisjoint(p.page.links)}
    return Plan(articles, categories, letter_pages)


def link_tree(previous: Path, new: Path, keep: Callable[[str], bool]) -> set[str]:
    """Hard-link (or copy, across file systems) every file of *previous* that *keep* accepts into *new*.

    Returns the relative paths linked. Written pages never go through these links: the freezer removes
    a file before it writes one (portal.build.freezework)."""
    linked: set[str] = set()
    can_link = True
    stack = [("", str(previous))]
    while stack:
        prefix, folder = stack.pop()
        made = False
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append((rel + "/", entry.path))
                    continue
                if not keep(rel):
                    continue
                if not made:
                    (new / prefix).mkdir(parents=True, exist_ok=True)
                    made = True
                target = new / rel
                if can_link:
                    try:
                        os.link(entry.path, target)
                    except OSError:
                        can_link = False  # another file system, or no hard links: copy from now on
                if not can_link:
                    shutil.copy2(entry.path, target)
                linked.add(rel)
    return linked
