"""Issue 18, items 4, 7 and 11 for `storyboard verify`: pages beyond Pillow's decompression-bomb
limit are read, unreadable files are named without Python reprs, special files never block."""

from __future__ import annotations

import os
import re
import warnings

import pytest
from PIL import Image

from storyboard.cli import main
from storyboard.provenance import png_info, provenance
from storyboard.watermark import mark

from ..print.conftest import painted_panel

RUN = "0a1b2c3d"
PROV = provenance({"engine": "diffusion"}, RUN)


def test_the_largest_page_render_writes_is_read_exit_0_and_1(tmp_path, capsys, monkeypatch):
    """A page at the raster limit (148.8 megapixels, as an A3 page with bleed at 880 dpi) is
    beyond Pillow's decompression-bomb threshold, where Pillow warns (and refuses at twice its
    limit); a 1-bit page keeps the test small. Its one recorded panel box is read: unmarked,
    exit 1, and nothing but the verdict is printed."""
    from storyboard.layout import MAX_PAGE_PIXELS

    width, height = 12_000, 12_400
    assert Image.MAX_IMAGE_PIXELS < width * height <= MAX_PAGE_PIXELS
    big = tmp_path / "big.png"
    Image.new("1", (width, height), 1).save(big, pnginfo=png_info(PROV, panels=[(0, 0, 320, 256)]), compress_level=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's DecompressionBombWarning included
        assert main(["verify", str(big)]) == 1
    captured = capsys.readouterr()
    assert "panel 1 (320x256): NO MARK" in captured.out and captured.err == ""
    # A marked page read while Pillow's limit is below its size exits 0 the same way.
    page = Image.new("RGB", (700, 500), "white")
    page.paste(mark(painted_panel(320, 256), RUN), (40, 60))
    path = tmp_path / "page.png"
    page.save(path, pnginfo=png_info(PROV, panels=[(40, 60, 360, 316)]))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    assert main(["verify", str(path)]) == 0
    assert f"marked, run {RUN}" in capsys.readouterr().out
    assert Image.MAX_IMAGE_PIXELS == 1000  # restored after reading


def test_an_unreadable_file_is_named_without_python_reprs(tmp_path, capsys):
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG not really")
    truncated = tmp_path / "cut.png"
    painted_panel(300, 300).save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:500])
    for path in (junk, truncated):
        assert main(["verify", str(path)]) == 2
        captured = capsys.readouterr()
        assert captured.err.startswith(f"error: {path}: ") and captured.err.count("\n") == 1
        assert not re.search(r"<[^>]*object at 0x", captured.err + captured.out)
        assert "1 unreadable file" in captured.out and "files" not in captured.out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_files_are_refused_at_once(tmp_path, capsys):
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):
        assert main(["verify", str(path)]) == 2  # would block (FIFO) or read forever (/dev/zero)
        err = capsys.readouterr().err
        assert "not a regular file" in err and "Traceback" not in err
