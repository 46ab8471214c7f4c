"""Pages are built on their own and kept under a key of their inputs (storyboard.export.pieces):
a one-panel edit redraws that page alone, and the PDF assembled from the pieces has the same
pages as a cold render (text, drawing operators, fonts), whether pages were drawn here or by
worker processes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

import storyboard
from tests.render.test_crash import long_story


def render(script: Path, out: Path, cache, **kw):
    return storyboard.render(script, engine="draft", out=out, cache=cache, **kw)


def pages_of(path: Path) -> list[tuple[bytes, list[str]]]:
    """Each page's drawing operators (its content stream, decoded) and the XObjects it uses."""
    with pikepdf.open(path) as pdf:
        return [(page.obj.Contents.read_bytes(), sorted(page.obj.Resources.XObject.keys())) for page in pdf.pages]


def text_of(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_one_panel_edit_redraws_only_its_page_and_equals_a_cold_render(tmp_path):
    script = long_story(tmp_path / "story.yaml", panels=24, dpi=40)  # 4 pages of 6 panels
    cache = tmp_path / "cache"
    first = render(script, tmp_path / "first.pdf", cache)
    assert (first.pages, first.pages_drawn) == (4, 4)
    assert render(script, tmp_path / "again.pdf", cache).pages_drawn == 0
    assert pages_of(tmp_path / "again.pdf") == pages_of(tmp_path / "first.pdf")

    text = script.read_text()
    script.write_text(text.replace("house 8 (a)", "house 8 (edited)").replace("Line 8.", "Line eight?"))
    edited = render(script, tmp_path / "edited.pdf", cache)
    assert edited.pages_drawn == 1 and edited.panels_generated == 1
    cold = render(script, tmp_path / "cold.pdf", False)
    assert cold.pages_drawn == 4
    warm_pages, cold_pages = pages_of(tmp_path / "edited.pdf"), pages_of(tmp_path / "cold.pdf")
    assert warm_pages == cold_pages
    assert warm_pages[1] != pages_of(tmp_path / "first.pdf")[1]  # the edited page is new
    assert warm_pages[0] == pages_of(tmp_path / "first.pdf")[0]
    assert "eight?" in text_of(tmp_path / "edited.pdf") and "(edited)" in text_of(tmp_path / "edited.pdf")
    assert text_of(tmp_path / "edited.pdf") == text_of(tmp_path / "cold.pdf")
    assert edited.lettering == cold.lettering  # the manifest's report, from the pieces


def test_pages_drawn_by_workers_equal_pages_drawn_here(tmp_path, monkeypatch):
    script = long_story(tmp_path / "story.yaml", panels=36, dpi=40)  # 6 pages: several workers where cores allow
    parallel = render(script, [tmp_path / "parallel.pdf", tmp_path / "parallel"], False)
    monkeypatch.setenv("STORYBOARD_WORKERS", "1")
    here = render(script, [tmp_path / "here.pdf", tmp_path / "here"], False)
    assert pages_of(tmp_path / "parallel.pdf") == pages_of(tmp_path / "here.pdf")
    assert parallel.lettering == here.lettering
    pngs = sorted((tmp_path / "parallel").glob("page-*.png"))
    assert len(pngs) == 6
    for png in pngs:  # PNG pages too (their text chunks carry each run's id)
        with Image.open(png) as one, Image.open(tmp_path / "here" / png.name) as two:
            assert one.tobytes() == two.tobytes(), png.name
    fonts = subprocess.run(["pdffonts", str(tmp_path / "parallel.pdf")], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes yes yes " in line for line in fonts)  # embedded, subset, with Unicode maps


def test_a_stored_piece_whose_parts_do_not_add_up_is_rebuilt(tmp_path):
    # A piece that starts and ends as one but lost bytes inside is a miss, not a failed render.
    script = long_story(tmp_path / "story.yaml", panels=12, dpi=40)  # 2 pages
    cache = tmp_path / "cache"
    render(script, tmp_path / "first.pdf", cache)
    pieces = sorted(cache.glob("??/*.page.pdfpart"))
    assert len(pieces) == 2
    data = pieces[0].read_bytes()
    pieces[0].write_bytes(data[:len(data) // 2] + data[len(data) // 2 + 1:])
    again = render(script, tmp_path / "again.pdf", cache)
    assert again.pages_drawn == 1
    assert pages_of(tmp_path / "again.pdf") == pages_of(tmp_path / "first.pdf")
    assert pieces[0].read_bytes() == data  # stored again whole


@pytest.mark.parametrize("damage", [0.1, 0.5, 0.99, "link", "fifo", "short"])
def test_a_damaged_stored_piece_is_rebuilt(tmp_path, damage):
    # Damage that keeps the length (a flipped bit on disk, a hand edit: in the head, a
    # compressed stream or an object) is a miss too, never a broken PDF. Only a regular file
    # is taken from the store (a link is not followed, a FIFO would block the copy); its size
    # is checked with the rest on the run's own copy.
    import os

    script = long_story(tmp_path / "story.yaml", panels=6, dpi=40)
    cache = tmp_path / "cache"
    render(script, tmp_path / "first.pdf", cache)
    (piece,) = cache.glob("??/*.page.pdfpart")
    data = piece.read_bytes()
    if isinstance(damage, float):
        at = int(len(data) * damage)
        piece.write_bytes(data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1:])
    elif damage == "link":
        (tmp_path / "elsewhere").write_bytes(data)
        piece.unlink()
        piece.symlink_to(tmp_path / "elsewhere")
    elif damage == "fifo":
        piece.unlink()
        os.mkfifo(piece)
    else:
        piece.write_bytes(data[:40])
    again = render(script, tmp_path / "again.pdf", cache)
    assert again.pages_drawn == 1
    assert pages_of(tmp_path / "again.pdf") == pages_of(tmp_path / "first.pdf")
    with pikepdf.open(tmp_path / "again.pdf") as pdf:
        assert not pdf.check_pdf_syntax()
    assert piece.read_bytes() == data and not piece.is_symlink()  # stored again whole


def test_a_reused_piece_is_read_and_checked_once(tmp_path, monkeypatch):
    # It was read and its digest checked by the store (to know whether to reuse it), then
    # read and checked again by the join; now it is checked once, on the run's own copy.
    import storyboard.export.pdf as pdf

    script = long_story(tmp_path / "story.yaml", panels=12, dpi=40)  # 2 pages
    cache = tmp_path / "cache"
    assert render(script, tmp_path / "first.pdf", cache).pages_drawn == 2
    checked = []
    real = pdf.piece_intact
    monkeypatch.setattr(pdf, "piece_intact", lambda data: checked.append(len(data)) or real(data))
    assert render(script, tmp_path / "again.pdf", cache).pages_drawn == 0
    assert len(checked) == 2  # one check a page
    assert pages_of(tmp_path / "again.pdf") == pages_of(tmp_path / "first.pdf")
