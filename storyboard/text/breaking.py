"""Line breaking: where a line may end, and greedy filling of lines to a measure.

Break opportunities come from the Unicode line breaking algorithm (UAX #14, uniseg), which
already knows what lettering needs: no break at a no-break space (U+00A0) or narrow no-break
space (U+202F, French « guillemets » and "!"), a break after a zero-width space (invisible),
after a soft hyphen (which shows as a hyphen only when the line ends there), between CJK
characters, between words of Thai, Lao, Khmer and Burmese (by ICU's dictionaries, where the
`icu` extra is installed: `storyboard.text.dictionaries`), and never before closing brackets, small kana, the prolonged sound mark or
ideographic punctuation (kinsoku: 。、」）ー never start a line). A word wider than the
whole measure is hyphenated with pyphen's dictionary for the story's language, and only
if that fails broken between grapheme clusters. In Japanese and Chinese, where UAX #14 may
break between any two characters, lines end at phrase ends (`storyboard.text.phrases`)
and break inside a phrase only where the phrase is longer than the line. Breaks a letterer
would redo (a number parted from its unit, a sentence's first word at a line's end, a short
word alone between longer lines: `weak_break`, `short_middle_lines`) cost more where another
break of about the same shape exists; they stay allowed.
"""

from __future__ import annotations

import bisect
import math
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from storyboard.text.dictionaries import needs_dictionary, word_breaks, word_ends
from storyboard.text.phrases import model_for, phrase_ends

if TYPE_CHECKING:
    from storyboard.text.fonts import FontChain

SHY, ZWSP = "\u00ad", "\u200b"
HYPHEN = "-"


def break_points(text: str) -> list[int]:
    """Indices where a line may start (UAX #14), 0 and len(text) excluded."""
    return list(_break_points(text))


# Speed: uniseg takes about 0.2 ms a character, and lettering asks about every line it tries.
# The text is cut where the answer cannot depend on the other side, and each piece is asked
# with its ASCII letters and digits made alike, so a few dozen calls serve a whole book.
# (Both steps leave the answer exactly as uniseg gives it for the whole text:
# tests/text/test_break_points_pieces.py compares them.)
_CUT = re.compile(r"(?<=[A-Za-z0-9.,!?;:] )(?=[A-Za-z0-9])")
_ALIKE = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZbcdefghijklmnopqrstuvwxyz123456789", "a" * 51 + "0" * 9)


@lru_cache(maxsize=4096)
def _break_points(text: str) -> tuple[int, ...]:
    """UAX #14 line break opportunities of `text`, as uniseg finds them.

    Cut after a space that follows a letter, digit or . , ! ? ; : and comes before an ASCII
    letter or digit, the text may break there (LB18: no OP, quote or ZW before the space),
    and no rule of uniseg's looks across: looking back from the right stops at that letter
    or digit (no rule skips AL or NU), and looking ahead from the left reaches at most two
    places, the letter and the space. So each piece is asked alone. uniseg sees a character
    only through its Line_Break class, general category, East Asian width, pictographic
    property and (for U+2010 and U+25CC) itself: ASCII letters all read as `a` and
    digits as `0`, which lets pieces of equal shape share one answer."""
    out: list[int] = []
    start = 0
    for cut in _CUT.finditer(text):
        i = cut.start()
        out += [start + k for k in _piece_points(text[start:i].translate(_ALIKE))]
        out.append(i)
        start = i
    out += [start + k for k in _piece_points(text[start:].translate(_ALIKE))]
    if needs_dictionary(text):  # Thai, Lao, Khmer, Burmese: breaks between words (`dictionaries`)
        out = sorted({*out, *word_breaks(text)})
    return tuple(out)


@lru_cache(maxsize=4096)
def _piece_points(piece: str) -> tuple[int, ...]:
    from uniseg.linebreak import line_break_breakables

    return tuple(i for i, b in enumerate(line_break_breakables(piece)) if b and i)


def display(piece: str) -> str:
    """What a line made of `piece` shows: trailing spaces dropped, zero-width spaces and
    soft hyphens invisible, except a soft hyphen that ends the line, drawn as a hyphen."""
    piece = piece.rstrip(" \t\u3000").replace(ZWSP, "")
    hyphen = piece.endswith(SHY)
    piece = piece.replace(SHY, "")
    return piece + HYPHEN if hyphen and piece else piece


def units(text: str, language: str | None = None) -> list[str]:
    """The unbreakable pieces of `text` (as displayed when a line ends after them); with
    `language` (the story's), in Japanese and Chinese, its phrases instead."""
    out = []
    for paragraph in text.split("\n"):
        cuts = [0, *(break_points(paragraph) if language is None else _preferred(paragraph, language)), len(paragraph)]
        out += [display(paragraph[a:b]) for a, b in zip(cuts, cuts[1:]) if display(paragraph[a:b])]
    return out


def inside_phrases(text: str, lines: tuple[str, ...], language: str = "") -> int:
    """How many of the line ends of `lines` (`wrap`'s or `lozenge`'s, of `text` in a story in
    `language`) fall inside a phrase (`phrases.phrase_ends`): 0 for text without phrases."""
    if model_for(text, language) is None:  # (most text: asked for every shape a balloon tries)
        return 0
    return _inside_phrases(text, lines, language)


@lru_cache(maxsize=4096)
def _inside_phrases(text: str, lines: tuple[str, ...], language: str) -> int:
    count, k = 0, 0
    for paragraph in text.split("\n"):
        breaks = _break_points(paragraph)
        ends = phrase_ends(paragraph, language, breaks)
        start = 0
        while k < len(lines) and start < len(paragraph):
            end = next((c for c in (*breaks, len(paragraph)) if c > start and display(paragraph[start:c]) == lines[k]),
                       None)
            if end is None:  # a word cut inside (hyphenated): not a break point
                return count
            count += ends is not None and end < len(paragraph) and end not in ends
            start, k = end, k + 1
        k += start == 0  # an empty paragraph's empty line
    return count


def inside_words(text: str, lines: tuple[str, ...], language: str = "") -> int:
    """How many line ends of `lines` (of `text`, one paragraph) fall inside a Japanese or
    Chinese word by ICU's dictionary (`ラ|ンプ`; `ランプ|は` ends a word): 0 for text without
    phrases or without icu4py."""
    if model_for(text, language) is None or "\n" in text:
        return 0
    ends = word_ends(text, language)
    if not ends:
        return 0
    count, at = 0, 0
    for line in lines[:-1]:
        found = text.find(line, at)
        if found < 0:  # (a line as displayed that is not in the text as written: counted so far)
            return count
        at = found + len(line)
        while at < len(text) and text[at] in " \u3000\u200b":
            at += 1
        count += at not in ends
    return count


# Breaks a letterer avoids where another of about the same shape exists (costs, not rules:
# a balloon that can only be broken there is still lettered). A number is kept with the word
# after it, its unit or noun (`2 h`, `3 פעמים`, `10 km`: the typographer's no-break space),
# and a sentence's first word is not left at a line's end (`Not me. I / brought`).
_NUMBER_END = re.compile(r"\d[\s\u00a0\u202f]*$")
_SENTENCE_START_END = re.compile(r"[.!?\u2026\u203d\u061f][\"'\u201d\u2019\u00bb)\]]*\s+[^\s.!?\u2026]+\s*$")


def weak_break(text: str, i: int) -> bool:
    """Whether a line ending at index `i` of `text` (a break point) parts a number from the
    word after it, or leaves a sentence's first word alone at the line's end."""
    if not 0 < i < len(text):
        return False
    after = text[i:].lstrip()
    return bool(after) and ((after[0].isalpha() and _NUMBER_END.search(text[:i]) is not None)
                            or _SENTENCE_START_END.search(text[:i]) is not None)


@lru_cache(maxsize=4096)
def _weak_set(text: str) -> frozenset[int]:
    """The break points of `text` that are `weak_break`s (asked for every line tried)."""
    return frozenset(i for i in _break_points(text) if weak_break(text, i))


def weak_breaks(text: str, lines: tuple[str, ...]) -> int:
    """How many of the line ends of `lines` (`wrap`'s or `lozenge`'s, of `text`) are
    `weak_break`s."""
    return sum(end in _weak_set(paragraph) for paragraph, end in _line_ends(text, lines))


_SENTENCE_INSIDE = re.compile(r"[.!?\u2026\u203d\u061f][\"'\u201d\u2019\u00bb)\]]*\s+\S")


def sentences_inside(text: str) -> int:
    """How many sentence ends in `text` have more text after them (`Closed. Come back
    tomorrow.`: one)."""
    return len(_SENTENCE_INSIDE.findall(text))


_SENTENCE_END = re.compile(r"[.!?\u2026\u203d\u061f\u3002\uff01\uff1f][\"'\u201d\u2019\u00bb)\]\u300d\u300f]*\s*$")


def widowed(lines: tuple[str, ...]) -> bool:
    """Whether the last of `lines` is a word left alone from the sentence above it (`steps
    like / that.`, LETTERING.md "Type"): one that ends its own sentence (`Closed. / Come back
    / tomorrow.`, `coming back. / Hurry!`) is no widow."""
    return len(lines) > 1 and not _break_points(lines[-1]) and not _SENTENCE_END.search(lines[-2])


def short_middle_lines(lines: tuple[str, ...], widths: tuple[float, ...]) -> int:
    """How many lines between two others are one word less than half as long as the shorter
    of them (`Who forgot / the / sandwiches?`): the eye drops through them."""
    return sum(1 for j in range(1, len(lines) - 1)
               if widths[j] < 0.5 * min(widths[j - 1], widths[j + 1]) and not _break_points(lines[j]))


@lru_cache(maxsize=4096)
def _line_ends(text: str, lines: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """(paragraph, index) of each line end of `lines` inside a paragraph of `text` (a
    paragraph's own end is not one); stops at a word cut inside (hyphenated)."""
    out, k = [], 0
    for paragraph in text.split("\n"):
        breaks = _break_points(paragraph)
        start = 0
        while k < len(lines) and start < len(paragraph):
            end = next((c for c in (*breaks, len(paragraph)) if c > start and display(paragraph[start:c]) == lines[k]),
                       None)
            if end is None:
                return tuple(out)
            if end < len(paragraph):
                out.append((paragraph, end))
            start, k = end, k + 1
        k += start == 0  # an empty paragraph's empty line
    return tuple(out)


def _preferred(text: str, language: str) -> tuple[int, ...]:
    """The break points of `text` where a line had best end: the phrase ends where the text
    has phrases (`phrases.phrase_ends`), else every break point."""
    breaks = _break_points(text)
    ends = phrase_ends(text, language, breaks)
    return breaks if ends is None else tuple(i for i in breaks if i in ends)


def wrap(chain: "FontChain", text: str, size: float, width: float, bold: bool = False, *,
         vertical: bool = False, phrases: bool = True, words: bool = False) -> list[str]:
    """Greedy line filling of `text` to `width` points at `size` points; explicit newlines
    are kept. Lines end at phrase ends where the text has phrases, unless `phrases` is
    False; then, with `words`, Japanese and Chinese lines end where a word does (ICU's
    dictionary, `dictionaries.word_ends`) if the line stays half full. Returns the lines as
    displayed (see `display`)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += _fill(chain, paragraph, size, width, bold, vertical, phrases, words)
    while len(lines) > 1 and not lines[-1]:
        lines.pop()
    return lines


def lozenge(chain: "FontChain", text: str, size: float, count: int, width: float, leading: float,
            ratio: float = 1.5, bold: bool = False, *, vertical: bool = False, phrases: bool = True,
            slack: float = 1.06) -> list[str] | None:
    """`text` in `count` centred lines shaped like a lozenge (short, long, long, short): the
    smallest oval of proportion `ratio` (width / height; lines `leading` ems apart) that
    holds the text in `count` lines, each at most `width` points long at `size` points, and
    the breaks whose lines follow that oval's outline most closely, a single word alone on
    the last line avoided where possible. Breaks only where UAX #14 allows (so kinsoku and
    no-break spaces hold), and in Japanese and Chinese only at phrase ends, except inside a
    phrase longer than `width` (at any break point when `phrases` is False). None when the
    text cannot be set in exactly `count` lines that way (an explicit newline, a word wider
    than `width`, too few break chances). `slack`: how much larger than the smallest oval
    the lines may fill (a little slack for nicer breaks)."""
    if "\n" in text or count < 1:
        return None
    preferred = cuts = _preferred(text, chain.language) if phrases else _break_points(text)
    pieces, inner, ending, run = _measured(chain, text, cuts, size, bold, vertical)
    inside: frozenset[int] = frozenset()  # line ends (after k pieces) inside a phrase
    if max(ending) > width and cuts != _break_points(text):  # a phrase longer than a line: break inside it
        cuts = tuple(sorted({*cuts, *(i for i in _break_points(text) if _inside_long(cuts, ending, width, i))}))
        pieces, inner, ending, run = _measured(chain, text, cuts, size, bold, vertical)
        inside = frozenset(k for k, cut in enumerate(cuts, 1) if cut not in preferred)
    if len(pieces) < count or max(ending) > width:
        return None
    lh = leading * size
    m = len(pieces)
    rows = [(abs(i - (count - 1) / 2) * lh + lh / 2) ** 2 for i in range(count)]  # y squared

    def caps(b: float) -> list[float]:
        return [min(width, 2 * ratio * math.sqrt(max(b * b - y2, 0.0))) + 1e-6 for y2 in rows]

    def fits(b: float) -> bool:  # greedy filling is optimal for "fits in count lines"
        start = 0
        for cap in caps(b):
            end = start
            # (pieces start..end as one line: `_line_length`, written out: this is the inner loop)
            while end < m and run[end + 1] - run[start] - inner[end] + ending[end] <= cap:
                end += 1
            start = end
        return start == m

    lo, hi = 0.0, count * lh + width / ratio
    if not fits(hi):
        return None
    for _ in range(11):  # bisect the oval's size (to about a tenth of a point)
        mid = (lo + hi) / 2
        if fits(mid):
            hi = mid
        else:
            lo = mid
    weak = frozenset(k for k, cut in enumerate(cuts, 1) if cut in _weak_set(text))
    ends = _closest(run, inner, ending, m, caps(slack * hi), inside, weak)
    if ends is None:
        return None
    starts = [0, *ends[:-1]]
    return [display("".join(pieces[a:b])) for a, b in zip(starts, ends)]


def _inside_long(cuts: tuple[int, ...], ending, width: float, i: int) -> bool:
    """Whether index i falls inside one of the pieces between `cuts` longer than `width`."""
    k = bisect.bisect_left(cuts, i)  # piece k runs from cuts[k - 1] (or 0) to cuts[k] (or the end)
    return ending[k] > width


@lru_cache(maxsize=256)
def _measured(chain, text: str, cuts: tuple[int, ...], size: float, bold: bool, vertical: bool):
    """The pieces of `text` between the break points `cuts`; each one's length as it runs on
    inside a line (zero-width spaces and soft hyphens invisible) and as it ends one; their
    running sums."""
    cuts = [0, *cuts, len(text)]
    pieces = tuple(text[a:b] for a, b in zip(cuts, cuts[1:]))
    space = _measure(chain, " ", size, bold, vertical)
    inner, ending = [], []
    for p in pieces:
        shown = display(p)
        ending.append(_measure(chain, shown, size, bold, vertical))
        if p == shown + " ":  # the common case: a word and one space
            inner.append(ending[-1] + space)
        else:
            inner.append(_measure(chain, p.replace(ZWSP, "").replace(SHY, ""), size, bold, vertical))
    run = [0.0]
    for w in inner:
        run.append(run[-1] + w)
    return pieces, tuple(inner), tuple(ending), tuple(run)


def _line_length(run, inner, ending, a: int, k: int) -> float:
    """Pieces a..k-1 as one line: their running lengths, the last one as it ends a line."""
    return run[k] - run[a] - inner[k - 1] + ending[k - 1]


def _closest(run, inner, ending, m: int, caps: list[float], inside: frozenset[int] = frozenset(),
             weak: frozenset[int] = frozenset()) -> list[int] | None:
    """Line ends putting m pieces (`_measured`) in exactly len(caps) lines, each within its
    cap, that leave the least squared room under the caps (dynamic programming); a word
    alone on the last line costs more than a lot of room, one alone on the first line a
    little, a line ending `inside` a phrase (after that many pieces) as much as half a line
    of room: as few breaks inside a phrase as the phrases too long for a line need. A `weak`
    line end (`weak_break`) and a middle line of one word under half its cap cost 0.4 of a
    line of room each: taken only where the other breaks are much worse."""
    n = len(caps)
    lone = [(0.3 * max(caps)) ** 2] + [0.0] * (n - 2) + [(0.6 * max(caps)) ** 2] if n > 1 else [0.0]
    split = (0.5 * max(caps)) ** 2
    avoid = (0.4 * max(caps)) ** 2
    if m > 120:  # a speech this long is split into connected balloons before it gets here
        return None
    # Every line a..k-1 once (the lines do not depend on the row they are tried in).
    lengths = [[_line_length(run, inner, ending, a, k) for k in range(a + 1, m + 1)] for a in range(m)]
    best = [[math.inf] * (m + 1) for _ in range(n + 1)]
    back = [[0] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i, cap in enumerate(caps):
        for a in range(m):
            base = best[i][a]
            if base == math.inf:
                continue
            for k, w in enumerate(lengths[a], a + 1):
                if w > cap:
                    break
                cost = base + (cap - w) ** 2 + (split if k in inside else 0.0) + (avoid if k in weak else 0.0)
                if k - a == 1:
                    cost += lone[i] if i in (0, n - 1) else (avoid if w < 0.5 * cap else 0.0)
                if cost < best[i + 1][k]:
                    best[i + 1][k], back[i + 1][k] = cost, a
    if best[n][m] == math.inf:
        return None
    ends, k = [], m
    for i in range(n, 0, -1):
        ends.append(k)
        k = back[i][k]
    return ends[::-1]


def _measure(chain, piece: str, size: float, bold: bool, vertical: bool) -> float:
    from storyboard.text.shaping import advance

    return advance(chain, piece, bold, vertical) * size if piece else 0.0


@lru_cache(maxsize=1024)
def _advances(chain, text: str, bold: bool, vertical: bool) -> dict[tuple[int, int], float]:
    """Advances at 1 pt of the displayed pieces text[start:end] of a paragraph, filled in by
    `_fill`: fitting a balloon wraps the same text at many measures and sizes."""
    return {}


_LONG = 256  # characters: a longer piece is first measured by its head (shaping all of it per line is quadratic)


def _fill(chain, text: str, size: float, width: float, bold: bool, vertical: bool, phrases: bool = True,
          words: bool = False) -> list[str]:
    breaks = _break_points(text)
    cuts = [*breaks, len(text)]
    ends = phrase_ends(text, chain.language, breaks) if phrases else None  # None: every break point as good
    within = word_ends(text, chain.language) if words and not phrases and model_for(text, chain.language) else None
    advances = _advances(chain, text, bold, vertical)
    weak = _weak_set(text)
    lines: list[str] = []
    start = 0
    while start < len(text):
        fitting = phrase = sound = None
        inside = []  # (ends inside the first phrase that fit)
        for end in cuts:
            if end <= start:
                continue
            advance = advances.get((start, end))
            if advance is None:
                if end - start > _LONG and _measure(chain, display(text[start:start + _LONG]), 1.0, bold,
                                                    vertical) * size > width:
                    break  # a very long piece (a URL, a string of letters), too wide from its head on
                advance = advances[(start, end)] = _measure(chain, display(text[start:end]), 1.0, bold, vertical)
            if advance * size <= width:
                fitting = end
                if end not in weak:
                    sound = (end, advance)
                if ends is None or end in ends or end == len(text):
                    phrase = end
                elif phrase is None:
                    inside.append(end)
            else:
                break
        if phrase is not None:  # inside a phrase only when the phrase alone is too long
            fitting = phrase
        elif inside:  # and then not leaving one letter of it alone on the next line (`ランプ|は`),
            # at the end of a word where one ends in the line's second half (`呪われて|いるんだ`)
            rest = next(c for c in cuts if c > inside[-1] and (c in ends or c == len(text)))
            whole = [c for c in inside if len(display(text[c:rest])) > 1]
            words = word_ends(text, chain.language)
            fitting = next((c for c in reversed(whole) if c in words and 2 * (c - start) >= inside[-1] - start),
                           whole[-1] if whole else fitting)
        if ends is None and fitting is not None and sound is not None and sound[0] != fitting \
                and sound[1] >= 0.5 * advances[(start, fitting)]:
            fitting = sound[0]  # a weak break (`weak_break`) avoided, the line still half full or more
        if within and fitting is not None and fitting not in within:  # a phrase cut, its words kept
            fitting = next((c for c in reversed(cuts) if start < c < fitting and c in within
                            and 2 * (c - start) >= fitting - start), fitting)
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
    # Only a head shorter than the first prefix found too wide can fit: measuring and
    # segmenting no further keeps a very long piece (a URL, 1,500 letters) linear to wrap.
    limit = 16
    while limit < len(piece) and _measure(chain, piece[:limit], size, bold, vertical) <= width:
        limit *= 2
    if not vertical:
        dictionary = _hyphenator(chain.language)
        word = piece.rstrip()
        if dictionary is not None and len(word) <= 100:  # (longer: no word, a string of letters)
            for head, tail in dictionary.iterate(word):
                if len(head) < limit and _measure(chain, head + HYPHEN, size, bold, vertical) <= width:
                    return head + HYPHEN, piece[len(head):]
    clusters = _graphemes(piece[:limit])  # all whole but perhaps the last, never taken
    low, high = 1, max(len(clusters) - 1, 1)  # the longest head that fits, at least one cluster
    while low < high:
        mid = (low + high + 1) // 2
        if _measure(chain, "".join(clusters[:mid]), size, bold, vertical) <= width:
            low = mid
        else:
            high = mid - 1
    head = "".join(clusters[:low])
    return display(head), piece[len(head):]


def _graphemes(text: str) -> list[str]:
    if text.isascii() and "\r" not in text:  # each character its own cluster (only CR LF joins): uniseg
        return list(text)  # takes 12 ms for 500 letters, and a long word is cut at many sizes
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
