"""Stage 4, build: the incremental machinery. After one edited article, ``portal build --incremental`` at 10,000
articles checks the content, updates the agents' index and publishes the pages that can show the article in
about two seconds, because almost nothing is done again. This is where everything kept between runs lives.

**What is cached** (each is only an optimisation: deleting it gives the same result, slower)

* The content cache (``contentcache``, in ``<index>/content-cache/``): per article folder a small
  :class:`~portal.build.contentcache.Entry` (its files' names, sizes and times, their digest, its problems, its
  ``article:`` link resolutions, its :class:`~portal.content.crosscheck.ArticleFacts` for the whole-corpus checks,
  its :class:`~portal.build.pagefacts.PageFacts` for the static build, its git dates) and, apart, the article as
  loaded and rendered, pickled. Keyed by the code, site.yml, synonyms.yml and library versions.
* The git history (``portal.content.gitinfo``, ``git-history.pickle`` beside it), keyed by the commit.
* The index's record of the content it reflects (``content.json`` in each index generation, written by
  ``stages.content_state``): per article a digest of its files, git dates and visibility; per folder the digest
  of its files, and the git commit (what another machine compares before installing the generation:
  ``shipping``).
* The site's build record (``incremental.MANIFEST``, ``_build.json`` in the published site): the day, one
  fingerprint of everything every page shows, and per public article a fingerprint of its pages.
* The spare tree (``spare``, ``.<out>.work/spare`` beside the site, in a folder git ignores): the previous site,
  which the next build patches.

**What is derived from them, per run**

1. ``stages.load_content`` → ``cachedload``: every entry is read, only folders whose files changed are parsed,
   validated and rendered (``portal.content``, ``portal.render``); the whole-corpus checks run over the facts;
   a cached article is re-rendered only when one of its links now resolves differently. With ``lazy`` the
   corpus unpickles an article only when it is used (:class:`~portal.build.cachedload.LazyArticles`). The result,
   :class:`~portal.build.cachedload.Loaded`, equals a load without the cache.
2. The index (``stages.index_loaded``): the new ``content.json`` against the current generation's tells which
   articles to re-index (``portal.search.index.update_index``); site.yml, synonyms or schema changed: all.
3. The public site's view (``published``): :class:`~portal.build.published.PublicSite` from the page facts and
   dates alone, what the list pages (home, categories, A–Ö, sitemap) and the build record need.
4. The plan (``incremental``): the new manifest against the site's tells which public articles changed, and
   :func:`~portal.build.incremental.plan` every page that can show one of them (its pages, redirects, pages
   linking it, its category and letter pages before and after, home, A–Ö index, sitemap). Another day, code,
   template, translation or site.yml change: a full build.

**How a change flows to the published pages and the index** (``portal.site.pipeline.build_incremental``)

Load (1); then two jobs side by side: the index update (2) in a forked child (``beside``), and in this
process ``portal.site.freeze``: plan (3, 4); patch the spare to the new state (``spare.patch``: files the
plan does not cover are hard links to the live site's) or, without a usable spare, hard-link the live site
into a new tree; re-render the planned pages with Frozen-Flask (``freezework``, forked workers over shares
of the URLs; ``pagecache`` keeps what all pages share for the freeze; ``linkcheck`` checks every local link);
write the manifest last; exchange the tree with the live site in one step (``spare.exchange``): the old
site becomes the next spare. The pages are live with the previous search bundle; Pagefind then rebuilds the
static search index (``staticsearch``, with ``staticlexicon`` for the search page's query rewriting) and
it is exchanged in (a mark in ``.<out>.work``, ``spare.search_pending``, says until then that it is behind).
A failed or killed build leaves the last good site, its search index and the agents' index in place.

**How a change reaches a running server** (``contentview``, used by ``portal.web.state``)

Each request pins one index generation and the content made for it. A worker that finds a new generation
compares its record with the record of the content it holds and, when they differ, loads the content folder
through the content cache (1: only changed folders read), taking over the articles whose files, git dates and
link resolutions are unchanged: its pages, its API and its search change at the same moment. ``shipping``
carries a generation to another machine as one checked artifact (``portal index export`` and ``install``).
``collector`` keeps Python's cycle collector out of the way of the large loaded content.
"""
