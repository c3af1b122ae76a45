"""Every content problem's wording, in one table: ``portal check``, ``portal index``/``build``, the preview and
the agent app's "Innehållets hälsa" all render a :class:`~portal.exceptions.Problem` from here.

A problem is data: a message code and its values (:func:`problem`). Its English text is the code's message id
with the values filled in (``Problem.message``, what ``--json`` and the logs carry); :func:`problem_text` renders
it in any language from the project's Babel catalogues (portal.content.catalogues). Each id is marked with
``N_`` where it is written, so that ``pybabel extract`` finds it (docs/translations.md).

Values named in :data:`TERMS` are words of the message itself ("category", "a list"), translated too; a
``suggestion`` value becomes the "Did you mean …?" hint, at ``%(hint)s`` in the message.
"""

from __future__ import annotations

from portal.content.catalogues import Messages
from portal.exceptions import ERROR, Problem


def N_(message: str) -> str:
    """Mark *message* for extraction; it is translated where it is shown."""
    return message


TERMS = ("what", "kind")
_TERM_WORDS = (N_("category"), N_("audience"), N_("status"), N_("answer group"), N_("department"),
               N_("ROSA level"), N_("set of keys"), N_("list"), N_("yes/no value"), N_("language code"),
               N_("language name"))
_HINT = N_("Did you mean '%(suggestion)s'?")

MESSAGES: dict[str, str] = {
    # reading files (sourcefile)
    "file-too-large": N_("the file is %(size)s MiB; the limit is %(limit)s MiB. Split it or move large material "
                         "into an attachment"),
    "file-unreadable": N_("cannot read the file: %(reason)s"),
    "file-binary": N_("the file holds binary data, not text; save it as UTF-8 text"),
    "file-not-utf8": N_("the file is not valid UTF-8 text (byte %(byte)s); save it with the encoding UTF-8"),
    "file-empty": N_("the file is empty"),
    "yaml-invalid": N_("the YAML cannot be read: %(detail)s. Check indentation, colons and quotes (text "
                       "containing ': ' needs quotes)"),
    "yaml-error": N_("the YAML cannot be read: %(detail)s"),
    "key-twice": N_("the key '%(key)s' appears twice; keep one of them"),
    "front-missing": N_("the file must start with front matter: a line '---', the keys (title, summary, ...), "
                        "and another line '---'"),
    "front-unclosed": N_("the front matter is not closed: add a line '---' after the keys"),
    "front-not-mapping": N_("the front matter must be keys and values (key: value), not a list or a single value"),
    # front matter (frontmatter)
    "key-unknown-source": N_("unknown key '%(key)s' in a source-language file.%(hint)s Allowed keys: "
                             "%(allowed)s"),
    "key-unknown-translation": N_("unknown key '%(key)s' in a translation (other keys come from the "
                                  "source-language file).%(hint)s Allowed keys: %(allowed)s"),
    "required-missing": N_("'%(key)s' is required and missing; add a line '%(key)s: …' to the front matter"),
    "not-text": N_("'%(key)s' must be text, not a %(kind)s"),
    "too-long": N_("'%(key)s' is %(length)s characters; the limit is %(limit)s. Shorten it"),
    "not-list": N_("'%(key)s' must be a list, e.g. %(key)s: [first, second]"),
    "not-word-list": N_("'%(key)s' must be a list of words or phrases, e.g. %(key)s: [first, second]"),
    "choice-unknown": N_("%(what)s '%(value)s' is not known.%(hint)s Known: %(known)s"),
    "date-invalid": N_("'%(key)s' must be a real date written YYYY-MM-DD (for example 2027-03-31), not "
                       "'%(value)s'"),
    "id-invalid": N_("'%(value)s' in %(key)s is not an article id (lowercase a-z, 0-9 and '-')"),
    "category-missing": N_("'category' is required and missing; known categories: %(known)s"),
    "expires-before": N_("'expires' must come after 'publish_from'"),
    "self-service-shape": N_("'self_service' must have keys url, label, login (and optionally needs)"),
    "self-service-key": N_("unknown key '%(key)s' in self_service.%(hint)s Allowed: %(allowed)s"),
    "self-service-url": N_("self_service.url must be a secure web address starting with https:// (got "
                           "'%(url)s')"),
    "self-service-login": N_("self_service.login must be a login method such as bankid or freja, or none"),
    "translation-self-service-shape": N_("'self_service' in a translation may only hold label and needs"),
    "translation-self-service-key": N_("'self_service.%(key)s' belongs in the source-language file; a "
                                       "translation may only translate label and needs"),
    "translation-self-service-orphan": N_("this translation has self_service but the source-language file has "
                                          "none"),
    "revision-invalid": N_("source_revision '%(revision)s' must be a git commit id (7-40 hex characters)"),
    "review-passed": N_("review_by %(date)s has passed: check the article is still right, then set a new "
                        "review date"),
    # article folders (load, folderfiles)
    "folder-collides": N_("the folder name '%(name)s' collides with '%(other)s' (ids must differ in more than "
                          "upper/lower case); rename one of them"),
    "folder-invalid-id": N_("the folder name '%(name)s' is not a valid article id: use only lowercase a-z, 0-9 "
                            "and '-' (for example '%(example)s')"),
    "folder-reserved": N_("'%(name)s' is reserved for the site's own pages; choose another folder name"),
    "language-unpublished": N_("'%(lang)s' is not a published language; add it to languages in site.yml or "
                               "remove the file (published: %(published)s)"),
    "file-unknown": N_("unknown file '%(name)s': an article folder holds <language>.md files, lattlast.md, "
                       "internal.md, an internal/ folder and attachments (not .md). Rename it, or move agent-only "
                       "notes into internal.md"),
    "translation-no-source": N_("this translation has no source: add %(source)s.md to the folder "
                                "'%(folder)s'"),
    "folder-no-source": N_("the article folder has no %(source)s.md; every article needs its source-language "
                           "file"),
    "internal-translated": N_("an internal article is for agents only and is not translated; the translations "
                              "will not be published"),
    "notes-front-matter": N_("internal.md is plain Markdown without front matter; remove the lines between "
                             "'---'"),
    "synonyms-not-list": N_("synonyms.yml must be a list of groups, one per line, like: - [dagis, förskola]"),
    "synonyms-group": N_("each synonym group must list at least two words or phrases, like: - [dagis, "
                         "förskola]"),
    "file-symlink": N_("links to other files are not allowed in an article folder; copy the file here instead"),
    "file-leftover": N_("'%(name)s' is a leftover of an editor, a backup or a merge, not part of the article; "
                        "delete it (it is never published)"),
    "notes-name": N_("'%(name)s': the agents' notes file must be called internal.md, in lower case; rename it "
                     "(it is never published)"),
    "attachment-generated": N_("'%(name)s' is the name of the article's own page on the public site; rename the "
                               "file (web pages are not published as attachments: save it as PDF)"),
    "attachment-type": N_("'%(name)s' cannot be published: %(type)s files are not on the list of attachment "
                          "types (a web page, script or program could run in the reader's browser); save it as "
                          "one of %(allowed)s, or move it into internal/ if it is only for the contact centre"),
    "attachment-no-type": N_("'%(name)s' cannot be published: it has no file type ending like .pdf and only "
                             "documents, images and text files are published beside an article; save it as one "
                             "of %(allowed)s, or move it into internal/ if it is only for the contact centre"),
    "attachment-case": N_("'%(name)s' and '%(other)s' differ only in upper and lower case, so the web server "
                          "could mix them up; rename one of them"),
    # the whole corpus (crosscheck)
    "redirect-existing": N_("redirect_from '%(old)s' is the id of an existing article"),
    "redirect-claimed": N_("redirect_from '%(old)s' is also claimed by '%(other)s'"),
    "related-self": N_("an article cannot be related to itself"),
    "related-missing": N_("related article '%(id)s' does not exist.%(hint)s Check the id (the folder name)"),
    "featured-missing": N_("featured article '%(id)s' does not exist.%(hint)s"),
    "featured-internal": N_("featured article '%(id)s' is internal and cannot be shown to citizens"),
    "internal-file-link": N_("public text cannot link to a file in internal/ (it is for agents only); link it "
                             "from internal.md instead"),
    "link-missing": N_("the link to 'article:%(id)s' points to an article that does not exist.%(hint)s Check "
                       "the id (the folder name)"),
    "link-internal": N_("a public article cannot link to the internal article '%(id)s'; remove the link or move "
                        "it to internal.md"),
    # git history (gitinfo)
    "translation-outdated": N_("the translation is outdated: %(source)s has changed since it was translated. "
                               "Bring the translation up to date, then set source_revision: %(commit)s (portal "
                               "translated %(id)s %(lang)s writes it)"),
    "easy-read-outdated": N_("the easy-read text is outdated: %(source)s has changed since it was written. Bring "
                             "lattlast.md up to date, then set source_revision to the current commit"),
    # readability of easy-read texts (readability)
    "easy-read-sentence": N_("easy-read text: a sentence of %(words)s words (“%(opening)s …”); "
                             "easy-read sentences have at most %(limit)s. Split it into shorter sentences with "
                             "one idea each"),
    "easy-read-lix": N_("easy-read text: LIX %(lix)s (a readability index: words per sentence plus the share of "
                        "long words); easy-read texts lie under %(limit)s. Use shorter sentences and shorter, "
                        "common words"),
    "revision-unknown": N_("source_revision %(revision)s is not in the git history here (a shallow clone?); "
                           "judging by commit order instead"),
    # site.yml (siteconfig)
    "site-missing": N_("site.yml is missing: every content folder needs one (languages, categories, contact "
                       "details)"),
    "site-not-mapping": N_("site.yml must be keys and values (site:, languages:, ...)"),
    "site-key-unknown": N_("unknown key '%(key)s'.%(hint)s Known keys: %(known)s"),
    "site-site-key-unknown": N_("unknown key '%(key)s' under site.%(hint)s Known: %(known)s"),
    "not-mapping": N_("%(what)s must be a list of keys with values (key: value)"),
    "value-missing": N_("%(what)s is missing"),
    "value-not-text": N_("%(what)s must be text"),
    "name-language-unknown": N_("%(what)s: language '%(lang)s' is not in languages; known: %(known)s"),
    "base-url": N_("site.base_url must be a web address such as https://www.example.se"),
    "search-api": N_("site.search_api must be the https:// address of the public search API, such as "
                     "https://www.example.se/api/v1/search (no user name, query or fragment; http:// only for "
                     "localhost)"),
    "api-url": N_("site.api must be the https:// address of the server that answers the public API, such as "
                  "https://api.example.se (no user name, query or fragment; http:// only for localhost)"),
    "source-language-unknown": N_("source_language '%(lang)s' is not in languages; known: %(known)s"),
    "categories-empty": N_("categories: at least one category is needed"),
    "table-key-invalid": N_("%(table)s: '%(key)s' must use only a-z, 0-9 and '-'"),
    "table-source-name": N_("%(table)s.%(key)s needs a name in the source language '%(source)s'"),
    "featured-shape": N_("featured must be a list of article ids, e.g. [bygglov, forskoleplats]"),
    "notice-date": N_("notice: %(key)s must be a date such as 2026-12-24"),
    "notice-order": N_("notice: until (%(until)s) is before from (%(start)s)"),
    "notice-ended": N_("notice: it ended on %(date)s and is no longer shown; remove it from site.yml"),
    "notice-language": N_("notice: no text in '%(lang)s', so pages in that language show no notice; add "
                          "%(lang)s: with a translation"),
    "languages-shape": N_("languages must be a list such as - {code: sv, name: Svenska, dir: ltr}"),
    "language-shape": N_("each language needs code, name and dir: {code: sv, name: Svenska, dir: ltr}"),
    "language-key-unknown": N_("unknown key '%(key)s' in a language; known: %(known)s"),
    "language-ui": N_("ui '%(ui)s' has no UI catalogue in translations/; known: %(known)s"),
    "language-locale": N_("locale '%(locale)s' is not a locale with date formats (such as fi, sv or nb); it writes "
                          "the dates of a language that has none of its own"),
    "language-code": N_("language code '%(code)s' must be a lowercase code such as sv, en or ar"),
    "language-dir": N_("dir must be ltr or rtl, not '%(dir)s'"),
    "language-twice": N_("language '%(code)s' is listed twice"),
    "contact-key-unknown": N_("unknown key '%(key)s' under contact.%(hint)s Known: %(known)s"),
    "weekday-unknown": N_("'%(day)s' is not a weekday; use monday … sunday"),
    "exception-date": N_("'%(day)s' is not a date; write it as YYYY-MM-DD"),
    "hours-invalid": N_("opening hours '%(hours)s' must look like \"08:00-17:00\" (in quotes) or closed"),
    "edit-url": N_("site.edit_url must be the https:// address of the content repository's web editor with {path} "
                   "once where the file's path goes, such as https://gitlab.example.se/kommun/innehall/-/edit/main/"
                   "articles/{path} (got '%(url)s')"),
}


class _Values(dict):
    """A message's values; one that a problem kept from an older version lacks shows as "…", never a crash."""

    def __missing__(self, key: str) -> str:
        return "…"


def _render(messages: Messages | None, code: str, params: dict[str, str]) -> str:
    translate = messages.translations.gettext if messages is not None else (lambda text: text)
    values = _Values({k: (translate(v) if k in TERMS else v) for k, v in params.items()})
    suggestion = values.pop("suggestion", "")
    values["hint"] = " " + translate(_HINT) % {"suggestion": suggestion} if suggestion else ""
    return translate(MESSAGES[code]) % values


def problem(path: str, line: int, code: str, /, severity: str = ERROR, **params: object) -> Problem:
    """The problem *code* (a key of :data:`MESSAGES`) at *path*:*line* with its values; its English text is
    kept as ``message``. A ``suggestion`` value (or None) is the "Did you mean" hint."""
    values = {k: str(v) for k, v in params.items() if v is not None}
    return Problem(path, line, _render(None, code, values), severity, code=code, params=tuple(values.items()))


def problem_text(item: Problem, lang: str = "sv") -> str:
    """The message of *item* in *lang*: its code's message from the catalogue (a problem without a known code,
    such as one kept from before codes existed, keeps its English text)."""
    code = getattr(item, "code", "")
    if code not in MESSAGES:
        return item.message
    return _render(Messages(lang), code, dict(getattr(item, "params", ())))


def severity_label(item: Problem, lang: str = "sv") -> str:
    """"Varning: " before a warning's message, nothing before an error's."""
    return "" if item.is_error else Messages(lang).gettext("Warning: ")


def problem_line(item: Problem, lang: str) -> str:
    """``path:line: message`` in *lang*, a warning marked as one (what ``portal check`` prints)."""
    tag = "" if item.is_error else Messages(lang).gettext("warning: ")
    return f"{item.path}:{item.line}: {tag}{problem_text(item, lang)}"
