"""Markdown to safe HTML: Python-Markdown, article links resolved by id, then nh3 sanitising."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from typing import Protocol
from xml.etree import ElementTree as ET

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from portal.content.model import EASY_READ, Article, Corpus

LinkResolver = Callable[[str, str], "str | None"]

ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "br", "hr", "img", "dl", "dt", "dd", "abbr",
    "sup", "sub", "del", "ins", "span", "caption",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang", "lang"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "span": {"lang"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
_ABSOLUTE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|/|#|\?)")
# Python-Markdown recurses once per nesting level; deeper input is flattened first so that
# hostile or broken files finish quickly instead of exhausting the stack.
MAX_NESTING = 12
_DEEP_QUOTES = re.compile(rf"^((?:[ \t]*>){{{MAX_NESTING}}})(?:[ \t]*>)+", re.MULTILINE)
_DEEP_INDENT = re.compile(rf"^([ \t]{{{MAX_NESTING * 4}}})[ \t]+", re.MULTILINE)
# Link and emphasis parsing in Python-Markdown is quadratic in the number of unmatched brackets
# in one paragraph; no real article has hundreds, so past that they are shown literally.
MAX_BRACKETS = 200
_BLOCKS = re.compile(r"\n[ \t]*\n")


def _pathological(text: str) -> bool:
    if text.count("[") <= MAX_BRACKETS and text.count("<") <= MAX_BRACKETS * 5:
        return False
    return any(b.count("[") > MAX_BRACKETS or b.count("<") > MAX_BRACKETS * 5 for b in _BLOCKS.split(text))


def _as_plain_paragraphs(text: str) -> str:
    return "\n".join(f"<p>{html.escape(b)}</p>" for b in _BLOCKS.split(text) if b.strip())


class _ArticleLinks(Treeprocessor):
    def __init__(self, md: markdown.Markdown, ext: _LinkExtension):
        super().__init__(md)
        self.ext = ext

    def run(self, root: ET.Element) -> None:
        for el in root.iter():
            if el.tag == "h1":
                el.tag = "h2"  # the page title is the only h1
            attr = {"a": "href", "img": "src"}.get(el.tag)
            if attr is None:
                continue
            href = el.get(attr, "")
            if self.ext.base and href and not _ABSOLUTE.match(href):
                el.set(attr, self.ext.base + href.removeprefix("./"))
                continue
            if not href.startswith("article:"):
                continue
            target, _, fragment = href[len("article:"):].partition("#")
            url = self.ext.resolve(target, self.ext.lang) if self.ext.resolve else None
            if url is None:
                el.tag = "span"
                el.attrib.pop("href", None)
                el.attrib.pop("title", None)
            else:
                el.set("href", url + (f"#{fragment}" if fragment else ""))


class _LinkExtension(Extension):
    def __init__(self) -> None:
        super().__init__()
        self.resolve: LinkResolver | None = None
        self.lang = ""
        self.base: str | None = None

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_ArticleLinks(md, self), "portal-article-links", 1)


class Renderer:
    """Reusable Markdown renderer (one per thread: Python-Markdown instances are not thread-safe)."""

    def __init__(self) -> None:
        self._links = _LinkExtension()
        self._md = markdown.Markdown(
            extensions=["tables", "sane_lists", "def_list", "abbr", "fenced_code", "toc", self._links],
            extension_configs={"toc": {"permalink": False, "toc_depth": "2-4"}},
            output_format="html",
        )

    def render(self, text: str, lang: str, resolve: LinkResolver | None = None, base: str | None = None) -> str:
        """Render Markdown *text* written in *lang* to sanitised HTML, resolving `article:` links;
        relative links and images are prefixed with *base* when given."""
        self._links.resolve, self._links.lang, self._links.base = resolve, lang, base
        text = _DEEP_INDENT.sub(r"\1", _DEEP_QUOTES.sub(r"\1", text))
        if _pathological(text):
            return sanitize(_as_plain_paragraphs(text))
        self._md.reset()
        try:
            raw = self._md.convert(text)
        except RecursionError:
            raw = _as_plain_paragraphs(text)
        return sanitize(raw)


def sanitize(raw_html: str) -> str:
    """Strip everything but a safe set of tags, attributes and URL schemes from *raw_html*."""
    return nh3.clean(raw_html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer", strip_comments=True)


def html_to_text(fragment: str) -> str:
    """The readable text of an HTML fragment, whitespace folded."""
    text = nh3.clean(re.sub(r"<(/?)(p|li|h\d|tr|td|th|dt|dd|br|pre|blockquote)\b", r" <\1\2", fragment),
                     tags=set())
    return " ".join(html.unescape(text).split())


def public_url(article_id: str, lang: str) -> str:
    """The public site path of an article in a language."""
    return f"/{lang}/{article_id}/"


def easy_read_url(article_id: str, lang: str) -> str:
    """The public site path of an article's easy-read text (*lang*: the source language)."""
    return f"/{lang}/{article_id}/{EASY_READ}/"


# Every `article:` link resolution made while rendering one article: (kind, target id, lang) -> URL.
LinkLog = dict[tuple[str, str, str], "str | None"]


class LinkTarget(Protocol):
    """What a link needs of its target article (an Article, or its facts in the content cache)."""

    id: str
    audience: str


def link_url(target: LinkTarget | None, kind: str, lang: str) -> str | None:
    """The URL of a link in *kind* text ("public" or "agent") to *target* (None: no such article)."""
    if target is None:
        return None
    if kind == "public":
        return public_url(target.id, lang) if target.audience == "public" else None
    return f"/agent/article/{target.id}?lang={lang}"


def resolve_link(corpus: Corpus, kind: str, target_id: str, lang: str) -> str | None:
    """The URL an `article:` link in *kind* text ("public" or "agent") points to, or None (shown as text)."""
    return link_url(corpus.resolve(target_id), kind, lang)


def render_corpus(corpus: Corpus, renderer: Renderer | None = None, only: Iterable[str] | None = None,
                  links: dict[str, LinkLog] | None = None,
                  resolve: Callable[[str], LinkTarget | None] | None = None) -> None:
    """Render every version's body and every article's internal notes (or only those of *only*), in place.

    An article's HTML depends on other articles only through its links, so with *links* given each
    rendered article's link resolutions are recorded there: the content cache re-renders a cached article
    when one of them would resolve differently now. *resolve* finds a link's target by id (default:
    :meth:`Corpus.resolve`; the content cache resolves over its summaries without loading articles)."""
    renderer = renderer or Renderer()
    find = resolve or corpus.resolve
    if only is None:
        articles: Iterable[Article] = corpus.articles.values()
    else:
        wanted = set(only)
        articles = [corpus.articles[name] for name in corpus.articles if name in wanted]
    for article in articles:
        log: LinkLog = {}

        def resolver(kind: str, log: LinkLog = log) -> LinkResolver:
            def resolve(target_id: str, lang: str) -> str | None:
                key = (kind, target_id, lang)
                if key not in log:
                    log[key] = link_url(find(target_id), kind, lang)
                return log[key]
            return resolve

        text_kind = "public" if article.audience == "public" else "agent"
        for version in article.versions.values():
            version.html = renderer.render(version.body, version.lang, resolver(text_kind))
            version.text = html_to_text(version.html)
        if article.easy is not None:  # its page is one folder below the article's: attachments are one up
            article.easy.html = renderer.render(article.easy.body, article.easy.lang, resolver(text_kind), base="../")
            article.easy.text = html_to_text(article.easy.html)
        if article.internal_md:
            article.internal_html = renderer.render(article.internal_md, corpus.site.source_language,
                                                    resolver("agent"), base=f"/agent/article/{article.id}/")
            article.internal_text = html_to_text(article.internal_html)
        if links is not None:
            links[article.id] = log
