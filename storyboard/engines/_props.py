"""Draft props: what a panel without cast shows, when its action names it; and the arrows
that mark a camera move the action names.

A panel with no cast is about a thing ("the kite soars high above the hill", "steam rises
from a bowl of ramen"): the draft draws that thing's silhouette where it would otherwise put
a shapeless mass, so the thumbnail says what the shot is of. The first word of the action
that names a known prop picks it; an action naming none keeps the mass. Each prop is one
entry: a drawer registered with `@prop("its words ...")`, its shape written in units of the
subject's radius `r` around its centre, y down (`Kit.at`), so adding a prop is one function.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

from storyboard.engines._figures import ellipse_points
from storyboard.engines._palette import GRAPHITE, PAPER, SHADE
from storyboard.engines._sets import affirmed, tokens, verb_at

GLOW = (250, 232, 160)
STRIPE = (190, 92, 84)
PROP_TINT = (222, 176, 120)  # props: apart from every figure's colour
LEAF, STEM, SOIL = (112, 168, 92), (90, 130, 70), (150, 118, 92)  # plants draw in plant colours
BARK, GLASS, METAL = (150, 116, 90), (206, 220, 228), (196, 200, 206)
_WORD = re.compile(r"[a-z]+")
_STEAM = frozenset("steam steaming steams hot ramen soup noodles tea coffee".split())
# Size words that scale the thing at the focal point ("a tiny green seedling").
SIZE_WORDS = {word: scale for words, scale in (("tiny little small miniature", 0.5), ("big large huge giant enormous", 1.25))
              for word in words.split()}


@dataclass(frozen=True)
class Kit:
    """What a prop drawer draws with: the pen, the `shape(points, fill, width)` filler, the
    centre and radius, the outline widths, the prop's tint, the action's words, and for a
    kite where its string is held (`anchor`) or the canvas it runs out of."""

    pen: object
    shape: Callable
    cx: float
    cy: float
    r: float
    lw: float
    tint: tuple[int, int, int]
    words: frozenset[str]
    anchor: tuple[float, float] | None = None
    canvas: tuple[float, float, float, float] | None = None

    @property
    def thin(self) -> float:
        return max(1.0, self.lw / 2)

    def at(self, x: float, y: float) -> tuple[float, float]:
        return self.cx + x * self.r, self.cy + y * self.r

    def poly(self, points, fill, width: float | None = None) -> None:
        """A filled polygon with an inked outline, its corners in radius units."""
        self.shape([self.at(x, y) for x, y in points], fill, self.lw if width is None else width)

    def oval(self, x: float, y: float, rx: float, ry: float, fill, width: float | None = None) -> None:
        width = self.lw if width is None else width
        self.pen.ellipse((self.cx + (x - rx) * self.r, self.cy + (y - ry) * self.r, self.cx + (x + rx) * self.r,
                          self.cy + (y + ry) * self.r), fill=fill, outline=GRAPHITE if width else None, width=width)

    def line(self, points, width: float | None = None, fill=GRAPHITE) -> None:
        self.pen.line([self.at(x, y) for x, y in points], fill=fill, width=self.thin if width is None else width)


@dataclass(frozen=True)
class Prop:
    draw: Callable[[Kit], None]
    flying: bool = False  # flies over a cast that the action names it with (a kite)
    high: bool = False  # drawn high in the frame, whatever the camera (flying, hanging)
    tint: tuple[int, int, int] = PROP_TINT


PROPS: dict[str, Prop] = {}
_PROP_OF: dict[str, str] = {}  # each word (singular and plural) -> the prop it names


def prop(words: str, *, flying: bool = False, high: bool = False, tint: tuple[int, int, int] = PROP_TINT):
    """Register the decorated drawer as the prop named by its function name (without the
    leading underscore) and by each of `words` (list plurals too)."""
    def register(drawer: Callable[[Kit], None]) -> Callable[[Kit], None]:
        name = drawer.__name__.lstrip("_")
        PROPS[name] = Prop(drawer, flying, flying or high, tint)
        for word in words.split():
            _PROP_OF.setdefault(word, name)
        return drawer
    return register


# Prop words that are also everyday verbs ("a hand plants a flag", "she books a ticket",
# "dials the number"): read as the verb where the clause uses them as one (`_sets.verb_at`;
# "a yellow raincoat button on the stairs", "rows of tomato plants", "the vault dial spins",
# "the plant his father gave" stay things).
_ALSO_VERBS = frozenset("plant book phone table chair cup train button dial bowl".split())


def prop_for(action: str) -> str | None:
    """The prop the action names first (not one it negates: "no door"; not a verb: "he plants
    a flag"), or None."""
    return _prop_at(tokens(affirmed(action)))[0]


def _prop_at(seq: list[str]) -> tuple[str | None, int]:
    """The first prop `seq` (`tokens`) names and where, or (None, -1)."""
    for i, word in enumerate(seq):
        if word in _PROP_OF:
            stem = word[:-1] if word.endswith("s") else word
            if stem in _ALSO_VERBS and verb_at(seq, i):
                continue
            return _PROP_OF[word], i
    return None, -1


def size_of(action: str) -> float:
    """How much bigger or smaller than usual the action says its subject is (1: as usual;
    "not tiny" is not tiny): a size word among the three words before the prop it names, in
    its phrase ("a tiny green seedling"; "a small town, a kite" is a kite of the usual size),
    else, naming none, the first size word ("a huge shape")."""
    seq = tokens(affirmed(action))
    name, at = _prop_at(seq)
    if name is not None:
        for word in reversed(seq[max(0, at - 3):at]):
            if not word[0].isalpha():
                break
            if word in SIZE_WORDS:
                return SIZE_WORDS[word]
        return 1.0
    return next((SIZE_WORDS[word] for word in seq if word in SIZE_WORDS), 1.0)


def _out_to(start: tuple[float, float], towards: tuple[float, float],
            box: tuple[float, float, float, float]) -> tuple[float, float]:
    """Where the ray from `start` through `towards` leaves `box` (x0, y0, x1, y1)."""
    (sx, sy), (dx, dy) = start, (towards[0] - start[0], towards[1] - start[1])
    steps = [(edge - s) / d for s, d, lo, hi in ((sx, dx, box[0], box[2]), (sy, dy, box[1], box[3])) if d
             for edge in ((hi,) if d > 0 else (lo,))]
    t = max(min(steps, default=1.0), 1.0)  # never shorter than the drawn string
    return sx + dx * t, sy + dy * t


def draw(name: str, pen, shape, action: str, cx: float, cy: float, r: float, lw: float,
         anchor: tuple[float, float] | None = None,
         canvas: tuple[float, float, float, float] | None = None) -> None:
    """Draw prop `name` centred at (cx, cy), about 2 r across, in its tint; `shape(points,
    fill, width)` fills a polygon with an inked outline. `anchor`: where a kite's string is
    held (a hand), else the string runs down and out of the shot, to the edge of `canvas`
    (x0, y0, x1, y1: what holds the panel, which ends inside it; without it, 2.4 r below)."""
    entry = PROPS[name]
    entry.draw(Kit(pen, shape, cx, cy, r, lw, entry.tint, frozenset(_WORD.findall(affirmed(action).lower())), anchor,
                   canvas))  # "a bowl of soup, no steam": no steam


@prop("lighthouse lighthouses beacon")
def _lighthouse(k: Kit) -> None:
    for side in (-1, 1):  # the beam, both ways from the lantern
        k.pen.polygon([k.at(side * 0.12, -1.12), k.at(side * 1.4, -1.4), k.at(side * 1.4, -0.9)], fill=GLOW)

    def band(y0: float, y1: float, fill) -> None:  # the tower tapers from 0.36 r to 0.22 r
        w0, w1 = 0.36 - 0.14 * (1 - y0) / 1.9, 0.36 - 0.14 * (1 - y1) / 1.9
        k.poly([(-w0, y0), (w0, y0), (w1, y1), (-w1, y1)], fill)

    band(1.0, -0.9, k.tint)
    for y in (0.55, -0.25):
        band(y, y - 0.35, STRIPE)
    k.poly([(-0.3, -0.9), (0.3, -0.9), (0.3, -0.98), (-0.3, -0.98)], k.tint)  # the gallery
    k.poly([(-0.16, -0.98), (0.16, -0.98), (0.16, -1.25), (-0.16, -1.25)], GLOW)  # the lantern
    k.poly([(-0.22, -1.25), (0.22, -1.25), (0.0, -1.45)], k.tint)


@prop("kite kites", flying=True)
def _kite(k: Kit) -> None:
    if k.anchor is None:  # the string, running out of the shot
        bend, end = k.at(-0.7, 0.6), k.at(-1.6, 2.4)
        k.pen.line([k.at(0.0, -0.3), bend, _out_to(bend, end, k.canvas) if k.canvas else end], fill=GRAPHITE,
                   width=k.thin)
    else:  # down to the hand that holds it, sagging a little
        (ax, ay), (hx, hy) = k.at(0.0, -0.3), k.anchor
        sag = 0.08 * math.hypot(hx - ax, hy - ay)
        k.pen.line([(ax + (hx - ax) * t, ay + (hy - ay) * t + sag * 4 * t * (1 - t)) for t in (i / 8 for i in range(9))],
                   fill=GRAPHITE, width=k.thin)
    k.line([(0.0, 0.7), (0.18, 0.95), (-0.1, 1.2), (0.14, 1.45), (-0.06, 1.7)])  # the tail
    for x, y in ((0.18, 0.95), (-0.1, 1.2), (0.14, 1.45)):
        k.poly([(x - 0.12, y - 0.07), (x + 0.12, y + 0.07), (x + 0.12, y - 0.07), (x - 0.12, y + 0.07)], STRIPE, k.thin)
    k.poly([(0.0, -1.0), (0.65, -0.3), (0.0, 0.7), (-0.65, -0.3)], k.tint)
    k.poly([(0.0, -1.0), (0.65, -0.3), (0.0, -0.3)], SHADE)  # one panel shaded
    k.line([(0.0, -1.0), (0.0, 0.7)])
    k.line([(-0.65, -0.3), (0.65, -0.3)])


def _steam(k: Kit, xs: tuple[float, ...], base: float) -> None:
    """Wisps rising from a hot dish or drink, when the action says so."""
    if _STEAM & k.words:
        for x in xs:
            k.line([(x + 0.08 * math.sin(i * 1.6), base - 0.22 * i) for i in range(6)], max(1.0, k.lw), SHADE)


@prop("bowl bowls ramen soup noodles")
def _bowl(k: Kit) -> None:
    _steam(k, (-0.45, 0.0, 0.45), -0.25)
    k.poly([(-1.0, 0.0)] + [(math.cos(a), 0.75 * math.sin(a)) for a in (i * math.pi / 12 for i in range(13))], k.tint)
    k.poly([(-0.32, 0.68), (0.32, 0.68), (0.28, 0.85), (-0.28, 0.85)], k.tint)  # the foot
    k.oval(0.0, 0.0, 1.0, 0.2, SHADE)  # the rim, seen from a little above


@prop("cup cups mug mugs tea coffee teacup")
def _cup(k: Kit) -> None:
    _steam(k, (-0.2, 0.25), -0.85)
    k.oval(0.62, 0.05, 0.36, 0.34, None)  # the handle (its inside shows the paper)
    k.poly([(-0.6, -0.6), (0.6, -0.6), (0.5, 0.7), (-0.5, 0.7)], k.tint)
    k.oval(0.0, -0.6, 0.6, 0.12, SHADE)
    k.oval(0.0, 0.78, 0.85, 0.1, PAPER)  # the saucer


@prop("button buttons coin coins")
def _button(k: Kit) -> None:
    k.oval(0.0, 0.0, 1.0, 1.0, k.tint)
    k.oval(0.0, 0.0, 0.78, 0.78, None, k.thin)
    for x, y in ((-0.22, -0.22), (0.22, -0.22), (-0.22, 0.22), (0.22, 0.22)):
        k.oval(x, y, 0.11, 0.11, GRAPHITE, 0)


@prop("dial dials clock clocks watch gauge")
def _dial(k: Kit) -> None:
    k.oval(0.0, 0.0, 1.0, 1.0, k.tint)
    k.oval(0.0, 0.0, 0.78, 0.78, PAPER)
    for i in range(12):
        a = i * math.pi / 6
        inner = 0.6 if i % 3 == 0 else 0.68
        k.line([(inner * math.cos(a), inner * math.sin(a)), (0.76 * math.cos(a), 0.76 * math.sin(a))])
    k.line([(0.0, 0.0), (0.42, -0.5)], max(1.0, k.lw * 1.5))  # the hand
    k.oval(0.0, 0.0, 0.09, 0.09, GRAPHITE, 0)


@prop("train trains tram locomotive carriage")
def _train(k: Kit) -> None:
    k.line([(-2.0, 0.72), (2.0, 0.72)], k.lw)  # the rails
    k.poly([(-1.6, -0.55), (1.45, -0.55), (1.6, -0.35), (1.6, 0.5), (-1.6, 0.5)], k.tint)
    for i in range(5):
        x = -1.4 + 0.58 * i
        k.poly([(x, -0.38), (x + 0.4, -0.38), (x + 0.4, 0.0), (x, 0.0)], SHADE, k.thin)
    for x in (-1.1, -0.6, 0.6, 1.1):
        k.oval(x, 0.55, 0.17, 0.17, GRAPHITE, 0)


@prop("boat boats ship ships trawler ferry yacht dinghy")
def _boat(k: Kit) -> None:
    k.poly([(0.05, -1.15), (0.05, -0.05), (0.9, -0.05)], SHADE)  # the sail
    k.line([(0.0, 0.1), (0.0, -1.25)], k.lw)  # the mast
    k.poly([(-1.2, 0.0), (1.25, 0.0), (0.9, 0.5), (-0.9, 0.5)], k.tint)  # the hull


@prop("car cars taxi van")
def _car(k: Kit) -> None:
    k.poly([(-1.6, -0.05), (1.25, -0.05), (1.6, 0.2), (1.6, 0.6), (-1.6, 0.6)], k.tint)
    k.poly([(-1.0, -0.05), (-0.75, -0.6), (0.5, -0.6), (0.9, -0.05)], k.tint)
    k.poly([(-0.8, -0.12), (-0.62, -0.5), (-0.1, -0.5), (-0.1, -0.12)], GLASS)
    k.poly([(0.05, -0.12), (0.05, -0.5), (0.45, -0.5), (0.72, -0.12)], GLASS)
    for x in (-0.95, 0.95):
        k.oval(x, 0.6, 0.34, 0.34, GRAPHITE, 0)
        k.oval(x, 0.6, 0.14, 0.14, SHADE, 0)


@prop("bicycle bicycles bike bikes")
def _bicycle(k: Kit) -> None:
    for x in (-0.95, 0.95):
        k.oval(x, 0.4, 0.55, 0.55, None)
        k.oval(x, 0.4, 0.06, 0.06, GRAPHITE, 0)
    k.line([(-0.95, 0.4), (-0.2, -0.35), (0.65, -0.35), (0.95, 0.4)], k.lw, k.tint)  # the frame
    k.line([(-0.95, 0.4), (0.05, 0.45), (0.65, -0.35)], k.lw, k.tint)
    k.line([(-0.2, -0.35), (-0.3, -0.55)], k.lw)
    k.line([(-0.45, -0.55), (-0.1, -0.55)], max(1.0, k.lw * 1.8))  # the saddle
    k.line([(0.6, -0.45), (0.75, -0.75), (0.95, -0.75)], k.lw)  # the handlebar


@prop("door doors doorway gate")
def _door(k: Kit) -> None:
    k.poly([(-0.62, 1.0), (-0.62, -1.0), (0.62, -1.0), (0.62, 1.0)], SHADE)  # the frame
    k.poly([(-0.5, 1.0), (-0.5, -0.9), (0.5, -0.9), (0.5, 1.0)], k.tint)
    for y0, y1 in ((-0.78, -0.1), (0.05, 0.85)):  # two panels
        k.poly([(-0.36, y0), (0.36, y0), (0.36, y1), (-0.36, y1)], k.tint, k.thin)
    k.oval(0.38, 0.02, 0.06, 0.06, GRAPHITE, 0)  # the knob


@prop("window windows")
def _window(k: Kit) -> None:
    k.poly([(-0.85, -0.95), (0.85, -0.95), (0.85, 0.85), (-0.85, 0.85)], k.tint)
    k.poly([(-0.7, -0.8), (0.7, -0.8), (0.7, 0.7), (-0.7, 0.7)], GLASS)
    k.line([(0.0, -0.8), (0.0, 0.7)], k.lw)
    k.line([(-0.7, -0.05), (0.7, -0.05)], k.lw)
    k.poly([(-1.0, 0.85), (1.0, 0.85), (1.0, 1.0), (-1.0, 1.0)], k.tint)  # the sill


@prop("table tables desk desks")
def _table(k: Kit) -> None:
    for x in (-1.0, 0.85):
        k.poly([(x, -0.1), (x + 0.15, -0.1), (x + 0.15, 0.9), (x, 0.9)], k.tint)
    k.poly([(-1.35, -0.3), (1.35, -0.3), (1.2, -0.1), (-1.2, -0.1)], k.tint)  # the top, seen from a little above
    k.poly([(-1.2, -0.1), (1.2, -0.1), (1.2, 0.05), (-1.2, 0.05)], SHADE)


@prop("chair chairs stool stools seat")
def _chair(k: Kit) -> None:
    k.poly([(-0.5, -1.0), (-0.35, -1.0), (-0.35, 0.95), (-0.5, 0.95)], k.tint)  # the back and its leg
    k.poly([(-0.5, -1.0), (0.1, -1.0), (0.1, -0.7), (-0.5, -0.7)], k.tint)
    k.poly([(0.35, 0.1), (0.5, 0.1), (0.5, 0.95), (0.35, 0.95)], k.tint)
    k.poly([(-0.55, 0.0), (0.6, 0.0), (0.6, 0.15), (-0.55, 0.15)], SHADE)  # the seat


@prop("crowd crowds throng throngs audience onlookers spectators shoppers passersby")
def _crowd(k: Kit) -> None:
    # the crowd an action is about ("a crowd of shoppers packs the market"): two staggered rows of
    # people, the back row higher and smaller, each a head over a tapering body
    for y, size, count in ((-0.45, 0.6, 7), (0.05, 0.85, 6)):
        for i in range(count):
            x = -1.3 + 2.6 * (i + 0.5) / count
            fill = k.tint if (i + count) % 2 else SHADE
            k.poly([(x - 0.2 * size, y + 0.95 * size), (x - 0.16 * size, y + 0.16 * size),
                    (x + 0.16 * size, y + 0.16 * size), (x + 0.2 * size, y + 0.95 * size)], fill)
            k.oval(x, y, 0.11 * size, 0.13 * size, fill)


@prop("lamp lamps lantern lanterns")
def _lamp(k: Kit) -> None:
    if {"lantern", "lanterns"} & k.words:  # a hand lantern: a handle over a lit glass between cap and base
        k.pen.polygon([k.at(x, y) for x, y in ellipse_points(0.0, 0.0, 1.0, 0.85, 16)], fill=GLOW)  # its light
        k.line([(-0.3, -0.72), (0.0, -1.05), (0.3, -0.72)], k.lw)
        k.poly([(-0.32, -0.55), (0.32, -0.55), (0.32, 0.55), (-0.32, 0.55)], GLOW)
        for x in (-0.12, 0.12):
            k.line([(x, -0.55), (x, 0.55)], k.thin)
        k.poly([(-0.45, -0.72), (0.45, -0.72), (0.38, -0.55), (-0.38, -0.55)], k.tint)
        k.poly([(-0.42, 0.55), (0.42, 0.55), (0.45, 0.72), (-0.45, 0.72)], k.tint)
        return
    k.pen.polygon([k.at(-0.55, -0.25), k.at(0.55, -0.25), k.at(1.0, 0.7), k.at(-1.0, 0.7)], fill=GLOW)  # its light
    k.poly([(-0.08, -0.3), (0.08, -0.3), (0.08, 0.8), (-0.08, 0.8)], SHADE)
    k.poly([(-0.45, 0.8), (0.45, 0.8), (0.5, 0.95), (-0.5, 0.95)], k.tint)  # the base
    k.poly([(-0.3, -0.95), (0.3, -0.95), (0.55, -0.3), (-0.55, -0.3)], k.tint)  # the shade


@prop("chandelier chandeliers", high=True)
def _chandelier(k: Kit) -> None:
    """Hanging from the ceiling: its chain up out of the shot, arms with lit bulbs."""
    top = k.canvas[1] if k.canvas else k.cy - 2.4 * k.r
    k.pen.line([k.at(0.0, -0.55), (k.cx, top)], fill=GRAPHITE, width=k.lw)
    for side in (-1, 1):
        k.line([(0.0, 0.1), (side * 0.5, 0.3), (side * 0.95, 0.05), (side * 0.95, -0.15)], k.lw)
        k.line([(0.0, -0.1), (side * 0.35, 0.0), (side * 0.5, -0.3)], k.lw)
    for x, y in ((-0.95, -0.3), (-0.5, -0.45), (0.5, -0.45), (0.95, -0.3)):
        k.oval(x, y, 0.12, 0.16, GLOW)
    k.poly([(-0.18, -0.55), (0.18, -0.55), (0.12, 0.35), (0.0, 0.55), (-0.12, 0.35)], k.tint)  # the stem


@prop("phone phones telephone smartphone cellphone")
def _phone(k: Kit) -> None:
    k.poly([(-0.5, -0.95), (0.5, -0.95), (0.5, 0.95), (-0.5, 0.95)], k.tint)
    k.poly([(-0.4, -0.78), (0.4, -0.78), (0.4, 0.7), (-0.4, 0.7)], GLASS, k.thin)  # the screen
    k.oval(0.0, 0.83, 0.07, 0.07, GRAPHITE, 0)


@prop("book books notebook diary journal")
def _book(k: Kit) -> None:
    for side in (-1, 1):  # two open pages, bowed at the spine
        k.poly([(0.0, -0.45), (side * 0.5, -0.6), (side * 1.0, -0.5), (side * 1.0, 0.5), (side * 0.5, 0.4),
                (0.0, 0.55)], PAPER)
        for y in (-0.25, -0.05, 0.15):
            k.line([(side * 0.2, y), (side * 0.8, y + 0.02)], k.thin, SHADE)
    k.poly([(-1.05, 0.5), (0.0, 0.62), (1.05, 0.5), (1.05, 0.6), (0.0, 0.72), (-1.05, 0.6)], k.tint)  # the cover


@prop("sword swords katana blade dagger")
def _sword(k: Kit) -> None:
    k.poly([(-0.09, -1.3), (0.0, -1.5), (0.09, -1.3), (0.09, 0.45), (-0.09, 0.45)], METAL)  # the blade
    k.poly([(-0.45, 0.45), (0.45, 0.45), (0.45, 0.58), (-0.45, 0.58)], k.tint)  # the guard
    k.poly([(-0.07, 0.58), (0.07, 0.58), (0.07, 1.1), (-0.07, 1.1)], STRIPE)
    k.oval(0.0, 1.16, 0.1, 0.1, k.tint)


@prop("umbrella umbrellas parasol")
def _umbrella(k: Kit) -> None:
    k.line([(0.0, -0.55), (0.0, 0.85), (0.15, 1.0), (0.3, 0.85)], k.lw)  # the shaft and its hook
    canopy = [(math.cos(a), -0.55 - 0.55 * math.sin(a)) for a in (i * math.pi / 12 for i in range(13))]
    scallops = [(x, -0.45 if i % 2 else -0.55) for i, x in enumerate((0.75, 0.5, 0.25, 0.0, -0.25, -0.5, -0.75))]
    k.poly(canopy + [(-1.0, -0.55), *reversed(scallops)], k.tint)
    k.line([(0.0, -1.1), (0.0, -1.25)], k.lw)


@prop("tree trees oak pine", tint=LEAF)
def _tree(k: Kit) -> None:
    k.poly([(-0.14, 1.1), (-0.1, 0.1), (0.1, 0.1), (0.14, 1.1)], BARK)  # the trunk
    k.poly([(math.cos(a) * (0.7 + 0.12 * (i % 2)), -0.35 + 0.75 * math.sin(a) * (0.7 + 0.12 * (i % 2)))
            for i, a in enumerate(j * math.pi / 8 for j in range(16))], k.tint)  # a lumpy crown


@prop("plant plants tomato tomatoes vegetable vegetables crop crops bush shrub", tint=LEAF)
def _plant(k: Kit) -> None:
    """One leafy plant on a mound of earth; three in a row for "rows of" plants; tomatoes
    hang on it when the action names them."""
    xs = (-1.3, 0.0, 1.3) if k.words & {"rows", "row", "plants"} else (0.0,)
    scale = 0.55 if len(xs) > 1 else 1.0
    for x0 in xs:
        def at(x, y):
            return x0 + x * scale, y * scale + (0.3 if len(xs) > 1 else 0.0)
        k.poly([at(-0.7, 1.0), at(-0.4, 0.8), at(0.4, 0.8), at(0.7, 1.0)], SOIL)
        k.line([at(0.0, 0.85), at(0.0, -0.9)], k.lw, STEM)
        for side, y in ((-1, 0.4), (1, 0.05), (-1, -0.3), (1, -0.6)):
            k.poly([at(0.0, y), at(side * 0.35, y - 0.3), at(side * 0.75, y - 0.1), at(side * 0.4, y + 0.08)], k.tint)
        if k.words & {"tomato", "tomatoes"}:
            for x, y in ((-0.3, 0.15), (0.32, -0.15)):
                cx, cy = at(x, y)
                k.oval(cx, cy, 0.14 * scale, 0.14 * scale, STRIPE)


@prop("seedling seedlings sprout sprouts shoot shoots sapling", tint=LEAF)
def _seedling(k: Kit) -> None:
    """A shoot breaking through the soil: a curved stem and its first two leaves."""
    k.poly([(-1.0, 1.0), (-0.55, 0.7), (-0.15, 0.62), (0.15, 0.62), (0.55, 0.7), (1.0, 1.0)], SOIL)
    for x, y in ((-0.45, 0.85), (0.1, 0.9), (0.5, 0.82)):  # crumbs of earth
        k.oval(x, y, 0.05, 0.04, GRAPHITE, 0)
    k.line([(0.0, 0.66), (0.06, 0.2), (0.0, -0.2)], max(1.0, k.lw * 1.4), STEM)
    for side in (-1, 1):
        k.poly([(0.0, -0.2), (side * 0.25, -0.55), (side * 0.7, -0.5), (side * 0.45, -0.2)], k.tint)


FLYING = frozenset(name for name, entry in PROPS.items() if entry.flying)
HIGH = frozenset(name for name, entry in PROPS.items() if entry.high)
# Props a person holds in one hand ("Mara climbs the stairs holding a lantern"): drawn at the hand
# of a cast member the action has hold, carry, read or drink them. Each: its radius in the
# holder's head heights, and where the hand grips it (radius units from its centre).
HANDHELD = {"lamp": (0.6, (0.0, -1.05)), "cup": (0.45, (0.55, 0.0)), "book": (0.6, (0.0, 0.6)),
            "phone": (0.4, (0.0, 0.6)), "sword": (1.4, (0.0, 0.85)), "umbrella": (1.6, (0.15, 1.0)),
            "bowl": (0.55, (0.0, 0.75))}
_HOLDS = re.compile(r"(?:hold|holds|holding|held|carr(?:y|ies|ying|ied)|clutch\w*|grip\w*|grasp\w*|wield\w*|"
                    r"brandish\w*|raises?|raised|raising|lifts?|lifted|lifting|reads?|reading|drinks?|drinking|"
                    r"sips?|sipping)\Z")
_HOLDS_IN = re.compile(r"\b" + _HOLDS.pattern.removesuffix(r"\Z") + r"\b")  # one of them anywhere in a text


def held(action: str) -> tuple[str, int] | None:
    """(prop, where its verb is in `tokens(action)`) for a handheld prop the action has someone
    hold ("holding a lantern", "reads the old diary", "sips a cup of tea"): the first prop word
    among the four words after the verb, in its clause; None when there is none or it is no
    `HANDHELD` prop ("holding a half-eaten tomato")."""
    if not _HOLDS_IN.search(action.lower()):  # (most actions: no need to read them word by word)
        return None
    seq = tokens(affirmed(action))
    for i, word in enumerate(seq):
        if not _HOLDS.match(word):
            continue
        for after in seq[i + 1:i + 5]:
            if not after[0].isalpha():
                break
            name = _PROP_OF.get(after)
            if name is not None:
                if name in HANDHELD:
                    return name, i
                break
    return None


# Camera moves a storyboard marks with an arrow on the frame: the verb and where it goes.
_MOVE = re.compile(r"\b(?:crane|cranes|craning|tilt|tilts|tilting|pan|pans|panning|boom|booms|zoom|zooms|zooming|"
                   r"dolly|dollies|dollying|push|pushes|pushing|track|tracks|tracking|truck|trucks|pull|pulls|"
                   r"pulling)\s+(up|down|left|right|in|out|back|forward|away)\b")
_PLAIN_VERBS = re.compile(r"\b(?:push|pushes|pushing|pull|pulls|pulling|track|tracks|tracking|truck|trucks)\b")
_HEADING = {"forward": "in", "back": "out", "away": "out"}


def camera_move(action: str) -> str | None:
    """'up', 'down', 'left', 'right', 'in' or 'out' where the action moves the camera ("the
    camera cranes down", "pan left", "zoom in"), else None. Everyday verbs (push, pull, track)
    count only in an action that names the camera; a negated move ("no zoom in", "does not
    pan left") is none."""
    text = affirmed(action).lower()
    for found in _MOVE.finditer(text):
        if _PLAIN_VERBS.match(found.group(0)) and "camera" not in text:
            continue
        return _HEADING.get(found.group(1), found.group(1))
    return None


def move_arrows(move: str, pen, x0: float, y0: float, w: float, h: float, lw: float) -> None:
    """The storyboard arrow of a camera move over the panel (x0, y0, w, h): one long arrow
    down the right side or across the top; four from the corners toward the centre for a
    move in, away from it for a move out."""
    unit = min(w, h)
    if move in ("up", "down"):
        x, a, b = x0 + 0.88 * w, y0 + 0.2 * h, y0 + 0.8 * h
        arrows = [((x, a), (x, b)) if move == "down" else ((x, b), (x, a))]
    elif move in ("left", "right"):
        y, a, b = y0 + 0.12 * h, x0 + 0.2 * w, x0 + 0.8 * w
        arrows = [((a, y), (b, y)) if move == "right" else ((b, y), (a, y))]
    else:
        arrows = []
        for fx, fy in ((0.08, 0.1), (0.92, 0.1), (0.08, 0.9), (0.92, 0.9)):
            outer = (x0 + fx * w, y0 + fy * h)
            inner = (x0 + (fx + (0.5 - fx) * 0.35) * w, y0 + (fy + (0.5 - fy) * 0.35) * h)
            arrows.append((outer, inner) if move == "in" else (inner, outer))
    shaft, head = 0.022 * unit, 0.07 * unit
    for (ax, ay), (bx, by) in arrows:
        length = math.hypot(bx - ax, by - ay)
        ux, uy = (bx - ax) / length, (by - ay) / length
        nx, ny = -uy, ux
        neck = (bx - ux * head, by - uy * head)
        points = [(ax + nx * shaft, ay + ny * shaft), (neck[0] + nx * shaft, neck[1] + ny * shaft),
                  (neck[0] + nx * head * 0.9, neck[1] + ny * head * 0.9), (bx, by),
                  (neck[0] - nx * head * 0.9, neck[1] - ny * head * 0.9), (neck[0] - nx * shaft, neck[1] - ny * shaft),
                  (ax - nx * shaft, ay - ny * shaft)]
        pen.polygon(points, fill=PAPER, outline=GRAPHITE, width=lw)
