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
