"""Loading a content folder through the content cache: only changed folders are read, and with *lazy* only
the articles actually used are unpickled.

A load reads every folder's small cache entry (:mod:`portal.build.contentcache`), re-reads the folders whose files
changed, runs the whole-corpus checks over the entries' facts (:mod:`portal.content.crosscheck`), re-renders a cached
article only when one of its links would now resolve differently, and takes the git dates of unchanged
folders from the history cache (:mod:`portal.content.gitinfo`). The corpus it gives holds its articles in a
:class:`LazyArticles` mapping: an unchanged article is unpickled when first used, so `portal index` after one
edit unpickles one article, not 10,000. The result equals a load without the cache: the same articles, HTML,
git dates and problems, in the same order.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from portal.build import collector
from portal.build.contentcache import (
    Blob,
    ContentCache,
    Entry,
    FileStat,
    LinkLog,
    content_stamp,
    files_digest,
    folder_files,
    pack_article,
    shard_of,
    site_digest,
    unpack_article,
)
from portal.build.pagefacts import PageFacts, page_facts
from portal.content.crosscheck import ArticleFacts, Resolver, cross_check, facts_of
from portal.content.gitinfo import GitFacts, GitReader, read_history
from portal.content.load import load_synonyms, read_article, valid_folder_names
from portal.content.model import Article, Corpus
from portal.content.siteconfig import SiteConfig, load_site
from portal.exceptions import PortalError, Problem, display_path

log = logging.getLogger("portal")
Progress = Callable[[int, int], None]


@dataclass
class LoadStats:
    """How a load went: folders reused from the cache and folders read from disk."""

    folders: int = 0
    cached: int = 0
    read: list[str] = field(default_factory=list)
    rerendered: list[str] = field(default_factory=list)  # cached, but a link target changed
    removed: int = 0
    cache_used: bool = False


@dataclass
class Loaded:
    """The result of a load: the corpus (None if unusable), its problems, per-folder content digests, and
    what the index's content record and the static build need of each article without loading it (facts,
    git dates, page facts: portal.build.published; link resolutions: portal.build.contentview)."""

    corpus: Corpus | None
    problems: list[Problem]
    digests: dict[str, str]
    site_digest: str
    stats: LoadStats
    facts: dict[str, ArticleFacts] = field(default_factory=dict)
    git: dict[str, GitFacts] = field(default_factory=dict)
    pages: dict[str, PageFacts] = field(default_factory=dict)
    links: dict[str, LinkLog] = field(default_factory=dict)  # how each article's links resolved when rendered

    def version_dates(self, article_id: str) -> list[tuple[str, dt.date | None, bool]]:
        """(lang, updated, outdated) of each version of an article, as its versions in the corpus have them."""
        git = self.git.get(article_id)
        if git is not None:
            return [(lang, updated, outdated) for lang, updated, _revision, outdated in git.dates]
        return [(v.lang, None, False) for v in self.facts[article_id].versions]


class LazyArticles(MutableMapping[str, Article]):
    """Articles by id in corpus order; one not yet in memory is loaded by *load* when first used, all of them
    by *everything*."""

    def __init__(self, names: Iterable[str], loaded: dict[str, Article], load: Callable[[str], Article],
                 everything: Callable[[LazyArticles], dict[str, Article]]):
        self._items: dict[str, Article | None] = {name: loaded.get(name) for name in names}
        self._load, self._everything = load, everything

    def everything(self) -> dict[str, Article]:
        """Every article in memory, in order, as *everything* unpickles them (see :meth:`_Load.everything`)."""
        return self._everything(self)

    def __getitem__(self, name: str) -> Article:
        article = self._items[name]
        if article is None:
            article = self._items[name] = self._load(name)
        return article

    def __setitem__(self, name: str, article: Article) -> None:
        self._items[name] = article

    def __delitem__(self, name: str) -> None:
        del self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __reduce__(self) -> tuple:
        return dict, (dict(self.items()),)  # a pickled corpus holds its articles themselves

    def __repr__(self) -> str:
        return f"<LazyArticles: {len(self._items)} articles>"


def _moved(problems: Iterable[Problem], cwd: str) -> list[Problem]:
    """*problems* made in working folder *cwd*, with their paths shown as a run from here shows them."""
    here = os.getcwd()
    if cwd == here:
        return list(problems)
    out = []
    for p in problems:
        path = p.path if os.path.isabs(p.path) else os.path.normpath(os.path.join(cwd, p.path))
        out.append(replace(p, path=display_path(path)))
    return out


class _Load:
    """The state of one load, and the loader of the articles it did not read (see :class:`LazyArticles`)."""

    def __init__(self, root: Path, site: SiteConfig, today: dt.date, cache: ContentCache | None,
                 old: dict[str, Entry], stats: LoadStats):
        self.root, self.site, self.today, self.cache, self.old, self.stats = root, site, today, cache, old, stats
        self.entries: dict[str, Entry] = {}
        self.fresh: dict[str, Article] = {}  # articles read (or re-rendered) by this load, before git dates
        self.dirty: set[str] = set()  # folders whose articles must be kept again (read or re-rendered)
        self.restamped: set[str] = set()  # unchanged bytes, new file times: git dates worked out again
        self.git: dict[str, GitFacts] = {}
        self.resolve: Resolver | None = None
        self._blobs: dict[int, dict[str, Blob] | None] = {}
        self._repair: dict[int, dict[str, Blob]] = {}
        self.packed: dict[str, Blob] = {}  # the articles this load packed for the cache
        self._by_shard: dict[int, list[str]] | None = None
        self._here = os.getcwd()

    def folder(self, name: str, files: FileStat, problems: list[Problem]) -> None:
        """Take the folder *name* from the cache when its files are unchanged, else read it."""
        folder = os.path.join(self.root, name)
        entry = self.old.get(name)
        if entry is not None and entry.valid_on(self.today):
            same = entry.stat == files
            if not same and entry.digest == files_digest(files, folder):
                entry.stat, same = files, True  # same bytes, new times (a fresh clone): keep, with the new times
                self.restamped.add(name)
            if same:
                self.entries[name] = entry
                problems.extend(_moved(entry.problems, entry.cwd))
                self.stats.cached += 1
                return
        digest = files_digest(files, folder) or "unreadable"  # before reading: a later edit shows next time
        found: list[Problem] = []
        article, usable = read_article(self.root / name, self.site, found, self.today)
        problems.extend(found)
        self.entries[name] = Entry(files, digest, self.today, self._here, facts_of(article) if usable else None,
                                   article.review_by if article is not None else None, found,
                                   unusable=facts_of(article) if article is not None and not usable else None)
        if usable:
            self.fresh[name] = article
        self.dirty.add(name)
        self.stats.read.append(name)

    def cached_article(self, name: str) -> Article:
        """The article of an unchanged folder as the cache keeps it (before git dates), or read again."""
        entry, shard = self.entries[name], shard_of(name)
        if self.cache is not None and shard not in self._blobs:
            self._blobs[shard] = self.cache.articles(shard)
        blobs = self._blobs.get(shard)
        article = unpack_article(entry, blobs.get(name) if blobs else None)
        if article is None:
            article = self._read_again(name, entry)
            if self.cache is not None:  # the shard's copy is lost or stale: keep it again
                self._repair.setdefault(shard, {})[name] = pack_article(entry, article)
                self._write_repaired(shard)
        return article

    def _read_again(self, name: str, entry: Entry) -> Article:
        from portal.render.markdown import render_corpus

        log.info("reading %s again: the content cache has no usable copy of it", name)
        article, usable = read_article(self.root / name, self.site, [], self.today)
        if article is None or not usable or files_digest(folder_files(str(self.root / name)),
                                                         str(self.root / name)) != entry.digest:
            raise PortalError(f"the article folder {name} changed while the content was loaded; run again")
        render_corpus(Corpus(self.root, self.site, {name: article}), resolve=self.resolve)
        return article

    def _write_repaired(self, shard: int) -> None:
        """Write the articles file of *shard* again once each of its articles is at hand (read again, packed
        by this load, or kept in the file for the same entry)."""
        repaired, kept = self._repair[shard], self._blobs.get(shard) or {}
        if self._by_shard is None:
            self._by_shard = {}
            for n, e in self.entries.items():
                if e.facts is not None:
                    self._by_shard.setdefault(shard_of(n), []).append(n)
        blobs: dict[str, Blob] = {}
        for name in self._by_shard.get(shard, []):
            entry = self.entries[name]
            blob = repaired.get(name) or self.packed.get(name) or kept.get(name)
            if blob is None or blob[0] != entry.digest or blob[1] != entry.links:
                return  # one more to read again first
            blobs[name] = blob
        if self.cache is not None:
            self.cache.write(self.entries, blobs, set(), {shard})
        del self._repair[shard]

    def article(self, name: str) -> Article:
        """An unchanged article, with its git dates (what :class:`LazyArticles` asks for)."""
        article = self.cached_article(name)
        git = self.git.get(name)
        if git is not None:
            git.apply(article)
        return article

    def everything(self, articles: LazyArticles) -> dict[str, Article]:
        """Every article in memory, in corpus order. Unpickled shard by shard, each shard's packed copies let
        go once its articles are out: holding all of them (125 MB at 10,000 articles) until the last one left
        an app worker that much larger for as long as it runs (the allocator keeps what it once held)."""
        by_shard: dict[int, list[str]] = {}
        for name in articles:
            by_shard.setdefault(shard_of(name), []).append(name)
        out: dict[str, Article] = {}
        for shard, names in by_shard.items():
            for name in names:
                out[name] = articles[name]
            self._blobs.pop(shard, None)
        return {name: out[name] for name in articles}

    def blobs_for(self, shards: set[int]) -> dict[str, Blob]:
        """The articles of *shards* to write (before their git dates are set): packed when read by this load,
        else as the cache kept them."""
        out: dict[str, Blob] = {}
        for name, entry in self.entries.items():
            shard = shard_of(name)
            if shard not in shards or entry.facts is None:
                continue
            if name in self.fresh:
                out[name] = self.packed[name] = pack_article(entry, self.fresh[name])
                continue
            if shard not in self._blobs and self.cache is not None:
                self._blobs[shard] = self.cache.articles(shard)
            blob = (self._repair.get(shard) or {}).get(name) or (self._blobs.get(shard) or {}).get(name)
            if blob is not None and blob[0] == entry.digest and blob[1] == entry.links:
                out[name] = blob  # a lost one is read again when it is next used
        return out


def load(root: Path, today: dt.date, cache_dir: Path | None, progress: Progress | None = None,
         history: bool = True, lazy: bool = False) -> Loaded:
    """Load, check and render *root* like a cold load, reusing cached folders from *cache_dir* (None: no cache);
    with *history*, set the dates from git. With *lazy*, the corpus's unchanged articles are unpickled when
    first used (:class:`LazyArticles`); else all are in memory."""
    with collector.paused():
        return _load(root, today, cache_dir, progress, history, lazy)


def _load(root: Path, today: dt.date, cache_dir: Path | None, progress: Progress | None,
          history: bool, lazy: bool) -> Loaded:
    linked: set[str] = set()
    stamp = content_stamp(root, linked)
    cache = ContentCache(root, cache_dir) if cache_dir is not None else None
    old = cache.read() if cache is not None else {}
    stats = LoadStats(folders=len(stamp) - 1, cache_used=bool(old))
    problems: list[Problem] = []
    site = load_site(root, problems, today)
    synonyms = load_synonyms(root, problems)
    sdigest = cache.key[-1] if cache is not None else site_digest(root)
    if site is None:
        return Loaded(None, problems, {}, sdigest, stats)
    by_folder: dict[str, list[Problem]] = {"": problems}
    state = _Load(root, site, today, cache, old, stats)
    for n, name in enumerate(valid_folder_names(root, [n for n in stamp if n], by_folder), 1):
        state.folder(name, stamp[name], by_folder[name])
        if progress is not None:
            progress(n, stats.folders)
    entries = state.entries
    facts = {name: e.facts for name, e in entries.items() if e.facts is not None}
    # a folder read but unusable still has its links checked, and links to it are not "missing"
    checked = {name: f for name, e in entries.items() if (f := e.facts or e.unusable) is not None}
    found, redirects = cross_check(checked, site)
    state.resolve = resolve = Resolver(facts, redirects)
    _rerender_changed_links(state, facts, resolve)
    articles = LazyArticles(facts, state.fresh, state.article, state.everything)
    corpus = Corpus(root, site, articles, synonyms, redirects=redirects, load_problems=by_folder,  # type: ignore[arg-type]
                    unusable={name: e.unusable for name, e in entries.items() if e.unusable is not None})
    _render_fresh(corpus, state, resolve)
    gone = set(old) - set(entries)
    article_shards = {shard_of(n) for n in state.dirty | gone}
    blobs = state.blobs_for(article_shards) if cache is not None else {}
    redated = _date(state, corpus, facts, linked, cache_dir) if history else set()
    if cache is not None:
        stats.removed = len(gone)
        shards = article_shards | {shard_of(n) for n in redated | state.restamped}
        if shards:
            cache.write(entries, blobs, shards, article_shards)
    if not lazy:
        corpus.articles = articles.everything()
    everything = [p for folder in by_folder.values() for p in folder] + found + corpus.history_problems
    everything.sort(key=lambda p: (p.path, p.line))
    pages = {name: e.page for name, e in entries.items() if e.facts is not None and e.page is not None}
    return Loaded(corpus, everything, {name: e.digest for name, e in entries.items()}, sdigest, stats,
                  facts, state.git, pages, {name: e.links for name, e in entries.items()})


def _date(state: _Load, corpus: Corpus, facts: dict[str, ArticleFacts], linked: set[str],
          cache_dir: Path | None) -> set[str]:
    """Work out the git dates of every article (reusing those of unchanged folders for the same checkout),
    set them on the articles in memory and note the others' for when they are loaded; collect the warnings
    in ``corpus.history_problems``. Return the folders whose entries got new dates."""
    reader = GitReader(corpus.root, read_history(corpus.root, cache_dir))
    read = set(state.stats.read) | state.restamped
    redated = set()
    for name, f in facts.items():
        entry = state.entries[name]
        link = os.path.realpath(corpus.root / name) if name in linked else None
        state.git[name] = git = reader.facts(f, link, None if name in read else entry.git)
        if git is not entry.git:
            entry.git = git
            redated.add(name)
        corpus.history_problems.extend(_moved(git.problems, git.cwd))
        if name in state.fresh:
            git.apply(state.fresh[name])
    reader.save(cache_dir)
    return redated


def _rerender_changed_links(state: _Load, facts: dict[str, ArticleFacts], resolve: Resolver) -> None:
    """Take into memory the cached articles one of whose links now resolves differently (to render again)."""
    from portal.render.markdown import link_url  # Markdown is imported only when something is rendered

    for name in facts:
        entry = state.entries[name]
        if name not in state.fresh and any(link_url(resolve(target), kind, lang) != url
                                           for (kind, target, lang), url in entry.links.items()):
            state.fresh[name] = state.cached_article(name)
            state.stats.rerendered.append(name)
            state.dirty.add(name)


def _render_fresh(corpus: Corpus, state: _Load, resolve: Resolver) -> None:
    """Render the articles read or to re-render, and record their links and page facts in their entries."""
    todo = [n for n in (*state.stats.read, *state.stats.rerendered) if n in state.fresh]
    if not todo:
        return
    from portal.render.markdown import render_corpus

    links: dict[str, LinkLog] = {}
    render_corpus(corpus, only=todo, links=links, resolve=resolve)
    for name in todo:
        entry = state.entries[name]
        entry.links, entry.page = links.get(name, {}), page_facts(state.fresh[name])
