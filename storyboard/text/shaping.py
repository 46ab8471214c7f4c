"""One line of text as positioned glyphs: font runs shaped by HarfBuzz, in visual order.

Horizontal lines run through the bidi algorithm (UAX #9, python-bidi): the line is cut into
runs of one embedding level and one font, each run is shaped in logical order with its
direction (so Arabic joins and Hebrew and Arabic read right to left), and the runs are then
reordered for display (rule L2). Vertical lines (columns of Japanese) are shaped top to
bottom, which applies the fonts' vertical forms (`vert`/`vrt2`: rotated brackets and long
vowel marks, corner-placed small punctuation); Latin words and long numbers in them lie
sideways, and one- or two-digit numbers sit across the column in one cell (tate-chu-yoko).

Everything is computed at 1 pt and cached; callers scale by the type size.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from storyboard.text.fonts import FontChain


# Glyphs and clusters are made by the thousand for every line shaped (measuring lines is
# most of fitting a balloon): named tuples, made several times faster than frozen dataclasses.
class Glyph(NamedTuple):
    member: int  # index into the chain's members
    gid: int
    x: float  # glyph origin, ems from the line's start (horizontal: x right; vertical: x from
    y: float  # the column's centre line, y up from its top)
    sideways: bool = False  # in a vertical line, turned a quarter clockwise


class Cluster(NamedTuple):
    """Source text and where its glyphs sit: `start` and `end` along the line (ems; for a
    vertical line, distances down from the top), in visual order; `source`: the offset of
    its text in the line (logical order)."""

    text: str
    member: int
    start: float
    end: float
    rtl: bool = False
    source: int = 0


# `Glyph(...)` without the Python frame of a named tuple's constructor (made per glyph shaped).
_new = tuple.__new__


@dataclass(frozen=True)
class Shaped:
    glyphs: tuple[Glyph, ...]
    clusters: tuple[Cluster, ...]
    advance: float  # ems along the line
    vertical: bool = False


def shape(chain: "FontChain", text: str, bold: bool = False, vertical: bool = False) -> Shaped:
    """The line `text` (no newlines) shaped at 1 pt with `chain`."""
    return _shape(chain, text, bold, vertical)


def advance(chain: "FontChain", text: str, bold: bool = False, vertical: bool = False) -> float:
    """`shape(chain, text, bold, vertical).advance` (ems), without making the glyphs and
    clusters: fitting a balloon measures many more lines than it draws."""
    return _advance(chain, text, bold, vertical)


def _line_runs(chain: "FontChain", text: str, bold: bool, vertical: bool) -> tuple[list[int], list]:
    """The member drawing each character, and the runs (start, end, level) in visual order."""
    members = chain.itemize(text, bold)
    if vertical:
        # Level 0: upright (CJK); level 2: a run of Latin, digits... set sideways.
        upright = _upright(text)
        runs = [(start, end, 0 if upright[start] else 4 if _tate_chu_yoko(text, start, end) else 2)
                for start, end in _split([(m, u) for m, u in zip(members, upright)])]
    else:
        levels = bidi_levels(text, right_to_left_paragraph(text, chain.language))
        runs = _visual_runs(_runs(members, levels), levels)
    return members, runs


@lru_cache(maxsize=8192)
def _advance(chain: "FontChain", text: str, bold: bool, vertical: bool) -> float:
    # The steps `_shape` takes along the line, summed in the same order (the same float).
    members, runs = _line_runs(chain, text, bold, vertical)
    pen = 0.0
    for start, end, level in runs:
        face = chain.members[members[start]].face(bold)
        sideways = vertical and level == 2
        across = vertical and level == 4
        _, positions = _hb_shape(face, text, start, end, level % 2 == 1,
                                 vertical and not (sideways or across), chain.language)
        scale = 1.0 / face.upem
        if across:
            wide = sum(pos.x_advance for pos in positions) * scale
            for pos in positions:
                pen += pos.x_advance * scale / wide if wide else 0.0
        elif vertical and not sideways:
            for pos in positions:
                pen += -pos.y_advance * scale
        else:
            for pos in positions:
                pen += pos.x_advance * scale
    return pen


@lru_cache(maxsize=8192)
def _shape(chain: "FontChain", text: str, bold: bool, vertical: bool) -> Shaped:
    members, runs = _line_runs(chain, text, bold, vertical)
    glyphs: list[Glyph] = []
    clusters: list[Cluster] = []
    pen = 0.0
    for start, end, level in runs:
        member = members[start]
        face = chain.members[member].face(bold)
        sideways = vertical and level == 2
        across = vertical and level == 4  # tate-chu-yoko: set across the column in one cell
        infos, positions = _hb_shape(face, text, start, end, level % 2 == 1,
                                     vertical and not (sideways or across), chain.language)
        scale = 1.0 / face.upem
        bounds: dict[int, list[float]] = {}
        if across:
            wide = sum(pos.x_advance for pos in positions) * scale
            baseline = pen + 0.5 + (face.ascent + face.descent) / 2
            across_pen = -wide / 2
        for info, pos in zip(infos, positions):
            if across:
                gx, gy = across_pen + pos.x_offset * scale, -baseline + pos.y_offset * scale
                across_pen += pos.x_advance * scale
                step = pos.x_advance * scale / wide if wide else 0.0  # the cell is one em
            elif sideways:
                # Turned a quarter clockwise: the baseline runs down the column, the letters'
                # tops face right, their em box centred on the column.
                gx = -(face.ascent + face.descent) / 2 + pos.y_offset * scale
                gy = -pen - pos.x_offset * scale
                step = pos.x_advance * scale
            elif vertical:
                gx, gy = pos.x_offset * scale, -pen + pos.y_offset * scale
                step = -pos.y_advance * scale
            else:
                gx, gy = pen + pos.x_offset * scale, pos.y_offset * scale
                step = pos.x_advance * scale
            glyphs.append(_new(Glyph, (member, info.codepoint, gx, gy, sideways)))
            span = bounds.get(info.cluster)
            if span is None:
                span = bounds[info.cluster] = [pen, pen]
            span[1] = pen + step
            if pen < span[0]:  # min(span[0], pen)
                span[0] = pen
            pen += step
        starts = sorted(bounds)
        ends = {c: (starts[k + 1] if k + 1 < len(starts) else end) for k, c in enumerate(starts)}
        rtl = level % 2 == 1 and not vertical
        for c in (reversed(starts) if rtl else starts):
            piece = text[c:ends[c]]
            if piece.strip("\u00ad\u200b"):
                clusters.append(_new(Cluster, (piece.replace("\u00ad", "").replace("\u200b", ""), member,
                                               bounds[c][0], bounds[c][1], rtl, c)))
    return Shaped(tuple(glyphs), tuple(clusters), pen, vertical)


def _hb_shape(face, text: str, start: int, end: int, rtl: bool, vertical: bool, language: str):
    import uharfbuzz as hb

    buf = hb.Buffer()
    # The whole line is the context (Arabic joining across a font change), the run is shaped.
    buf.add_str(text, start, end - start)
    buf.guess_segment_properties()
    if vertical:
        buf.direction = "ttb"
    else:
        buf.direction = "rtl" if rtl else "ltr"
    if language:
        buf.language = language
    hb.shape(face.hb_font, buf, {})
    return buf.glyph_infos, buf.glyph_positions


def _upright(text: str) -> list[bool]:
    """For a vertical line: whether each character stands upright (CJK, and the spaces and
    marks among it) or lies sideways (Latin, digits and their punctuation)."""
    from storyboard.text.fonts import is_cjk, is_ignorable

    out: list[bool] = []
    for ch in text:
        strong = unicodedata.category(ch)[0] in "LN" and not is_ignorable(ch)
        out.append(is_cjk(ch) if strong or is_cjk(ch) else (out[-1] if out else True))
    # Neutral characters before the first strong one follow it.
    first = next((i for i, ch in enumerate(text) if unicodedata.category(ch)[0] in "LN" or is_cjk(ch)), None)
    if first is not None:
        out[:first] = [out[first]] * first
    return out


def _tate_chu_yoko(text: str, start: int, end: int) -> bool:
    """Whether a sideways run of a vertical line is instead set across the column in one
    cell: a number of one or two ASCII digits (12月25日)."""
    run = text[start:end].strip()
    return 0 < len(run) <= 2 and run.isascii() and run.isdigit()


def _split(members: list) -> list[tuple[int, int]]:
    out, start = [], 0
    for i in range(1, len(members) + 1):
        if i == len(members) or members[i] != members[start]:
            if i > start:
                out.append((start, i))
            start = i
    return out


def _runs(members: list[int], levels: list[int]) -> list[tuple[int, int, int]]:
    out, start = [], 0
    for i in range(1, len(members) + 1):
        if i == len(members) or members[i] != members[start] or levels[i] != levels[start]:
            if i > start:
                out.append((start, i, levels[start]))
            start = i
    return out


def _visual_runs(runs: list[tuple[int, int, int]], levels: list[int]) -> list[tuple[int, int, int]]:
    """Rule L2: from the highest level down to the lowest odd one, reverse every sequence
    of runs at that level or higher."""
    if not runs:
        return runs
    top = max(r[2] for r in runs)
    low_odd = min((r[2] for r in runs if r[2] % 2), default=top + 1)
    order = list(runs)
    for level in range(top, low_odd - 1, -1):
        i = 0
        while i < len(order):
            if order[i][2] >= level:
                j = i
                while j < len(order) and order[j][2] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return order


def right_to_left_paragraph(text: str, language: str = "") -> bool:
    """Whether the line `text` is set as a right-to-left paragraph: when it holds
    right-to-left letters and `language` (BCP 47, the story's) is written right to left
    (rule HL1: a letterer sets a Hebrew line that a balloon's wrapping started with
    "Python 3" right to left, not as an English line), else when its first strong
    character is right to left (rules P2-P3)."""
    if not any(_strong_rtl(c) for c in set(text)):
        return False
    if right_to_left_language(language):
        return True
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("L", "R", "AL"):
            return kind != "L"
    return False


def bidi_levels(text: str, right_to_left: bool) -> list[int]:
    """The resolved bidi embedding level of each character (even: left to right) of a line
    set as a right-to-left paragraph when `right_to_left` (`right_to_left_paragraph`), else
    left to right."""
    if not any(_strong_rtl(c) for c in set(text)):
        return [0] * len(text)
    from bidi import algorithm as bidi

    storage = bidi.get_empty_storage()
    base = int(right_to_left)
    storage["base_level"] = base
    storage["base_dir"] = ("L", "R")[base]
    bidi.get_embedding_levels(_embeddings_for_isolates(text), storage)
    every = storage["chars"]  # rule X9 leaves out soft hyphens, zero-width spaces, embedding controls...
    bidi.explicit_embed_and_overrides(storage)
    bidi.resolve_weak_types(storage)
    bidi.resolve_neutral_types(storage, False)
    bidi.resolve_implicit_levels(storage, False)
    # ...which take the level of the character before them (UAX #9, 5.2), so every
    # character of the line has one.
    kept = {id(c) for c in storage["chars"]}
    levels, level = [], base
    for c in every:
        if id(c) in kept:
            level = c["level"]
        levels.append(level)
    # Rule L1: trailing whitespace goes to the paragraph level.
    i = len(text)
    while i and text[i - 1].isspace():
        i -= 1
        levels[i] = base
    return levels


def _embeddings_for_isolates(text: str) -> str:
    """`text` with each bidi isolate (LRI, RLI, FSI ... PDI, Unicode 6.3) as the embedding of
    its direction (LRE, RLE ... PDF), one character for one, and a PDI closing nothing as a
    zero-width space: python-bidi's algorithm predates isolates and fails on them (text
    pasted from the web carries them around names and numbers). Isolated text gets its own
    level either way; only how it weighs on the neutrals around it differs."""
    if not any("\u2066" <= c <= "\u2069" for c in text):
        return text
    out, open_ = list(text), 0
    for i, c in enumerate(text):
        if c == "\u2066":
            out[i], open_ = "\u202a", open_ + 1
        elif c == "\u2067":
            out[i], open_ = "\u202b", open_ + 1
        elif c == "\u2068":  # first strong letter up to the matching PDI (rules P2-P3)
            out[i], open_ = "\u202a", open_ + 1
            depth = 0
            for d in text[i + 1 :]:
                kind = unicodedata.bidirectional(d)
                if kind in ("LRI", "RLI", "FSI"):
                    depth += 1
                elif kind == "PDI":
                    if not depth:
                        break
                    depth -= 1
                elif not depth and kind in ("L", "R", "AL"):
                    out[i] = "\u202a" if kind == "L" else "\u202b"
                    break
        elif c == "\u2069":
            out[i] = "\u202c" if open_ else "\u200b"
            open_ = max(open_ - 1, 0)
    return "".join(out)


@lru_cache(maxsize=256)
def right_to_left_language(language: str) -> bool:
    """Whether text in the BCP 47 `language` is written right to left: the direction of its
    script, the script subtag where it has one (`az-Arab`), else the script CLDR's likely
    subtags give it (`he` Hebrew, `ar-EG` Arabic, `pa-PK` Shahmukhi Arabic but `pa` Gurmukhi,
    `dv` Thaana, `azb` Arabic). False for "" and for a tag that is not BCP 47."""
    import langcodes
    from fontTools.unicodedata import script_horizontal_direction

    if not language:
        return False
    try:
        tag = langcodes.Language.get(language.replace("_", "-"))  # parsed, `iw` read as `he`
    except langcodes.LanguageTagError:
        return False
    script = tag.script or _likely_script(tag.language or "und", tag.territory) or tag.maximize().script
    return script is not None and script_horizontal_direction(script, "LTR") == "RTL"


def _likely_script(language: str, territory: str | None) -> str | None:
    """The script of `language` (in `territory`) from CLDR's likely subtags as Babel ships
    them: CLDR 47's 7,868 against the 1,866 of langcodes' own copy, which lacks `azb` and 171
    more (it gives those Latin) and has `ku-IQ` Latin, `grc` Cypriot."""
    from babel.core import get_global

    likely = get_global("likely_subtags")
    found = (territory and likely.get(f"{language}_{territory}")) or likely.get(language)
    parts = found.split("_") if found else ()
    return parts[1] if len(parts) > 2 else None


@lru_cache(maxsize=4096)
def _strong_rtl(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("R", "AL", "RLE", "RLO", "RLI")
