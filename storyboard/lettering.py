"""Lettering: speech, thought, whisper and shout balloons, captions, narration and SFX.

Lettering is computed once, as plain geometry in PDF points (polygons and positioned lines of
text, see `Shape`, `Text`, `Item`), and drawn by two backends: reportlab for PDF (real,
searchable text) and PIL for PNG pages. Both use the same font file and the same line
positions, so the two outputs match.

Fitting: each balloon wraps its text to the smallest pleasing oval (trying several line counts
and oval proportions) and shrinks the type until it fits the panel; the text is never cut.
Placement: balloons go in reading order (right to left for `rtl`), near the top, over their
speaker, off the speakers' heads and never over another balloon; when a panel is too crowded
every balloon of it shrinks a step and placement starts again.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence, Union

from storyboard._lettering import shapes
from storyboard.errors import ExportError
from storyboard.layout import PageSpec, PanelSlot, Rect
from storyboard.staging import StagedFigure, stage_panel

Color = tuple[float, float, float]
BLACK: Color = (0.0, 0.0, 0.0)
WHITE: Color = (1.0, 1.0, 1.0)
CAPTION_FILL: Color = (1.0, 0.95, 0.74)
SFX_FILL: Color = (1.0, 0.8, 0.12)

FONT_DIR = Path(__file__).parent / "fonts"
BUNDLED_REGULAR = FONT_DIR / "ComicNeue-Regular.ttf"
BUNDLED_BOLD = FONT_DIR / "ComicNeue-Bold.ttf"

LEADING = 1.18  # line height in ems
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


# ------------------------------------------------------------------------------ fonts


class Font:
    """A lettering font: a regular and a bold face, usable by both backends.

    Widths come from reportlab's metrics of the font file, so line breaks and centring are
    identical in the PDF and the PNG pages."""

    def __init__(self, regular: Path, bold: Path | None = None):
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        self.regular = Path(regular)
        self.bold = Path(bold) if bold else self.regular
        self._names = {}
        for is_bold, path in ((False, self.regular), (True, self.bold)):
            digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
            name = f"SB{digest}"
            if name not in pdfmetrics.getRegisteredFontNames():
                try:
                    pdfmetrics.registerFont(TTFont(name, str(path)))
                except Exception as err:  # reportlab raises TTFError, OSError, struct errors
                    reason = " ".join(str(err).split()) or type(err).__name__
                    if "postscript outlines" in reason.lower():
                        reason = "it has PostScript (CFF) outlines; use a font with TrueType outlines"
                    raise ExportError(f"cannot use font {path}: {reason}") from None
            self._names[is_bold] = name
        face = pdfmetrics.getFont(self._names[False]).face
        bold_face = pdfmetrics.getFont(self._names[True]).face
        self._chars = set(face.charToGlyph) & set(bold_face.charToGlyph)
        self.ascent = face.ascent / 1000.0
        self.descent = -abs(face.descent) / 1000.0
        self._widths: dict[tuple[str, bool], float] = {}
        self._pil: dict[tuple[int, bool], Any] = {}

    def missing(self, text: str) -> str:
        """The characters of `text` this font cannot draw (whitespace aside), in order."""
        return "".join(dict.fromkeys(c for c in text if ord(c) not in self._chars and not c.isspace()))

    def name(self, bold: bool = False) -> str:
        """The reportlab font name (registered on load)."""
        return self._names[bold]

    def width(self, text: str, size: float, bold: bool = False) -> float:
        key = (text, bold)
        unit = self._widths.get(key)
        if unit is None:
            from reportlab.pdfbase.pdfmetrics import stringWidth

            unit = self._widths[key] = stringWidth(text, self._names[bold], 1000.0) / 1000.0
        return unit * size

    def pil(self, pixels: float, bold: bool = False):
        """A PIL font at `pixels` size (quantised to 1/4 px so caches stay small)."""
        from PIL import ImageFont

        key = (round(pixels * 4), bold)
        font = self._pil.get(key)
        if font is None:
            font = self._pil[key] = ImageFont.truetype(str(self.bold if bold else self.regular), key[0] / 4)
        return font


@lru_cache(maxsize=16)
def _load(regular: str, bold: str | None) -> Font:
    return Font(Path(regular), Path(bold) if bold else None)


def load_font(path: str | Path | None = None) -> Font:
    """The bundled Comic Neue, or the TTF/OTF at `path` (used for every weight)."""
    if path is None:
        return _load(str(BUNDLED_REGULAR), str(BUNDLED_BOLD))
    path = Path(path).expanduser()
    if not path.is_file():
        raise ExportError(f"font file not found: {path}")
    return _load(str(path.resolve()), None)


def story_font(story: Any, override: str | Path | None = None) -> Font:
    """The font for a story: `override`, else the script's `style.font` (relative to the
    script's folder), else the bundled one."""
    if override is not None:
        return load_font(override)
    style_font = getattr(getattr(story, "style", None), "font", None)
    if style_font:
        base = Path(getattr(story, "base_dir", ".") or ".")
        return load_font(base / style_font)
    return load_font()


# ------------------------------------------------------------------------------ text fitting


def wrap(font: Font, text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """Greedy word wrap to `width` points; explicit newlines are kept; a word wider than the
    line is broken between letters rather than allowed to overflow."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split():
            while font.width(word, size, bold) > width and len(word) > 1:
                if current:
                    lines.append(current)
                    current = ""
                cut = len(word) - 1
                while cut > 1 and font.width(word[:cut], size, bold) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            trial = f"{current} {word}" if current else word
            if current and font.width(trial, size, bold) > width:
                lines.append(current)
                current = word
            else:
                current = trial
        lines.append(current)
    while len(lines) > 1 and not lines[-1]:
        lines.pop()
    return lines


@dataclass(frozen=True)
class Block:
    lines: tuple[str, ...]
    widths: tuple[float, ...]
    size: float
    bold: bool

    @property
    def line_height(self) -> float:
        return self.size * LEADING

    @property
    def width(self) -> float:
        return max(self.widths, default=0.0)

    @property
    def height(self) -> float:
        return len(self.lines) * self.line_height


def _block(font: Font, lines: Sequence[str], size: float, bold: bool) -> Block:
    return Block(tuple(lines), tuple(font.width(line, size, bold) for line in lines), size, bold)


def oval_for(block: Block, ratio: float, pad: float) -> tuple[float, float]:
    """Semi-axes (a, b) of the smallest oval of proportion a/b = `ratio` that holds every
    line's box, plus `pad` all round. Lines are centred, so a diamond of short-long-short
    lines fits a much smaller oval than its bounding rectangle would."""
    n, lh = len(block.lines), block.line_height
    b2 = 0.0
    for i, w in enumerate(block.widths):
        centre = (i - (n - 1) / 2) * lh
        y = abs(centre) + lh / 2
        b2 = max(b2, (w / 2 / ratio) ** 2 + y * y)
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
    return {"thought": 1.5 * size, "shout": 1.0 * size}.get(kind, 0.0)


def fit_text(font: Font, text: str, kind: str, size: float, max_w: float, max_h: float) -> Fit | None:
    """The best-looking wrap of `text` at `size` whose body fits max_w x max_h, or None."""
    bold = kind in ("shout", "sfx")
    pad = 0.45 * size
    words = text.split()
    total = font.width(text.replace("\n", " "), size, bold)
    longest = max((font.width(w, size, bold) for w in words), default=0.0)
    ideal = 3.5 if kind in ("caption", "narration") else 1.6
    best: tuple[float, Fit] | None = None
    seen: set[tuple[str, ...]] = set()
    for count in range(1, max(1, min(len(words), 14)) + 1):
        target = max(longest, total / count * 1.06)
        lines = tuple(wrap(font, text, size, min(target, max_w), bold))
        if lines in seen:
            continue
        seen.add(lines)
        block = _block(font, lines, size, bold)
        if kind in ("caption", "narration"):
            a, b = block.width / 2 + pad, block.height / 2 + pad * 0.8
            options = [(a, b, 2 * a, 2 * b)]
        else:
            extra = _decoration(kind, size)
            options = []
            for ratio in (1.15, 1.5, 1.9):
                a, b = oval_for(block, ratio, pad)
                options.append((a, b, 2 * (a + extra), 2 * (b + extra)))
        for a, b, ow, oh in options:
            if ow > max_w or oh > max_h:
                continue
            # Smallest area, nudged toward a comfortable oval (or a long caption strip).
            cost = ow * oh * (1 + 0.35 * abs(math.log((ow / oh) / ideal)))
            if best is None or cost < best[0]:
                best = (cost, Fit(block, a, b, ow, oh))
    return best[1] if best else None


def fit_shrinking(font: Font, text: str, kind: str, size: float, max_w: float, max_h: float) -> Fit:
    """`fit_text` at `size`, shrinking the type until it fits; raises only for a box too
    small to hold any letter at all."""
    while size >= 1.0:
        fit = fit_text(font, text, kind, size, max_w, max_h)
        if fit is not None:
            return fit
        size *= 0.92
    raise ExportError(f"no room to letter {text[:40]!r}: the panel is {max_w:.0f} x {max_h:.0f} pt")


# ------------------------------------------------------------------------------ panels


def base_size(spec: PageSpec) -> float:
    """Dialogue type size in points: about 7.5 pt on a comic page, a little larger on big pages."""
    return max(6.5, min(10.0, 7.5 * math.sqrt(spec.width / (6.625 * 72))))


@dataclass
class _Want:
    kind: str
    text: str
    speaker: str = ""
    target: tuple[float, float] | None = None  # speaker's head in panel coords (u right, v down)


@dataclass
class _Placed:
    want: _Want
    fit: Fit
    u: float  # body's top-left in panel coords
    v: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.u, self.v, self.u + self.fit.outer_w, self.v + self.fit.outer_h)


def _overlap(a, b, gap: float = 0.0) -> float:
    w = min(a[2], b[2]) + gap - max(a[0], b[0])
    h = min(a[3], b[3]) + gap - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _after(box, prev, rtl: bool) -> bool:
    """Whether `box` reads after `prev`: clearly below it, or beside it in reading direction."""
    below = box[1] >= prev[1] + 0.5 * (prev[3] - prev[1])
    if rtl:
        beside = box[2] <= prev[0] + 0.25 * (prev[2] - prev[0]) and box[1] >= prev[1] - 0.5 * (box[3] - box[1])
    else:
        beside = box[0] >= prev[2] - 0.25 * (prev[2] - prev[0]) and box[1] >= prev[1] - 0.5 * (box[3] - box[1])
    return below or beside


def staged_local(story: Any, panel: Any, slot: PanelSlot) -> list[tuple[StagedFigure, dict]]:
    """Each staged figure with its boxes in panel-frame points (u right from the frame's left
    edge, v down from its top): 'body', 'head', 'face' boxes and the 'mouth' point. Staging
    speaks in fractions of the art rectangle, which may run into the bleed past the frame."""
    art, rect = slot.art, slot.rect

    def point(fx: float, fy: float) -> tuple[float, float]:
        return art.x + fx * art.w - rect.x, rect.y1 - (art.y1 - fy * art.h)

    def box(b) -> tuple[float, float, float, float]:
        return (*point(b[0], b[1]), *point(b[2], b[3]))

    out = []
    for fig in stage_panel(story, panel, art.w / art.h):
        out.append((fig, {"body": box(fig.body), "head": box(fig.head),
                          "face": box(fig.face) if fig.shows_face else None, "mouth": point(*fig.mouth)}))
    return out


def _wants(panel: Any, staged) -> list[_Want]:
    mouths = {fig.id: local["mouth"] for fig, local in staged}
    wants = []
    if panel.caption:
        wants.append(_Want("caption", panel.caption))
    for line in panel.dialogue:
        if line.speaker == "narration":
            wants.append(_Want("narration", line.text))
            continue
        wants.append(_Want(line.kind, line.text, line.speaker, mouths.get(line.speaker)))
    return wants


def _place(wants: list[_Want], fits: list[Fit], W: float, H: float, pad: float, rtl: bool,
           heads, strict: bool) -> list[_Placed] | None:
    placed: list[_Placed] = []
    gap = 0.4 * pad
    for want, fit in zip(wants, fits):
        bw, bh = fit.outer_w, fit.outer_h
        us = _spread(pad, W - pad - bw, 9)
        vs = _spread(pad, H - pad - bh, 9)
        if want.kind in ("caption", "narration"):
            near, far = (us[-1], us[0]) if rtl else (us[0], us[-1])
            us = [near, far]
        best: tuple[float, float, float] | None = None
        for u in us:
            for v in vs:
                box = (u, v, u + bw, v + bh)
                clash = sum(_overlap(box, p.box, gap) for p in placed)
                if clash and strict:
                    continue
                score = 50.0 * clash / (bw * bh)
                if placed and not _after(box, placed[-1].box, rtl):
                    score += 40.0
                elif not placed:  # the first balloon leans toward where reading starts
                    score += 1.0 * ((W - u - bw) if rtl else u) / W
                score += 3.0 * v / H
                if want.kind in ("caption", "narration"):
                    score += 1.5 * (u != us[0])
                elif want.target is not None:
                    score += 2.0 * abs(u + bw / 2 - want.target[0]) / W
                    # A balloon sitting on its speaker leaves no room for the tail.
                    if want.target[1] - (v + bh) < pad:
                        score += 1.0
                score += sum(4.0 * _overlap(box, h) / (bw * bh) for h in heads)
                if best is None or score < best[0]:
                    best = (score, u, v)
        if best is None:
            return None
        placed.append(_Placed(want, fit, best[1], best[2]))
    return placed


def _spread(lo: float, hi: float, n: int) -> list[float]:
    """`n` evenly spaced positions from lo to hi; one position when there is no room to move."""
    if hi <= lo:
        return [max(0.0, hi)]
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


def letter_panel(story: Any, panel: Any, slot: PanelSlot, spec: PageSpec, font: Font) -> list[Item]:
    """Every lettered element of one panel, in drawing order (SFX under the balloons)."""
    rect = slot.rect
    W, H = rect.w, rect.h
    rtl = spec.reading == "rtl"
    pad = max(2.5, min(8.0, 0.035 * min(W, H)))
    staged = staged_local(story, panel, slot)
    wants = _wants(panel, staged)
    heads = [local["head"] for _, local in staged]
    size = base_size(spec)
    placed: list[_Placed] | None = None
    for attempt in range(8):
        strict = attempt < 7
        max_w = (W - 2 * pad) * (0.62 if W > 2.2 * size * 12 else 0.95)
        max_h = (H - 2 * pad) * 0.55
        fits = [fit_shrinking(font, w.text, w.kind, size, max_w, max_h) for w in wants]
        # Crowded panels: all the balloons together may cover at most ~60 % of the panel.
        used = sum(f.outer_w * f.outer_h for f in fits)
        if used > 0.6 * W * H and strict:
            size *= 0.88
            continue
        placed = _place(wants, fits, W, H, pad, rtl, heads, strict)
        if placed is not None:
            break
        size *= 0.88
    items: list[Item] = []
    taken = [p.box for p in placed or []]
    for index, text in enumerate(panel.sfx):
        item = _sfx(font, text, rect, pad, taken, index, len(panel.sfx))
        taken.append(_to_local(item.body, rect))
        items.append(item)
    for p in placed or []:
        items.append(_balloon(font, p, rect, pad))
    return items


def _to_page(rect: Rect, u: float, v: float) -> tuple[float, float]:
    return rect.x + u, rect.y1 - v


def _to_local(r: Rect, rect: Rect) -> tuple[float, float, float, float]:
    return (r.x - rect.x, rect.y1 - r.y1, r.x1 - rect.x, rect.y1 - r.y)


def _bounds(points) -> Rect:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return Rect(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def _lines(font: Font, block: Block, cx: float, cy: float) -> tuple[list[Text], list[Rect]]:
    """Centred lines around (cx, cy); each baseline sits so the line's ink is centred in its row."""
    texts, boxes = [], []
    n, lh = len(block.lines), block.line_height
    shift = (font.ascent + font.descent) / 2 * block.size  # baseline -> visual middle
    for i, (line, w) in enumerate(zip(block.lines, block.widths)):
        mid = cy + ((n - 1) / 2 - i) * lh
        base = mid - shift
        texts.append(Text(line, cx, base, block.size, block.bold))
        boxes.append(Rect(cx - w / 2, base + font.descent * block.size, w, (font.ascent - font.descent) * block.size))
    return texts, boxes


def _stroke_width(size: float) -> float:
    return max(0.35, min(1.2, 0.085 * size))


def _balloon(font: Font, p: _Placed, rect: Rect, pad: float) -> Item:
    fit, want = p.fit, p.want
    size = fit.block.size
    cu, cv = p.u + fit.outer_w / 2, p.v + fit.outer_h / 2
    cx, cy = _to_page(rect, cu, cv)
    sw = _stroke_width(size)
    texts, boxes = _lines(font, fit.block, cx, cy)
    if want.kind in ("caption", "narration"):
        outline = shapes.rectangle(cx - fit.a, cy - fit.b, 2 * fit.a, 2 * fit.b)
        body = _bounds(outline)
        ops: list[Op] = [Shape(tuple(outline), fill=CAPTION_FILL, stroke=BLACK, width=sw)]
        return Item(want.kind, tuple(ops + texts), body, body, fit.block.lines, size,
                    text_boxes=tuple(boxes))
    a, b = fit.a, fit.b
    if want.kind == "thought":
        outline = shapes.cloud(cx, cy, a, b, 0.9 * size)
    elif want.kind == "shout":
        seed = int(hashlib.sha1(want.text.encode()).hexdigest()[:8], 16)
        outline = shapes.burst(cx, cy, a, b, 0.9 * size, seed)
    else:
        outline = shapes.ellipse(cx, cy, a, b)
    body = _bounds(outline)
    dash = (2.2 * sw * 2, 1.6 * sw * 2) if want.kind == "whisper" else None
    extras: list[list[tuple[float, float]]] = []
    if want.target is not None:
        tip = _tail_tip(p, rect, pad, size)
        if want.kind == "thought":
            extras = _bubbles(cx, cy, a + _decoration("thought", size), b + _decoration("thought", size), tip, size)
        else:
            extras = [shapes.tail(cx, cy, a, b, tip, (1.6 if want.kind == "shout" else 1.3) * size)]
    # Outline trick: stroke everything at twice the width, then fill on top, so the balloon and
    # its tail read as one merged outline without computing a polygon union.
    ops = [Shape(tuple(e), stroke=BLACK, width=2 * sw, dash=dash) for e in extras]
    ops.append(Shape(tuple(outline), stroke=BLACK, width=2 * sw, dash=dash))
    ops.append(Shape(tuple(outline), fill=WHITE))
    ops.extend(Shape(tuple(e), fill=WHITE) for e in extras)
    everything = [pt for e in extras for pt in e] + list(outline)
    bounds = _bounds(everything)
    return Item(want.kind, tuple(ops + texts), body, bounds, fit.block.lines, size, want.speaker,
                (cx, cy, a, b), tuple(boxes))


def _tail_tip(p: _Placed, rect: Rect, pad: float, size: float) -> tuple[float, float]:
    """Where the tail points: toward the speaker's head, stopping short of it."""
    fit = p.fit
    cu, cv = p.u + fit.outer_w / 2, p.v + fit.outer_h / 2
    tu, tv = p.want.target
    du, dv = tu - cu, tv - cv
    a, b = fit.a, fit.b
    dist = math.hypot(du, dv)
    if dist < 1e-6 or (du / a) ** 2 + (dv / b) ** 2 <= 1.0:
        du, dv, dist = 0.0, 1.0, 1.0  # the balloon covers the speaker: point straight down
    ux, uy = du / dist, dv / dist
    edge = 1.0 / math.sqrt((ux / a) ** 2 + (uy / b) ** 2)
    length = max(1.6 * size, min(dist - edge - 0.6 * size, max(5.0 * size, 1.1 * b)))
    tip_u = min(max(cu + ux * (edge + length), pad * 0.5), rect.w - pad * 0.5)
    tip_v = min(max(cv + uy * (edge + length), pad * 0.5), rect.h - pad * 0.5)
    return _to_page(rect, tip_u, tip_v)


def _bubbles(cx, cy, a, b, tip, size) -> list[list[tuple[float, float]]]:
    """Three shrinking bubbles from the cloud toward the thinker, never closer together than
    a third of the type size, spread further when the thinker is far away."""
    dx, dy = tip[0] - cx, tip[1] - cy
    dist = math.hypot(dx, dy) or 1.0
    ux, uy = dx / dist, dy / dist
    edge = 1.0 / math.sqrt((ux / a) ** 2 + (uy / b) ** 2)
    radii = (0.42 * size, 0.3 * size, 0.2 * size)
    gap = 0.35 * size
    needed = 2 * sum(radii) + 3 * gap
    stretch = max(0.5, min(2.0, (dist - edge) / needed))  # the last bubble never passes the tip
    out, d = [], edge
    for r in radii:
        d += (gap + r) * stretch
        out.append(shapes.ellipse(cx + ux * d, cy + uy * d, r, r, 24))
        d += r * stretch
    return out


def _sfx(font: Font, text: str, rect: Rect, pad: float, taken, index: int, count: int) -> Item:
    """A sound effect: big bold leaning letters with an outline, over the art. Leaning (a
    shear) rather than rotating keeps the baseline level, so the SFX stays searchable."""
    W, H = rect.w, rect.h
    seed = int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)
    skew = 10.0 + seed % 9
    lean = math.tan(math.radians(skew))
    unit_w = font.width(text, 1.0, True) + lean * font.ascent
    unit_h = font.ascent - font.descent
    size = max(1.0, min(40.0, 0.22 * H, 0.6 * W / max(unit_w, 1e-6)))
    size = min(size, (W - 2 * pad) / unit_w, (H - 2 * pad) / unit_h)
    bw, bh = unit_w * size, unit_h * size
    best = None
    want_u = W * (index + 1) / (count + 1)
    for u in _spread(pad, W - pad - bw, 9):
        for v in _spread(pad, H - pad - bh, 9):
            box = (u, v, u + bw, v + bh)
            score = 50.0 * sum(_overlap(box, t) for t in taken) / (bw * bh)
            score += 1.5 * abs(v + bh / 2 - 0.62 * H) / H + abs(u + bw / 2 - want_u) / W
            if best is None or score < best[0]:
                best = (score, u, v)
    _, u, v = best
    left, top = _to_page(rect, u, v)
    baseline = top - font.ascent * size
    x = left + font.width(text, size, True) / 2
    op = Text(text, x, baseline, size, True, "middle", SFX_FILL, BLACK, max(0.5, 0.035 * size), skew)
    body = Rect(left, top - bh, bw, bh)
    return Item("sfx", (op,), body, body, (text,), size)


# ------------------------------------------------------------------------------ storyboard notes


def notes_item(font: Font, story: Any, panel: Any, slot: PanelSlot, scene: Any) -> Item:
    """The notes box of a storyboard frame: shot number, shot/angle, action, dialogue, captions
    and SFX, shrunk until everything fits."""
    box = slot.notes
    heading = f"{slot.number}. {panel.shot.upper()} / {panel.angle.upper()}"
    paras: list[tuple[str, bool]] = [(heading, True)]
    if slot.panel == 0:
        paras.append((f"SCENE {scene.id}" + (f": {scene.setting}" if scene.setting else ""), False))
    paras.append((panel.action, False))
    if panel.caption:
        paras.append((f"CAPTION: {panel.caption}", False))
    names = {cid: getattr(ch, "name", cid) or cid for cid, ch in getattr(story, "characters", {}).items()}
    for line in panel.dialogue:
        who = "NARRATION" if line.speaker == "narration" else names.get(line.speaker, line.speaker).upper()
        kind = f" ({line.kind})" if line.kind != "speech" else ""
        paras.append((f"{who}{kind}: {line.text}", False))
    for sfx in panel.sfx:
        paras.append((f"SFX: {sfx}", False))
    pad = 3.0
    width, height = box.w - 2 * pad, box.h - 2 * pad
    size = 8.0
    while True:
        rows = [(line, bold) for text, bold in paras for line in wrap(font, text, size, width, bold)]
        gap = 0.35 * size * (len(paras) - 1)
        if len(rows) * size * LEADING + gap <= height or size < 1.0:
            break
        size *= 0.92
    ops: list[Op] = [Shape(tuple(shapes.rectangle(box.x, box.y, box.w, box.h)), fill=(0.97, 0.97, 0.97),
                           stroke=(0.6, 0.6, 0.6), width=0.5)]
    boxes = []
    y = box.y1 - pad - font.ascent * size
    for index, (text, bold) in enumerate(paras):
        if index:
            y -= 0.35 * size
        for line in wrap(font, text, size, width, bold):
            ops.append(Text(line, box.x + pad, y, size, bold, "start"))
            boxes.append(Rect(box.x + pad, y + font.descent * size, font.width(line, size, bold),
                              (font.ascent - font.descent) * size))
            y -= size * LEADING
    return Item("notes", tuple(ops), box, box, tuple(t.text for t in ops if isinstance(t, Text)), size,
                text_boxes=tuple(boxes))
