"""A small vector drawing model: filled and stroked paths on a panel.

The draft engine makes a `Drawing` rather than a bitmap. The PDF writes it as vector paths
(`storyboard.export.pdf`), PNG and CBZ pages paint the same paths at the page dpi
(`storyboard.export.canvas`), `rasterise` gives a panel-sized image (the draft engine's
`generate`, animatics), and the cache keeps it as a few kilobytes (`to_bytes` / `from_bytes`).

Coordinates are drawing units with the origin at the top-left corner, y down, over a
`width` x `height` canvas (the draft engine uses the panel's print pixels). Colours are RGB
0-255. A drawing is drawn in order; nothing outside the canvas is shown.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image, ImageDraw

RGB = tuple[int, int, int]
_MAGIC = b"SBDRAW1\n"


@dataclass(frozen=True)
class Path:
    """A polyline or polygon: `points` is a flat tuple x0, y0, x1, y1, ... in drawing units.
    `closed` joins the last point to the first; only closed paths are filled."""

    points: tuple[float, ...]
    fill: RGB | None = None
    stroke: RGB | None = None
    width: float = 0.0  # stroke width in drawing units; round caps and joins
    closed: bool = True




@dataclass(frozen=True)
class Drawing:
    """Everything drawn on one panel, in drawing order, over a plain `background`."""

    width: float
    height: float
    background: RGB
    ops: tuple[Path, ...]

    def to_bytes(self) -> bytes:
        """A compact, deterministic encoding: the same drawing always gives the same bytes.
        Coordinates are kept to 1/16 of a unit (a 300 dpi pixel: well under the ink width)."""
        heads, coords = self.grid()
        header = json.dumps([self.width, self.height, self.background, heads], separators=(",", ":")).encode()
        body = b"".join((struct.pack("<I", len(header)), header, struct.pack(f"<{len(coords)}i", *coords)))
        return _MAGIC + zlib.compress(body, 6)

    def grid(self) -> tuple[list[list], "Sequence[int]"]:
        """The paths as `to_bytes` keeps them: for each path [fill, stroke, width (to 1/1000),
        closed, how many coordinates], and all the coordinates in 1/16 units (ints). A drawing
        read by `from_bytes` gives what was read (no `Path` is ever made for a drawing only
        written into a PDF); another works them out once (the cache and the PDF both ask)."""
        if isinstance(self.ops, _Stored):
            return self.ops.heads, self.ops.coords
        grid = self.__dict__.get("_grid")
        if grid is None:
            import itertools

            import numpy as np

            ops = self.ops
            scaled = np.array(list(itertools.chain.from_iterable(op.points for op in ops)), dtype=float) * 16
            if not np.isfinite(scaled).all():
                raise ValueError("a drawing's coordinates must be finite numbers")
            grid = ([[op.fill, op.stroke, round(op.width, 3), op.closed, len(op.points)] for op in ops],
                    np.rint(scaled).astype(np.int64).tolist())  # round(v * 16): half to even, as np.rint
            object.__setattr__(self, "_grid", grid)  # no field: equality and bytes ignore it
        return grid

    @classmethod
    def from_bytes(cls, data: bytes) -> "Drawing":
        """The drawing `to_bytes` encoded. Raises ValueError on anything else (damaged data)."""
        if not data.startswith(_MAGIC):
            raise ValueError("not a storyboard drawing")
        try:
            body = zlib.decompress(data[len(_MAGIC):])
            (size,) = struct.unpack_from("<I", body)
            width, height, background, heads = json.loads(body[4:4 + size])
            raw = body[4 + size:]
            coords = struct.unpack(f"<{len(raw) // 4}i", raw)
            if sum(n for _, _, _, _, n in heads) != len(coords):
                raise ValueError("coordinates left over")
        except (zlib.error, struct.error, ValueError, TypeError) as err:
            raise ValueError(f"damaged drawing: {err}") from None
        return cls.from_grid(width, height, tuple(background), heads, coords)

    @classmethod
    def from_grid(cls, width: float, height: float, background: RGB, heads: list[list],
                  coords: "Sequence[int]") -> "Drawing":
        """The drawing whose stored form (`grid`) is `heads` and `coords`: what `from_bytes`
        reads, and what a maker that works in that form (the draft engine) gives. Its paths
        are made only if something asks for them."""
        return cls(width, height, background, _Stored(heads, coords))

    def stored(self) -> "Drawing":
        """This drawing as the cache gives it back, `from_bytes(to_bytes())`, without the
        bytes: what a page is drawn from must not depend on whether the drawing was just made
        or read from the cache. Coordinates to 1/16 of a unit, stroke widths to 1/1000; a
        drawing that is so already (made in the stored form, `from_grid`) is returned as it is."""
        if isinstance(self.ops, _Stored) or self._is_stored():
            return self
        return Drawing(_number(self.width), _number(self.height), tuple(map(_number, self.background)),
                       tuple(Path(tuple([round(v * 16) / 16 for v in op.points]), _rgb(op.fill), _rgb(op.stroke),
                                  _number(round(op.width, 3)), op.closed) for op in self.ops))

    def _is_stored(self) -> bool:
        import itertools

        import numpy as np

        ops = self.ops
        if {type(self.width), type(self.height)} - {int, float} or not _is_rgb(self.background):
            return False
        if ({type(op.points) for op in ops} - {tuple} or {type(op.closed) for op in ops} - {bool}
                or {type(op.width) for op in ops} - {int, float}
                or any(round(w, 3) != w for w in {op.width for op in ops})
                or not all(map(_is_rgb, {id(c): c for op in ops for c in (op.fill, op.stroke) if c is not None}.values()))):
            return False
        points = list(itertools.chain.from_iterable(op.points for op in ops))
        if set(map(type, points)) - {float}:
            return False
        scaled = np.array(points, dtype=float) * 16
        # What the bytes keep: 32-bit multiples of 1/16, and no negative zero.
        return bool(np.array_equal(np.round(scaled), scaled) and not np.signbit(scaled[scaled == 0]).any()
                    and (not len(scaled) or np.abs(scaled).max() < 2 ** 31))


class _Stored(Sequence):
    """The paths of a drawing read from its bytes (`Drawing.grid`'s form), made into `Path`s
    on first use: the PDF writer reads the stored form and never needs them. Compares and
    hashes as the tuple of those paths."""

    __slots__ = ("heads", "coords", "_paths")

    def __init__(self, heads: list[list], coords: "Sequence[int]"):
        self.heads, self.coords, self._paths = heads, coords, None

    def paths(self) -> tuple[Path, ...]:
        if self._paths is None:
            out, at = [], 0
            for fill, stroke, width, closed, n in self.heads:
                out.append(Path(tuple([v / 16 for v in self.coords[at:at + n]]), _rgb(fill), _rgb(stroke), width,
                                closed))
                at += n
            self._paths = tuple(out)
        return self._paths

    def __getitem__(self, index):
        return self.paths()[index]

    def __len__(self) -> int:
        return len(self.heads)

    def __iter__(self):
        return iter(self.paths())

    def __eq__(self, other) -> bool:
        return self.paths() == (other.paths() if isinstance(other, _Stored) else other)

    def __hash__(self) -> int:
        return hash(self.paths())

    def __repr__(self) -> str:
        return repr(self.paths())


def _is_rgb(value) -> bool:
    return type(value) is tuple and len(value) == 3 and {type(v) for v in value} == {int}


def _number(value):
    """`value` as a JSON round trip gives it back (an int stays an int)."""
    return value if type(value) is int else float(value)


def _rgb(value) -> RGB | None:
    return None if value is None else (int(value[0]), int(value[1]), int(value[2]))


def rasterise(drawing: Drawing, width: int, height: int) -> "Image.Image":
    """The drawing as a `width` x `height` RGB PIL image (scaled to fit exactly).

    Small images are drawn at twice the size and reduced, since PIL draws without
    anti-aliasing; at print size the ink is several pixels wide and needs none. Usable at any
    size, e.g. a generation-size sketch for an image-to-image engine."""
    from PIL import Image, ImageDraw

    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    ss = 2 if max(width, height) < 800 else 1
    sx, sy = width * ss / drawing.width, height * ss / drawing.height
    image = Image.new("RGB", (width * ss, height * ss), drawing.background)
    draw = ImageDraw.Draw(image)
    for op in drawing.ops:
        pts = op.points
        xy = [(pts[i] * sx, pts[i + 1] * sy) for i in range(0, len(pts) - 1, 2)]
        if op.fill is not None and op.closed and len(xy) > 2:
            draw.polygon(xy, fill=op.fill)
        if op.stroke is not None and op.width > 0 and len(xy) > 1:
            w = max(1, round(op.width * (sx + sy) / 2))
            line = [*xy, xy[0], xy[1]] if op.closed and len(xy) > 2 else xy
            if len(xy) > 2:
                curve_line(draw, line, op.stroke, w)
            else:
                draw.line(line, fill=op.stroke, width=w)
            if w > 3 and not op.closed:  # round caps, as the PDF draws them
                for x, y in (xy[0], xy[-1]):
                    draw.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=op.stroke)
    return image.reduce(ss) if ss != 1 else image


def curve_line(draw: "ImageDraw.ImageDraw", xy: list[tuple[float, float]], fill, width: int) -> None:
    """`draw.line(xy, fill, width, joint="curve")`, drawn with Pillow's own joint rule (Pillow
    10 to 13: a pie slice at each bend, and for lines over 8 pixels a 3-pixel line over the gap)
    but without its per-bend Python overhead (a third of a draft page's drawing time): the same
    drawing calls with the same numbers, so the same pixels. `xy`: a list of (x, y) pixels."""
    core = draw.draw
    ink = draw._getink(fill)[0]
    if ink is None or width == 0:
        return
    core.draw_lines(xy, ink, width)
    if width <= 4 or len(xy) < 3:
        return
    degrees, atan2, radians, cos, sin = math.degrees, math.atan2, math.radians, math.cos, math.sin
    # each segment's heading, clockwise from up, as Pillow computes it for both of its ends
    heading = [degrees(atan2(x1 - x0, y0 - y1)) % 360 for (x0, y0), (x1, y1) in zip(xy, xy[1:])]
    half = width / 2 - 1

    def at(p, angle):  # Pillow's coord_at_angle
        angle = radians(angle - 90)
        dx, dy = half * cos(angle), half * sin(angle)
        return (p[0] + (math.floor(dx) if dx > 0 else math.ceil(dx)),
                p[1] + (math.floor(dy) if dy > 0 else math.ceil(dy)))

    for i in range(1, len(xy) - 1):
        a0, a1 = heading[i - 1], heading[i]
        if a0 == a1:  # straight on: no joint
            continue
        x, y = point = xy[i]
        flipped = (a1 > a0 and a1 - 180 > a0) or (a1 < a0 and a1 + 180 > a0)
        start, end = (a1 + 90, a0 + 90) if flipped else (a0 - 90, a1 - 90)
        core.draw_pieslice([(x - width / 2 + 1, y - width / 2 + 1), (x + width / 2 - 1, y + width / 2 - 1)],
                           start - 90, end - 90, ink, 1)
        if width > 8:  # cover the gaps between the line and the joint
            turn = 90 if flipped else -90
            core.draw_lines([at(point, a0 + turn), point, at(point, a1 + turn)], ink, 3)
