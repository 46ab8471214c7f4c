"""Page geometry: page sizes, templates, panel rectangles, reading order and pagination.

Coordinates are PDF points (1/72 in) with the origin at the bottom-left corner of the
*media box* (trim + bleed on every side). Nothing here draws.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class PanelSlot:
    """Where one panel of the story sits on a page."""

    scene: int  # index into story.scenes
    panel: int  # index into story.scenes[scene].panels
    order: int  # reading order on the page, 0-based (already mirrored for rtl)
    rect: Rect  # the panel frame (border drawn here), inside the live area
    art: Rect  # the art rectangle: equals rect, or extended into the bleed at page edges
    gen_width: int  # pixel size to generate at: multiple of 8, long side <= max_side
    gen_height: int
    print_width: int  # pixel size of `art` at the page dpi
    print_height: int


@dataclass(frozen=True)
class PageSpec:
    width: float  # trim size in points
    height: float
    bleed: float
    margin: float
    gutter: float
    dpi: int
    reading: str  # "ltr" | "rtl"
    kind: str  # the size name ("us-comic", "storyboard", ...) or "custom"


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    template: str
    slots: tuple[PanelSlot, ...]


@dataclass(frozen=True)
class Book:
    spec: PageSpec
    pages: tuple[Page, ...]
