"""Issue 18, items 5 and 11: special files and sizes are refused by `stat` at once; reference
images of extreme aspect are refused by their header; tRNS transparency is composited on white."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
import zlib

import numpy as np
import pytest

from characters.images import decode, load_reference
from storyboard.errors import CharacterError

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")


def storyboard(*args, timeout=20):
    """The CLI in its own process: a blocking open would hang it, and the timeout catches that."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "storyboard", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)
    return done, time.perf_counter() - started


@needs_fifo
def test_fifos_devices_and_a_sparse_3_gib_script_are_refused_in_seconds(tmp_path):
    fifo_yaml, fifo_png = tmp_path / "fifo.yaml", tmp_path / "fifo.png"
    os.mkfifo(fifo_yaml)
    os.mkfifo(fifo_png)
    sparse = tmp_path / "big.yaml"
    with open(sparse, "wb") as handle:
        handle.truncate(3 << 30)  # no blocks on disk: reading it would take minutes and 3 GiB
    done, seconds = storyboard("validate", fifo_yaml, "/dev/zero", sparse)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"{fifo_yaml}:1:1: file: is a FIFO (named pipe), not a regular file",
        "/dev/zero:1:1: file: is a character device, not a regular file",
        f"{sparse}:1:1: file: the script is larger than 2 MiB (3 GiB)",
    ]
    done, _ = storyboard("characters", "add", "x", fifo_png, "--library", tmp_path / "lib")
    assert done.returncode == 2 and done.stderr == f"error: {fifo_png}: is a FIFO (named pipe), not a regular file\n"
    assert seconds < 10  # the process start dominates: each refusal is a stat


@needs_fifo
def test_script_references_and_font_that_are_special_files_are_located_problems(tmp_path):
    from storyboard.errors import ScriptError
    from storyboard.script import load_story

    os.mkfifo(tmp_path / "face.png")
    os.symlink("/dev/zero", tmp_path / "zero.ttf")
    script = tmp_path / "s.yaml"
    script.write_text("title: T\nstyle: {font: zero.ttf}\ncharacters:\n  ana: {references: [face.png]}\n"
                      "scenes:\n  - panels:\n      - action: x\n")
    with pytest.raises(ScriptError, match="'zero.ttf' is outside the script's folder"):
        load_story(script)  # the link leads out of the folder
    with pytest.raises(ScriptError) as caught:
        load_story(script, allow_paths=["/dev"])
    assert str(caught.value).splitlines() == [
        f"{script}:2:15: style.font: font file 'zero.ttf' is a character device, not a regular file",
        f"{script}:4:22: characters.ana.references[0]: reference image 'face.png' is a FIFO (named pipe), "
        "not a regular file",
    ]
    with pytest.raises(CharacterError, match="is a character device, not a regular file"):
        load_reference("/dev/zero")


@pytest.mark.parametrize("size", [(10_000, 1), (1, 40_000_000), (3000, 200)])
def test_extreme_aspect_is_refused_by_the_header_before_decoding(tmp_path, size):
    # An IHDR alone declares the size: decoding would need the (absent) pixel data.
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", *size, 8, 2, 0, 0, 0)) + _chunk(b"IEND", b"")
    with pytest.raises(CharacterError, match=rf"{size[0]}x{size[1]} is not a picture of a character"):
        decode(data, tmp_path / "odd.png")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(pixels: np.ndarray, colour_type: int, depth: int, transparent: tuple[int, ...]) -> bytes:
    """A PNG with a tRNS chunk (one transparent grey level or RGB colour), written by hand:
    Pillow does not write 16-bit or RGB tRNS files."""
    height, width = pixels.shape[:2]
    dtype = ">u2" if depth == 16 else "u1"
    rows = b"".join(b"\0" + pixels[y].astype(dtype).tobytes() for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0))
            + _chunk(b"tRNS", struct.pack(f">{len(transparent)}H", *transparent))
            + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b""))


@pytest.mark.parametrize("kind", ["grey 8-bit", "RGB 8-bit", "grey 16-bit", "RGB 16-bit"])
def test_single_colour_transparency_is_white(tmp_path, kind):
    grey, depth = kind.startswith("grey"), 16 if "16" in kind else 8
    scale = 257 if depth == 16 else 1
    shape = (8, 8) if grey else (8, 8, 3)
    pixels = np.zeros(shape, dtype=np.int64)  # the background: black, declared transparent
    pixels[2:6, 2:6] = 90 * scale  # the subject: dark grey, opaque
    key = (0,) if grey else (0, 0, 0)
    image, _ = decode(_png(pixels, 0 if grey else 2, depth, key), tmp_path / f"{kind}.png")
    rgb = np.asarray(image)
    assert image.mode == "RGB"
    assert (rgb[0, 0] == 255).all() and (rgb[7, 7] == 255).all()  # was black: now the page's white
    assert (rgb[3, 3] == 90).all()  # the subject is untouched
    if kind == "grey 16-bit":  # the key is compared before scaling: a near-black 1/65535 stays opaque
        # (Pillow reads 16-bit RGB as 8-bit, so there a colour within 1/256 of the key is clear too)
        pixels[0, 0] = 1
        near, _ = decode(_png(pixels, 0 if grey else 2, depth, key), tmp_path / "near.png")
        assert (np.asarray(near)[0, 0] == 0).all()
