"""Page geometry: page sizes, templates, panel rectangles, reading order and pagination.

Coordinates are PDF points (1/72 in) with the origin at the bottom-left corner of the
*media box* (trim + bleed on every side). Nothing here draws.

A comic page is cut from a library of templates (cells in fractions of the live area, listed
in left-to-right reading order); pagination picks, for each run of panels between forced page
breaks, the sequence of templates that best matches the panels' `size` hints with the fewest
pages (a small dynamic programme, so a run of seven panels becomes 4 + 3, not 6 + 1).
A `storyboard` sheet is a grid of same-size frames, each with a notes box. A `webtoon` story is
one page: a vertical strip of full-width panels (see "webtoon strips" below).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, replace
from typing import Any, Iterable, Sequence

MM = 72.0 / 25.4
INCH = 72.0

# Trim sizes in points (width, height).
PAGE_SIZES: dict[str, tuple[float, float]] = {
    "us-comic": (6.625 * INCH, 10.25 * INCH),
    "manga": (128 * MM, 182 * MM),
    "a4": (210 * MM, 297 * MM),
    "letter": (8.5 * INCH, 11 * INCH),
    "storyboard": (297 * MM, 210 * MM),  # A4 landscape sheet
}

FRAME_ASPECTS: dict[str, float] = {
    "16:9": 16 / 9,
    "2.39:1": 2.39,
    "1.85:1": 1.85,
    "4:3": 4 / 3,
    "1:1": 1.0,
    "9:16": 9 / 16,
}

# Storyboard sheets: room for the title line above the frames.
SHEET_HEADER = 18.0


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def x1(self) -> float:
        return self.x + self.w

    @property
    def y1(self) -> float:
        return self.y + self.h

    def inset(self, d: float) -> "Rect":
        return Rect(self.x + d, self.y + d, max(0.0, self.w - 2 * d), max(0.0, self.h - 2 * d))

    def contains(self, other: "Rect", tol: float = 1e-6) -> bool:
        return (other.x >= self.x - tol and other.y >= self.y - tol
                and other.x1 <= self.x1 + tol and other.y1 <= self.y1 + tol)

    def overlaps(self, other: "Rect", tol: float = 1e-6) -> bool:
        return (self.x < other.x1 - tol and other.x < self.x1 - tol
                and self.y < other.y1 - tol and other.y < self.y1 - tol)


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
    bleeds: tuple[str, ...] = ()  # sides whose art runs off the page: "left", "right", "top", "bottom"
    notes: Rect | None = None  # storyboard sheets: the notes box of this frame
    number: int = 0  # 1-based panel number in the whole book (storyboard shot number)
    # A strip made from pages shows each page's art whole: its figures stand where they were
    # drawn, inside the page's frame (that slot's `frame_in_art`), not across the strip's frame.
    staged_in: tuple[float, float, float, float] | None = None

    @property
    def frame_in_art(self) -> tuple[float, float, float, float]:
        """The frame `rect` inside the art, as (x0, y0, x1, y1) fractions of `art`, y down:
        (0, 0, 1, 1) unless the art bleeds past the frame (or `staged_in`). Figures stand inside it."""
        if self.staged_in is not None:
            return self.staged_in
        a, r = self.art, self.rect
        if a == r or a.w <= 0 or a.h <= 0:
            return (0.0, 0.0, 1.0, 1.0)
        return ((r.x - a.x) / a.w, (a.y1 - r.y1) / a.h, (r.x1 - a.x) / a.w, (a.y1 - r.y) / a.h)


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
    frame_aspect: str = "16:9"  # storyboard sheets: the frame aspect ratio
    bleed_panels: bool = True  # outer panels' art runs into the bleed (the media box stays either way)

    @property
    def media(self) -> Rect:
        """The whole sheet: trim plus bleed on every side."""
        return Rect(0.0, 0.0, self.width + 2 * self.bleed, self.height + 2 * self.bleed)

    @property
    def trim(self) -> Rect:
        return Rect(self.bleed, self.bleed, self.width, self.height)

    @property
    def live(self) -> Rect:
        """The safe area: trim minus margins. Frames and every letter stay inside it."""
        return self.trim.inset(self.margin)


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    template: str
    slots: tuple[PanelSlot, ...]
    blanks: tuple[tuple[Rect, Rect], ...] = ()  # storyboard sheets: (frame, notes) of each unused cell


@dataclass(frozen=True)
class Book:
    spec: PageSpec
    pages: tuple[Page, ...]

    def slots(self) -> Iterable[PanelSlot]:
        for page in self.pages:
            yield from page.slots


# ------------------------------------------------------------------------------ page specs


# One page raster (8-bit RGB) is at most this many pixels: 450 MB, below Pillow's
# decompression-bomb limit (179 M), so every page written can be read back.
MAX_PAGE_PIXELS = 150_000_000


def _size_mm(size) -> tuple[float, float]:
    if isinstance(size, str):
        width, height = PAGE_SIZES[size]
        return width / MM, height / MM
    return float(size[0]), float(size[1])


def margin_problem(size, margin_mm: float) -> str | None:
    """Why `margin_mm` leaves no room for panels on a page of `size` (a name or
    [width_mm, height_mm]), or None. The margins may take at most 80% of the short side."""
    if size == WEBTOON:  # a strip has no margins (see strip_book)
        return None
    width, height = _size_mm(size)
    if 2 * float(margin_mm) >= min(width, height) * 0.8:
        most = min(width, height) * 0.4
        return (f"margin {margin_mm:g} mm leaves no room for panels on a {width:g} x {height:g} mm page "
                f"(it must be under {most:.3g} mm there)")
    return None


def raster_problem(size, bleed_mm: float, dpi: float) -> str | None:
    """Why a page of `size` with `bleed_mm` is too large to rasterise at `dpi`, or None."""
    if size == WEBTOON:  # a strip's size comes from its panels: see strip_problem
        return None
    width, height = _size_mm(size)
    if isinstance(size, str) and size == "storyboard":
        bleed_mm = 0.0
    w = round((width + 2 * float(bleed_mm)) / 25.4 * float(dpi))
    h = round((height + 2 * float(bleed_mm)) / 25.4 * float(dpi))
    if w * h > MAX_PAGE_PIXELS:
        return (f"a {width:g} x {height:g} mm page at {dpi:g} dpi is {w} x {h} pixels; pages are limited to "
                f"{MAX_PAGE_PIXELS // 1_000_000} megapixels ({MAX_PAGE_PIXELS * 3 // 1_000_000} MB as RGB): "
                "lower page.dpi or the page size")
    return None


MIN_PANEL_MM = 5.0  # the smallest panel side any template or sheet may make


def room_problem(page_settings: Any) -> str | None:
    """Why the gutters leave no room for panels in the live area, or None. Templates cut the
    live area into up to 3 columns and 4 rows; sheets into their grid of frames and notes."""
    if page_settings.size == WEBTOON:
        return None
    spec = page_spec(page_settings)
    live, gutter = spec.live, spec.gutter
    if spec.kind == "storyboard":
        grid = sheet_grid(spec)
        frame_w, frame_h = _sheet_frame(live, grid.cols, grid.rows, grid.notes_beside,
                                        FRAME_ASPECTS[spec.frame_aspect], gutter)
        smallest = min(frame_w, frame_h) / MM
    else:
        smallest = min((live.w - 2 * gutter) / 3, (live.h - 3 * gutter) / 4) / MM
    if smallest < MIN_PANEL_MM:
        return (f"margin_mm {page_settings.margin_mm:g} and gutter_mm {page_settings.gutter_mm:g} leave no room "
                f"for panels on this page (the smallest would be {math.floor(max(smallest, 0) * 100) / 100:g} mm; at least "
                f"{MIN_PANEL_MM:g} mm): lower them or use a larger page")
    return None


def page_spec(page_settings: Any) -> PageSpec:
    """The `PageSpec` of a script's `page:` settings (a `PageSettings` or anything with
    the same attributes)."""
    size = page_settings.size
    if isinstance(size, str):
        width, height = PAGE_SIZES[size]
        kind = size
    else:
        width, height = float(size[0]) * MM, float(size[1]) * MM
        kind = "custom"
    storyboard = kind == "storyboard"
    margin = float(page_settings.margin_mm) * MM
    gutter = float(page_settings.gutter_mm) * MM
    problem = margin_problem(size, page_settings.margin_mm) or raster_problem(size, page_settings.bleed_mm,
                                                                              page_settings.dpi)
    if problem:
        raise ValueError(problem)
    return PageSpec(
        width=width,
        height=height,
        bleed=0.0 if storyboard else float(page_settings.bleed_mm) * MM,  # sheets are not trimmed
        margin=margin,
        gutter=gutter,
        dpi=int(page_settings.dpi),
        reading=page_settings.reading,
        kind=kind,
        frame_aspect=getattr(page_settings, "frame_aspect", "16:9") or "16:9",
        bleed_panels=bool(getattr(page_settings, "bleed_panels", True)),
    )


# ------------------------------------------------------------------------------ templates


@dataclass(frozen=True)
class Template:
    """Cells as (x, y, w, h) fractions of the live area, y measured from the top, listed in
    left-to-right reading order."""

    name: str
    cells: tuple[tuple[float, float, float, float], ...]


def _grid(cols: int, rows: int) -> tuple[tuple[float, float, float, float], ...]:
    return tuple((c / cols, r / rows, 1 / cols, 1 / rows) for r in range(rows) for c in range(cols))


T3 = 1 / 3
TEMPLATES: tuple[Template, ...] = (
    Template("splash", ((0, 0, 1, 1),)),
    Template("two-stacked", ((0, 0, 1, 0.5), (0, 0.5, 1, 0.5))),
    Template("three-rows", ((0, 0, 1, T3), (0, T3, 1, T3), (0, 2 * T3, 1, T3))),
    Template("four-rows", tuple((0, r / 4, 1, 0.25) for r in range(4))),
    Template("grid-2x2", _grid(2, 2)),
    Template("grid-2x3", _grid(2, 3)),
    Template("grid-3x2", _grid(3, 2)),
    Template("grid-3x3", _grid(3, 3)),
    Template("wide-over-two", ((0, 0, 1, 0.5), (0, 0.5, 0.5, 0.5), (0.5, 0.5, 0.5, 0.5))),
    Template("two-over-wide", ((0, 0, 0.5, 0.5), (0.5, 0, 0.5, 0.5), (0, 0.5, 1, 0.5))),
    Template("wide-two-wide", ((0, 0, 1, T3), (0, T3, 0.5, T3), (0.5, T3, 0.5, T3), (0, 2 * T3, 1, T3))),
    Template("wide-over-three", ((0, 0, 1, 0.5),) + tuple((c * T3, 0.5, T3, 0.5) for c in range(3))),
    Template("wide-over-grid", ((0, 0, 1, T3),) + tuple((c / 2, T3 + r * T3, 0.5, T3) for r in range(2) for c in range(2))),
    Template("two-wide-two", ((0, 0, 0.5, T3), (0.5, 0, 0.5, T3), (0, T3, 1, T3), (0, 2 * T3, 0.5, T3), (0.5, 2 * T3, 0.5, T3))),
    Template("tall-beside-two", ((0, 0, 0.5, 1), (0.5, 0, 0.5, 0.5), (0.5, 0.5, 0.5, 0.5))),
    Template("two-beside-tall", ((0, 0, 0.5, 0.5), (0.5, 0, 0.5, 1), (0, 0.5, 0.5, 0.5))),
    Template("tall-beside-three", ((0, 0, 0.5, 1),) + tuple((0.5, r * T3, 0.5, T3) for r in range(3))),
    # An L of small panels wrapping a big one (right column, then the bottom row).
    Template("l-shape", ((0, 0, 2 * T3, 2 * T3), (2 * T3, 0, T3, T3), (2 * T3, T3, T3, T3),
                         (0, 2 * T3, T3, T3), (T3, 2 * T3, T3, T3), (2 * T3, 2 * T3, T3, T3))),
    Template("l-shape-wide", ((0, 0, 2 * T3, 2 * T3), (2 * T3, 0, T3, T3), (2 * T3, T3, T3, T3), (0, 2 * T3, 1, T3))),
)
TEMPLATE_NAMES = tuple(t.name for t in TEMPLATES)

# Pagination costs: fitting a hint into a cell (0 is a perfect fit) against the cost of a page.
_PAGE_COST = 2.0
_MISFIT = 3.0


def _fit_cost(hint: str, cell: tuple[float, float, float, float], live: Rect) -> float:
    _, _, fw, fh = cell
    area = fw * fh
    if area >= 0.999:  # a whole page for one panel is a waste unless asked for
        return 0.0 if hint == "splash" else 6.0
    if hint == "splash":  # a splash always owns its page
        return math.inf
    aspect = (fw * live.w) / (fh * live.h)
    wide = fw >= 0.999 and aspect >= 1.3
    tall = fh >= 0.999 or aspect <= 0.5
    if hint == "wide":
        return 0.0 if wide else _MISFIT
    if hint == "tall":
        return 0.0 if tall else _MISFIT
    if hint == "small":
        return 0.0 if area <= 1 / 6 + 1e-6 else (1.0 if area <= 0.26 else 2.0)
    # normal
    if area < 1 / 8:
        return 2.0
    if wide or tall or area > 0.45:
        return 1.0
    return 0.0


def _choose_templates(hints: Sequence[str], live: Rect) -> list[Template]:
    """Fewest, best-fitting pages for one run of panels (no forced breaks inside)."""
    n = len(hints)
    best: list[float] = [math.inf] * n + [0.0]
    choice: list[Template | None] = [None] * (n + 1)
    kinds = set(hints)  # each template cell's cost for each hint, worked out once
    costs = [[{h: _fit_cost(h, c, live) for h in kinds} for c in template.cells] for template in TEMPLATES]
    for i in range(n - 1, -1, -1):
        for template, cells in zip(TEMPLATES, costs):
            k = len(cells)
            if i + k > n or best[i + k] == math.inf:
                continue
            cost = _PAGE_COST + sum(cell[h] for h, cell in zip(hints[i:i + k], cells))
            if cost + best[i + k] < best[i]:
                best[i], choice[i] = cost + best[i + k], template
    out, i = [], 0
    while i < n:
        out.append(choice[i])
        i += len(choice[i].cells)
    return out


def _cell_rect(cell: tuple[float, float, float, float], live: Rect, gutter: float, rtl: bool) -> Rect:
    fx, fy, fw, fh = cell
    if rtl:
        fx = 1.0 - fx - fw
    # Spread the gutter across the live area so every shared edge is exactly one gutter apart
    # whatever the fractions: an edge at fraction f sits at f * (W + g), minus g on the far side.
    W, H = live.w + gutter, live.h + gutter
    x0, x1 = live.x + fx * W, live.x + (fx + fw) * W - gutter
    top, bottom = live.y1 - fy * H, live.y1 - (fy + fh) * H + gutter
    return Rect(x0, bottom, x1 - x0, top - bottom)


def _round8(v: float) -> int:
    return max(64, int(round(v / 8.0)) * 8)


def _slot(scene: int, panel: int, order: int, rect: Rect, spec: PageSpec, max_side: int,
          number: int, notes: Rect | None = None, bleed: bool = True) -> PanelSlot:
    """The slot of one panel framed by `rect`; unless `bleed` is False its art runs past the
    trim into the bleed on every side where the frame meets the live area's edge."""
    art, bleeds = rect, ()
    if bleed and spec.bleed > 0 and spec.kind != "storyboard":
        live, media, eps = spec.live, spec.media, 1e-6
        x0, y0, x1, y1 = rect.x, rect.y, rect.x1, rect.y1
        sides = []
        if abs(rect.x - live.x) < eps:
            x0 = media.x
            sides.append("left")
        if abs(rect.x1 - live.x1) < eps:
            x1 = media.x1
            sides.append("right")
        if abs(rect.y1 - live.y1) < eps:
            y1 = media.y1
            sides.append("top")
        if abs(rect.y - live.y) < eps:
            y0 = media.y
            sides.append("bottom")
        art, bleeds = Rect(x0, y0, x1 - x0, y1 - y0), tuple(sides)
    pw = max(1, round(art.w / 72.0 * spec.dpi))
    ph = max(1, round(art.h / 72.0 * spec.dpi))
    scale = min(1.0, max_side / max(pw, ph))
    gw, gh = _round8(pw * scale), _round8(ph * scale)
    while max(gw, gh) > max_side and max_side >= 64:  # rounding up may cross the cap
        scale *= 0.99
        gw, gh = _round8(pw * scale), _round8(ph * scale)
    return PanelSlot(scene, panel, order, rect, art, gw, gh, pw, ph, bleeds, notes, number)


# ------------------------------------------------------------------------------ pagination


def _runs(story: Any) -> list[list[tuple[int, int, str]]]:
    """Panels split at forced page breaks: [(scene, panel, size hint), ...] per run."""
    runs: list[list[tuple[int, int, str]]] = []
    for s, scene in enumerate(story.scenes):
        for p, panel in enumerate(scene.panels):
            if not runs or panel.new_page or (p == 0 and scene.new_page):
                runs.append([])
            runs[-1].append((s, p, panel.size))
    return runs


MAX_SIDE_RANGE = (64, 4096)  # pixels: the longest side a panel is generated at


def max_side_problem(max_side: Any) -> str | None:
    """Why `max_side` cannot be a panel's longest generated side, or None."""
    low, high = MAX_SIDE_RANGE
    if isinstance(max_side, bool) or not isinstance(max_side, numbers.Integral) or not low <= max_side <= high:
        return f"must be a whole number of pixels from {low} to {high}"
    return None


def paginate(story: Any, *, max_side: int = 1024) -> Book:
    """Lay out every panel of `story` on pages. Panels keep story order; `reading: rtl`
    mirrors each page left to right (and so the reading order of its panels)."""
    problem = max_side_problem(max_side)
    if problem:
        raise ValueError(f"max_side {max_side}: {problem}")
    if story.page.size == WEBTOON:
        return webtoon_book(story, max_side=max_side)
    spec = page_spec(story.page)
    if spec.kind == "storyboard":
        return _storyboard_book(story, spec, max_side)
    rtl = spec.reading == "rtl"
    pages: list[Page] = []
    number = 0
    for run in _runs(story):
        i = 0
        for template in _choose_templates([h for _, _, h in run], spec.live):
            slots = []
            for order, cell in enumerate(template.cells):
                s, p, _ = run[i + order]
                number += 1
                bleed = getattr(story.scenes[s].panels[p], "bleed", None)  # None: the page's rule
                slots.append(_slot(s, p, order, _cell_rect(cell, spec.live, spec.gutter, rtl), spec, max_side, number,
                                   bleed=spec.bleed_panels if bleed is None else bleed))
            i += len(template.cells)
            pages.append(Page(len(pages) + 1, template.name, tuple(slots)))
    return Book(spec, tuple(pages))


# ------------------------------------------------------------------------------ storyboard sheets


@dataclass(frozen=True)
class SheetGrid:
    cols: int
    rows: int
    notes_beside: bool  # notes to the right of each frame (wide frames) or under it (tall)


def sheet_grid(spec: PageSpec, panels: int | None = None) -> SheetGrid:
    """The grid of a storyboard sheet, 4 to 9 frames (fewer for a shorter story), each frame
    with its notes box beside it or under it, so that rows of frame + notes fill the live area
    as a production sheet does.

    Grids whose frames fill their cells (the notes box takes the rest, so a frame may leave
    room only in the notes' own direction) come first; among them the one showing the most
    frame area, a grid with more frames winning within 5 % (six to nine frames read like a
    storyboard). `panels`, the most panels one sheet has to hold (a story's longest run
    between page breaks): a story fitting one sheet with cells to spare gets the grid with
    the largest frames that still holds it, fewest cells first, so no row stays empty."""
    aspect = FRAME_ASPECTS[spec.frame_aspect]
    candidates = []  # (fills its cells, frame area, cells, grid)
    for cols in range(1, 5):
        for rows in range(1, 5):
            if cols * rows <= 9:
                for beside in (True, False):
                    w, h = _sheet_frame(spec.live, cols, rows, beside, aspect, spec.gutter)
                    cell_w, cell_h = _sheet_cell(spec.live, cols, rows, spec.gutter)
                    slack = (cell_h - h) / cell_h if beside else (cell_w - w) / cell_w
                    candidates.append((slack <= 0.1, w * h, cols * rows, SheetGrid(cols, rows, beside)))
    if any(c[0] for c in candidates):
        candidates = [c for c in candidates if c[0]]

    def best(pool, area, tie) -> SheetGrid:
        top = max(area(c) for c in pool)
        return min((c for c in pool if area(c) >= top * 0.95), key=tie)[3]

    grid = best([c for c in candidates if c[2] >= 4], lambda c: c[1] * c[2], lambda c: -c[2])
    if panels is not None and panels < grid.cols * grid.rows:  # one sheet holds the story: no empty rows
        grid = best([c for c in candidates if c[2] >= panels], lambda c: c[1], lambda c: c[2])
    return grid


def _sheet_cell(live: Rect, cols: int, rows: int, gutter: float) -> tuple[float, float]:
    return (live.w - (cols - 1) * gutter) / cols, (live.h - SHEET_HEADER - (rows - 1) * gutter) / rows


def _sheet_frame(live: Rect, cols: int, rows: int, beside: bool, aspect: float, gutter: float) -> tuple[float, float]:
    cell_w, cell_h = _sheet_cell(live, cols, rows, gutter)
    if beside:  # the notes take at least 40 % of the cell width
        w = min(cell_w * 0.6, cell_h * aspect)
    else:  # the notes take at least 35 % of the cell height
        w = min(cell_w, cell_h * 0.65 * aspect)
    return w, w / aspect


def _storyboard_book(story: Any, spec: PageSpec, max_side: int) -> Book:
    grid = sheet_grid(spec, max(map(len, _runs(story)), default=0))  # the longest run between breaks
    aspect = FRAME_ASPECTS[spec.frame_aspect]
    live, g = spec.live, spec.gutter
    fw, fh = _sheet_frame(live, grid.cols, grid.rows, grid.notes_beside, aspect, g)
    cell_w, cell_h = _sheet_cell(live, grid.cols, grid.rows, g)
    per_sheet = grid.cols * grid.rows
    rtl = spec.reading == "rtl"
    pages: list[Page] = []
    current: list[PanelSlot] = []
    number = 0

    def cell(k: int) -> tuple[Rect, Rect]:
        """The frame and notes box of the sheet's k-th cell in reading order."""
        col, row = k % grid.cols, k // grid.cols
        if rtl:
            col = grid.cols - 1 - col
        cx = live.x + col * (cell_w + g)
        top = live.y1 - SHEET_HEADER - row * (cell_h + g)
        if grid.notes_beside:
            if rtl:  # mirror inside the cell too: notes on the left of the frame
                return Rect(cx + cell_w - fw, top - fh, fw, fh), Rect(cx, top - fh, cell_w - fw - g / 2, fh)
            return Rect(cx, top - fh, fw, fh), Rect(cx + fw + g / 2, top - fh, cell_w - fw - g / 2, fh)
        return Rect(cx + (cell_w - fw) / 2, top - fh, fw, fh), Rect(cx, top - cell_h, cell_w, cell_h - fh - g / 2)

    def flush():
        if current:
            # A sheet's unused cells stay on it, empty, as on a printed sheet.
            blanks = tuple(cell(k) for k in range(len(current), per_sheet))
            pages.append(Page(len(pages) + 1, f"storyboard-{grid.cols}x{grid.rows}", tuple(current), blanks))
            current.clear()

    for s, scene in enumerate(story.scenes):
        for p, panel in enumerate(scene.panels):
            if panel.new_page or (p == 0 and scene.new_page) or len(current) == per_sheet:
                flush()
            frame, notes = cell(len(current))
            number += 1
            current.append(_slot(s, p, len(current), frame, spec, max_side, number, notes))
    flush()
    return Book(spec, tuple(pages))


# ------------------------------------------------------------------------------ webtoon strips

WEBTOON = "webtoon"
# A strip is always this wide in points: its dpi follows `webtoon.width`, so the lettering
# (sized in points) keeps one proportion of the width however many pixels wide the strip is
# (8 pt dialogue is 27 px on an 800 px strip); platforms show a strip at the screen's width.
STRIP_WIDTH_PT = 240.0
# A panel's shape across the strip (width / height) by its size hint: a quick beat is a low
# band, a splash fills a phone screen (800 x 1422 px at the default width).
STRIP_ASPECTS = {"small": 2.4, "wide": 2.0, "normal": 4 / 3, "tall": 3 / 4, "splash": 9 / 16}
# Space above a panel in pixels of an 800 px strip (scaled with the width): the next panel of a
# scene, a break the script asks for (`new_page`), a scene change; "end": above the first
# panel and below the last.
STRIP_GAPS = {"panel": 100, "break": 300, "scene": 500, "end": 100}


def strip_size_hint(panel: Any) -> str:
    """The size hint a panel takes on a webtoon strip: its `size` where the script gives one,
    else `wide` for an establishing shot (a landscape band) and `normal` for the rest."""
    fields = getattr(panel, "model_fields_set", None)
    given = panel.size if fields is None or "size" in fields else None
    return given or ("wide" if panel.shot == "establishing" else "normal")


def strip_dpi(width_px: int) -> int:
    """The strip's pixels per inch: `width_px` across STRIP_WIDTH_PT."""
    return max(1, round(width_px * 72 / STRIP_WIDTH_PT))


def strip_gap(kind: str, width_px: int) -> int:
    return round(STRIP_GAPS[kind] * width_px / 800)


def strip_beats(story: Any) -> list[tuple[int, int, str]]:
    """(scene, panel, gap kind above it) for every panel in reading order, top to bottom."""
    out = []
    for s, scene in enumerate(story.scenes):
        for p, panel in enumerate(scene.panels):
            kind = "end" if not out else "scene" if p == 0 else "break" if panel.new_page else "panel"
            out.append((s, p, kind))
    return out


def strip_height(width_px: int, panels: Iterable[tuple[float, str]]) -> int:
    """The height in pixels of a strip `width_px` wide holding `panels`, each (aspect, gap kind)."""
    panels_px = sum(round(width_px / aspect) + strip_gap(kind, width_px) for aspect, kind in panels)
    return panels_px + strip_gap("end", width_px)


def strip_problem(width_px: int, height_px: int, *, pages: bool = False, at: str = "") -> str | None:
    """Why a strip of this size cannot be rasterised (its full-length image), or None. With
    `pages` (a story laid out on pages), rendering the pages instead is one way out; `at`
    names where the strip passes the limit."""
    if width_px * height_px > MAX_PAGE_PIXELS:
        return (f"the webtoon strip is {width_px} x {height_px} pixels; a strip is limited to "
                f"{MAX_PAGE_PIXELS // 1_000_000} megapixels{f' (passed at {at})' if at else ''}: "
                "split the story into episodes"
                + (", lower webtoon.width, or render its pages instead (-o story.pdf)" if pages
                   else " or lower webtoon.width"))
    return None


def strip_overflow(story: Any, aspects: dict[tuple[int, int], float]) -> tuple[tuple[int, int], str] | None:
    """For a strip of `story` with panels of `aspects` ((scene, panel) -> width / height) too
    large to rasterise: (scene, panel) of the first panel that takes it past the limit (where
    the story could be split) and why (`strip_problem`); else None. Layout only: nothing drawn."""
    width = story.webtoon.width
    beats = strip_beats(story)
    total = strip_height(width, [(aspects[(s, p)], kind) for s, p, kind in beats])
    if strip_problem(width, total) is None:
        return None
    height = strip_gap("end", width)
    for s, p, kind in beats:
        height += round(width / aspects[(s, p)]) + strip_gap(kind, width)
        if width * height > MAX_PAGE_PIXELS:
            break
    at = f"scene '{story.scenes[s].id}' panel {p + 1}"
    return (s, p), strip_problem(width, total, pages=story.page.size != WEBTOON, at=at)


def webtoon_problem(story: Any) -> str | None:
    """Why a `page.size: webtoon` story's strip cannot be made (too long to rasterise), or None."""
    if story.page.size != WEBTOON:
        return None
    over = strip_overflow(story, {(s, p): STRIP_ASPECTS[strip_size_hint(panel)] for s, p, _, panel in story.panels()})
    return over[1] if over else None


def strip_book(story: Any, aspects: dict[tuple[int, int], float], *, max_side: int = 1024) -> Book:
    """One page of kind `webtoon`, `story.webtoon.width` pixels wide, holding every panel
    stacked top to bottom in story order across the full width at its aspect in `aspects`
    ((scene, panel) -> width / height), the gaps from `strip_beats`. No bleed, margins or
    borders' gutters: the strip is the page. Raises ValueError when it is too large (strip_problem)."""
    width_px = story.webtoon.width
    dpi = strip_dpi(width_px)
    k = 72.0 / dpi  # points per strip pixel
    beats = strip_beats(story)
    heights = [round(width_px / aspects[(s, p)]) for s, p, _ in beats]
    total = strip_height(width_px, [(aspects[(s, p)], kind) for s, p, kind in beats])
    problem = strip_problem(width_px, total)
    if problem:
        raise ValueError(problem)
    spec = PageSpec(width=width_px * k, height=total * k, bleed=0.0, margin=0.0, gutter=0.0, dpi=dpi,
                    reading=story.page.reading, kind=WEBTOON, bleed_panels=False)
    slots, top = [], 0
    for order, ((s, p, kind), h) in enumerate(zip(beats, heights)):
        top += strip_gap(kind, width_px)
        rect = Rect(0.0, (total - top - h) * k, width_px * k, h * k)  # y up, like every page
        slot = _slot(s, p, order, rect, spec, max_side, order + 1, bleed=False)
        # The art spans the strip's full width: its sides are the screen's edges, so only the
        # top and bottom get a frame line (a side line would be cut in half by the edge).
        slots.append(replace(slot, bleeds=("left", "right")))
        top += h
    return Book(spec, (Page(1, WEBTOON, tuple(slots)),))


def webtoon_book(story: Any, *, max_side: int = 1024) -> Book:
    """The layout of a `page.size: webtoon` story: the strip, each panel at the aspect of
    its size hint (`strip_size_hint`, STRIP_ASPECTS), generated for that rectangle."""
    aspects = {(s, p): STRIP_ASPECTS[strip_size_hint(panel)]
               for s, scene in enumerate(story.scenes) for p, panel in enumerate(scene.panels)}
    return strip_book(story, aspects, max_side=max_side)


# ------------------------------------------------------------------------------ cast regions

# Named positions -> horizontal centres in panel fractions. Figures stand from y=0.3 to the
# bottom of the frame (y grows downwards, as in image coordinates), leaving the top of the
# panel to the balloons, as a comic artist composes it.
POSITION_CENTERS = {"far-left": 0.1, "left": 0.28, "center": 0.5, "right": 0.72, "far-right": 0.9}
_FIGURE_TOP, _FIGURE_BOTTOM = 0.3, 1.0


def cast_boxes(panel: Any, rtl: bool = False) -> list[tuple[float, float, float, float]]:
    """The region of each cast member of `panel`, in cast order, as (x0, y0, x1, y1) panel
    fractions with y down. Explicit boxes are kept; named positions map to fixed columns;
    members without a position are spread evenly by their place in the cast list, in reading
    order: from the right on a right-to-left page (`rtl`), where the first speaker's balloon
    goes first."""
    cast = list(panel.cast)
    n = len(cast)
    boxes = []
    for i, entry in enumerate(cast):
        pos = entry.position
        if isinstance(pos, (tuple, list)):
            boxes.append(tuple(float(v) for v in pos))
            continue
        if isinstance(pos, str):
            centre = POSITION_CENTERS[pos]
            half = 0.15 if n <= 3 else 0.11
        else:
            centre = (n - i - 0.5) / n if rtl else (i + 0.5) / n
            half = min(0.2, 0.5 / n)
        x0, x1 = max(0.0, centre - half), min(1.0, centre + half)
        boxes.append((x0, _FIGURE_TOP, x1, _FIGURE_BOTTOM))
    return boxes
