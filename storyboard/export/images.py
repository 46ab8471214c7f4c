"""PNG pages with PIL, drawn from the same page geometry as the PDF.

Pages are cut at the trim (the bleed is for the printer). Balloons, tails and bubbles are
filled and stroked as the PDF paints them (even-odd fills, round joins and caps), each pixel
inked by the area the shape covers (FreeType's rasteriser: storyboard.export.coverage); text
is the same shaped glyph outlines as in the PDF, rasterised by FreeType at its final size
(storyboard.text.draw).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from storyboard.drawing import Drawing, curve_line, rasterise
from storyboard.export import PageDrawing, atomic_path, compose, compose_page, cover_crop, panel_image
from storyboard.layout import Book, PageSpec, Rect
from storyboard.lettering import Font, Item, Shape, Text, story_font
from storyboard._lettering.shapes import dashes

_SQUARE = ("border", "notes", "caption", "narration", "header", "label")


def page_names(book: Book) -> list[str]:
    """The file names of the book's PNG pages: `page-001.png`, ... (more digits past 999)."""
    digits = max(3, len(str(len(book.pages))))
    return [f"page-{page.number:0{digits}d}.png" for page in book.pages]


def write_pages(story: Any, book: Book, images: Mapping[tuple[int, int], Any], folder: str | Path, *,
                font: str | Path | Font | None = None, metadata: dict | None = None,
                labels: bool = False, listed: Iterable[str] = ()) -> list[Path]:
    """Write one PNG per page (`page-001.png`, ...) at the page dpi into `folder` (a long book's
    pages on worker processes, `export.workers`), replacing
    the folder's pages as a whole (`storyboard.export.folder`): a reader sees all the old
    pages or all the new ones. Only pages storyboard wrote are removed (`listed`: the
    previous manifest's files, or those carrying its provenance chunk); other files stay.
    `metadata` (a `storyboard.provenance.provenance()` record) goes into each page's text
    chunks with the pixel boxes of its panels; `labels` letters the draft notes (see
    `export.compose`). Returns the paths in page order. Raises ExportError, also when a file
    storyboard did not write has a page's name."""
    from storyboard import __version__
    from storyboard.export.folder import replaced_folder
    from storyboard.export.png import save_png
    from storyboard.provenance import png_info

    from storyboard.export import check_lettering
    from storyboard.export.workers import page_map

    lettering_font = check_lettering(story, book, font, labels=labels)
    names = page_names(book)
    boxes = panel_boxes(book)

    def write(index: int) -> None:  # one page: lettered, drawn and encoded (on a worker process)
        image = _page_image(story, book, index, images, lettering_font, labels)
        if metadata is not None:
            info = png_info(metadata, panels=boxes[index])
        else:  # still marked as storyboard's own, so a later render may replace it
            from PIL import PngImagePlugin

            info = PngImagePlugin.PngInfo()
            info.add_text("Software", f"storyboard {__version__}")
        with atomic_path(stage / names[index], ".png") as tmp:
            save_png(image, tmp, dpi=image.info["dpi"], pnginfo=info)

    with replaced_folder(Path(folder), names, listed) as stage:
        if names:  # the first here: what the workers need is loaded before they are forked
            write(0)
        for _ in page_map(write, range(1, len(names))):
            pass
    return [Path(folder) / name for name in names]


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

    def encode(index: int) -> bytes:  # one page (on a worker process)
        image = _page_image(story, book, index, images, lettering_font, labels)
        pnginfo = None
        if metadata is not None:
            from storyboard.provenance import png_info

            pnginfo = png_info(metadata, panels=list(boxes[index]) if boxes is not None else None)
        return png_bytes(image, dpi=image.info["dpi"], pnginfo=pnginfo)

    if book.pages:  # the first here: what the workers need is loaded before they are forked
        yield encode(0)
    yield from page_map(encode, range(1, len(book.pages)))


def _page_image(story: Any, book: Book, index: int, images: Mapping[tuple[int, int], Any], font: Font,
                labels: bool):
    """Page `index` lettered and drawn: an RGB PIL image, trimmed, at the page dpi."""
    drawing = compose_page(story, book, book.pages[index], font, labels=labels)
    return render_page(drawing, images, book.spec.dpi, font)


def render_pages(story: Any, book: Book, images: Mapping[tuple[int, int], Any], *,
                 font: str | Path | Font | None = None, labels: bool = False) -> list:
    """Every page as an RGB PIL image (for previews), trimmed, at the page dpi."""
    lettering_font = font if isinstance(font, Font) else story_font(story, font)
    return [render_page(drawing, images, book.spec.dpi, lettering_font)
            for drawing in compose(story, book, lettering_font, labels=labels)]


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
        self.size = (round(trim.w * self.k), round(trim.h * self.k))

    @classmethod
    def for_spec(cls, spec: PageSpec) -> "_Raster":
        return cls(spec.trim, spec.dpi)

    def px(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.x0) * self.k, (self.top - y) * self.k


def render_page(drawing: PageDrawing, images: Mapping[tuple[int, int], Any], dpi: int, font: Font):
    """One page as an RGB PIL image; `info["dpi"]` holds its resolution, which every writer
    stores (PNG pHYs) so print software does not read the pixels as 72 dpi."""
    from PIL import Image

    r = _Raster(drawing.trim, dpi)
    page = Image.new("RGB", r.size, "white")
    page.info["dpi"] = (dpi, dpi)
    for slot in drawing.arts:
        art = slot.art
        left, top = r.px(art.x, art.y1)
        right, bottom = r.px(art.x1, art.y)
        box = (round(left), round(top), round(right), round(bottom))
        size = (max(1, box[2] - box[0]), max(1, box[3] - box[1]))
        picture = panel_image(images, slot)
        if isinstance(picture, Drawing):  # vector art: drawn at exactly its box, never resampled
            picture = rasterise(picture, *size)
        picture = cover_crop(picture, *size)
        if picture.size != size:
            picture = picture.resize(size, Image.Resampling.BICUBIC)
        page.paste(picture, box[:2])
    for item in drawing.items:
        _item(page, r, item, font)
    return page


def _rgb(color) -> tuple[int, int, int]:
    return tuple(round(255 * c) for c in color)


def _item(page, r: _Raster, item: Item, font: Font) -> None:
    shapes = [op for op in item.ops if isinstance(op, Shape)]
    if shapes:
        # Curved outlines are anti-aliased; frames and boxes are axis-aligned and need not be.
        _shapes(page, r, item, shapes, smooth=item.kind not in _SQUARE)
    for op in item.ops:
        if isinstance(op, Text):
            _text(page, r, op, font)


def _shapes(page, r: _Raster, item: Item, shapes: list[Shape], smooth: bool) -> None:
    """Draw the item's shapes, if `smooth` anti-aliased within its bounds."""
    from PIL import ImageDraw

    if not smooth:
        _draw(ImageDraw.Draw(page), shapes, lambda x, y: r.px(x, y), r.k)
        return
    reach = max((s.width for s in shapes), default=0.0)
    b = item.bounds
    left, top = r.px(b.x - reach, b.y1 + reach)
    right, bottom = r.px(b.x1 + reach, b.y - reach)
    left, top = max(0, math.floor(left)), max(0, math.floor(top))
    right, bottom = min(page.width, math.ceil(right)), min(page.height, math.ceil(bottom))
    if right <= left or bottom <= top:
        return
    _smooth(page, r, (left, top, right, bottom), shapes)


def _smooth(page, r: _Raster, box: tuple[int, int, int, int], shapes: list[Shape]) -> None:
    """Fill and stroke `shapes` within `box` of the page as the PDF paints them: even-odd
    fills, round joins and caps, each pixel inked by the area covered (storyboard.export.coverage)."""
    from PIL import Image

    from storyboard.export import coverage

    k = r.k

    def paint(colour, contours, reach: float, draw) -> None:
        # only the pixels the shape can reach: a mask pasted over the whole balloon per shape
        # would cost more than drawing it
        xs = [x for c in contours for x, _ in c]
        ys = [y for c in contours for _, y in c]
        left, top = max(box[0], math.floor(min(xs) - reach)), max(box[1], math.floor(min(ys) - reach))
        right, bottom = min(box[2], math.ceil(max(xs) + reach)), min(box[3], math.ceil(max(ys) + reach))
        if right <= left or bottom <= top:
            return
        w, h = right - left, bottom - top
        mask = draw([[(x - left, y - top) for x, y in c] for c in contours], w, h)
        page.paste(_rgb(colour), (left, top, right, bottom), Image.frombuffer("L", (w, h), mask, "raw", "L", 0, 1))

    for shape in shapes:
        points = [r.px(x, y) for x, y in shape.points]
        if shape.fill is not None and shape.closed and len(points) > 2:
            paint(shape.fill, [points], 1, coverage.fill)
        if shape.stroke is not None and shape.width > 0 and len(points) > 1:
            width = shape.width * k
            if shape.dash:
                runs, closed = dashes(points, shape.dash[0] * k, shape.dash[1] * k, shape.closed), False
            else:
                runs, closed = [points], shape.closed
            paint(shape.stroke, runs, width / 2 + 1,
                  lambda contours, w, h: coverage.stroke(contours, width, closed, w, h))


def _draw(draw, shapes: list[Shape], to_px, scale: float) -> None:
    for shape in shapes:
        points = [to_px(x, y) for x, y in shape.points]
        if shape.fill is not None and shape.closed:
            draw.polygon(points, fill=_rgb(shape.fill) + (255,))
        if shape.stroke is None or shape.width <= 0:
            continue
        width = max(1, round(shape.width * scale))
        color = _rgb(shape.stroke) + (255,)
        if shape.dash:
            runs = dashes(points, shape.dash[0] * scale, shape.dash[1] * scale, shape.closed)
        else:
            runs = [points + points[:1]] if shape.closed else [points]
        for run in runs:
            if len(run) > 1:
                curve_line(draw, run, color, width)
                if width > 2:  # round caps, like the PDF's line cap 1
                    for x, y in (run[0], run[-1]):
                        draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=color)


def _text(page, r: _Raster, text: Text, font: Font) -> None:
    from storyboard.text.draw import draw_text_pil

    x, y = r.px(text.x, text.y)
    outline = _rgb(text.outline) if text.outline is not None else None
    draw_text_pil(page, (x, y), text.text, text.size * r.k, font, bold=text.bold,
                  anchor="ms" if text.anchor == "middle" else "ls", fill=_rgb(text.fill), outline=outline,
                  outline_width=text.outline_width * r.k, skew=text.skew, vertical=text.vertical)
