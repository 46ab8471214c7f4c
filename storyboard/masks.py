"""Region masks: where in a panel a cast member's identity conditioning applies."""

from __future__ import annotations

import numpy as np

Box = tuple[float, float, float, float]


def region_mask(box: Box, width: int, height: int, *, feather: float = 0.06) -> np.ndarray:
    """A float32 (height, width) mask: 1 inside `box`, 0 away from it, soft in between.

    `box` is (x0, y0, x1, y1) in panel fractions, y down. The edge falls off smoothly
    *outside* the box over `feather` times the panel's shorter side, so the whole box keeps
    full weight while neighbouring regions blend instead of meeting at a hard seam.
    `feather=0` gives a hard-edged mask.
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"empty mask box {box!r}: need x0 < x1 and y0 < y1")
    if width <= 0 or height <= 0:
        raise ValueError(f"mask size must be positive, got {width}x{height}")
    if feather < 0:
        raise ValueError(f"feather must be >= 0, got {feather}")
    soft = feather * min(width, height)
    # Separable: the mask is the outer product of a column falloff and a row falloff.
    fx = _falloff(width, x0 * width, x1 * width, soft)
    fy = _falloff(height, y0 * height, y1 * height, soft)
    return np.outer(fy, fx).astype(np.float32)


def _falloff(n: int, lo: float, hi: float, soft: float) -> np.ndarray:
    centres = np.arange(n, dtype=np.float64) + 0.5
    distance = np.maximum(np.maximum(lo - centres, centres - hi), 0.0)
    if soft < 1e-3:  # under a thousandth of a pixel: a hard edge (and no overflow)
        return (distance == 0).astype(np.float64)
    t = np.clip(distance / soft, 0.0, 1.0)
    return 1.0 - t * t * (3.0 - 2.0 * t)  # smoothstep: no visible ring at either end
