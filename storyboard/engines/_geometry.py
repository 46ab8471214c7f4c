"""Generation geometry: the pixel size a model family draws a panel at, and the crop back to it.

Stable Diffusion models draw well only near the sizes they were trained at; asked for 1024x344
an SD 1.5 model repeats people and heads. So a panel is generated at the family's supported
size whose aspect is nearest the panel's, cover-cropped (centred) to the panel's aspect, and
only then brought to print size.

    family  supported sizes (width x height, pixels)
    sd1     sides multiples of 64 in 384..768, area nearest 512x512 (384x768 .. 768x384)
    sd2     sides multiples of 64 in 576..1152, area nearest 768x768 (SD 2.x 768-v models)
    sdxl    the SDXL training aspect buckets from 640x1536 to 1536x640 (SDXL report, table of
            multi-aspect buckets; all multiples of 64, about 1024x1024 pixels)

`max_side` is a cap: sizes with a longer side are skipped, and when none is left the
nearest-aspect size is scaled down to fit (multiples of 8).
"""

from __future__ import annotations

import math

Box = tuple[float, float, float, float]  # (x0, y0, x1, y1) fractions, y down
Crop = tuple[int, int, int, int]  # (x0, y0, x1, y1) pixels of the generated image

# SDXL's multi-aspect training buckets within 640x1536..1536x640 (portrait halves; the
# landscape ones are their transposes).
_SDXL_PORTRAIT = ((640, 1536), (704, 1472), (704, 1408), (704, 1344), (768, 1344), (768, 1280),
                  (832, 1216), (832, 1152), (896, 1152), (896, 1088), (960, 1088), (960, 1024))


def _budget_sizes(side: int, low: int, high: int) -> tuple[tuple[int, int], ...]:
    """For every width (and every height) that is a multiple of 64 in [low, high], the other
    side (same rule) whose area is nearest side x side."""
    steps = range(low, high + 1, 64)
    sizes = set()
    for a in steps:
        b = min(steps, key=lambda b: (abs(a * b - side * side), b))
        sizes |= {(a, b), (b, a)}
    return tuple(sorted(sizes))


SIZES: dict[str, tuple[tuple[int, int], ...]] = {
    "sd1": _budget_sizes(512, 384, 768),
    "sd2": _budget_sizes(768, 576, 1152),
    "sdxl": tuple(sorted({*_SDXL_PORTRAIT, *((h, w) for w, h in _SDXL_PORTRAIT), (1024, 1024)})),
}


def generation_size(family: str, aspect: float, max_side: int) -> tuple[int, int]:
    """(width, height) in pixels to generate a panel of `aspect` (width / height) at.

    The supported size of `family` (see SIZES) whose aspect is nearest in log scale, among
    those whose longer side is at most `max_side`; ties go to the larger area. With none under
    the cap, the nearest-aspect size scaled down to fit, sides multiples of 8 (at least 64).
    Raises KeyError for an unknown family and ValueError for a non-positive aspect.
    """
    if not aspect > 0:
        raise ValueError(f"panel aspect must be positive, got {aspect}")
    sizes = SIZES[family]

    def nearest(candidates):
        return min(candidates, key=lambda s: (abs(math.log(s[0] / s[1] / aspect)), -s[0] * s[1]))

    fitting = [s for s in sizes if max(s) <= max_side]
    if fitting:
        return nearest(fitting)
    w, h = nearest(sizes)
    scale = max_side / max(w, h)
    return max(64, int(w * scale) // 8 * 8), max(64, int(h * scale) // 8 * 8)


def cover_crop(width: int, height: int, aspect: float) -> Crop:
    """The centred window of a width x height image with the panel's `aspect`, as large as
    fits: what is cut away is the thin margin where the size's aspect overshoots."""
    if width / height > aspect:
        w = max(1, min(width, round(height * aspect)))
        x0 = (width - w) // 2
        return (x0, 0, x0 + w, height)
    h = max(1, min(height, round(width / aspect)))
    y0 = (height - h) // 2
    return (0, y0, width, y0 + h)


def image_box(box: Box, crop: Crop | None, width: int, height: int) -> Box:
    """A panel-fraction box as fractions of the whole generated image (crop=None: the same)."""
    if crop is None:
        return box
    cx0, cy0, cx1, cy1 = crop
    sx, sy = (cx1 - cx0) / width, (cy1 - cy0) / height
    ox, oy = cx0 / width, cy0 / height
    return (ox + box[0] * sx, oy + box[1] * sy, ox + box[2] * sx, oy + box[3] * sy)


def scale_crop(crop: Crop | None, fx: float, fy: float) -> Crop | None:
    """`crop` on an image fx times wider and fy times taller (the second pass)."""
    if crop is None:
        return None
    x0, y0, x1, y1 = crop
    return round(x0 * fx), round(y0 * fy), round(x1 * fx), round(y1 * fy)
