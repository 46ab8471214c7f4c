"""Line breaking: where a line may end, and greedy filling of lines to a measure.

Break opportunities come from the Unicode line breaking algorithm (UAX #14, uniseg), which
already knows what lettering needs: no break at a no-break space (U+00A0) or narrow no-break
space (U+202F, French « guillemets » and "!"), a break after a zero-width space (invisible),
after a soft hyphen (which shows as a hyphen only when the line ends there), between CJK
characters, and never before closing brackets, small kana, the prolonged sound mark or
ideographic punctuation (kinsoku: 。、」）ー never start a line). A word wider than the
whole measure is hyphenated with pyphen's dictionary for the story's language, and only
if that fails broken between grapheme clusters.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storyboard.text.fonts import FontChain

SHY, ZWSP = "\u00ad", "\u200b"
HYPHEN = "-"


def break_points(text: str) -> list[int]:
    """Indices where a line may start (UAX #14), 0 and len(text) excluded."""
    return list(_break_points(text))


@lru_cache(maxsize=4096)
def _break_points(text: str) -> tuple[int, ...]:
    from uniseg.linebreak import line_break_breakables

    return tuple(i for i, b in enumerate(line_break_breakables(text)) if b and i)


def display(piece: str) -> str:
    """What a line made of `piece` shows: trailing spaces dropped, zero-width spaces and
    soft hyphens invisible, except a soft hyphen that ends the line, drawn as a hyphen."""
    piece = piece.rstrip(" \t\u3000").replace(ZWSP, "")
    hyphen = piece.endswith(SHY)
    piece = piece.replace(SHY, "")
    return piece + HYPHEN if hyphen and piece else piece


def units(text: str) -> list[str]:
    """The unbreakable pieces of `text` (as displayed when a line ends after them)."""
    out = []
    for paragraph in text.split("\n"):
        cuts = [0, *break_points(paragraph), len(paragraph)]
        out += [display(paragraph[a:b]) for a, b in zip(cuts, cuts[1:]) if display(paragraph[a:b])]
    return out


def wrap(chain: "FontChain", text: str, size: float, width: float, bold: bool = False, *,
         vertical: bool = False) -> list[str]:
    """Greedy line filling of `text` to `width` points at `size` points; explicit newlines
    are kept. Returns the lines as displayed (see `display`)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += _fill(chain, paragraph, size, width, bold, vertical)
    while len(lines) > 1 and not lines[-1]:
        lines.pop()
    return lines


def lozenge(chain: "FontChain", text: str, size: float, count: int, width: float, leading: float,
            ratio: float = 1.5, bold: bool = False, *, vertical: bool = False) -> list[str] | None:
    """`text` in `count` centred lines shaped like a lozenge (short, long, long, short): the
    lines that fit the smallest oval of proportion `ratio` (width / height; lines `leading`
    ems apart), each at most `width` points long at `size` points; breaks only where UAX #14
    allows (so kinsoku holds). A line ending the text with a single word is avoided when
    another break fits the same oval. None when the text cannot be set in `count` lines that
    way (an explicit newline, a word wider than `width`, too few break chances)."""
    if "\n" in text or count < 1:
        return None
    cuts = [0, *break_points(text), len(text)]
    if len(cuts) - 1 < count:
        return None
    pieces = [text[a:b] for a, b in zip(cuts, cuts[1:])]
    # A line's length from its pieces: each piece as it runs on inside a line (zero-width
    # spaces and soft hyphens invisible), the last one as it ends the line.
    inner = [_measure(chain, p.replace(ZWSP, "").replace(SHY, ""), size, bold, vertical) for p in pieces]
    ending = [_measure(chain, display(p), size, bold, vertical) for p in pieces]
    if max(ending) > width:
        return None
    run = [0.0]
    for w in inner:
        run.append(run[-1] + w)
    lh = leading * size

    def fill(b: float) -> list[int] | None:
        """Greedy line ends under the oval of semi-height b; None when the text overflows."""
        ends, start = [], 0
        for i in range(count):
            y = abs(i - (count - 1) / 2) * lh + lh / 2
            cap = min(width, 2 * ratio * math.sqrt(max(b * b - y * y, 0.0))) + 1e-6
            end = start
            while end < len(pieces) and run[end] - run[start] + ending[end] <= cap:
                end += 1
            if end == start:
                return None
            ends.append(end)
            start = end
            if start == len(pieces):
                break
        return ends if start == len(pieces) else None

    lo, hi = 0.0, count * lh + width / ratio
    if fill(hi) is None:
        return None
    for _ in range(14):  # bisect the oval's size (to a few hundredths of a point)
        mid = (lo + hi) / 2
        if fill(mid) is None:
            lo = mid
        else:
            hi = mid
    ends = fill(hi)
    if len(ends) > 1 and ends[-1] - ends[-2] == 1 and ends[-2] - (ends[-3] if len(ends) > 2 else 0) > 1:
        # One word alone on the last line: the previous line's last word joins it.
        moved = ends[:-2] + [ends[-2] - 1, ends[-1]]
        last = run[ends[-1]] - run[moved[-2]] - inner[ends[-1] - 1] + ending[ends[-1] - 1]
        if last <= width:
            ends = moved
    starts = [0, *ends[:-1]]
    return [display("".join(pieces[a:b])) for a, b in zip(starts, ends)]


def _measure(chain, piece: str, size: float, bold: bool, vertical: bool) -> float:
    from storyboard.text.shaping import shape

    return shape(chain, piece, bold, vertical).advance * size if piece else 0.0


def _fill(chain, text: str, size: float, width: float, bold: bool, vertical: bool) -> list[str]:
    cuts = [*break_points(text), len(text)]
    lines: list[str] = []
    start = 0
    while start < len(text):
        fitting = None
        for end in cuts:
            if end <= start:
                continue
            if _measure(chain, display(text[start:end]), size, bold, vertical) <= width:
                fitting = end
            else:
                break
        if fitting is None:  # the next unbreakable piece alone is too wide
            end = next(c for c in cuts if c > start)
            head, rest = _split_word(chain, text[start:end], size, width, bold, vertical)
            lines.append(head)
            start = end - len(rest)
            continue
        lines.append(display(text[start:fitting]))
        start = fitting
    return lines or [""]


def _split_word(chain, piece: str, size: float, width: float, bold: bool, vertical: bool) -> tuple[str, str]:
    """The longest head of an over-wide `piece` that fits, hyphenated where the language's
    dictionary allows, else cut between grapheme clusters; and the rest."""
    if not vertical:
        dictionary = _hyphenator(chain.language)
        word = piece.rstrip()
        if dictionary is not None:
            for head, tail in dictionary.iterate(word):
                if _measure(chain, head + HYPHEN, size, bold, vertical) <= width:
                    return head + HYPHEN, piece[len(head):]
    clusters = _graphemes(piece)
    cut = len(clusters) - 1
    while cut > 1 and _measure(chain, "".join(clusters[:cut]), size, bold, vertical) > width:
        cut -= 1
    cut = max(cut, 1)
    return display("".join(clusters[:cut])), "".join(clusters[cut:])


def _graphemes(text: str) -> list[str]:
    from uniseg.graphemecluster import grapheme_clusters

    return list(grapheme_clusters(text))


@lru_cache(maxsize=16)
def _hyphenator(language: str):
    """pyphen's dictionary for a BCP 47 tag (`de`, `pt-BR`...), English by default; None
    for a language pyphen has no dictionary for."""
    import pyphen

    tag = (language or "en").replace("-", "_")
    for candidate in (tag, tag.split("_")[0]):
        if candidate in pyphen.LANGUAGES:
            return pyphen.Pyphen(lang=candidate)
        match = pyphen.language_fallback(candidate)
        if match:
            return pyphen.Pyphen(lang=match)
    return None
