"""PNG pages, painted from the same page geometry as the PDF.

Pages are cut at the trim (the bleed is for the printer). Each page is painted by Skia as the
PDF paints it (`storyboard.export.canvas`): panel drawings as paths over their art box,
balloons, tails, bubbles and boxes with even-odd fills and round joins and caps, text as the
same shaped glyph outlines as in the PDF; raster art is cropped and scaled by Pillow.
Pages are encoded by `storyboard.export.png`.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import numpy as np

from storyboard.drawing import Drawing
from storyboard.export.canvas import PageCanvas
from storyboard.export import PageDrawing, atomic_path, compose_page, cover_crop, panel_image, put_on_disk
from storyboard.layout import Book, PageSpec, Rect
from storyboard.lettering import Font, Shape, Text
from storyboard._lettering.shapes import dashes

# Items drawn as straight frames and boxes: snapped to the pixel grid (`_shape`).
_SQUARE = ("border", "notes", "blank", "caption", "narration", "header", "label")


def page_names(book: Book) -> list[str]:
    """The file names of the book's PNG pages: `page-001.png`, ... (more digits past 999)."""
    digits = max(3, len(str(len(book.pages))))
    return [f"page-{page.number:0{digits}d}.png" for page in book.pages]


def write_pages(story: Any, book: Book, images: Mapping[tuple[int, int], Any], folder: str | Path, *,
                font: str | Path | Font | None = None, metadata: dict | None = None,
                labels: bool = False, listed: Iterable[str] = ()) -> list[Path]:
    """Write one PNG per page (`page-001.png`, ...) at the page dpi into `folder` (a long book's
    pages on worker processes, `export.workers`), replacing the folder's pages as a whole
    (`storyboard.export.folder`): a reader sees all the old pages or all the new ones. Only
    pages storyboard wrote are removed (`listed`: the previous manifest's files, or those
    carrying its provenance chunk); other files stay. `metadata` (a
    `storyboard.provenance.provenance()` record) goes into each page's text chunks with the
    pixel boxes of its panels; `labels` letters the draft notes (see `export.compose`).
    Returns the paths in page order. Raises ExportError, also when a file storyboard did not
    write has a page's name. (A render paints its first folder with the page reports:
    `PagePainter`.)"""
    from storyboard.export import check_lettering

    lettering_font = check_lettering(story, book, font, labels=labels)
    with PagePainter(story, book, images, font=lettering_font, labels=labels, metadata=metadata,
                     folder=Path(folder), scratch=None) as painter:
        painter.paint_all()
        return painter.replace_folder(listed)


def _stage_page(page: PageCanvas, stage: Path, path: Path, dpi: tuple[int, int], pnginfo, also=()) -> None:
    """Write the painted `page` as the PNG that goes to `path` into `stage`, the private folder
    of `path`'s folder (`export.folder.new_stage`); the same pixels to the files of `also`
    ((file, pnginfo) pairs, `export.png.write_pngs`). Not synced here, where the worker would wait
    on the disk instead of painting the next page: the render's process puts it on disk
    (`put_on_disk`) before the folder is replaced. Raises ExportError naming `path`."""
    from storyboard.export.png import write_pngs

    with atomic_path(stage / path.name, ".png", fsync=False, name=path) as tmp, open(tmp, "wb") as fh:
        write_pngs(page, [(fh, pnginfo), *also], dpi=dpi)


def _page_info(metadata: dict | None, boxes: list[tuple[int, int, int, int]]):
    """The text chunks of a page of a folder: the provenance record with the page's panel
    boxes, or without one still the Software name, so a later render may replace the page."""
    if metadata is not None:
        from storyboard.provenance import png_info

        return png_info(metadata, panels=boxes)
    from PIL import PngImagePlugin

    from storyboard import __version__

    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"storyboard {__version__}")
    return info


class PagePainter:
    """The page outputs of a render (its first folder of PNG pages, its first CBZ) painted in
    one pass: `paint(index)` letters page `index`, paints it once and encodes it for each
    output, in the process that makes the page's lettering report and in the same lettering
    (`export.pieces.Pages.build(paint=...)`, on a worker), instead of lettering every page
    again afterwards. The folder's pages are written into `stage`, a private folder beside it
    (`export.folder.new_stage`) that only `replace_folder` puts in its place; the
    CBZ's pages into `scratch`, listed by `cbz_pages()` for `export.cbz.write_cbz`.
    `painted(index)` (in the render's process, page by page) puts a page of the folder on
    disk; `close()` waits until all are. A context manager: leaving it with an error (or
    before `replace_folder` used the stage) removes the stage and what was written there.
    `font` is the lettering font, checked already for every text of the book (as
    `export.check_lettering` checks it: the render refuses a script it cannot letter before
    any panel is drawn); `metadata` the provenance record; `cbz_boxes`, one list per page,
    the panel boxes the CBZ's pages carry (watermarked panels). Raises ExportError when the
    private folder cannot be made."""

    def __init__(self, story: Any, book: Book, images: Mapping[tuple[int, int], Any], *, font: Font,
                 labels: bool, metadata: dict | None, folder: Path | None, scratch: Path | None,
                 cbz_boxes: list[list[tuple[int, int, int, int]]] | None = None):
        from storyboard.export.folder import missing_parents, new_stage

        self.story, self.book, self.images, self.labels, self.metadata = story, book, images, labels, metadata
        self.font = font
        self.folder, self.scratch, self.cbz_boxes = folder, scratch, cbz_boxes
        self.names = page_names(book)
        self.boxes = panel_boxes(book)
        self._made = missing_parents(folder) if folder is not None else []  # removed again if nothing is written
        self.stage = new_stage(folder) if folder is not None else None
        self._syncing = None  # threads started on the first page given back: after the workers are forked
        self._synced: list = []

    def paint(self, index: int) -> None:
        """Letter, paint and encode page `index` for every output (on a worker process); with
        both a folder and a CBZ the pixels are encoded once, into two files, each with its own
        text chunks."""
        import io

        from storyboard.export.png import write_pngs

        name, dpi = self.names[index], (self.book.spec.dpi, self.book.spec.dpi)
        page = _painted(self.story, self.book, index, self.images, self.font, self.labels)
        cbz = io.BytesIO() if self.scratch is not None else None
        targets = [(cbz, _cbz_info(self.metadata, self.cbz_boxes, index))] if cbz is not None else []
        if self.stage is not None:  # put on disk by `painted`
            _stage_page(page, self.stage, self.folder / name, dpi, _page_info(self.metadata, self.boxes[index]), targets)
        else:
            write_pngs(page, targets, dpi=dpi)
        if cbz is not None:  # as `encoded_pages` encodes them
            (self.scratch / name).write_bytes(cbz.getbuffer())

    def paint_all(self) -> None:
        """Paint every page, the first here and the others on worker processes
        (`export.workers`), each put on disk as it comes (`painted`); returns when all are."""
        from storyboard.export.workers import page_map

        if not self.names:
            return
        self.paint(0)  # the first here: what the workers need is then loaded before they are forked
        # Each page goes on disk once the next is painted: the syncing threads start after the
        # workers are forked (a fork beside running threads may deadlock the child).
        last = 0
        for index in page_map(self._paint, range(1, len(self.names))):
            self.painted(last)
            last = index
        self.painted(last)
        self.close()

    def _paint(self, index: int) -> int:
        self.paint(index)
        return index

    def painted(self, index: int) -> None:
        """Page `index` was painted: put its file in the folder on disk (on a thread)."""
        if self.stage is None:
            return
        if self._syncing is None:
            from concurrent.futures import ThreadPoolExecutor

            self._syncing = ThreadPoolExecutor(2)
        self._synced.append(self._syncing.submit(put_on_disk, self.stage / self.names[index],
                                                  self.folder / self.names[index]))

    def close(self) -> None:
        """Wait until every page given to `painted` is on disk; raises ExportError."""
        if self._syncing is not None:
            self._syncing.shutdown()
            self._syncing = None
        synced, self._synced = self._synced, []
        for done in synced:
            done.result()

    def replace_folder(self, listed: Iterable[str] = ()) -> list[Path]:
        """The painted pages (every one given to `painted`, `close`d) replace the folder's as a
        whole (`export.folder.replaced_folder`; `listed` as for `write_pages`). Returns their
        paths in page order. Raises ExportError."""
        from storyboard.export.folder import replaced_folder

        with replaced_folder(self.folder, self.names, listed, stage=self.stage):
            pass
        return [self.folder / name for name in self.names]

    def cbz_pages(self) -> list[Path]:
        """The CBZ's pages as PNG files, in page order."""
        return [self.scratch / name for name in self.names]

    def __enter__(self) -> "PagePainter":
        return self

    def __exit__(self, *exc) -> None:
        from storyboard.export.folder import discard_stage

        if self._syncing is not None:  # (an error syncing is the export's to raise, in `close`)
            self._syncing.shutdown()
        if self.stage is not None:
            discard_stage(self.stage, self.folder, self._made)


def encoded_pages(story: Any, book: Book, images: Mapping[tuple[int, int], Any], *,
                  font: str | Path | Font | None = None, labels: bool = False, metadata: dict | None = None,
                  boxes: list[list[tuple[int, int, int, int]]] | None = None) -> Iterator[bytes]:
    """Each page as PNG file bytes, in page order, lettered, drawn and encoded on worker
    processes as `write_pages` makes them (for the CBZ). `metadata` (a provenance record) goes
    into each page's text chunks, with the page's panel boxes when `boxes` (one list per page)
    is given. Raises ExportError when the font cannot draw some of the text."""
    from storyboard.export import check_lettering
    from storyboard.export.png import png_bytes
    from storyboard.export.workers import page_map

    lettering_font = check_lettering(story, book, font, labels=labels)

    dpi = (book.spec.dpi, book.spec.dpi)

    def encode(index: int) -> bytes:  # one page (on a worker process)
        return png_bytes(_painted(story, book, index, images, lettering_font, labels), dpi=dpi,
                         pnginfo=_cbz_info(metadata, boxes, index))

    if book.pages:  # the first here: what the workers need is loaded before they are forked
        yield encode(0)
    yield from page_map(encode, range(1, len(book.pages)))


def _cbz_info(metadata: dict | None, boxes: list[list[tuple[int, int, int, int]]] | None, index: int):
    """The text chunks of page `index` of a CBZ: the provenance record, with the page's panel
    boxes when `boxes` (one list per page) is given; None without a record."""
    if metadata is None:
        return None
    from storyboard.provenance import png_info

    return png_info(metadata, panels=list(boxes[index]) if boxes is not None else None)


def _painted(story: Any, book: Book, index: int, images: Mapping[tuple[int, int], Any], font: Font, labels: bool):
    """Page `index` lettered and painted (`paint_page`), trimmed, at the page dpi."""
    drawing = compose_page(story, book, book.pages[index], font, labels=labels)
    return paint_page(drawing, images, book.spec.dpi, font)


def panel_boxes(book: Book) -> list[list[tuple[int, int, int, int]]]:
    """For each page, the pixel box (left, top, right, bottom) where each panel's art is
    pasted on the trimmed page image, in reading order (may reach past the page edges)."""
    r = _Raster.for_spec(book.spec)
    out = []
    for page in book.pages:
        boxes = []
        for slot in sorted(page.slots, key=lambda s: s.order):
            left, top = r.px(slot.art.x, slot.art.y1)
            right, bottom = r.px(slot.art.x1, slot.art.y)
            # The paste box itself, not clipped to the page: the watermark grid starts at the
            # panel's own top-left pixel, which lies outside the page for art in the bleed.
            boxes.append((round(left), round(top), round(right), round(bottom)))
        out.append(boxes)
    return out


class _Raster:
    """Maps PDF points (y up, media origin) to pixels of the trimmed page (y down)."""

    def __init__(self, trim: Rect, dpi: int):
        self.k = dpi / 72.0
        self.x0, self.top = trim.x, trim.y1
        self.origin, self.scale = np.array((self.x0, self.top)), np.array((self.k, -self.k))  # px on arrays
        self.size = (round(trim.w * self.k), round(trim.h * self.k))

    @classmethod
    def for_spec(cls, spec: PageSpec) -> "_Raster":
        return cls(spec.trim, spec.dpi)

    def px(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.x0) * self.k, (self.top - y) * self.k


def paint_page(drawing: PageDrawing, images: Mapping[tuple[int, int], Any], dpi: int, font: Font):
    """One page painted on an `export.canvas.PageCanvas` (trimmed, at `dpi`), as the PDF
    paints it: vector art over its art box, raster art cropped and scaled to its pixel box,
    then every item's shapes and text in order."""
    from PIL import Image

    r = _Raster(drawing.trim, dpi)
    page = PageCanvas(*r.size)
    for slot in drawing.arts:
        art = slot.art
        left, top = r.px(art.x, art.y1)
        right, bottom = r.px(art.x1, art.y)
        picture = panel_image(images, slot)
        if isinstance(picture, Drawing):  # vector art: painted at its exact box, never resampled
            page.drawing(picture, left, top, right - left, bottom - top)
            continue
        box = (round(left), round(top), round(right), round(bottom))
        size = (max(1, box[2] - box[0]), max(1, box[3] - box[1]))
        picture = cover_crop(picture, *size)
        if picture.size != size:
            picture = picture.resize(size, Image.Resampling.BICUBIC)
        page.image(np.asarray(picture), *box[:2])
    for item in drawing.items:
        for op in item.ops:
            if isinstance(op, Shape):
                _shape(page, r, op, item.kind in _SQUARE)
            else:
                _text(page, r, op, font)
    return page


def _shape(page, r: _Raster, shape: Shape, square: bool) -> None:
    # the points in pixels, as `_Raster.px` maps them (the same arithmetic, on an array)
    points = np.fromiter(itertools.chain.from_iterable(shape.points), float, 2 * len(shape.points)).reshape(-1, 2)
    points -= r.origin
    points *= r.scale
    width = shape.width * r.k
    if square:
        # Frames and boxes on the pixel grid, as PDF viewers adjust thin straight strokes:
        # at least a pixel wide, and crisp rather than smeared over two rows at low dpi.
        width = max(1, round(width)) if shape.stroke is not None and width > 0 else width
        at = 0.5 if shape.stroke is not None and width % 2 == 1 else 0.0
        points = np.round(points - at) + at  # half to even, as round()
    runs = None
    if shape.dash and shape.stroke is not None and width > 0:
        runs = dashes(points.tolist(), shape.dash[0] * r.k, shape.dash[1] * r.k, shape.closed)
    page.shape(points, fill=shape.fill, stroke=shape.stroke, width=width, closed=shape.closed, runs=runs)


def _text(page, r: _Raster, text: Text, font: Font) -> None:
    x, y = r.px(text.x, text.y)
    page.text(font, text.text, x, y, text.size * r.k, bold=text.bold, middle=text.anchor == "middle",
              fill=text.fill, outline=text.outline, outline_width=text.outline_width * r.k, skew=text.skew,
              vertical=text.vertical)
