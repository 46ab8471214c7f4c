"""The draft engine: a pencil blocking sketch of each panel, with no model.

It shows what a storyboard artist's thumbnail shows: the framing (horizon and figure scale
follow `shot` and `angle`) and where each cast member stands (a silhouette in its region).
The sketch is a vector `Drawing` (`draw`), written into the PDF as paths and rasterised for
PNG pages (`render`); the shot label, action note and name tags are lettered on the page
(`storyboard.export.labels`), where they can keep inside the live area and off the balloons.
Everything random comes from the request's seed: the same request gives the same drawing.
"""

from __future__ import annotations

import itertools
import math
import re
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from storyboard.drawing import Drawing, rasterise
from storyboard.engines import _figures, _props, _sets
from storyboard.engines._palette import GRAPHITE, PAPER, SHADE
from storyboard.engines.base import CastMember, PanelRequest
from storyboard.staging import CLOSE_SHOTS, HORIZON, STRETCH, dutch_tilt, mentions, naming_words, species

if TYPE_CHECKING:
    from PIL import Image

# Bump whenever the drawing changes: it is part of the panel cache key.
VERSION = "40"

PAPER_SHADE = (222, 218, 208)
LIGHT_LINE = (150, 150, 156)
# Low-saturation tints, one per cast member (at most five in a panel).
FIGURE_TINTS = [(166, 178, 198), (200, 176, 158), (168, 192, 170), (192, 170, 194), (204, 192, 150)]
# From this head height (in the panel's shorter side) a figure has eyes, brows and a mouth:
# every medium shot (a two-shot's heads are 0.08 to 0.13; "Bo laughs" must show it), no wide one (0.066).
FACE_MIN = 0.08
FOREGROUND_TINT = (96, 98, 108)  # the back turned to us in an over-the-shoulder shot

# Radius of the stand-in subject of a panel without cast, in fractions of the shorter side.
SUBJECT_SCALE = {"establishing": 0.1, "wide": 0.14, "medium": 0.22, "over-shoulder": 0.22,
                 "close-up": 0.32, "extreme-close-up": 0.45}
ANGLES = (*HORIZON, "birds-eye")  # bird's-eye has no horizon

_HOLDING = re.compile(r"\b(?:hold|holds|holding|held|with|fly|flies|flying|flew|pull|pulls|pulling|tug\w*)\b")

# Colours of the sets (`_sets`): apart from every figure tint and the props' tint.
GRASS, GRASS_LINE = (216, 224, 198), (122, 148, 104)
# A garden's rows are lighter than a plant prop's colours (`_props.LEAF`, `_props.SOIL`): background, not subject.
GARDEN_LEAF, GARDEN_SOIL, SAND = (136, 170, 110), (218, 206, 188), (234, 222, 194)
FOLIAGE, WALL, WOOD = (160, 176, 140), (236, 233, 225), (204, 186, 160)
BUILDING, ROOF_TILE, CLOUD = (212, 208, 200), (196, 168, 150), (252, 251, 248)
LANTERN = (250, 222, 150)
AWNING = (196, 120, 108)  # a stall's or shop's awning
MOON, STAR = (248, 242, 214), (252, 249, 236)
BALLAST, SAFETY_LINE = (200, 196, 188), (226, 196, 96)  # a railway track bed, a platform edge
QUAY_STONE = (206, 202, 194)  # a harbour's quay, in front of the water
# People by the water stand on its shore, not on the waves: a harbour's stone quay, else a
# beach; unless the setting or action puts them in it, on a boat or out at sea.
_QUAYSIDE = re.compile(r"\b(harbou?rs?|piers?|quays?|quayside|docks?|ports?|wharf|wharves|jett(?:y|ies)|marinas?)\b"
                       r"|港|波止場|桟橋|埠頭", re.IGNORECASE)
_AFLOAT = re.compile(r"\b(swim\w*|swam|sail(?:s|ing|ed)?|surf(?:s|ing)|div(?:e|es|ing)|dove|floats?|floating|drown\w*|open (?:sea|water|ocean)|at sea|offshore|mid-ocean|"
                     r"wad(?:e|es|ing)|paddl\w*|rowing|rowed|aboard|overboard)\b|\b(?:in|on|into|rows?) (?:a|the|their|his|her) "
                     r"(?:\w+ )?(?:boat|ship|dinghy|canoe|kayak|raft|water|sea|waves)\b", re.IGNORECASE)


class DraftEngine:
    """Blocking sketches in milliseconds, as vector drawings at the requested size."""

    name = "draft"
    generative = False  # sketches, not machine-learning images: no watermark
    uses_identities = False
    renders_at_print_size = True
    draws_vectors = True  # `draw` gives a Drawing: the renderer keeps it as vectors
    labels_panels = True  # pages letter the shot label, action note and name tags on its panels

    def settings(self) -> dict[str, Any]:
        # "tints": the figures' colours follow each member's `tint` (its character), which the
        # panel key then includes; engines that ignore tints keep their keys.
        return {"name": self.name, "version": VERSION, "tints": "by character"}

    def draw(self, request: PanelRequest) -> Drawing:
        """The sketch of one panel in request pixels (width x height drawing units)."""
        width, height = request.width, request.height
        if width <= 0 or height <= 0:
            raise ValueError(f"{request.label}: panel size must be positive, got {width}x{height}")
        if request.shot not in SUBJECT_SCALE or request.angle not in ANGLES:
            raise ValueError(f"{request.label}: unknown shot '{request.shot}' or angle '{request.angle}'")
        rng = np.random.Generator(np.random.PCG64(request.seed))  # default_rng(seed), without its checks
        tilt = 0.0
        if request.angle == "dutch":
            # Fixed by the panel's place, which the lettering knows too (`staging.dutch_tilt`);
            # the two draws its seed once gave it still taken, so the rest of the sketch is as before.
            rng.uniform(9, 15), rng.random()
            tilt = dutch_tilt(request.scene, request.panel)
        sketch = _Sketch.new(width, height, tilt, rng, request)
        sketch.background()
        sketch.figures()
        if sketch.front is not None:
            sketch.draw_front()
        move = _props.camera_move(request.action)
        if move is not None:  # on top: the storyboard's own mark for a camera move
            _props.move_arrows(move, sketch.draw, sketch.ox, sketch.oy, sketch.w, sketch.h, sketch.line)
        return sketch.finish()

    def render(self, request: PanelRequest) -> "Image.Image":
        """The sketch rasterised at exactly `request.width` x `request.height`."""
        return rasterise(self.draw(request), request.width, request.height)


class _Pen:
    """Records what `_Sketch` draws, with PIL's ImageDraw calling conventions, in the form a
    `Drawing` keeps (`Drawing.grid`): a [fill, stroke, width, closed, how many coordinates]
    head per path and every path's x0, y0, x1, y1, ... in one list, which `_Sketch.finish`
    rounds to the stored precision."""

    def __init__(self):
        self.heads: list[list] = []
        self.points: list[float] = []

    def _path(self, xy, fill, stroke, width: float, closed: bool) -> None:
        points = self.points
        before = len(points)
        seq = xy if type(xy) is list else list(xy)
        if seq and isinstance(seq[0], (tuple, list, np.ndarray)):  # (x, y) pairs
            points.extend(itertools.chain.from_iterable(seq))
        else:
            points.extend(seq)
        self.heads.append([fill, stroke, _kept_width(width), closed, len(points) - before])

    def line(self, xy, fill, width: float = 1, joint=None) -> None:
        self._path(xy, None, fill, width, False)

    def polygon(self, xy, fill=None, outline=None, width: float = 1) -> None:
        self._path(xy, fill, outline, width if outline else 0.0, True)

    def rectangle(self, box, fill=None, outline=None, width: float = 1) -> None:
        x0, y0, x1, y1 = box
        self.points.extend((x0, y0, x1, y0, x1, y1, x0, y1))
        self.heads.append([fill, outline, _kept_width(width if outline else 0.0), True, 8])

    def ellipse(self, box, fill=None, outline=None, width: float = 1) -> None:
        x0, y0, x1, y1 = box
        rx, ry = (x1 - x0) / 2, (y1 - y0) / 2
        cx, cy = x0 + rx, y0 + ry
        # Enough corners that the outline reads as a curve at its size (a few units apart).
        circle = _circle(int(min(40, max(10, math.pi * (rx + ry) / 6))))
        self.points.extend(itertools.chain.from_iterable((cx + rx * c, cy + ry * s) for c, s in circle))
        self.heads.append([fill, outline, _kept_width(width if outline else 0.0), True, 2 * len(circle)])


@lru_cache(maxsize=256)
def _kept_width(width: float) -> float:
    """A stroke width as a drawing keeps it: to 1/16 unit, then to 1/1000 (`Drawing.grid`)."""
    return round(round(float(width) * 16) / 16, 3)


@lru_cache(maxsize=64)
def _circle(n: int) -> tuple[tuple[float, float], ...]:
    return tuple((math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)) for i in range(n))


class _Sketch:
    """One panel being drawn on a canvas big enough to be rotated for a dutch angle."""

    def __init__(self, size, w, h, ox, oy, tilt, rng, request):
        self.draw = _Pen()
        self.size = size  # (width, height) of the canvas
        self.w, self.h = w, h  # the panel, in canvas units
        self.ox, self.oy = ox, oy  # where the panel sits on the (larger) canvas
        self.tilt, self.rng, self.request = tilt, rng, request
        self.unit = min(w, h)
        self.line = max(1, round(self.unit * 0.004))
        self.place = _sets.place(request.setting, request.action)
        self.front = None  # a part of the set in front of the cast (a counter), drawn after them
        self.floor = None  # where the ground or floor the set shows starts (canvas y), for the hatching
        self.walls = None  # a room's (vanishing x, horizon y, back wall left, right, bottom): the floor between
        self.horizon = None if request.angle == "birds-eye" else HORIZON[request.angle] * h

    @cached_property
    def staged(self) -> tuple:
        """Where staging stands each cast member (`staging.StagedFigure`), in cast order."""
        if not self.request.cast:
            return ()
        return tuple(self.request.staging or _stage_request(self.request))

    @classmethod
    def new(cls, w, h, tilt, rng, request):
        cw, ch = w, h
        if tilt:  # room to rotate without bare corners
            rad = math.radians(abs(tilt))
            cw = math.ceil(w * math.cos(rad) + h * math.sin(rad)) + 2
            ch = math.ceil(w * math.sin(rad) + h * math.cos(rad)) + 2
        sketch = cls((cw, ch), w, h, (cw - w) / 2, (ch - h) / 2, tilt, rng, request)
        _paper(sketch.draw, cw, ch, rng, dark=sketch.place.dark)
        return sketch

    def finish(self) -> Drawing:
        """The panel as a drawing: rotated about the canvas centre for a dutch angle, then
        shifted so the panel's top-left corner is the origin (the rest is clipped).
        Coordinates are kept to 1/16 unit and widths to 1/1000, the precision of
        `Drawing.to_bytes`: the drawing is made in the stored form itself (`Drawing.grid`),
        so it is the very drawing the cache gives back, and no `Path` is made unless
        something reads the paths (a PNG page does; the PDF and the cache do not)."""
        xy = np.array(self.draw.points, dtype=float).reshape(-1, 2)
        if self.tilt:
            t = math.radians(self.tilt)
            c, s = math.cos(t), math.sin(t)
            cx, cy = self.size[0] / 2, self.size[1] / 2
            x, y = xy[:, 0] - cx, xy[:, 1] - cy
            xy = np.stack([c * x - s * y + cx - self.ox, s * x + c * y + cy - self.oy], axis=1)
        scaled = np.rint(xy.ravel() * 16)  # half to even, as Drawing.grid rounds
        if not np.isfinite(scaled).all():
            raise ValueError("a drawing's coordinates must be finite numbers")
        return Drawing.from_grid(self.w, self.h, PAPER, self.draw.heads, scaled.astype(np.int64).tolist())

    # ------------------------------------------------------------------ background

    def background(self) -> None:
        """The set the action and setting name (`_sets`), at the shot's horizon."""
        place = self.place
        if self.horizon is None:
            self._floor_from_above(place)
        elif place.interior == "stall" and self.request.shot in ("establishing", "wide"):
            self._outdoors(place)  # a stall seen from afar: a booth in the street
            self._booth(1 if self.rng.random() < 0.5 else -1)
        elif place.interior is not None:
            getattr(self, "_" + place.interior)()
        else:
            self._outdoors(place)
        self._hatching()

    def _pencil(self, points, width: int | None = None) -> None:
        """A loose pencil stroke: the line drawn twice with a slight seeded wobble."""
        width = width or self.line
        jitter = self.unit * 0.002
        self.draw.line(points, fill=GRAPHITE, width=width)
        # One draw for every offset: the same numbers, in the same order, as one per coordinate.
        noise = iter(self.rng.normal(0, jitter, 2 * len(points)).tolist())
        shaken = [(x + next(noise), y + next(noise)) for x, y in points]
        self.draw.line(shaken, fill=LIGHT_LINE, width=max(1, width // 2))

    def _shape(self, points, fill, width: int) -> None:
        """A filled polygon with an inked outline."""
        self.draw.polygon(points, fill=fill, outline=GRAPHITE, width=width)

    def _outdoors(self, place: _sets.Place) -> None:
        cw, ch = self.size
        hy = self.oy + self.horizon
        self.draw.rectangle((0, hy, cw, ch), fill=PAPER_SHADE)
        establishing = self.request.shot == "establishing"
        # Far features are bigger in an establishing shot, where the place is the subject.
        reach = self.h * (0.3 if establishing else 0.14)
        far = place.far or ("city" if place.ground == "roof" else None)  # a roof stands in a city
        if far == "city" and self.request.angle == "low":
            self._towers(hy)
        elif far == "city":
            self._skyline(hy, reach)
        elif far == "town":
            self._houses(hy, reach)
        elif far == "forest":
            self._tree_line(hy, reach)
        elif far == "lighthouse" and (self.request.cast or _props.prop_for(self.request.action) != "lighthouse"):
            self._headland(hy, reach)  # (not when the lighthouse is the cast-less panel's subject)
        else:
            self._ridge(hy, reach)
        self._pencil([(0, hy), (cw, hy)], width=self.line + 1)
        ground = self._ground(place)
        self.floor = None if ground == "sea" else hy  # open water is no surface to shade
        if ground in ("sea", "beach", "quay"):
            self._waves(hy)
            if ground == "beach":
                self._sand(hy)
            elif ground == "quay":
                self._quay(hy)
        elif ground == "hill":
            self._hill(hy)
        elif ground == "field":
            self._tufts(hy, lambda x: hy)
        elif ground == "garden":
            self._rows(hy)
        elif ground == "street":
            self._road(hy)
        elif ground == "market":  # the street with a lit booth at each side
            self._road(hy)
            for side in (-1, 1):
                self._booth(side)
        elif ground == "platform":
            self._platform(hy)
        else:
            self._ground_lines(hy)
            if ground == "roof":
                self._parapet(hy)
        if place.front is not None:
            self._shopfront(hy, reach)
        if place.moon:
            self._moon(hy)
        if place.sky:
            self._clouds(hy)

    def _ground(self, place: _sets.Place) -> str | None:
        """The ground the set shows: the one named; under a lighthouse named alone its sea, with
        the cast on the shore before it."""
        if place.ground is None and place.far == "lighthouse":
            return "beach" if self.request.cast else "sea"
        words = f"{self.request.setting} {self.request.action}"
        if place.ground == "sea" and self.request.cast and not _AFLOAT.search(words):
            # The cast by the water stands on its shore (`_QUAYSIDE`: a harbour's quay).
            return "quay" if _QUAYSIDE.search(words) else "beach"
        return place.ground

    def _headland(self, hy: float, reach: float) -> None:
        """A lighthouse on a headland at one side of the horizon: a cliff falling to the sea."""
        side = 1 if self.rng.random() < 0.5 else -1  # the edge it rises from

        def at(inward: float, up: float) -> tuple[float, float]:  # from the frame's edge, in panel widths / reach
            edge = self.ox + (1.02 if side > 0 else -0.02) * self.w
            return edge - side * inward * self.w, hy - up * reach

        top = [at(0.0, 0.55), at(0.12, 0.6), at(0.26, 0.5), at(0.3, 0.42)]
        self._shape([at(0.0, 0.0), *top, at(0.34, 0.08), at(0.37, 0.0)], (214, 211, 203), self.line)
        x, y = at(0.14, 0.6)
        r = 0.32 * reach
        _props.draw("lighthouse", self.draw, self._shape, self.request.action, x, y - r, r,
                    max(self.line, round(r * 0.03)), canvas=(0.0, 0.0, *self.size))

    def _platform(self, hy: float) -> None:
        """A railway platform running to the vanishing point beside the track: its edge with
        a yellow safety line, the rails on their sleepers below it."""
        cw, ch = self.size
        vx = self.ox + self.rng.uniform(0.35, 0.65) * self.w
        side = 1 if self.rng.random() < 0.5 else -1  # the side the track is on
        mid = self.ox + (0.5 + 0.08 * side) * self.w  # the platform's edge at the frame's bottom

        def ray(x: float, k: float) -> tuple[float, float]:  # from the vanishing point toward (x, bottom)
            return vx + (x - vx) * k, hy + (ch - hy) * k

        far_side = self.ox + (0.5 + 1.6 * side) * self.w
        self.draw.polygon([(vx, hy), (far_side, ch), (mid, ch)], fill=BALLAST)  # the track bed
        self.draw.polygon([(vx, hy), (mid, ch), (mid + side * 0.05 * self.w, ch)], fill=SHADE)  # the platform's face
        rails = (mid + side * 0.25 * self.w, mid + side * 0.75 * self.w)
        for k in (0.06, 0.1, 0.16, 0.25, 0.38, 0.56, 0.8, 1.05):  # sleepers, further apart nearer
            self.draw.line((*ray(rails[0] - side * 0.06 * self.w, k), *ray(rails[1] + side * 0.06 * self.w, k)),
                           fill=LIGHT_LINE, width=self.line + 1)
        for x in rails:
            self._pencil([(vx, hy), ray(x, 1.1)], width=self.line + 1)
        self._pencil([(vx, hy), (mid, ch)], width=self.line + 1)  # the edge
        self.draw.line((vx, hy, mid - side * 0.05 * self.w, ch), fill=SAFETY_LINE, width=self.line + 1)

    def _shopfront(self, hy: float, reach: float) -> None:
        """A building's front (the shop or cafe the action sees from the street) standing at one
        side: a sign over a wide window, lit at night or when it glows, a door beside it."""
        side = 1 if self.rng.random() < 0.5 else -1
        fw = 0.4 * self.w
        x0 = self.ox + (0.56 if side > 0 else 0.04) * self.w
        base = hy + 0.03 * self.h
        top = max(self.oy + 0.06 * self.h, base - max(1.6 * reach, 0.22 * self.h))
        fh = base - top
        self.draw.rectangle((x0, top, x0 + fw, base), fill=BUILDING, outline=GRAPHITE, width=self.line)
        self.draw.rectangle((x0, top, x0 + fw, top + 0.16 * fh), fill=ROOF_TILE, outline=GRAPHITE, width=self.line)
        lit = self.place.dark or bool({"glow", "glows", "glowing", "lit", "light", "lights", "neon"}
                                      & set(_sets.words(self.request.action)))
        self.draw.rectangle((x0 + 0.08 * fw, top + 0.36 * fh, x0 + 0.6 * fw, top + 0.84 * fh),
                            fill=LANTERN if lit else _props.GLASS, outline=GRAPHITE, width=self.line)
        self.draw.rectangle((x0 + 0.7 * fw, top + 0.36 * fh, x0 + 0.9 * fw, base), fill=WOOD, outline=GRAPHITE,
                            width=self.line)
        self._shape([(x0 + 0.04 * fw, top + 0.2 * fh), (x0 + 0.64 * fw, top + 0.2 * fh),
                     (x0 + 0.68 * fw, top + 0.3 * fh), (x0, top + 0.3 * fh)], AWNING, self.line)  # awning

    def _waves(self, hy: float) -> None:
        cw, ch = self.size
        xs, period = _linspace(0, cw, 40), self.unit * 0.05
        for i in range(6):
            y = hy + (ch - hy) * (0.1 + 0.15 * i) ** 1.2
            amp = self.unit * 0.006 * (1 + i)
            phase = self.rng.uniform(0, 2 * math.pi)
            waves = [(x, y + amp * math.sin(x / period + phase)) for x in xs]
            self.draw.line(waves, fill=LIGHT_LINE, width=self.line)

    def _skyline(self, hy: float, reach: float) -> None:
        """A row of seeded buildings standing on the horizon."""
        x = -self.rng.uniform(0, 0.1) * self.w
        while x < self.size[0]:
            bw = self.rng.uniform(0.06, 0.16) * self.w
            bh = self.rng.uniform(0.3, 1.0) * reach
            self.draw.rectangle((x, hy - bh, x + bw, hy), fill=BUILDING, outline=GRAPHITE, width=self.line)
            for wy in np.arange(hy - bh + bh * 0.12, hy - bh * 0.1, max(bh * 0.18, 3)):
                self.draw.line((x + bw * 0.2, wy, x + bw * 0.8, wy), fill=LIGHT_LINE, width=self.line)
            x += bw + self.rng.uniform(0, 0.03) * self.w

    def _ridge(self, hy: float, reach: float) -> None:
        """Hills or cliffs along the horizon: a seeded random walk."""
        cw = self.size[0]
        steps = 24
        heights = np.clip(np.abs(np.cumsum(self.rng.normal(0, 0.35, steps))) / 3 + 0.15, 0.1, 1.0) * reach
        ridge = [(x, hy - y) for x, y in zip(_linspace(0, cw, steps), heights.tolist())]
        self.draw.polygon([(0, hy), *ridge, (cw, hy)], fill=(214, 211, 203))
        self._pencil(ridge)

    def _towers(self, hy: float) -> None:
        """Seen from below, buildings rise and converge on a vanishing point above the frame."""
        cw = self.size[0]
        vx, vy = self.ox + self.rng.uniform(0.35, 0.65) * self.w, self.oy - 1.5 * self.h

        def toward(x: float, y: float) -> float:  # x on the line from (x, hy) to the vanishing point
            return x + (vx - x) * (hy - y) / (hy - vy)

        x = -self.rng.uniform(0, 0.1) * self.w
        while x < cw:
            bw = self.rng.uniform(0.12, 0.26) * self.w
            top = self.oy + self.rng.uniform(0.0, 0.45) * self.h
            quad = [(x, hy), (x + bw, hy), (toward(x + bw, top), top), (toward(x, top), top)]
            self._shape(quad, BUILDING, self.line)
            for wy in np.arange(hy - self.h * 0.06, top, -self.h * 0.07):
                self.draw.line((toward(x + bw * 0.2, wy), wy, toward(x + bw * 0.8, wy), wy), fill=LIGHT_LINE,
                               width=self.line)
            x += bw + self.rng.uniform(0.02, 0.08) * self.w

    def _ground_lines(self, hy: float) -> None:
        """Perspective lines on the ground, converging on a seeded vanishing point."""
        cw, ch = self.size
        vx = self.ox + self.rng.uniform(0.3, 0.7) * self.w
        for t in _linspace(-1.5, 2.5, 11):
            self.draw.line((vx, hy, self.ox + t * self.w, ch), fill=LIGHT_LINE, width=self.line)

    def _houses(self, hy: float, reach: float) -> None:
        """A small town along the horizon: a row of seeded houses with pitched roofs."""
        x = -self.rng.uniform(0, 0.05) * self.w
        while x < self.size[0]:
            bh = self.rng.uniform(0.12, 0.2) * min(reach, 0.25 * self.unit)
            bw = bh * self.rng.uniform(1.1, 1.8)
            roof = bh * 0.55
            self._shape([(x, hy), (x + bw, hy), (x + bw, hy - bh), (x + bw / 2, hy - bh - roof), (x, hy - bh)],
                        BUILDING, self.line)
            self.draw.line((x - bw * 0.08, hy - bh, x + bw / 2, hy - bh - roof, x + bw * 1.08, hy - bh),
                           fill=GRAPHITE, width=self.line + 1)  # the eaves overhang
            x += bw + self.rng.uniform(0.2, 1.5) * bw

    def _tree_line(self, hy: float, reach: float) -> None:
        """A forest on the horizon: one outline of rounded crowns over the trunks' shade."""
        cw = self.size[0]
        crowns, x = [(0.0, hy)], -self.rng.uniform(0, 0.04) * self.w
        while x < cw:
            r = self.rng.uniform(0.025, 0.05) * self.w
            top = hy - self.rng.uniform(0.5, 1.0) * reach
            crowns += [(x, hy - 0.4 * (hy - top)), (x + 0.3 * r, top + 0.15 * r), (x + r, top),
                       (x + 1.7 * r, top + 0.15 * r)]
            x += 2 * r
        crowns += [(cw, hy - 0.3 * reach), (cw, hy)]
        self._shape(crowns, FOLIAGE, self.line)

    def _hill(self, hy: float) -> None:
        """The hill the figures stand on: its crest a curve near the horizon (above it seen
        from below), falling away to both sides where the land beyond shows; grass on it."""
        cw, ch = self.size
        rise = -0.12 * self.h if self.request.angle == "low" else 0.03 * self.h
        fall = 0.16 * self.h
        mid = self.ox + self.rng.uniform(0.4, 0.6) * self.w

        def crest(x: float) -> float:
            return hy + rise + fall * min(1.0, ((x - mid) / (0.75 * self.w)) ** 2)

        edge = [(x, crest(x)) for x in _linspace(0, cw, 17)]
        self.draw.polygon([*edge, (cw, ch), (0, ch)], fill=GRASS)
        self._pencil(edge, width=self.line + 1)
        self._tufts(hy, crest)

    def _tufts(self, hy: float, ground) -> None:
        """Tufts of grass, bigger nearer the camera, each below `ground(x)`."""
        cw, ch = self.size
        depth = ch - hy
        if ground(0.0) == hy:  # a flat field: the ground is grass to the horizon
            self.draw.rectangle((0, hy, cw, ch), fill=GRASS)
        for _ in range(14):
            x, t = self.rng.uniform(0, cw), self.rng.uniform(0.05, 1.0)
            y = hy + depth * t ** 1.4
            if y < ground(x) + 2:
                continue
            s = self.unit * 0.012 * (1 + 3 * (y - hy) / depth)
            self.draw.line([(x - s, y - s), (x - 0.35 * s, y), (x, y - 1.4 * s), (x + 0.35 * s, y), (x + s, y - s)],
                           fill=GRASS_LINE, width=self.line)

    def _rows(self, hy: float) -> None:
        """A garden: furrows running to the vanishing point, plants along them, bigger near."""
        cw, ch = self.size
        self.draw.rectangle((0, hy, cw, ch), fill=GARDEN_SOIL)
        vx = self.ox + self.rng.uniform(0.35, 0.65) * self.w
        for t in _linspace(-0.9, 1.9, 7):
            end = self.ox + t * self.w
            self.draw.line((vx, hy, end, ch), fill=LIGHT_LINE, width=self.line)
            for k in (0.18, 0.32, 0.5, 0.75, 1.0):
                x, y, r = vx + (end - vx) * k, hy + (ch - hy) * k, self.unit * 0.045 * k
                self._shape([(x - r, y), (x - 0.5 * r, y - r), (x, y - 0.4 * r), (x + 0.5 * r, y - r), (x + r, y)],
                            GARDEN_LEAF, self.line)

    def _road(self, hy: float) -> None:
        """A street running to the vanishing point: kerbs, a dashed centre line."""
        cw, ch = self.size
        vx = self.ox + self.rng.uniform(0.35, 0.65) * self.w
        left, right = self.ox - 0.3 * self.w, self.ox + 1.3 * self.w
        self.draw.polygon([(vx - 1, hy), (vx + 1, hy), (right, ch), (left, ch)], fill=(212, 210, 206))
        for x in (left, right, self.ox - 0.9 * self.w, self.ox + 1.9 * self.w):  # kerbs, then the far pavement edge
            self.draw.line((vx, hy, x, ch), fill=GRAPHITE if x in (left, right) else LIGHT_LINE, width=self.line)
        mid = self.ox + 0.5 * self.w
        for k in (0.08, 0.16, 0.3, 0.52, 0.85):  # dashes, longer nearer
            a, b = k, min(1.0, k * 1.35)
            self.draw.line((vx + (mid - vx) * a, hy + (ch - hy) * a, vx + (mid - vx) * b, hy + (ch - hy) * b),
                           fill=LIGHT_LINE, width=self.line + 1)

    def _sand(self, hy: float) -> None:
        """A beach: sand from a wavy shoreline down to the frame."""
        cw, ch = self.size
        shore = hy + (ch - hy) * 0.45
        phase = self.rng.uniform(0, 2 * math.pi)
        edge = [(x, shore + self.unit * 0.015 * math.sin(x / (self.unit * 0.12) + phase)) for x in _linspace(0, cw, 24)]
        self.draw.polygon([*edge, (cw, ch), (0, ch)], fill=SAND)
        self._pencil(edge)
        self.floor = shore + self.unit * 0.015

    def _quay(self, hy: float) -> None:
        """A harbour's quay: paving from a straight stone edge down to the frame, the water
        beyond it, a row of kerb stones along the edge."""
        cw, ch = self.size
        edge = hy + (ch - hy) * 0.4
        self.draw.rectangle((-1, edge, cw + 1, ch + 1), fill=QUAY_STONE, outline=GRAPHITE, width=self.line)
        step = 0.12 * self.unit
        kerb = edge + 0.25 * step
        self.draw.line((0, kerb, cw, kerb), fill=LIGHT_LINE, width=self.line)
        for x in np.arange(self.rng.uniform(0, step), cw, step).tolist():
            self.draw.line((x, edge, x, kerb), fill=LIGHT_LINE, width=self.line)
        self.floor = edge

    def _parapet(self, hy: float) -> None:
        """A rooftop: the low wall along its edge, against the city beyond."""
        cw = self.size[0]
        top = hy + 0.04 * self.h
        self.draw.rectangle((0, top, cw, top + 0.05 * self.h), fill=BUILDING, outline=GRAPHITE, width=self.line)
        vent = self.ox + self.rng.uniform(0.1, 0.8) * self.w
        self.draw.rectangle((vent, top - 0.06 * self.h, vent + 0.08 * self.w, top), fill=ROOF_TILE, outline=GRAPHITE,
                            width=self.line)

    def _moon(self, hy: float) -> None:
        """A night sky: a crescent moon and a few stars, where the sky shows enough of itself."""
        sky = hy - self.oy
        if sky < 0.15 * self.h:
            return
        r = min(0.06 * self.unit, 0.22 * sky)
        side = 1 if self.rng.random() < 0.5 else -1
        cx = self.ox + (0.5 + side * self.rng.uniform(0.2, 0.32)) * self.w
        cy = self.oy + max(0.35 * sky, 1.3 * r)
        # The lit limb (a half circle) and the terminator (a flattened one) back: a crescent.
        limb = [(cx - side * r * math.sin(a), cy - r * math.cos(a)) for a in _linspace(0, math.pi, 13)]
        inner = [(cx - side * 0.35 * r * math.sin(a), cy - r * math.cos(a)) for a in _linspace(math.pi, 0, 13)]
        self._shape([*limb, *inner], MOON, self.line)
        s = 0.012 * self.unit
        for _ in range(5):
            x = self.ox + self.rng.uniform(0.05, 0.95) * self.w
            y = self.oy + self.rng.uniform(0.06, 0.8) * sky
            if abs(x - cx) < 2.5 * r and abs(y - cy) < 2.5 * r:
                continue  # not on the moon
            self.draw.polygon([(x, y - 2 * s), (x + 0.5 * s, y), (x, y + 2 * s), (x - 0.5 * s, y)], fill=STAR)
            self.draw.polygon([(x - 2 * s, y), (x, y + 0.5 * s), (x + 2 * s, y), (x, y - 0.5 * s)], fill=STAR)

    def _clouds(self, hy: float) -> None:
        """Two clouds in the sky the action or setting names."""
        if hy - self.oy < 0.15 * self.h:
            return
        for _ in range(2):
            cx = self.ox + self.rng.uniform(0.1, 0.9) * self.w
            cy = self.oy + self.rng.uniform(0.08, 0.6) * (hy - self.oy)
            r = self.unit * self.rng.uniform(0.04, 0.07)
            bumps = [(cx - 2.2 * r, cy + 0.5 * r), (cx - 1.9 * r, cy - 0.3 * r), (cx - 1.1 * r, cy - 0.5 * r),
                     (cx - 0.7 * r, cy - 1.2 * r), (cx + 0.3 * r, cy - 1.3 * r), (cx + 0.9 * r, cy - 0.6 * r),
                     (cx + 1.8 * r, cy - 0.5 * r), (cx + 2.2 * r, cy + 0.5 * r)]
            self.draw.polygon(bumps, fill=CLOUD, outline=LIGHT_LINE, width=self.line)

    # ------------------------------------------------------------------ interiors

    def _room(self, depth: float | None = None) -> tuple[float, float, float, float, float]:
        """One-point perspective: the back wall around a vanishing point on the horizon.
        Returns the back wall (left, top, right, bottom) and the vanishing point's x."""
        cw, ch = self.size
        hy = self.oy + self.horizon
        vx = self.ox + self.rng.uniform(0.35, 0.65) * self.w
        depth = depth if depth is not None else self.rng.uniform(0.3, 0.45)  # back wall size relative to the panel
        bw, bh = self.w * depth * 1.4, self.h * depth
        left, right = vx - bw / 2, vx + bw / 2
        top, bottom = hy - bh * 0.6, hy + bh * 0.4
        self.draw.rectangle((0, bottom, cw, ch), fill=PAPER_SHADE)
        self.floor, self.walls = bottom, (vx, hy, left, right, bottom)
        self.draw.polygon([(0, ch), (left, bottom), (right, bottom), (cw, ch)], fill=(230, 226, 217))
        self.draw.rectangle((left, top, right, bottom), fill=WALL, outline=GRAPHITE, width=self.line)
        for cx, cy in ((left, top), (right, top), (left, bottom), (right, bottom)):
            # Each wall edge runs from the vanishing point through a corner, off the canvas.
            self._pencil([(cx, cy), (cx + (cx - vx) * 4, cy + (cy - hy) * 4)])
        # A window or door on the back wall, seeded.
        dx = self.rng.uniform(0.1, 0.6) * bw
        self.draw.rectangle((left + dx, top + bh * 0.2, left + dx + bw * 0.25, bottom - bh * 0.25),
                            outline=LIGHT_LINE, width=self.line)
        return left, top, right, bottom, vx

    def _kitchen(self) -> None:
        """A room with a worktop along its back wall: cupboards under it, wall units over it."""
        left, top, right, bottom, _ = self._room()
        bh = bottom - top
        worktop = bottom - 0.32 * bh
        self.draw.rectangle((left, worktop, right, bottom), fill=WOOD, outline=GRAPHITE, width=self.line)
        self.draw.rectangle((left, top + 0.08 * bh, right, top + 0.3 * bh), fill=WOOD, outline=GRAPHITE,
                            width=self.line)
        for y0, y1 in ((worktop, bottom), (top + 0.08 * bh, top + 0.3 * bh)):
            # The cupboard doors: one line up and down between them, along the unit's own edges.
            doors = []
            for k, x in enumerate(_linspace(left, right, 6)[1:-1]):
                doors += [(x, y0), (x, y1)] if k % 2 == 0 else [(x, y1), (x, y0)]
            self.draw.line(doors, fill=GRAPHITE, width=self.line)

    def _hips(self, default: float) -> float:
        """The height of the cast's hips in the panel (canvas units): where staging stood
        them, the highest of them; `default` (panel fraction) without cast."""
        staged = self.staged
        if not staged:
            return self.oy + default * self.h
        hip = min(fig.head[1] + 3.6 * fig.head_units for fig in staged)
        return self.oy + min(max(hip, 0.35), 0.95) * self.h

    def _counter(self, awning: bool = False) -> None:
        """A counter across the panel at the cast's hips, shelves on the wall behind; a stall
        (`awning`) has a scalloped awning and lanterns over it. The cast stand behind the
        counter: its front is drawn over them (`draw_front`)."""
        cw = self.size[0]
        level = self._hips(0.62)
        for k in (0.3, 0.55):  # shelves with a few seeded boxes and jars
            y = self.oy + k * (level - self.oy)
            self.draw.line((0, y, cw, y), fill=GRAPHITE, width=self.line)
            x = self.rng.uniform(0, 0.1) * self.w
            while x < cw:
                bw, bh = self.rng.uniform(0.03, 0.07) * self.w, self.rng.uniform(0.03, 0.07) * self.h
                self.draw.rectangle((x, y - bh, x + bw, y), fill=BUILDING, outline=LIGHT_LINE, width=self.line)
                x += bw + self.rng.uniform(0.03, 0.15) * self.w
        if awning:
            self._awning(0, cw, self.oy + 0.1 * self.h)
        self.front = lambda: self._counter_front(level)
        if not self.request.cast:
            self.draw_front()

    def draw_front(self) -> None:
        """Draw the part of the set that stands in front of the cast, once."""
        front, self.front = self.front, None
        front()

    def _counter_front(self, level: float) -> None:
        cw, ch = self.size
        slab = 0.04 * self.h
        self.draw.polygon([(0, level), (cw, level), (cw, level + slab), (0, level + slab)], fill=WOOD, outline=GRAPHITE,
                          width=self.line)
        self.draw.rectangle((0, level + slab, cw, ch), fill=(214, 200, 178), outline=GRAPHITE, width=self.line)
        for x in _linspace(0, cw, 9)[1:-1]:  # the planks of its front
            self.draw.line((x, level + slab, x, ch), fill=LIGHT_LINE, width=self.line)

    def _awning(self, x0: float, x1: float, y: float) -> None:
        """A scalloped awning from x0 to x1 hanging to `y`, two lanterns under its ends."""
        n = 7
        step = (x1 - x0) / n
        edge = [(x0, 0.0), (x1, 0.0)]
        for k in range(n, 0, -1):
            edge += [(x0 + k * step, y), (x0 + (k - 0.5) * step, y + 0.35 * step), (x0 + (k - 1) * step, y)]
        self._shape([(x, min(v, y + 0.35 * step)) for x, v in edge], AWNING, self.line)
        r = 0.35 * step
        for lx in (x0 + 0.6 * step, x1 - 0.6 * step):
            ly = y + 0.35 * step + 1.3 * r
            self.draw.line((lx, y, lx, ly - r), fill=GRAPHITE, width=self.line)
            self.draw.ellipse((lx - 0.8 * r, ly - r, lx + 0.8 * r, ly + r), fill=LANTERN, outline=GRAPHITE,
                              width=self.line)

    def _stall(self) -> None:
        self._counter(awning=True)

    def _booth(self, side: int) -> None:
        """A stall in a wide shot: a small booth on the ground beside the focal point, at its
        left (`side` -1) or right (+1)."""
        hy = self.oy + self.horizon
        cx = self.ox + (0.5 + side * 0.32) * self.w
        bw, bh = 0.22 * self.w, 0.14 * self.h
        base = min(hy + 0.05 * self.h, self.oy + 0.95 * self.h)
        x0, x1 = cx - bw / 2, cx + bw / 2
        self.draw.rectangle((x0, base - bh * 0.55, x1, base), fill=WOOD, outline=GRAPHITE, width=self.line)
        self.draw.rectangle((x0 + bw * 0.05, base - bh, x1 - bw * 0.05, base - bh * 0.55), fill=LANTERN,
                            outline=GRAPHITE, width=self.line)  # the lit opening
        self._shape([(x0 - bw * 0.08, base - bh), (x1 + bw * 0.08, base - bh), (x1, base - bh * 1.3),
                     (x0, base - bh * 1.3)], AWNING, self.line)

    def _stairs(self) -> None:
        """A flight of stairs climbing the back wall from the floor, with its handrail; a
        spiral (or winding) staircase turns around a central column instead."""
        cw, ch = self.size
        floor = self.oy + max(self.horizon + 0.25 * self.h, 0.7 * self.h)
        self.floor = floor
        self.draw.rectangle((0, floor, cw, ch), fill=PAPER_SHADE)
        self._pencil([(0, floor), (cw, floor)])
        if {"spiral", "winding"} & set(_sets.words(f"{self.request.action} {self.request.setting}")):
            self._spiral(floor)
            return
        x0, x1, top = self.ox + 0.05 * self.w, self.ox + 0.95 * self.w, self.oy + 0.06 * self.h
        if self.rng.random() < 0.5:  # climbing to the right or to the left
            x0, x1 = x1, x0
        n = 9
        dx, dy = (x1 - x0) / n, (floor - top) / n
        profile = [(x0, floor)]
        for k in range(n):
            profile += [(x0 + k * dx, floor - (k + 1) * dy), (x0 + (k + 1) * dx, floor - (k + 1) * dy)]
        self._shape([*profile, (x1, floor)], PAPER_SHADE, self.line)
        rail = 0.16 * self.h
        self._pencil([(x0, floor - dy - rail), (x1, top - rail)], width=self.line + 1)
        for k in range(1, n, 2):  # balusters
            x, y = x0 + (k + 0.5) * dx, floor - (k + 1) * dy
            self.draw.line((x, y, x, y - rail + 0.5 * dy), fill=LIGHT_LINE, width=self.line)

    def _spiral(self, floor: float) -> None:
        """Steps fanning around a column, each turned a little further, up out of the shot
        (those behind the column first); the handrail winds along their outer ends."""
        cx = self.ox + self.rng.uniform(0.4, 0.6) * self.w
        post, reach, n = 0.035 * self.w, 0.36 * self.w, 16
        dy = (floor - self.oy) / (n - 2)
        phase = self.rng.uniform(0, math.pi)
        steps = []
        for k in range(n):
            y, turn = floor - k * dy, phase + 0.55 * k
            end, depth = cx + reach * math.sin(turn), math.cos(turn)  # depth > 0: in front of the column
            tread = dy * (0.35 + 0.4 * abs(depth))
            steps.append((depth > 0, [(cx, y - 0.5 * dy), (end, y - tread), (end, y), (cx, y)], (end, y - 0.15 * self.h)))
        for near in (False, True):
            if near:
                self.draw.rectangle((cx - post, 0, cx + post, floor), fill=SHADE, outline=GRAPHITE, width=self.line)
            for front, tread, _ in steps:
                if front == near:
                    self._shape(tread, PAPER_SHADE if near else WALL, self.line)
        self._pencil([rail for _, _, rail in steps], width=self.line + 1)

    def _corridor(self) -> None:
        """A long corridor: a small far wall, doors along both walls, lights on the ceiling."""
        left, top, right, bottom, vx = self._room(depth=self.rng.uniform(0.14, 0.2))
        hy = self.oy + self.horizon

        def out(x: float, y: float, s: float) -> tuple[float, float]:  # from the vanishing point through (x, y)
            return vx + (x - vx) * s, hy + (y - hy) * s

        door_top = bottom - 0.75 * (bottom - top)
        for wall in (left, right):
            for s0, s1 in ((1.4, 1.9), (2.5, 3.4)):
                self.draw.polygon([out(wall, bottom, s0), out(wall, door_top, s0), out(wall, door_top, s1),
                                   out(wall, bottom, s1)], fill=BUILDING, outline=GRAPHITE, width=self.line)
        for s0 in (1.3, 2.0, 3.2):  # ceiling lights down the middle
            self.draw.polygon([out(vx - 0.1 * (right - left), top, s0), out(vx + 0.1 * (right - left), top, s0),
                               out(vx + 0.1 * (right - left), top, s0 * 1.15),
                               out(vx - 0.1 * (right - left), top, s0 * 1.15)], fill=CLOUD, outline=LIGHT_LINE,
                              width=self.line)

    def _floor_from_above(self, place: _sets.Place) -> None:
        """Bird's-eye view: the ground seen straight down: grass, a garden's rows, the sea's
        waves, a beach's sand along the water, a road, roofs (a town, a city, a roof) or tree
        crowns (a forest), else floor tiles (a room, an unnamed place). What stands on the
        horizon at eye level is seen from above too: along the top of a field or garden, on
        both sides of a road."""
        cw, ch = self.size
        self.floor = 0.0  # all of the panel is ground seen from above
        outdoors = place.interior is None
        ground = self._ground(place) if outdoors else None
        far = place.far if outdoors and place.far != "lighthouse" else None  # (a tower: no roofs or crowns)
        if ground in ("hill", "field"):
            self.draw.rectangle((0, 0, cw, ch), fill=GRASS)
            for _ in range(24):
                x, y, s = self.rng.uniform(0, cw), self.rng.uniform(0, ch), self.unit * 0.025
                self.draw.line([(x - s, y - s), (x - 0.35 * s, y), (x, y - 1.4 * s), (x + 0.35 * s, y),
                                (x + s, y - s)], fill=GRASS_LINE, width=self.line)
            if far is not None:  # a meadow at the forest's (town's) edge
                self._far_from_above(far, self.oy + 0.22 * self.h)
            return
        if ground == "garden":
            self.draw.rectangle((0, 0, cw, ch), fill=GARDEN_SOIL)
            step = max(self.unit * 0.16, math.sqrt(cw * ch / 150))  # at most ~190 plants in a long panel
            for y in np.arange(self.rng.uniform(0, step), ch, step).tolist():
                for x in np.arange(self.rng.uniform(0, step), cw, step * 0.8).tolist():
                    r = step * 0.25
                    self._shape([(x - r, y), (x, y - r), (x + r, y), (x, y + r)], GARDEN_LEAF, self.line)
            if far is not None:
                self._far_from_above(far, self.oy + 0.22 * self.h)
            return
        if ground in ("sea", "beach"):
            self.draw.rectangle((0, 0, cw, ch), fill=PAPER_SHADE)
            self._waves(0.0)
            self.floor = None  # all water: nothing to shade
            if ground == "beach":  # sand from the water's edge down, seen from above
                self._sand(0.0)
            return
        if ground in ("street", "market"):  # the road across the shot, kerbs and a dashed centre line
            self.draw.rectangle((0, 0, cw, ch), fill=PAPER_SHADE)
            if far is not None:  # houses, blocks or trees along both sides of it
                self._far_from_above(far)
            y0, y1 = self.oy + 0.3 * self.h, self.oy + 0.7 * self.h
            self.draw.rectangle((-1, y0, cw + 1, y1), fill=(212, 210, 206), outline=GRAPHITE, width=self.line)
            dash = 0.08 * self.unit
            for x in np.arange(self.rng.uniform(0, 2 * dash), cw, 2 * dash).tolist():
                self.draw.line((x, (y0 + y1) / 2, x + dash, (y0 + y1) / 2), fill=LIGHT_LINE, width=self.line + 1)
            if ground == "market":  # the booths' awnings in a row along each kerb
                step = 0.3 * self.w
                for x in np.arange(self.rng.uniform(-step / 2, 0), cw, step).tolist():
                    for y in (y0 - 0.12 * self.h, y1 + 0.02 * self.h):
                        self._shape([(x, y), (x + 0.8 * step, y), (x + 0.8 * step, y + 0.1 * self.h),
                                     (x, y + 0.1 * self.h)], AWNING, self.line)
            return
        if ground == "platform":  # the track's rails and sleepers along the top, the platform below them
            self.draw.rectangle((0, 0, cw, ch), fill=BALLAST)
            edge = self.oy + 0.32 * self.h
            self.draw.rectangle((-1, edge, cw + 1, ch + 1), fill=PAPER_SHADE, outline=GRAPHITE, width=self.line)
            self.draw.line((0, edge + 0.04 * self.h, cw, edge + 0.04 * self.h), fill=SAFETY_LINE,
                           width=self.line + 1)
            y0, y1 = self.oy + 0.08 * self.h, self.oy + 0.24 * self.h
            for x in np.arange(self.rng.uniform(0, 0.06 * self.w), cw, 0.06 * self.w).tolist():
                self.draw.line((x, y0 - 0.04 * self.h, x, y1 + 0.04 * self.h), fill=LIGHT_LINE, width=self.line + 1)
            for y in (y0, y1):
                self.draw.line((0, y, cw, y), fill=GRAPHITE, width=self.line + 1)
            return
        if far is not None or ground == "roof":  # roofs, or tree crowns, seen from above
            self.draw.rectangle((0, 0, cw, ch), fill=PAPER_SHADE)
            self._far_from_above(far)
            return
        self.draw.rectangle((0, 0, cw, ch), fill=PAPER_SHADE)
        step = self.unit * self.rng.uniform(0.12, 0.2)
        shift = self.rng.uniform(0, step)
        for x in np.arange(-shift, cw, step):
            self.draw.line((x, 0, x, ch), fill=LIGHT_LINE, width=self.line)
        for y in np.arange(-shift, ch, step):
            self.draw.line((0, y, cw, y), fill=LIGHT_LINE, width=self.line)

    def _far_from_above(self, far: str | None, edge: float | None = None) -> None:
        """Roofs (a town's with their ridges, a city's, a roof's) or tree crowns (a forest)
        seen from straight above, in rows from the canvas top: all of it, or (`edge`) the
        rows whose middle is above that y, a band along the top."""
        cw, ch = self.size
        step = max(self.unit * 0.3, math.sqrt(cw * ch / 40))
        start = -self.rng.uniform(0, step if edge is None else 0.4 * step)  # a band's first row shows
        bottom = ch if edge is None else max(edge - 0.5 * step, start + 1)
        for y in np.arange(start, bottom, step).tolist():
            for x in np.arange(-self.rng.uniform(0, step), cw, step).tolist():
                if far == "forest":
                    r = step * self.rng.uniform(0.35, 0.5)
                    self.draw.ellipse((x - r, y - r, x + r, y + r), fill=FOLIAGE, outline=GRAPHITE, width=self.line)
                    continue
                gap = step * 0.18
                self.draw.rectangle((x + gap, y + gap, x + step - gap, y + step - gap), fill=BUILDING,
                                    outline=GRAPHITE, width=self.line)
                if far == "town":  # a pitched roof's ridge
                    self.draw.line((x + gap, y + step / 2, x + step - gap, y + step / 2), fill=GRAPHITE,
                                   width=self.line)

    def _hatching(self) -> None:
        """A few seeded clusters of pencil hatching shading the ground or floor the set shows
        (`floor`): texture that differs with every seed, never in a sky or on a wall; none
        where the set shows no ground (open water, a counter) or too little of it."""
        length = self.unit * 0.05
        gap = self.unit * 0.012
        bottom = self.oy + self.h
        top = None if self.floor is None else max(self.floor, self.oy) + length  # each stroke rises `length`
        if top is None or bottom - top < length:
            return
        for _ in range(int(self.rng.integers(3, 7))):
            at, y = self.rng.uniform(0, 0.9), self.rng.uniform(top, bottom)
            x0, x1 = self.ox, self.ox + self.w
            if self.walls is not None:  # a room: between the side walls' edges at this depth
                vx, hy, left, right, back = self.walls
                s = (y - length - hy) / (back - hy)
                x0, x1 = max(x0, vx + (left - vx) * s), min(x1, vx + (right - vx) * s)
            span = x1 - x0 - 8 * gap - 0.6 * length  # the widest cluster fits
            count = int(self.rng.integers(4, 9))
            if span <= 0:
                continue
            x = x0 + at * span
            for k in range(count):
                x0 = x + k * gap
                self.draw.line((x0, y, x0 + length * 0.6, y - length), fill=LIGHT_LINE, width=self.line)

    # ------------------------------------------------------------------ figures

    def figures(self) -> None:
        cast = self.request.cast
        if not cast:
            self._subject()
            return
        staged = self.staged
        self._tints = _tints(cast)
        placed = [self._figure(fig, member, i) for i, (fig, member) in enumerate(zip(staged, cast))]
        # Far before near: the set's front (a counter) over the cast, the over-the-shoulder
        # foreground over both.
        for fig, member in sorted(placed, key=lambda pair: pair[0].back):
            if fig.back and self.front is not None:
                self.draw_front()
            if self.horizon is None:
                self._from_above(fig)
                continue
            face = _figures.draw(self.draw, fig, self._shape)
            if face is not None and fig.kind != "robot":
                animal = ("cat" if fig.species == "cat" else "dog") if fig.kind == "animal" else ""
                self._face(member, fig.facing, *face, fig.u, fig.lw, animal=animal)
        if self.horizon is not None and _props.prop_for(self.request.action) in _props.FLYING:
            self._flown(placed)
        elif self.horizon is not None and (held := _props.held(self.request.action)) is not None:
            self._held(placed, *held)

    def _flown(self, placed) -> None:
        """A kite the action names, in the sky over the cast, its string down to the hand of
        the member the action names (else the first member's)."""
        text = self.request.action.lower()
        verb = _HOLDING.search(text)
        # The member named last before the verb that holds it ('Ana flies the kite while Bo
        # watches'), else the first one named, else the first member (`_named_before`).
        fig, _ = placed[_named_before(text, verb.start() if verb else -1, [(m.id, m.name) for _, m in placed])]
        x0, top, x1, _ = fig.head
        hand = ((x0 + x1) / 2 + fig.facing * 0.95 * fig.u, min(top + 3.6 * fig.u, fig.clip))
        radius = 0.09 * self.unit
        cx = min(max(hand[0] + fig.facing * 0.12 * self.w, self.ox + 0.12 * self.w), self.ox + 0.88 * self.w)
        cy = self.oy + max(0.16 * self.h, 1.1 * radius)
        # Held by a person the action has hold it (holds, flies, runs with); else the string runs off.
        held = fig.kind == "human" and verb is not None and hand[1] > cy + radius
        anchor = hand if held else None
        _props.draw("kite", self.draw, self._shape, self.request.action, cx, cy, radius,
                    max(self.line, round(radius * 0.03)), anchor, (0.0, 0.0, *self.size))

    def _held(self, placed, name: str, verb: int) -> None:
        """A handheld prop the action names (`_props.held`) in the hand of the member whose
        name comes last before its verb ("Mara climbs the spiral stairs holding a lantern"),
        else the first member's; only a person's hand, and only where the frame shows it."""
        fig = placed[_holder(self.request.action, verb, [(member.id, member.name) for _, member in placed])][0]
        where = _in_hand(name, fig)
        if where is not None:
            _props.draw(name, self.draw, self._shape, self.request.action, *where, max(1, fig.lw * 0.8),
                        canvas=(0.0, 0.0, *self.size))

    def _figure(self, staged, member: CastMember, index: int) -> tuple[_figures.Figure, CastMember]:
        """A staged figure (panel fractions) in canvas units, with its tint and line width."""
        w, h, ox, oy = self.w, self.h, self.ox, self.oy

        def box(b):
            return ox + b[0] * w, oy + b[1] * h, ox + b[2] * w, oy + b[3] * h

        u = max(staged.head_units * h, 1.0)
        head = box(staged.head)
        # Staging clips the head to the panel (a close-up's head is cut by the frame): the
        # drawing needs the whole head, rebuilt from its height and the edge that was kept.
        hw = 0.39 * u
        hcx = (head[0] + head[2]) / 2
        if head[2] - head[0] < 2 * hw * 0.98:
            hcx = head[2] - hw if head[0] <= ox + 1e-6 else head[0] + hw
        top = head[1] if head[1] > oy + 1e-6 or head[3] - head[1] >= u * 0.98 else head[3] - u
        back = staged.foreground  # staging decides who is the over-the-shoulder foreground
        tint = FOREGROUND_TINT if back else FIGURE_TINTS[self._tints[index]]
        lw = max(self.line, round(u * 0.035)) if u > self.unit * 0.05 else self.line
        return _figures.Figure(staged.kind, staged.pose, box(staged.body), (hcx - hw, top, hcx + hw, top + u), u,
                               staged.facing, tint, lw, STRETCH.get(self.request.angle, 1.0),
                               oy + max(staged.body[3], staged.head[3]) * h, back,
                               self.request.shot in CLOSE_SHOTS,
                               species(member.name, member.description) if staged.kind == "animal" else ""
                               ), member

    def _subject(self) -> None:
        """No cast: what the action shows at the focal point, sized by the shot (a speck in
        an establishing shot, filling an extreme close-up): the prop the action names
        (`_props`), else a seeded mass standing in for it; "tiny", "huge" and the like in
        the action scale it (`_props.size_of`)."""
        radius = SUBJECT_SCALE[self.request.shot] * self.unit * _props.size_of(self.request.action)
        cx = self.ox + self.rng.uniform(0.38, 0.62) * self.w
        if self.horizon is not None and self.request.shot in ("establishing", "wide"):
            cy = self.oy + self.horizon - radius * 0.5  # standing on the horizon
        else:
            cy = self.oy + self.rng.uniform(0.42, 0.55) * self.h
        prop = _props.prop_for(self.request.action)
        if prop in _props.HIGH:  # in the sky or hanging, not on the ground
            cy = self.oy + 0.3 * self.h
        if prop is not None:
            _props.draw(prop, self.draw, self._shape, self.request.action, cx, cy, radius,
                        max(self.line, round(radius * 0.03)), canvas=(0.0, 0.0, *self.size))
            return
        if _sets.shows(self.place, self.request.action):
            return  # the set is what the action names ("waves roll onto the shore"): no stand-in mass
        angles = np.linspace(0, 2 * math.pi, 14, endpoint=False)
        radii = radius * self.rng.uniform(0.75, 1.1, angles.size)
        outline = [(float(cx + r * math.cos(a) * 1.2), float(cy + r * math.sin(a))) for a, r in zip(angles, radii)]
        lw = max(self.line, round(radius * 0.03))
        self._shape(outline, FIGURE_TINTS[0], lw)
        gap = max(radius * 0.14, 3)
        for x in np.arange(cx - radius * 0.5, cx + radius * 0.5, gap):  # shading hatch on one side
            self.draw.line((x, cy + radius * 0.15, x + radius * 0.25, cy + radius * 0.55), fill=GRAPHITE,
                           width=max(1, lw // 2))

    def _face(self, member: CastMember, f: int, cx: float, top: float, u: float, lw: int,
              animal: str = "") -> None:
        """Eyes and brows, and for a person a nose and a mouth (an `animal`'s snout carries its
        own: 'dog' or 'cat'; a dog's eyes are dark and round, with a glint, not a person's whites)."""
        d = self.draw
        hw = 0.39 * u
        # Nose on the side the figure looks toward: who faces whom reads at any scale.
        nose_y = top + 0.55 * u
        if not animal:
            d.polygon([(cx + f * hw * 0.92, nose_y - 0.1 * u), (cx + f * (hw + 0.09 * u), nose_y + 0.04 * u),
                       (cx + f * hw * 0.92, nose_y + 0.08 * u)], fill=GRAPHITE)
        if u < self.unit * FACE_MIN:
            return
        # Close enough to see a face: eyes, brows, mouth shaped by the expression.
        eye_y = top + 0.45 * u
        mouth, brow, wide = _expression_shape(member.expression)
        for side in (-1, 1):
            ex = cx + f * 0.12 * u + side * 0.15 * u
            er = 0.045 * u
            if animal == "dog":
                d.ellipse((ex - er * 1.3, eye_y - er * 1.3, ex + er * 1.3, eye_y + er * 1.3), fill=GRAPHITE)
                gx, gy, gr = ex + f * er * 0.45, eye_y - er * 0.45, er * 0.35  # the glint, toward the gaze
                d.ellipse((gx - gr, gy - gr, gx + gr, gy + gr), fill=PAPER)
            else:
                d.ellipse((ex - er * 1.6, eye_y - er, ex + er * 1.6, eye_y + er), fill=PAPER, outline=GRAPHITE,
                          width=max(1, lw // 2))
                d.ellipse((ex + f * er * 0.5 - er * 0.7, eye_y - er * 0.7, ex + f * er * 0.5 + er * 0.7,
                           eye_y + er * 0.7), fill=GRAPHITE)
            drop = brow * 0.04 * u  # the inner end of each brow: down when knit, up when worried
            d.line((ex - 0.08 * u, eye_y - 0.1 * u + side * drop, ex + 0.08 * u, eye_y - 0.1 * u - side * drop),
                   fill=GRAPHITE, width=lw)
        if animal:
            return
        mx, my, mw = cx + f * 0.1 * u, top + 0.76 * u, 0.12 * u
        if wide and mouth > 0:  # a laugh: the smile open, its lower lip a deep curve
            lip = [(mx + mw * c, my - 0.04 * u + 0.11 * u * s) for c, s in _circle(20)[:11]]
            d.polygon([(mx - mw, my - 0.05 * u), (mx + mw, my - 0.05 * u), *lip], fill=GRAPHITE)
            return
        if wide:  # a shout: the mouth wide open, an oval
            d.ellipse((mx - 0.08 * u, my - 0.07 * u, mx + 0.08 * u, my + 0.1 * u), fill=GRAPHITE)
            return
        bend = mouth * 0.05 * u
        d.line([(mx - mw, my - bend), (mx, my + bend), (mx + mw, my - bend)], fill=GRAPHITE, width=lw,
               joint="curve")

    def _from_above(self, fig: _figures.Figure) -> None:
        """Bird's-eye: the figure seen from straight above, with a cast shadow: shoulders and
        head for a person, a long body for an animal or vehicle, a box for an object."""
        d = self.draw
        x0, y0, x1, y1 = fig.body
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        u = min(fig.u, self.h * 0.3)
        lw = max(self.line, round(u * 0.04))
        long = fig.kind in ("animal", "vehicle")
        rx, ry = (2.0 * u, 0.6 * u) if long else (1.0 * u, 0.45 * u)
        sx = 0.25 * u
        if fig.kind == "object":
            d.rectangle((cx - u + sx, cy - u + sx, cx + u + sx, cy + u + sx), fill=(196, 192, 184))
            d.rectangle((cx - u, cy - u, cx + u, cy + u), fill=fig.tint, outline=GRAPHITE, width=lw)
            return
        d.ellipse((cx - rx + sx, cy - ry + sx, cx + rx + sx, cy + ry + sx), fill=(196, 192, 184))
        d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=fig.tint, outline=GRAPHITE, width=lw)
        hx = cx + fig.facing * (rx - 0.4 * u) if long else cx
        d.ellipse((hx - 0.38 * u, cy - 0.42 * u, hx + 0.38 * u, cy + 0.34 * u), fill=fig.tint, outline=GRAPHITE,
                  width=lw)
        nose = hx + fig.facing * 0.38 * u
        d.line((nose, cy - 0.06 * u, nose + fig.facing * 0.1 * u, cy - 0.06 * u), fill=GRAPHITE, width=lw)


def held_prop_box(action: str, angle: str, staged, members, aspect: float) -> tuple[float, float, float, float] | None:
    """Where the draft draws the prop the action puts in a cast member's hand ("Mara climbs
    the stairs holding a lantern"), as (x0, y0, x1, y1) in fractions of the panel's art, y
    down; None where it draws none. `staged`: the panel's `staging.StagedFigure`s, in cast
    order; `members`: (id, name) of each; `aspect`: the art's width / height. For the labels
    lettered on a draft page, which keep off it."""
    found = _props.held(action) if angle != "birds-eye" and staged else None
    if found is None or _props.prop_for(action) in _props.FLYING:  # (a kite flies, held or not)
        return None
    name, verb = found
    fig = staged[_holder(action, verb, members)]

    def box(b):  # in panel heights
        return b[0] * aspect, b[1], b[2] * aspect, b[3]

    where = _in_hand(name, _figures.Figure(fig.kind, fig.pose, box(fig.body), box(fig.head), fig.head_units,
                                           fig.facing, PAPER, 1, STRETCH.get(angle, 1.0),
                                           max(fig.body[3], fig.head[3])))
    if where is None:
        return None
    x, y, r = where
    # Every handheld prop's drawing stays within 1.05 r across, 1.5 r up (a sword's blade) and
    # 1.26 r down (its hilt) from its centre.
    return (x - 1.1 * r) / aspect, y - 1.55 * r, (x + 1.1 * r) / aspect, y + 1.3 * r


def _holder(action: str, verb: int, members) -> int:
    """Which member (index into `members`, (id, name) pairs) holds the prop whose verb is
    word `verb` of the action (`_props.held`): the one named last before it (`_named_before`)."""
    text = _sets.affirmed(action)  # as `_props.held` counted to the verb
    starts = _sets.token_starts(text)
    return _named_before(text, starts[verb] if verb < len(starts) else len(text), members)


def _named_before(text: str, end: int, members) -> int:
    """The index into `members` ((id, name) pairs) of the member `text` names last before
    character `end` of `text.lower()` (-1: nowhere), else the first it names ("Holding a
    lantern, Mara climbs"), else 0. Names are read as staging reads them (`staging.mentions`:
    the id or the whole display name, 'Grandpa Joe', 'Jean-Luc')."""
    said = mentions(text, {cid: naming_words(cid, name) for cid, name in members})
    before = [cid for at, cid in said if at < end]
    pick = before[-1] if before else said[0][1] if said else None
    return next((k for k, (cid, _) in enumerate(members) if cid == pick), 0)


def _in_hand(name: str, fig: _figures.Figure) -> tuple[float, float, float] | None:
    """(centre x, centre y, radius) of prop `name` in the near hand of `fig` (its units);
    None for anything but a person's hand, a lying figure, or a hand the frame cuts (`clip`:
    a close shot)."""
    hand = _figures.near_hand(fig)
    if hand is None:
        return None
    size = _props.HANDHELD[name]
    r = size[0] * fig.u
    gx, gy = size[1]
    if hand[1] + (1 - gy) * r > fig.clip:
        return None
    return hand[0] - gx * r * fig.facing, hand[1] - gy * r, r


def _stage_request(request: PanelRequest):
    """Staging for a request made without it (an engine called directly): each member's box
    taken as an explicit region, every figure human, a member without a pose in the one the
    action gives it (as a render stages it)."""
    from types import SimpleNamespace

    from storyboard.staging import stage_panel

    entries = [SimpleNamespace(id=m.id, position=list(m.box), pose=m.pose, expression=m.expression)
               for m in request.cast]
    panel = SimpleNamespace(cast=entries, shot=request.shot, angle=request.angle, action=request.action)
    characters = {m.id: SimpleNamespace(name=m.name) for m in request.cast}  # (the names the action uses)
    return stage_panel(SimpleNamespace(characters=characters), panel, request.width / request.height)


def _expression_shape(expression: str) -> tuple[float, float, bool]:
    """(mouth curve, brow tilt, mouth open) for an expression: +1 smiles, -1 frowns; +1 brows
    knit; open for a laugh (an open smile) or a shout."""
    words = expression.lower()
    wide = any(w in words for w in ("laugh", "giggl", "chuckl", "shout", "yell", "scream"))
    mouth = 1.0 if any(w in words for w in ("smil", "happy", "laugh", "giggl", "chuckl", "grin", "joy", "amused",
                                             "delight", "pleased", "relieved")) else 0.0
    if any(w in words for w in ("sad", "cry", "worr", "afraid", "scared", "fear", "grim", "tired", "frown", "upset",
                                "anxious", "nervous")):
        mouth = -1.0
    brow = 1.0 if any(w in words for w in ("angry", "determined", "stern", "furious", "fierce", "focus", "frown",
                                           "suspicious", "doubt", "annoyed")) else 0.0
    if any(w in words for w in ("surpris", "shock", "worr", "afraid", "scared", "fear", "sad", "horrif", "terrif",
                                "panick")):
        brow = -1.0
    return mouth, brow, wide


@lru_cache(maxsize=256)
def _linspace(start: float, stop: float, num: int) -> tuple[float, ...]:
    """`np.linspace(start, stop, num)` as Python floats (the same numbers), once per size."""
    return tuple(np.linspace(start, stop, num).tolist())


_BANDS = 32  # the paper's wash, top to bottom
_BAND_AT, _WOBBLE_AT = np.linspace(0, 5, _BANDS), np.arange(6)  # where the wobble is read, where it is drawn
_RAMP = 0.6 + 0.35 * np.linspace(0, 1, _BANDS)
# Night and storm settings get a darker wash; the sketch stays readable: (lowest, range) per setting.
_WASH = {dark: (np.array(low), np.array(high) - np.array(low))
         for dark, (low, high) in ((True, ((150, 152, 162), (226, 226, 230))), (False, ((190, 186, 176), PAPER)))}


@lru_cache(maxsize=64)
def _bands(width: int, height: int) -> tuple[float, ...]:
    """The corners of every band, as `_Pen.rectangle` lists them; each band overlaps the next
    by a unit: no paper-coloured seams between them."""
    edges = np.linspace(0, height, _BANDS + 1).tolist()
    return tuple(itertools.chain.from_iterable(
        (0, y0, width, y0, width, y1, 0, y1) for y0, y1 in ((y0, min(y1 + 1, height))
                                                           for y0, y1 in zip(edges[:-1], edges[1:]))))


def _paper(pen: _Pen, width: int, height: int, rng: np.random.Generator, *, dark: bool) -> None:
    """Tinted paper with a seeded wash, darker at the top like a pencilled sky: thin bands
    under two grey levels apart."""
    low, span = _WASH[dark]
    wobble = np.interp(_BAND_AT, _WOBBLE_AT, rng.normal(0.0, 1.0, 6))
    tone = np.clip(_RAMP + 0.06 * wobble, 0, 1)
    colours = (low + tone[:, None] * span).round().astype(int).tolist()
    # `pen.rectangle((0, top, width, bottom), fill=colour)` for every band, in one go
    pen.points.extend(_bands(width, height))
    pen.heads.extend([[(r, g, b), None, 0.0, True, 8] for r, g, b in colours])


def _tints(cast) -> list[int]:
    """Each member's index into FIGURE_TINTS: a character keeps its colour from panel to panel
    (its place in the story's cast list); with more characters than tints, one sharing a tint
    with someone earlier in this panel takes the next free one. Members without a place (a
    request built by hand) take their place in the panel."""
    n, used, tints = len(FIGURE_TINTS), set(), []
    for i, member in enumerate(cast):
        tint = (member.tint if member.tint is not None else i) % n
        while tint in used and len(used) < n:
            tint = (tint + 1) % n
        used.add(tint)
        tints.append(tint)
    return tints
