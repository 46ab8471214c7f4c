"""Balloon outlines as polygons in PDF points (y up).

Every outline is a plain list of points so the PDF and PNG backends draw exactly the same
shape; curves are sampled finely enough (under 0.1 pt, 0.03 mm, from the true curve at
lettering sizes) that the facets never show.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from functools import lru_cache
from itertools import accumulate

Point = tuple[float, float]


def ellipse(cx: float, cy: float, a: float, b: float, n: int = 64) -> list[Point]:
    return [(cx + a * c, cy + b * s) for c, s in _circle(n)]


@lru_cache(maxsize=8)
def _circle(n: int) -> tuple[tuple[float, float], ...]:
    """(cos, sin) of n angles evenly round the circle (balloons are drawn by the thousand)."""
    return tuple((math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)) for i in range(n))


def _arc(cx: float, cy: float, r: float, t0: float, t1: float, n: int) -> list[Point]:
    turn, cos, sin = t1 - t0, math.cos, math.sin
    return [(cx + r * cos(t), cy + r * sin(t)) for t in [t0 + turn * i / n for i in range(n)]]


def _along(cx: float, cy: float, a: float, b: float, count: int) -> list[Point]:
    """`count` points spaced evenly by arc length around the ellipse (a, b)."""
    fine = ellipse(cx, cy, a, b, 720)
    # Arc length at each of the 720 points (never decreasing, so searched by bisection).
    lengths = list(accumulate(map(math.dist, fine, fine[1:] + fine[:1]), initial=0.0))
    total, out, j = lengths[-1], [], 0
    for i in range(count):
        j = bisect_left(lengths, total * i / count, j + 1) - 1  # the last point short of it
        out.append(fine[j])
    return out


def cloud(cx: float, cy: float, a: float, b: float, bump: float) -> list[Point]:
    """A thought cloud: the outer envelope of equal circles (radius about `bump`) whose
    centres run around the ellipse (a, b). The valleys between bumps stay outside that
    ellipse, so text inside it is never covered."""
    perimeter = math.pi * (3 * (a + b) - math.sqrt((3 * a + b) * (a + 3 * b)))
    count = max(7, round(perimeter / (1.4 * bump)))
    centres = _along(cx, cy, a + 0.15 * bump, b + 0.15 * bump, count)
    chord = max(math.dist(centres[i - 1], centres[i]) for i in range(count))
    r = 0.68 * chord
    valleys = []  # the outer crossing of each circle with the next one
    for i in range(count):
        (x0, y0), (x1, y1) = centres[i], centres[(i + 1) % count]
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        d = math.dist((x0, y0), (x1, y1))
        h = math.sqrt(max(r * r - d * d / 4, 0.0))
        nx, ny = (y1 - y0) / d, -(x1 - x0) / d  # perpendicular; pick the outward one
        if (mx + nx - cx) ** 2 + (my + ny - cy) ** 2 < (mx - cx) ** 2 + (my - cy) ** 2:
            nx, ny = -nx, -ny
        valleys.append((mx + nx * h, my + ny * h))
    points: list[Point] = []
    for i, (x, y) in enumerate(centres):
        start = math.atan2(valleys[i - 1][1] - y, valleys[i - 1][0] - x)
        stop = math.atan2(valleys[i][1] - y, valleys[i][0] - x)
        outward = math.atan2(y - cy, x - cx)
        span = (stop - start) % (2 * math.pi)
        # Go round the side of the circle that faces away from the middle.
        if (outward - start) % (2 * math.pi) > span:
            span -= 2 * math.pi
        points.extend(_arc(x, y, r, start, start + span, 8))
    return points


def burst(cx: float, cy: float, a: float, b: float, spike: float, seed: int) -> list[Point]:
    """A jagged shout burst: valleys on the ellipse (a, b), spikes `spike` beyond it with a
    deterministic jitter from `seed`."""
    perimeter = math.pi * (3 * (a + b) - math.sqrt((3 * a + b) * (a + 3 * b)))
    count = max(10, int(perimeter / (2.2 * spike)))
    points: list[Point] = []
    state = seed & 0xFFFFFFFF
    for i in range(2 * count):
        state = (1103515245 * state + 12345) & 0x7FFFFFFF
        jitter = (state / 0x7FFFFFFF - 0.5) * 0.5
        t = math.pi * (i + (jitter * 0.6 if i % 2 else 0.0)) / count
        if i % 2:
            grow = spike * (1.0 + jitter)
            points.append((cx + (a + grow) * math.cos(t), cy + (b + grow) * math.sin(t)))
        else:
            points.append((cx + a * math.cos(t), cy + b * math.sin(t)))
    return points


def rectangle(x: float, y: float, w: float, h: float) -> list[Point]:
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


TAIL_BEND = 0.12  # how far a tail's curve bends aside, per its length


def tail(cx: float, cy: float, a: float, b: float, tip: Point, width: float, bend: float = TAIL_BEND) -> list[Point]:
    """A slightly curved wedge from inside the ellipse (a, b) to `tip`. Its base sits at 75 %
    of the radius so that, drawn under the balloon's fill, no seam shows. `bend` (per length
    of the tail) curves it to the left of the way it runs (y up); negative, to the right; 0:
    straight, inside the triangle of its base and tip."""
    tx, ty = tip
    angle = math.atan2((ty - cy) / b, (tx - cx) / a)
    half = max(0.08, min(0.5, width / (2 * max(a, b) * 0.75)))
    base = [(cx + 0.75 * a * math.cos(angle + s * half), cy + 0.75 * b * math.sin(angle + s * half)) for s in (-1, 1)]
    mx, my = (base[0][0] + base[1][0]) / 2, (base[0][1] + base[1][1]) / 2
    length = math.hypot(tx - mx, ty - my) or 1.0
    # Bend toward the side the tail leans to, like a hand-drawn tail.
    nx, ny = -(ty - my) / length, (tx - mx) / length
    bend = bend * length
    ctrl = ((mx + tx) / 2 + nx * bend, (my + ty) / 2 + ny * bend)
    out: list[Point] = []
    for side, (bx, by) in enumerate(base):
        # Each edge is a quadratic curve from its base corner to the tip; the control points
        # keep half the base's spread so the wedge narrows smoothly.
        qx, qy = ctrl[0] + (bx - mx) * 0.4, ctrl[1] + (by - my) * 0.4
        steps = [i / 8 for i in range(9)] if side == 0 else [i / 8 for i in range(7, -1, -1)]
        for t in steps:
            out.append(((1 - t) ** 2 * bx + 2 * (1 - t) * t * qx + t * t * tx,
                        (1 - t) ** 2 * by + 2 * (1 - t) * t * qy + t * t * ty))
    return out


def dashes(points: list[Point], on: float, off: float, closed: bool = True) -> list[list[Point]]:
    """Split a polyline into dash segments (used by the raster backend; PDF dashes natively)."""
    pts = points + [points[0]] if closed else list(points)
    out: list[list[Point]] = []
    current: list[Point] = []
    drawing, left = True, on
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        seg = math.hypot(x1 - x0, y1 - y0)
        pos = 0.0
        while seg - pos > 1e-9:
            step = min(left, seg - pos)
            t0, t1 = pos / seg, (pos + step) / seg
            if drawing:
                if not current:
                    current.append((x0 + (x1 - x0) * t0, y0 + (y1 - y0) * t0))
                current.append((x0 + (x1 - x0) * t1, y0 + (y1 - y0) * t1))
            pos += step
            left -= step
            if left <= 1e-9:
                if drawing and current:
                    out.append(current)
                current = []
                drawing = not drawing
                left = on if drawing else off
    if current:
        out.append(current)
    return out


def zigzag_tail(cx: float, cy: float, a: float, b: float, tip: Point, width: float, side: float = 1.0) -> list[Point]:
    """A shout's straight, jagged wedge: from inside the burst to `tip`, its two edges
    stepping out and in twice like a lightning bolt (its steps to the left of the way it
    runs, y up; `side` -1: to the right, 0: no steps)."""
    tx, ty = tip
    angle = math.atan2((ty - cy) / b, (tx - cx) / a)
    bx, by = cx + 0.75 * a * math.cos(angle), cy + 0.75 * b * math.sin(angle)
    length = math.hypot(tx - bx, ty - by) or 1.0
    ux, uy = (tx - bx) / length, (ty - by) / length
    nx, ny = -uy, ux
    left: list[Point] = []
    right: list[Point] = []
    for i, t in enumerate((0.0, 0.35, 0.55, 0.8)):
        half = width / 2 * (1 - t)
        kink = (0.35 * side if i % 2 else 0.0) * width  # the bolt's sideways step
        px, py = bx + ux * length * t + nx * kink, by + uy * length * t + ny * kink
        left.append((px + nx * half, py + ny * half))
        right.append((px - nx * half, py - ny * half))
    return left + [tip] + right[::-1]


def connector(p: Point, q: Point, width: float) -> list[Point]:
    """A short band from `p` to `q` joining two balloons of one speaker (drawn under both)."""
    length = math.hypot(q[0] - p[0], q[1] - p[1]) or 1.0
    nx, ny = -(q[1] - p[1]) / length * width / 2, (q[0] - p[0]) / length * width / 2
    return [(p[0] + nx, p[1] + ny), (q[0] + nx, q[1] + ny), (q[0] - nx, q[1] - ny), (p[0] - nx, p[1] - ny)]
