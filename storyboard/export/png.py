"""PNG files of page images, encoded fast and losslessly.

Pillow's PNG encoder tries all five row filters on every row and deflates with the zlib it
was built against: about 0.18 s CPU for an A4 page at 300 dpi, more than drawing the page.
Here rows get the Up filter (the row minus the row above: blank paper, frames and flat
fills become runs of zeros, and on photographs it comes within a few percent of adaptive
filtering) and is deflated by ISA-L (Intel's Intelligent Storage Acceleration Library, the
`isal` package) at its level 2: on draft pages (A4, 300 dpi) about 8 ms a page against
22 ms for zlib-ng at level 3, for files about a quarter larger (level 1 is as fast and no
smaller, level 0 no faster and a quarter larger again, level 3 five times as slow). Where
ISA-L is missing, zlib-ng (the `zlib-ng` package) at level 3, then the standard library's
zlib, deflate the same rows: the same pixels in other bytes. The same image gives the same
bytes (for a given deflate library; ISA-L picks SIMD code for the processor).

Images this writer does not take (other modes, an ICC profile or transparency key to keep,
chunks other than text) are saved by Pillow as before. A painted page
(`storyboard.export.canvas.PageCanvas`) is written from its bands of rows as it plays them;
line art (a page without raster art) unfiltered where ISA-L deflates it (see `write_png`).
"""

from __future__ import annotations

import itertools
import struct
import threading
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Sequence

if TYPE_CHECKING:
    from PIL import Image, PngImagePlugin

    from storyboard.export.canvas import PageCanvas

_DEFLATES = (("isal.isal_zlib", 2), ("zlib_ng.zlib_ng", 3))  # module, level: the fastest first


def _deflater(choices=_DEFLATES):
    """The first deflate module of `choices` that imports and its level; else zlib at level 1."""
    import importlib

    for name, level in choices:
        try:
            return importlib.import_module(name), level
        except ImportError:  # ISA-L has wheels for x86-64 and ARM64 only
            continue
    return zlib, 1


_deflate, _LEVEL = _deflater()

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPES = {"L": 0, "RGB": 2, "RGBX": 2, "LA": 4, "RGBA": 6}  # 8 bits per channel
_RAW = {"RGBX": "RGB"}  # written without its padding byte (a painted page: storyboard.export.canvas)
_TEXT = (b"tEXt", b"zTXt", b"iTXt")
_ROWS = 256  # rows filtered at a time: a strip's buffer stays small beside the page
_IDAT_BYTES = 1 << 20


def save_png(image: "Image.Image | PageCanvas", path: str | Path, *, dpi: tuple[float, float] | None = None,
             pnginfo: "PngImagePlugin.PngInfo | None" = None) -> None:
    """Write `image` to `path` as a PNG: `dpi` (pixels per inch, x and y) as its pHYs chunk,
    `pnginfo`'s text chunks before the pixels, as Pillow's `save` writes them. Raises OSError
    from the file system."""
    with open(path, "wb") as fh:
        write_png(image, fh, dpi=dpi, pnginfo=pnginfo)


def png_bytes(image: "Image.Image | PageCanvas", *, dpi: tuple[float, float] | None = None,
              pnginfo: "PngImagePlugin.PngInfo | None" = None) -> bytes:
    """`image` encoded as by `save_png`, as bytes."""
    import io

    buffer = io.BytesIO()
    write_png(image, buffer, dpi=dpi, pnginfo=pnginfo)
    return buffer.getvalue()


def write_png(image: "Image.Image | PageCanvas", fh: BinaryIO, *, dpi: tuple[float, float] | None = None,
              pnginfo: "PngImagePlugin.PngInfo | None" = None) -> None:
    """Write `image` (a PIL image or a painted page, `export.canvas.PageCanvas`) as a PNG to
    the binary file `fh` (see `save_png`): rows Up-filtered, but those of a painted page
    without raster art (line art) unfiltered where ISA-L deflates them. Raises ValueError for
    a painted page given chunks other than text."""
    write_pngs(image, [(fh, pnginfo)], dpi=dpi)


def write_pngs(image: "Image.Image | PageCanvas", files: "Sequence[tuple[BinaryIO, PngImagePlugin.PngInfo | None]]",
               *, dpi: tuple[float, float] | None = None) -> None:
    """Write `image` as a PNG to each binary file of `files`, each with its own text chunks
    (file, pnginfo), as `write_png` writes one: the pixels are encoded once and their
    chunks written to every file (a render's page folder and its CBZ: the same pixels, other
    provenance chunks). Raises ValueError as `write_png` does."""
    chunks = [list(pnginfo.chunks) if pnginfo is not None else [] for _, pnginfo in files]
    painted = hasattr(image, "bands")  # a painted page: RGB rows, a band at a time
    foreign = any(chunk[0] not in _TEXT for chunk in itertools.chain.from_iterable(chunks))
    if painted and foreign:
        raise ValueError("a painted page takes text chunks only")
    if not painted and (image.mode not in _COLOR_TYPES or image.info.get("icc_profile")
                        or "transparency" in image.info or foreign):
        options = {"dpi": dpi} if dpi is not None else {}
        for fh, pnginfo in files:
            image.save(fh, "PNG", pnginfo=pnginfo, **options)
        return
    width, height = image.size
    for (fh, _), own in zip(files, chunks):
        fh.write(_SIGNATURE)
        _chunk(fh, b"IHDR", struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPES[image.mode], 0, 0, 0))
        for cid, data, *_ in own:
            _chunk(fh, cid, data)
        if dpi is not None:  # pixels per metre, rounded as Pillow rounds them
            _chunk(fh, b"pHYs", struct.pack(">IIB", int(dpi[0] / 0.0254 + 0.5), int(dpi[1] / 0.0254 + 0.5), 1))
    raw = _RAW.get(image.mode, image.mode)
    stride = width * len(raw)
    deflate = _deflate.compressobj(_LEVEL)
    idat = _Idat([fh for fh, _ in files])
    if painted and not image.raster and _deflate.__name__ == "isal.isal_zlib":  # the deflater in use, swapped or not
        # Line art: each row unfiltered (type 0), as the band comes, each row followed by a
        # zero byte, the next row's filter type (the last one left out). ISA-L deflates it
        # to within 3 % of the Up filter's size in a tenth more time, which spares the
        # filter's own pass over the rows: 2-3 ms an A4 page at 300 dpi, about 15 % of
        # encoding it. On photographs the Up filter makes a fifth smaller files.
        idat.put(deflate.compress(b"\0"))
        left = height
        for packed in image.bands(stride + 1):
            left -= len(packed) // (stride + 1)
            idat.put(deflate.compress(packed if left else memoryview(packed)[:-1]))
        idat.close(deflate.flush())
        return
    import numpy as np

    strip = _strip(min(_ROWS, height), stride + 1)
    above = np.zeros(stride, np.uint8)  # the row above the first counts as zeros
    if painted:
        strips = image.bands()
    else:
        # A strip's bytes at a time: the whole page as one array costs three times as much
        # (a fresh 26 MB for an A4 page at 300 dpi, written page after page).
        strips = (raw_bytes(image.crop((0, top, width, min(height, top + _ROWS))), raw)
                  for top in range(0, height, _ROWS))
    for packed in strips:
        rows = len(packed) // stride
        if not 0 < rows <= len(strip):
            raise ValueError(f"a band of {rows} rows: at most {len(strip)} at a time")
        pixels = np.frombuffer(packed, np.uint8).reshape(rows, stride)
        out = strip[:rows, 1:]
        np.subtract(pixels[0], above, out=out[0])
        np.subtract(pixels[1:], pixels[:-1], out=out[1:])
        above = pixels[-1]
        idat.put(deflate.compress(strip[:rows]))
    idat.close(deflate.flush())


class _Idat:
    """The deflated rows, written to each of `files` as IDAT chunks of about `_IDAT_BYTES`, then IEND."""

    def __init__(self, files: list[BinaryIO]):
        self.files, self.pending, self.size = files, [], 0

    def put(self, data: bytes) -> None:
        if data:
            self.pending.append(data)
            self.size += len(data)
        if self.size >= _IDAT_BYTES:
            self._write(b"".join(self.pending))
            self.pending, self.size = [], 0

    def close(self, data: bytes) -> None:
        self.pending.append(data)
        self._write(b"".join(self.pending))
        for fh in self.files:
            _chunk(fh, b"IEND", b"")

    def _write(self, data: bytes) -> None:
        head = struct.pack(">I", len(data)) + b"IDAT"
        tail = struct.pack(">I", _deflate.crc32(data, _deflate.crc32(b"IDAT")))
        for fh in self.files:
            fh.write(head)
            fh.write(data)
            fh.write(tail)


def raw_bytes(image: "Image.Image", raw: str, stride: int = 0) -> bytes:
    """The pixels of the PIL `image` packed row after row in Pillow's raw mode `raw` ("RGB"
    of an "RGBX" image: 3 bytes a pixel), as `image.tobytes("raw", raw)` gives them; rows
    `stride` bytes apart where it is given, zeros after each row's pixels. Raises ValueError
    for a stride shorter than a row. Packed in one piece: `tobytes` packs 64 KB at a time and
    joins the pieces, which costs as much again as packing (about 5 ms for an A4 page at
    300 dpi)."""
    from PIL import Image

    image.load()
    row = image.width * len(raw)
    if stride and stride < row:
        raise ValueError(f"rows of {row} bytes do not fit {stride} bytes apart")
    size = (stride or row) * image.height
    try:  # Pillow's raw encoder, as tobytes uses it, with one buffer for every row
        encoder = Image._getencoder(image.mode, "raw", (raw, stride, 1))
    except (AttributeError, TypeError, ValueError):  # a Pillow without this private API
        return _spaced(image.tobytes("raw", raw), row, stride)
    try:
        encoder.setimage(image.im, (0, 0, *image.size))
        _, status, data = encoder.encode(size)
    finally:
        encoder.cleanup()
    if status != 1 or len(data) != size:  # not the whole image at once: Pillow's own way
        return _spaced(image.tobytes("raw", raw), row, stride)
    return data


def _spaced(rows: bytes, row: int, stride: int) -> bytes:
    """`rows` of `row` bytes each, `stride` bytes apart (zeros between them) where it is given."""
    if not stride or stride == row:
        return rows
    import numpy as np

    spaced = np.zeros((len(rows) // row, stride), np.uint8)
    spaced[:, :row] = np.frombuffer(rows, np.uint8).reshape(-1, row)
    return spaced.tobytes()


def _strip(rows: int, width: int):
    """A buffer for `rows` filtered rows of `width` bytes, each starting with the Up filter's
    type byte: the last one made is kept for the next page of the same size (a fresh buffer
    of several MB comes from the system page by page, which costs more than filling it)."""
    import numpy as np

    strip = getattr(_KEPT, "strip", None)
    if strip is None or strip.shape != (rows, width):
        strip = _KEPT.strip = np.empty((rows, width), np.uint8)
        strip[:, 0] = 2  # Up
    return strip


_KEPT = threading.local()  # each thread its own buffer


def _chunk(fh: BinaryIO, cid: bytes, data: bytes) -> None:
    fh.write(struct.pack(">I", len(data)) + cid)
    fh.write(data)
    fh.write(struct.pack(">I", _deflate.crc32(data, _deflate.crc32(cid))))
