"""PDF export: each page is its own one-page PDF, drawn with reportlab, and the document is
assembled from those files with pikepdf (qpdf), which copies each page's streams from its file
while writing: memory does not grow with the number of pages, and a re-render only draws the
pages whose inputs changed (`export.pieces`). The assembly adds the document's metadata
(Info + XMP), its language and, for right-to-left books, the reading direction.

A page has: lettering as the shaped glyph outlines with an invisible text layer in the
embedded fonts (searchable, extracts in logical order; see storyboard.text.draw), trim and
bleed boxes, panel art as JPEG or, for a vector `Drawing` (the draft engine's sketches), as
paths clipped to the panel.

Speed: panel art is cropped to its frame, never embedded above the print resolution, and
JPEG-encoded by PIL so reportlab passes it through untouched (a raw image would be
deflate-compressed by reportlab); images are named by a hash of their JPEG bytes rather than
of their decoded pixels; ASCII85 wrapping is switched off while writing (it makes
image-heavy PDFs several times slower and a quarter bigger, for no benefit to a binary
file). The assembly never recompresses a stream.
"""

from __future__ import annotations

import io
import tempfile
import threading
from contextlib import ExitStack, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

from storyboard.drawing import Drawing
from storyboard.errors import ExportError
from storyboard.export import PageDrawing, atomic_path, compose_page, cover_crop, panel_image
from storyboard.layout import Book, Page, PanelSlot
from storyboard.lettering import Font, Shape, Text, story_font
from storyboard.pdfraw import FLATE, raw_object, references, stream
from storyboard.text.draw import PdfFonts, draw_text_pdf

JPEG_QUALITY = 90
# Everything that decides the bytes `print_jpeg` makes: part of the key of a cached print JPEG.
JPEG_ENCODING = {"format": "JPEG", "quality": JPEG_QUALITY, "subsampling": "4:4:4", "fit": "cover-lanczos"}


def _jpeg_reader(data: bytes):
    """A reportlab ImageReader over JPEG bytes whose identity is those bytes.

    `Canvas.drawImage` names an image by hashing `getRGBData()`, which for a plain reader
    decodes the whole JPEG first (two thirds of the time of an image-heavy PDF); the JPEG
    bytes identify the image just as well. The JPEG itself is embedded as is."""
    from reportlab.lib.utils import ImageReader

    class JpegReader(ImageReader):
        def getRGBData(self):
            return data

    reader = JpegReader(io.BytesIO(data))
    reader._dataA = None  # no soft mask: a JPEG has no alpha
    return reader


# `useA85` is a process-wide reportlab setting: PDF writes in threads take turns so each
# one restores it for the next.
_A85_LOCK = threading.Lock()


@contextmanager
def _no_ascii85():
    from reportlab import rl_config

    with _A85_LOCK:
        saved = rl_config.useA85
        rl_config.useA85 = 0
        try:
            yield
        finally:
            rl_config.useA85 = saved


def write_pdf(story: Any, book: Book, images: Mapping[tuple[int, int], Any], path: str | Path, *,
              font: str | Path | Font | None = None, metadata: dict | None = None, labels: bool = False,
              pages: "Sequence[Path] | Joiner | None" = None) -> Path:
    """Write the lettered book to `path` atomically; `images` maps (scene, panel) to the
    panel's PIL image, to `print_jpeg` bytes of it, which are embedded untouched, or to a
    `Drawing`, written as vector paths. `font` (a TTF/OTF path) overrides the script's
    `style.font`; `metadata` is a `storyboard.provenance.provenance()` record, written as PDF
    Info + XMP; `labels` letters the draft notes on every panel (see `export.compose`).
    `pages`: the book's one-page PDFs, already made (`export.pieces.Pages`), or a `Joiner`
    that holds them all; without them each page is drawn here, one at a time, into a
    temporary folder. Raises ExportError."""
    from storyboard.export import check_lettering

    path = Path(path)
    lettering_font = font if isinstance(font, Font) else story_font(story, font)
    with ExitStack() as stack:
        if pages is None:
            check_lettering(story, book, lettering_font, labels=labels)
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="storyboard-pages-")))
            pages = []
            for page in book.pages:
                pages.append(scratch / f"{page.number}.pdf")
                pages[-1].write_bytes(page_pdf(story, book, page, lettering_font, images, labels=labels))
        if isinstance(pages, Joiner):  # the pages were joined as they were made
            pages.write(path, story=story, metadata=metadata)
        else:
            assemble(pages, path, story=story, metadata=metadata)
    return path


def page_pdf(story: Any, book: Book, page: Page, font: Font, images: Mapping[tuple[int, int], Any], *,
             labels: bool = False) -> bytes:
    """One page of the book as a one-page PDF (bytes): its art from `images` (as for
    `write_pdf`), frames, lettering and, with `labels`, the draft notes. The fonts embedded
    are subsets of what this page letters, so the bytes depend on this page alone."""
    from reportlab.pdfbase.pdfdoc import xObjectName
    from reportlab.pdfgen.canvas import Canvas

    drawing = compose_page(story, book, page, font, labels=labels)
    fonts = PdfFonts(font)
    fonts.prepare((op.text, op.bold, op.vertical) for item in drawing.items for op in item.ops
                  if isinstance(op, Text))
    out = io.BytesIO()
    with _no_ascii85():
        # The initial font is set in every page preamble: make it ours so no unembedded
        # Helvetica is referenced.
        canvas = Canvas(out, pagesize=(drawing.media.w, drawing.media.h), invariant=1, pageCompression=0,
                        initialFontName=fonts.initial_name(), initialFontSize=10)
        # Streams (the fonts' files and maps) deflated by libdeflate: reportlab's own
        # compression (zlib) is off, and a document without it applies its default filters.
        canvas._doc.defaultStreamFilters = [FLATE]
        _page(canvas, drawing, (_art(images, slot) for slot in drawing.arts), font, fonts)
        # The page's XObjects (its ~80 glyph forms) listed and its content stream compressed
        # by us: reportlab would build a dictionary object for each and compress with zlib.
        xobjects, canvas._formsinuse = canvas._formsinuse, []
        canvas.showPage()
        page = canvas._doc.Pages.pages[-1]
        page.XObjects = references(map(xObjectName, xobjects))
        page.Contents = raw_object(stream(page.stream.encode("utf-8")))
        canvas.save()
    return out.getvalue()


_OPEN_AT_ONCE = 200  # one-page PDFs open at once while assembling (each holds a file descriptor)


def assemble(pages: Sequence[Path], path: str | Path, *, story: Any, metadata: dict | None = None) -> Path:
    """The document made of the one-page PDFs `pages`, in order, written atomically to `path`
    with the story's title and author (or the `metadata` record's Info + XMP), language
    (/Lang) and, for `page.reading: rtl`, /ViewerPreferences /Direction /R2L. Streams are
    copied from the page files as they are written, never recompressed; a glyph or image
    several pages share is kept once. Longer books are joined in parts of `_OPEN_AT_ONCE`
    pages first, so the open files stay bounded. Raises ExportError."""
    with Joiner() as joiner:
        for page in pages:
            joiner.add(page)
        return joiner.write(path, story=story, metadata=metadata)


class Joiner:
    """`assemble`, a page at a time: `add` each one-page PDF in order as soon as it is made
    (while later pages are still being drawn), then `write` the document; the same bytes as
    `assemble` of the same pages. Page files stay open until written (or `close`, which a
    `with` block calls); every `_OPEN_AT_ONCE` pages are saved as a part in a temporary folder.
    Raises ExportError."""

    def __init__(self):
        self._pikepdf = _pikepdf()
        self._stack = ExitStack()
        self._parts: list[Path] = []
        self._scratch: Path | None = None
        self._open()

    def _open(self) -> None:
        self._doc_stack = self._stack.enter_context(ExitStack())
        self._doc = self._doc_stack.enter_context(self._pikepdf.new())
        self._shared: dict[str, Any] = {}
        self._count = 0

    def add(self, source: Path) -> None:
        try:
            if self._count == _OPEN_AT_ONCE:
                self._save_part()
            src = self._doc_stack.enter_context(self._pikepdf.open(source))  # open until saved: streams are read then
            for page in src.pages:
                self._doc.pages.append(page)
                _share_xobjects(self._doc.pages[-1], self._shared)
            self._count += 1
        except self._pikepdf.PdfError as err:
            raise ExportError(f"cannot write the PDF: its page {Path(source).name} could not be read back "
                              f"({str(err).splitlines()[0]})") from None

    def _save_part(self) -> None:
        if self._scratch is None:
            self._scratch = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="storyboard-parts-")))
        self._parts.append(self._scratch / f"part-{len(self._parts)}.pdf")
        _save(self._doc, self._parts[-1])
        self._doc_stack.close()
        self._open()

    def write(self, path: str | Path, *, story: Any, metadata: dict | None = None) -> Path:
        """Write the document of every page added (see `assemble`) atomically to `path`."""
        path = Path(path)
        if self._parts:  # a long book: its parts are joined as `assemble` joins pages
            if self._count:
                self._save_part()
            return assemble(self._parts, path, story=story, metadata=metadata)
        try:
            with atomic_path(path, ".pdf") as tmp:
                _document(self._doc, story, metadata)
                _save(self._doc, tmp)
        except self._pikepdf.PdfError as err:
            raise ExportError(f"cannot write {path}: a page could not be read back "
                              f"({str(err).splitlines()[0]})") from None
        return path

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> "Joiner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _pikepdf():
    """pikepdf, imported with stop signals held: a Ctrl-C while its extension module
    initialises would print a traceback from inside it instead of stopping cleanly."""
    from storyboard._signals import held

    with held():
        import pikepdf
    return pikepdf


def _save(doc, out: Path) -> None:
    import pikepdf

    # Streams keep their encoding as they are (compress_streams=False would only leave the
    # XMP packet uncompressed, as it should be; everything else is compressed already).
    # Into the file itself: saved to a path, pikepdf writes a temporary file of its own beside
    # it, which a killed render would leave behind (`out` is a temporary file already).
    with open(out, "wb") as fh:
        doc.save(fh, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none,
                 deterministic_id=True, fix_metadata_version=False, min_version="1.4")


def _share_xobjects(page, shared: dict) -> None:
    """Point the page's glyph forms and images at the same XObject an earlier page has, so the
    document holds each once. reportlab names both by their content (an image by a hash of its
    bytes, a glyph by its face and glyph id, and every page of a document is drawn with the
    same font files: they are in the page's key), so a name seen before is the same object."""
    resources = page.obj.get("/Resources")
    xobjects = resources.get("/XObject") if resources is not None else None
    if xobjects is None:
        return
    for name in list(xobjects.keys()):
        if not name.startswith("/FormXob."):
            continue
        if name in shared:
            xobjects[name] = shared[name]
        else:
            shared[name] = xobjects[name]


def _document(doc, story: Any, metadata: dict | None) -> None:
    """The document-level parts: Info (+ XMP with `metadata`), /Lang, reading direction."""
    import pikepdf

    from storyboard.provenance import clean_text, info_author

    author = getattr(story, "authors", None) or getattr(story, "author", "") or ""  # one name or a list
    if metadata is not None:
        from storyboard.provenance import pdf_metadata

        values = pdf_metadata(metadata, title=story.title, author=author)
        for key in ("title", "author", "subject", "creator", "producer", "keywords"):
            doc.docinfo[pikepdf.Name("/" + key.capitalize())] = values[key]
        # Uncompressed, so any tool can find it (the XMP specification's advice).
        doc.Root.Metadata = doc.make_stream(values["xmp"].encode("utf-8"), Type=pikepdf.Name.Metadata,
                                            Subtype=pikepdf.Name.XML)
    else:
        doc.docinfo["/Title"] = clean_text(story.title)
        doc.docinfo["/Author"] = clean_text(info_author(author))
        doc.docinfo["/Creator"] = "storyboard"
    language = getattr(story, "language", "") or ""
    if language:
        doc.Root.Lang = pikepdf.String(language)
    if getattr(story.page, "reading", "ltr") == "rtl":  # readers page a manga from the right
        doc.Root.ViewerPreferences = pikepdf.Dictionary(Direction=pikepdf.Name.R2L)


def _page(canvas, drawing: PageDrawing, arts, font: Font, fonts: PdfFonts) -> None:
    media, trim = drawing.media, drawing.trim
    canvas.setPageSize((media.w, media.h))
    canvas.setTrimBox((trim.x, trim.y, trim.x1, trim.y1))
    canvas.setBleedBox((media.x, media.y, media.x1, media.y1))
    canvas.setLineJoin(1)
    canvas.setLineCap(1)
    for slot in drawing.arts:
        art, data = slot.art, next(arts)
        if isinstance(data, Drawing):
            canvas.addLiteral(_vector(data, art))
        else:
            canvas.drawImage(_jpeg_reader(data), art.x, art.y, art.w, art.h)
    for item in drawing.items:
        for op in item.ops:
            if isinstance(op, Shape):
                _shape(canvas, op)
            else:
                draw_text_pdf(canvas, op.x, op.y, op.text, op.size, font, fonts, bold=op.bold, anchor=op.anchor,
                              fill=op.fill, outline=op.outline, outline_width=op.outline_width, skew=op.skew,
                              vertical=op.vertical)


def _art(images: Mapping[tuple[int, int], Any], slot: PanelSlot) -> "bytes | Drawing":
    art = images.get((slot.scene, slot.panel))
    if isinstance(art, (bytes, Drawing)):
        return art
    return print_jpeg(panel_image(images, slot), slot.print_width, slot.print_height)


def print_jpeg(image, width: int, height: int) -> bytes:
    """The art cropped to the aspect of width x height, at most that size, as the JPEG bytes
    the PDF embeds (see `JPEG_ENCODING`)."""
    from PIL import Image

    image = cover_crop(image, width, height)
    if image.mode != "RGB":
        image = image.convert("RGB")
    if image.width > width:
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # 4:4:4 chroma keeps ink lines and coloured edges crisp.
    image.save(out, "JPEG", quality=JPEG_QUALITY, subsampling=0, optimize=False)
    return out.getvalue()


def _shape(canvas, shape: Shape) -> None:
    # The operators are written here rather than through reportlab's canvas and path object,
    # whose pure-Python number formatting was most of the cost (balloons and tails are
    # polylines of dozens of points).
    paint = _PAINT[shape.stroke is not None, shape.fill is not None and shape.closed]
    canvas._code.append(f"{_style(shape.fill, shape.stroke, shape.width, shape.dash)}{_path(shape.points, shape.closed)}\n{paint}")


@lru_cache(maxsize=64)
def _path(points: tuple[tuple[float, float], ...], closed: bool) -> str:
    """The path operators of a polygon or polyline. A thousandth of a point is ample
    precision: every coordinate is written with three decimals, then trailing zeros are
    dropped from the whole path at once ("12.500" -> "12.5", "7.000" -> "7"). Kept for a
    while: a balloon's outline and tail are painted twice, stroked wide, then filled."""
    points = list(map(_POINT, points))
    path = f"{points[0]} m {' l '.join(points[1:])}{' l' if len(points) > 1 else ''}{' h' if closed else ''} "
    return path.replace("0 ", " ").replace("0 ", " ").replace("0 ", " ").replace(". ", " ")[:-1]


_POINT = "%.3f %.3f".__mod__  # an (x, y) tuple


@lru_cache(maxsize=256)
def _style(fill, stroke, width: float, dash) -> str:
    """The colour and line operators of a shape, each followed by a line break, formatted as
    reportlab's canvas formats them (`setFillColorRGB`, `setStrokeColorRGB`, `setLineWidth`,
    `setDash`)."""
    from reportlab.lib.rl_accel import fp_str

    out = []
    if fill is not None:
        out.append(f"{fp_str(*fill)} rg\n")
    if stroke is not None:
        out.append(f"{fp_str(*stroke)} RG\n{fp_str(width)} w\n[{fp_str(*dash) if dash else ''}] 0 d\n")
    return "".join(out)


def _vector(drawing: Drawing, art) -> str:
    """The content-stream operators that paint `drawing` over the rectangle `art`, clipped to
    it. Drawing coordinates are multiples of 1/16 unit: they are written as the integers the
    drawing keeps (`Drawing.grid`) in a space scaled by 1/16 and flipped (y down), which is
    exact and several times quicker to format than decimals."""
    heads, coords = drawing.grid()
    sx, sy = art.w / drawing.width / 16, art.h / drawing.height / 16
    out = ["q", f"{_num(art.x)} {_num(art.y)} {_num(art.w)} {_num(art.h)} re W n",
           f"{sx:.9g} 0 0 {-sy:.9g} {_num(art.x)} {_num(art.y1)} cm",
           f"{_colour(tuple(drawing.background))} rg 0 0 {round(drawing.width * 16)} {round(drawing.height * 16)} re f"]
    fill = stroke = width = None
    at = 0
    for op_fill, op_stroke, op_width, closed, n in heads:
        start, at = at, at + n
        if op_fill is not None and op_fill != fill:
            fill = op_fill
            out.append(f"{_colour(tuple(fill))} rg")
        if op_stroke is not None:
            if op_stroke != stroke:
                stroke = op_stroke
                out.append(f"{_colour(tuple(stroke))} RG")
            if op_width != width:
                width = op_width
                out.append(f"{round(width * 16)} w")
        painted = op_stroke is not None and op_width > 0, op_fill is not None and closed
        if n >= 4 and (painted[0] or painted[1]):
            out.append(_polygon(n // 2, closed, _NONZERO[painted]).format(*coords[start:at]))
    out.append("Q")
    return "\n".join(out)


@lru_cache(maxsize=1024)
def _polygon(points: int, closed: bool, paint: str) -> str:
    """A format string painting a path of `points` (x, y) integer pairs."""
    return f"{{}} {{}} m {' l '.join(['{} {}'] * (points - 1))} l{' h' if closed else ''} {paint}"


# A drawing's paths are simple shapes: the non-zero rule ('f', 'B') fills them as PIL does.
_NONZERO = {(False, False): "n", (True, False): "S", (False, True): "f", (True, True): "B"}


@lru_cache(maxsize=1024)
def _colour(rgb: tuple[int, int, int]) -> str:
    return " ".join(_num(c / 255) for c in rgb)


# Painting operators as reportlab's drawPath writes them with its default even-odd fill rule.
_PAINT = {(False, False): "n", (True, False): "S", (False, True): "f*", (True, True): "B*"}


def _num(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
