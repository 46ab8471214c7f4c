"""The placement solver: where every balloon and caption of one panel goes, and its tail.

Frame: panel-local points, u right from the frame's left edge, v down from its top.

Hard constraints (a candidate breaking one is never chosen): inside the allowed area; clear of
every other body (with a gap), tail and connector; off every face; every head covered at most
10 % (heads filling over half the panel excepted: there only the face is kept clear); at most a
fifth of a balloon on the back of a foreground head (`Stage.backs`); off the
draft labels (shot tag, action note: `export.labels.slate`); reading order (each piece reads after the one before it, Z order or
its mirror); speakers' left-to-right order kept by their balloons; a tail that crosses no body
or tail and ends within 3 mm of its speaker's head, nearer to it than to any other head;
connected pieces of one speaker side by side. Soft goals (the score): balloons high, short
tails, over their speaker, the first one toward where reading starts.

Search: pieces in reading order, candidates on a grid, best-first depth-first with a node
budget, so one unlucky early choice is revisited instead of failing the panel.
"""

from __future__ import annotations

import dataclasses
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
THOUGHT_TRAIL = 2.1  # em: the shortest off-panel thought trail whose bubbles all stay in the frame
HEAD_COVER = 0.10  # the share of a head lettering may cover
BACK_COVER = 0.2  # the share of a balloon that may lie on the back of a foreground head
ENOUGH = 10  # places that pass every rule, gathered per piece before the search picks
JOIN_GAP = 1.5  # ems: the most space between connected balloons (they touch or stack)
TAIL_WEIGHT = 5.0  # score per (W + H) of tail length
CLIMB_WEIGHT = 2 * TAIL_WEIGHT  # score per (W + H) a balloon sits in the way of the next one
# (`_room_for_later`): more than a shorter tail gains, so the first one climbs and moves aside
IN_THE_WAY = 0.5  # score: and for being in its way at all (a third of BELOW_HEAD)
CLIMB_LIMIT = 40.0  # points (14 mm) a balloon climbs above its speaker's head at most to make that room
BELOW_HEAD = 1.5  # score: a balloon whose top is below its speaker's head (reads as someone else's)
LONG_TAIL = 72.0  # points (25 mm at print size): where the rules cannot all hold, a tail longer
LONG_TAIL_COST = 20.0  # than this costs this much more per LONG_TAIL (a clash with the art costs 50)


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
    narrower: Any = None  # () -> a `fit` with shorter lines (narrower; vertical: shorter), or (fit, the next such
    # maker), or (fit, the next maker, its `detour`), or None: tried where the first fails
    detour: float = 0.0  # score added to every place of this shape (one the letterer avoids: words broken)
    later: list = field(default_factory=list)  # (speaker x, head top, width, height) of later balloons
    closing: bool = False  # a caption or narration read last, after balloons: a bottom corner is its place

    def narrow(self) -> "Piece | None":
        """This piece with its narrower fit (computed once), or None."""
        if self.narrower is None:
            return None
        if not isinstance(self.narrower, Piece):
            made = self.narrower()
            fit, further, detour = (made + (0.0,))[:3] if isinstance(made, tuple) else (made, None, 0.0)
            self.narrower = (dataclasses.replace(self, fit=fit, narrower=further, detour=detour)
                             if fit is not None else None)
        return self.narrower

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
    blocked: list[Box] = field(default_factory=list)  # the draft labels (shot tag, action note)
    # Heads seen from behind in the foreground (over the shoulder): a balloon may overlap such a
    # head's rim (BACK_COVER of the balloon at most), never sit on it.
    backs: list[Box] = field(default_factory=list)
    rtl: bool = False
    over_heads: bool = False  # no balloon under its speaker's head (a hard rule, not only a cost)

    def __post_init__(self):
        panel = self.W * self.H
        # A head filling over half the panel (an extreme close-up) cannot stay 90 % clear.
        self.guarded = [area(h) > 0 and area(h) < 0.5 * panel for h in self.heads]
        self.cover_limits = [HEAD_COVER * area(h) for h in self.heads]  # (worked out once: every candidate asks)
        self.head_areas = [max(area(h), 1e-6) for h in self.heads]
        # The labels' bounds: most candidates are nowhere near them (one test instead of two).
        self.blocked_bounds = (min(b[0] for b in self.blocked), min(b[1] for b in self.blocked),
                               max(b[2] for b in self.blocked), max(b[3] for b in self.blocked)) if self.blocked else None


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


def solve(pieces: list[Piece], stage: Stage, *, budget: list[int] | None = None) -> list[Placed] | None:
    """Every piece placed, or None when the hard constraints cannot all hold (`solve_loose`
    places them against the rules). `budget` is a one-item list of search nodes left, shared
    by the tries of one panel and used up here."""
    nodes = budget if budget is not None else [40]
    cover = [0.0] * len(stage.heads)

    def search(i: int, placed: list[Placed]) -> list[Placed] | None:
        if i == len(pieces):
            return placed
        if nodes[0] <= 0:
            return None
        options = _candidates(pieces[i], placed, stage, cover, True)
        for k in _distinct([box for _, _, box, *_ in options], TRIES):
            place = Placed(*options[k][1:])
            nodes[0] -= 1
            if nodes[0] < 0:
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


TRIES = 4  # places of each piece the search tries, each off the ones before (see `_distinct`)
SAME_PLACE = 0.5  # a place this much on one already tried is the same choice for the pieces after


def _distinct(boxes: list[Box], most: int) -> list[int]:
    """The indexes of `most` of `boxes` (best first) to try, in that order: first those that lie
    less than SAME_PLACE on each better one taken, the rest of the `most` the best others.
    Places a point or two apart leave the pieces after them the same room, so trying four
    such copies is trying one (a second balloon of the first speaker then found room only on
    her chest; a balloon in the corner leaves it room); where fewer differ, near copies are
    still tried (in a tight panel a point can matter)."""
    taken: list[int] = []
    for k, box in enumerate(boxes):
        if len(taken) == most:
            break
        if all(overlap_area(box, boxes[t]) <= SAME_PLACE * area(box) for t in taken):
            taken.append(k)
    rest = [k for k in range(len(boxes)) if k not in taken][:most - len(taken)]
    return sorted(taken + rest)


def longest_tail(placed: list[Placed]) -> float:
    """The longest tail (points, from the balloon's edge to the tip) of the pieces `placed`
    that point at a speaker in the panel (0 without one)."""
    return max((math.dist(p.tail[0], p.tail[-1]) for p in placed if p.tail and not p.piece.off_side), default=0.0)


LOOSE_DETOURS = 3  # against the rules: each piece's next-best places tried, one piece at a time
LOOSE_PASSES = 5  # ... for at most the work of this many more greedy passes (pieces placed)


def solve_loose(pieces: list[Piece], stage: Stage) -> list[Placed]:
    """Every piece placed against the rules (a panel no strict search could letter): the
    least-bad place of each piece in turn, and where taking a piece's second to fourth place
    instead (the pieces after it again taking their least-bad) scores less over the whole
    panel, that: one early balloon off its best place can save a later one a clash or a tail
    across the panel. Earlier pieces' detours first, for at most LOOSE_PASSES greedy passes'
    work (a panel of ten clashing balloons would try 135 rests of up to nine pieces)."""
    heads = stage.heads
    work = LOOSE_PASSES * len(pieces)  # pieces the detours may still place

    def covered(cover: list[float], p: Placed) -> list[float]:
        return [c + overlap_area(p.box, h) for c, h in zip(cover, heads)]

    def finish(start: int, placed: list[Placed], cover: list[float],
               limit: float = math.inf) -> tuple[list[float], list[Placed]] | None:
        """The least-bad place of each piece from `start` on: (their scores, every place); None
        once their scores reach `limit` (no better than a whole panel already found)."""
        scores, placed = [], list(placed)
        for piece in pieces[start:]:
            score, *made = _candidates(piece, placed, stage, cover, False)[0]
            scores.append(score)
            if sum(scores) >= limit:
                return None
            placed.append(Placed(*made))
            cover = covered(cover, placed[-1])
        return scores, placed

    scores, greedy = finish(0, [], [0.0] * len(heads))  # type: ignore[misc]  (no limit: never None)
    best, best_placed = sum(scores), greedy
    # Only an earlier piece can spare a later one a broken rule (each costs 10 or more).
    last = max((i for i, score in enumerate(scores) if score >= 10.0), default=0)
    cover = [0.0] * len(heads)
    for i, piece in enumerate(pieces[:last]):
        prefix = greedy[:i]
        options = _candidates(piece, prefix, stage, cover, False)
        for score, *made in options[1:LOOSE_DETOURS + 1]:
            if sum(scores[:i]) + score >= best:  # (the pieces after it score about 0 at best)
                break
            work -= len(pieces) - i - 1
            if work < 0:
                return best_placed
            p = Placed(*made)
            done = finish(i + 1, prefix + [p], covered(cover, p), best - 1e-9 - sum(scores[:i]) - score)
            if done is not None:
                best, best_placed = sum(scores[:i]) + score + sum(done[0]), done[1]
        cover = covered(cover, greedy[i])
    return best_placed


def _candidates(piece: Piece, placed: list[Placed], stage: Stage, cover: list[float],
                strict: bool) -> list[tuple]:
    """(score, piece, box, tail, link) of the places that pass, best first: what makes a
    `Placed` (made only for the few the search tries)."""
    out = _places(piece, placed, stage, cover, strict)
    shape = piece
    later = _room_for_later(piece, stage) if strict else None
    for step in (1, 2, 3):
        # (a place in the next balloon's way is still a good one for this balloon's own sake)
        if not strict or (out and out[0][0] - _in_the_way(out[0][2], later, stage) < BELOW_HEAD
                          and not stage.over_heads):
            break
        # No good place in this shape: the same words with shorter lines (a narrower balloon,
        # a step at a time; vertical text: a shorter, wider one).
        shape = shape.narrow()
        if shape is None:
            break
        out = sorted(out + [(score + 0.3 * step, *made) for score, *made in _places(shape, placed, stage, cover, strict)],
                     key=lambda sp: sp[0])
    return out


def _places(piece: Piece, placed: list[Placed], stage: Stage, cover: list[float],
            strict: bool) -> list[tuple]:
    W, H = stage.W, stage.H
    bw, bh = piece.fit.outer_w, piece.fit.outer_h
    x0, y0, x1, y1 = stage.area
    if piece.boxed:  # captions stay in the frame's corners, even where balloons may break it
        x0, y0, x1, y1 = max(x0, stage.pad), max(y0, stage.pad), min(x1, W - stage.pad), min(y1, H - stage.pad)
    # A crowded panel lettered against the rules only needs a sensible spot: a coarser grid.
    us = _spread(x0, x1 - bw, 12 if strict else 6)
    vs = _spread(y0, y1 - bh, 10 if strict else 5)
    start_left = not stage.rtl
    gap = 0.35 * piece.size
    prev = placed[-1] if placed else None
    if piece.boxed:  # captions align to the frame: the two side edges only
        us = [us[0], us[-1]] if start_left else [us[-1], us[0]]
    first_u = us[0]  # (for a caption: the edge where reading starts)
    blocks = [(us, vs)]  # places: every u with every v of a block
    if strict and not piece.boxed:
        # Places a letterer would try first, between the grid's: over the speaker's head,
        # just clear of it; snug under or beside the balloon before (connected ones touch).
        su, sv = _snug(piece, prev, stage, bw, bh, gap)
        su = [min(max(u, x0), max(x0, x1 - bw)) for u in su]
        sv = [min(max(v, y0), max(y0, y1 - bh)) for v in sv]
        if su:
            blocks += [(su, sv), (su[:1], vs)]
        below = prev.box[1] + 0.5 * (prev.box[3] - prev.box[1]) + 0.5 if prev is not None else -math.inf
        if y0 <= below <= y1 - bh:
            # The grid's columns just under the highest top that reads after the balloon before
            # from below it (`reads_after`: its middle): the grid's rows can miss that band by a
            # point or two (a thought then narrowed to `He / has a / point...` to fit between it
            # and its speaker's head).
            blocks.append((us, [below]))
    # Speed: rank the grid by the score terms that need no geometry, then check the rules in
    # that order and stop once enough places pass (the search only ever tries the best few).
    order = sorted(_roughs(piece, blocks, bw, bh, first_u, W, H, start_left, prev, not placed,
                           _room_for_later(piece, stage)))
    spots = _spots(piece.later)
    heads = list(zip(stage.heads, stage.head_areas))
    above = strict and stage.over_heads and not piece.joined  # places under the head ruled out
    out: list[tuple] = []  # (score, piece, box, tail, link)
    for rough, u, v in order:
        if strict and len(out) >= ENOUGH:
            break
        box = (u, v, u + bw, v + bh)
        if above and _under(piece, v, bh):
            continue
        penalty = 0.0
        bad = _body_clash(box, piece, placed, stage, cover, gap, prev, strict)
        if bad:
            if strict:
                continue
            penalty += 50.0 * bad
        tail, link = [], []
        if piece.joined and prev is not None:
            link = [_edge_toward(prev, (u + bw / 2, v + bh / 2)), (u + bw / 2, v + bh / 2)]
            if _line_clash(link, placed[:-1], gap, piece.size, stage):
                if strict:
                    continue
                penalty += 20.0
        elif piece.target is not None or piece.off_side:
            tail = _tail(piece, box, stage)
            if tail is None or _line_clash(tail, placed, gap, piece.size, stage):
                if strict:
                    continue
                penalty += 20.0
                tail = tail or []
        if not _speaker_order(piece, box, placed):
            if strict:
                continue
            penalty += 10.0
        score = penalty + rough + piece.detour
        if tail and not piece.boxed:  # the tail's length, for the estimate in `_roughs`
            length = math.dist(tail[0], tail[-1])
            score += TAIL_WEIGHT * (length - _reach(piece, u, v, bw, bh)) / (W + H)
            if not strict and length > LONG_TAIL and not piece.off_side:
                # Lettered against the rules: a balloon across the panel from its speaker (a
                # 300 pt tail) is not an answer to balloons that touch.
                score += LONG_TAIL_COST * (length - LONG_TAIL) / LONG_TAIL
        if spots:  # keep clear of where later speakers' balloons want to go
            score += 1.2 * sum(overlaps(box, spot) or (bool(tail) and polyline_hits(tail, spot))
                               for spot in spots)
        score += sum(2.0 * overlap_area(box, h) / h_area for h, h_area in heads)
        out.append((score, piece, box, tail, link))  # the search makes the few it tries a `Placed`
    out.sort(key=lambda sp: sp[0])
    return out


def _snug(piece: Piece, prev: "Placed | None", stage: Stage, bw: float, bh: float,
          gap: float) -> tuple[list[float], list[float]]:
    """Extra left edges and tops for `piece`: centred over its speaker and a short tail above
    the head; level with, under, or beside the previous balloon."""
    us, vs = [], []
    if piece.target is not None and piece.head is not None:
        us.append(piece.target[0] - bw / 2)
        vs += [piece.head[1] - bh - k * piece.size for k in (1.5, 3.0, 5.0)]
    if prev is not None:
        p0, p1, p2, p3 = prev.box
        us += [p2 + gap, p0 - gap - bw, p0, p2 - bw]
        vs += [p3 + gap, p1, p3 - 0.5 * bh]
    return us, vs


def _reach(piece: Piece, u: float, v: float, bw: float, bh: float) -> float:
    """About how long a tail from the balloon at (u, v) to its speaker's mouth is."""
    if piece.target is None or piece.off_side:
        return 0.0
    dx = max(u - piece.target[0], 0.0, piece.target[0] - u - bw)
    dy = max(v - piece.target[1], 0.0, piece.target[1] - v - bh)
    return math.hypot(dx, dy)


def _spots(later: list) -> list[Box]:
    """Where later balloons would sit over their speakers' heads: their first shape's height,
    a step narrower (a balloon narrows a line at a time for its neighbours: see `_candidates`)."""
    return [(x - 0.42 * w, top - h - 1.5 * size, x + 0.42 * w, top) for x, top, w, h, size in later]


def _room_for_later(piece: Piece, stage: Stage) -> tuple[float, float] | None:
    """What the next balloon of a speaker standing on the side where reading starts needs
    from this one (a two-shot whose right figure speaks first, on a ltr page): it cannot
    read after this one beside it, only clearly below it (`reads_after`), so this balloon's
    middle must be above `top`, the lowest top the later one has over its speaker's head;
    and where it cannot sit wholly under this one, this balloon's near edge must leave it
    its width: u >= `edge` (ltr) or u + width <= `edge` (rtl). (top, edge) in panel points,
    or None. The later one is taken at its first shape, as snug over its head as a short
    tail allows. None too where making that room would lift this balloon's bottom over
    CLIMB_LIMIT above its speaker's head (its tail would run to about LONG_TAIL): the next
    one then finds a place beside."""
    if piece.target is None or piece.off_side:
        return None
    mine = piece.target[0]
    room = None
    for x, top, w, h, size in piece.later:
        if x > mine if stage.rtl else x < mine:
            start = top - h - 0.5 * size
            climbs = piece.head is not None and piece.head[1] - (start + 0.5 * piece.fit.outer_h) > CLIMB_LIMIT
            if room is None:
                if climbs:
                    return None
                gap = 0.35 * size  # (`_places`)
                room = start, stage.area[2] - w - gap if stage.rtl else stage.area[0] + w + gap
            elif start < room[0] and not climbs:
                # A later one on that side too reads after this one (every balloon reads after
                # each one before it, `_body_clash`): its top is the limit where it is higher.
                room = start, room[1]
    return room


def _too_low(v: float, bh: float, start: float, WH: float) -> float:
    """The score of a balloon at top `v`, `bh` tall, whose middle is below `start`, the
    lowest top of the next balloon (`_room_for_later`)."""
    return IN_THE_WAY + CLIMB_WEIGHT * (v + bh / 2 - start) / WH if v + bh / 2 > start else 0.0


def _too_near(u: float, bw: float, edge: float, start_left: bool, WH: float) -> float:
    """The score of a balloon at left `u`, `bw` wide, that leaves the next balloon too little
    width on the reading-start side (`_room_for_later`'s `edge`)."""
    short = edge - u if start_left else u + bw - edge
    return IN_THE_WAY + CLIMB_WEIGHT * short / WH if short > 0.0 else 0.0


def _in_the_way(box: Box, later: tuple[float, float] | None, stage: Stage) -> float:
    """What `_roughs` scored the balloon at `box` for the next balloon's room (0 without)."""
    if later is None:
        return 0.0
    start, edge = later
    WH, bh = stage.W + stage.H, box[3] - box[1]
    near = _too_near(box[0], box[2] - box[0], edge, not stage.rtl, WH) if box[3] > start else 0.0
    return _too_low(box[1], bh, start, WH) + near


def _roughs(piece: Piece, blocks: list[tuple[list[float], list[float]]], bw: float, bh: float, first_u: float,
            W: float, H: float, start_left: bool, prev: "Placed | None", first: bool,
            later: tuple[float, float] | None = None) -> list[tuple[float, float, float]]:
    """(rough score, u, v) of every place (u, v) of the `blocks` (each: lefts us, tops vs):
    the score terms of a place that need no geometry: high, over the speaker (never under
    the head), toward where reading starts, near the balloon it continues, clear of the room
    the next balloon needs where its speaker stands on the side reading starts from
    (`later`, see `_room_for_later`: the first one goes higher). This runs for every grid
    place of every piece tried, so the terms of u alone and of v alone are
    worked out once each (summed in one fixed order: the same places give the same floats;
    the caller sorts, so the order of the list does not matter)."""
    if piece.boxed:
        # A caption goes to a corner: the top one where reading starts; one closing the panel,
        # read after its balloons, to a bottom one (over the heads it would push them down).
        return [(2.0 * ((H - v - bh) if piece.closing else v) / H + (0.0 if u == first_u else 1.5), u, v)
                for us, vs in blocks for u in us for v in vs]
    target, off_side, WH = piece.target, piece.off_side, W + H
    if target is not None:
        tx, ty = target
        under = piece.head is not None  # `_under`: centred lower than half a head below the mouth
        if under:
            low = ty + 0.5 * (piece.head[3] - piece.head[1])
    joined = piece.joined and prev is not None
    if joined:
        centre = prev.centre
    higher = prev.box[1] - 0.5 if prev is not None else None
    start, edge = later if later is not None else (math.inf, 0.0)
    hypot, dist = math.hypot, math.dist
    out: list[tuple[float, float, float]] = []
    append = out.append
    for us, vs in blocks:
        rows = [(v,
                 2.0 * v / H + _too_low(v, bh, start, WH),
                 v + bh > start,  # the next balloon cannot sit wholly under this one
                 max(v - ty, 0.0, ty - v - bh) if target is not None and not off_side else 0.0,
                 target is not None and under and v + bh / 2 > low,
                 0.5 + 2.0 * (prev.box[1] - v) / H if higher is not None and v < higher else None) for v in vs]
        for u in us:
            cx = u + bw / 2
            toward = 1.0 * abs(cx - tx) / W if target is not None else 0.0
            dx = max(u - tx, 0.0, tx - u - bw) if target is not None and not off_side else 0.0
            side = 1.5 * (u if off_side == "left" else W - u - bw) / W if off_side else 0.0
            lean = 0.5 * ((u if start_left else W - u - bw) / W) if first else 0.0
            aside = _too_near(u, bw, edge, start_left, WH) if later is not None else 0.0
            for v, score, beside, dy, below, climb in rows:
                if beside and aside:
                    score += aside
                if target is not None:
                    score += toward
                    # Short tails: ranked by their estimated length (`_reach`), so places near
                    # the speaker are tried first.
                    score += TAIL_WEIGHT * hypot(dx, dy) / WH
                    if below:
                        score += BELOW_HEAD
                if off_side:
                    score += side
                if joined:
                    score += 0.5 * dist(centre, (cx, v + bh / 2)) / WH
                if climb is not None:  # starts higher than the one read before it
                    score += climb
                if first:  # the first balloon leans toward where reading starts
                    score += lean
                append((score, u, v))
    return out


def _body_clash(box: Box, piece: Piece, placed: list[Placed], stage: Stage, cover: list[float],
                gap: float, prev: Placed | None, strict: bool) -> float:
    """How many hard rules the body at `box` breaks (0: none); with `strict`, stops at the
    first. Cheap tests first: this runs for every candidate."""
    bad = 0.0
    # After every balloon before it, not only the last: three in a row read 2, 3, 1 when the
    # second sits level with the first's lower half on the side where reading starts. (The
    # fallback, against the rules anyway, weighs only the one before: its balance of clashes
    # and long tails is set on that.) The last first: it is the one a candidate fails most.
    if any(not reads_after(box, p.box, stage.rtl) for p in (reversed(placed) if strict else placed[-1:])):
        bad += 1
        if strict:
            return bad
    if piece.joined and prev is not None:
        dx = max(box[0] - prev.box[2], prev.box[0] - box[2], 0.0)
        dy = max(box[1] - prev.box[3], prev.box[1] - box[3], 0.0)
        if (dy if dy > dx else dx) > JOIN_GAP * piece.size:
            bad += 1
            if strict:
                return bad
    for f in stage.faces:
        if overlaps(box, f):
            bad += 1
    if stage.blocked and overlaps(box, stage.blocked_bounds):
        bad += sum(overlaps(box, b) for b in stage.blocked)
    for h, guarded, covered, limit in zip(stage.heads, stage.guarded, cover, stage.cover_limits):
        if guarded and covered + overlap_area(box, h) > limit:
            bad += 1
    for h in stage.backs:
        if overlap_area(box, h) > BACK_COVER * area(box):
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
        if not p.lines:
            continue
        near = grow(box, 0.5 * p.piece.size)
        for line, lbox in p.lines:
            if overlaps(lbox, near) and polyline_hits(line, near):
                bad += 1
                if strict:
                    return bad
    return bad


def _line_box(line: list[Point]) -> Box:
    """The line's bounds, a little grown: a straight vertical or horizontal tail has no area,
    and `overlaps` would miss it."""
    if len(line) == 2:  # every tail and connector: min and max written out
        (ax, ay), (bx, by) = line
        return ((bx if bx < ax else ax) - 0.5, (by if by < ay else ay) - 0.5,
                (bx if bx > ax else ax) + 0.5, (by if by > ay else ay) + 0.5)
    xs = [pt[0] for pt in line]
    ys = [pt[1] for pt in line]
    return (min(xs) - 0.5, min(ys) - 0.5, max(xs) + 0.5, max(ys) + 0.5)


def _line_clash(line: list[Point], placed: list[Placed], gap: float, size: float, stage: Stage) -> bool:
    """Whether a tail or connector crosses a face or a draft label, hits another piece's body
    or comes near its tail."""
    for f in stage.faces:
        if polyline_hits(line, f):
            return True
    lbox = _line_box(line)
    if stage.blocked and overlaps(lbox, stage.blocked_bounds):
        if any(polyline_hits(line, b) for b in stage.blocked):
            return True
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
        # A tail runs to the frame; a thought's trail of bubbles stops a quarter em short so
        # its smallest bubble stays whole (the frame may be the edge of the screen or trim),
        # and needs its whole length inside (lettering's _bubbles spaces them over 2.04 em).
        thought = piece.kind == "thought"
        inset = 0.25 * piece.size if thought else 0.0
        tip = (inset if piece.off_side == "left" else stage.W - inset, cy)
        dx = -1.0 if piece.off_side == "left" else 1.0
        edge = (cx + dx * a, cy)
        room = THOUGHT_TRAIL if thought else 0.5
        return [edge, tip] if abs(tip[0] - edge[0]) > room * piece.size else None
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


def under_speaker(placed: list[Placed]) -> bool:
    """Whether a balloon with a tail sits under its speaker's head (where it reads as someone
    else's). A connected balloon is attributed by its connector: it may run on down beside
    the head."""
    return any(not p.piece.joined and _under(p.piece, p.box[1], p.box[3] - p.box[1]) for p in placed)


def over_others(placed: list[Placed], torsos: list[tuple[str, Box]]) -> bool:
    """Whether a balloon covers another figure's body under its head (`torsos`: (id, box)) by
    over a fifth of the balloon: it reads as that figure's, or hides what it does."""
    for p in placed:
        if p.piece.boxed:
            continue
        limit = 0.2 * area(p.box)
        if any(who != p.piece.speaker and overlap_area(p.box, t) > limit for who, t in torsos):
            return True
    return False


def _under(piece: Piece, v: float, bh: float) -> bool:
    """A balloon at top `v`, `bh` tall, is centred lower than half a head below the mouth."""
    if piece.head is None or piece.target is None:
        return False
    return v + bh / 2 > piece.target[1] + 0.5 * (piece.head[3] - piece.head[1])


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
