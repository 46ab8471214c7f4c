"""Axis-aligned boxes, segments and polylines: the few predicates placement and checking need.

Boxes are (x0, y0, x1, y1) with x0 <= x1, y0 <= y1, in any one frame. These run hundreds of
thousands of times per book, on a handful of shapes each, so they are plain float arithmetic
(creating shapely geometries per test costs more than the test itself).
"""

from __future__ import annotations

import math
from typing import Sequence

Box = tuple[float, float, float, float]
Point = tuple[float, float]


def grow(box: Box, d: float) -> Box:
    return (box[0] - d, box[1] - d, box[2] + d, box[3] + d)


def area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def overlap_area(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def overlaps(a: Box, b: Box, tol: float = 0.0) -> bool:
    return (min(a[2], b[2]) - max(a[0], b[0]) > tol) and (min(a[3], b[3]) - max(a[1], b[1]) > tol)


def inside(inner: Box, outer: Box, tol: float = 1e-6) -> bool:
    return (inner[0] >= outer[0] - tol and inner[1] >= outer[1] - tol
            and inner[2] <= outer[2] + tol and inner[3] <= outer[3] + tol)


def point_distance(p: Point, box: Box) -> float:
    """Distance from `p` to the box (0 inside)."""
    dx = max(box[0] - p[0], 0.0, p[0] - box[2])
    dy = max(box[1] - p[1], 0.0, p[1] - box[3])
    return math.hypot(dx, dy)


def segment_enters(p: Point, q: Point, box: Box) -> float | None:
    """The fraction t in [0, 1] where the segment p->q first touches the box, or None
    (Liang-Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for d, lo, hi, s in ((dx, box[0], box[2], p[0]), (dy, box[1], box[3], p[1])):
        if abs(d) < 1e-12:
            if s < lo or s > hi:
                return None
            continue
        a, b = (lo - s) / d, (hi - s) / d
        if a > b:
            a, b = b, a
        t0, t1 = max(t0, a), min(t1, b)
        if t0 > t1:
            return None
    return t0


def segment_hits(p: Point, q: Point, box: Box) -> bool:
    return segment_enters(p, q, box) is not None


def polyline_hits(points: Sequence[Point], box: Box) -> bool:
    return any(segment_enters(points[i], points[i + 1], box) is not None for i in range(len(points) - 1))


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
