"""Draft figures: one silhouette per figure kind and pose, drawn where staging put it.

Each drawer gets a `Figure` (the staged boxes in canvas units) and a `Pen`; shapes are
written in head units `u` from an anchor (x grows toward where the figure looks, `f`), so a
figure reads the same at any size. Kinds differ in outline, not only in size: a quadruped
is long and low on four legs, a bird a teardrop with a beak and a wing, a robot all boxes
with an antenna, a creature a horned blob on tentacles, an object a crate, a vehicle a car
on two wheels, a crowd a row of heads and shoulders.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Callable

from storyboard.engines._palette import GRAPHITE, SHADE
from storyboard.errors import quote
from storyboard.staging import POSES, action_poses, cast_names, cast_nouns, figure_kind, read_pose

Box = tuple[float, float, float, float]

# How far legs (or what a kind moves on) swing apart on the move, relative to a walk.
STRIDE = {"walking": 1.0, "running": 1.6}
# The poses (`staging.POSES`) each kind's drawer shows; any other is drawn standing (`validate`
# warns of it: `pose_problems`, printed by `storyboard.render.pose_warnings`).
DRAWN = {kind: frozenset(poses.split()) for kind, poses in {
    "human": "standing walking running sitting kneeling lying pointing",
    "animal": "standing walking running sitting lying", "bird": "standing walking running sitting",
    "robot": "standing walking running sitting lying", "creature": "standing walking running sitting lying",
    "crowd": "standing walking running", "vehicle": "standing walking running", "object": "standing"}.items()}
_A = {kind: ("an " if kind[0] in "aeiou" else "a ") + kind for kind in DRAWN}


@dataclass(frozen=True)
class Figure:
    """A staged figure in canvas units."""

    kind: str
    pose: str
    body: Box
    head: Box
    u: float  # head height
    facing: int  # +1 looks right
    tint: tuple[int, int, int]
    lw: float  # outline width
    stretch: float  # foreshortening of the body below the neck (camera angle)
    clip: float  # y below which nothing is drawn (the frame cuts the body)
    back: bool = False  # seen from behind (over the shoulder): no face
    close: bool = False  # a close-up or extreme close-up: the head (and chest) fills the shot
    species: str = ""  # 'cat' for an animal its words call one (`staging.species`): its own silhouette


def draw(pen, fig: Figure, shape: Callable) -> tuple[float, float] | None:
    """Draw `fig`; return (head centre x, head top) where a face belongs, or None."""
    return DRAWERS.get(fig.kind, _human)(pen, fig, shape)


# Where a person's near hand is in each pose but lying, (toward the gaze, down) in head heights
# from the body's axis at the head's top: the end of the near arm `_human` draws (`near_hand`).
NEAR_HAND = {"standing": (0.85, 4.0), "sitting": (0.85, 4.0), "kneeling": (0.85, 4.0), "walking": (-1.35, 3.7),
             "running": (1.55, 3.1), "pointing": (3.0, 1.55)}


def _body_axis(fig: Figure) -> tuple[float, Callable[[float], float]]:
    """A person's body axis x (a runner leans into the run) and its `y(v)`: canvas y of `v`
    head heights below the head's top, those below the neck foreshortened with the angle, no
    lower than the frame's clip."""
    u, (hx0, top, hx1, _) = fig.u, fig.head
    lean = 0.3 * u * fig.facing if fig.pose == "running" else 0.0

    def y(v: float) -> float:
        return min(top + u + (v - 1.0) * u * fig.stretch if v > 1.0 else top + v * u, fig.clip)

    return (hx0 + hx1) / 2 - lean, y


def near_hand(fig: Figure) -> tuple[float, float] | None:
    """A person's near hand as `_human` draws it, canvas (x, y) unclipped by the frame; None
    for another kind or lying."""
    if fig.kind != "human" or fig.pose == "lying":
        return None
    cx, _ = _body_axis(fig)
    hx, hy = NEAR_HAND.get(fig.pose, NEAR_HAND["standing"])
    return cx + fig.facing * hx * fig.u, fig.head[1] + fig.u + (hy - 1.0) * fig.u * fig.stretch


def _human(pen, fig: Figure, shape) -> tuple[float, float] | None:
    u, f = fig.u, fig.facing
    hx0, top, hx1, _ = fig.head
    head_cx = (hx0 + hx1) / 2
    if fig.pose == "lying":
        return _lying(pen, fig, shape)
    cx, y = _body_axis(fig)

    def poly(points, tint=fig.tint):
        shape([(cx + px * f * u, y(py)) for px, py in points], tint, fig.lw)

    def feet(points):
        for px in points:
            if y(7.3) < fig.clip:
                x = cx + px * f * u
                pen.ellipse((x - 0.2 * u, y(7.22), x + 0.2 * u, y(7.5)), fill=GRAPHITE)

    # Legs, arms, torso, neck, head: back to front. Points are (toward the gaze, down).
    if fig.pose == "walking":  # mid-stride, both feet down, the near leg forward; the far arm swings forward
        poly([(-0.55, 3.9), (0.05, 3.9), (-0.72, 7.3), (-1.08, 7.25)])
        poly([(-0.05, 3.9), (0.55, 3.9), (1.15, 7.25), (0.78, 7.3)])
        feet((-0.95, 1.05))
        poly([(0.55, 1.4), (0.85, 1.55), (1.35, 3.6), (1.05, 3.75)])
    elif fig.pose == "running":
        poly([(-0.65, 3.9), (-0.05, 3.9), (-1.1, 7.2), (-1.5, 7.0)])
        poly([(0.05, 3.9), (0.65, 3.9), (1.75, 6.9), (1.4, 7.15)])
        poly([(-0.8, 1.4), (-1.05, 1.6), (-1.55, 3.4), (-1.25, 3.55)])
    elif fig.pose in ("sitting", "kneeling"):
        if fig.pose == "sitting":  # a seat under the hips
            poly([(-1.0, 4.25), (1.0, 4.25), (1.0, 5.2), (-1.0, 5.2)], SHADE)
            poly([(-0.6, 3.55), (1.95, 3.55), (1.95, 4.3), (-0.6, 4.3)])  # thighs forward
            poly([(1.45, 4.2), (1.95, 4.2), (1.9, 5.15), (1.45, 5.15)])  # shins down
        else:
            poly([(-0.6, 3.9), (0.6, 3.9), (0.6, 4.9), (-0.6, 4.9)])  # thighs down
            poly([(0.6, 4.6), (-1.9, 4.75), (-1.9, 5.3), (0.6, 5.3)])  # a shin along the ground
        poly([(-0.86, 1.38), (-1.08, 1.6), (-0.98, 4.0), (-0.72, 4.0), (-0.72, 1.7)])
    else:
        for side in (-1, 1):
            poly([(side * 0.12, 3.9), (side * 0.68, 3.9), (side * 0.5, 7.3), (side * 0.18, 7.3)])
        feet((-0.26, 0.42))
        poly([(-0.86, 1.38), (-1.08, 1.6), (-0.98, 4.0), (-0.72, 4.0), (-0.72, 1.7)])
    poly([(-0.25, 1.18), (0.25, 1.18), (0.78, 1.3), (0.95, 1.48), (0.74, 3.3), (0.8, 4.0),
          (-0.8, 4.0), (-0.74, 3.3), (-0.95, 1.48), (-0.78, 1.3)])
    if fig.pose == "running":
        poly([(0.8, 1.4), (1.05, 1.6), (1.65, 3.0), (1.4, 3.2)])
    elif fig.pose == "walking":  # the near arm swings back, opposite the near leg
        poly([(-0.8, 1.4), (-1.05, 1.6), (-1.5, 3.6), (-1.2, 3.75)])
    elif fig.pose == "pointing":  # the arm straight out toward what it shows, a finger further
        poly([(0.75, 1.35), (2.6, 1.4), (2.6, 1.7), (0.75, 1.8)])
        poly([(2.6, 1.45), (3.05, 1.5), (3.05, 1.6), (2.6, 1.62)])
    else:
        poly([(0.86, 1.38), (1.08, 1.6), (0.98, 4.0), (0.72, 4.0), (0.72, 1.7)])
    poly([(-0.16, 0.85), (0.16, 0.85), (0.18, 1.35), (-0.18, 1.35)])
    pen.ellipse(fig.head, fill=fig.tint, outline=GRAPHITE, width=fig.lw)
    return None if fig.back else (head_cx, top)


def _lying(pen, fig: Figure, shape) -> tuple[float, float] | None:
    """Stretched out along the ground, the head at the end it faces."""
    u, f = fig.u, fig.facing
    x0, y0, x1, y1 = fig.body
    hx0, hy0, hx1, hy1 = fig.head
    mid = (hy0 + hy1) / 2
    neck = hx0 if f > 0 else hx1  # where the head meets the body

    def poly(points):  # (distance back from the neck, height above the head's middle)
        shape([(neck - f * px * u, mid - py * u) for px, py in points], fig.tint, fig.lw)

    for drop in (0.1, -0.15):
        poly([(2.9, 0.28 + drop), (6.3, 0.22 + drop), (6.3, -0.08 + drop), (2.9, -0.02 + drop)])
    poly([(0.1, 0.45), (3.0, 0.45), (3.1, -0.35), (0.1, -0.35)])
    poly([(0.4, 0.5), (2.6, 0.5), (2.6, 0.3), (0.4, 0.3)])  # the near arm along the body
    pen.ellipse(fig.head, fill=fig.tint, outline=GRAPHITE, width=fig.lw)
    return None


def _animal(pen, fig: Figure, shape) -> tuple[float, float] | None:
    """A quadruped: a long body on four legs, neck and head at the front, a tail behind;
    sitting on its haunches, or lying with its head low over its forepaws; in a close shot
    its head and chest (`_animal_head`). A dog's head has a long snout and a drooping ear; a
    cat's (`species`) is round with two pointed ears up, whiskers, a slimmer body on thinner
    legs and its tail held up (out behind it at a run, curled round its paws sitting)."""
    if fig.close:
        return _animal_head(pen, fig, shape)
    u, f = fig.u, fig.facing
    x0, top, x1, bottom = fig.body
    cx = (x0 + x1) / 2
    ground = (min(bottom, top + 2.6 * u, fig.clip) - top) / u
    hx0, hy0, hx1, hy1 = fig.head
    hcx = (hx0 + hx1) / 2

    cat = fig.species == "cat"
    thick = 0.11 if cat else 0.15  # half a leg's width

    def at(px, py):  # px toward the head from the body's centre, py down from the top
        return cx + f * px * u, min(top + py * u, fig.clip)

    def tail(*points):
        pen.line([at(*p) for p in points], fill=GRAPHITE, width=max(fig.lw * 1.6, 1))

    def leg(px, py, reach, foot=0.0):  # from the body down to the ground, `foot` a paw forward
        shape([at(px - thick, py), at(px + thick, py), at(px + thick + reach + foot, ground),
               at(px - thick + reach, ground)], fig.tint, fig.lw)

    if fig.pose == "sitting":  # upright on its haunches: forelegs straight under the chest
        if cat:  # the tail curled round the front paws
            tail((-0.6, ground - 0.15), (0.1, ground - 0.02), (1.2, ground - 0.02), (1.6, ground - 0.2))
        else:
            tail((-0.65, 2.35), (-1.2, 2.5), (-1.65, 2.45))
        leg(1.0, 1.3, 0.0)
        shape(_tilted(at, 0.35, 1.6, 1.0, 0.5, -0.9), fig.tint, fig.lw)  # the body, chest up
        shape(ellipse_points(*at(-0.2, 2.05), 0.6 * u, 0.5 * u), fig.tint, fig.lw)  # the haunch
        shape([at(-0.1, ground - 0.18), at(0.55, ground - 0.15), at(0.6, ground), at(-0.1, ground)],
              fig.tint, fig.lw)  # a hind paw
        leg(1.25, 1.3, 0.0)
        neck = [at(0.75, 0.95), at(1.2, 1.35)]
    elif fig.pose == "lying":  # stretched along the ground, forepaws out in front, the head on them
        low = (hy0 - top) / u + 0.1  # the back's top, level with the head
        tail((-1.6, ground - 0.25), (-2.0, ground - 0.05), (-2.35, ground - 0.05),
             *([(-2.6, ground - 0.35)] if cat else []))  # a cat's tip curls up
        shape(ellipse_points(*at(-0.2, (low + ground) / 2), 1.45 * u, (ground - low) / 2 * u), fig.tint, fig.lw)
        shape(ellipse_points(*at(-0.85, low + 0.45), 0.55 * u, 0.4 * u), fig.tint, fig.lw)  # the hind leg folded
        for lift in (0.3, 0.0):  # forepaws along the ground, the far one a little higher
            shape([at(0.6, ground - 0.3 - lift), at(2.05, ground - 0.25 - lift), at(2.05, ground - lift),
                   at(0.6, ground - lift)], fig.tint, fig.lw)
        neck = [at(0.7, low + 0.05), at(1.1, low)]
    else:
        stride = 1.0 if fig.pose == "running" else 0.5 if fig.pose == "walking" else 0.0  # a walk: half as far
        for px, swing in ((-1.3, -0.5), (-0.9, 0.4), (0.8, -0.4), (1.2, 0.5)):  # far legs first
            leg(px, 1.6, swing * stride)
        running = fig.pose == "running"
        if cat:  # held up in a curve, its tip bent over; straight out behind at a run
            tail(*(((-1.55, 1.1), (-2.15, 0.85), (-2.6, 0.75)) if running else
                   ((-1.5, 1.1), (-1.95, 0.55), (-1.95, -0.25), (-1.7, -0.5))))
        else:
            tail((-1.6, 1.1), (-2.1, 0.6 if running else 1.4), (-2.25, 0.3 if running else 1.8))
        shape(ellipse_points(*at(-0.1, 1.35), (1.5 if cat else 1.6) * u, (0.45 if cat else 0.55) * u), fig.tint,
              fig.lw)  # the body
        neck = [at(0.9, 1.0), at(1.35, 0.95)]
    shape([*neck, (hcx + f * 0.1 * u, hy1 - 0.2 * u), (hcx - f * 0.3 * u, hy1 - 0.1 * u)], fig.tint, fig.lw)
    if cat:  # two pointed ears straight up, the far one shaded
        for side, tint in ((-1, SHADE), (1, fig.tint)):
            ear = hcx + f * (0.1 + side * 0.2) * u
            shape([(ear - 0.17 * u, hy0 + 0.25 * u), (ear - 0.02 * u, hy0 - 0.3 * u), (ear + 0.17 * u, hy0 + 0.2 * u)],
                  tint, fig.lw)
    else:
        ear = hcx - f * 0.15 * u
        shape([(ear - 0.15 * u, hy0 + 0.2 * u), (ear, hy0 - 0.25 * u), (ear + 0.15 * u, hy0 + 0.2 * u)], fig.tint,
              fig.lw)
    pen.ellipse(fig.head, fill=fig.tint, outline=GRAPHITE, width=fig.lw)
    if cat:  # a small nose at the front of the round head, whiskers out from it
        nx, ny = hcx + f * 0.36 * u, hy0 + 0.6 * u
        shape([(nx - f * 0.08 * u, ny - 0.05 * u), (nx + f * 0.04 * u, ny - 0.05 * u), (nx, ny + 0.04 * u)],
              GRAPHITE, max(1, fig.lw / 2))
        for dy in (-0.08, 0.06):
            pen.line([(nx - f * 0.05 * u, ny + 0.05 * u), (nx + f * 0.4 * u, ny + dy * u)], fill=GRAPHITE,
                     width=max(1, fig.lw / 2))
    else:  # a snout pointing where the animal looks: the head reads as an animal's at any size
        shape([(hcx + f * 0.2 * u, hy0 + 0.4 * u), (hcx + f * 0.75 * u, hy0 + 0.55 * u),
               (hcx + f * 0.72 * u, hy0 + 0.8 * u), (hcx + f * 0.15 * u, hy0 + 0.85 * u)], fig.tint, fig.lw)
    return None if fig.back else ((hx0 + hx1) / 2, hy0)


def _tilted(at, px, py, rx, ry, turn, n=24):
    """Points round an ellipse centred (px, py) with radii rx, ry (head units), turned `turn`
    radians (negative: its front end up), mapped through `at`."""
    c, s = math.cos(turn), math.sin(turn)
    return [at(px + rx * math.cos(t) * c - ry * math.sin(t) * s, py + rx * math.cos(t) * s + ry * math.sin(t) * c)
            for t in (2 * math.pi * i / n for i in range(n))]


def _animal_head(pen, fig: Figure, shape) -> tuple[float, float] | None:
    """An animal's close-up, seen three-quarters toward where it looks: ears drooping beside the
    skull, a muzzle with a dark nose ahead of it, a furred chest under it (no shoulders), all
    inside the staged head box but the muzzle and ears (a cat: pointed ears up, a round face, a
    small nose and whiskers, no muzzle). The eyes are the draft's face's (a dog's dark and round)."""
    u, f = fig.u, fig.facing
    hx0, top, hx1, _ = fig.head
    cx = (hx0 + hx1) / 2

    def at(px, py):  # px toward the gaze, py down from the head's top, in head units
        return cx + f * px * u, min(top + py * u, fig.clip)

    shape([at(-0.28, 0.7), at(0.3, 0.7), at(0.72, 1.45), at(1.0, 2.3), at(1.05, 99), at(-1.05, 99),
           at(-1.0, 2.3), at(-0.7, 1.45)], fig.tint, fig.lw)  # neck into a deep chest
    for py in (1.35, 1.65, 1.95):  # fur marks down the chest
        if top + (py + 0.15) * u < fig.clip:
            pen.line([at(-0.16, py), at(0.0, py + 0.14), at(0.16, py)], fill=GRAPHITE, width=max(1, fig.lw / 2))
    if fig.species == "cat":  # a round face, no muzzle: a small nose, a split mouth, whiskers
        for side in (-1, 1):  # ears: up and out from the top of the skull, shaded inside
            shape([at(side * 0.1, 0.32), at(side * 0.38, 0.0), at(side * 0.42, 0.48)], fig.tint, fig.lw)
            shape([at(side * 0.2, 0.33), at(side * 0.36, 0.12), at(side * 0.37, 0.4)], SHADE, max(1, fig.lw / 2))
        pen.ellipse((cx - 0.45 * u, top + 0.18 * u, cx + 0.45 * u, top + u), fill=fig.tint, outline=GRAPHITE,
                    width=fig.lw)
        n = 0.2  # the nose, under the eyes (`_face` draws them about 0.12 toward the gaze)
        shape([at(n - 0.07, 0.6), at(n + 0.07, 0.6), at(n, 0.68)], GRAPHITE, max(1, fig.lw / 2))
        pen.line([at(n - 0.12, 0.77), at(n, 0.73), at(n, 0.68), at(n, 0.73), at(n + 0.12, 0.77)], fill=GRAPHITE,
                 width=max(1, fig.lw / 2))
        for side in (-1, 1):
            for py in (0.66, 0.74):
                pen.line([at(n + side * 0.16, py), at(n + side * 0.62, py + (py - 0.7) * 1.5)], fill=GRAPHITE,
                         width=max(1, fig.lw / 3))
        return None if fig.back else (cx, top)
    # A dog's ears flop down beside its face from the top of the skull (pricked up, they read as
    # a wolf's); the far one shaded. The muzzle behind the skull's outline, so that only its
    # front shows, sticking out.
    for side in (-1, 1):
        shape([at(side * 0.22, 0.24), at(side * 0.5, 0.26), at(side * 0.62, 0.62), at(side * 0.52, 0.86),
               at(side * 0.38, 0.8), at(side * 0.3, 0.45)], fig.tint if side > 0 else SHADE, fig.lw)
    shape([at(0.1, 0.5), at(0.52, 0.5), at(0.7, 0.56), at(0.75, 0.67), at(0.69, 0.8), at(0.48, 0.9),
           at(0.1, 0.92)], fig.tint, fig.lw)
    pen.ellipse((cx - 0.42 * u, top + 0.18 * u, cx + 0.42 * u, top + u), fill=fig.tint, outline=GRAPHITE,
                width=fig.lw)
    nx, ny = at(0.66, 0.6)
    pen.ellipse((nx - 0.1 * u, ny - 0.07 * u, nx + 0.1 * u, ny + 0.07 * u), fill=GRAPHITE)
    pen.line([at(0.66, 0.67), at(0.58, 0.79), at(0.3, 0.82)], fill=GRAPHITE, width=fig.lw)  # the mouth
    return None if fig.back else (cx, top)


def _bird(pen, fig: Figure, shape) -> tuple[float, float] | None:
    """A teardrop body with a folded wing, a tail, thin legs, a round head and a beak."""
    u, f = fig.u, fig.facing
    hx0, top, hx1, hy1 = fig.head
    cx = (hx0 + hx1) / 2

    def at(px, py):
        return cx + f * px * u, min(top + py * u, fig.clip)

    if fig.pose == "sitting":  # settled on its perch: the legs tucked under a fuller, lower body
        shape([at(-0.75, 1.95), at(-1.65, 2.3), at(-1.55, 1.95)], fig.tint, fig.lw)  # tail
        shape(ellipse_points(*at(-0.3, 1.65), 0.95 * u, 0.8 * u), fig.tint, fig.lw)  # body
        shape([at(0.1, 1.45), at(-1.25, 1.65), at(-0.5, 2.1)], SHADE, fig.lw)  # the folded wing
    else:
        step = 0.28 * STRIDE.get(fig.pose, 0.0)
        for px, reach in ((-0.2, -step), (0.1, step)):  # legs, a step apart when walking or running
            pen.line([at(px, 1.9), at(px + reach, 2.45), at(px + reach + 0.2, 2.5)], fill=GRAPHITE,
                     width=max(fig.lw, 1))
        shape([at(-0.7, 1.5), at(-1.6, 1.9), at(-1.5, 1.6)], fig.tint, fig.lw)  # tail
        shape(ellipse_points(*at(-0.3, 1.45), 0.85 * u, 0.55 * u), fig.tint, fig.lw)  # body
        shape([at(0.1, 1.2), at(-1.2, 1.35), at(-0.5, 1.75)], SHADE, fig.lw)  # the folded wing
    shape([at(0.35, 0.45), at(0.95, 0.55), at(0.35, 0.7)], (222, 190, 120), fig.lw)  # beak
    pen.ellipse((cx - 0.4 * u, top + 0.1 * u, cx + 0.4 * u, top + 0.9 * u), fill=fig.tint, outline=GRAPHITE,
                width=fig.lw)
    ex, ey = at(0.12, 0.4)
    pen.ellipse((ex - 0.07 * u, ey - 0.07 * u, ex + 0.07 * u, ey + 0.07 * u), fill=GRAPHITE)
    return None


def _robot(pen, fig: Figure, shape) -> tuple[float, float] | None:
    """Boxes: a square head with an antenna and a visor, a box torso, block limbs; lying, the
    same boxes along the ground behind its head."""
    if fig.pose == "lying":
        return _laid_out(pen, fig, shape)
    u, f, stretch = fig.u, fig.facing, fig.stretch
    hx0, top, hx1, _ = fig.head
    cx = (hx0 + hx1) / 2

    def y(v):
        return min(top + u + (v - 1.0) * u * stretch if v > 1.0 else top + v * u, fig.clip)

    def block(px0, py0, px1, py1, tint=fig.tint, slant=0.0):  # `slant`: the bottom shifted, in head units
        shape([(cx + px0 * u, y(py0)), (cx + px1 * u, y(py0)), (cx + (px1 + slant) * u, y(py1)),
               (cx + (px0 + slant) * u, y(py1))], tint, fig.lw)

    step = 0.4 * STRIDE.get(fig.pose, 0.0) * f  # walking or running: the legs apart, the forearms swung
    if fig.pose == "sitting":  # on a block as high as its shins are long: thighs forward, shins down
        block(-0.8 * f, 4.4, 0.6 * f, 6.5, SHADE)
        block(1.15 * f, 4.4, 1.6 * f, 6.5)
        block(-0.5 * f, 3.85, 1.6 * f, 4.5)
    for side in (-1, 1) if fig.pose != "sitting" else ():
        block(side * 0.15, 4.3, side * 0.6, 6.5, slant=side * step)
    for side in (-1, 1):
        block(side * 1.2, 1.3, side * 1.55, 2.6)  # upper arms out from square shoulders
        block(side * 1.25, 2.6, side * 1.5, 3.9, SHADE, slant=-side * step)
    block(-0.7, 3.5, 0.7, 4.4, SHADE)  # hips under a narrow waist
    block(-1.2, 1.15, 1.2, 3.0)  # a wide chest box
    block(-0.4, 3.0, 0.4, 3.55, SHADE)
    block(-0.4, 1.7, 0.4, 2.4, SHADE)  # a chest panel
    block(-0.12, 0.95, 0.12, 1.25)
    pen.line([(cx, top), (cx, top - 0.35 * u)], fill=GRAPHITE, width=max(fig.lw, 1))
    pen.ellipse((cx - 0.09 * u, top - 0.5 * u, cx + 0.09 * u, top - 0.32 * u), fill=GRAPHITE)
    shape([(cx - 0.42 * u, top), (cx + 0.42 * u, top), (cx + 0.42 * u, top + u), (cx - 0.42 * u, top + u)],
          fig.tint, fig.lw)
    if not fig.back:  # a visor where the eyes would be
        shape([(cx + (f * 0.1 - 0.3) * u, top + 0.32 * u), (cx + (f * 0.1 + 0.3) * u, top + 0.32 * u),
               (cx + (f * 0.1 + 0.3) * u, top + 0.52 * u), (cx + (f * 0.1 - 0.3) * u, top + 0.52 * u)],
              GRAPHITE, fig.lw)
    return None


def _creature(pen, fig: Figure, shape) -> tuple[float, float] | None:
    """A horned blob on three tentacles, spikes down its back; lying, the blob on its side
    behind its head, the tentacles trailing."""
    if fig.pose == "lying":
        return _laid_out(pen, fig, shape)
    u, f, stretch = fig.u, fig.facing, fig.stretch
    hx0, top, hx1, _ = fig.head
    cx = (hx0 + hx1) / 2

    def at(px, py):
        return cx + f * px * u, min(top + u + (py - 1.0) * u * stretch if py > 1.0 else top + py * u, fig.clip)

    step = 0.35 * STRIDE.get(fig.pose, 0.0)
    for px, reach in ((-0.8, -step), (0.0, step), (0.8, -step)):  # on the move: tentacles reach alternately
        if fig.pose == "sitting":  # settled: the tentacles spread flat along the ground
            shape([at(px - 0.25, 3.6), at(px + 0.25, 3.6), at(2.2 * px + 0.35, 5.2), at(2.6 * px + 0.3, 5.5),
                   at(2.6 * px - 0.3, 5.5), at(2.2 * px - 0.2, 5.15)], fig.tint, fig.lw)
            continue
        shape([at(px - 0.25, 3.6), at(px + 0.25, 3.6), at(px + 0.45 + reach, 5.3), at(px + 0.05 + reach, 5.5),
               at(px - 0.1 + reach / 2, 5.0)], fig.tint, fig.lw)
    for k in range(4):  # spikes along the back
        py = 1.4 + 0.6 * k
        shape([at(-1.1, py), at(-1.7, py + 0.2), at(-1.15, py + 0.5)], SHADE, fig.lw)
    shape(ellipse_points(*at(0.0, 2.5), 1.3 * u, 1.5 * u * stretch), fig.tint, fig.lw)
    for side in (-1, 1):  # horns
        shape([at(side * 0.25, 0.2), at(side * 0.55, -0.45), at(side * 0.45, 0.3)], SHADE, fig.lw)
    pen.ellipse(fig.head, fill=fig.tint, outline=GRAPHITE, width=fig.lw)
    return None if fig.back else ((hx0 + hx1) / 2, top)


def _laid_out(pen, fig: Figure, shape) -> tuple[float, float] | None:
    """A robot or a creature lying along the ground behind its head (staged at the end it
    faces, as a lying person's): a robot's blocks, a creature's blob, spikes and tentacles."""
    u, f = fig.u, fig.facing
    hx0, hy0, hx1, hy1 = fig.head
    hcx, mid = (hx0 + hx1) / 2, (hy0 + hy1) / 2
    neck = hx0 if f > 0 else hx1  # where the head meets the body

    def at(px, py):  # (distance back from the neck, height above the head's middle)
        return neck - f * px * u, min(mid - py * u, fig.clip)

    def poly(points, tint=fig.tint):
        shape([at(*point) for point in points], tint, fig.lw)

    if fig.kind == "robot":
        for lift in (0.45, 0.0):  # block legs, the far one higher
            poly([(3.1, -0.5 + lift), (5.4, -0.5 + lift), (5.4, -0.1 + lift), (3.1, -0.1 + lift)])
        poly([(2.5, -0.45), (3.2, -0.45), (3.2, 0.35), (2.5, 0.35)], SHADE)  # hips
        poly([(0.1, -0.5), (2.6, -0.5), (2.6, 0.6), (0.1, 0.6)])  # the chest box
        poly([(0.9, -0.15), (1.7, -0.15), (1.7, 0.25), (0.9, 0.25)], SHADE)  # its panel
        poly([(0.3, 0.6), (2.3, 0.6), (2.3, 0.85), (0.3, 0.85)], SHADE)  # the near arm along it
        shape([(hcx - 0.42 * u, hy0), (hcx + 0.42 * u, hy0), (hcx + 0.42 * u, hy1), (hcx - 0.42 * u, hy1)],
              fig.tint, fig.lw)
        tip = hcx + f * 0.42 * u  # the antenna points ahead, the head laid back
        pen.line([(tip, mid), (tip + f * 0.35 * u, mid)], fill=GRAPHITE, width=max(fig.lw, 1))
        return None
    for k, lift in enumerate((0.25, -0.05, -0.35)):  # tentacles trailing behind
        poly([(2.8, lift + 0.15), (5.2 + 0.2 * k, lift + 0.05), (5.5 + 0.2 * k, lift - 0.1), (2.8, lift - 0.15)])
    for k in range(4):  # spikes along the back, now its top
        px = 0.8 + 0.6 * k
        poly([(px, 1.1), (px + 0.2, 1.6), (px + 0.5, 1.1)], SHADE)
    shape(ellipse_points(*at(1.6, 0.35), 1.75 * u, 0.85 * u), fig.tint, fig.lw)  # the blob on its side
    for side in (-1, 1):  # horns
        shape([(hcx + side * 0.25 * u, hy0 + 0.2 * u), (hcx + side * 0.55 * u, hy0 - 0.45 * u),
               (hcx + side * 0.45 * u, hy0 + 0.3 * u)], SHADE, fig.lw)
    pen.ellipse(fig.head, fill=fig.tint, outline=GRAPHITE, width=fig.lw)
    return None if fig.back else (hcx, hy0)


def _object(pen, fig: Figure, shape) -> tuple[float, float] | None:
    """A crate: a box with its edges and a cross brace (a stand-in for any prop)."""
    x0, y0, x1, y1 = fig.body
    y1 = min(y1, y0 + 3.0 * fig.u, fig.clip)
    shape([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], fig.tint, fig.lw)
    pen.line([(x0, y0), (x1, y1)], fill=GRAPHITE, width=fig.lw)
    pen.line([(x1, y0), (x0, y1)], fill=GRAPHITE, width=fig.lw)
    inset = 0.12 * (x1 - x0)
    pen.polygon([(x0 + inset, y0 + inset), (x1 - inset, y0 + inset), (x1 - inset, y1 - inset),
                 (x0 + inset, y1 - inset)], outline=GRAPHITE, width=max(1, fig.lw / 2))
    return None


def _vehicle(pen, fig: Figure, shape) -> tuple[float, float] | None:
    """A car seen side on: body, cabin with windows, two wheels; its front where it faces."""
    u, f = fig.u, fig.facing
    x0, top, x1, bottom = fig.body
    cx = (x0 + x1) / 2

    def at(px, py):
        return cx + f * px * u, min(top + py * u, fig.clip)

    shape([at(-2.0, 0.95), at(1.6, 0.95), at(2.0, 1.3), at(2.0, 1.95), at(-2.0, 1.95)], fig.tint, fig.lw)
    shape([at(-1.3, 0.95), at(-1.0, 0.15), at(0.6, 0.15), at(1.1, 0.95)], fig.tint, fig.lw)
    shape([at(-1.05, 0.85), at(-0.85, 0.3), at(-0.2, 0.3), at(-0.2, 0.85)], SHADE, fig.lw)
    shape([at(0.0, 0.85), at(0.0, 0.3), at(0.5, 0.3), at(0.9, 0.85)], SHADE, fig.lw)
    for px in (-1.2, 1.2):
        wx, wy = at(px, 1.95)
        pen.ellipse((wx - 0.45 * u, wy - 0.45 * u, wx + 0.45 * u, wy + 0.45 * u), fill=GRAPHITE)
        pen.ellipse((wx - 0.18 * u, wy - 0.18 * u, wx + 0.18 * u, wy + 0.18 * u), fill=SHADE)
    # On the move ("walking" / "running" for a vehicle): speed lines trail behind it, longer when fast.
    reach = 1.2 * STRIDE.get(fig.pose, 0.0)
    for py in (0.55, 1.15, 1.65)[:3 if fig.pose == "running" else 2] if reach else ():
        pen.line([at(-2.3, py), at(-2.3 - reach, py)], fill=GRAPHITE, width=max(fig.lw, 1))
    return None


def _crowd(pen, fig: Figure, shape) -> tuple[float, float] | None:
    """Two rows of small people, the back row smaller, higher and shaded."""
    u = fig.u
    x0, top, x1, _ = fig.body
    width = x1 - x0
    step = 0.35 * STRIDE.get(fig.pose, 0.0)
    for row, count, scale, lift in ((0, 4, 0.75, 0.0), (1, 3, 0.95, 0.5)):
        s = u * scale
        tint = fig.tint if row else SHADE
        for k in range(count):
            cx = x0 + width * ((k + 0.5) / count if row == 0 else (k + 1) / (count + 1))
            ht = top + lift * u + (0.12 * u if k % 2 else 0.0)

            def y(v: float) -> float:
                return min(ht + v * s, fig.clip)

            for side in (-1, 1):  # legs, a stride apart when the crowd walks or runs
                shape([(cx + side * 0.1 * s, y(3.9)), (cx + side * 0.55 * s, y(3.9)),
                       (cx + side * (0.45 + step) * s, y(7.3)), (cx + side * (0.15 + step) * s, y(7.3))], tint, fig.lw)
            shape([(cx - 0.8 * s, y(1.2)), (cx + 0.8 * s, y(1.2)), (cx + 0.7 * s, y(4.0)), (cx - 0.7 * s, y(4.0))],
                  tint, fig.lw)
            pen.ellipse((cx - 0.39 * s, ht, cx + 0.39 * s, ht + s), fill=tint, outline=GRAPHITE, width=fig.lw)
    return None


def ellipse_points(cx: float, cy: float, rx: float, ry: float, n: int = 24) -> list[tuple[float, float]]:
    """`n` points round the ellipse centred (cx, cy) with radii rx, ry (any one unit), from
    (cx + rx, cy) on: a polygon drawn as the ellipse (the props' too)."""
    return [(cx + rx * math.cos(2 * math.pi * i / n), cy + ry * math.sin(2 * math.pi * i / n)) for i in range(n)]


DRAWERS = {"human": _human, "animal": _animal, "bird": _bird, "robot": _robot, "creature": _creature,
           "object": _object, "vehicle": _vehicle, "crowd": _crowd}


def pose_problems(story) -> list[tuple[tuple, str]]:
    """(location, message) for each pose the draft cannot draw, which it draws standing: a
    cast `pose` naming none ('arms crossed'), or one the figure's kind has no drawing of (a
    kneeling bird), given by the cast entry or, where it gives none, by the panel's action
    ('Pip kneels on the rail', `staging.action_poses`; located at the action). `validate`
    and a draft render print them as warnings."""
    found = []
    for s, p, _, panel in story.panels():
        kinds = [figure_kind(story.characters.get(entry.id)) for entry in panel.cast]
        # (Only a kind that lacks a pose needs the action read.)
        told = action_poses(panel.action, cast_names(story, panel), cast_nouns(story, panel)) if any(
            DRAWN[kind] != DRAWN["human"] for kind in kinds) else {}
        for c, (entry, kind) in enumerate(zip(panel.cast, kinds)):
            text = (getattr(entry, "pose", "") or "").strip()
            pose = read_pose(text) if text else told.get(entry.id, "standing")
            if pose is None:
                close = difflib.get_close_matches(text.lower(), POSES, n=1, cutoff=0.6)  # 'sittin'
                meant = f"; did you mean {quote(close[0])}?" if close else ""
                why = f"pose {quote(text)} names no pose the draft draws ({', '.join(POSES)}{meant}): drawn standing"
            elif pose not in DRAWN[kind]:
                *some, last = [name for name in POSES if name in DRAWN[kind]]
                drawn = f"{', '.join(some)} or {last}" if some else last
                if not text:
                    said = f"the action has {entry.id} {pose}"
                elif text.lower() == pose:  # the bare word: 'pose 'pointing' is pointing' says it twice
                    said = f"pose {quote(text)}"
                else:
                    said = f"pose {quote(text)} is {pose}"
                why = f"{said}: the draft draws {_A[kind]} only {drawn}: drawn standing"
            else:
                continue
            where = ("cast", c, "pose") if text else ("action",)  # (as every message names a cast entry)
            found.append((("scenes", s, "panels", p, *where), why))
    return found
