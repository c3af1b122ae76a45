"""Content problems as the agent app shows them: in Swedish, from the project's message catalogues.

A :class:`~portal.exceptions.Problem` keeps its English message (what ``portal check`` prints) plus a
message code and the message's values. Here each code has its own *literal* ``gettext`` call, so that
``pybabel extract`` finds every message id (ids passed to gettext through a variable are not extracted and
silently stay English). A problem without a code, or with a code not listed here, keeps its English text.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import force_locale, gettext

from portal.exceptions import Problem

# One entry per message code; every call is a literal gettext call (see the module docstring).
_MESSAGES: dict[str, Callable[[dict[str, str]], str]] = {
    "redirect-existing": lambda v: gettext("redirect_from '%(old)s' is the id of an existing article", **v),
    "redirect-claimed": lambda v: gettext("redirect_from '%(old)s' is also claimed by '%(other)s'", **v),
    "related-self": lambda v: gettext("an article cannot be related to itself"),
    "related-missing": lambda v: gettext(
        "related article '%(id)s' does not exist; check the id (the folder name)", **v),
    "featured-missing": lambda v: gettext("featured article '%(id)s' does not exist", **v),
    "featured-internal": lambda v: gettext(
        "featured article '%(id)s' is internal and cannot be shown to citizens", **v),
    "internal-file-link": lambda v: gettext(
        "public text cannot link to a file in internal/ (it is for agents only); link it from internal.md "
        "instead"),
    "link-missing": lambda v: gettext(
        "the link to 'article:%(id)s' points to an article that does not exist; check the id (the folder "
        "name)", **v),
    "link-internal": lambda v: gettext(
        "a public article cannot link to the internal article '%(id)s'; remove the link or move it to "
        "internal.md", **v),
    "review-passed": lambda v: gettext(
        "review_by %(date)s has passed: check the article is still right, then set a new review date", **v),
    "translation-outdated": lambda v: gettext(
        "the translation is outdated: %(source)s has changed since it was translated. Bring the translation "
        "up to date and record the current commit in source_revision", **v),
    "file-leftover": lambda v: gettext(
        "'%(name)s' is a leftover of an editor, a backup or a merge, not part of the article; delete it (it is "
        "never published)", **v),
    "notes-name": lambda v: gettext(
        "'%(name)s': the agents' notes file must be called internal.md, in lower case; rename it (it is never "
        "published)", **v),
    "attachment-generated": lambda v: gettext(
        "'%(name)s' is the name of the article's own page on the public site; rename the file (web pages are "
        "not published as attachments: save it as PDF)", **v),
    "attachment-type": lambda v: gettext(
        "'%(name)s' cannot be published: %(type)s files are not on the list of attachment types (a web page, "
        "script or program could run in the reader's browser); save it as one of %(allowed)s, or move it into "
        "internal/ if it is only for the contact centre", **v),
    "attachment-no-type": lambda v: gettext(
        "'%(name)s' cannot be published: it has no file type ending like .pdf and only documents, images and "
        "text files are published beside an article; save it as one of %(allowed)s, or move it into internal/ "
        "if it is only for the contact centre", **v),
    "attachment-case": lambda v: gettext(
        "'%(name)s' and '%(other)s' differ only in upper and lower case, so the web server could mix them up; "
        "rename one of them", **v),
    "revision-unknown": lambda v: gettext(
        "source_revision %(revision)s is not in the git history here (a shallow clone?); judging by commit "
        "order instead", **v),
}


def problem_text(problem: Problem, lang: str = "sv") -> str:
    """The message of *problem* in *lang* (the agent app is Swedish); English when it has no code."""
    make = _MESSAGES.get(getattr(problem, "code", ""))  # problems pickled before codes existed have none
    if make is None:
        return problem.message
    with force_locale(lang):
        return make(dict(getattr(problem, "params", ())))


def severity_label(problem: Problem, lang: str = "sv") -> str:
    """"Varning: " before a warning's message, nothing before an error's."""
    if problem.is_error:
        return ""
    with force_locale(lang):
        return gettext("Warning: ")
