"""storyboard.export.png writes page PNGs itself (Up filter, ISA-L or zlib-ng): the pixels, the pHYs
resolution and the text chunks must read back as Pillow's own writer stores them."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from storyboard.export.png import png_bytes


def _image(mode: str) -> Image.Image:
    # 300 rows: more than one filtered strip; noise and flat areas both
    rng = np.random.default_rng(7)
    rgba = np.full((300, 37, 4), 255, np.uint8)
    rgba[100:220, 5:30] = rng.integers(0, 256, (120, 25, 4), dtype=np.uint8)
    return Image.fromarray(rgba, "RGBA").convert(mode)


def _info() -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "storyboard test")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>é</x:xmpmeta>", zip=True)
    info.add_text("Comment", "squeezed", zip=True)
    return info


def _pillow(image: Image.Image, **options) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return Image.open(io.BytesIO(buffer.getvalue()))


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA"])
def test_reads_back_as_pillows_own_png(mode):
    image = _image(mode)
    data = png_bytes(image, dpi=(300, 300), pnginfo=_info())
    ours, theirs = Image.open(io.BytesIO(data)), _pillow(image, dpi=(300, 300), pnginfo=_info())
    assert ours.mode == mode and ours.size == image.size
    assert np.array_equal(np.asarray(ours), np.asarray(image))
    assert ours.info == theirs.info  # the dpi (pHYs) and every text chunk
    assert png_bytes(image, dpi=(300, 300), pnginfo=_info()) == data  # same image, same bytes


def test_without_dpi_or_text():
    image = _image("RGB")
    back = Image.open(io.BytesIO(png_bytes(image)))
    assert "dpi" not in back.info and np.array_equal(np.asarray(back), np.asarray(image))


@pytest.mark.parametrize("mode", ["P", "1", "I;16"])
def test_other_modes_go_to_pillow(mode):
    image = _image("RGB").convert(mode) if mode != "I;16" else Image.new("I;16", (5, 4), 300)
    back = Image.open(io.BytesIO(png_bytes(image, dpi=(150, 150), pnginfo=_info())))
    assert back.mode == image.mode and back.info["Software"] == "storyboard test"
    assert back.info["dpi"] == pytest.approx((150, 150), abs=0.05)
    assert np.array_equal(np.asarray(back), np.asarray(image))


def test_icc_profile_kept_through_pillow():
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image = _image("RGB")
    image.info["icc_profile"] = icc
    back = Image.open(io.BytesIO(png_bytes(image)))
    assert back.info["icc_profile"] == icc


def test_rgbx_is_written_as_rgb_without_its_padding():
    # a painted page (storyboard.export.canvas) is RGBX: the same file as the RGB image
    image = _image("RGB")
    padded = np.dstack([np.asarray(image), np.full(image.size[::-1], 77, np.uint8)])
    rgbx = Image.frombuffer("RGBX", image.size, padded, "raw", "RGBX", 0, 1)
    assert png_bytes(rgbx, dpi=(300, 300), pnginfo=_info()) == png_bytes(image, dpi=(300, 300), pnginfo=_info())


@pytest.mark.parametrize("mode, raw", [("RGBX", "RGB"), ("RGB", "RGB"), ("RGBA", "RGBA"), ("L", "L")])
def test_rows_packed_in_one_piece_are_tobytes(mode, raw, monkeypatch):
    # 300 x 100 RGBX: 120 KB, more than the 64 KB pieces tobytes packs and joins
    from PIL import Image as PILImage

    from storyboard.export.png import raw_bytes

    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (100, 300, 4), dtype=np.uint8)
    image = PILImage.frombuffer("RGBX", (300, 100), pixels, "raw", "RGBX", 0, 1)
    image = image if mode == "RGBX" else image.convert(mode)
    expected = image.tobytes("raw", raw)
    assert raw_bytes(image, raw) == expected
    row = 300 * len(raw)  # rows spaced by a stride: zeros after each row's pixels
    spaced = np.zeros((100, row + 1), np.uint8)
    spaced[:, :row] = np.frombuffer(expected, np.uint8).reshape(100, row)
    assert raw_bytes(image, raw, row + 1) == spaced.tobytes()
    # where Pillow's private encoder does not take these arguments, or packs fewer rows than
    # asked: its public tobytes, the same bytes
    factory = PILImage._getencoder

    class Piecemeal:  # packs 64 KB a call, whatever it is asked
        def __init__(self, encoder):
            self.encoder = encoder

        def __getattr__(self, name):
            return getattr(self.encoder, name)

        def encode(self, size):
            return self.encoder.encode(min(size, 1 << 16))

    monkeypatch.setattr(PILImage, "_getencoder", lambda *args: Piecemeal(factory(*args)))
    assert raw_bytes(image, raw) == expected and raw_bytes(image, raw, row + 1) == spaced.tobytes()

    def other_arguments(mode, name, args=(), *rest):
        if len(args) == 3:
            raise TypeError("a Pillow that takes other arguments")
        return factory(mode, name, args, *rest)

    monkeypatch.setattr(PILImage, "_getencoder", other_arguments)
    assert raw_bytes(image, raw) == expected and raw_bytes(image, raw, row + 1) == spaced.tobytes()


def test_each_deflate_library_writes_the_same_pixels(monkeypatch):
    # ISA-L where it has wheels, else zlib-ng, else the standard zlib: other bytes, the same pixels
    import importlib
    import zlib

    from storyboard.export import png

    assert png._deflater((("no_such_deflate_module", 9),)) == (zlib, 1)
    image = _image("RGB")
    decoded = []
    for name, level in (*png._DEFLATES, ("zlib", 1)):
        pytest.importorskip(name.split(".")[0])
        module = importlib.import_module(name)
        monkeypatch.setattr(png, "_deflate", module)
        monkeypatch.setattr(png, "_LEVEL", level)
        data = png_bytes(image, dpi=(300, 300))
        assert png_bytes(image, dpi=(300, 300)) == data
        decoded.append(np.asarray(Image.open(io.BytesIO(data))))
    assert all(np.array_equal(one, np.asarray(image)) for one in decoded)
