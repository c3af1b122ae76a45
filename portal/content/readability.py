"""How easy a text is to read: the soft hints `portal check` gives on an easy-read text (lattlast.md).

Easy-read Swedish (lättläst) follows Myndigheten för tillgängliga mediers advice: short sentences with one idea
each, common words, the most important first. Two measures that a machine can take stand in for it:

* **long sentences**: a sentence of more than :data:`MAX_WORDS` words is named by its line;
* **LIX** (läsbarhetsindex, Björnsson 1968): words per sentence plus the share of long words (more than six
  letters) in percent. Easy-read texts lie around 25-35; above :data:`MAX_LIX` the text as a whole is named.

They are warnings, never errors: only a person can tell whether a text is easy to read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from portal.content.model import Version
from portal.content.problemtext import problem
from portal.exceptions import WARNING, Problem

MAX_WORDS = 15  # more than this in one sentence: a hint naming its line
MAX_LIX = 40  # above this for the whole text: a hint
LONG_WORD = 6  # LIX counts words of more than six letters as long
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|\d+(?:[.,:]\d+)*")
# A sentence ends at . ! ? (or a colon) followed by a space or the end; a line of Markdown that is a heading or a
# list item is a unit of its own even without a full stop.
_END = re.compile(r"(?<=[.!?:])\s+")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a text: the line it starts on and its words."""

    line: int
    words: tuple[str, ...]


def sentences(markdown: str, first_line: int = 1) -> list[Sentence]:
    """The sentences of a Markdown text (headings and list items count as units of their own), with lines."""
    out: list[Sentence] = []
    current: list[str] = []
    start = first_line
    in_code = False
    for offset, raw in enumerate(markdown.splitlines()):
        line_no = first_line + offset
        if raw.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
            continue
        stripped = raw.strip()
        if in_code or not stripped or stripped.startswith(("|", "<")):
            if current:  # a blank line, a table or HTML ends a paragraph
                out.append(Sentence(start, tuple(current)))
                current = []
            continue
        unit = _MARKUP.match(raw) is not None
        if unit and current:
            out.append(Sentence(start, tuple(current)))
            current = []
        text = _LINK.sub(r"\1", _MARKUP.sub("", raw))
        pieces = _END.split(text)
        for i, piece in enumerate(pieces):
            if not current:
                start = line_no
            current.extend(_WORD.findall(piece))
            if i < len(pieces) - 1 or re.search(r"[.!?:]\s*$", piece):
                if current:
                    out.append(Sentence(start, tuple(current)))
                current = []
        if unit and current:
            out.append(Sentence(start, tuple(current)))
            current = []
    if current:
        out.append(Sentence(start, tuple(current)))
    return out


def lix(items: list[Sentence]) -> float:
    """LIX of the sentences *items*: words per sentence plus the percentage of words longer than six letters."""
    words = [w for s in items for w in s.words]
    if not items or not words:
        return 0.0
    long = sum(1 for w in words if len(w) > LONG_WORD and not w[0].isdigit())
    return len(words) / len(items) + 100 * long / len(words)


def easy_read_hints(version: Version, shown: str) -> list[Problem]:
    """Warnings for an easy-read text (*shown*: its path as problems name it): each sentence longer than
    :data:`MAX_WORDS` words, and a LIX above :data:`MAX_LIX` for the title, summary and text together."""
    found: list[Problem] = []
    body = sentences(version.body, version.body_line)
    for s in body:
        if len(s.words) > MAX_WORDS:
            opening = " ".join(s.words[:6])
            found.append(problem(shown, s.line, "easy-read-sentence", WARNING, words=len(s.words),
                                 opening=opening, limit=MAX_WORDS))
    whole = [*sentences(version.title), *sentences(version.summary), *body]
    score = lix(whole)
    if score > MAX_LIX:
        line = version.front.line("title") if version.front else 1
        found.append(problem(shown, line, "easy-read-lix", WARNING, lix=f"{score:.0f}", limit=MAX_LIX))
    return found
