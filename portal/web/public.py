"""The public site: per-language pages citizens use, served live as the preview and frozen by portal.site.freeze.

Every page here works without JavaScript; search is enhanced by an external script over the Pagefind
index written at build time. Only articles with ``is_public(today)`` are shown (the live preview started
with ``portal serve --dev`` also shows drafts and scheduled articles, clearly marked). What every page is
made of (the blueprint, visibility, the shared layout) is in :mod:`portal.web.pages`; the pages that list
every article are in :mod:`portal.web.publiclists`.
"""

from __future__ import annotations

import functools
import mimetypes
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, current_app, render_template, request, send_file, url_for
from flask_babel import force_locale, gettext

from portal.build.pagecache import memo, page_url
from portal.content.folderfiles import ATTACHMENT_TYPES, publishable
from portal.content.gitinfo import statement_date
from portal.content.model import EASY_READ, Article, Version
from portal.render.localize import (
    collation_key,
    isolate_brands,
    login_named,
    login_text,
    long_date,
)
from portal.search.analysis import stopwords
from portal.search.index import glossary, synonym_map
from portal.search.searcher import DOING_WORDS
from portal.web.feedback import endpoints as feedback_endpoints
from portal.web.metrics import searched
from portal.web.pages import (
    Alternate,
    Shown,
    _alternates,
    _article_or_404,
    _breadcrumbs,
    _lang_or_404,
    absolute,
    bp,
    corpus,
    date_locale,
    language_label,
    listed,
    listing,
    render_page,
    shown,
    today,
    ui_language,
    visible,
)
from portal.web.preview import search_active as preview_search_active
from portal.web.security import protect_attachment, static_csp
from portal.web.state import get_state

_ARTICLE_LINK = re.compile(r'<a href="/([a-z0-9-]+)/([a-z0-9-]+)/(#[^"]*)?"[^>]*>(.*?)</a>', re.DOTALL)


def public_html(html: str, lang: str, shown: Callable[[Article | None], bool] = visible) -> str:
    """Article HTML with links to articles that are not public (yet, or any more) turned into plain text;
    *shown* tells which may be linked (default: what the public pages show, drafts too in the dev preview)."""
    def fix(m: re.Match[str]) -> str:
        link_lang, target = m.group(1), m.group(2)
        if link_lang in corpus().site.language_codes and not shown(corpus().articles.get(target)):
            return f"<span>{m.group(4)}</span>"
        return m.group(0)
    return _ARTICLE_LINK.sub(fix, html)


@functools.lru_cache(maxsize=4)
def _synonyms(groups: tuple[tuple[str, ...], ...]) -> dict[str, list[str]]:
    # Built once per set of groups, not once per page (a national site freezes tens of thousands).
    return synonym_map([list(group) for group in groups])


def search_terms(article: Article, version: Version) -> str:
    """Keywords and synonyms for the hidden, indexed element (public search finds colloquial words)."""
    words = list(dict.fromkeys([*article.source.keywords, *version.keywords]))
    haystack = " ".join([version.title, version.summary, version.text, *words]).casefold()
    for word, others in _synonyms(tuple(tuple(group) for group in corpus().synonyms)).items():
        if word.casefold() in haystack:
            words.extend(o for o in others if o not in words)
    return " ".join(words)


@bp.route("/")
def root() -> str:
    """The language chooser; a small script sends visitors on to their browser's language."""
    site = corpus().site
    prompts = []  # "Choose your language" in each UI language of the site, once each
    for ui in dict.fromkeys(lang.ui_locale for lang in site.languages):
        with force_locale(ui):
            prompts.append((ui, site.language(ui).dir if ui in site.language_codes else "ltr",
                            gettext("Choose your language")))
    return render_template("public/root.html", site=site, lang=site.source_language,
                           language=site.language(site.source_language), prompts=prompts,
                           static_csp=static_csp(site.connect_origins, form_origin=site.api_origin),
                           homes=[(lang, url_for("public.home", lang=lang.code)) for lang in site.languages])


@bp.route("/<lang>/")
def home(lang: str) -> str:
    """The home page: search first, then the most-used e-services, then the categories."""
    _lang_or_404(lang)
    site = corpus().site
    featured = [shown(a, lang) for i in site.featured if visible(a := corpus().resolve(i))]
    counts = {key: 0 for key in site.categories}
    for p in listing():  # counted, not listed: sorting 10,000 titles for counts cost 0.2 s
        counts[p.category] = counts.get(p.category, 0) + 1
    categories = [(key, site.category_name(key, lang), n) for key, n in counts.items() if n]
    categories.sort(key=lambda c: collation_key(c[1], lang))
    return render_page("home.html", lang, _alternates(lang, "public.home"), featured=featured,
                       categories=categories, title=site.name)


@bp.route("/<lang>/category/<key>/")
def category(lang: str, key: str) -> str:
    """All articles in one category."""
    _lang_or_404(lang)
    site = corpus().site
    if key not in site.categories:
        abort(404)
    name = site.category_name(key, lang)
    items = listed(lang, [p for p in listing() if p.category == key])
    crumbs = _breadcrumbs(lang, [(name, request.path)])
    return render_page("category.html", lang, _alternates(lang, "public.category", key=key), key=key,
                       name=name, items=items, title=name, jsonld=[crumbs])


@bp.route("/<lang>/search/")
def search(lang: str) -> str:
    """The search page: Pagefind in the browser; in `portal serve`, results from the app's index; in the editors'
    preview, the published site's search over the current content (portal.web.preview)."""
    _lang_or_404(lang)
    live = not current_app.config.get("FREEZING") and not preview_search_active()
    query = request.args.get("q", "").strip()[:200] if live else ""
    hits = elsewhere = None
    if query:
        result = get_state().searcher().search(query, lang, limit=20)
        searched(result)
        hits = [(h, corpus().articles[h.id]) for h in result.hits
                if h.id in corpus().articles and visible(corpus().articles[h.id])]
        elsewhere = result.elsewhere
    # Live, the form goes to the app's own search; frozen (and in the preview), search.js uses Pagefind.
    return render_page("search.html", lang, _alternates(lang, "public.search"), query=query, hits=hits,
                       title=gettext("Search"), live=live, elsewhere=elsewhere,
                       search_data=memo(("search_data", lang), lambda: search_data(lang)))


def search_data(lang: str) -> dict[str, Any]:
    """What the static search page's query rewriting (static/public/searchplan.js) needs from the analysis
    of the agents' search, so that both drop the same words and know the same synonyms: the stop words and
    fillers of the page's language and of the source language, the synonym groups (the content's and the
    built-in glossary), the words that ask for an e-service, and the search API to ask first if any."""
    site = corpus().site
    source = site.source_language
    groups = [[g.casefold() for g in group] for group in [*corpus().synonyms, *glossary()]]
    return {"lang": lang, "source": source, "api": site.search_api or None,
            "stop": sorted(stopwords(lang) | stopwords(source)), "synonyms": groups,
            "doing": sorted(DOING_WORDS)}


@bp.route("/<lang>/accessibility/")
def accessibility(lang: str) -> str:
    """The accessibility statement (tillgänglighetsredogörelse), dated by its template's last change."""
    from portal.folders import package_folder

    _lang_or_404(lang)
    changed = statement_date(package_folder("templates") / "public" / "accessibility.html")
    when = long_date(changed, date_locale(ui_language(lang)))
    return render_page("accessibility.html", lang, _alternates(lang, "public.accessibility"),
                       title=gettext("Accessibility statement"), statement_date=when)


@bp.route("/<lang>/<article_id>/")
def article(lang: str, article_id: str) -> str:
    """One article: start button, body, contact details, related articles; or a redirect for an old id."""
    _lang_or_404(lang)
    c = corpus()
    if article_id not in c.articles and article_id in c.redirects:
        target = _article_or_404(c.redirects[article_id])
        url = url_for("public.article", lang=lang, article_id=target.id)
        return render_template("public/redirect.html", lang=lang, language=c.site.language(lang),
                               target=absolute(url), url=url, title=shown(target, lang).version.title)
    return _article_page(lang, _article_or_404(article_id))


@bp.route(f"/<lang>/<article_id>/{EASY_READ}/")
def easy_read(lang: str, article_id: str) -> str:
    """An article's easy-read text (lättläst, lattlast.md): Swedish, on the source language's site only."""
    _lang_or_404(lang)
    a = _article_or_404(article_id)
    if lang != corpus().site.source_language or a.easy is None:
        abort(404)
    return _article_page(lang, a, easy=True)


def _article_page(lang: str, a: Article, easy: bool = False) -> str:
    """The page of article *a* in *lang*: its version there (the source as a fallback), or its easy-read text."""
    c = corpus()
    s = Shown(a, a.easy, False) if easy and a.easy is not None else shown(a, lang)
    site = c.site
    ss = a.self_service_in(s.version) if easy else a.self_service_for(s.text_lang)
    related = [shown(r, lang) for rid in a.related if visible(r := c.resolve(rid)) and r is not a]
    cat_name = site.category_name(a.category, lang)
    article_here = page_url("public.article", lang=lang, article_id=a.id)
    here = page_url("public.easy_read", lang=lang, article_id=a.id) if easy else article_here
    source_url = page_url("public.article", lang=site.source_language, article_id=a.id)
    crumbs = _breadcrumbs(lang, [(cat_name, page_url("public.category", lang=lang, key=a.category)),
                                 (s.version.title, here)])
    jsonld: list[dict[str, Any]] = [crumbs]
    if ss is not None:
        jsonld.insert(0, {
            "@context": "https://schema.org", "@type": "GovernmentService", "name": s.version.title,
            "description": s.version.summary, "url": absolute(here), "serviceType": cat_name,
            "inLanguage": s.text_lang,
            "provider": {"@type": "GovernmentOrganization", "name": site.name, "url": site.base_url},
            "areaServed": {"@type": "AdministrativeArea", "name": site.name},
            "availableChannel": [
                {"@type": "ServiceChannel", "name": ss.label, "serviceUrl": ss.url},
                {"@type": "ServiceChannel", "name": site.contact.name,
                 "servicePhone": {"@type": "ContactPoint", "telephone": site.contact.phone,
                                  "email": site.contact.email}}]})
    alternates = _alternates(lang, "public.article", a, article_id=a.id)
    if easy:  # no translation of the easy-read text: the switcher leads to the article, no hreflang pair
        alternates = [Alternate(x.code, x.name, x.dir, here if x.current else x.url, x.note, hreflang=x.current,
                                current=x.current) for x in alternates]
    ui = ui_language(lang)
    return render_page(
        "article.html", lang, alternates, item=s, ss=ss,
        login="" if login_named(ss) else login_text(ss.login if ss else [], s.text_lang if s.fallback else ui,
                                                    isolated=site.language(lang).dir == "rtl"),
        needs=ss.needs if ss else [], no_login=bool(ss and (not ss.login or ss.login == ["none"])),
        body=isolate_brands(public_html(s.version.html, lang)) if site.language(lang).dir == "rtl"
        else public_html(s.version.html, lang), related=related, category_key=a.category,
        category_name=cat_name, title=s.version.title, description=s.version.summary,
        canonical=absolute(source_url if s.fallback else here), jsonld=jsonld,
        updated=memo(("long_date", s.version.updated, lang), lambda: long_date(s.version.updated, date_locale(lang)))
        if s.version.updated else None,
        updated_iso=s.version.updated.isoformat() if s.version.updated else None,
        text_language=site.language(s.text_lang), source_url=source_url,
        language_label=language_label(lang, ui), text_label=language_label(s.text_lang, ui),
        terms=search_terms(a, s.version), department=site.department_name(a.department, lang),
        draft=not a.is_public(today()), article_id=a.id,
        feedback=feedback_endpoints(site) if a.is_public(today()) else None,
        label_lang=s.text_lang if s.version.self_service_label else a.source.lang,
        needs_lang=s.text_lang if s.version.self_service_needs is not None else a.source.lang,
        easy=easy, article_url=article_here,
        easy_url=page_url("public.easy_read", lang=lang, article_id=a.id)
        if a.easy is not None and lang == site.source_language and not easy else None)


@bp.route(f"/<lang>/{EASY_READ}/")
def easy_read_index(lang: str) -> str:
    """Every article that has an easy-read text, by its easy-read title (the source language's site only)."""
    _lang_or_404(lang)
    site = corpus().site
    if lang != site.source_language:
        abort(404)
    items = sorted(((p.id, p.page.easy) for p in listing() if p.page.easy is not None),
                   key=lambda item: collation_key(item[1].title, lang))
    title = gettext("Easy-to-read Swedish")
    crumbs = _breadcrumbs(lang, [(title, request.path)])
    alternates = [Alternate(x.code, x.name, x.dir, request.path if x.current else x.url, x.note,
                            hreflang=x.current, current=x.current) for x in _alternates(lang, "public.home")]
    return render_page("easy_read_index.html", lang, alternates, items=items, title=title, jsonld=[crumbs])


@bp.route("/<lang>/<article_id>/<path:filename>")
def attachment(lang: str, article_id: str, filename: str) -> Response:
    """An attachment published beside its article: only a type on the allow-list, never an internal file or
    a leftover, even when the content was loaded without `portal check`; served as its type, `nosniff`, shown
    inline only when a browser can do no harm with it (else downloaded), in a sandbox (but PDF)."""
    _lang_or_404(lang)
    a = _article_or_404(article_id)
    kind = publishable(filename)
    if kind is None:
        abort(404)
    for path in a.attachments:
        if path.relative_to(a.folder).as_posix() == filename and path.is_file():
            response = send_file(path, mimetype=kind.mimetype, as_attachment=not kind.inline, download_name=path.name)
            return protect_attachment(response, sandbox=kind.sandbox)
    abort(404)


@bp.route("/404.html")
def not_found_page() -> tuple[str, int] | str:
    """The static host's page for a missing address, in every published language."""
    site = corpus().site
    messages = []
    # A language whose own words come from another's catalogue (Meänkieli: Swedish) gets no section of its own,
    # only its home page among the links of that catalogue's section.
    others: dict[str, list[tuple[Any, str]]] = {}
    for language in site.languages:
        if language.ui_locale != language.code:
            others.setdefault(language.ui_locale, []).append((language, url_for("public.home", lang=language.code)))
    for language in site.languages:
        if language.ui_locale != language.code:
            continue
        with force_locale(language.code):
            messages.append((language, gettext("Page not found"),
                             gettext("The page may have moved or no longer exist."),
                             gettext("Go to the home page"), url_for("public.home", lang=language.code),
                             gettext("A–Z of errands and e-services"), url_for("public.a_z", lang=language.code),
                             gettext("What do you want to do?"), gettext("Search"),
                             url_for("public.search", lang=language.code)))
    status = 200 if request.path == "/404.html" else 404
    return render_template("public/404.html", site=site, lang=site.source_language, others=others,
                           language=site.language(site.source_language), messages=messages), status


@bp.errorhandler(404)
def _not_found(_exc: Exception) -> Any:
    from portal.web.errors import agent_error, wants_agent_page

    if wants_agent_page():  # /agent/x/y/z matched a public pattern: still the agent app's 404
        return agent_error(404)
    return not_found_page()


@bp.route("/favicon.ico")
def favicon() -> Response:
    """The icon browsers and feed readers ask for at the root whatever the page says (the SVG is for the rest)."""
    return send_file(Path(current_app.static_folder, "public", "favicon.ico"), mimetype="image/vnd.microsoft.icon")


@bp.route("/robots.txt")
def robots() -> Response:
    """Allow everything; point crawlers at the sitemap."""
    text = f"User-agent: *\nAllow: /\n\nSitemap: {absolute('/sitemap.xml')}\n"
    return Response(text, mimetype="text/plain")


def init_app(app: Flask) -> None:
    """Register the public site blueprint (with the list pages of portal.web.publiclists)."""
    import portal.web.publiclists  # noqa: F401 - its routes join bp before it is registered

    for extension, kind in ATTACHMENT_TYPES.items():  # Frozen-Flask checks each file's type against this table
        mimetypes.add_type(kind.mimetype, extension)
    app.register_blueprint(bp)
