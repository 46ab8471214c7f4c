"""PDF export: each page is made on its own as a page piece (its content stream and the
objects it uses, formatted by us: `page_pdf`), and the document is joined from the pieces
by writing their objects one after another with our own cross-reference table (`Joiner`):
memory does not grow with the number of pages, a re-render only draws the pages whose inputs
changed (`export.pieces`), and the joining costs little more than copying bytes. The
assembly adds the text layer's fonts (one subset per face for the whole book), the
document's metadata (Info + XMP), its language and, for right-to-left books, the reading
direction.

A page has: lettering as the shaped glyph outlines with an invisible text layer in the
embedded fonts (searchable, extracts in logical order; see storyboard.text.draw), trim and
bleed boxes, panel art as JPEG or, for a vector `Drawing` (the draft engine's sketches), as
paths clipped to the panel.

Speed: panel art is cropped to its frame, never embedded above the print resolution, and
JPEG-encoded by PIL, embedded untouched; images are named by a hash of their JPEG bytes; a
glyph form or image several pages show is written once. Streams are compressed once, where
they are made (`storyboard.pdfraw`), never again.
"""

from __future__ import annotations

import errno
import hashlib
import io
import tempfile
from contextlib import ExitStack
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

import orjson

from storyboard.drawing import Drawing
from storyboard.errors import ExportError
from storyboard.export import PageDrawing, atomic_path, compose_page, cover_crop, panel_image
from storyboard.layout import Book, Page, PanelSlot
from storyboard.lettering import Font, Shape, story_font
from storyboard.pdfraw import QUICK, PdfFile, pdf_string, stream
from storyboard.text.draw import PdfFonts, draw_text_pdf
from storyboard.text.layer_order import mostly_left_to_right
from storyboard.text.pdffonts import prepare_font, write_font

JPEG_QUALITY = 90
# Everything that decides the bytes `print_jpeg` makes: part of the key of a cached print JPEG.
JPEG_ENCODING = {"format": "JPEG", "quality": JPEG_QUALITY, "subsampling": "4:4:4", "fit": "cover-lanczos"}


def write_pdf(story: Any, book: Book, images: Mapping[tuple[int, int], Any], path: str | Path, *,
              font: str | Path | Font | None = None, metadata: dict | None = None, labels: bool = False,
              pages: "Sequence[Path] | Joiner | None" = None) -> Path:
    """Write the lettered book to `path` atomically; `images` maps (scene, panel) to the
    panel's PIL image, to `print_jpeg` bytes of it, which are embedded untouched, or to a
    `Drawing`, written as vector paths. `font` (a TTF/OTF path) overrides the script's
    `style.font`; `metadata` is a `storyboard.provenance.provenance()` record, written as PDF
    Info + XMP; `labels` letters the draft notes on every panel (see `export.compose`).
    `pages`: the book's page pieces (`page_pdf`), already made (`export.pieces.Pages`), or a
    `Joiner` that holds them all; without them each page is made here, one at a time.
    Raises ExportError."""
    from storyboard.export import check_lettering

    path = Path(path)
    if isinstance(pages, Joiner):  # the pages were joined as they were made
        return pages.write(path, story=story, metadata=metadata)
    if pages is not None:
        return assemble(pages, path, story=story, metadata=metadata)
    lettering_font = font if isinstance(font, Font) else story_font(story, font)
    check_lettering(story, book, lettering_font, labels=labels)
    with Joiner() as joiner:
        for page in book.pages:
            joiner.add(page_pdf(story, book, page, lettering_font, images, labels=labels))
        return joiner.write(path, story=story, metadata=metadata)


def page_pdf(story: Any, book: Book, page: Page, font: Font, images: Mapping[tuple[int, int], Any], *,
             labels: bool = False) -> bytes:
    """One page of the book as a page piece (bytes, see `Joiner`): its art from `images`
    (as for `write_pdf`), frames, lettering and, with `labels`, the draft notes. The bytes
    depend on this page alone: the text layer's fonts are the book's, written by the
    assembly, the piece only lists the characters it shows in each."""
    drawing = compose_page(story, book, page, font, labels=labels)
    texts = [op.text for item in drawing.items for op in item.ops if not isinstance(op, Shape)]
    fonts = PdfFonts(font, left_to_right_page=mostly_left_to_right(texts))
    canvas = _PageCanvas()
    _page(canvas, drawing, (_art(images, slot) for slot in drawing.arts), font, fonts)
    if fonts.left_to_right_page and fonts.marks < 0 and not mostly_left_to_right(texts, fonts.marks):
        # The marks laid for poppler's left-to-right reading tip its count of the page's letters
        # to right to left (a page as much Hebrew as English): the layer for that reading.
        fonts = PdfFonts(font, left_to_right_page=False)
        canvas = _PageCanvas()
        _page(canvas, drawing, (_art(images, slot) for slot in drawing.arts), font, fonts)
    return canvas.piece(fonts.used)


class _PageCanvas:
    """What `_page` and `draw_text_pdf` draw on, in place of a reportlab canvas: the page's
    content-stream operators (`_code`), its boxes, the XObjects defined for it
    (`xobjects`: a glyph form or image's name -> its object's bytes) and those it uses
    (`_formsinuse`, names)."""

    def __init__(self):
        self._code: list[str] = []
        self._formsinuse: list[str] = []
        self.xobjects: dict[str, bytes] = {}
        self.boxes: dict[str, tuple[float, ...]] = {}

    def setPageSize(self, size: tuple[float, float]) -> None:
        self.boxes["MediaBox"] = (0, 0, *size)

    def setTrimBox(self, box: tuple[float, ...]) -> None:
        self.boxes["TrimBox"] = box

    def setBleedBox(self, box: tuple[float, ...]) -> None:
        self.boxes["BleedBox"] = box

    def setLineJoin(self, mode: int) -> None:
        self._code.append(f"{mode} j")

    def setLineCap(self, mode: int) -> None:
        self._code.append(f"{mode} J")

    def addLiteral(self, code: str) -> None:
        self._code.append(code)

    def drawImage(self, jpeg: bytes, x: float, y: float, w: float, h: float) -> None:
        """The JPEG `jpeg` over the rectangle (x, y, w, h), embedded as it is (named by a hash
        of its bytes: a page or book shows each image once)."""
        from reportlab.lib.rl_accel import fp_str

        name = "I" + hashlib.md5(jpeg).hexdigest()
        if name not in self.xobjects:
            self.xobjects[name] = _jpeg_object(jpeg)
        self._code.append(f"q\n1 0 0 1 {fp_str(x, y)} cm\n{fp_str(w)} 0 0 {fp_str(h)} 0 0 cm\n/{_XOBJECT}{name} Do\nQ")
        self._formsinuse.append(name)

    def piece(self, fonts: Mapping[str, tuple[str, int, bool, int, set[int]]]) -> bytes:
        """The page piece (see `Joiner`); `fonts`: `PdfFonts.used`."""
        from reportlab.lib.rl_accel import fp_str

        content = stream("\n".join(self._code).encode("utf-8"), level=QUICK)
        names = sorted(set(self._formsinuse))
        bodies = [self.xobjects[name] for name in names]
        head = {
            "boxes": {key: fp_str(*box) for key, box in self.boxes.items()},
            "content": len(content),
            "xobjects": [[name, len(body)] for name, body in zip(names, bodies)],
            "fonts": [[name, *font[:4], sorted(font[4])] for name, font in sorted(fonts.items())],
        }
        return seal(b"".join([PIECE_HEAD, orjson.dumps(head), b"\n", content, *bodies]))


def _jpeg_object(jpeg: bytes) -> bytes:
    """An image XObject of JPEG bytes, which it holds as they are (as reportlab embeds one)."""
    from reportlab.pdfbase.pdfutils import readJPEGInfo

    try:
        width, height, components = readJPEGInfo(io.BytesIO(jpeg))[:3]
    except Exception:  # reportlab raises PDFError, struct and index errors
        raise ExportError("cannot write the PDF: a panel's JPEG could not be read") from None
    space = {1: "/DeviceGray", 3: "/DeviceRGB"}.get(components, "/DeviceCMYK /Decode [ 1 0 1 0 1 0 1 0 ]")
    return (f"<<\n/BitsPerComponent 8 /ColorSpace {space} /Filter [ /DCTDecode ] /Height {height} "
            f"/Length {len(jpeg)} /Subtype /Image /Type /XObject /Width {width}\n>>\nstream\n").encode("ascii") \
        + jpeg + b"\nendstream"


# A page piece: this line, a line of JSON (the page's boxes, the lengths of its content stream
# and of each XObject's object, the text-layer fonts and characters it uses), those objects'
# bytes one after another, and the end line.
PIECE_HEAD = b"%storyboard-page 2\n"
PIECE_END = b"\n%%EOF\n"
_SEAL = 2 + 32  # "\n%" and the hex digest of everything before it, just before the end line
_XOBJECT = "FormXob."  # the prefix of an XObject's resource name (reportlab's)


def _digest(data: bytes | memoryview) -> bytes:
    return hashlib.blake2b(data, digest_size=16).hexdigest().encode("ascii")


def seal(unsealed: bytes) -> bytes:
    """The page piece whose head and parts are `unsealed`: a digest of them and the end
    line added, so a stored piece damaged anywhere (a flipped byte keeps its length) is
    told apart from an intact one (`piece_intact`)."""
    return b"".join([unsealed, b"\n%", _digest(unsealed), PIECE_END])


def piece_length(start: bytes) -> int | None:
    """The length in bytes of the page piece whose first bytes (at least its first two
    lines) are `start`, or None where `start` does not begin one."""
    if not start.startswith(PIECE_HEAD):
        return None
    try:
        line = start.index(b"\n", len(PIECE_HEAD))
        head = orjson.loads(start[len(PIECE_HEAD):line])
        sizes = [head["content"], *(size for _, size in head["xobjects"])]
    except (ValueError, TypeError, KeyError):
        return None
    if any(not isinstance(size, int) or size < 0 for size in sizes):
        return None
    return line + 1 + sum(sizes) + _SEAL + len(PIECE_END)


def piece_intact(data: bytes) -> bool:
    """Whether `data` is a whole page piece: as long as its head says, sealed by the digest
    of what it holds (`seal`)."""
    end = len(data) - len(PIECE_END) - _SEAL
    return (piece_length(data) == len(data) and data.endswith(PIECE_END) and data[end:end + 2] == b"\n%"
            and data[end + 2:end + _SEAL] == _digest(memoryview(data)[:end]))


class CheckedPiece(type(Path())):
    """The path of a page piece found whole (`piece_intact`) by the render that holds it, in
    a folder of its own that nothing else writes (`export.pieces.Pages`): `Joiner.add` reads
    it without checking its digest again."""


def assemble(pages: Sequence[Path], path: str | Path, *, story: Any, metadata: dict | None = None) -> Path:
    """The document made of the page pieces `pages` (files, in order), written atomically
    to `path` with the story's title and author (or the `metadata` record's Info + XMP),
    language (/Lang) and, for `page.reading: rtl`, /ViewerPreferences /Direction /R2L.
    Streams are copied from the pieces, never recompressed; a glyph or image several pages
    share is kept once. Raises ExportError."""
    with Joiner() as joiner:
        for page in pages:
            joiner.add(page)
        return joiner.write(path, story=story, metadata=metadata)


class Joiner:
    """`assemble`, a page at a time: `add` each page piece in order as soon as it is made
    (while later pages are still being drawn), then `write` the document. Each page's
    objects are written as it comes into a temporary file (memory does not grow with the
    book); a glyph form or image an earlier page wrote is referenced, not written again;
    the text-layer fonts are written once, after the last page, with every character the
    book shows in them. `close` (which a `with` block calls) removes the temporary file.
    Raises ExportError."""

    def __init__(self):
        self._stack = ExitStack()
        self._file = self._stack.enter_context(tempfile.TemporaryFile(prefix="storyboard-pages-"))
        self._pdf = PdfFile(self._file)
        self._root, self._tree = self._pdf.reserve(), self._pdf.reserve()
        self._pages: list[int] = []
        self._shared: dict[str, int] = {}  # XObject name -> its object's number
        self._fonts: dict[str, list] = {}  # font name -> [number, face path, index, cff, plane, code points]

    def add(self, source: "Path | bytes") -> None:
        """Add the page piece `source` (its bytes, or a file holding them; a `CheckedPiece`
        is not checked again)."""
        try:
            data = source if isinstance(source, bytes) else Path(source).read_bytes()
            if not isinstance(source, CheckedPiece) and not piece_intact(data):
                raise ValueError("it is damaged")
            head, body = self._read(data)
            content = self._pdf.put(body[:head["content"]])
            at, xobjects = head["content"], []
            for name, size in head["xobjects"]:
                if name not in self._shared:
                    self._shared[name] = self._pdf.put(body[at:at + size])
                xobjects.append(f"/{_XOBJECT}{name} {self._shared[name]} 0 R")
                at += size
            fonts = []
            for name, face_path, index, cff, plane, codes in head["fonts"]:
                font = self._fonts.get(name)
                if font is None:
                    font = self._fonts[name] = [self._pdf.reserve(), face_path, index, cff, plane, set()]
                    prepare_font(face_path, index, cff)  # while the workers draw, not after the last page
                font[5].update(codes)
                fonts.append(f"{name} {font[0]} 0 R")
            boxes = " ".join(f"/{key} [ {value} ]" for key, value in sorted(head["boxes"].items()))
        except (OSError, ValueError, TypeError, KeyError) as err:
            if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise  # the joined file's disk is full: the render names it, not this page
            where = "" if isinstance(source, bytes) else f" {Path(source).name}"
            raise ExportError(f"cannot write the PDF: its page{where} could not be read back ({err})") from None
        self._pages.append(self._pdf.put(
            f"<<\n/Type /Page /Parent {self._tree} 0 R {boxes} /Contents {content} 0 R /Resources << "
            f"/Font << {' '.join(fonts)} >> /XObject << {' '.join(xobjects)} >> >>\n>>"))

    @staticmethod
    def _read(data: bytes) -> tuple[dict, bytes]:
        line = data.index(b"\n", len(PIECE_HEAD))
        return orjson.loads(data[len(PIECE_HEAD):line]), data[line + 1:len(data) - len(PIECE_END) - _SEAL]

    def write(self, path: str | Path, *, story: Any, metadata: dict | None = None) -> Path:
        """Write the document of every page added (see `assemble`) atomically to `path`."""
        import shutil

        path = Path(path)
        pdf = self._pdf
        for number, face_path, index, cff, plane, codes in self._fonts.values():
            write_font(pdf, number, face_path, index, cff, plane, codes)
        kids = " ".join(f"{page} 0 R" for page in self._pages)
        pdf.put(f"<<\n/Type /Pages /Count {len(self._pages)} /Kids [ {kids} ]\n>>", self._tree)
        info, catalog = _document(pdf, story, metadata)
        pdf.put(f"<<\n/Type /Catalog /Pages {self._tree} 0 R{catalog}\n>>", self._root)
        pdf.finish(self._root, info)
        with atomic_path(path, ".pdf") as tmp, open(tmp, "wb") as out:
            self._file.seek(0)
            shutil.copyfileobj(self._file, out, 1 << 20)
        return path

    def close(self) -> None:
        try:
            self._stack.close()
        except OSError:  # the unnamed file goes either way; a full disk was met (and said) by a write
            pass

    def __enter__(self) -> "Joiner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _document(pdf: PdfFile, story: Any, metadata: dict | None) -> tuple[int, str]:
    """Write the document-level objects: Info (and the XMP packet with `metadata`). Returns
    the Info object's number and the catalog's entries for the metadata, /Lang and the
    reading direction."""
    from storyboard.provenance import clean_text, info_author

    author = getattr(story, "authors", None) or getattr(story, "author", "") or ""  # one name or a list
    catalog = ""
    if metadata is not None:
        from storyboard.provenance import pdf_metadata

        values = pdf_metadata(metadata, title=story.title, author=author)
        info = {key.capitalize(): values[key] for key in ("title", "author", "subject", "creator", "producer", "keywords")}
        # Uncompressed, so any tool can find it (the XMP specification's advice).
        xmp = values["xmp"].encode("utf-8")
        packet = pdf.put(b"<<\n/Type /Metadata /Subtype /XML /Length %d\n>>\nstream\n%s\nendstream" % (len(xmp), xmp))
        catalog += f" /Metadata {packet} 0 R"
    else:
        info = {"Title": clean_text(story.title), "Author": clean_text(info_author(author)), "Creator": "storyboard"}
    number = pdf.put("<<\n" + " ".join(f"/{key} {pdf_string(value)}" for key, value in info.items()) + "\n>>")
    language = getattr(story, "language", "") or ""
    if language:
        catalog += f" /Lang {pdf_string(language)}"
    if getattr(story.page, "reading", "ltr") == "rtl":  # readers page a manga from the right
        catalog += " /ViewerPreferences << /Direction /R2L >>"
    return number, catalog


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
            canvas.drawImage(data, art.x, art.y, art.w, art.h)
    paths: dict = {}  # a balloon's outline and tail are painted twice, stroked wide, then filled
    for item in drawing.items:
        for op in item.ops:
            if isinstance(op, Shape):
                _shape(canvas, op, paths)
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


def _shape(canvas, shape: Shape, paths: dict) -> None:
    # The operators are written here rather than through reportlab's canvas and path object,
    # whose pure-Python number formatting was most of the cost (balloons and tails are
    # polylines of dozens of points). `paths`: the paths this page has written, by the
    # identity of their points (alive as long as the page's drawing).
    key = (id(shape.points), shape.closed)
    path = paths.get(key)
    if path is None:
        path = paths[key] = _path(shape.points, shape.closed)
    paint = _PAINT[shape.stroke is not None, shape.fill is not None and shape.closed]
    canvas._code.append(f"{_style(shape.fill, shape.stroke, shape.width, shape.dash)}{path}\n{paint}")


def _path(points: tuple[tuple[float, float], ...], closed: bool) -> str:
    """The path operators of a polygon or polyline. A thousandth of a point is ample
    precision: every coordinate is written with three decimals, then trailing zeros are
    dropped from the whole path at once ("12.500" -> "12.5", "7.000" -> "7")."""
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
