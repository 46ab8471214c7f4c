"""Vector drafts: the PDF gets paths (no images), PNG pages rasterise the same drawing, the
cache keeps drawings, labels stay inside the live area, the same seed gives the same bytes."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import storyboard
from storyboard.drawing import Drawing, Path as DrawPath, rasterise
from storyboard.engines.draft import DraftEngine
from storyboard.export import compose
from storyboard.layout import paginate
from storyboard.text import load_chain
from storyboard.script import load_story

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))

# A small page at a low dpi keeps the PNG/PDF comparison quick; no bleed, so the PDF's
# media box is the trimmed page the PNG shows.
STORY = """
title: Vectors
page: {size: [120, 160], margin_mm: 8, bleed_mm: 0, dpi: 100}
characters:
  ada: {name: Ada, description: a woman}
  bo: {name: Bo, description: a man}
scenes:
  - id: one
    setting: a harbour at dusk
    panels:
      - shot: wide
        action: Ada and Bo walk along the pier
        cast: [ada: left, bo: right]
        dialogue: [ada: Look at the boats.]
      - shot: close-up
        angle: dutch
        action: Bo frowns at the sky
        cast: [bo: {position: center, expression: worried}]
      - shot: establishing
        angle: high
        action: the whole harbour from the lighthouse
"""


def need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")


@pytest.fixture
def script(tmp_path) -> Path:
    path = tmp_path / "story.yaml"
    path.write_text(textwrap.dedent(STORY))
    return path


def test_pdf_has_no_raster_images_for_draft_panels(tmp_path):
    need("pdfimages")
    for example in EXAMPLES:
        if load_story(example).page.size == "webtoon":  # no pages, so no PDF: a strip of PNGs
            continue
        out = tmp_path / f"{example.stem}.pdf"
        storyboard.render(example, engine="draft", out=out, cache=False)
        listing = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True).stdout
        rows = listing.strip().splitlines()[2:]  # after the two header lines
        assert rows == [], f"{example.name}: {rows}"
    # Sketches as paths weigh a fraction of the same sketches as 300 dpi JPEGs.
    raster = DraftEngine()
    raster.draws_vectors = False
    storyboard.render(ROOT / "examples" / "lighthouse.yaml", engine=raster, out=tmp_path / "raster.pdf", cache=False)
    assert (tmp_path / "lighthouse.pdf").stat().st_size < 0.4 * (tmp_path / "raster.pdf").stat().st_size


def test_png_pages_agree_with_the_pdf(script, tmp_path):
    need("pdftoppm")
    storyboard.render(script, engine="draft", out=[tmp_path / "b.pdf", tmp_path / "pages"], cache=False)
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(tmp_path / "b.pdf"), str(tmp_path / "pdf")], check=True)
    pdf_pages = sorted(tmp_path.glob("pdf-*.png"))
    png_pages = sorted((tmp_path / "pages").glob("page-*.png"))
    assert len(pdf_pages) == len(png_pages) >= 1
    for a, b in zip(pdf_pages, png_pages):
        with Image.open(a) as one, Image.open(b) as two:
            x, y = np.asarray(one.convert("RGB"), dtype=int), np.asarray(two.convert("RGB"), dtype=int)
        assert abs(x.shape[0] - y.shape[0]) <= 1 and abs(x.shape[1] - y.shape[1]) <= 1
        h, w = min(x.shape[0], y.shape[0]), min(x.shape[1], y.shape[1])
        diff = np.abs(x[:h, :w] - y[:h, :w]).max(axis=2)
        # Anti-aliased edges differ by a pixel; the drawing itself must be the same.
        assert diff.mean() < 6, (a.name, diff.mean())
        assert (diff > 60).mean() < 0.04, (a.name, (diff > 60).mean())
    # ... and a different drawing would not pass: the comparison can fail.
    with Image.open(pdf_pages[0]) as one, Image.open(png_pages[0]) as two:
        shifted = np.roll(np.asarray(two.convert("RGB"), dtype=int), 12, axis=1)
        x = np.asarray(one.convert("RGB"), dtype=int)
        h, w = min(x.shape[0], shifted.shape[0]), min(x.shape[1], shifted.shape[1])
        assert (np.abs(x[:h, :w] - shifted[:h, :w]).max(axis=2) > 60).mean() >= 0.04


def test_same_seed_same_bytes(script, tmp_path):
    for run in ("a", "b"):
        storyboard.render(script, engine="draft", out=tmp_path / run, cache=False)
    pages = sorted(p.name for p in (tmp_path / "a").glob("page-*.png"))
    assert pages
    for name in pages:
        with Image.open(tmp_path / "a" / name) as one, Image.open(tmp_path / "b" / name) as two:
            assert one.tobytes() == two.tobytes(), name
    other = storyboard.render(script, engine="draft", out=tmp_path / "c", cache=False, seed=5)
    with Image.open(tmp_path / "a" / pages[0]) as one, Image.open(tmp_path / "c" / pages[0]) as two:
        assert other.pages and one.tobytes() != two.tobytes()


def test_drawing_bytes_round_trip_and_refuse_damage():
    from tests.plan.conftest import request

    drawing = DraftEngine().draw(request(640, 480, cast=3, angle="dutch"))
    data = drawing.to_bytes()
    assert Drawing.from_bytes(data) == drawing
    assert DraftEngine().draw(request(640, 480, cast=3, angle="dutch")).to_bytes() == data
    assert len(data) < 20_000  # kilobytes, where the 640x480 PNG it replaces was hundreds
    for bad in (data[:-9], b"PNG" + data, data[:12] + bytes(20) + data[32:]):
        with pytest.raises(ValueError):
            Drawing.from_bytes(bad)


def test_a_drawing_read_back_paints_the_same_pdf_paths():
    # A drawing read from its bytes keeps them (`Drawing.grid`) and the PDF is written from
    # them; its paths are made only when something asks for them.
    from storyboard.export.pdf import _vector
    from storyboard.layout import Rect
    from tests.plan.conftest import request

    drawing = DraftEngine().draw(request(640, 480, cast=3, angle="dutch"))
    back = Drawing.from_bytes(drawing.to_bytes())
    art = Rect(10, 20, 300, 200)
    assert _vector(back, art) == _vector(drawing, art)
    assert back.to_bytes() == drawing.to_bytes() and hash(back) == hash(drawing)
    assert len(back.ops) == len(drawing.ops) and back.ops[3] == drawing.ops[3] and list(back.ops) == list(drawing.ops)


def test_rasterise_scales_to_any_size():
    square = Drawing(10, 10, (255, 255, 255), (DrawPath((2, 2, 8, 2, 8, 8, 2, 8), fill=(0, 0, 0)),))
    for size in (10, 64, 900):
        pixels = np.asarray(rasterise(square, size, size))[..., 0]
        assert 0.3 < (pixels < 128).mean() < 0.42, size  # 36 % of the canvas, wherever drawn


def test_cache_keeps_drawings_and_a_warm_render_matches(script, tmp_path):
    cold = storyboard.render(script, engine="draft", out=tmp_path / "cold", cache=tmp_path / "cache")
    entries = sorted((tmp_path / "cache").glob("??/*.drawing"))
    assert len(entries) == cold.panels_total == 3 and not list((tmp_path / "cache").glob("??/*.png"))
    warm = storyboard.render(script, engine="draft", out=tmp_path / "warm", cache=tmp_path / "cache")
    assert warm.panels_cached == 3
    for a, b in zip(sorted((tmp_path / "cold").glob("*.png")), sorted((tmp_path / "warm").glob("*.png")), strict=True):
        with Image.open(a) as one, Image.open(b) as two:
            assert one.tobytes() == two.tobytes()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_labels_lie_inside_the_live_area_and_off_the_lettering(example):
    story = load_story(example)
    book = paginate(story)
    live = book.spec.live
    labelled = 0
    for page in compose(story, book, load_chain(), labels=True):
        labels = [item for item in page.items if item.kind == "label"]
        lettered = [item for item in page.items if item.kind not in ("label", "border", "notes", "header")]
        for item in labels:
            assert live.contains(item.bounds), (example.name, page.number, item.lines)
            assert any(slot.rect.contains(item.bounds) for slot in page.arts), item.lines
        labelled += len(labels)
        # Shot tags and action notes find room off the balloons and captions on these pages.
        for item in labels:
            if "·" in item.lines[0] and item.lines[0].split(" ·")[0].isdigit():
                assert not any(item.body.overlaps(other.bounds) for other in lettered), (example.name, item.lines)
    assert labelled
