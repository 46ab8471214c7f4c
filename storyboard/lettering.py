"""Lettering: speech, thought, whisper and shout balloons, captions, narration and SFX.

Lettering is computed once, as plain geometry in PDF points (polygons and positioned lines of
text, see `Shape`, `Text`, `Item`), and drawn by two backends: reportlab for PDF (real,
searchable text) and PIL for PNG pages. Both use the same font file and the same line
positions, so the two outputs match.

Type: one dialogue size per story (`style.dialogue_pt`, 8 pt at print size), never below
6.5 pt. Each balloon wraps its text to the smallest pleasing oval; a line too long for the panel
is split into connected balloons (same speaker, a connector, one tail), and consecutive lines
of one speaker are joined the same way. Only when that cannot fit does the panel's type shrink
(toward 6.5 pt), with a warning; and by up to 1 pt where that alone takes a balloon from under
its speaker's head (see UNDER_SHRINK).
Placement: `_lettering.placement` solves each panel with the hard rules of LETTERING.md
(attribution, reading order, faces and heads clear, tails that cross nothing), against the
figures staged by `storyboard.staging` (and, on draft pages, off the shot tag and action note:
`export.labels.slate`); SFX go near their source, off faces, heads, balloons and small figures.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from contextlib import contextmanager
from functools import lru_cache
from itertools import accumulate
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence, Union

from storyboard._lettering import geometry, placement, shapes
from storyboard.errors import ExportError
from storyboard.layout import WEBTOON, PageSpec, PanelSlot, Rect
from storyboard.staging import StagedFigure, dutch_tilt, stage_panel, turned, turned_box
from storyboard.text import breaking, leading
from storyboard.text.fonts import FONT_DIR, FontChain, is_cjk, is_kana, load_chain, primary_language
from storyboard.text.phrases import phrase_ends
from storyboard.text.shaping import right_to_left_language, right_to_left_paragraph

Color = tuple[float, float, float]
BLACK: Color = (0.0, 0.0, 0.0)
WHITE: Color = (1.0, 1.0, 1.0)
CAPTION_FILL: Color = (1.0, 0.95, 0.74)
SFX_FILL: Color = (1.0, 0.8, 0.12)

BUNDLED_REGULAR = FONT_DIR / "ComicNeue-Regular.ttf"
BUNDLED_BOLD = FONT_DIR / "ComicNeue-Bold.ttf"

LEADING = 1.18  # line height in ems
NOTE_RULE = 16.0  # points between the ruled lines of a storyboard sheet's notes (about 5.6 mm)
NOTE_PAD = 3.0  # points inside a notes box
BALLOON_KINDS = ("speech", "thought", "whisper", "shout")


# ------------------------------------------------------------------------------ drawing data


@dataclass(frozen=True)
class Shape:
    """A polygon (or open polyline) in PDF points, filled and/or stroked."""

    points: tuple[tuple[float, float], ...]
    fill: Color | None = None
    stroke: Color | None = None
    width: float = 0.0  # stroke width in points
    dash: tuple[float, float] | None = None  # (on, off) in points
    closed: bool = True


@dataclass(frozen=True)
class Text:
    """One line of text. (x, y) is on the baseline: its centre ("middle") or its start."""

    text: str
    x: float
    y: float
    size: float
    bold: bool = False
    anchor: str = "middle"  # "middle" | "start"
    fill: Color = BLACK
    outline: Color | None = None
    outline_width: float = 0.0
    skew: float = 0.0  # degrees the letters lean right, sheared about the baseline
    vertical: bool = False  # a column top to bottom; (x, y) is its top centre


Op = Union[Shape, Text]


@dataclass(frozen=True)
class Item:
    """One lettered element: its drawing operations in order, and the boxes it occupies."""

    kind: str  # speech | thought | whisper | shout | caption | narration | sfx | notes | header
    ops: tuple[Op, ...]
    body: Rect  # the balloon or box (what other elements must not cover)
    bounds: Rect  # everything drawn, tails and bubbles included
    lines: tuple[str, ...]
    size: float  # type size in points
    speaker: str = ""
    ellipse: tuple[float, float, float, float] | None = None  # (cx, cy, a, b) the text must stay inside
    text_boxes: tuple[Rect, ...] = ()  # the ink box of every line
    text: str = ""  # the text as lettered (its lines joined by spaces)
    tail: tuple[tuple[float, float], ...] = ()  # from the balloon's edge to the tip, page points


# ------------------------------------------------------------------------------ fonts

# The lettering font is a fallback chain (storyboard.text): shaped with HarfBuzz, measured
# and drawn from the same glyph outlines by both backends.
Font = FontChain


def story_font(story: Any, override: "str | Path | None" = None) -> FontChain:
    """The font chain for a story: `override`, else the script's `style.font` (one font or
    a list, relative to the script's folder), then the bundled chain; the story's
    `language` picks regional glyph forms."""
    language = getattr(story, "language", "") or ""
    if override is not None:
        return load_chain(Path(override).expanduser(), language=language)
    style_font = getattr(getattr(story, "style", None), "font", None)
    base = Path(getattr(story, "base_dir", ".") or ".")
    return load_chain(style_font or None, base_dir=base, language=language)


def vertical_line(story: Any, text: str, reading: str) -> bool:
    """Whether a balloon of `text` is lettered top to bottom: `style.lettering_direction`
    `vertical`, or `auto` (the default) for Japanese text on a right-to-left page."""
    mode = getattr(getattr(story, "style", None), "lettering_direction", "auto") or "auto"
    if mode == "horizontal":
        return False
    japanese = is_japanese(text, getattr(story, "language", "") or "")
    return japanese if mode == "vertical" else japanese and reading == "rtl"


@lru_cache(maxsize=4096)  # every balloon's text, for every size and split a panel tries
def is_japanese(text: str, language: str = "") -> bool:
    """Kana in the text, or CJK text in a story whose language is Japanese."""
    if any(is_kana(c) for c in text):
        return True
    return primary_language(language) == "ja" and any(is_cjk(c) for c in text)


# ------------------------------------------------------------------------------ text fitting


def wrap(font: FontChain, text: str, size: float, width: float, bold: bool = False, vertical: bool = False) -> list[str]:
    """Lines of `text` at most `width` points long at `size` points (UAX #14 breaks, at
    phrase ends in Japanese and Chinese, explicit newlines kept, hyphenation then grapheme
    cuts for a word wider than a line)."""
    return breaking.wrap(font, text, size, width, bold, vertical=vertical)


@dataclass(frozen=True)
class Block:
    """Lines of text at one size. A vertical block's lines are columns: `widths` are their
    lengths (top to bottom) and `line_height` their spacing (right to left)."""

    lines: tuple[str, ...]
    widths: tuple[float, ...]
    size: float
    bold: bool
    vertical: bool = False
    leading: float = LEADING  # ems: more for stacked scripts (`text.leading`)

    @property
    def line_height(self) -> float:
        return self.size * self.leading

    @property
    def width(self) -> float:
        return max(self.widths, default=0.0)

    @property
    def height(self) -> float:
        return len(self.lines) * self.line_height


def _block(font: Font, lines: Sequence[str], size: float, bold: bool, vertical: bool = False) -> Block:
    from storyboard.text.shaping import shape

    widths = tuple(shape(font, line, bold, vertical).advance * size for line in lines)
    return Block(tuple(lines), widths, size, bold, vertical, _leading(font, "\n".join(lines), bold, vertical))


def _leading(font: Font, text: str, bold: bool, vertical: bool = False) -> float:
    """Ems between `text`'s lines: LEADING, more where stacked marks need it (Burmese, Khmer)."""
    return LEADING if vertical else leading.leading(font, text, bold, LEADING)


def oval_for(block: Block, ratio: float, pad: float) -> tuple[float, float]:
    """Semi-axes (a, b) of the smallest oval of proportion a/b = `ratio` that holds every
    line's box, plus `pad` all round. Lines are centred, so a diamond of short-long-short
    lines fits a much smaller oval than its bounding rectangle would. (For a vertical
    block, computed across its columns: the caller swaps the axes. Its columns hang from
    one top (`_lines`), so each reaches as far from the middle as the longest: a short
    column centred in the oval's narrow end would poke out of its top when drawn.)"""
    n, lh = len(block.lines), block.line_height
    b2 = 0.0
    for i, w in enumerate((block.width,) * n if block.vertical else block.widths):
        centre = (i - (n - 1) / 2) * lh
        y = abs(centre) + lh / 2
        reach = (w / 2 / ratio) ** 2 + y * y
        if reach > b2:  # max(b2, reach), without the call: this runs for every wrap tried
            b2 = reach
    b = math.sqrt(b2)
    return ratio * b + pad, b + pad


@dataclass(frozen=True)
class Fit:
    block: Block
    a: float  # text oval semi-axes (captions: half the box)
    b: float
    outer_w: float  # the body's full size, decorations included
    outer_h: float


def _decoration(kind: str, size: float) -> float:
    """How far a balloon's outline reaches beyond its text oval."""
    return {"thought": 1.15 * size, "shout": 1.15 * size}.get(kind, 0.0)  # measured: at most 1.10 and 1.12 em


def fit_text(font: Font, text: str, kind: str, size: float, max_w: float, max_h: float,
             vertical: bool = False, ratios: tuple[float, ...] = (1.15, 1.5, 1.9), phrases: bool = True) -> Fit | None:
    """The best-looking wrap of `text` at `size` whose body fits max_w x max_h, or None.
    `vertical`: columns top to bottom, right to left, in a tall oval. `ratios`: the balloon
    shapes tried (oval width / height). Japanese and Chinese lines end at phrase ends where
    the phrases fit (`breaking`), unless `phrases` is False: then the tightest shape."""
    return _fit_text(font, text, kind, size, max_w, max_h, vertical, tuple(ratios), phrases)


@lru_cache(maxsize=4096)
def _fit_text(font: Font, text: str, kind: str, size: float, max_w: float, max_h: float,
              vertical: bool, ratios: tuple[float, ...], phrases: bool = True) -> Fit | None:
    # Memoised (a `Fit` is immutable): a panel fits the same words again for each split,
    # stage and type size it tries, and a book repeats its panel sizes and short lines.
    bold = kind in ("shout", "sfx")
    pad = 0.45 * size
    pieces = breaking.units(text)
    total = font.width(breaking.display(text.replace("\n", " ")), size, bold) if not vertical else \
        sum(_block(font, [p], size, bold, True).width for p in pieces)
    longest = max((_block(font, [p], size, bold, vertical).width for p in pieces), default=0.0)
    phrased = breaking.units(text, font.language) if phrases else pieces
    ideal = 3.5 if kind in ("caption", "narration") else 1.6
    if vertical:
        ideal = 1 / ideal
    measure = max_h if vertical else max_w
    best: tuple[float, Fit] | None = None
    plain: list = [math.inf, 1]  # the best cost before the stranded-word factor, its line count
    seen: set[tuple[str, ...]] = set()
    boxed = kind in ("caption", "narration")
    widows = len(text.split()) > 4

    def consider(lines: tuple[str, ...]) -> None:
        nonlocal best
        if lines in seen:
            return
        seen.add(lines)
        block = _block(font, lines, size, bold, vertical)
        # A word alone on the last line (or, less so, the first) looks stranded.
        # A line of one letter at either end (`—I`, `I—`: UAX #14 breaks at dashes) as much as a last word.
        first, last = lines[0], lines[-1]
        lone = 1.0 if len(lines) < 2 else (1.0 + 0.25 * (not breaking.break_points(last) or _one_letter(last))
                                          + (0.25 if _one_letter(first) else 0.1 * (not breaking.break_points(first))))
        # Worse still, a last word cut from its sentence (`steps like / that.`): a widow, in
        # a text long enough to have other breaks (`My father's / recipe.` is fine). (A word
        # alone at both ends is a triangle, which the last step below reshapes.)
        lone += WIDOW * (widows and breaking.widowed(lines) and bool(breaking.break_points(first)))
        # A Japanese or Chinese line ending inside a phrase (`ランプ` cut) reads badly: broken
        # only where the phrases do not fit (a balloon in the room above its speaker's head).
        if phrases:  # (and a word cut, `ラ|ンプ`, as much again: the tightest shape, the last resort, cuts freely)
            lone += PHRASE_CUT * (breaking.inside_phrases(text, lines, font.language)
                                  + breaking.inside_words(text, lines, font.language))
        # A number cut from its unit or noun (`2 / h`), a sentence's first word at a line's end
        # (`Not me. I / brought`), a short word alone between longer lines (`/ the /`): each
        # costs as much as a stranded last word (LETTERING.md, "Type").
        if len(lines) > 1:
            lone += WEAK_BREAK * (breaking.weak_breaks(text, lines) + breaking.short_middle_lines(lines, block.widths))
        if boxed:
            a, b = block.width / 2 + pad, block.height / 2 + pad * 0.8
            if vertical:
                a, b = b, a
            options = [(a, b, 2 * a, 2 * b)]
        else:
            extra = _decoration(kind, size)
            options = []
            for ratio in ratios:
                a, b = oval_for(block, ratio, pad)
                if vertical:
                    a, b = b, a
                options.append((a, b, 2 * (a + extra), 2 * (b + extra)))
        for a, b, ow, oh in options:
            if ow > max_w or oh > max_h:
                continue
            # Smallest area, nudged toward a comfortable oval (or a long caption strip).
            cost = ow * oh * (1 + 0.35 * abs(math.log((ow / oh) / ideal)))
            if cost < plain[0]:
                plain[:] = [cost, len(lines)]
            cost *= lone
            if best is None or cost < best[0]:
                best = (cost, Fit(block, a, b, ow, oh))

    for count in range(1, max(1, min(len(pieces), 14)) + 1):
        target = max(longest, total / count * 1.06)
        consider(tuple(breaking.wrap(font, text, size, min(target, measure), bold, vertical=vertical, phrases=phrases)))
        if phrased != pieces:  # the tightest lines, phrases or not (the room above a head)
            consider(tuple(breaking.wrap(font, text, size, min(target, measure), bold, vertical=vertical,
                                         phrases=False)))
            consider(tuple(breaking.wrap(font, text, size, min(target, measure), bold, vertical=vertical,
                                         phrases=False, words=True)))
    if best is None and longest * MIN_DIALOGUE_PT / size > measure:
        # A word longer than any line even at the smallest print size (an unbroken string of
        # letters, a URL) is cut (`wrap`): into as many lines as the balloon needs, rather
        # than lines as wide as the panel, which no oval in it holds (the type then shrank
        # to fit it on one line, to 1.6 pt). A shorter one ('Supercalifragilistic' in a
        # narrow panel) stays whole, the type a little smaller (`fit_shrinking`).
        for count in (2, 3, 4, 5, 6, 8, 10, 12, 14, 17, 20, 24, 28, 34, 40):
            consider(tuple(breaking.wrap(font, text, size, min(total / count * 1.06, measure), bold,
                                         vertical=vertical, phrases=phrases)))
    if phrased != pieces:  # Japanese, Chinese: lines as long as their longest phrase, too
        longest = max((_block(font, [p], size, bold, vertical).width for p in phrased), default=0.0)
        for count in range(1, max(1, min(len(phrased), 14)) + 1):
            consider(tuple(wrap(font, text, size, min(max(longest, total / count * 1.06), measure), bold, vertical)))
        if boxed:
            # A box's lines are all as long as its longest: each line count's narrowest wrap
            # of whole phrases, a little longer than an even share (`あの日の約束を、/私はまだ
            # 覚えている。`, not `…、私/はまだ…` cutting 私|は).
            for count in range(2, min(len(phrased), 6) + 1):
                lines = _narrowest_wrap(font, text, size, count, max(longest, total / count), measure, bold, vertical)
                if lines:
                    consider(lines)
    if not boxed and best is not None:
        # Balloons: near the best line count, the lozenge of short, long, long, short lines
        # (a greedy fill is top-heavy); it wins when its oval is smaller.
        n = max(2, plain[1])
        spacing = _leading(font, text, bold, vertical)
        for count in (n, n + 1):
            shaped = breaking.lozenge(font, text, size, count, measure, spacing, 1.5, bold, vertical=vertical,
                                      phrases=phrases)
            if shaped:
                consider(tuple(shaped))
            if shaped and breaking.weak_breaks(text, tuple(shaped)):  # a little larger, without the weak break?
                wider = breaking.lozenge(font, text, size, count, measure, spacing, 1.5, bold, vertical=vertical,
                                         phrases=phrases, slack=1.15)
                if wider:
                    consider(tuple(wider))
        lines = best[1].block.lines
        if n > 2 and not breaking.break_points(lines[0]) and not breaking.break_points(lines[-1]) \
                and not breaking.sentences_inside(text):
            # A word alone at both ends (`Who / forgot the / sandwiches?`, a triangle, not a
            # lozenge): a line fewer, a little wider (`Who forgot / the sandwiches?`). (Text
            # with a sentence end inside keeps its lines ending there: `Closed. / Come back /
            # tomorrow.`.)
            for slack in (1.06, 1.15):
                shaped = breaking.lozenge(font, text, size, n - 1, measure, spacing, 1.5, bold, vertical=vertical,
                                          phrases=phrases, slack=slack)
                if shaped:
                    consider(tuple(shaped))
    return best[1] if best else None


def _narrowest_wrap(font: Font, text: str, size: float, count: int, low: float, high: float, bold: bool,
                    vertical: bool) -> tuple[str, ...] | None:
    """`text` wrapped (phrases whole where they fit) in at most `count` lines as short as
    that allows, to about 1 %: the measure found by bisection between `low` and `high`
    points; None when even `high` takes more lines."""
    best = tuple(wrap(font, text, size, high, bold, vertical))
    if len(best) > count:
        return None
    for _ in range(7):
        mid = (low + high) / 2
        lines = tuple(wrap(font, text, size, mid, bold, vertical))
        if len(lines) <= count:
            best, high = lines, mid
        else:
            low = mid
    return best


def _one_letter(line: str) -> bool:
    """Whether `line` holds a single letter or digit (`I`, `—I`, `a,`)."""
    return sum(c.isalnum() for c in line) == 1


def fit_shrinking(font: Font, text: str, kind: str, size: float, max_w: float, max_h: float,
                  vertical: bool = False) -> Fit:
    """`fit_text` at `size`, shrinking the type until it fits; raises only for a box too
    small to hold any letter at all."""
    while size >= 1.0:
        fit = fit_text(font, text, kind, size, max_w, max_h, vertical)
        if fit is not None:
            return fit
        size *= 0.92
    raise ExportError(f"no room to letter {text[:40]!r}: the panel is {max_w:.0f} x {max_h:.0f} pt")


# ------------------------------------------------------------------------------ panels

MIN_DIALOGUE_PT = 6.5  # never smaller in print (LETTERING.md)
RULES_BROKEN = "too crowded to letter by the rules"  # the warning of a panel lettered against the rules
MAX_PARTS = 3  # a long speech becomes at most this many connected balloons
SEARCH_NODES = 90  # placement search nodes per panel, every size and split tried included
# A letterer's call (LETTERING.md puts "who speaks" first): a panel whose balloons only fit
# under a speaker's head is lettered smaller, in steps of UNDER_STEP, by UNDER_SHRINK at most,
# when that puts every balloon above or beside its speaker. 1 pt (8 -> 7 pt) stays within the
# usual print range and reads as the same lettering; a bigger change would show, so beyond it
# the size stays and the balloon goes under the head.
UNDER_STEP = 0.5
UNDER_SHRINK = 1.0


def dialogue_size(story: Any) -> float:
    """The story's one dialogue size in points at print size (`style.dialogue_pt`, default 8)."""
    return float(getattr(getattr(story, "style", None), "dialogue_pt", None) or 8.0)


@dataclass(frozen=True)
class PanelLettering:
    """One panel's lettering: its items in drawing order, the staged cast (panel-frame
    points, see `staged_local`), and warnings for the reader of the render."""

    items: list[Item]
    staged: list
    warnings: list[str]


def staged_local(story: Any, panel: Any, slot: PanelSlot, drawn: bool = False) -> list[tuple[StagedFigure, dict]]:
    """Each staged figure with its boxes in panel-frame points (u right from the frame's left
    edge, v down from its top): 'body', 'head', 'face' boxes, the 'mouth' point and the head's
    'source' ('staged', or 'detected' where a face was found in generated art: see
    `lettering_once`). Staging speaks in fractions of the art rectangle, which may run into
    the bleed past the frame. `drawn`: the art is the draft engine's sketch, which turns a
    dutch angle's figures with the rest (`staging.dutch_tilt`): the boxes are turned too."""
    # A render's lettering and its draft labels stage each panel once.
    return once(("staged", id(story), id(panel), slot, drawn), lambda: _staged_local(story, panel, slot, drawn))


def once(key: tuple, make):
    """`make()`, worked out once per `key` within the open `lettering_once` block (each
    call outside one)."""
    if not _ONCE:
        return make()
    memo = _ONCE[-1]
    if key not in memo:
        memo[key] = make()
    return memo[key]


def _staged_local(story: Any, panel: Any, slot: PanelSlot, drawn: bool) -> list[tuple[StagedFigure, dict]]:
    art, rect = slot.art, slot.rect
    aspect = art.w / art.h
    # The draft turns a dutch angle's whole sketch, its figures with it (`staging.dutch_tilt`).
    tilt = dutch_tilt(slot.scene, slot.panel) if drawn and panel.angle == "dutch" else 0.0

    def point(fx: float, fy: float) -> tuple[float, float]:
        return art.x + fx * art.w - rect.x, rect.y1 - (art.y1 - fy * art.h)

    def box(b) -> tuple[float, float, float, float]:
        return (*point(b[0], b[1]), *point(b[2], b[3]))

    figures = [(fig, "staged") for fig in stage_panel(story, panel, art.w / art.h, slot.frame_in_art)]
    faces = _FACES[-1].get((slot.scene, slot.panel)) if _FACES else None
    if faces:  # generated art: the heads it shows replace the staged ones
        from storyboard.face_detection import apply

        figures = apply([fig for fig, _ in figures], faces, art.w / art.h)
    out = []
    for fig, source in figures:
        body, head, face, mouth = fig.body, fig.head, fig.face, fig.mouth
        if tilt:
            body, head, face = (turned_box(body, aspect, tilt), turned_box(head, aspect, tilt, whole=False),
                                turned_box(face, aspect, tilt, whole=False))
            mouth = turned(mouth, aspect, tilt)
        out.append((fig, {"body": box(body), "head": box(head), "source": source,
                          "face": box(face) if fig.shows_face else None, "mouth": point(*mouth)}))
    return out


def letter_panel(story: Any, panel: Any, slot: PanelSlot, spec: PageSpec, font: Font,
                 labels: bool = False) -> list[Item]:
    """Every lettered element of one panel, in drawing order (SFX under the balloons).
    `labels`: a draft render's panel, whose shot tag and action note it keeps clear of."""
    return letter_panel_full(story, panel, slot, spec, font, labels).items


_ONCE: list[dict] = []  # the open `lettering_once` memo, if any
_FACES: list[dict] = []  # the faces detected in the open `lettering_once`'s panels


@contextmanager
def lettering_once(faces: "dict | None" = None):
    """Within the block each panel of an unchanged story is lettered once: a render's report
    and its outputs share one solution instead of solving every panel per output. `faces`:
    the faces detected in generated art, {(scene, panel): [DetectedFace]}
    (storyboard.face_detection); those panels letter to the detected heads."""
    _ONCE.append({})
    _FACES.append(faces or {})
    try:
        yield
    finally:
        _ONCE.pop()
        _FACES.pop()


def letter_panel_full(story: Any, panel: Any, slot: PanelSlot, spec: PageSpec, font: Font,
                      labels: bool = False) -> PanelLettering:
    """`letter_panel` with the staged cast and the warnings (type shrunk below the story's
    size, or a panel too crowded for every rule to hold)."""
    return once(("lettering", id(story), id(panel), slot, spec, id(font), labels),
                lambda: _letter_panel(story, panel, slot, spec, font, labels))


SAFE_MM = 3.0  # lettering that breaks out into the page margin stays this far inside the trim


def lettering_area(slot: PanelSlot, spec: PageSpec) -> Rect:
    """Where a panel's lettering may go, in page points: its frame, broken out into half of
    each gutter beside it (so neighbours' balloons never meet) and, on a side at the edge of
    the live area, into the page margin up to `SAFE_MM` inside the trim; never into the
    bleed or past the trim. Balloons use the room beyond the frame only when the panel is
    too small (see `_letter_panel`)."""
    r, live, trim = slot.rect, spec.live, spec.trim
    safe = SAFE_MM * 72 / 25.4
    half = max(0.0, spec.gutter / 2 - 0.5)

    def beyond(frame: float, edge: float, cut: float) -> float:
        if abs(frame - edge) < 0.5:  # on the live edge: the margin out to the trim
            return max(0.0, abs(frame - cut) - safe)
        return half

    left, right = beyond(r.x, live.x, trim.x), beyond(r.x1, live.x1, trim.x1)
    bottom, top = beyond(r.y, live.y, trim.y), beyond(r.y1, live.y1, trim.y1)
    return Rect(r.x - left, r.y - bottom, r.w + left + right, r.h + bottom + top)


def _letter_panel(story: Any, panel: Any, slot: PanelSlot, spec: PageSpec, font: Font,
                  labels: bool = False) -> PanelLettering:
    rect = slot.rect
    W, H = rect.w, rect.h
    pad = panel_pad(W, H)
    staged = staged_local(story, panel, slot, drawn=labels)
    upper = getattr(getattr(story, "style", None), "lettering_case", "mixed") == "upper"
    stage = placement.Stage(
        W, H, pad, (pad, pad, W - pad, H - pad),
        faces=[local["face"] for _, local in staged if local["face"] is not None],
        heads=[local["head"] for _, local in staged],
        backs=[local["head"] for fig, local in staged if fig.foreground],
        blocked=_slate(story, panel, slot, font, spec.kind == WEBTOON) if labels else [],
        rtl=spec.reading == "rtl",
    )
    # The frame broken out into gutter and margin: tried only where the frame alone fails, or
    # puts a balloon under its speaker or over someone else's body, and always before the
    # type shrinks.
    torsos = [(fig.id, (local["body"][0], local["head"][3], local["body"][2], local["body"][3]))
              for fig, local in staged]
    room = lettering_area(slot, spec)  # page points: the solver's outer area, and the tails' bounds
    outer = _to_local(room, rect)
    outer = (outer[0] + pad, outer[1] + pad, outer[2] - pad, outer[3] - pad)
    stages = [stage]
    if outer != stage.area and (outer[0] < 0 or outer[1] < 0 or outer[2] > W or outer[3] > H):
        stages.append(dataclasses.replace(stage, area=(min(outer[0], pad), min(outer[1], pad),
                                                        max(outer[2], W - pad), max(outer[3], H - pad))))
    warnings: list[str] = []
    story_size = dialogue_size(story)
    size = story_size
    placed = None
    under = None  # (size, solution) with a balloon under its speaker, while other tries are made
    budget = [SEARCH_NODES]  # for all the tries of this panel: a hopeless panel gives up fast
    while placed is None:
        fallback = None  # a solution inside the frame with a balloon under its speaker
        for where in stages:
            # Long speeches split further before the type shrinks: smaller balloons fit beside heads.
            tried: set = set()
            for parts in range(1, MAX_PARTS + 1):
                pieces = _pieces(story, panel, staged, font, size, W, H, pad, upper, slot, parts=parts,
                                 top=stages[-1].area[1])
                shape = None if pieces is None else tuple(p.text for p in pieces)
                if shape in tried:
                    continue
                tried.add(shape)
                placed = _solve(pieces, where, budget) if pieces is not None else None
                if placed is not None:
                    break
            if placed is not None and len(stages) > 1 and (placement.under_speaker(placed)
                                                           or placement.over_others(placed, torsos)):
                if where is stage:
                    fallback, placed = fallback or placed, None
                    continue
                placed = fallback or placed  # broken out, and still under: the frame's own is better
            if placed is not None:
                break
        if placed is None and fallback is not None:
            placed = fallback
        if placed is not None and under is None and size == story_size and placement.under_speaker(placed):
            # Who speaks beats one size per story, by a small step only (see UNDER_SHRINK): the
            # same size again with places under the head ruled out (so a long line splits into
            # more connected balloons), then smaller type.
            under, placed = (size, placed), None
            stages = [dataclasses.replace(where, over_heads=True) for where in stages]
            stage = stages[0]
            continue
        if under is not None and placed is None:
            if size - UNDER_STEP >= max(MIN_DIALOGUE_PT, under[0] - UNDER_SHRINK - 1e-9):
                size -= UNDER_STEP
                continue
            size, placed = under  # smaller type does not help: the story's size, under the head
        if placed is None:
            if size <= MIN_DIALOGUE_PT:
                break
            # Two smaller steps at most: each try is a whole search.
            size = max(MIN_DIALOGUE_PT, min(size - 0.5, (size + MIN_DIALOGUE_PT) / 2))
    if placed is None:
        # Every size tried draws on one search budget, so the smallest often had none left:
        # it gets a fresh one in each area before the rules are given up (a crowded panel may
        # fit there).
        tried = set()
        for where in stages:
            budget = [SEARCH_NODES]
            for parts in range(1, MAX_PARTS + 1):
                pieces = _pieces(story, panel, staged, font, size, W, H, pad, upper, slot, parts=parts,
                                 top=stages[-1].area[1])
                shape = None if pieces is None else (id(where), tuple(p.text for p in pieces))
                if shape is None or shape in tried:
                    continue
                tried.add(shape)
                placed = _solve(pieces, where, budget)
                if placed is not None:
                    break
            if placed is not None:
                break
    if placed is None:  # even the smallest type breaks a rule: letter it anyway, and say so
        try:
            pieces = _pieces(story, panel, staged, font, size, W, H, pad, upper, slot, force=True)
        except ExportError as err:  # no size fits a text (validate refuses it first: `room_problems`)
            raise ExportError(str(story.refusal([(("scenes", slot.scene, "panels", slot.panel), str(err))]).problems[0])
                              ) from None
        placed = placement.solve_loose(pieces, stages[-1])
        far = _long_tail(placed)
        warnings.append(f"{RULES_BROKEN} at {size:g} pt: balloons overlap the art or each other" + (f"; {far}" if far else ""))
    elif far := _long_tail(placed):  # lettered by the rules, the reader must still follow it across
        warnings.append(far)
    smallest = min((p.piece.fit.block.size for p in placed), default=size)
    if smallest < story_size:
        warnings.insert(0, f"dialogue shrunk to {smallest:.3g} pt")
    taken = [p.box for p in placed]
    lines = [line for p in placed for line in (p.tail, p.link) if line]
    items: list[Item] = []
    for index, text in enumerate(panel.sfx):
        item = _sfx(font, text.upper() if upper else text, rect, pad, taken, lines, stage, staged, index,
                    len(panel.sfx))
        taken.append(_to_local(item.body, rect))
        items.append(item)
    items.extend(_balloon(font, p, rect, room) for p in placed)
    return PanelLettering(items, staged, warnings)


def _long_tail(placed: list) -> str:
    """The longest tail of a panel's `placed` pieces, named where it is over
    `placement.LONG_TAIL` (25 mm: a balloon far from its speaker, the reader must follow the
    tail across the panel), else ''."""
    far = placement.longest_tail(placed)
    if far <= placement.LONG_TAIL:
        return ""
    speaker = next(p.piece.speaker for p in placed if p.tail and math.dist(p.tail[0], p.tail[-1]) == far)
    return f"a tail {far:.0f} pt long crosses the panel to its speaker, {speaker}"


def _solve(pieces: list, where: placement.Stage, budget: list[int]) -> list | None:
    """`placement.solve`, and where no place keeps off the backs of foreground heads
    (`Stage.backs`), again with those heads covered only as any head may be."""
    placed = placement.solve(pieces, where, budget=budget)
    if placed is None and where.backs:
        placed = placement.solve(pieces, dataclasses.replace(where, backs=[]), budget=budget)
    return placed


def _slate(story: Any, panel: Any, slot: PanelSlot, font: Font, strip: bool) -> list[tuple[float, float, float, float]]:
    """A draft panel's shot tag and action note (`export.labels.slate`, placed before the
    lettering; `strip`: on a webtoon strip), in panel-frame points with a small gap around them."""
    from storyboard.export.labels import slate

    return [geometry.grow(_to_local(item.body, slot.rect), 1.0) for item in slate(story, panel, slot, font, strip=strip)]


def _pieces(story: Any, panel: Any, staged, font: Font, size: float, W: float, H: float, pad: float,
            upper: bool, slot: PanelSlot, force: bool = False, parts: int = 1,
            top: float | None = None) -> list[placement.Piece] | None:
    """The panel's balloons and boxes at `size`, long speeches split into connected balloons
    and runs of one speaker joined; None when something cannot fit at this size. `top`: the
    highest a balloon may reach (panel points, v down; default the frame's padding)."""
    locals_ = {fig.id: local for fig, local in staged}
    max_w, max_h = _text_room(W, H, pad, size)
    pieces: list[placement.Piece] = []
    wants: list[tuple[str, str, str, bool]] = []
    if panel.caption:
        wants.append(("caption", panel.caption, "", False))
    for line in panel.dialogue:
        kind = "narration" if line.speaker == "narration" else line.kind
        wants.append((kind, line.text, "" if kind == "narration" else line.speaker, getattr(line, "off", False)))
    previous = None
    above = pad if top is None else top
    for kind, text, speaker, off in wants:
        text = text.upper() if upper else text
        vertical = vertical_line(story, text, getattr(getattr(story, "page", None), "reading", "ltr"))
        parts_of = _split_to_fit(font, text, kind, size, max_w, max_h, force,
                                 parts if kind in BALLOON_KINDS else 1, vertical)
        if parts_of is None:
            return None
        local = locals_.get(speaker)
        off_side = None
        if speaker and (off or local is None):
            off_side = _off_side(story, panel, speaker, local, W, slot,
                                 first=not any(piece.speaker for piece in pieces))
        for k, (part_text, fit) in enumerate(parts_of):
            joined = k > 0 or (previous is not None and previous[0] == (speaker, kind) and bool(speaker))
            pieces.append(placement.Piece(
                kind, part_text, fit, size, speaker, detour=shape_detour(font, part_text, fit),
                target=None if (off_side or local is None) else _within(local["mouth"], W, H, pad),
                head=None if local is None else local["head"],
                off_side=off_side, joined=joined, outline=_decoration(kind, size),
                narrower=_narrower(font, part_text, kind, size, fit, 0.8 * (W - 2 * pad), 0.8 * (H - 2 * pad),
                                   vertical, None if local is None else local["head"][1] - above - 1.5 * size)
                if kind in BALLOON_KINDS else None))
        previous = ((speaker, kind), parts_of)
    used = sum(p.fit.outer_w * p.fit.outer_h for p in pieces)
    if used > 0.6 * W * H and not force:
        return None  # balloons may cover at most ~60 % of a panel
    for k, piece in enumerate(pieces):  # where later speakers' balloons would like to sit
        piece.later = [(p.target[0], p.head[1], p.fit.outer_w, p.fit.outer_h, p.size) for p in pieces[k + 1:]
                       if p.target is not None and p.head is not None and p.speaker != piece.speaker and not p.joined]
    if pieces and pieces[-1].boxed and not all(p.boxed for p in pieces):
        pieces[-1].closing = True
    return pieces


def _text_room(W: float, H: float, pad: float, size: float) -> tuple[float, float]:
    """The largest body (width, height, points) one balloon or box of a W x H panel may have."""
    return (W - 2 * pad) * (0.62 if W > 2.2 * size * 12 else 0.95), (H - 2 * pad) * 0.55


def panel_pad(W: float, H: float) -> float:
    """The room (points) lettering keeps from a W x H panel's frame."""
    return max(2.0, min(6.0, 0.03 * min(W, H)))


def room_problems(story: Any, book: Any, font: Font) -> list[tuple[tuple, str]]:
    """(location in the script, message) for each caption or line of dialogue that no type
    size down to 1 pt fits in its panel (a long text in a panel a few millimetres tall):
    render would fail there (`fit_shrinking`), so validate refuses it first. Only texts the
    size of whose panel leaves any doubt are fitted (see `_roomy`): a book's ordinary panels
    cost nothing here."""
    found: list[tuple[tuple, str]] = []
    upper = getattr(getattr(story, "style", None), "lettering_case", "mixed") == "upper"
    reading = getattr(getattr(story, "page", None), "reading", "ltr")
    size = min(dialogue_size(story), MIN_DIALOGUE_PT)  # where `_letter_panel` gives up the rules
    for slot in book.slots():
        if slot.notes is not None:  # a storyboard sheet's notes are lettered beside the panel
            continue
        panel = story.scenes[slot.scene].panels[slot.panel]
        W, H = slot.rect.w, slot.rect.h
        max_w, max_h = _text_room(W, H, panel_pad(W, H), size)
        at = ("scenes", slot.scene, "panels", slot.panel)
        wants = [((*at, "caption"), "caption", panel.caption)] if panel.caption else []
        wants += [((*at, "dialogue", d, "text"), "narration" if line.speaker == "narration" else line.kind, line.text)
                  for d, line in enumerate(panel.dialogue)]
        for loc, kind, text in wants:
            text = text.upper() if upper else text
            if _roomy(text, max_w, max_h):
                continue
            try:
                _split_to_fit(font, text, kind, size, max_w, max_h, True, 1, vertical_line(story, text, reading))
            except ExportError:
                found.append((loc, f"no room to letter it: even at 1 pt it does not fit the panel's "
                                   f"{max_w / 72 * 25.4:.0f} x {max_h / 72 * 25.4:.0f} mm for one text; "
                                   "shorten it or give the panel more room"))
    return found


def _roomy(text: str, max_w: float, max_h: float) -> bool:
    """Whether `text` surely fits max_w x max_h points at some size of at least 1 pt: its
    lines at 1 pt (at most 1.2 x 1.18 pt a character, a whole line's width for each line
    break) take at most a quarter of a room of at least 40 x 40 pt, the rest holds the oval
    round them. So only a tiny panel or a very long text is fitted."""
    if max_w < 40.0 or max_h < 40.0:
        return False
    return 4 * 1.18 * (1.2 * len(text) + max_w * text.count("\n")) <= max_w * max_h


def _narrower(font: Font, text: str, kind: str, size: float, fit: Fit, max_w: float, max_h: float,
              vertical: bool, room: float | None = None):
    """A deferred second shape of the same words with shorter lines (None when there is none):
    narrower and taller for horizontal text (with a third, narrower still, behind it: the
    shape comes back as (fit, make the next)); for vertical columns, shorter and wider (more,
    shorter columns): a fifth shorter, then (behind it) made to fit `room` (points: the
    height above the speaker's head, less a short tail) where it can, since a tall column
    block rarely fits above a head, then the tightest block with Japanese phrases broken
    anywhere (`fit_text(phrases=False)`). The first keeps more phrases whole (`ランプは`)
    than columns as short as the room above a head can; each shape carries its
    `shape_detour`."""
    def shorter(height: float, then=None):
        short = fit_text(font, text, kind, size, max_w, height, True, ratios=(0.5, 0.75, 0.95, 1.15))
        if short is not None and short.outer_h < 0.9 * fit.outer_h:
            return short if then is None else (short, then)
        return then() if then is not None else None

    def tightest() -> Fit | None:  # phrases broken anywhere (each break a `detour`): the last resort
        tight = fit_text(font, text, kind, size, max_w, max_h, True, phrases=False)
        return tight if tight is not None and tight.outer_h < 0.95 * fit.outer_h else None

    def make() -> Fit | None:
        if vertical:
            if room is None or room >= 0.8 * fit.outer_h:
                return shorter(0.8 * fit.outer_h, tightest)
            return shorter(0.8 * fit.outer_h, lambda: shorter(room, tightest))
        # A step at a time, as a letterer narrows a balloon: one more line in a lozenge (still
        # a comfortable oval), and another; then, where that is not enough, a much narrower stack.
        def much() -> Fit | None:
            narrow = fit_text(font, text, kind, size, 0.8 * fit.outer_w, max_h, ratios=(0.75, 0.95, 1.15))
            return narrow if narrow is not None and narrow.outer_w < 0.9 * fit.outer_w else None

        def steps(shape: Fit, left: int):
            step = _one_more_line(font, text, kind, size, shape, max_h) if left else None
            if step is None:
                return much()
            return step, lambda: steps(step, left - 1)
        return steps(fit, 2)
    return _with_detours(font, text, make)


WIDOW = 0.35  # the cost factor a widow adds to a stranded last word's (see `_fit_text`)
WEAK_BREAK = 0.25  # the cost factor of a line break a letterer would redo (see `_fit_text`)
PHRASE_CUT = 0.25  # the cost factor of a line ending inside a phrase (see `_fit_text`)
PHRASE_DETOUR = 0.3  # placement score per line ending inside a phrase (BELOW_HEAD is 1.5)
WIDOW_DETOUR = 0.5  # placement score of a shape with a widow (see `shape_detour`)


def phrase_detour(font: Font, text: str, fit: Fit) -> float:
    """What a shape that ends lines inside Japanese or Chinese phrases (`だめだ|よ`) costs where
    it is placed: a letterer takes a slightly worse place for words kept whole."""
    return PHRASE_DETOUR * breaking.inside_phrases(text, fit.block.lines, font.language)


def shape_detour(font: Font, text: str, fit: Fit) -> float:
    """What a shape costs where it is placed for its line breaks: `phrase_detour`, and
    WIDOW_DETOUR for a widow (`breaking.widowed`: `over / yet.`) in text of more than four
    words, which a narrower balloon may leave where a wider one had none: a letterer takes
    a slightly worse place for the wider balloon."""
    widow = len(text.split()) > 4 and breaking.widowed(fit.block.lines)
    return phrase_detour(font, text, fit) + WIDOW_DETOUR * widow


def _with_detours(font: Font, text: str, make):
    """A narrower-shape maker (see `placement.Piece.narrower`) whose shapes carry their
    `shape_detour`."""
    def made():
        shape = make()
        fit, then = shape if isinstance(shape, tuple) else (shape, None)
        if fit is None:
            return None
        return fit, None if then is None else _with_detours(font, text, then), shape_detour(font, text, fit)
    return made


def _one_more_line(font: Font, text: str, kind: str, size: float, fit: Fit, max_h: float) -> Fit | None:
    """The words of `fit` in one more line (two where one more strands a word on the last
    line), a lozenge no wider than `fit`'s longest line, in the oval nearest the comfortable
    proportion; None unless at least 5 % narrower."""
    bold = kind in ("shout", "sfx")
    pad, extra = 0.45 * size, _decoration(kind, size)
    n = len(fit.block.lines)
    found = None
    for count, shape, slack in ((n + 1, 1.3, 1.06), (n + 1, 1.15, 1.06), (n + 1, 1.3, 1.15), (n + 2, 1.3, 1.06),
                                (n + 2, 1.15, 1.06), (n + 2, 1.3, 1.15)):
        if slack > 1.06 and found is None:
            continue  # more room only to save a word the snug shape strands
        lines = breaking.lozenge(font, text, size, count, fit.block.width, fit.block.leading, shape, bold,
                                 slack=slack)
        if not lines or (slack > 1.06 and not breaking.break_points(lines[0])):
            continue  # (nor a word alone on the first line instead: `no / way at / all, friend`)
        block = _block(font, lines, size, bold)
        best = None
        for ratio in (1.15, 1.3, 1.5):
            a, b = oval_for(block, ratio, pad)
            ow, oh = 2 * (a + extra), 2 * (b + extra)
            if ow <= 0.95 * fit.outer_w and oh <= max_h:
                cost = ow * oh * (1 + 0.35 * abs(math.log((ow / oh) / 1.6)))
                if best is None or cost < best[0]:
                    best = (cost, Fit(block, a, b, ow, oh))
        if best is not None:
            if breaking.break_points(lines[-1]):  # no word alone on the last line
                return best[1]
            found = found or best[1]
    return found


def _split_to_fit(font: Font, text: str, kind: str, size: float, max_w: float, max_h: float,
                  force: bool, least: int = 1, vertical: bool = False) -> list[tuple[str, Fit]] | None:
    """The text whole, or split into 2..MAX_PARTS parts at sentence ends (else between words),
    each fitting max_w x max_h at `size`; at least `least` parts when the text is long enough
    (six words a part, see `word_count`); `force` shrinks the last try instead of failing."""
    least = max(1, min(least, int(word_count(text)) // 6))
    for count in range(least, MAX_PARTS + 1):
        parts = split_text(text, count, font.language)
        if len(parts) < count:
            break
        fits = [fit_text(font, part, kind, size, max_w, max_h, vertical) for part in parts]
        if all(fits):
            return list(zip(parts, fits))
    if not force:
        return None
    parts = split_text(text, MAX_PARTS, font.language) or [text]
    return [(part, fit_shrinking(font, part, kind, size, max_w, max_h, vertical)) for part in parts]


CJK_WORD = 3  # wide (CJK) characters that say about as much as one English word
_SENTENCE_END, _CLAUSE_END = ".!?…。！？", ",;:、，；："
_CLOSING = "」』）)\"'”’】〉》"


def word_count(text: str) -> float:
    """How long `text` is in words, for any script: words between spaces, a run of wide (CJK)
    characters, written without spaces, counting one word per `CJK_WORD` characters."""
    if text.isascii():  # (the common case, and the one a book asks for most)
        return float(len(text.split()))
    count = 0.0
    for word in text.split():
        wide = sum(1 for c in word if is_cjk(c))
        count += max(1.0, wide / CJK_WORD + (len(word) - wide) / 6) if wide else 1.0
    return count


def _segments(text: str, language: str = "") -> tuple[list[str], str, frozenset[int] | None]:
    """The pieces `split_text` may cut between, what joins them again, and which of them end
    a phrase: words and a space (each a phrase, None); for text with wide (CJK) characters,
    which needs no spaces between words, the UAX #14 line break pieces (kinsoku kept: no part
    starts with 。、」 or ー), nothing, and the indices of the pieces after which a phrase
    ends (`text.phrases`; None where the text has no phrases)."""
    if text.isascii() or not any(is_cjk(c) for c in text):
        return text.split(), " ", None
    text = " ".join(text.split())
    breaks = tuple(breaking.break_points(text))
    ends = phrase_ends(text, language, breaks)
    cuts = [0, *breaks, len(text)]
    after = None if ends is None else frozenset(i for i, cut in enumerate(cuts[1:], 1) if cut in ends)
    return [text[a:b] for a, b in zip(cuts, cuts[1:])], "", after


def _columns(piece: str) -> int:
    """A piece's length in columns: a wide (CJK) character takes two."""
    return len(piece) + sum(1 for c in piece if is_cjk(c))


def split_text(text: str, count: int, language: str = "") -> list[str]:
    """`text` in `count` parts of about equal length, cut after sentences where possible,
    else after commas, else between words (for CJK text, at UAX #14 break points, phrase
    ends first: `language` is the story's). Fewer parts (an empty list) when the text is
    too short: under two words a part."""
    words, joint, phrases = _segments(text, language)
    if count <= 1 or len(words) < 2 * count or word_count(text) < 2 * count:
        return [text] if count <= 1 else []
    runs = list(accumulate((_columns(w) + len(joint) for w in words), initial=0))  # columns before word i
    total = runs[-1]
    parts, start = [], 0
    for goal in range(1, count):
        target = total * goal / count
        best, best_cost = None, math.inf
        for i in range(start + 1, len(words) - (count - goal) + 1):
            run_i = runs[i]
            end = words[i - 1].rstrip().rstrip(_CLOSING)[-1:]
            bonus = 0.0 if end and end in _SENTENCE_END else (0.35 if end and end in _CLAUSE_END else 0.7)
            if phrases is not None and i not in phrases:
                bonus = 1.5  # inside a phrase: a fifth of the text off the middle is better
            cost = abs(run_i - target) / total + bonus * 0.25
            if cost < best_cost:
                best, best_cost = i, cost
        parts.append(joint.join(words[start:best]).strip())
        start = best
    parts.append(joint.join(words[start:]).strip())
    return parts


def _within(point, W: float, H: float, pad: float) -> tuple[float, float]:
    """`point` moved inside the frame (a head cut by the frame, or in art that bleeds past it)."""
    return (min(max(point[0], pad / 2), W - pad / 2), min(max(point[1], pad / 2), H - pad / 2))


def _off_side(story: Any, panel: Any, speaker: str, local, W: float, slot: PanelSlot, first: bool = False) -> str:
    """Which frame edge an off-panel speaker's tail points through: where they stand in this
    panel (an explicit `off: true`), else where they last stood in the scene, else, for the
    panel's `first` speaker, the side where reading starts (a voice on the phone that opens the
    panel is read first), and for a later one the far side."""
    if local is not None:
        return "left" if local["mouth"][0] < W / 2 else "right"
    scene = story.scenes[slot.scene]
    for earlier in reversed(scene.panels[:slot.panel]):
        for entry, fig in zip(earlier.cast, stage_panel(story, earlier, 1.0)):
            if entry.id == speaker:
                return "left" if fig.mouth[0] < 0.5 else "right"
    rtl = getattr(story.page, "reading", "ltr") == "rtl"
    return "left" if rtl != first else "right"


def _to_page(rect: Rect, u: float, v: float) -> tuple[float, float]:
    return rect.x + u, rect.y1 - v


def _to_local(r: Rect, rect: Rect) -> tuple[float, float, float, float]:
    return (r.x - rect.x, rect.y1 - r.y1, r.x1 - rect.x, rect.y1 - r.y)


def _bounds(points) -> Rect:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return Rect(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def _lines(font: Font, block: Block, cx: float, cy: float) -> tuple[list[Text], list[Rect]]:
    """Centred lines around (cx, cy); each baseline sits so the line's ink is centred in its
    row. Vertical blocks: columns from right to left, their tops aligned."""
    texts, boxes = [], []
    n, lh = len(block.lines), block.line_height
    if block.vertical:
        top = cy + block.width / 2
        for i, (line, w) in enumerate(zip(block.lines, block.widths)):
            x = cx + ((n - 1) / 2 - i) * lh
            texts.append(Text(line, x, top, block.size, block.bold, vertical=True))
            boxes.append(Rect(x - block.size / 2, top - w, block.size, w))
        return texts, boxes
    shift = (font.ascent + font.descent) / 2 * block.size  # baseline -> visual middle
    # Each line's box: the main face's, or, for stacked marks (Burmese...), the ink's.
    top, bottom = (font.ascent, font.descent) if block.leading == LEADING else \
        leading.line_extent(font, "\n".join(block.lines), block.bold)
    for i, (line, w) in enumerate(zip(block.lines, block.widths)):
        mid = cy + ((n - 1) / 2 - i) * lh
        base = mid - shift
        texts.append(Text(line, cx, base, block.size, block.bold))
        boxes.append(Rect(cx - w / 2, base + bottom * block.size, w, (top - bottom) * block.size))
    return texts, boxes


def _stroke_width(size: float) -> float:
    return max(0.35, min(1.2, 0.085 * size))


def _balloon(font: Font, p: placement.Placed, rect: Rect, room: Rect) -> Item:
    """The drawing of one placed balloon or box of the panel framed by `rect`; `room` is the
    panel's lettering area (page points), which its tail's curve stays in."""
    piece = p.piece
    fit = piece.fit
    size = fit.block.size
    cu, cv = p.centre
    cx, cy = _to_page(rect, cu, cv)
    sw = _stroke_width(size)
    texts, boxes = _lines(font, fit.block, cx, cy)
    text = " ".join(fit.block.lines)
    if piece.boxed:
        outline = shapes.rectangle(cx - fit.a, cy - fit.b, 2 * fit.a, 2 * fit.b)
        body = _bounds(outline)
        ops: list[Op] = [Shape(tuple(outline), fill=CAPTION_FILL, stroke=BLACK, width=sw)]
        return Item(piece.kind, tuple(ops + texts), body, body, fit.block.lines, size,
                    text_boxes=tuple(boxes), text=text)
    a, b = fit.a, fit.b
    if piece.kind == "thought":
        outline = shapes.cloud(cx, cy, a, b, 0.9 * size)
    elif piece.kind == "shout":
        seed = int(hashlib.sha1(piece.text.encode()).hexdigest()[:8], 16)
        outline = shapes.burst(cx, cy, a, b, 0.9 * size, seed)
    else:
        outline = shapes.ellipse(cx, cy, a, b)
    # The body is the box the solver reserved (the outline lies inside it): the same box its
    # rules were kept on, so the report checks what was solved.
    u0, v0, u1, v1 = p.box
    body = Rect(rect.x + u0, rect.y1 - v1, u1 - u0, v1 - v0)
    dash = (2.2 * sw * 2, 1.6 * sw * 2) if piece.kind == "whisper" else None
    extras: list[list[tuple[float, float]]] = []
    tail = tuple(_to_page(rect, u, v) for u, v in p.tail)
    if tail:
        tip = tail[-1]
        if piece.kind == "thought":
            deco = _decoration("thought", size)
            extras = _bubbles(cx, cy, a + deco, b + deco, tip, size)
        else:
            # The solver places the tail's centre line, from the balloon to the speaker (both in
            # the area); the drawn curve bulges aside by 6 % of its length (a bolt by its steps):
            # a long tail beside the area's edge would leave it, so there it bends the other way,
            # else runs straight (inside the triangle of its base and tip).
            shout = piece.kind == "shout"
            for side in (1.0, -1.0, 0.0):
                extras = [shapes.zigzag_tail(cx, cy, a, b, tip, 1.6 * size, side) if shout
                          else shapes.tail(cx, cy, a, b, tip, 1.3 * size, side * shapes.TAIL_BEND)]
                if all(room.x <= x <= room.x1 and room.y <= y <= room.y1 for x, y in extras[0]):
                    break
    if p.link:  # from the previous balloon's edge into this one: drawn under this one only
        # (its width kept in the area where it runs along the area's edge)
        band = shapes.connector(_to_page(rect, *p.link[0]), (cx, cy), 0.9 * size)
        extras.append([(min(max(x, room.x), room.x1), min(max(y, room.y), room.y1)) for x, y in band])
    # Outline trick: stroke everything at twice the width, then fill on top, so the balloon and
    # its tail read as one merged outline without computing a polygon union.
    outline, extras = tuple(outline), [tuple(e) for e in extras]  # each painted twice: one tuple
    ops = [Shape(e, stroke=BLACK, width=2 * sw, dash=dash) for e in extras]
    ops.append(Shape(outline, stroke=BLACK, width=2 * sw, dash=dash))
    ops.append(Shape(outline, fill=WHITE))
    ops.extend(Shape(e, fill=WHITE) for e in extras)
    everything = [pt for e in extras for pt in e] + list(outline)
    bounds = _bounds(everything)
    return Item(piece.kind, tuple(ops + texts), body, bounds, fit.block.lines, size, piece.speaker,
                (cx, cy, a, b), tuple(boxes), text=text, tail=tail)


def _bubbles(cx, cy, a, b, tip, size) -> list[list[tuple[float, float]]]:
    """Three bubbles shrinking from the cloud toward the thinker, evenly spaced from the
    cloud's edge so that the smallest one sits at the tip; on a trail too short for the
    three, none reaches past the tip (where the thinker's eyes may be): they close up."""
    dx, dy = tip[0] - cx, tip[1] - cy
    dist = math.hypot(dx, dy) or 1.0
    ux, uy = dx / dist, dy / dist
    edge = 1.0 / math.sqrt((ux / a) ** 2 + (uy / b) ** 2)
    radii = (0.42 * size, 0.3 * size, 0.2 * size)
    span = dist - edge - radii[-1]  # from the cloud's edge to the last bubble's centre
    gap = 0.3 * size
    if span < 2 * sum(radii):  # a short trail: smaller bubbles, closer, the last still at the tip
        scale = max(0.6, (span + radii[-1]) / (2 * sum(radii) + radii[-1]))
        radii = tuple(r * scale for r in radii)
        gap *= scale
        span = max(dist - edge - radii[-1], radii[0] + gap)
    out = []
    for k, r in enumerate(radii):
        d = edge + radii[0] + gap + (span - radii[0] - gap) * k / (len(radii) - 1)
        out.append(shapes.ellipse(cx + ux * d, cy + uy * d, r, r, 24))
    return out


def _sfx(font: Font, text: str, rect: Rect, pad: float, taken, lines, stage, staged, index: int,
         count: int) -> Item:
    """A sound effect: big bold leaning letters with an outline, part of the art: near its
    source (the cast's bodies, else the middle of the scene), off faces, heads, figures it
    would hide, balloons and tails.
    Leaning (a shear) rather than rotating keeps the baseline level, so the SFX stays searchable."""
    W, H = rect.w, rect.h
    seed = int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)
    skew = 10.0 + seed % 9
    lean = math.tan(math.radians(skew))
    unit_w = font.width(text, 1.0, True) + lean * font.ascent
    unit_h = font.ascent - font.descent
    size = max(1.0, min(40.0, 0.22 * H, 0.6 * W / max(unit_w, 1e-6)))
    size = min(size, (W - 2 * pad) / unit_w, (H - 2 * pad) / unit_h)
    bodies = [local["body"] for _, local in staged]
    if bodies:
        source = (sum((b[0] + b[2]) / 2 for b in bodies) / len(bodies), min(sum((b[1] + b[3]) / 2 for b in bodies) / len(bodies), 0.75 * H))
    else:
        source = (W / 2, 0.62 * H)
    want_u = W * (index + 1) / (count + 1) if count > 1 else source[0]
    best = None
    for _ in range(4):  # no clear spot: smaller letters, up to three times
        bw, bh = unit_w * size, unit_h * size
        # Off faces and heads, and off the whole of a figure small enough to hide (a gull in
        # a wide shot): an SFX may overlap a body, never make a cast member disappear.
        avoid = stage.faces + stage.heads + stage.blocked + [b for b in bodies if geometry.area(b) <= bw * bh]
        for u in placement._spread(pad, W - pad - bw, 11):
            for v in placement._spread(pad, H - pad - bh, 11):
                box = (u, v, u + bw, v + bh)
                hits = sum(geometry.overlaps(box, t) for t in taken) + sum(geometry.overlaps(box, f) for f in avoid)
                hits += sum(geometry.polyline_hits(line, box) for line in lines)
                score = 100.0 * hits + 1.5 * abs(v + bh / 2 - source[1]) / H + abs(u + bw / 2 - want_u) / W
                if best is None or score < best[0]:
                    best = (score, u, v, size)
        if best[0] < 100.0:
            break
        size *= 0.75
    _, u, v, size = best
    bh = unit_h * size
    left, top = _to_page(rect, u, v)
    baseline = top - font.ascent * size
    x = left + font.width(text, size, True) / 2
    op = Text(text, x, baseline, size, True, "middle", SFX_FILL, BLACK, max(0.5, 0.035 * size), skew)
    body = Rect(left, top - bh, unit_w * size, bh)
    ink = Rect(left, top - bh, font.width(text, size, True), bh)  # the text's box as extracted
    return Item("sfx", (op,), body, body, (text,), size, text_boxes=(ink,), text=text)


# ------------------------------------------------------------------------------ storyboard notes


def notes_item(font: Font, story: Any, panel: Any, slot: PanelSlot, scene: Any) -> Item:
    """The notes box of a storyboard frame: shot number, shot/angle (and `duration` when the
    script gives one), action, dialogue, captions and SFX, shrunk until everything fits. Every note is set flush right on the sheet of a
    story in a right-to-left language (`font.language`), and a note that reads right to left
    (`shaping.right_to_left_paragraph`: a Hebrew line in an English story) on any sheet."""
    box = slot.notes
    heading = f"{slot.number}. {panel.shot.upper()} / {panel.angle.upper()}"
    if panel.duration is not None:  # the writer's timing of the shot, as a board notes it
        heading += f" / {panel.duration:g} s"
    paras: list[tuple[str, bool]] = [(heading, True)]
    if slot.panel == 0:
        paras.append((f"SCENE {scene.id}" + (f": {scene.setting}" if scene.setting else ""), False))
    paras.append((panel.action, False))
    if panel.caption:
        paras.append((f"CAPTION: {panel.caption}", False))
    for line in panel.dialogue:
        who = "NARRATION" if line.speaker == "narration" else story.character_name(line.speaker).upper()
        # a voice from outside the frame is marked as a script marks it: MUM (O.S.)
        off = line.speaker != "narration" and (line.off or line.speaker not in panel.cast_ids)
        marks = ", ".join(["O.S."] * off + [line.kind] * (line.kind != "speech"))
        paras.append((f"{who} ({marks}): {line.text}" if marks else f"{who}: {line.text}", False))
    for sfx in panel.sfx:
        paras.append((f"SFX: {sfx}", False))
    pad = NOTE_PAD
    width, height = box.w - 2 * pad, box.h - 2 * pad
    size = 8.0
    spacing = [_leading(font, text, bold) for text, bold in paras]  # ems, each paragraph's
    while True:
        ems = sum(len(wrap(font, text, size, width, bold)) * lead for (text, bold), lead in zip(paras, spacing))
        gap = 0.35 * size * (len(paras) - 1)
        if ems * size + gap <= height or size < 1.0:  # (each paragraph's lines at its own leading)
            break
        size *= 0.92
    ops = [_notes_box(box)]
    boxes = []
    y = box.y1 - pad - font.ascent * size
    sheet_right = right_to_left_language(font.language)
    for index, ((text, bold), lead) in enumerate(zip(paras, spacing)):
        if index:
            y -= 0.35 * size
        right = sheet_right or right_to_left_paragraph(text, font.language)
        top, bottom = (font.ascent, font.descent) if lead == LEADING else leading.line_extent(font, text, bold)
        for line in wrap(font, text, size, width, bold):
            w = font.width(line, size, bold)
            x = box.x1 - pad - w if right else box.x + pad
            ops.append(Text(line, x, y, size, bold, "start"))
            boxes.append(Rect(x, y + bottom * size, w, (top - bottom) * size))
            y -= size * lead
    # Ruled lines under the notes, as on a printed storyboard sheet: room to write by hand.
    ops += _rules(box, y + size * spacing[-1] + font.descent * size - NOTE_RULE, pad)
    return Item("notes", tuple(ops), box, box, tuple(t.text for t in ops if isinstance(t, Text)), size,
                text_boxes=tuple(boxes))


def blank_cell(frame: Rect, notes: Rect) -> Item:
    """An unused cell of a storyboard sheet, as a printed sheet has it: an empty frame and a
    ruled notes box, to draw a shot in by hand."""
    ops = [Shape(tuple(shapes.rectangle(frame.x, frame.y, frame.w, frame.h)), stroke=(0.0, 0.0, 0.0), width=1.2),
           _notes_box(notes), *_rules(notes, notes.y1 - NOTE_PAD - NOTE_RULE, NOTE_PAD)]
    return Item("blank", tuple(ops), frame, frame, (), 0.0)


def _notes_box(box: Rect) -> Shape:
    return Shape(tuple(shapes.rectangle(box.x, box.y, box.w, box.h)), fill=(0.97, 0.97, 0.97), stroke=(0.6, 0.6, 0.6),
                 width=0.5)


def _rules(box: Rect, top: float, pad: float) -> list[Shape]:
    """Light ruled lines across `box`, `NOTE_RULE` apart from `top` down to its padding."""
    out = []
    while top >= box.y + pad:
        out.append(Shape(((box.x + pad, top), (box.x1 - pad, top)), stroke=(0.82, 0.82, 0.82), width=0.35,
                         closed=False))
        top -= NOTE_RULE
    return out
