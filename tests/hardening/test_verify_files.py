"""Issue 18, items 4, 7 and 11 for `storyboard verify`: pages beyond Pillow's decompression-bomb
limit are read, unreadable files are named without Python reprs, special files never block."""

from __future__ import annotations

import os
import re

import pytest
from PIL import Image

from storyboard.cli import main
from storyboard.provenance import png_info, provenance
from storyboard.watermark import mark

from ..print.conftest import painted_panel

RUN = "0a1b2c3d"
PROV = provenance({"engine": "diffusion"}, RUN)


def test_a_page_beyond_pillows_limit_is_read_exit_0_and_1(tmp_path, capsys, monkeypatch):
    """A page of 13,600 x 13,600 (185 megapixels, as 1150 mm square at 300 dpi) is beyond
    twice Pillow's default limit, where Pillow refuses to open it; a 1-bit page keeps the test
    small. Its one recorded panel box is read: unmarked, exit 1."""
    side = 13_600
    assert side * side > 2 * Image.MAX_IMAGE_PIXELS
    big = tmp_path / "big.png"
    Image.new("1", (side, side), 1).save(big, pnginfo=png_info(PROV, panels=[(0, 0, 320, 256)]), compress_level=1)
    assert main(["verify", str(big)]) == 1
    assert "panel 1 (320x256): NO MARK" in capsys.readouterr().out
    # A marked page read with Pillow's limit below its size exits 0 the same way.
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
