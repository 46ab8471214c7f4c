"""The placement solver: where every balloon and caption of one panel goes, and its tail.

Frame: panel-local points, u right from the frame's left edge, v down from its top.

Hard constraints (a candidate breaking one is never chosen): inside the allowed area; clear of
every other body (with a gap), tail and connector; off every face; every head covered at most
10 % (heads filling over half the panel excepted: there only the face is kept clear); off the
draft engine's shot label; reading order (each piece reads after the one before it, Z order or
its mirror); speakers' left-to-right order kept by their balloons; a tail that crosses no body
or tail and ends within 3 mm of its speaker's head, nearer to it than to any other head;
connected pieces of one speaker side by side. Soft goals (the score): balloons high, short
tails, over their speaker, the first one toward where reading starts.

Search: pieces in reading order, candidates on a grid, best-first depth-first with a node
budget, so one unlucky early choice is revisited instead of failing the panel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from storyboard._lettering.geometry import (
    Box,
    Point,
    area,
    grow,
    overlap_area,
    overlaps,
    point_distance,
    polyline_distance,
    polyline_hits,
    segment_enters,
)

TIP_GAP = 2.5  # points a tail stops short of the head
TIP_REACH = 8.5  # points: 3 mm, the most a tip may stay away from its speaker's head
HEAD_COVER = 0.10  # the share of a head lettering may cover
ENOUGH = 10  # places that pass every rule, gathered per piece before the search picks


@dataclass
class Piece:
    """One balloon or box to place. `fit` is the lettering's `Fit` (outer_w, outer_h, a, b)."""

    kind: str
    text: str
    fit: Any
    size: float
    speaker: str = ""
    target: Point | None = None  # the speaker's mouth
    head: Box | None = None  # the speaker's head
    off_side: str | None = None  # 'left' | 'right': the speaker is out of the frame there
    joined: bool = False  # continues the previous piece (same speaker): a connector, no tail
    outline: float = 0.0  # how far the outline reaches beyond the text oval

    @property
    def boxed(self) -> bool:
        return self.kind in ("caption", "narration")


@dataclass
class Stage:
    """What a panel offers the lettering."""

    W: float
    H: float
    pad: float
    area: Box  # where bodies may go
    faces: list[Box]
    heads: list[Box]
    blocked: list[Box] = field(default_factory=list)  # the draft shot label
    rtl: bool = False

    def __post_init__(self):
        panel = self.W * self.H
        # A head filling over half the panel (an extreme close-up) cannot stay 90 % clear.
        self.guarded = [area(h) > 0 and area(h) < 0.5 * panel for h in self.heads]


@dataclass
class Placed:
    piece: Piece
    box: Box
    tail: list[Point]  # from the balloon's edge to the tip; [] when none
    link: list[Point]  # connector to the previous piece; [] when none

    def __post_init__(self):
        self.lines = [(line, _line_box(line)) for line in (self.tail, self.link) if line]

    @property
    def centre(self) -> Point:
        return ((self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2)


def reads_after(box: Box, prev: Box, rtl: bool) -> bool:
    """Whether `box` reads after `prev`: clearly below it, or beside it in reading direction."""
    below = box[1] >= prev[1] + 0.5 * (prev[3] - prev[1])
    level = box[1] >= prev[1] - 0.5 * (box[3] - box[1])
    if rtl:
        beside = box[2] <= prev[0] + 0.25 * (prev[2] - prev[0])
    else:
        beside = box[0] >= prev[2] - 0.25 * (prev[2] - prev[0])
    return below or (beside and level)


def _spread(lo: float, hi: float, n: int) -> list[float]:
    if hi <= lo:
        return [lo]
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


def solve(pieces: list[Piece], stage: Stage, *, strict: bool = True, budget: list[int] | None = None) -> list[Placed] | None:
    """Every piece placed, or None when the hard constraints cannot all hold (with `strict`
    off, the least-bad place is taken instead and a result always comes back). `budget` is
    a one-item list of search nodes left, shared by the tries of one panel and used up here."""
    nodes = budget if budget is not None else [40]
    cover = [0.0] * len(stage.heads)

    def search(i: int, placed: list[Placed]) -> list[Placed] | None:
        if i == len(pieces):
            return placed
        if nodes[0] <= 0:
            return None
        options = _candidates(pieces[i], placed, stage, cover, strict)
        for score, place in options[:4]:
            nodes[0] -= 1
            if nodes[0] < 0 and strict:
                return None
            added = [overlap_area(place.box, h) for h in stage.heads]
            for k, a in enumerate(added):
                cover[k] += a
            found = search(i + 1, placed + [place])
            for k, a in enumerate(added):
                cover[k] -= a
            if found is not None:
                return found
        return None

    return search(0, [])


def _candidates(piece: Piece, placed: list[Placed], stage: Stage, cover: list[float],
                strict: bool) -> list[tuple[float, Placed]]:
    W, H = stage.W, stage.H
    bw, bh = piece.fit.outer_w, piece.fit.outer_h
    x0, y0, x1, y1 = stage.area
    # A crowded panel lettered against the rules only needs a sensible spot: a coarser grid.
    us = _spread(x0, x1 - bw, 12 if strict else 6)
    vs = _spread(y0, y1 - bh, 10 if strict else 5)
    start_left = not stage.rtl
    if piece.boxed:  # captions align to the frame: the two side edges only
        us = [us[0], us[-1]] if start_left else [us[-1], us[0]]
    gap = 0.35 * piece.size
    prev = placed[-1] if placed else None
    # Speed: rank the grid by the score terms that need no geometry, then check the rules in
    # that order and stop once enough places pass (the search only ever tries the best few).
    order = sorted(((_rough(piece, u, v, bw, bh, us[0], W, H, start_left, prev, not placed), u, v)
                    for u in us for v in vs), key=lambda c: c[0])
    out: list[tuple[float, Placed]] = []
    for rough, u, v in order:
        if strict and len(out) >= ENOUGH:
            break
        box = (u, v, u + bw, v + bh)
        penalty = 0.0
        bad = _body_clash(box, piece, placed, stage, cover, gap, prev, strict)
        if bad:
            if strict:
                continue
            penalty += 50.0 * bad
        tail, link = [], []
        if piece.joined and prev is not None:
            link = [_edge_toward(prev, (u + bw / 2, v + bh / 2)), (u + bw / 2, v + bh / 2)]
            if _line_clash(link, placed[:-1], gap, piece.size, stage.faces):
                if strict:
                    continue
                penalty += 20.0
        elif piece.target is not None or piece.off_side:
            tail = _tail(piece, box, stage)
            if tail is None or _line_clash(tail, placed, gap, piece.size, stage.faces):
                if strict:
                    continue
                penalty += 20.0
                tail = tail or []
        if not _speaker_order(piece, box, placed):
            if strict:
                continue
            penalty += 10.0
        score = penalty + rough
        if tail and not piece.boxed:
            score += 2.0 * math.dist(tail[0], tail[-1]) / (W + H)
        score += sum(2.0 * overlap_area(box, h) / max(area(h), 1e-6) for h in stage.heads)
        out.append((score, Placed(piece, box, tail, link)))
    out.sort(key=lambda sp: sp[0])
    return out


def _rough(piece: Piece, u: float, v: float, bw: float, bh: float, first_u: float, W: float, H: float,
           start_left: bool, prev: "Placed | None", first: bool) -> float:
    """The score terms of a place that need no geometry: high, over the speaker, toward where
    reading starts, near the balloon it continues."""
    score = 3.0 * v / H
    cx = u + bw / 2
    if piece.boxed:
        return score + (0.0 if u == first_u else 1.5)
    if piece.target is not None:
        score += 1.0 * abs(cx - piece.target[0]) / W
    if piece.off_side:
        score += 1.5 * (u if piece.off_side == "left" else W - u - bw) / W
    if piece.joined and prev is not None:
        score += 0.5 * math.dist(prev.centre, (cx, v + bh / 2)) / (W + H)
    if first:  # the first balloon leans toward where reading starts
        score += 0.5 * ((u if start_left else W - u - bw) / W)
    return score


def _body_clash(box: Box, piece: Piece, placed: list[Placed], stage: Stage, cover: list[float],
                gap: float, prev: Placed | None, strict: bool) -> float:
    """How many hard rules the body at `box` breaks (0: none); with `strict`, stops at the
    first. Cheap tests first: this runs for every candidate."""
    bad = 0.0
    if prev is not None and not reads_after(box, prev.box, stage.rtl):
        bad += 1
        if strict:
            return bad
    if piece.joined and prev is not None:
        dx = max(box[0] - prev.box[2], prev.box[0] - box[2], 0.0)
        dy = max(box[1] - prev.box[3], prev.box[1] - box[3], 0.0)
        if max(dx, dy) > 4.0 * piece.size:
            bad += 1
            if strict:
                return bad
    for f in stage.faces:
        if overlaps(box, f):
            bad += 1
    for b in stage.blocked:
        if overlaps(box, b):
            bad += 1
    for k, h in enumerate(stage.heads):
        if stage.guarded[k] and cover[k] + overlap_area(box, h) > HEAD_COVER * area(h):
            bad += 1
    if bad and strict:
        return bad
    grown = grow(box, gap)
    for p in placed:
        if overlaps(grown, p.box):
            bad += 1
            if strict:
                return bad
    for p in placed:
        for line, lbox in p.lines:
            near = grow(box, 0.5 * p.piece.size)
            if overlaps(lbox, near) and polyline_hits(line, near):
                bad += 1
                if strict:
                    return bad
    return bad


def _line_box(line: list[Point]) -> Box:
    xs = [pt[0] for pt in line]
    ys = [pt[1] for pt in line]
    return (min(xs), min(ys), max(xs), max(ys))


def _line_clash(line: list[Point], placed: list[Placed], gap: float, size: float, faces: list[Box]) -> bool:
    """Whether a tail or connector crosses a face, hits another piece's body or comes near
    its tail."""
    if any(polyline_hits(line, f) for f in faces):
        return True
    lbox = _line_box(line)
    for p in placed:
        near = grow(p.box, 0.5 * gap)
        if overlaps(lbox, near) and polyline_hits(line, near):
            return True
        if p.tail and overlaps(grow(lbox, 0.9 * size), p.lines[0][1]) and polyline_distance(line, p.tail) < 0.9 * size:
            return True
    return False


def _tail(piece: Piece, box: Box, stage: Stage) -> list[Point] | None:
    """The tail's centre line from the balloon's edge to its tip, or None when no tail from
    here can end within reach of the speaker's head and nearer it than any other head."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    a = max(piece.fit.a + piece.outline, 1e-6)
    b = max(piece.fit.b + piece.outline, 1e-6)
    if piece.off_side:
        tip = (0.0 if piece.off_side == "left" else stage.W, cy)
        dx = -1.0 if piece.off_side == "left" else 1.0
        edge = (cx + dx * a, cy)
        return [edge, tip] if abs(tip[0] - edge[0]) > 0.5 * piece.size else None
    mx, my = piece.target
    dist = math.hypot(mx - cx, my - cy)
    if dist < 1e-6:
        return None
    ux, uy = (mx - cx) / dist, (my - cy) / dist
    reach = 1.0 / math.sqrt((ux / a) ** 2 + (uy / b) ** 2)
    if reach >= dist:
        return None  # the balloon sits on the mouth
    edge = (cx + ux * reach, cy + uy * reach)
    head = piece.head
    t = segment_enters(edge, (mx, my), grow(head, TIP_GAP))
    along = (dist - reach) * (t if t is not None else 1.0)
    along = min(max(along, 0.9 * piece.size), dist - reach)
    tip = (edge[0] + ux * along, edge[1] + uy * along)
    own = point_distance(tip, head)
    if own > TIP_REACH:
        return None
    for other in stage.heads:
        if other != head and point_distance(tip, other) <= own:
            return None
    return [edge, tip]


def speaker_x(piece: Piece) -> float | None:
    """Where the speaker stands left to right (off-panel speakers beyond the frame)."""
    if piece.off_side:
        return -1e9 if piece.off_side == "left" else 1e9
    if piece.head is not None:
        return (piece.head[0] + piece.head[2]) / 2
    return None


def _speaker_order(piece: Piece, box: Box, placed: list[Placed]) -> bool:
    """Balloons of different speakers keep the speakers' left-to-right order."""
    mine = speaker_x(piece)
    if mine is None:
        return True
    cx = (box[0] + box[2]) / 2
    for p in placed:
        theirs = speaker_x(p.piece)
        if theirs is None or p.piece.speaker == piece.speaker or abs(mine - theirs) < 1.0:
            continue
        if (cx - p.centre[0]) * (1 if mine > theirs else -1) < -2.0:
            return False
    return True


def _edge_toward(p: Placed, point: Point) -> Point:
    """Where the line from `p`'s centre to `point` leaves `p`'s outline."""
    cx, cy = p.centre
    a = max(p.piece.fit.a + p.piece.outline, 1e-6)
    b = max(p.piece.fit.b + p.piece.outline, 1e-6)
    dx, dy = point[0] - cx, point[1] - cy
    dist = math.hypot(dx, dy)
    if dist < 1e-9:  # one on top of the other (a panel lettered against the rules)
        return (cx, cy)
    ux, uy = dx / dist, dy / dist
    if p.piece.boxed:  # a box: the nearer of its sides
        reach = min(a / max(abs(ux), 1e-9), b / max(abs(uy), 1e-9))
    else:
        reach = 1.0 / math.sqrt((ux / a) ** 2 + (uy / b) ** 2)
    return (cx + ux * reach, cy + uy * reach)
