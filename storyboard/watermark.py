"""Invisible watermark on every generated panel: "machine-generated" plus a short run id.

The mark is the `dwtDctSvd` scheme of the `invisible-watermark` package (the one diffusers
uses for SDXL, with its plain `dwtDct` method), implemented here in vectorised numpy: payload
bits quantise the largest singular value of the DCT of 4x4 blocks of the Haar-wavelet
approximation of the U (chroma) channel, repeated over the whole image and decoded by majority
over every repetition. Measured here, the plain `dwtDct` loses the mark on any JPEG re-save
and cannot mark flat drawn colours at all, while `dwtDctSvd` survives JPEG quality 90 on
both (table below).

Marks stay readable by the package's decoder and the package's marks by `read` (the tests
hold them equal). The encoder departs from the package's in four ways no decoder sees:
- only the U channel changes, through B and G in the ratio that keeps Y and V exactly
  (the package round-trips the whole image through OpenCV's YUV);
- the wavelet details are kept as they are (the package puts the horizontal and vertical
  details back swapped, which moves every chroma edge);
- the singular value moves to the nearest level that carries its bit, not to the one in
  its own step: the same decoding margin for 40% less squared change;
- where the blue channel has no room for that move (pure white paper, saturated colours),
  the value moves the other way, turning negative if need be: the package's marks vanish
  from a panel of line art on pure white, these read back (after JPEG 90 too).

Recovered run ids, 20 panels of 640x480 each (tests/print/conftest.py), this encoder / the
package's; "page" is the panel pasted at (77, 53) on a white page, the page re-saved as JPEG
(Pillow, 4:2:0) and the panel's box cropped back:

    panel    PSNR dB  PNG, PDF,  panel    page JPEG quality
                      page crop  JPEG 80  90       80       70       60
    drawn    44 / 37  20 / 20    20 / 20  20 / 20   0 / 0    0 / 0    0 / 0
    painted  43 / 34  20 / 20    20 / 20  20 / 20  20 / 20  20 / 15  20 / 3

Flat drawn colours give way to JPEG's chroma smoothing at quality 80 when the panel is off
the 8-pixel grid of the page (10 of 10 survive quality 80 pasted on the grid).

The payload is 56 bits:

    16-bit magic 0xA15B ("AI", "SB") | 32-bit run id | CRC-8 of the first 48 bits

A random word passes that check with probability 2**-24; `read` tries up to 299 words per
image (see there), so an unmarked image reads as marked with probability about 2e-5.

The grid of the mark starts at the image's top-left corner: a panel must be marked at the
pixel size it is printed at (after upscaling), and read back from exactly its own rectangle
(an embedded PDF image, or the panel's box on a page raster). Resampling destroys the mark.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import re
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from storyboard.errors import GenerationError, StoryboardError
from storyboard.layout import MAX_PAGE_PIXELS

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

MAGIC = 0xA15B
PAYLOAD_BITS = 56
MIN_PIXELS = 256 * 256  # as the package: fewer pixels give too few repetitions to vote
_SCALE = 36.0  # quantisation step of the largest singular value (the package's U default)
_BLOCK = 4
# OpenCV's float BGR->YUV, which the package decodes with: U = 0.492 (B - Y) + 0.5.
_LUMA = (0.299, 0.587, 0.114)
_U_GAIN = 0.492
_U_OFFSET = 0.5
_UNIT = (1.0, 0.0, 0.0, 0.0)
_FLIP_POOL = 12
_MAX_FLIPS = 3
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
_RUN_ID = re.compile(r"[0-9a-f]{8}")


def mark(image: "Image.Image", run_id: str) -> "Image.Image":
    """Return a copy of `image` carrying the machine-generated mark and `run_id`."""
    import numpy as np
    from PIL import Image

    _check_run_id(run_id)
    _check_size(image)
    rgb = _rgb(image)
    coef = _dct_blocks(rgb)
    # The largest singular value and its vectors from the eigenpairs of C^T C: a batched
    # eigh is twice as fast as a batched SVD.
    squares, vectors = np.linalg.eigh(np.matmul(coef.transpose(0, 2, 1), coef))
    values = np.sqrt(np.maximum(squares, 0.0))
    largest, right = values[:, -1], vectors[:, :, -1]
    left = np.matmul(coef, right[:, :, None])[:, :, 0] / np.maximum(largest, 1e-12)[:, None]
    empty = largest < 1e-9  # an all-zero block: any unit pair is its singular pair
    left[empty], right[empty] = _UNIT, _UNIT
    bits = np.asarray(_payload(run_id), dtype=np.float64)[np.arange(len(coef)) % PAYLOAD_BITS]
    # Only the largest singular value moves: a step t adds t u1 v1^T to the block's DCT,
    # which is t * pattern on the block's Haar approximation.
    pattern = (left[:, :, None] * right[:, None, :]).reshape(len(coef), -1) @ _dct_matrix()
    cols = image.width // 8
    low, high = _room(rgb, pattern, cols)
    step = _step(largest, values[:, -2], bits, low, high)
    dca = _untile(step[:, None] * pattern, cols)
    # Inverse Haar of a change to the approximation alone: each coefficient spreads, halved,
    # over its 2x2 pixels.
    du = np.repeat(np.repeat(dca / 2, 2, axis=0), 2, axis=1)
    height, width = du.shape
    green, blue = rgb[:height, :width, 1], rgb[:height, :width, 2]  # views: edited in place
    # U = 0.492 (B - Y): move B, and G against it so that Y (and so V) stays. Where G is
    # clipped, Y moves with B, and B moves further to make up for it.
    dblue = du / _U_GAIN
    dgreen = np.clip(green - dblue * (_LUMA[2] / _LUMA[1]), 0, 255) - green
    dblue = (dblue + _LUMA[1] * dgreen) / (1 - _LUMA[2])
    green += dgreen
    blue += dblue
    out = Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8), "RGB")
    if image.mode in ("RGBA", "LA"):
        out.putalpha(image.getchannel("A"))
    return out


def read(image: "Image.Image") -> str | None:
    """The run id of the mark `image` carries, or None when it carries none.

    Each payload bit is the majority vote of every block that repeats it. When the voted
    word fails its check (JPEG noise, lettering over the art), up to three of the twelve
    least certain bits are flipped in turn, so an unmarked image passes with probability
    about 299 * 2**-24 (2e-5).
    """
    if image.width * image.height < MIN_PIXELS:
        return None
    return _decode(_bit_scores(image))


def _bit_scores(image: "Image.Image") -> "np.ndarray":
    """Per payload bit, the fraction of blocks voting 1.

    The package's decoder rounds these fractions to bits. A block's largest singular value
    is computed from the eigenvalues of B^T B, for all blocks at once.
    """
    import numpy as np

    coef = _dct_blocks(_rgb(image))
    gram = np.matmul(coef.transpose(0, 2, 1), coef)
    largest = np.sqrt(np.maximum(np.linalg.eigvalsh(gram)[:, -1], 0.0))
    votes = (largest % _SCALE) > _SCALE * 0.5
    bit = np.arange(len(coef)) % PAYLOAD_BITS  # the package's row-major repetition
    ones = np.bincount(bit, weights=votes, minlength=PAYLOAD_BITS)
    return ones / np.maximum(np.bincount(bit, minlength=PAYLOAD_BITS), 1)


def _step(largest: "np.ndarray", second: "np.ndarray", bits: "np.ndarray",
          low: "np.ndarray", high: "np.ndarray") -> "np.ndarray":
    """How far each block's largest singular value moves: to the nearest level whose step
    remainder is a quarter of the step for a 0 bit and three quarters for a 1, as the
    decoder reads them. A level that would stop being the block's largest value (give or
    take a quarter step of noise) is no candidate; below zero, the value turns negative
    (the singular value is its size). The nearer of the levels up and down wins unless the
    blue channel has too little room for it (`low`..`high`) and room for the other."""
    import numpy as np

    offset = _SCALE * (0.25 + 0.5 * bits)
    below = offset + _SCALE * np.floor((largest - offset) / _SCALE)
    floor = second + _SCALE / 4
    negative = -(offset + _SCALE * np.maximum(np.ceil((floor - offset) / _SCALE), 0))
    up = below + _SCALE - largest
    down = np.where(below > floor, below, negative) - largest
    near, far = np.where(up < -down, up, down), np.where(up < -down, down, up)
    # The room is a bound for the worst pixel: falling short by one unit (of the margin of
    # nine) is no reason for the longer way; by more, it costs JPEG robustness (measured).
    short = np.abs(near - np.clip(near, low, high)) > _SCALE / 36
    fits = (low <= far) & (far <= high)
    return np.where(short & fits, far, near)


def _room(rgb: "np.ndarray", pattern: "np.ndarray", cols: int) -> tuple["np.ndarray", "np.ndarray"]:
    """Per block, the range of steps (times `pattern`) that keeps the blue channel of every
    pixel within 0..255, checked on each 2x2 square's highest and lowest blue."""
    import numpy as np

    rows = len(pattern) // cols
    blue = rgb[: rows * 8, : cols * 8, 2]
    corners = (blue[0::2, 0::2], blue[0::2, 1::2], blue[1::2, 0::2], blue[1::2, 1::2])
    top = _tile(np.maximum(np.maximum(corners[0], corners[1]), np.maximum(corners[2], corners[3])))
    bottom = _tile(np.minimum(np.minimum(corners[0], corners[1]), np.minimum(corners[2], corners[3])))
    gain = pattern / (2 * _U_GAIN)  # blue change per unit step
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = np.where(gain > 0, (255 - top) / gain, -bottom / gain)
        lower = np.where(gain > 0, -bottom / gain, (255 - top) / gain)
    flat = np.abs(gain) < 1e-9
    return np.where(flat, -np.inf, lower).max(axis=1), np.where(flat, np.inf, upper).min(axis=1)


def _dct_blocks(rgb: "np.ndarray") -> "np.ndarray":
    """The orthonormal 2-D DCT of every 4x4 block of the U channel's Haar approximation,
    over the image's top-left multiple of 4 pixels (the package's grid), as (N, 4, 4)
    float64 in row-major block order."""
    import numpy as np

    height, width = rgb.shape[0] // 4 * 4, rgb.shape[1] // 4 * 4
    red, green, blue = _LUMA
    # In float32, as the package's decoder works; the blocks' transforms in float64.
    weights = np.array([-_U_GAIN * red, -_U_GAIN * green, _U_GAIN * (1 - blue)], dtype=np.float32)
    u = rgb[:height, :width] @ weights + np.float32(_U_OFFSET)
    # Haar approximation: each 2x2 square's sum over 2 (pywt's orthonormal 'haar').
    approx = ((u[0::2, 0::2] + u[0::2, 1::2] + u[1::2, 0::2] + u[1::2, 1::2]) / 2).astype(np.float64)
    return (_tile(approx) @ _dct_matrix().T).reshape(-1, _BLOCK, _BLOCK)


def _tile(plane: "np.ndarray") -> "np.ndarray":
    """The plane's whole 4x4 blocks in row-major order, each flattened: (N, 16)."""
    rows, cols = plane.shape[0] // _BLOCK, plane.shape[1] // _BLOCK
    blocks = plane[: rows * _BLOCK, : cols * _BLOCK].reshape(rows, _BLOCK, cols, _BLOCK)
    return blocks.swapaxes(1, 2).reshape(-1, _BLOCK * _BLOCK)


def _untile(flat: "np.ndarray", cols: int) -> "np.ndarray":
    """The inverse of `_tile` for a plane `cols` blocks wide."""
    rows = len(flat) // cols
    blocks = flat.reshape(rows, cols, _BLOCK, _BLOCK).swapaxes(1, 2)
    return blocks.reshape(rows * _BLOCK, cols * _BLOCK)


@functools.cache
def _dct_matrix() -> "np.ndarray":
    """The orthonormal 2-D DCT-II of a 4x4 block (OpenCV's `dct`) on its row-major 16-vector:
    kron(D, D) with D the 1-D transform, as one large product for all blocks is far faster
    than D B D^T block by block."""
    import numpy as np

    k, i = np.arange(_BLOCK)[:, None], np.arange(_BLOCK)[None, :]
    one_d = np.cos(np.pi * (2 * i + 1) * k / (2 * _BLOCK)) * np.sqrt(2 / _BLOCK)
    one_d[0] /= np.sqrt(2)
    matrix = np.kron(one_d, one_d)
    matrix.setflags(write=False)
    return matrix


def _rgb(image: "Image.Image") -> "np.ndarray":
    import numpy as np

    return np.array(image.convert("RGB"), dtype=np.float32)


def _decode(scores) -> str | None:
    import numpy as np

    hard = [int(s > 0.5) for s in scores]
    doubtful = [int(i) for i in np.argsort(np.abs(np.asarray(scores) - 0.5))[:_FLIP_POOL]]
    for count in range(_MAX_FLIPS + 1):
        for flips in itertools.combinations(doubtful, count):
            bits = list(hard)
            for i in flips:
                bits[i] ^= 1
            run_id = _parse(bits)
            if run_id is not None:
                return run_id
    return None


def _payload(run_id: str) -> list[int]:
    head = (MAGIC << 32) | int(run_id, 16)
    word = (head << 8) | _crc8(head.to_bytes(6, "big"))
    return [(word >> (PAYLOAD_BITS - 1 - i)) & 1 for i in range(PAYLOAD_BITS)]


def _parse(bits: list[int]) -> str | None:
    word = 0
    for bit in bits:
        word = (word << 1) | bit
    head, crc = word >> 8, word & 0xFF
    if head >> 32 != MAGIC or _crc8(head.to_bytes(6, "big")) != crc:
        return None
    return f"{head & 0xFFFFFFFF:08x}"


def _crc8(data: bytes) -> int:
    """CRC-8 with polynomial 0x07 (ATM/SMBus)."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _check_run_id(run_id: str) -> None:
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise ValueError(f"run id must be 8 lowercase hex digits, got {run_id!r}")


def _check_size(image: "Image.Image") -> None:
    if image.width * image.height < MIN_PIXELS:
        raise GenerationError(
            f"a {image.width}x{image.height} panel is too small to watermark "
            f"(needs at least {MIN_PIXELS} pixels, e.g. 256x256)"
        )


@dataclass(frozen=True)
class PanelMark:
    """The verdict on one image or panel found in a file."""

    where: str  # e.g. "story.pdf page 2 image 1" or "story.cbz page-003.png panel 2"
    width: int
    height: int
    run_id: str | None  # None: no mark
    checked: bool = True  # False: too small to carry a mark, so not counted

    @property
    def marked(self) -> bool:
        return self.run_id is not None


def scan(path: str | Path) -> list[PanelMark]:
    """Read the mark of every panel in an image, PDF or CBZ file, or a folder of images.

    A PDF's panels are its embedded images; a page image's panels are the boxes recorded in
    its PNG text chunks (see `storyboard.provenance.png_info`), or the whole image when it
    records none. Raises StoryboardError when the file cannot be read.
    """
    from storyboard import _files

    path = Path(path)
    try:
        folder = path.is_dir()
    except OSError as err:  # a name too long for the file system, say
        raise StoryboardError(f"{path}: {err.strerror or err}") from None
    if folder:
        images = sorted(p for p in path.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
        if not images:
            raise StoryboardError(f"{path}: the folder holds no PNG, JPEG or WebP images")
        return [mark for image in images for mark in scan(image)]
    try:  # a FIFO or a device is refused here rather than waited on or read forever
        handle = _files.open_regular(path)
    except _files.Refused as err:
        raise StoryboardError(f"{path}: {err.reason}") from None
    with handle:
        try:
            head = handle.read(8)
            handle.seek(0)
            if head.startswith(b"%PDF"):
                return _scan_pdf(path, handle)
            if head.startswith(b"PK"):
                return _scan_cbz(path, handle)
            data = handle.read()
        except OSError as err:
            raise StoryboardError(f"{path}: cannot read: {err.strerror or type(err).__name__}") from None
    return _scan_image(data, str(path))


# Pages render writes may be beyond Pillow's decompression-bomb guard (it warns above 89
# megapixels and refuses above 179): verify reads every page up to the largest render writes
# (`storyboard.layout.MAX_PAGE_PIXELS`) and refuses larger ones by their header.
_PIXELS_LOCK = threading.Lock()


@contextlib.contextmanager
def _page_pixels():
    """Pillow's decompression-bomb limit raised to `MAX_PAGE_PIXELS` inside the block (it is a
    module global: the lock keeps two blocks from restoring each other's value)."""
    from PIL import Image

    with _PIXELS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # Pillow warns below 2x its limit
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, MAX_PAGE_PIXELS // 2  # refuses at 2x
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _scan_image(data: bytes, where: str) -> list[PanelMark]:
    import io

    from PIL import Image, UnidentifiedImageError

    from storyboard.provenance import panel_boxes

    try:
        with _page_pixels():
            image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PAGE_PIXELS:
            raise StoryboardError(f"{where}: {image.width}x{image.height} pixels is more than verify reads "
                                  f"({MAX_PAGE_PIXELS // 1_000_000} megapixels)")
        image.load()
    except UnidentifiedImageError:
        raise StoryboardError(f"{where}: not a readable image, PDF or CBZ") from None
    except Image.DecompressionBombError:
        raise StoryboardError(f"{where}: more pixels than verify reads ({MAX_PAGE_PIXELS // 1_000_000} megapixels)") from None
    except (OSError, SyntaxError, ValueError) as err:  # truncated or corrupt data
        raise StoryboardError(f"{where}: a damaged image ({_plain(err)})") from None
    boxes = panel_boxes(image)
    if not boxes:
        return [_verdict(image, where)]
    with _page_pixels():  # Pillow checks a crop's size as well
        panels = [image.crop(box) for box in boxes]
    return [_verdict(panel, f"{where} panel {i + 1}") for i, panel in enumerate(panels)]


def _plain(err: BaseException) -> str:
    """An error's message without Python object reprs (`<_io.BytesIO object at 0x...>`)."""
    text = re.sub(r"\s*<[^<>]* at 0x[0-9a-fA-F]+>", "", " ".join(str(err).split())).strip(" :")
    return text[:200] or type(err).__name__


def _scan_cbz(path: Path, handle) -> list[PanelMark]:
    import zipfile

    try:
        with zipfile.ZipFile(handle) as archive:
            names = sorted(
                n for n in archive.namelist()
                if Path(n).suffix.lower() in _IMAGE_SUFFIXES
            )
            found: list[PanelMark] = []
            for name in names:
                found += _scan_image(archive.read(name), f"{path} {name}")
    except (zipfile.BadZipFile, OSError) as err:
        raise StoryboardError(f"{path}: not a readable CBZ ({_plain(err)})") from None
    if not names:
        raise StoryboardError(f"{path}: the CBZ holds no page images")
    return found


def _scan_pdf(path: Path, handle) -> list[PanelMark]:
    try:
        from pypdf import PdfReader
        from PIL.Image import DecompressionBombError
        from pypdf.errors import PyPdfError
    except ImportError as err:
        raise StoryboardError("reading PDFs needs pypdf: pip install pypdf") from err
    found: list[PanelMark] = []
    try:
        reader = PdfReader(handle)
        for number, page in enumerate(reader.pages, start=1):
            for index, embedded in enumerate(page.images, start=1):
                with _page_pixels():  # pypdf opens embedded JPEGs with Pillow
                    image = embedded.image
                found.append(_verdict(image, f"{path} page {number} image {index}"))
    except (PyPdfError, OSError, ValueError, KeyError, NotImplementedError, DecompressionBombError) as err:
        raise StoryboardError(f"{path}: not a readable PDF ({_plain(err)})") from None
    return found


def _verdict(image: "Image.Image", where: str) -> PanelMark:
    if image.width * image.height < MIN_PIXELS:
        return PanelMark(where, image.width, image.height, None, checked=False)
    return PanelMark(where, image.width, image.height, read(image))
