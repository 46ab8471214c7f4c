import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from characters.images import load_reference, load_references
from storyboard.errors import CharacterError
from tests.characters.conftest import save


def test_exif_orientation_is_applied(tmp_path):
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[:, :20] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    path = tmp_path / "turned.jpg"
    Image.fromarray(pixels).save(path, exif=exif, quality=100)
    ref = load_reference(path)
    assert ref.image.size == (20, 40)
    upright = np.asarray(ref.image)
    assert upright[:20].mean() > 200 and upright[20:].mean() < 50  # white half now on top
    assert ref.format == "JPEG" and ref.sha256 and ref.data == path.read_bytes()


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: Image.new("CMYK", (8, 8), (0, 255, 255, 0)), (255, 0, 0)),
        (lambda: Image.fromarray(np.full((8, 8), 65535, dtype=np.uint16)), (255, 255, 255)),
        (lambda: Image.fromarray(np.full((8, 8), 32896, dtype=np.uint16)), (128, 128, 128)),
        (lambda: Image.new("RGBA", (8, 8), (255, 0, 0, 0)), (255, 255, 255)),
        (lambda: Image.new("LA", (8, 8), (0, 255)), (0, 0, 0)),
    ],
    ids=["cmyk", "16-bit-white", "16-bit-grey", "transparent", "grey-alpha"],
)
def test_odd_modes_become_8bit_rgb(tmp_path, make, expected):
    image = make()
    path = tmp_path / ("x.jpg" if image.mode == "CMYK" else "x.png")
    image.save(path)
    ref = load_reference(path)
    assert ref.image.mode == "RGB"
    assert np.abs(np.asarray(ref.image)[4, 4].astype(int) - expected).max() <= 2


def test_palette_with_transparency(tmp_path):
    image = Image.new("P", (8, 8), 1)
    image.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    image.info["transparency"] = 0
    image.putpixel((0, 0), 0)
    path = tmp_path / "p.png"
    image.save(path, transparency=0)
    pixels = np.asarray(load_reference(path).image)
    assert tuple(pixels[0, 0]) == (255, 255, 255) and tuple(pixels[4, 4]) == (0, 0, 255)


def test_webp(tmp_path):
    path = save(np.full((8, 8, 3), 200, dtype=np.uint8), tmp_path / "x.webp", lossless=True)
    assert load_reference(path).format == "WEBP"


def _huge_png_header(width, height) -> bytes:
    """A valid PNG whose header claims a huge size: a decompression bomb in 60 bytes."""
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    ihdr = b"IHDR" + struct.pack(">II", width, height) + bytes(data[24:29])
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(ihdr))
    return bytes(data)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("notes.jpg", b"these are not pixels", "not a JPEG, PNG or WebP image"),
        ("cut.jpg", None, "broken image"),
        ("anim.gif", "gif", "GIF images are not supported"),
        ("bomb.png", _huge_png_header(30000, 30000), "too large"),
        ("big.png", _huge_png_header(8000, 8000), "8000x8000 is too large"),
    ],
    ids=["text", "truncated", "gif", "bomb", "over-limit"],
)
def test_bad_files_name_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    if content is None:
        whole = io.BytesIO()
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(whole, "JPEG")
        path.write_bytes(whole.getvalue()[:600])
    elif content == "gif":
        Image.new("RGB", (4, 4)).save(path, "GIF")
    else:
        path.write_bytes(content)
    with pytest.raises(CharacterError, match=message) as err:
        load_reference(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(CharacterError, match="no such file"):
        load_reference(tmp_path / "nope.png")
    with pytest.raises(CharacterError, match="is a folder"):
        load_reference(tmp_path)


def test_same_image_twice_is_refused(tmp_path):
    first = save(np.zeros((8, 8, 3), dtype=np.uint8), tmp_path / "a.png")
    second = tmp_path / "copy.png"
    second.write_bytes(first.read_bytes())
    with pytest.raises(CharacterError, match="copy.png is the same image as .*a.png"):
        load_references([first, second])
