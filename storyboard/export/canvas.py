"""A page's pixels, painted by Skia as the PDF paints the page.

PNG and CBZ pages are drawn from the same page geometry as the PDF (`export.pdf`): panel
drawings (`storyboard.drawing`) as paths over their art box, clipped to it; balloons, tails,
bubbles, frames and boxes filled by the even-odd rule and stroked with round joins and caps;
text as the same glyph outlines, filled (as `storyboard.text.draw.draw_text_pdf` paints
them; each glyph rasterised once per colour, size and quarter-pixel position, then
copied). Skia (skia-python, Google's 2D graphics library) fills and strokes with
anti-aliasing straight onto the page, as a PDF viewer does, at a fraction of the cost of
rasterising each shape apart and pasting it (Pillow). Panel sketches at print size are
painted without anti-aliasing, as before: their ink is several pixels wide, and smoothing
every edge would double the file and the time it takes to encode.

Pixels come out in bands of rows (`PageCanvas.bands`), which `export.png` encodes as they
come, or as a whole page (`PageCanvas.pil`: previews, the webtoon strip). Skia smooths an edge
a shade differently on a band than on the whole page, and an aliased edge may step by a pixel
where a band ends, so pages are always played in the same bands (`BAND_ROWS`): the same page
gives the same pixels (for a given Skia build and CPU family: Skia picks SIMD code for the CPU).
"""

from __future__ import annotations

import math
import struct
import threading
from functools import lru_cache
from typing import Iterator, Sequence

import numpy as np

try:
    import skia
except ImportError as err:  # a Ctrl-C while Skia's module initialises comes back as this
    if isinstance(err.__cause__, KeyboardInterrupt):
        raise KeyboardInterrupt from None
    # skia-python's wheel links the system's OpenGL loaders (libGL.so.1, libEGL.so.1), which
    # minimal images (python:slim, distroless) lack: name the package, not the linker error.
    if "cannot open shared object file" in str(err):
        from storyboard.errors import ExportError

        library = str(err).split(":", 1)[0]
        raise ExportError(f"PNG, CBZ and webtoon pages need the system library {library}, which Skia "
                          "(skia-python) loads: install it (Debian/Ubuntu: apt-get install libgl1 libegl1)") from None
    raise

# SkPath's serialised form (SkPath::writeToMemory, version 5): a header (version | fill type
# << 8, point, conic weight and verb counts), the points as float32 pairs, then one byte per
# verb, padded to 4 bytes. Built with numpy it costs a fraction of adding points one by one.
_VERSION = 5
_MOVE, _LINE, _CLOSE = 0, 1, 5
_WINDING, _EVEN_ODD = 0, 1
_SMALL = 800  # pixels: a panel drawing smaller than this across is anti-aliased
BAND_ROWS = 256  # rows played back at a time (PageCanvas.bands)
_BAND = threading.local()  # this thread's band of rows and the Skia surface over it


class PageCanvas:
    """A white page `width` x `height` pixels (see the module). What is painted on it is
    recorded (a Skia picture, indexed by an R-tree) and played back when its pixels are
    asked for: a band of rows at a time (`bands`), which the PNG encoder filters and deflates
    while they are still in the processor's cache (a sixth less CPU than painting the whole
    35 MB page of A4 at 300 dpi first, then reading it back), or the whole page (`pil`)."""

    mode = "RGB"

    def __init__(self, width: int, height: int):
        self.size = (width, height)
        self._recorder = skia.PictureRecorder()
        self.canvas = self._recorder.beginRecording(skia.Rect.MakeWH(width, height), skia.RTreeFactory()())
        self._picture = None
        self.raster = False  # whether raster pixels are painted (`image`)
        # Pixel boxes (left, top, right, bottom) that art paints over opaquely: the white
        # paper is laid only around them (`_paper`), not under every panel first.
        self._covered: list[tuple[int, int, int, int]] = []

    def image(self, rgb: np.ndarray, left: int, top: int) -> None:
        """Copy an RGB array (h x w x 3 uint8) onto the page with its top-left pixel at
        (left, top); what lies outside the page is left out."""
        self.raster = True
        self._covered.append((left, top, left + rgb.shape[1], top + rgb.shape[0]))
        rgba = np.dstack((rgb, np.full(rgb.shape[:2], 255, np.uint8)))
        self.canvas.drawImage(skia.Image.fromarray(rgba, colorType=_PIXELS), left, top)

    def drawing(self, drawing, x: float, y: float, w: float, h: float) -> None:
        """Paint a `storyboard.drawing.Drawing` over the pixel rectangle (x, y, w, h), clipped
        to it, as the PDF does (`export.pdf._vector`): its background, then each path filled
        by the non-zero rule and stroked with round joins and caps, in drawing order. Smoothed
        (anti-aliased) only where the box is small (under 800 pixels across: previews, low
        dpi), as `storyboard.drawing.rasterise` does: at print size the ink is several pixels
        wide and needs none."""
        heads, coords = drawing.grid()  # coordinates in 1/16 drawing units
        canvas = self.canvas
        smooth = max(w, h) < _SMALL
        canvas.save()
        canvas.clipRect(skia.Rect.MakeXYWH(x, y, w, h), False)
        canvas.translate(x, y)
        sx, sy = w / drawing.width / 16, h / drawing.height / 16
        canvas.scale(sx, sy)
        box = (round(drawing.width * 16), round(drawing.height * 16))
        right, bottom = min(x + w, x + box[0] * sx), min(y + h, y + box[1] * sy)
        # The background, unless the drawing's own rectangles hide all of it (a sky in bands).
        if smooth or not _background_hidden(heads, coords, box, (x, y, right, bottom)):
            canvas.drawRect(skia.Rect.MakeWH(*box), _fill(tuple(drawing.background), smooth))
        # the pixels wholly inside the box, less one all round, are painted opaquely
        self._covered.append((math.ceil(x) + 1, math.ceil(y) + 1, math.floor(right) - 1, math.floor(bottom) - 1))
        points = np.asarray(coords, dtype=np.float32).tobytes()
        at = 0
        for fill, stroke, width, closed, n in heads:
            start, at = at, at + n
            stroked, filled = stroke is not None and width > 0, fill is not None and closed
            if n < 4 or not (stroked or filled):
                continue
            path = _path(points[4 * start:4 * at], (n // 2,), closed, _WINDING)
            if filled:
                canvas.drawPath(path, _fill(tuple(fill), smooth))
            if stroked:
                canvas.drawPath(path, _stroke(tuple(stroke), width * 16, smooth))
        canvas.restore()

    def shape(self, points: Sequence[tuple[float, float]], *, fill=None, stroke=None, width: float = 0.0,
              closed: bool = True, runs: Sequence[Sequence[tuple[float, float]]] | None = None) -> None:
        """Fill (even-odd, when `closed`) and stroke (round joins and caps, `width` pixels) a
        polyline of pixel `points` ((x, y) pairs, or an n x 2 array); colours are RGB 0-1. `runs`: the pieces of a dashed
        outline, stroked instead of the outline itself."""
        stroked = stroke is not None and width > 0 and len(points) > 1
        outline = _path(_floats(points), (len(points),), closed, _EVEN_ODD) if len(points) > 1 else None
        if fill is not None and closed and len(points) > 2:
            self.canvas.drawPath(outline, _fill(_byte_rgb(fill)))
        if stroked:
            if runs is not None:
                runs = [run for run in runs if len(run) > 1]
                if not runs:
                    return
                outline = _path(b"".join(map(_floats, runs)), tuple(len(run) for run in runs), False, _EVEN_ODD)
            ink = _byte_rgb(stroke)
            if width > 1:
                # Stroked here once, into the outline Skia would fill, rather than again for
                # each band of rows it crosses (the same pixels). A stroke up to a pixel wide
                # Skia draws otherwise (as a hairline, faded by its width).
                stroked_outline = skia.Path()
                _stroke(ink, width).getFillPath(outline, stroked_outline)
                self.canvas.drawPath(stroked_outline, _fill(ink))
            else:
                self.canvas.drawPath(outline, _stroke(ink, width))

    def text(self, chain, text: str, x: float, y: float, size: float, *, bold: bool = False, middle: bool = False,
             fill=(0.0, 0.0, 0.0), outline=None, outline_width: float = 0.0, skew: float = 0.0,
             vertical: bool = False) -> None:
        """Paint one line with the font chain as `text.draw.draw_text_pdf` paints it: (x, y)
        in pixels is the baseline's start (or middle, `middle`) or a vertical column's top
        centre; `size` and `outline_width` in pixels; colours RGB 0-1. The glyph outlines are
        filled (faux bold: also stroked FAUX_BOLD ems wide); an outline is the glyphs grown
        by its width in its colour, under the fill. A line without `outline`, its type up to
        `_STAMP_MAX` pixels, is copied glyph by glyph from images of them (`_glyph_image`)."""
        line = _line(chain, text, bold, vertical)
        x0 = x - line.advance * size / 2 if middle and not vertical else x
        lean = math.tan(math.radians(skew))
        ink = _byte_rgb(fill)
        if outline is None and size <= _STAMP_MAX:
            self._glyphs(line, x0, y, size, lean, ink)
            return
        from storyboard.text.fonts import FAUX_BOLD

        place = skia.Matrix.MakeAll(size, lean * size, x0, 0, -size, y, 0, 0, 1)
        canvas = self.canvas
        plain, faux = line.paths()
        for path, grow in ((plain, 0.0), (faux, FAUX_BOLD * size)):
            if path is None:
                continue
            placed = skia.Path()
            path.transform(place, placed)
            path = placed
            if outline is None:
                canvas.drawPath(path, _fill(ink))
                if grow:
                    canvas.drawPath(path, _stroke(ink, grow))
                continue
            line_rgb = _byte_rgb(outline)
            canvas.drawPath(path, _fill(line_rgb))
            canvas.drawPath(path, _stroke(line_rgb, outline_width + grow))
            extra = grow - outline_width
            canvas.drawPath(path, _fill(ink))
            if extra >= 0:
                canvas.drawPath(path, _stroke(ink, extra))
            else:
                canvas.drawPath(path, _stroke(line_rgb, -extra))

    def _glyphs(self, line: "_Line", x0: float, y: float, size: float, lean: float, ink) -> None:
        """Each glyph of a line copied from its image (`_glyph_image`) to where it starts."""
        draw, sampling, stamps = self.canvas.drawImage, _NEAREST, _STAMPS
        for face, gid, gx, gy, turn, faux in line.glyphs:
            # the glyph's origin in pixels, in quarters of a pixel
            qx, qy = round((x0 + size * (gx + lean * gy)) * _PHASES), round((y - size * gy) * _PHASES)
            key = (face, gid, turn, faux, size, lean, qx % _PHASES, qy % _PHASES, ink)
            stamp = stamps.get(key, _NEW)
            if stamp is _NEW:
                stamp = _glyph_image(*key)
            if stamp is not None:
                draw(stamp[0], qx // _PHASES + stamp[1], qy // _PHASES + stamp[2], sampling, None)

    def bands(self, stride: int = 0) -> Iterator[bytes]:
        """The page's rows, top down, `BAND_ROWS` at a time (the last band fewer): RGB,
        3 bytes a pixel, row after row; `stride` bytes apart where it is given, zeros after
        each row's pixels. Raises ValueError for a stride shorter than a row."""
        from PIL import Image

        from storyboard.export.png import raw_bytes

        width, height = self.size
        band = getattr(_BAND, "pixels", None)
        if band is None or band.shape[1] != width:
            band = _BAND.pixels = np.empty((BAND_ROWS, width, 4), np.uint8)
            _BAND.surface = skia.Surface(band, colorType=_PIXELS, alphaType=skia.kPremul_AlphaType)
        canvas, picture = _BAND.surface.getCanvas(), self._played()
        paper = _paper(self.size, self._covered)
        for top in range(0, height, BAND_ROWS):
            count = min(BAND_ROWS, height - top)
            for left, y0, right, y1 in paper:
                if y0 < top + count and y1 > top:
                    band[max(y0, top) - top:min(y1, top + count) - top, left:right] = 255
            canvas.save()
            canvas.translate(0, -top)
            canvas.drawPicture(picture)
            canvas.restore()
            yield raw_bytes(Image.frombuffer("RGBX", (width, count), band[:count], "raw", "RGBX", 0, 1), "RGB", stride)

    def pil(self):
        """The whole page as an "RGBX" PIL image (`export.png` encodes it as RGB;
        `.convert("RGB")` for an RGB image)."""
        from PIL import Image

        width, height = self.size
        pixels = np.empty((height, width, 4), np.uint8)
        for left, top, right, bottom in _paper(self.size, self._covered):
            pixels[top:bottom, left:right] = 255
        surface = skia.Surface(pixels, colorType=_PIXELS, alphaType=skia.kPremul_AlphaType)
        surface.getCanvas().drawPicture(self._played())
        return Image.frombuffer("RGBX", self.size, pixels, "raw", "RGBX", 0, 1)

    def _played(self):
        """The recorded picture (painting ends when it is first played)."""
        if self._picture is None:
            self._picture = self._recorder.finishRecordingAsPicture()
            self.canvas = self._recorder = None
        return self._picture


def _paper(size: tuple[int, int], covered) -> list[tuple[int, int, int, int]]:
    """The boxes (left, top, right, bottom) of the white paper left showing on a page of
    `size` pixels around the `covered` boxes: the page less their union, in horizontal
    slabs. Laid under the picture instead of clearing the whole page white first: a page
    of panels is mostly covered, and each clear of an A4 page at 300 dpi costs as much as
    a panel's fill (about 1.3 ms)."""
    width, height = size
    boxes = [(max(0, l), max(0, t), min(width, r), min(height, b)) for l, t, r, b in covered]
    boxes = [box for box in boxes if box[0] < box[2] and box[1] < box[3]]
    ys = sorted({0, height}.union(*((t, b) for _, t, _, b in boxes)))
    paper = []
    for top, bottom in zip(ys, ys[1:]):
        x = 0
        for left, right in sorted((l, r) for l, t, r, b in boxes if t <= top and b >= bottom):
            if left > x:
                paper.append((x, top, left, bottom))
            x = max(x, right)
        if x < width:
            paper.append((x, top, width, bottom))
    return paper


def _background_hidden(heads, coords, box: tuple[int, int], edges: tuple[float, float, float, float]) -> bool:
    """Whether a drawing's first paths are opaque rectangles filled across all of its `box`
    (width, height in 1/16 units, from (0, 0)), top down, each reaching the last, down to its
    bottom (a sky in bands), so that its background never shows. `edges`: the box's left,
    top, right and bottom in pixels; where one lies within 1/32 of a pixel of a pixel's
    middle, a rectangle reaching it and the clip might round it to different pixels (False).
    For drawings painted without anti-aliasing: where two rectangles meet, the rows of pixels
    are split between them, none left out."""
    if any(abs(edge % 1 - 0.5) < 1 / 32 for edge in edges):
        return False
    width, height = box
    reach, at = 0, 0
    for fill, _, _, closed, n in heads:
        if n != 8 or fill is None or not closed:
            return False
        x0, y0, x1, y1, x2, y2, x3, y3 = coords[at:at + 8]
        at += 8
        if not ((x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)):
            return False
        if min(x0, x2) > 0 or max(x0, x2) < width or min(y0, y2) > reach:
            return False
        reach = max(reach, y0, y2)
        if reach >= height:
            return True
    return False


_LINES: dict = {}


class _Line:
    """A shaped line in ems (origin at the line's start, y up): its glyphs that have an
    outline (not spaces) as (face, glyph id, x, y, sideways, emboldened by stroking) and its
    advance; `paths()` the glyphs as skia paths in ems: those of faces drawn as they are,
    and those emboldened (None for none)."""

    def __init__(self, chain, text: str, bold: bool, vertical: bool):
        from storyboard.text.draw import placed_glyphs
        from storyboard.text.shaping import shape

        shaped = shape(chain, text, bold, vertical)
        self.glyphs = tuple(g for g in placed_glyphs(chain, shaped, bold) if _glyph_path(g[0], g[1]) is not None)
        self.advance = shaped.advance
        self._paths = None

    def paths(self):
        if self._paths is None:
            layers = {False: None, True: None}
            for face, gid, gx, gy, turn, faux in self.glyphs:
                outline = _glyph_path(face, gid)
                if layers[faux] is None:
                    layers[faux] = skia.Path()
                layers[faux].addPath(outline, _glyph_matrix(face, gx, gy, turn))
            self._paths = (layers[False], layers[True])
        return self._paths


def _line(chain, text: str, bold: bool, vertical: bool) -> _Line:
    """The shaped line (`_Line`), remembered per process (labels and names recur)."""
    key = (id(chain), text, bold, vertical)
    hit = _LINES.get(key)
    if hit is not None and hit[0] is chain:
        return hit[1]
    value = _Line(chain, text, bold, vertical)
    if len(_LINES) > 2000:  # a few MB of glyphs and paths at most
        _LINES.clear()
    _LINES[key] = (chain, value)
    return value


def _glyph_matrix(face, x: float, y: float, sideways: bool):
    """Font units to the line's ems for a glyph at (x, y) ems, turned a quarter clockwise
    when `sideways`."""
    k = 1 / face.upem
    if sideways:
        return skia.Matrix.MakeAll(0, k, x, -k, 0, y, 0, 0, 1)
    return skia.Matrix.MakeAll(k, 0, x, 0, k, y, 0, 0, 1)


# Glyph images: a glyph is rasterised (by the same path filling as any shape) once per
# colour, size, slant and position within a pixel (in quarters of a pixel across and down),
# then copied wherever it recurs on the page and on later pages, instead of filling the
# line's outlines again for every band of rows it crosses. As the PDF paints each glyph on
# its own (a form XObject), overlapping glyphs are composited, not merged. The images are
# premultiplied RGBA in the glyph's colour, which Skia copies several times faster than it
# tints an alpha-only mask.
_PHASES = 4
_STAMP_MAX = 160.0  # pixels: larger type (rare, seldom repeated) is filled as paths
_STAMPS: dict = {}
_STAMP_BYTES = [0]
_NEAREST = skia.SamplingOptions()
_NEW = object()  # not yet in _STAMPS


def _glyph_image(face, gid: int, sideways: bool, faux: bool, size: float, lean: float, px: int, py: int,
                 ink: tuple[int, int, int]):
    """(skia image, left, top): the glyph in colour `ink` (RGB 0-255) at type `size` pixels,
    slanted by `lean` (x per y), its origin `px`/_PHASES and `py`/_PHASES pixels right
    of and below the top-left corner of the pixel (0, 0), from which the image's `left` and
    `top` are given; emboldened (`faux`) as `draw_text_pdf` does. None for a glyph with no
    outline. Made with the glyph's other positions across the pixel (a line's glyphs take
    them all), side by side in one image."""
    key = (face, gid, sideways, faux, size, lean, px, py, ink)
    hit = _STAMPS.get(key)
    if hit is not None or key in _STAMPS:
        return hit
    outline = _glyph_path(face, gid)
    row = [None] * _PHASES
    if outline is not None:
        from storyboard.text.fonts import FAUX_BOLD

        matrix = skia.Matrix.MakeAll(size, lean * size, 0, 0, -size, py / _PHASES, 0, 0, 1)
        matrix.preConcat(_glyph_matrix(face, 0.0, 0.0, sideways))
        path = skia.Path()
        outline.transform(matrix, path)
        grow = FAUX_BOLD * size if faux else 0.0
        box = path.computeTightBounds()
        # each cell holds the glyph moved right by up to a pixel, with a pixel to spare around
        left, top = math.floor(box.left() - grow / 2) - 1, math.floor(box.top() - grow / 2) - 1
        width, height = math.ceil(box.right() + grow / 2) + 2 - left, math.ceil(box.bottom() + grow / 2) + 1 - top
        surface = skia.Surface.MakeRaster(skia.ImageInfo.Make(width * _PHASES, height, _PIXELS, skia.kPremul_AlphaType))
        canvas = surface.getCanvas()
        canvas.clear(skia.ColorTRANSPARENT)
        fill, stroke = _fill(ink), _stroke(ink, grow) if faux else None
        for k in range(_PHASES):
            canvas.save()
            canvas.translate(k * width - left + k / _PHASES, -top)
            canvas.drawPath(path, fill)
            if stroke is not None:
                canvas.drawPath(path, stroke)
            canvas.restore()
        image = surface.makeImageSnapshot()
        row = [(image.makeSubset(skia.IRect.MakeXYWH(k * width, 0, width, height)), left, top)
               for k in range(_PHASES)]
        _STAMP_BYTES[0] += 4 * width * height * _PHASES
    if _STAMP_BYTES[0] > 32 << 20:  # thousands of glyphs (a CJK book may need more: then made again)
        _STAMPS.clear()
        _STAMP_BYTES[0] = 0
    for k, value in enumerate(row):
        _STAMPS[key[:6] + (k, py, ink)] = value
    return row[px]


_GLYPHS: dict = {}


def _glyph_path(face, gid: int):
    """The glyph's outline (`Face.outline`: font units, y up) as a skia path; None if empty."""
    key = (id(face), gid)
    hit = _GLYPHS.get(key)
    if hit is not None and hit[0] is face:
        return hit[1]
    path = skia.Path()
    for op in face.outline(gid):
        kind = op[0]
        if kind == "m":
            path.moveTo(op[1], op[2])
        elif kind == "l":
            path.lineTo(op[1], op[2])
        elif kind == "c":
            path.cubicTo(*op[1:7])
        else:
            path.close()
    value = path if path.countVerbs() else None
    _GLYPHS[key] = (face, value)
    return value


def _floats(points: Sequence[tuple[float, float]]) -> bytes:
    return np.asarray(points, np.float32).tobytes()


_RGB: dict = {}


def _byte_rgb(colour) -> tuple[int, int, int]:
    """An RGB colour 0-1 as bytes 0-255 (remembered: a page asks for a few colours often)."""
    key = tuple(colour)
    rgb = _RGB.get(key)
    if rgb is None:
        if len(_RGB) > 4096:
            _RGB.clear()
        rgb = _RGB[key] = tuple(round(255 * c) for c in key)
    return rgb


_PAINTS: dict = {}

# Pixels are kept in memory as R, G, B, X bytes (what `export.png` packs), but Skia is told
# they are B, G, R, A and given every colour with red and blue swapped: per channel the
# arithmetic is the same, and skia-python's blitters for that order are faster (about 2 ms
# of the ~20 an A4 page at 300 dpi takes to play and pack). Anti-aliased edges come out a
# level or two apart from the other order's here and there, as from another PDF viewer.
_PIXELS = skia.kBGRA_8888_ColorType


def _colour(rgb: tuple[int, int, int]):
    """The skia colour that puts the RGB bytes `rgb` in memory as R, G, B (see `_PIXELS`)."""
    r, g, b = rgb
    return skia.Color(b, g, r)


def _fill(rgb: tuple[int, int, int], smooth: bool = True):
    key = ("fill", rgb, smooth)
    paint = _PAINTS.get(key)
    if paint is None:
        paint = _PAINTS[key] = skia.Paint(Color=_colour(rgb), AntiAlias=smooth)
    return paint


def _stroke(rgb: tuple[int, int, int], width: float, smooth: bool = True):
    key = ("stroke", rgb, width, smooth)
    paint = _PAINTS.get(key)
    if paint is None:
        if len(_PAINTS) > 4096:  # widths vary with the page scale: a long run's paints stay few
            _PAINTS.clear()
        paint = _PAINTS[key] = skia.Paint(Color=_colour(rgb), AntiAlias=smooth, Style=skia.Paint.kStroke_Style,
                                          StrokeWidth=width, StrokeCap=skia.Paint.kRound_Cap,
                                          StrokeJoin=skia.Paint.kRound_Join)
    return paint


def _path(points: bytes, lengths: tuple[int, ...], closed: bool, fill_type: int):
    """A skia.Path of polylines: `points` (float32 x, y pairs, as bytes) split into contours
    of `lengths` points, each closed when `closed`."""
    head, tail = _frame(lengths, closed, fill_type)
    path = skia.Path()
    if path.readFromMemory(head + points + tail):
        return path
    # A Skia whose serialised form differs: the same path, point by point.
    xy = np.frombuffer(points, np.float32).reshape(-1, 2).tolist()
    path.setFillType(skia.PathFillType.kEvenOdd if fill_type == _EVEN_ODD else skia.PathFillType.kWinding)
    at = 0
    for n in lengths:
        path.addPoly(xy[at:at + n], closed)
        at += n
    return path


@lru_cache(maxsize=4096)
def _frame(lengths: tuple[int, ...], closed: bool, fill_type: int) -> tuple[bytes, bytes]:
    """The bytes of a serialised path before its points (header) and after them (verbs)."""
    verbs = bytearray()
    for n in lengths:
        verbs += bytes((_MOVE,)) + bytes((_LINE,)) * (n - 1) + (bytes((_CLOSE,)) if closed else b"")
    head = struct.pack("<4i", _VERSION | fill_type << 8, sum(lengths), 0, len(verbs))
    return head, bytes(verbs) + bytes(-len(verbs) % 4)
