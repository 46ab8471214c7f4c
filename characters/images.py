"""Reading reference images: only JPEG, PNG and WebP, upright, as 8-bit RGB.

Every failure is a `CharacterError` naming the file, because a bad reference is always
something the user can fix (wrong file, truncated download, a 50k x 50k scan).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from PIL import Image, ImageOps, UnidentifiedImageError

from storyboard import _files
from storyboard.errors import CharacterError

FORMATS = ("JPEG", "PNG", "WEBP")
MAX_PIXELS = 40_000_000  # a 40 MP reference is already far beyond what any embedder looks at
MAX_BYTES = _files.MAX_IMAGE_BYTES
# Refused by the header's dimensions, before decoding: 10000x1 crashes the face detector and
# 40,000,000x1 exhausts memory in the drawn encoder's resize; a panorama is at most ~4:1.
MAX_ASPECT = 10


@dataclass(frozen=True)
class ReferenceImage:
    """One reference picture: where it came from, its bytes' hash and its upright RGB pixels."""

    path: Path
    data: bytes  # the file as given; stored in the library so it can be re-embedded later
    sha256: str
    format: str  # "JPEG", "PNG" or "WEBP"
    image: Image.Image  # mode "RGB"

    @property
    def name(self) -> str:
        return self.path.name


def load_reference(path: str | Path, *, max_pixels: int = MAX_PIXELS) -> ReferenceImage:
    """Read and decode one reference image. Only a regular file of at most `MAX_BYTES` is
    read (a FIFO, a device or a huge file is refused by `stat` first)."""
    path = Path(path)
    try:
        data = _files.read_regular(path, MAX_BYTES)
    except _files.Refused as err:
        raise CharacterError(f"{path}: {err.reason}") from None
    image, format = decode(data, path, max_pixels)
    return ReferenceImage(path, data, hashlib.sha256(data).hexdigest(), format, image)


def load_references(paths: Sequence[str | Path]) -> list[ReferenceImage]:
    """Load several references, refusing the same image given twice (it would weigh double)."""
    references: list[ReferenceImage] = []
    for path in paths:
        ref = load_reference(path)
        for earlier in references:
            if earlier.sha256 == ref.sha256:
                raise CharacterError(f"{ref.path} is the same image as {earlier.path}")
        references.append(ref)
    return references


def check_header(path: str | Path, *, max_pixels: int = MAX_PIXELS) -> None:
    """Raise CharacterError for what `load_reference` refuses that the file's header already
    shows (not a regular file, not an image, another format, its dimensions), reading the
    header only: `validate` checks references this way in a fraction of a decode."""
    path = Path(path)
    try:
        handle = _files.open_regular(path, MAX_BYTES)
    except _files.Refused as err:
        raise CharacterError(f"{path}: {err.reason}") from None
    with handle:
        _opened(handle, path, max_pixels, decode=False)


def decode(data: bytes, path: Path, max_pixels: int = MAX_PIXELS) -> tuple[Image.Image, str]:
    """Decode image bytes into an upright 8-bit RGB image and its format, or raise naming `path`."""
    image = _opened(io.BytesIO(data), path, max_pixels, decode=True)
    return _to_rgb(ImageOps.exif_transpose(image)), image.format


def _opened(source, path: Path, max_pixels: int, *, decode: bool) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice that; we refuse at our own limit.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(source)
            if image.format not in FORMATS:
                raise CharacterError(
                    f"{path}: {image.format} images are not supported (use JPEG, PNG or WebP)"
                )
            width, height = image.size
            if max(width, height) > MAX_ASPECT * max(1, min(width, height)):
                raise CharacterError(
                    f"{path}: {width}x{height} is not a picture of a character "
                    f"(one side over {MAX_ASPECT} times the other); crop it"
                )
            if width * height > max_pixels:
                raise CharacterError(
                    f"{path}: {width}x{height} is too large "
                    f"(over {max_pixels // 1_000_000} megapixels); scale it down"
                )
            if decode:
                image.load()
            else:
                _check_whole(image, source)
    except CharacterError:
        raise
    except Image.DecompressionBombError:  # beyond twice Pillow's own limit: refused at open
        raise CharacterError(f"{path}: too large (over {max_pixels // 1_000_000} megapixels)") from None
    except UnidentifiedImageError:
        raise CharacterError(f"{path}: not a JPEG, PNG or WebP image") from None
    except (OSError, SyntaxError, ValueError) as err:  # truncated or corrupt data
        raise CharacterError(f"{path}: broken image ({err})") from None
    return image


def _check_whole(image: Image.Image, source) -> None:
    """Raise (OSError, SyntaxError) for a file cut short or damaged, as a decode would, at a
    fraction of its cost: a truncated download passed `validate` (header only) and failed the
    render, unlocated. PNG: every chunk's CRC (no inflating); JPEG: decoded at 1/8 scale
    (~20 ms for 12 MP); WebP: the RIFF size against the file's."""
    if image.format == "PNG":
        image.verify()
    elif image.format == "JPEG":
        image.draft(image.mode, (max(1, image.width // 8), max(1, image.height // 8)))
        image.load()
    elif image.format == "WEBP":
        source.seek(4)
        riff = int.from_bytes(source.read(4), "little") + 8
        if source.seek(0, io.SEEK_END) < riff:
            raise OSError("image file is truncated")


def _to_rgb(image: Image.Image) -> Image.Image:
    """Upright 8-bit RGB; every kind of transparency (an alpha channel, a palette's, or the
    single transparent colour of a grey, RGB or 16-bit PNG's tRNS chunk) is composited on
    white, as on the page."""
    clear = image.info.get("transparency")
    if image.mode.startswith("I"):
        import numpy as np

        # tRNS names a 16-bit value: compare before the values are scaled down to 8 bits.
        alpha = None if clear is None else np.where(np.asarray(image) == clear, 0, 255).astype(np.uint8)
        image = _wide_gray_to_8bit(image)
        if alpha is not None:
            image.putalpha(Image.fromarray(alpha, "L"))  # now "LA"
    elif clear is not None and image.mode in ("1", "L", "RGB", "P"):
        # Pillow applies the tRNS colour; it reads 16-bit RGB as 8-bit, so there it matches to 1/256.
        image = image.convert("RGBA")
    if image.mode == "P":
        image = image.convert("RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        # Transparent areas become white, as on the page, not black.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return image.convert("RGB")  # CMYK, YCbCr, L, 1 ... all convert losslessly enough


def _wide_gray_to_8bit(image: Image.Image) -> Image.Image:
    import numpy as np

    values = np.asarray(image, dtype=np.float64)
    # 16-bit grey PNGs open as I;16 or I: scale the full range down instead of clipping at 255.
    wide = image.mode.startswith("I;16") or values.max(initial=0) > 255
    top = 65535.0 if wide else 255.0
    return Image.fromarray(np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
