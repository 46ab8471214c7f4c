"""Line spacing that makes room for scripts stacking marks above and below their letters.

Lettering spaces lines by one leading (`lettering.LEADING`, ems) made for its main face.
Burmese and Khmer stack medials, vowel signs and subscript consonants well above and below
that face's box, so at that leading the marks of neighbouring lines collide. `leading`
widens a text's spacing to what its own glyphs' ink needs, read from the fonts that draw
them (HarfBuzz glyph extents). Not from the fonts' ascender/descender: Noto Sans Khmer's
are Latin's (1.069/-0.293 em) while its subscripts reach -0.53 em, and Noto Sans Myanmar's
and Arabic's (2.18 and 2.11 em) are made for the rarest stacks.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from storyboard.text.shaping import shape

if TYPE_CHECKING:
    from storyboard.text.fonts import Face, FontChain


def leading(chain: "FontChain", text: str, bold: bool, base: float) -> float:
    """Ems between the baselines of `text`'s lines (horizontal; explicit newlines allowed):
    `base`, unless the highest ink of its glyphs above the baseline plus the lowest below is
    taller than `base` (the ink of two lines could meet); then that height plus the room the
    main face's own box leaves at `base` (`base` minus its ascender-to-descender height)."""
    if text.isascii():  # most text: no stacked marks
        return base
    return _leading(chain, text, bold, base)


@lru_cache(maxsize=4096)  # every balloon's text, for every size and split a panel tries
def _leading(chain: "FontChain", text: str, bold: bool, base: float) -> float:
    top, bottom = ink_extent(chain, text, bold)
    if top - bottom <= base:  # two lines' ink cannot meet (Cyrillic's Й over щ: 1.18 em)
        return base
    return top - bottom + max(0.0, base - (chain.ascent - chain.descent))


def line_extent(chain: "FontChain", text: str, bold: bool) -> tuple[float, float]:
    """(top, bottom) of a one-line box for `text`, ems from the baseline: the main face's
    ascender and descender, stretched to the text's ink where that is taller (stacked
    Burmese or Khmer), so a tag or strip boxing it holds its marks."""
    box = (chain.ascent, chain.descent)
    if text.isascii():
        return box
    top, bottom = ink_extent(chain, text, bold)
    if top - bottom <= box[0] - box[1]:
        return box
    return max(top, box[0]), min(bottom, box[1])


@lru_cache(maxsize=4096)
def ink_extent(chain: "FontChain", text: str, bold: bool) -> tuple[float, float]:
    """The highest and lowest ink of `text`'s glyphs (explicit newlines allowed), ems above
    the baseline (0 where none reaches above or below)."""
    top = bottom = 0.0
    for line in text.split("\n"):
        for glyph in shape(chain, line, bold).glyphs:
            ink = _ink(chain.members[glyph.member].face(bold), glyph.gid)
            if ink is not None:
                top = max(top, ink[0] + glyph.y)
                bottom = min(bottom, ink[1] + glyph.y)
    return top, bottom


@lru_cache(maxsize=16384)
def _ink(face: "Face", gid: int) -> tuple[float, float] | None:
    """The glyph's ink from its top to its bottom, ems above the baseline (None: no ink)."""
    extents = face.hb_font.get_glyph_extents(gid)
    if extents is None or extents.height == 0:
        return None
    return extents.y_bearing / face.upem, (extents.y_bearing + extents.height) / face.upem
