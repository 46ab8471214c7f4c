"""Control images for ControlNet: where the staging puts each figure, drawn at generation size.

`pose`: an OpenPose body map (18 COCO keypoints, the limb colours and drawing of the OpenPose
annotator that the public OpenPose ControlNets were trained on: limbs as filled ellipses at 60 %
of their colour, joints as full-colour dots, on black) per human figure, built from its staged
head box (a standing human is 7.5 heads tall) and bent by its staged pose. Figures of another
kind (animals, robots, objects...) get a grey silhouette filling their body box. Everything a
figure draws is clipped to its staged body box, so nothing lands where the staging put no one.

`sketch`: the draft engine's drawing of the panel as white lines on black (the scribble /
line-art ControlNets' input).

Both are drawn on the whole generated image; the panel occupies its `crop` window.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from storyboard.engines._geometry import Box, image_box

if TYPE_CHECKING:
    from PIL import Image

    from storyboard.engines.base import PanelRequest

MODES = ("pose", "sketch", "none")

# OpenPose keypoint order (COCO 18): the annotator's colours, one per keypoint and per limb.
KEYPOINTS = ("nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist",
             "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye", "r_ear", "l_ear")
COLORS = ((255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
          (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
          (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85))
# The annotator's limb sequence (0-based keypoints); it draws the first 17.
LIMBS = ((1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12),
         (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17))
SILHOUETTE = (128, 128, 128)

# A frontal standing figure: (x, y) in head heights from the head's top centre; x > 0 is the
# image's right, which is the figure's left (OpenPose 'l_*' keypoints).
_STANDING = {
    "nose": (0.0, 0.62), "r_eye": (-0.17, 0.45), "l_eye": (0.17, 0.45), "r_ear": (-0.38, 0.5),
    "l_ear": (0.38, 0.5), "neck": (0.0, 1.25), "r_shoulder": (-0.85, 1.45), "l_shoulder": (0.85, 1.45),
    "r_elbow": (-1.05, 2.7), "l_elbow": (1.05, 2.7), "r_wrist": (-1.1, 3.8), "l_wrist": (1.1, 3.8),
    "r_hip": (-0.5, 4.0), "l_hip": (0.5, 4.0), "r_knee": (-0.5, 5.6), "l_knee": (0.5, 5.6),
    "r_ankle": (-0.5, 7.2), "l_ankle": (0.5, 7.2),
}
# Per pose, the keypoints that move; 'f' marks x mirrored toward where the figure faces.
_POSES = {
    "sitting": {"r_knee": (-0.6, 4.6), "l_knee": (0.6, 4.6), "r_ankle": (-0.6, 6.1), "l_ankle": (0.6, 6.1),
                "r_wrist": (-0.8, 3.9), "l_wrist": (0.8, 3.9)},
    "kneeling": {"r_knee": (-0.5, 5.7), "l_knee": (0.5, 5.7), "r_ankle": (-0.55, 6.0), "l_ankle": (0.55, 6.0)},
    "running": {"r_knee": (-0.9, 5.4), "r_ankle": (-1.6, 6.6), "l_knee": (0.7, 5.5), "l_ankle": (0.9, 7.1),
                "r_elbow": (-1.2, 2.5), "r_wrist": (-0.7, 1.9), "l_elbow": (1.1, 2.8), "l_wrist": (1.6, 3.3)},
    "walking": {"r_knee": (-0.6, 5.6), "r_ankle": (-0.95, 7.2), "l_knee": (0.6, 5.55), "l_ankle": (1.0, 7.2),
                "r_wrist": (-1.35, 3.6), "l_wrist": (1.3, 3.65)},
    "pointing": {"f_elbow": (1.8, 1.55), "f_wrist": (2.8, 1.5)},
}


def control_image(request: "PanelRequest", mode: str, *, draft=None) -> "Image.Image | None":
    """The RGB control image of `request` at its generation size (request.width x height),
    or None when there is nothing to draw (mode 'none', or a panel without cast in 'pose').
    `draft` (sketch mode) is a draft engine; one is made when not given."""
    if mode == "none":
        return None
    if mode == "pose":
        figures = request.staging
        return pose_image(figures, request.width, request.height, request.crop) if figures else None
    if mode == "sketch":
        return sketch_image(request, draft)
    raise ValueError(f"unknown composition mode '{mode}': use one of {', '.join(MODES)}")


def pose_image(figures, width: int, height: int, crop=None) -> "Image.Image":
    """OpenPose map of staged `figures` (StagedFigure-like: kind, pose, body, head, facing) on a
    black width x height image; boxes are panel fractions inside the `crop` window."""
    from PIL import Image, ImageDraw

    canvas = Image.new("RGB", (width, height))
    for figure in figures:
        body = _pixels(image_box(figure.body, crop, width, height), width, height)
        if body[2] - body[0] < 1 or body[3] - body[1] < 1:
            continue
        layer = Image.new("RGB", (width, height))
        draw = ImageDraw.Draw(layer)
        if figure.kind == "human":
            head = _pixels(image_box(figure.head, crop, width, height), width, height)
            _skeleton(draw, _keypoints(figure, head), _line_width(width, height))
        else:
            draw.ellipse(body, fill=SILHOUETTE)
        clip = Image.new("L", (width, height))
        ImageDraw.Draw(clip).rectangle((body[0], body[1], body[2] - 1, body[3] - 1), fill=255)
        canvas.paste(layer, (0, 0), Image.fromarray(np.minimum(np.asarray(clip), _drawn(layer))))
    return canvas


def sketch_image(request: "PanelRequest", draft=None) -> "Image.Image":
    """The draft engine's drawing of the panel, inside its crop window, as white lines on black."""
    import dataclasses

    from PIL import Image, ImageOps

    if draft is None:
        from storyboard.engines.draft import DraftEngine

        draft = DraftEngine()
    x0, y0, x1, y1 = request.crop or (0, 0, request.width, request.height)
    panel = dataclasses.replace(request, width=x1 - x0, height=y1 - y0, crop=None,
                                cast=tuple(dataclasses.replace(m, mask=None) for m in request.cast))
    lines = ImageOps.invert(draft.render(panel).convert("L"))
    lines = lines.point(lambda v: 255 if v >= 96 else 0)  # pencil strokes, not paper tint or hatching
    canvas = Image.new("L", (request.width, request.height))
    canvas.paste(lines, (x0, y0))
    return canvas.convert("RGB")


def _pixels(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    clamp = lambda v, n: min(max(int(round(v * n)), 0), n)  # noqa: E731
    return clamp(x0, width), clamp(y0, height), clamp(x1, width), clamp(y1, height)


def _line_width(width: int, height: int) -> int:
    """The annotator's stick width (4 px at 512) scaled to the image."""
    return max(2, round(4 * min(width, height) / 512))


def _keypoints(figure, head: tuple[int, int, int, int]) -> dict[str, tuple[float, float]]:
    hx0, hy0, hx1, hy1 = head
    u = max(1.0, hy1 - hy0)  # head height in pixels
    cx, top = (hx0 + hx1) / 2, hy0
    facing = 1 if getattr(figure, "facing", 1) >= 0 else -1
    points = dict(_STANDING)
    for name, xy in _POSES.get(figure.pose, {}).items():
        if name.startswith("f_"):  # the arm on the side the figure faces
            side = "l" if facing > 0 else "r"
            points[f"{side}_{name[2:]}"] = (xy[0] * facing, xy[1])
        else:
            points[name] = xy
    lying = figure.pose == "lying"
    out = {}
    for name, (x, y) in points.items():
        if lying:  # the standing figure turned on its side, head toward where it faces
            x, y = -facing * (y - 0.5), x + 0.5
        out[name] = (cx + x * u, top + y * u)
    return out


def _skeleton(draw, points: dict[str, tuple[float, float]], stick: int) -> None:
    index = {name: i for i, name in enumerate(KEYPOINTS)}
    xy = [points[name] for name in KEYPOINTS]
    for (a, b), color in zip(LIMBS, COLORS):
        (xa, ya), (xb, yb) = xy[a], xy[b]
        length = math.hypot(xb - xa, yb - ya) / 2
        angle = math.atan2(yb - ya, xb - xa)
        mx, my = (xa + xb) / 2, (ya + yb) / 2
        ellipse = [(mx + length * math.cos(t) * math.cos(angle) - stick * math.sin(t) * math.sin(angle),
                    my + length * math.cos(t) * math.sin(angle) + stick * math.sin(t) * math.cos(angle))
                   for t in np.linspace(0, 2 * math.pi, 36, endpoint=False)]
        draw.polygon(ellipse, fill=tuple(int(c * 0.6) for c in color))
    for name, color in zip(KEYPOINTS, COLORS):
        x, y = xy[index[name]]
        draw.ellipse((x - stick, y - stick, x + stick, y + stick), fill=color)


def _drawn(layer) -> np.ndarray:
    """255 where `layer` has anything drawn, else 0 (the paste mask)."""
    return np.where(np.asarray(layer).max(axis=-1) > 0, 255, 0).astype(np.uint8)
