"""The order of a right-to-left line's invisible text layer.

Readers take a PDF's text out in two ways, and the layer serves both at once:

- By position (poppler: pdftotext, Evince): a line's characters sorted left to right, then,
  on a page whose text is mostly left to right, each right-to-left section turned back (a
  mostly right-to-left page it reads right to left, which the layer on the glyphs serves,
  but for punctuation after a number: see `_right_to_left_blocks`).
  poppler's sections (`reorderText` in TextOutputDev.cc): a right-to-left one starts at a
  right-to-left letter (bidi R, AL) and runs on over neutrals until a left-to-right letter or a
  number character (bidi L; EN, AN, ES, ET, CS: digits, "." "," ":" "-" "%" "₪"); the rest,
  neutrals included, is left to right. So the layer places the line's clusters so that those
  sections, read so, give its text in logical order: each left-to-right stretch left to right,
  each right-to-left one turned around (`_placed`).
- By the order of the content stream, in pieces: pdf.js turns back each piece of text that
  is mostly right to left (a marked-content span, a font, a move leftwards end a piece);
  pypdf turns back a run of right-to-left characters with the neutrals after it (its neutrals
  include Arabic-Indic digits: "٤٥" shown after an Arabic word came out "٥٤"), until a font
  is set. So the layer shows the sections in logical order, each right-to-left run of letters
  and spaces in one font as one piece in visual order, and every other cluster alone or, if
  left to right, with the left-to-right clusters it follows (`_pieces`); each piece is a
  marked-content span that sets its font again. MuPDF, which reads the stream too, reads such
  a line right where the stream stays in visual order (no punctuation ends a right-to-left
  word, no Arabic-Indic digits, no comma or colon after a right-to-left word).

On a mostly left-to-right page poppler cannot read neutrals that stand between a right-to-left
letter and a following number or Latin letter (or the line's end) in their place: its
right-to-left section takes them and turns them to its front (`(שלום) 12!` read
`) (שלום 12!`), and a vowel mark on a section's last letter ends up at its front ("ًعاما").
After such neutrals (other than spaces), or such a mark, the layer adds a RIGHT-TO-LEFT MARK
(U+200F, invisible, a strong right-to-left character that leaves the line's bidi resolution
as it was), which ends the section after them; in a left-to-right line, where neutrals before
a left-to-right letter resolve left to right, it adds a LEFT-TO-RIGHT MARK (U+200E) before
them instead, which ends the section before them.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any, Callable, Iterable, NamedTuple

from storyboard.text.shaping import Cluster, Shaped, right_to_left_paragraph

RLM, LRM = "\u200f", "\u200e"
_MARK_WIDTH = 0.2  # ems, as in the layer fonts (`pdffonts.char_width`): poppler drops a mark
# that starts where its neighbour starts as a duplicate

# poppler's character classes (its UnicodeTypeTable follows the bidi classes): a right-to-left
# letter, a left-to-right letter or number character, a neutral.
_R, _P, _N = "R", "P", "N"


def mostly_left_to_right(texts: Iterable[str], marks: int = 0) -> bool:
    """Whether the lines `texts` of a page hold at least as many strong left-to-right letters
    as right-to-left ones: how poppler (pdftotext, Evince) picks a page's direction, reading
    every line of a mostly left-to-right page left to right. `marks`: the LEFT-TO-RIGHT less
    the RIGHT-TO-LEFT MARKs the text layer adds, which poppler counts as letters too."""
    balance = marks
    for text in texts:
        for ch in text:
            kind = unicodedata.bidirectional(ch)
            balance += kind == "L"
            balance -= kind in ("R", "AL")
    return balance >= 0


def reading_order(shaped: Shaped, text: str, face: Callable[[Cluster], Any], width: Callable[[Cluster], float],
                  left_to_right_page: bool = True, language: str = "") -> tuple[Shaped, tuple[int, ...]]:
    """For the text layer of a line that holds right-to-left text: `shaped` with its clusters
    in the order stream readers read in logical order, and the index of each cluster that
    starts a piece of its own (see the module). On a mostly left-to-right page
    (`left_to_right_page`) the clusters are also placed along the line so that poppler reads
    them in logical order, a direction mark added where it needs one; on a mostly
    right-to-left page, which poppler reads right to left, the clusters of a right-to-left
    paragraph stay on their glyphs where poppler reads them so (`_right_to_left_blocks`).
    `face(cluster)`: the face of its text-layer font; `width(cluster)`: its width there in
    ems. `language`: the story's; a line is a right-to-left paragraph as shaping set it
    (`shaping.right_to_left_paragraph`: its first strong letter's direction, or right to left in a
    language written so). Lines without right-to-left text, vertical lines, left-to-right paragraphs on a
    mostly right-to-left page and lines the visual layer already serves are returned as
    they are, with (). The glyphs are drawn where shaping put them; only the invisible layer
    moves."""
    clusters = shaped.clusters
    if shaped.vertical or not clusters or not any(c.rtl for c in clusters):
        return shaped, ()
    right_to_left = right_to_left_paragraph(text, language)  # as shaping set it
    if not (right_to_left or left_to_right_page):
        return shaped, ()
    logical = sorted(clusters, key=lambda c: c.source)
    at: dict[int, tuple[float, float]] = {}
    if not left_to_right_page:
        blocks = _right_to_left_blocks(logical)
        logical = [c for _, block in blocks for c in block]
        pen = shaped.advance
        for left_to_right, block in blocks:  # from the right: a run of numbers as one block
            steps = [_MARK_WIDTH if c.text == RLM else c.end - c.start for c in block]
            if left_to_right:
                pen -= sum(steps)
                x = pen
                for cluster, step in zip(block, steps):
                    at[id(cluster)] = (x, x + step)
                    x += step
            else:
                for cluster, step in zip(block, steps):
                    pen -= step
                    at[id(cluster)] = (pen, pen + step)
    sections = _sections(logical, right_to_left, marks=left_to_right_page)
    pieces = _pieces(sections, face)
    if left_to_right_page:
        placed = [c for section in sections for c in _placed(section)]
        if len(placed) == len(clusters) and all(a is b for a, b in zip(placed, clusters)):
            return shaped, ()  # the visual order reads right already (one direction, no stray neutrals)
        pen = clusters[0].start
        for cluster in placed:
            # Each cluster as wide as its character in the layer's font (not its shaped
            # glyphs: an Arabic letter's joined form is narrower): readers measure it so.
            step = _MARK_WIDTH if cluster.text in (RLM, LRM) else width(cluster)
            at[id(cluster)] = (pen, pen + step)
            pen += step
    elif len(pieces) == 1 and all(abs(at[id(c)][0] - c.start) < 1e-9 for c in clusters):
        return shaped, ()  # one run of right-to-left words on its glyphs: the visual order
    moved, starts = [], []
    for piece in pieces:
        starts.append(len(moved))
        moved.extend(cluster._replace(start=at[id(cluster)][0], end=at[id(cluster)][1]) for cluster in piece)
    return Shaped(shaped.glyphs, tuple(moved), shaped.advance, shaped.vertical), tuple(starts[1:])


def _right_to_left_blocks(logical: list[Cluster]) -> list[tuple[bool, list[Cluster]]]:
    """A line of a mostly right-to-left page as poppler reads it there, right to left, in
    logical order: (left to right, its clusters). poppler's left-to-right stretches there
    (`reorderText`) start at a letter or number character and run on over neutrals until a
    right-to-left letter, read left to right; so neutrals after a number before a
    right-to-left word or the line's end ("12!") are read before the number ("!12"), and the
    space after a number, a Latin word or a comma before the next right-to-left word is read
    before them ("פרק  3:ההתחלה", "שלום ,עולם"): a RIGHT-TO-LEFT MARK before such neutrals
    makes them part of the right-to-left stretch after it."""
    kinds = [_kind(c.text) for c in logical]
    blocks: list[tuple[bool, list[Cluster]]] = []
    i, n = 0, len(logical)
    while i < n:
        if kinds[i] != _P:
            j = next((k for k in range(i, n) if kinds[k] == _P), n)
            blocks.append((False, logical[i:j]))
            i = j
            continue
        j = next((k for k in range(i, n) if kinds[k] == _R), n)
        last = max(k for k in range(i, j) if kinds[k] == _P)
        blocks.append((True, logical[i:last + 1]))
        stray = logical[last + 1:j]
        if stray and (j < n or any(not c.text.isspace() for c in stray)):
            end = logical[last]
            stray = [Cluster(RLM, end.member, 0.0, _MARK_WIDTH, True, end.source), *stray]
        if stray:
            blocks.append((False, stray))
        i = j
    return blocks


class _Section(NamedTuple):
    """One of poppler's sections of a line (see the module), in logical order: for a
    right-to-left one, its letters and the neutrals between them (`core`, from its first
    right-to-left letter to its last), the neutrals after them (`stray`) and the direction
    mark added, if any (`mark`)."""

    rtl: bool
    core: list[Cluster]
    stray: list[Cluster]
    mark: Cluster | None


def _sections(logical: list[Cluster], right_to_left: bool = True, marks: bool = True) -> list[_Section]:
    """poppler's sections of the line in a left-to-right page, in logical order; `marks`:
    with the marks that page needs, for a paragraph of the direction `right_to_left`."""
    kinds = [_kind(c.text) for c in logical]
    sections: list[_Section] = []
    i, n = 0, len(logical)
    while i < n:
        if kinds[i] != _R:  # left to right: up to the next right-to-left letter
            j = next((k for k in range(i, n) if kinds[k] == _R), n)
            sections.append(_Section(False, logical[i:j], [], None))
            i = j
            continue
        # right to left: up to the next left-to-right letter or number character
        j = next((k for k in range(i, n) if kinds[k] == _P), n)
        last = max(k for k in range(i, j) if kinds[k] == _R)
        core, stray = logical[i:last + 1], logical[last + 1:j]
        mark = None
        # A mark where the section would else end, to poppler, with a neutral: punctuation
        # after its last letter, or a vowel mark on it (shown before its letter, see `_layer`).
        punctuated = any(not c.text.isspace() for c in stray)
        if marks and (punctuated or _kind(core[-1].text[-1]) != _R):
            # In a left-to-right paragraph, neutrals before a left-to-right letter (or its
            # end) resolve left to right: a LEFT-TO-RIGHT MARK before them keeps them so.
            ltr = punctuated and not right_to_left and (
                j == n or unicodedata.bidirectional(logical[j].text[0]) == "L")
            mark = Cluster(LRM if ltr else RLM, core[-1].member, 0.0, _MARK_WIDTH, not ltr, core[-1].source)
        sections.append(_Section(True, core, stray, mark))
        i = j
    return sections


def _placed(section: _Section) -> list[Cluster]:
    """A section's clusters in the order they stand, left to right: a left-to-right one as it
    is; a right-to-left one turned around, its mark first, and the neutrals after its last
    letter to its left, but for spaces, which stand to its right (poppler reads them before
    the section all the same; pdf.js and pypdf read a space there between it and what
    follows)."""
    if not section.rtl:
        return section.core
    if section.mark and section.mark.text == LRM:  # it ends the section; the neutrals follow it
        return section.core[::-1] + [section.mark] + section.stray
    mark = [section.mark] if section.mark else []
    if any(not c.text.isspace() for c in section.stray):
        return mark + section.stray[::-1] + section.core[::-1]
    return mark + section.core[::-1] + section.stray


def _pieces(sections: list[_Section], face: Callable[[Cluster], Any]) -> list[list[Cluster]]:
    """The pieces the layer shows, in the order it shows them (each a marked-content span that
    sets its font again): the sections in logical order; a left-to-right section's clusters
    left to right, those that follow a letter or digit in one piece (`_opens`, `_joins`); in a
    right-to-left section, each run of its letters and spaces in one font in one piece, in
    visual order (pdf.js turns such a piece back, keeping its spaces; pypdf turns back what
    follows a right-to-left letter until its font changes), every other cluster alone, the
    pieces in logical order, but for a mark that follows no neutral, shown first (invisible,
    it stands where a reader that keeps to the stream's order (MuPDF) wants it)."""
    pieces: list[list[Cluster]] = []
    for rtl, core, stray, mark in sections:
        if not rtl:
            opened = False
            for cluster in core:
                if opened and _joins(cluster.text):
                    pieces[-1].append(cluster)
                else:
                    pieces.append([cluster])
                    opened = _opens(cluster.text)
            continue
        punctuated = any(not c.text.isspace() for c in stray)
        if mark and not punctuated:
            pieces.append([mark])
        runs: list[list[Cluster]] = []  # in logical order
        for cluster in core:
            if _runs_on(cluster) and runs and _runs_on(runs[-1][-1]) and face(cluster) == face(runs[-1][-1]):
                runs[-1].append(cluster)
            else:
                runs.append([cluster])
        for run in runs:
            letters = [i for i, c in enumerate(run) if _kind(c.text) == _R]
            if not letters:  # a neutral alone
                pieces.append(run)
                continue
            # Shown in visual order, a run must start with a right-to-left letter for pypdf:
            # spaces at its logical end are shown after it, alone.
            pieces.append(run[:letters[-1] + 1][::-1])
            pieces.extend([c] for c in run[letters[-1] + 1:])
        if mark and mark.text == LRM:
            pieces.append([mark])
        pieces.extend([c] for c in stray)
        if mark and punctuated and mark.text == RLM:
            pieces.append([mark])
    return pieces


def _runs_on(cluster: Cluster) -> bool:
    """Whether a cluster may be part of a right-to-left run shown in visual order: a
    right-to-left letter or a space."""
    return _kind(cluster.text) == _R or cluster.text.isspace()


@lru_cache(maxsize=4096)
def _kind(text: str) -> str:
    """A cluster's poppler class: right to left if it holds a right-to-left letter, else left
    to right if it holds a letter or number character, else neutral."""
    kinds = {unicodedata.bidirectional(ch) for ch in text}
    if kinds & {"R", "AL"}:
        return _R
    if kinds & {"L", "EN", "AN", "ES", "ET", "CS"}:
        return _P
    return _N


@lru_cache(maxsize=4096)
def _joins(cluster_text: str) -> bool:
    """Whether a cluster may share a piece with the left-to-right clusters before it: it holds
    no right-to-left letter and no Arabic-Indic number (pdf.js turns back a piece that holds
    those; pypdf turns Arabic-Indic digits around after an Arabic word)."""
    return not any(unicodedata.bidirectional(ch) in ("R", "AL", "AN") or "\u06f0" <= ch <= "\u06f9"
                   for ch in cluster_text)


def _opens(cluster_text: str) -> bool:
    """Whether a piece that starts with this cluster is read left to right by pypdf whatever
    came before it: it starts with a letter or digit that pypdf takes as left to right (pypdf
    takes ASCII punctuation, General Punctuation, currency signs and arrows as neutral)."""
    ch = cluster_text[:1]
    if not ch or "\u2000" <= ch <= "\u21ff":
        return False
    return unicodedata.bidirectional(ch) == "L" or "0" <= ch <= "9"
