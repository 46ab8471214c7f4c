"""Invisible watermark on every generated panel: "machine-generated" plus a short run id.

The mark is the `invisible-watermark` package's `dwtDctSvd` method: payload bits quantise the
largest singular value of the DCT of 4x4 blocks of the Haar-wavelet approximation of the U
(chroma) channel, repeated over the whole image and decoded by majority over every
repetition. diffusers marks SDXL images with the package's plain `dwtDct` method; measured
here, that one loses the mark on any JPEG re-save and cannot mark flat drawn colours at all,
while `dwtDctSvd` survives JPEG quality 80 on both. The image goes in as float32, so the
package's internal YUV round trip neither truncates nor wraps around at 0 and 255.
The payload is 56 bits:

    16-bit magic 0xA15B ("AI", "SB") | 32-bit run id | CRC-8 of the first 48 bits

A random word passes that check with probability 2**-24; `read` tries up to 299 words per
image (see there), so an unmarked image reads as marked with probability about 2e-5.

The grid of the mark starts at the image's top-left corner: a panel must be marked at the
pixel size it is printed at (after upscaling), and read back from exactly its own rectangle
(an embedded PDF image, or the panel's box on a page raster). Resampling destroys the mark.
"""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from storyboard.errors import GenerationError, StoryboardError, require

if TYPE_CHECKING:
    from PIL import Image

MAGIC = 0xA15B
PAYLOAD_BITS = 56
MIN_PIXELS = 256 * 256  # the library refuses smaller images: too few repetitions to vote
_METHOD = "dwtDctSvd"
_SCALE = 36  # the package's default quantisation step for the U channel
_BLOCK = 4
_FLIP_POOL = 12
_MAX_FLIPS = 3
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
_RUN_ID = re.compile(r"[0-9a-f]{8}")


def new_run_id() -> str:
    """A fresh random run id: 8 lowercase hex digits (32 bits)."""
    return secrets.token_hex(4)


def mark(image: "Image.Image", run_id: str) -> "Image.Image":
    """Return a copy of `image` carrying the machine-generated mark and `run_id`."""
    import numpy as np
    from PIL import Image

    _check_run_id(run_id)
    _check_size(image)
    imwatermark = require("imwatermark", "diffusion")
    encoder = imwatermark.WatermarkEncoder()
    encoder.set_watermark("bits", _payload(run_id))
    # scales: leave Y alone, step 36 on U (the package's dwtDctSvd default, made explicit).
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
    marked = encoder.encode(_bgr(image), _METHOD, scales=[0, _SCALE, 0])
    rgb = np.clip(np.rint(marked[:, :, ::-1]), 0, 255).astype(np.uint8)
    out = Image.fromarray(rgb, "RGB")
    if alpha is not None:
        out.putalpha(alpha)
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


def _bit_scores(image: "Image.Image"):
    """Per payload bit, the fraction of blocks voting 1.

    The same arithmetic as the package's `dwtDctSvd` decoder (a test holds them equal),
    vectorised, and keeping the fractions the package rounds away. The DCT is orthonormal,
    so a block's largest singular value is that of its DCT; it is computed from the
    eigenvalues of B^T B for all blocks at once.
    """
    import numpy as np

    cv2 = require("cv2", "diffusion")
    pywt = require("pywt", "diffusion")
    bgr = _bgr(image)
    height, width = bgr.shape[:2]
    u = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV)[: height // 4 * 4, : width // 4 * 4, 1]
    approx = pywt.dwt2(u, "haar")[0].astype(np.float64)
    rows, cols = approx.shape[0] // _BLOCK, approx.shape[1] // _BLOCK
    blocks = approx[: rows * _BLOCK, : cols * _BLOCK].reshape(rows, _BLOCK, cols, _BLOCK)
    blocks = blocks.transpose(0, 2, 1, 3).reshape(-1, _BLOCK, _BLOCK)
    gram = np.matmul(blocks.transpose(0, 2, 1), blocks)
    largest = np.sqrt(np.maximum(np.linalg.eigvalsh(gram)[:, -1], 0.0))
    votes = (largest % _SCALE) > _SCALE * 0.5
    bit = np.arange(rows * cols) % PAYLOAD_BITS  # the package's row-major repetition
    ones = np.bincount(bit, weights=votes, minlength=PAYLOAD_BITS)
    return ones / np.maximum(np.bincount(bit, minlength=PAYLOAD_BITS), 1)


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


def _bgr(image: "Image.Image"):
    import numpy as np

    return np.asarray(image.convert("RGB"), dtype=np.float32)[:, :, ::-1].copy()


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
    path = Path(path)
    if path.is_dir():
        images = sorted(p for p in path.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
        if not images:
            raise StoryboardError(f"{path}: the folder holds no PNG, JPEG or WebP images")
        return [mark for image in images for mark in scan(image)]
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as err:
        raise StoryboardError(f"{path}: cannot read: {err.strerror or err}") from err
    if head.startswith(b"%PDF"):
        return _scan_pdf(path)
    if head.startswith(b"PK"):
        return _scan_cbz(path)
    return _scan_image(path.read_bytes(), str(path))


def _scan_image(data: bytes, where: str) -> list[PanelMark]:
    import io

    from PIL import Image, UnidentifiedImageError

    from storyboard.provenance import panel_boxes

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as err:
        raise StoryboardError(f"{where}: not a readable image, PDF or CBZ ({err})") from err
    boxes = panel_boxes(image)
    if not boxes:
        return [_verdict(image, where)]
    return [_verdict(image.crop(box), f"{where} panel {i + 1}") for i, box in enumerate(boxes)]


def _scan_cbz(path: Path) -> list[PanelMark]:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(
                n for n in archive.namelist()
                if Path(n).suffix.lower() in _IMAGE_SUFFIXES
            )
            found: list[PanelMark] = []
            for name in names:
                found += _scan_image(archive.read(name), f"{path} {name}")
    except (zipfile.BadZipFile, OSError) as err:
        raise StoryboardError(f"{path}: not a readable CBZ ({err})") from err
    if not names:
        raise StoryboardError(f"{path}: the CBZ holds no page images")
    return found


def _scan_pdf(path: Path) -> list[PanelMark]:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError as err:
        raise StoryboardError("reading PDFs needs pypdf: pip install pypdf") from err
    found: list[PanelMark] = []
    try:
        reader = PdfReader(path)
        for number, page in enumerate(reader.pages, start=1):
            for index, embedded in enumerate(page.images, start=1):
                found.append(_verdict(embedded.image, f"{path} page {number} image {index}"))
    except (PyPdfError, OSError, ValueError, KeyError, NotImplementedError) as err:
        raise StoryboardError(f"{path}: not a readable PDF ({err})") from err
    return found


def _verdict(image: "Image.Image", where: str) -> PanelMark:
    if image.width * image.height < MIN_PIXELS:
        return PanelMark(where, image.width, image.height, None, checked=False)
    return PanelMark(where, image.width, image.height, read(image))
