"""Loading a content folder: `site.yml`, `synonyms.yml` and every article folder, fully validated.

Every problem in the folder is reported in one run; nothing here stops at the first.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from pathlib import Path

from portal.content.crosscheck import ArticleFacts, cross_check, facts_of
from portal.content.folderfiles import sort_folder
from portal.content.frontmatter import ID_PATTERN, SOURCE_KEYS, read_source, read_translation, review_warning
from portal.content.model import EASY_READ, Article, Corpus, Version
from portal.content.problemtext import problem
from portal.content.readability import easy_read_hints
from portal.content.siteconfig import LANG_CODE, SiteConfig, load_site
from portal.content.sourcefile import parse_yaml, read_text, split_front_matter
from portal.exceptions import WARNING, Problem, display_path

# Path segments the public site uses itself, so no article may take them as its id.
RESERVED_IDS = frozenset({"category", "a-z", "search", "accessibility", "static", "api", "agent",
                          "pagefind", "assets", "login", "logout", "preview", "sitemap", "robots", EASY_READ})

# Reads one article folder: (folder, site, problems, today) -> the article or None; the content cache
# passes its own, which answers unchanged folders from the cache.
FolderLoader = Callable[[Path, SiteConfig, list[Problem], dt.date], "Article | None"]


def load_corpus(root: Path, today: dt.date | None = None,
                load_folder: FolderLoader | None = None) -> tuple[Corpus | None, list[Problem]]:
    """Load and validate the content folder *root*; return the corpus (None if unusable) and all problems.

    *load_folder* reads each valid article folder (default :func:`load_article`)."""
    load_folder = load_folder or load_article
    today = today or dt.date.today()
    problems: list[Problem] = []
    site = load_site(root, problems, today)
    synonyms = load_synonyms(root, problems)
    if site is None:
        return None, problems
    articles: dict[str, Article] = {}
    unusable: dict[str, ArticleFacts] = {}
    by_folder: dict[str, list[Problem]] = {"": problems}
    for name in valid_folder_names(root, folder_names(root), by_folder):
        if load_folder is not load_article:
            article = load_folder(root / name, site, by_folder[name], today)
        else:  # an article that cannot be used still has its links checked (one run reports every problem)
            article, usable = read_article(root / name, site, by_folder[name], today)
            if article is not None and not usable:
                unusable[name], article = facts_of(article), None
        if article is not None:
            articles[article.id] = article
    corpus = Corpus(root, site, articles, synonyms, load_problems=by_folder, unusable=unusable)
    return corpus, all_problems(corpus)


def article_folders(root: Path) -> list[Path]:
    """The article folders of a content folder (hidden and `_` folders are not articles), sorted by name."""
    return [root / name for name in folder_names(root)]


def folder_names(root: Path, links: set[str] | None = None) -> list[str]:
    """The names of :func:`article_folders`, sorted; those that are symbolic links are added to *links*."""
    # scandir knows the file type without a stat per entry, and names sort far faster than Paths (same order:
    # all share one parent); this runs on every load, with or without the content cache.
    with os.scandir(root) as entries:
        found = [e for e in entries if e.is_dir() and not e.name.startswith((".", "_"))]
    if links is not None:
        links.update(e.name for e in found if e.is_symlink())
    return sorted(e.name for e in found)


def valid_folder_names(root: Path, names: list[str], by_folder: dict[str, list[Problem]]) -> list[str]:
    """Those of the folder *names* (sorted) that can be article ids; the problem with each other one goes
    to its list in *by_folder* (every name gets a list)."""
    valid = []
    seen_lower: dict[str, str] = {}
    for name in names:
        problems = by_folder.setdefault(name, [])
        if name.lower() in seen_lower:
            problems.append(problem(display_path(root / name), 1, "folder-collides", name=name,
                                    other=seen_lower[name.lower()]))
            continue
        seen_lower[name.lower()] = name
        if not ID_PATTERN.match(name):
            hint = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            problems.append(problem(display_path(root / name), 1, "folder-invalid-id", name=name, example=hint))
            continue
        if name in RESERVED_IDS:
            problems.append(problem(display_path(root / name), 1, "folder-reserved", name=name))
            continue
        valid.append(name)
    return valid


def all_problems(corpus: Corpus) -> list[Problem]:
    """Every problem: those found reading each folder, plus the cross-checks over the whole corpus."""
    problems = [p for folder in corpus.load_problems.values() for p in folder]
    facts = {aid: facts_of(a) for aid, a in corpus.articles.items()}
    facts.update((aid, f) for aid, f in corpus.unusable.items() if aid not in facts)
    found, redirects = cross_check(facts, corpus.site)
    corpus.redirects.clear()
    corpus.redirects.update(redirects)
    problems.extend(found)
    return sorted(problems, key=lambda p: (p.path, p.line))


def reload_articles(corpus: Corpus, names: list[str], today: dt.date | None = None) -> None:
    """Re-read the existing article folders *names* into *corpus*, in place (dev-mode reloading)."""
    today = today or dt.date.today()
    for name in names:
        problems: list[Problem] = []
        old = corpus.articles.pop(name, None)
        corpus.unusable.pop(name, None)
        folder = corpus.root / name
        if folder.is_dir():
            article, usable = read_article(folder, corpus.site, problems, today)
            if article is not None and not usable:
                corpus.unusable[name], article = facts_of(article), None
            if article is not None:
                corpus.articles[name] = article
                if old is not None:  # saving a file changes no git history: keep the dates from git
                    for lang, version in article.texts.items():
                        before = old.texts.get(lang)
                        if before is not None:
                            version.updated, version.revision = before.updated, before.revision
                            version.outdated = before.outdated
        corpus.load_problems[name] = problems


def load_article(folder: Path, site: SiteConfig, problems: list[Problem],
                 today: dt.date) -> Article | None:
    """Load one article folder; report its problems and return None when it cannot be used."""
    article, usable = read_article(folder, site, problems, today)
    return article if usable else None


# The values of a source file whose front matter cannot be read.
_NO_META = {**dict.fromkeys(SOURCE_KEYS), "audience": "public", "status": "published", "keywords": [], "related": [],
            "redirect_from": []}


def read_article(folder: Path, site: SiteConfig, problems: list[Problem],
                 today: dt.date) -> tuple[Article | None, bool]:
    """Like :func:`load_article`, but also return an article that is read but unusable (a required key
    missing) and whether it is usable: its review date decides a warning, which the content cache
    must know to reuse the folder's problems on another day."""
    files = sort_folder(folder, problems)
    internal_path = files.notes
    lang_files: dict[str, Path] = {}
    easy_path: Path | None = None
    for path in files.markdown:
        if path.stem == EASY_READ:
            easy_path = path
        elif path.stem in site.language_codes:
            lang_files[path.stem] = path
        elif LANG_CODE.match(path.stem):
            problems.append(problem(display_path(path), 1, "language-unpublished", lang=path.stem,
                                    published=", ".join(site.language_codes)))
        else:
            problems.append(problem(display_path(path), 1, "file-unknown", name=path.name))
    source_path = lang_files.pop(site.source_language, None)
    if source_path is None:
        for path in [*lang_files.values(), *([easy_path] if easy_path else [])]:
            problems.append(problem(display_path(path), 1, "translation-no-source", source=site.source_language,
                                    folder=folder.name))
        if not lang_files:
            problems.append(problem(display_path(folder), 1, "folder-no-source", source=site.source_language))
        return None, False
    text = read_text(source_path, problems)
    src = split_front_matter(source_path, text, problems) if text is not None else None
    if src is None:
        return None, False
    # Front matter that cannot be read: the rest of the folder is still read and checked, the article is unusable.
    meta = read_source(src, site, problems) if not src.broken else {**_NO_META, "keywords": [], "related": [],
                                                                      "redirect_from": []}
    source = Version(lang=site.source_language, path=source_path, title=meta["title"] or "",
                     summary=meta["summary"] or "", body=src.body, body_line=src.body_line,
                     keywords=meta["keywords"], front=src.front)
    article = Article(
        id=folder.name, folder=folder, source=source, category=meta["category"] or "",
        audience=meta["audience"], status=meta["status"], answer_group=meta["answer_group"],
        department=meta["department"], rosa=meta["rosa"], self_service=meta["self_service"],
        related=meta["related"], owner=meta["owner"], review_by=meta["review_by"],
        publish_from=meta["publish_from"], expires=meta["expires"], redirect_from=meta["redirect_from"],
        internal_path=internal_path, attachments=files.attachments,
        internal_attachments=files.internal_attachments,
    )
    if article.review_due(today) and article.review_by and src.front:
        problems.append(review_warning(display_path(source_path), src.front.line("review_by"),
                                       article.review_by, today))
    # a source whose front matter cannot be read may well have an e-service: no "the source has none" for that
    has_self_service = article.self_service is not None or src.broken
    for lang, path in sorted(lang_files.items()):
        text = read_text(path, problems)
        tsrc = split_front_matter(path, text, problems) if text is not None else None
        if tsrc is not None and not tsrc.broken:
            article.translations[lang] = read_translation(tsrc, lang, problems, has_self_service)
    if easy_path is not None:
        article.easy = _read_easy(easy_path, site.source_language, problems, has_self_service)
    if article.audience == "internal" and (article.translations or article.easy):
        problems.append(problem(display_path(source_path), source.front.line("audience") if source.front else 1,
                                "internal-translated", WARNING))
    if internal_path is not None:
        text = read_text(internal_path, problems)
        if text is not None:
            if text.lstrip().startswith("---"):
                problems.append(problem(display_path(internal_path), 1, "notes-front-matter"))
            article.internal_md = text
    usable = meta["title"] is not None and meta["summary"] is not None and meta["category"] is not None
    return article, usable


def _read_easy(path: Path, source_lang: str, problems: list[Problem], has_self_service: bool) -> Version | None:
    """The easy-read variant in *path* (front matter as a translation's), with readability hints as warnings."""
    text = read_text(path, problems)
    src = split_front_matter(path, text, problems) if text is not None else None
    if src is None or src.broken:
        return None
    version = read_translation(src, source_lang, problems, has_self_service)
    problems.extend(easy_read_hints(version, display_path(path)))
    return version


def load_synonyms(root: Path, problems: list[Problem]) -> list[list[str]]:
    """Read the optional `synonyms.yml`: a list of groups of words that mean the same to searchers."""
    path = root / "synonyms.yml"
    if not path.exists():
        return []
    text = read_text(path, problems)
    doc = parse_yaml(text, path, problems) if text is not None else None
    if doc is None or doc.data is None:
        return []
    groups: list[list[str]] = []
    if not isinstance(doc.data, list):
        problems.append(problem(display_path(path), 1, "synonyms-not-list"))
        return []
    for i, group in enumerate(doc.data):
        if not isinstance(group, list) or len(group) < 2 or not all(isinstance(w, str) for w in group):
            problems.append(problem(display_path(path), doc.line(str(i)), "synonyms-group"))
            continue
        groups.append([w.strip().lower() for w in group if w.strip()])
    return groups
