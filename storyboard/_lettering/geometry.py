"""Axis-aligned boxes, segments and polylines: the few predicates placement and checking need.

Boxes are (x0, y0, x1, y1) with x0 <= x1, y0 <= y1, in any one frame. These run hundreds of
thousands of times per book, on a handful of shapes each, so they are plain float arithmetic
(creating shapely geometries per test costs more than the test itself), with `b if b < a else a`
for min(a, b) and `b if b > a else a` for max(a, b): the very values the builtins give, without
their call.
"""

from __future__ import annotations

import math
from typing import Sequence

Box = tuple[float, float, float, float]
Point = tuple[float, float]


def grow(box: Box, d: float) -> Box:
    return (box[0] - d, box[1] - d, box[2] + d, box[3] + d)


def area(box: Box) -> float:
    w, h = box[2] - box[0], box[3] - box[1]
    return (w if w > 0.0 else 0.0) * (h if h > 0.0 else 0.0)


def overlap_area(a: Box, b: Box) -> float:
    a0, a1, a2, a3 = a
    b0, b1, b2, b3 = b
    w = (b2 if b2 < a2 else a2) - (b0 if b0 > a0 else a0)
    if not w > 0:
        return 0.0
    h = (b3 if b3 < a3 else a3) - (b1 if b1 > a1 else a1)
    return w * h if h > 0 else 0.0


def overlaps(a: Box, b: Box, tol: float = 0.0) -> bool:
    a0, a1, a2, a3 = a
    b0, b1, b2, b3 = b
    return ((b2 if b2 < a2 else a2) - (b0 if b0 > a0 else a0) > tol
            and (b3 if b3 < a3 else a3) - (b1 if b1 > a1 else a1) > tol)


def inside(inner: Box, outer: Box, tol: float = 1e-6) -> bool:
    return (inner[0] >= outer[0] - tol and inner[1] >= outer[1] - tol
            and inner[2] <= outer[2] + tol and inner[3] <= outer[3] + tol)


def point_distance(p: Point, box: Box) -> float:
    """Distance from `p` to the box (0 inside)."""
    px, py = p
    dx, far = box[0] - px, px - box[2]
    dx = 0.0 if 0.0 > dx else dx  # max(dx, 0.0, far)
    dx = far if far > dx else dx
    dy, far = box[1] - py, py - box[3]
    dy = 0.0 if 0.0 > dy else dy
    dy = far if far > dy else dy
    return math.hypot(dx, dy)


def segment_enters(p: Point, q: Point, box: Box) -> float | None:
    """The fraction t in [0, 1] where the segment p->q first touches the box, or None
    (Liang-Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    px, py = p
    for d, lo, hi, s in ((q[0] - px, box[0], box[2], px), (q[1] - py, box[1], box[3], py)):
        if -1e-12 < d < 1e-12:
            if s < lo or s > hi:
                return None
            continue
        a, b = (lo - s) / d, (hi - s) / d
        if a > b:
            a, b = b, a
        if a > t0:
            t0 = a
        if b < t1:
            t1 = b
        if t0 > t1:
            return None
    return t0


def polyline_hits(points: Sequence[Point], box: Box) -> bool:
    for i in range(len(points) - 1):
        if segment_enters(points[i], points[i + 1], box) is not None:
            return True
    return False


def _orient(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Proper or touching intersection of two segments."""
    d1, d2 = _orient(q1, q2, p1), _orient(q1, q2, p2)
    d3, d4 = _orient(p1, p2, q1), _orient(p1, p2, q2)
    if ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and d1 and d2 and d3 and d4:
        return True
    return False


def polylines_cross(a: Sequence[Point], b: Sequence[Point]) -> bool:
    return any(segments_cross(a[i], a[i + 1], b[j], b[j + 1])
               for i in range(len(a) - 1) for j in range(len(b) - 1))


def polyline_distance(a: Sequence[Point], b: Sequence[Point]) -> float:
    """Smallest distance between two polylines (0 when they cross)."""
    if polylines_cross(a, b):
        return 0.0
    best = math.inf
    for pts, other in ((a, b), (b, a)):
        for p in pts:
            for j in range(len(other) - 1):
                best = min(best, _point_segment(p, other[j], other[j + 1]))
    return best


def _point_segment(p: Point, a: Point, b: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    n = dx * dx + dy * dy
    t = 0.0 if n < 1e-12 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / n))
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


def bounds(points: Sequence[Point]) -> Box:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))
