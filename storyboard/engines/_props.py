"""Draft props: what a panel without cast shows, when its action names it; and the arrows
that mark a camera move the action names.

A panel with no cast is about a thing ("the kite soars high above the hill", "steam rises
from a bowl of ramen"): the draft draws that thing's silhouette where it would otherwise put
a shapeless mass, so the thumbnail says what the shot is of. The first word of the action
that names a known prop picks it; an action naming none keeps the mass. Shapes are written
in units of the subject's radius `r` around its centre, y down.
"""

from __future__ import annotations

import math
import re

from storyboard.engines._palette import GRAPHITE, PAPER, SHADE

GLOW = (250, 232, 160)
STRIPE = (190, 92, 84)
PROP_TINT = (222, 176, 120)  # props: apart from every figure's colour

# Words (singular and plural) that name each prop.
_WORDS = {
    "lighthouse": "lighthouse lighthouses beacon",
    "kite": "kite kites",
    "bowl": "bowl bowls ramen soup noodles cup cups mug mugs tea coffee",
    "button": "button buttons coin coins",
    "dial": "dial dials clock clocks watch gauge",
    "train": "train trains tram locomotive carriage",
    "boat": "boat boats ship ships trawler ferry yacht dinghy",
}
FLYING = frozenset({"kite"})  # drawn high in the frame, whatever the camera
_PROP_OF = {word: prop for prop, words in _WORDS.items() for word in words.split()}
_WORD = re.compile(r"[a-z]+")
_STEAM = frozenset("steam steaming steams hot ramen soup noodles tea coffee".split())


def prop_for(action: str) -> str | None:
    """The prop the action names first, or None."""
    for word in _WORD.findall(action.lower()):
        if word in _PROP_OF:
            return _PROP_OF[word]
    return None


def _out_to(start: tuple[float, float], towards: tuple[float, float],
            box: tuple[float, float, float, float]) -> tuple[float, float]:
    """Where the ray from `start` through `towards` leaves `box` (x0, y0, x1, y1)."""
    (sx, sy), (dx, dy) = start, (towards[0] - start[0], towards[1] - start[1])
    steps = [(edge - s) / d for s, d, lo, hi in ((sx, dx, box[0], box[2]), (sy, dy, box[1], box[3])) if d
             for edge in ((hi,) if d > 0 else (lo,))]
    t = max(min(steps, default=1.0), 1.0)  # never shorter than the drawn string
    return sx + dx * t, sy + dy * t


def draw(prop: str, pen, shape, action: str, cx: float, cy: float, r: float, tint, lw: float,
         anchor: tuple[float, float] | None = None,
         canvas: tuple[float, float, float, float] | None = None) -> None:
    """Draw `prop` centred at (cx, cy), about 2 r across; `shape(points, fill, width)` fills
    a polygon with an inked outline. `anchor`: where a kite's string is held (a hand), else
    the string runs down and out of the shot, to the edge of `canvas` (x0, y0, x1, y1: what
    holds the panel, which ends inside it; without it, 2.4 r below the kite)."""
    def at(x: float, y: float) -> tuple[float, float]:
        return cx + x * r, cy + y * r

    def oval(x: float, y: float, rx: float, ry: float, fill, width=lw) -> None:
        pen.ellipse((cx + (x - rx) * r, cy + (y - ry) * r, cx + (x + rx) * r, cy + (y + ry) * r), fill=fill,
                    outline=GRAPHITE if width else None, width=width)

    thin = max(1.0, lw / 2)
    if prop == "lighthouse":
        for side in (-1, 1):  # the beam, both ways from the lantern
            pen.polygon([at(side * 0.12, -1.12), at(side * 1.4, -1.4), at(side * 1.4, -0.9)], fill=GLOW)

        def band(y0: float, y1: float, fill) -> None:  # the tower tapers from 0.36 r to 0.22 r
            w0, w1 = 0.36 - 0.14 * (1 - y0) / 1.9, 0.36 - 0.14 * (1 - y1) / 1.9
            shape([at(-w0, y0), at(w0, y0), at(w1, y1), at(-w1, y1)], fill, lw)

        band(1.0, -0.9, tint)
        for y in (0.55, -0.25):
            band(y, y - 0.35, STRIPE)
        shape([at(-0.3, -0.9), at(0.3, -0.9), at(0.3, -0.98), at(-0.3, -0.98)], tint, lw)  # the gallery
        shape([at(-0.16, -0.98), at(0.16, -0.98), at(0.16, -1.25), at(-0.16, -1.25)], GLOW, lw)  # the lantern
        shape([at(-0.22, -1.25), at(0.22, -1.25), at(0.0, -1.45)], tint, lw)
    elif prop == "kite":
        if anchor is None:  # the string, running out of the shot
            bend, end = at(-0.7, 0.6), at(-1.6, 2.4)
            pen.line([at(0.0, -0.3), bend, _out_to(bend, end, canvas) if canvas else end], fill=GRAPHITE, width=thin)
        else:  # down to the hand that holds it, sagging a little
            (ax, ay), (hx, hy) = at(0.0, -0.3), anchor
            sag = 0.08 * math.hypot(hx - ax, hy - ay)
            pen.line([(ax + (hx - ax) * t, ay + (hy - ay) * t + sag * 4 * t * (1 - t)) for t in (k / 8 for k in range(9))],
                     fill=GRAPHITE, width=thin)
        pen.line([at(0.0, 0.7), at(0.18, 0.95), at(-0.1, 1.2), at(0.14, 1.45), at(-0.06, 1.7)], fill=GRAPHITE,
                 width=thin)  # the tail
        for x, y in ((0.18, 0.95), (-0.1, 1.2), (0.14, 1.45)):
            shape([at(x - 0.12, y - 0.07), at(x + 0.12, y + 0.07), at(x + 0.12, y - 0.07), at(x - 0.12, y + 0.07)],
                  STRIPE, thin)
        shape([at(0.0, -1.0), at(0.65, -0.3), at(0.0, 0.7), at(-0.65, -0.3)], tint, lw)
        shape([at(0.0, -1.0), at(0.65, -0.3), at(0.0, -0.3)], SHADE, lw)  # one panel shaded
        pen.line([at(0.0, -1.0), at(0.0, 0.7)], fill=GRAPHITE, width=thin)
        pen.line([at(-0.65, -0.3), at(0.65, -0.3)], fill=GRAPHITE, width=thin)
    elif prop == "bowl":
        if _STEAM & set(_WORD.findall(action.lower())):  # wisps rising from the bowl
            for x in (-0.45, 0.0, 0.45):
                pen.line([at(x + 0.08 * math.sin(k * 1.6), -0.25 - 0.22 * k) for k in range(6)], fill=SHADE,
                         width=max(1.0, lw))
        shape([at(-1.0, 0.0)] + [at(math.cos(a), 0.75 * math.sin(a)) for a in (i * math.pi / 12 for i in range(13))],
              tint, lw)
        shape([at(-0.32, 0.68), at(0.32, 0.68), at(0.28, 0.85), at(-0.28, 0.85)], tint, lw)  # the foot
        oval(0.0, 0.0, 1.0, 0.2, SHADE)  # the rim, seen from a little above
    elif prop == "button":
        oval(0.0, 0.0, 1.0, 1.0, tint)
        oval(0.0, 0.0, 0.78, 0.78, None, thin)
        for x, y in ((-0.22, -0.22), (0.22, -0.22), (-0.22, 0.22), (0.22, 0.22)):
            oval(x, y, 0.11, 0.11, GRAPHITE, 0)
    elif prop == "dial":
        oval(0.0, 0.0, 1.0, 1.0, tint)
        oval(0.0, 0.0, 0.78, 0.78, PAPER)
        for k in range(12):
            a = k * math.pi / 6
            inner = 0.6 if k % 3 == 0 else 0.68
            pen.line([at(inner * math.cos(a), inner * math.sin(a)), at(0.76 * math.cos(a), 0.76 * math.sin(a))],
                     fill=GRAPHITE, width=thin)
        pen.line([at(0.0, 0.0), at(0.42, -0.5)], fill=GRAPHITE, width=max(1.0, lw * 1.5))  # the hand
        oval(0.0, 0.0, 0.09, 0.09, GRAPHITE, 0)
    elif prop == "train":
        pen.line([at(-2.0, 0.72), at(2.0, 0.72)], fill=GRAPHITE, width=lw)  # the rails
        shape([at(-1.6, -0.55), at(1.45, -0.55), at(1.6, -0.35), at(1.6, 0.5), at(-1.6, 0.5)], tint, lw)
        for k in range(5):
            x = -1.4 + 0.58 * k
            shape([at(x, -0.38), at(x + 0.4, -0.38), at(x + 0.4, 0.0), at(x, 0.0)], SHADE, thin)
        for x in (-1.1, -0.6, 0.6, 1.1):
            oval(x, 0.55, 0.17, 0.17, GRAPHITE, 0)
    else:  # boat
        shape([at(0.05, -1.15), at(0.05, -0.05), at(0.9, -0.05)], SHADE, lw)  # the sail
        pen.line([at(0.0, 0.1), at(0.0, -1.25)], fill=GRAPHITE, width=lw)  # the mast
        shape([at(-1.2, 0.0), at(1.25, 0.0), at(0.9, 0.5), at(-0.9, 0.5)], tint, lw)  # the hull


# Camera moves a storyboard marks with an arrow on the frame: the verb and where it goes.
_MOVE = re.compile(r"\b(?:crane|cranes|craning|tilt|tilts|tilting|pan|pans|panning|boom|booms|zoom|zooms|zooming|"
                   r"dolly|dollies|dollying|push|pushes|pushing|track|tracks|tracking|truck|trucks|pull|pulls|"
                   r"pulling)\s+(up|down|left|right|in|out|back|forward|away)\b")
_PLAIN_VERBS = re.compile(r"\b(?:push|pushes|pushing|pull|pulls|pulling|track|tracks|tracking|truck|trucks)\b")
_HEADING = {"forward": "in", "back": "out", "away": "out"}


def camera_move(action: str) -> str | None:
    """'up', 'down', 'left', 'right', 'in' or 'out' where the action moves the camera ("the
    camera cranes down", "pan left", "zoom in"), else None. Everyday verbs (push, pull, track)
    count only in an action that names the camera."""
    text = action.lower()
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
