"""storyboard.export.canvas paints PNG pages with Skia as the PDF paints them."""

from __future__ import annotations

import numpy as np
import pytest
import skia

from storyboard.drawing import Drawing, Path as DrawPath
from storyboard.export.canvas import _EVEN_ODD, _PIXELS, _WINDING, PageCanvas, _floats, _path
from storyboard.text.fonts import bundled_chain


def test_paths_built_from_bytes_are_the_paths_skias_api_builds():
    # _path writes Skia's serialised form (much quicker than point by point): a Skia that
    # reads it otherwise would fail here, not draw something else
    rings = [[(0.5, 1.25), (40, 2), (33.5, 30)], [(5, 5), (9, 5), (9, 9), (5, 9)]]
    for closed, fill_type, kind in ((True, _EVEN_ODD, skia.PathFillType.kEvenOdd),
                                    (False, _WINDING, skia.PathFillType.kWinding)):
        ours = _path(b"".join(map(_floats, rings)), tuple(map(len, rings)), closed, fill_type)
        theirs = skia.Path()
        theirs.setFillType(kind)
        for ring in rings:
            theirs.addPoly(ring, closed)
        assert ours == theirs


def test_a_drawing_fills_its_box_only_and_strokes_with_round_caps():
    page = PageCanvas(60, 40)
    line = DrawPath((2.0, 10.0, 18.0, 10.0), stroke=(200, 0, 0), width=4.0, closed=False)
    page.drawing(Drawing(20, 20, (10, 20, 30), (line,)), 10, 10, 40, 20)  # scaled 2x across, 1x down
    rgb = np.asarray(page.pil())[..., :3].astype(int)
    assert (rgb[:10] == 255).all() and (rgb[30:] == 255).all() and (rgb[:, :10] == 255).all()  # clipped
    assert tuple(rgb[15, 12]) == (10, 20, 30)  # background over the box
    assert tuple(rgb[20, 30]) == (200, 0, 0)  # the line's middle
    # a round cap reaches half the width past the end (2 units = 4 px at 2x across)
    assert tuple(rgb[20, 10 + 2 * 2 - 2]) == (200, 0, 0) and tuple(rgb[20, 10 + 2 * 18 + 2]) == (200, 0, 0)


def test_text_is_inked_where_its_glyphs_are():
    page = PageCanvas(200, 60)
    page.text(bundled_chain(), "Hello", 10, 40, 30, fill=(0, 0, 1))
    pixels = np.asarray(page.pil())
    ink = pixels[..., 2].astype(int) - pixels[..., 0]  # blue over white
    rows, cols = np.nonzero(ink)
    assert rows.min() >= 40 - 30 and rows.max() <= 41 and cols.min() >= 10 and cols.max() < 10 + 30 * 3
    # smoothed edges: some pixels partly inked
    partial = (pixels[..., 0] > 0) & (pixels[..., 0] < 255)
    assert partial.sum() > 20


def _filled(chain, text, x, y, size, *, bold=False, skew=0.0, vertical=False):
    """The line as the PDF paints it: its glyph outlines filled (and stroked, emboldened)."""
    import math

    from storyboard.export.canvas import _line, _stroke
    from storyboard.text.fonts import FAUX_BOLD

    page = PageCanvas(320, 320)
    lean = math.tan(math.radians(skew))
    place = skia.Matrix.MakeAll(size, lean * size, x, 0, -size, y, 0, 0, 1)
    plain, faux = _line(chain, text, bold, vertical).paths()
    for path, grow in ((plain, 0.0), (faux, FAUX_BOLD * size)):
        if path is not None:
            placed = skia.Path()
            path.transform(place, placed)
            page.canvas.drawPath(placed, skia.Paint(AntiAlias=True))
            if grow:
                page.canvas.drawPath(placed, _stroke((0, 0, 0), grow))
    return np.asarray(page.pil().convert("L"), dtype=int)


@pytest.mark.parametrize("chain, text, bold, skew, vertical", [
    (bundled_chain(), "Wave, Tomás! 42", False, 0.0, False),
    (bundled_chain(), "CRACK", True, 12.0, False),
    (bundled_chain("ja"), "ドン！12月2026年", True, 0.0, True),  # faux bold, sideways digits
    (bundled_chain("ar"), "مرحبا بالعالم", False, 0.0, False),
])
def test_glyphs_stamped_from_their_masks_are_the_filled_outlines(chain, text, bold, skew, vertical):
    # Each glyph is rasterised once per size and quarter-pixel position, then copied: at
    # fractional positions the line still matches its outlines filled in place (the PDF) to
    # within an eighth of a pixel (a glyph one pixel off: over 60 grey levels an inked pixel).
    x, y, size = 20.37, (40.6 if vertical else 150.81), 27.3
    page = PageCanvas(320, 320)
    page.text(chain, text, x, y, size, bold=bold, skew=skew, vertical=vertical)
    ours = np.asarray(page.pil().convert("L"), dtype=int)
    theirs = _filled(chain, text, x, y, size, bold=bold, skew=skew, vertical=vertical)
    diff = np.abs(ours - theirs)
    ink = (theirs < 255).sum()
    assert ink > 500 and diff.mean() * diff.size / ink < 16 and (diff > 110).sum() < ink * 0.01, (
        diff.mean() * diff.size / ink, (diff > 100).sum() / ink)


def test_a_glyph_that_recurs_is_copied_from_one_image():
    from storyboard.export import canvas

    page = PageCanvas(200, 60)
    canvas._STAMPS.clear()
    page.text(bundled_chain(), "oooo", 10.25, 40, 20)
    stamps = [key for key, value in canvas._STAMPS.items() if value is not None]
    assert 1 <= len(stamps) <= 4  # one per quarter-pixel phase at most, not one per glyph drawn


def test_png_page_is_the_pdf_as_a_viewer_shows_it(tmp_path):
    # Painted as the PDF is (sketches over their exact art box, frames on the pixel grid as
    # viewers adjust thin strokes, text and balloons anti-aliased from the same outlines):
    # poppler's raster of the PDF and the PNG page differ by under a grey level on average.
    # (Pillow drawing shape by shape and pasting: 2.5 levels, 1 % of pixels off by over 60.)
    import shutil
    import subprocess
    import textwrap

    import pytest
    from PIL import Image

    import storyboard
    from tests.draft.test_draft_vectors import STORY

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    script = tmp_path / "s.yaml"
    script.write_text(textwrap.dedent(STORY).replace("dpi: 100}", "dpi: 150}"))
    storyboard.render(script, engine="draft", out=[tmp_path / "b.pdf", tmp_path / "pages"], cache=False)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(tmp_path / "b.pdf"), str(tmp_path / "pdf")], check=True)
    (raster,), (page,) = sorted(tmp_path.glob("pdf-*.png")), sorted((tmp_path / "pages").glob("page-*.png"))
    with Image.open(raster) as one, Image.open(page) as two:
        x, y = np.asarray(one.convert("RGB"), dtype=int), np.asarray(two.convert("RGB"), dtype=int)
    assert x.shape == y.shape
    diff = np.abs(x - y).max(axis=2)
    assert diff.mean() < 1.5 and (diff > 60).mean() < 0.005, (diff.mean(), (diff > 60).mean())


def test_a_painted_page_is_encoded_from_its_bands_as_it_plays_them():
    import io

    from PIL import Image

    from storyboard.export.canvas import BAND_ROWS
    from storyboard.export.png import png_bytes

    page = PageCanvas(300, 2 * BAND_ROWS + 37)  # three bands, the last short
    line = DrawPath((0.0, 0.0, 100.0, 100.0), fill=(200, 30, 30), stroke=(0, 0, 90), width=3.0, closed=True)
    page.drawing(Drawing(100, 100, (240, 230, 220), (line,)), 20, 10, 260, 2 * BAND_ROWS)
    page.shape([(30, 500), (290, 520), (160, 540)], fill=(0, 1, 0), stroke=(0, 0, 0), width=4)
    data = png_bytes(page, dpi=(300, 300))
    assert png_bytes(page, dpi=(300, 300)) == data  # played again: the same bytes
    with Image.open(io.BytesIO(data)) as back:
        assert back.mode == "RGB" and back.size == page.size and back.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        decoded = np.asarray(back).astype(int)
    whole = np.asarray(page.pil())[..., :3].astype(int)
    # Skia smooths an edge a little differently on a band than on the whole page, and where
    # a band ends an aliased edge may step by a pixel: nothing else differs (no band is
    # missing or out of place)
    diff = np.abs(decoded - whole).max(axis=2)
    assert diff.max() <= 64 and diff.mean() < 0.5, (diff.max(), diff.mean())


def _filters(png: bytes, width: int) -> set[int]:
    # the filter type byte of every row of an RGB PNG's pixels
    import struct
    import zlib

    pos, idat = 8, b""
    while pos < len(png):
        (length,), kind = struct.unpack(">I", png[pos:pos + 4]), png[pos + 4:pos + 8]
        idat += png[pos + 8:pos + 8 + length] if kind == b"IDAT" else b""
        pos += 12 + length
    rows = zlib.decompress(idat)
    return set(rows[::width * 3 + 1])


def test_line_art_is_written_unfiltered_and_raster_art_with_the_up_filter(monkeypatch):
    # ISA-L deflates unfiltered line art about as small as Up-filtered rows, and it spares
    # the filter's pass; photographs keep the Up filter. The same pixels either way.
    import io

    from PIL import Image

    from storyboard.export import png
    from storyboard.export.canvas import BAND_ROWS

    pytest.importorskip("isal")
    page = PageCanvas(120, BAND_ROWS + 50)  # two bands
    page.shape([(10, 10), (110, 30), (60, BAND_ROWS + 40)], fill=(200, 30, 30), stroke=(0, 0, 90), width=3)
    photo = PageCanvas(120, BAND_ROWS + 50)
    photo.shape([(10, 10), (110, 30), (60, BAND_ROWS + 40)], fill=(200, 30, 30), stroke=(0, 0, 90), width=3)
    photo.image(np.random.default_rng(1).integers(0, 256, (30, 40, 3), dtype=np.uint8), 70, BAND_ROWS - 10)
    assert not page.raster and photo.raster
    line_art, raster = png.png_bytes(page), png.png_bytes(photo)
    assert _filters(line_art, 120) == {0} and _filters(raster, 120) == {2}
    assert png.png_bytes(page) == line_art  # played again: the same bytes
    import zlib

    monkeypatch.setattr(png, "_deflate", zlib)  # where ISA-L is missing: every row Up
    filtered = png.png_bytes(page)
    assert _filters(filtered, 120) == {2}
    pixels = [np.asarray(Image.open(io.BytesIO(data))) for data in (line_art, filtered)]
    assert np.array_equal(*pixels) and pixels[0].shape == (BAND_ROWS + 50, 120, 3)
    assert (pixels[0] != 255).any()


def test_bands_spaced_by_a_stride_are_the_rows_with_zeros_between():
    page = PageCanvas(50, 300)
    page.shape([(0, 0), (50, 20), (10, 290)], fill=(10, 120, 240), stroke=(0, 0, 0), width=2)
    rows = b"".join(page.bands())
    spaced = np.frombuffer(b"".join(page.bands(50 * 3 + 2)), np.uint8).reshape(300, 152)
    assert spaced[:, :150].tobytes() == rows and not spaced[:, 150:].any()
    with pytest.raises(ValueError, match="do not fit"):
        next(page.bands(149))


def _as_cleared(size, drawings, rows):
    # the page as painted before the paper was laid around the art: cleared white first,
    # every drawing's background filled, played in bands of `rows`
    from storyboard.export import canvas as module
    from storyboard.export.canvas import _fill, _stroke

    recorder = skia.PictureRecorder()
    canvas = recorder.beginRecording(skia.Rect.MakeWH(*size), skia.RTreeFactory()())
    canvas.clear(skia.ColorWHITE)
    for drawing, x, y, w, h in drawings:
        heads, coords = drawing.grid()
        smooth = max(w, h) < module._SMALL
        canvas.save()
        canvas.clipRect(skia.Rect.MakeXYWH(x, y, w, h), False)
        canvas.translate(x, y)
        canvas.scale(w / drawing.width / 16, h / drawing.height / 16)
        canvas.drawRect(skia.Rect.MakeWH(round(drawing.width * 16), round(drawing.height * 16)),
                        _fill(drawing.background, smooth))
        at = 0
        for fill, stroke, width, closed, n in heads:
            path = _path(np.asarray(coords[at:at + n], np.float32).tobytes(), (n // 2,), closed, _WINDING)
            at += n
            if fill is not None:
                canvas.drawPath(path, _fill(tuple(fill), smooth))
            if stroke is not None:
                canvas.drawPath(path, _stroke(tuple(stroke), width * 16, smooth))
        canvas.restore()
    picture = recorder.finishRecordingAsPicture()
    pixels = np.zeros((size[1], size[0], 4), np.uint8)
    for top in range(0, size[1], rows):
        band = np.zeros((rows, size[0], 4), np.uint8)
        surface = skia.Surface(band, colorType=_PIXELS, alphaType=skia.kPremul_AlphaType)
        surface.getCanvas().translate(0, -top)
        surface.getCanvas().drawPicture(picture)
        pixels[top:top + rows] = band[:size[1] - top]
    return picture, pixels[..., :3]


def test_paper_is_laid_around_the_art_and_hidden_backgrounds_are_left_out(monkeypatch):
    # A page is not cleared white under its panels, and a drawing's background is not filled
    # where its own rectangles cover its box (a sky in bands): the same pixels, on boxes at
    # any fraction of a pixel (ends a hair either side of a pixel's middle included), in
    # bands that held another page's pixels before.
    from storyboard.export import canvas
    from storyboard.export.canvas import BAND_ROWS

    monkeypatch.setattr(canvas, "_SMALL", 100)  # boxes this small painted as at print size (not smoothed)

    dirty = PageCanvas(700, 2 * BAND_ROWS + 90)
    dirty.shape([(0, 0), (700, 0), (700, 700), (0, 700)], fill=(0.1, 0.9, 0.2))
    assert len(b"".join(dirty.bands())) == 700 * 3 * (2 * BAND_ROWS + 90)
    sky = [DrawPath((0.0, y, 100.0, y, 100.0, y + 26.0, 0.0, y + 26.0), fill=(200 - y, 210, 230)) for y in range(0, 100, 25)]
    figure = DrawPath((30.0, 20.0, 60.0, 90.0, 20.0, 80.0), fill=(90, 60, 40), stroke=(0, 0, 0), width=2.0)
    hidden = Drawing(100, 100, (250, 10, 10), (*sky, figure))  # the red background never shows
    gap = Drawing(100, 100, (250, 10, 10), (*sky[:2], *sky[3:], figure))  # a band short: it shows
    seen, counts = 0, []
    for x, y in ((3.0, 2.0), (10.49, 4.51), (20.5, 7.5), (14.1, 9.97), (7.5 + 1 / 64, 5.5 - 1 / 128)):
        boxes = [(hidden, x, y, 200.3, 180.0), (gap, x + 230, y + 10, 170.0, 190.5),
                 (hidden, x + 420.0, y + 300.0, 250.25, 240.0), (gap, x + 10, y + 330, 300.0, 280.0),
                 (hidden, x + 330.3, y + 250.0, 60.3, 50.0)]  # smoothed (under 100 px): its background kept
        page = PageCanvas(*dirty.size)
        for drawing, *box in boxes:
            page.drawing(drawing, *box)
        picture, expected = _as_cleared(page.size, boxes, BAND_ROWS)
        rgb = np.frombuffer(b"".join(page.bands()), np.uint8).reshape(expected.shape)
        assert np.array_equal(rgb, expected), (x, y, np.argwhere((rgb != expected).any(axis=2))[:5])
        assert np.array_equal(np.asarray(page.pil())[..., :3], _as_cleared(page.size, boxes, page.size[1])[1])
        seen += int((rgb == (250, 10, 10)).all(axis=2).sum() > 0)
        counts.append(picture.approximateOpCount() - page._played().approximateOpCount())
    assert seen == 5  # the red background of the drawings with a gap
    # no clear; the backgrounds of both hidden drawings left out, except where a box's edge
    # lies within 1/32 px of a pixel's middle (10.49, 4.51 and 7.5 + 1/64 are; 20.5 and
    # 7.5 are exactly: left in)
    assert counts == [3, 1, 1, 3, 1]


def test_paper_is_the_page_less_the_covered_boxes():
    from storyboard.export.canvas import _paper

    covered = [(10, 5, 40, 30), (35, 20, 90, 45), (-5, 40, 20, 70), (60, 60, 200, 200)]
    mask = np.zeros((80, 100), int)
    for left, top, right, bottom in _paper((100, 80), covered):
        assert 0 <= left < right <= 100 and 0 <= top < bottom <= 80
        mask[top:bottom, left:right] += 1
    inside = np.zeros((80, 100), bool)
    for left, top, right, bottom in covered:
        inside[max(0, top):bottom, max(0, left):right] = True
    assert (mask <= 1).all() and np.array_equal(mask == 1, ~inside)
    assert _paper((100, 80), []) == [(0, 0, 100, 80)]


def test_strokes_outlined_when_painted_are_the_strokes_skia_draws():
    # wide strokes are turned into their outline once, when painted, not again by Skia for
    # every band they cross: the same pixels as the stroke drawn as it is
    import math

    from storyboard.export.canvas import BAND_ROWS, _byte_rgb, _fill, _stroke

    ring = [(150 + 120 * math.cos(t / 20 * math.pi), BAND_ROWS + 110 * math.sin(t / 20 * math.pi)) for t in range(40)]
    zigzag = [(20 + 9.3 * k, BAND_ROWS - 40 + (37.7 if k % 2 else 0)) for k in range(30)]
    frame = [(10.5, 10.5), (289.5, 10.5), (289.5, 2 * BAND_ROWS - 20.5), (10.5, 2 * BAND_ROWS - 20.5)]
    for width in (0.8, 1.0, 1.5, 4.0, 9.25):
        page = PageCanvas(300, 2 * BAND_ROWS)
        recorder = skia.PictureRecorder()
        canvas = recorder.beginRecording(skia.Rect.MakeWH(300, 2 * BAND_ROWS), skia.RTreeFactory()())
        canvas.clear(skia.ColorWHITE)
        for points, closed, fill in ((ring, True, (0.9, 0.9, 1.0)), (zigzag, False, None), (frame, True, None)):
            page.shape(points, fill=fill, stroke=(0.1, 0.2, 0.3), width=width, closed=closed)
            outline = _path(_floats(points), (len(points),), closed, _EVEN_ODD)
            if fill is not None:
                canvas.drawPath(outline, _fill(_byte_rgb(fill)))
            canvas.drawPath(outline, _stroke(_byte_rgb((0.1, 0.2, 0.3)), width))
        runs = [ring[:7], ring[9:15]]  # a dashed outline's pieces
        page.shape(ring, stroke=(1, 0, 0), width=width, runs=runs)
        canvas.drawPath(_path(b"".join(map(_floats, runs)), (7, 6), False, _EVEN_ODD), _stroke((255, 0, 0), width))
        picture = recorder.finishRecordingAsPicture()
        expected = b""
        for top in (0, BAND_ROWS):
            band = np.zeros((BAND_ROWS, 300, 4), np.uint8)
            surface = skia.Surface(band, colorType=_PIXELS, alphaType=skia.kPremul_AlphaType)
            surface.getCanvas().translate(0, -top)
            surface.getCanvas().drawPicture(picture)
            expected += band[..., :3].tobytes()
        assert b"".join(page.bands()) == expected, width


def test_colours_come_out_in_rgb_order_in_bands_and_whole_pages():
    # Skia is told the pixels are B, G, R, A and given colours with red and blue swapped
    # (`canvas._PIXELS`): every way paint reaches the page must come out R, G, B.
    rgb = np.zeros((40, 40, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 200, 30, 90  # raster art
    page = PageCanvas(300, 200)
    page.image(rgb, 10, 10)
    page.shape([(60, 10), (100, 10), (100, 50), (60, 50)], fill=(1.0, 0.0, 0.0))
    page.shape([(110, 10), (150, 10), (150, 50), (110, 50)], fill=(0.0, 0.0, 1.0), stroke=(0.0, 1.0, 0.0), width=4)
    page.drawing(Drawing(10, 10, (250, 10, 10), (DrawPath((0.0, 0.0, 10.0, 0.0, 10.0, 5.0, 0.0, 5.0), fill=(10, 20, 240)),)),
                 160, 10, 40, 40)
    page.text(bundled_chain(), "W", 220, 60, 50, fill=(0.0, 0.0, 1.0))
    bands = np.frombuffer(b"".join(page.bands()), np.uint8).reshape(200, 300, 3)
    whole = np.asarray(page.pil())[..., :3]
    for pixels in (bands, whole):
        assert tuple(pixels[30, 30]) == (200, 30, 90)
        assert tuple(pixels[30, 80]) == (255, 0, 0)
        assert tuple(pixels[30, 130]) == (0, 0, 255)
        assert tuple(pixels[10, 130]) == (0, 255, 0)  # the outline
        assert tuple(pixels[15, 180]) == (10, 20, 240) and tuple(pixels[40, 180]) == (250, 10, 10)
        ink = pixels[10:60, 220:270].reshape(-1, 3)
        dark = ink[ink.sum(axis=1) < 300]
        assert len(dark) and (dark[:, 2] == 255).all() and (dark[:, 0] == dark[:, 1]).all()  # blue glyph, AA towards white
        assert tuple(pixels[190, 290]) == (255, 255, 255)  # paper
