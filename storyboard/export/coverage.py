"""Anti-aliased coverage of filled polygons and stroked polylines, by FreeType's rasteriser.

PNG pages draw balloons, tails and bubbles as the PDF paints them: filled by the even-odd
rule, stroked with round joins and round caps, each pixel covered in proportion to the area
the shape covers (FreeType's outline rasteriser, the one that letters the text, with its
stroker for the lines). Coordinates are pixels of the target box, y down.
"""

from __future__ import annotations

import ctypes
from typing import Sequence

import numpy as np

Points = Sequence[tuple[float, float]]
_ON = 1  # FT_CURVE_TAG_ON: every point is a corner of straight segments
_EVEN_ODD = 0x2  # FT_OUTLINE_EVEN_ODD_FILL
_ROUND = 1  # FT_STROKER_LINECAP_ROUND; FT_STROKER_LINEJOIN_ROUND is 0
_MAX_POINTS = 30000
_RASTER_OVERFLOW = 0x62  # FT_Err_Raster_Overflow


class _Outline:  # what freetype.Stroker.parse_outline / export take
    def __init__(self, outline):
        self._FT_Outline = outline


def fill(contours: Sequence[Points], width: int, height: int) -> np.ndarray:
    """Coverage (height x width uint8, rows top down) of the polygons `contours` filled
    together by the even-odd rule."""
    arrays = _arrays(contours, height)  # the outline points into these: kept alive here
    if arrays is None:
        return np.zeros((height, width), np.uint8)
    outline = _outline(*arrays)
    outline.flags = _EVEN_ODD
    return _bitmap(outline, width, height)


def stroke(contours: Sequence[Points], line_width: float, closed: bool, width: int, height: int) -> np.ndarray:
    """Coverage (height x width uint8) of the polylines `contours` stroked `line_width` pixels
    wide, with round joins and caps (`closed`: each joins its last point to its first)."""
    import freetype
    from freetype.raw import FT_Outline_Done, FT_Outline_New

    arrays = _arrays(contours, height)
    if arrays is None or line_width <= 0:
        return np.zeros((height, width), np.uint8)
    source = _outline(*arrays)
    stroker = freetype.Stroker()
    stroker.set(int(round(line_width * 32)), _ROUND, 0, 0)  # radius, 26.6 fixed point
    stroker.parse_outline(_Outline(source), 0 if closed else 1)
    points, count = stroker.get_counts()
    if points > _MAX_POINTS and len(contours) > 1:  # FreeType counts an outline's points in a short
        half = len(contours) // 2
        return np.maximum(stroke(contours[:half], line_width, closed, width, height),
                          stroke(contours[half:], line_width, closed, width, height))
    out = freetype.ft_structs.FT_Outline()
    err = FT_Outline_New(freetype.get_handle(), points, count, ctypes.byref(out))
    if err:
        raise RuntimeError(f"FreeType could not make an outline (error {err})")
    try:
        out.n_points = out.n_contours = 0  # Export appends to what the outline holds
        stroker.export(_Outline(out))
        return _bitmap(out, width, height)
    finally:
        FT_Outline_Done(freetype.get_handle(), ctypes.byref(out))


def _arrays(contours: Sequence[Points], height: int):
    rings = [np.asarray(c, dtype=np.float64).reshape(-1, 2) for c in contours if len(c) >= 2]
    if not rings:
        return None
    points = np.concatenate(rings)
    fixed = np.empty((len(points), 2), dtype=np.int64)  # FT_Vector: 26.6 fixed point, y up
    fixed[:, 0] = np.round(points[:, 0] * 64)
    fixed[:, 1] = np.round((height - points[:, 1]) * 64)
    tags = np.full(len(points), _ON, dtype=np.uint8)
    ends = np.cumsum([len(r) for r in rings]).astype(np.int16) - 1
    return fixed, tags, ends


def _outline(fixed, tags, ends):
    from freetype.ft_structs import FT_Outline, FT_Vector

    return FT_Outline(
        ctypes.c_short(len(ends)), ctypes.c_short(len(fixed)),
        fixed.ctypes.data_as(ctypes.POINTER(FT_Vector)), tags.ctypes.data_as(ctypes.POINTER(ctypes.c_ubyte)),
        ends.ctypes.data_as(ctypes.POINTER(ctypes.c_short)), ctypes.c_int(0))


def _bitmap(outline, width: int, height: int) -> np.ndarray:
    import freetype
    from freetype.ft_structs import FT_Bitmap

    buf = np.zeros(width * height, dtype=np.uint8)
    bitmap = FT_Bitmap(ctypes.c_int(height), ctypes.c_int(width), ctypes.c_int(width),
                       buf.ctypes.data_as(ctypes.POINTER(ctypes.c_ubyte)), ctypes.c_short(256),
                       ctypes.c_ubyte(freetype.ft_enums.FT_PIXEL_MODE_GRAY), ctypes.c_char(0), ctypes.c_void_p(None))
    err = freetype.raw.FT_Outline_Get_Bitmap(freetype.get_handle(), ctypes.byref(outline), ctypes.byref(bitmap))
    if err == _RASTER_OVERFLOW and width > 1:
        # More crossings in a row than FreeType's work pool holds: the left and right halves
        # apart (the rasteriser clips to the bitmap and carries what lies left of it).
        half = width // 2
        left = _bitmap(outline, half, height)
        freetype.raw.FT_Outline_Translate(ctypes.byref(outline), -half * 64, 0)
        try:
            right = _bitmap(outline, width - half, height)
        finally:
            freetype.raw.FT_Outline_Translate(ctypes.byref(outline), half * 64, 0)
        return np.hstack((left, right))
    if err:
        raise RuntimeError(f"FreeType could not rasterise a shape (error {err})")
    return buf.reshape(height, width)
