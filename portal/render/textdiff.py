"""The difference between two versions of a text, as readable pieces: lines compared first, then the words of
the lines that changed, so that a fee that went from 1 200 to 1 500 kronor shows as that number, not as two
whole paragraphs.

The result is data (:class:`Hunk`s of :class:`Piece`s: unchanged, inserted or deleted text); the template marks
them up with ``<ins>`` and ``<del>`` and words for screen readers, never with colour alone.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

WORD = re.compile(r"\w+|\s+|[^\w\s]")
MAX_WORD_PAIRS = 4_000_000  # words compared pairwise at most; a larger changed block is shown whole, deleted and added
SAME, INS, DEL = "same", "ins", "del"


@dataclass(frozen=True)
class Piece:
    """A run of text: unchanged (``same``), only in the newer version (``ins``) or only in the older (``del``)."""

    kind: str
    text: str


@dataclass
class Hunk:
    """A changed place with a little unchanged text around it; *old_line*/*new_line*: where it starts (from 1)."""

    old_line: int
    new_line: int
    pieces: list[Piece] = field(default_factory=list)

    def add(self, kind: str, text: str) -> None:
        """Append *text* of *kind*, joined to the last piece when that is of the same kind."""
        if not text:
            return
        if self.pieces and self.pieces[-1].kind == kind:
            self.pieces[-1] = Piece(kind, self.pieces[-1].text + text)
        else:
            self.pieces.append(Piece(kind, text))


@dataclass
class TextDiff:
    """Every changed place of two texts, and how many words were added and removed."""

    hunks: list[Hunk]
    words_added: int
    words_removed: int

    @property
    def changed(self) -> bool:
        """True when the two texts differ."""
        return bool(self.hunks)


def diff_texts(old: str, new: str, context: int = 2) -> TextDiff:
    """The difference between *old* and *new*, with *context* unchanged lines around each change."""
    if old == new:
        return TextDiff([], 0, 0)
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    hunks = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        hunk = Hunk(group[0][1] + 1, group[0][3] + 1)
        for tag, i1, i2, j1, j2 in group:
            before, after = "".join(a[i1:i2]), "".join(b[j1:j2])
            if tag == "equal":
                hunk.add(SAME, before)
            elif tag == "replace":
                _words(hunk, before, after)
            else:
                hunk.add(DEL, before)
                hunk.add(INS, after)
        hunks.append(hunk)
    added = sum(_count(p.text) for h in hunks for p in h.pieces if p.kind == INS)
    removed = sum(_count(p.text) for h in hunks for p in h.pieces if p.kind == DEL)
    return TextDiff(hunks, added, removed)


def _words(hunk: Hunk, before: str, after: str) -> None:
    """The lines *before* became *after*: which of their words changed."""
    a, b = WORD.findall(before), WORD.findall(after)
    if len(a) * len(b) > MAX_WORD_PAIRS:
        hunk.add(DEL, before)
        hunk.add(INS, after)
        return
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for n, (tag, i1, i2, j1, j2) in enumerate(ops):
        text = "".join(a[i1:i2])
        # A lone space between two changes reads better as part of them ("1 200 kr" → "1 500 kr" whole).
        between = 0 < n < len(ops) - 1 and tag == "equal" and text.isspace() and "\n" not in text
        if tag == "equal" and not between:
            hunk.add(SAME, text)
            continue
        # Deletions before insertions, so that a replaced word reads "old new".
        _add_change(hunk, text, "".join(b[j1:j2]))


def _add_change(hunk: Hunk, removed: str, added: str) -> None:
    pieces = hunk.pieces
    if pieces and pieces[-1].kind == INS and removed:
        # Keep every deletion of a changed run before its insertions: "<del>a b</del><ins>c d</ins>".
        inserted = pieces.pop()
        hunk.add(DEL, removed)
        hunk.add(INS, inserted.text + added)
        return
    hunk.add(DEL, removed)
    hunk.add(INS, added)


def _count(text: str) -> int:
    return sum(1 for token in WORD.findall(text) if not token.isspace())
