"""A small vector drawing model: filled and stroked paths on a panel.

The draft engine makes a `Drawing` rather than a bitmap. The PDF writes it as vector paths
(`storyboard.export.pdf`), PNG and CBZ pages rasterise the same drawing at the page dpi
(`rasterise`), and the cache keeps it as a few kilobytes (`to_bytes` / `from_bytes`).

Coordinates are drawing units with the origin at the top-left corner, y down, over a
`width` x `height` canvas (the draft engine uses the panel's print pixels). Colours are RGB
0-255. A drawing is drawn in order; nothing outside the canvas is shown.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
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
        heads, coords = [], []
        for op in self.ops:
            heads.append([op.fill, op.stroke, round(op.width, 3), op.closed, len(op.points)])
            coords.extend(op.points)
        header = json.dumps([self.width, self.height, self.background, heads], separators=(",", ":")).encode()
        packed = struct.pack(f"<{len(coords)}i", *(round(v * 16) for v in coords))
        body = struct.pack("<I", len(header)) + header + packed
        return _MAGIC + zlib.compress(body, 6)

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
        except (zlib.error, struct.error, ValueError, TypeError) as err:
            raise ValueError(f"damaged drawing: {err}") from None
        ops = []
        at = 0
        for fill, stroke, width_, closed, n in heads:
            ops.append(Path(tuple(v / 16 for v in coords[at:at + n]), _rgb(fill), _rgb(stroke), width_, closed))
            at += n
        if at != len(coords):
            raise ValueError("damaged drawing: coordinates left over")
        return cls(width, height, tuple(background), tuple(ops))


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
