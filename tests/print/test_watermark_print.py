from __future__ import annotations

import io

import pytest
from PIL import Image

from storyboard.errors import GenerationError
from storyboard.watermark import _parse, _payload, mark, read

from .conftest import drawn_panel, painted_panel


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def test_payload_round_trips_and_rejects_a_flipped_bit():
    bits = _payload("0badcafe")
    assert len(bits) == 56 and _parse(bits) == "0badcafe"
    for i in (0, 20, 55):
        flipped = list(bits)
        flipped[i] ^= 1
        assert _parse(flipped) is None


@pytest.mark.parametrize("make", [drawn_panel, painted_panel])
def test_mark_is_read_back_and_invisible(make):
    import numpy as np

    panel = make(512, 384, seed=1)
    run_id = "9f3e61d7"
    marked = mark(panel, run_id)
    assert marked.size == panel.size and marked.mode == "RGB"
    assert read(marked) == run_id
    assert read(panel) is None
    error = np.asarray(marked, dtype=float) - np.asarray(panel, dtype=float)
    assert 10 * np.log10(255**2 / (error**2).mean()) > 30  # PSNR in dB


@pytest.mark.parametrize("make", [drawn_panel, painted_panel])
def test_mark_survives_jpeg_quality_85(make):
    marked = mark(make(512, 384, seed=2), "00c0ffee")
    assert read(jpeg(marked, 85)) == "00c0ffee"


def test_mark_survives_placement_on_a_page_and_crop_back():
    marked = mark(painted_panel(400, 300, seed=4), "12345678")
    page = Image.new("RGB", (700, 600), "white")
    page.paste(marked, (137, 91))
    assert read(page.crop((137, 91, 537, 391))) == "12345678"


def test_alpha_is_kept():
    panel = painted_panel(300, 300).convert("RGBA")
    marked = mark(panel, "abcdef01")
    assert marked.mode == "RGBA" and read(marked) == "abcdef01"


def test_bad_run_id_and_tiny_panel_are_refused():
    with pytest.raises(ValueError, match="8 lowercase hex"):
        mark(painted_panel(300, 300), "ABC")
    with pytest.raises(GenerationError, match="too small"):
        mark(painted_panel(200, 200), "abcdef01")
    assert read(painted_panel(200, 200)) is None


def bgr(image: Image.Image):
    """The float32 BGR array the package's encoder and decoder take (no uint8 wrap-around)."""
    import numpy as np

    return np.asarray(image.convert("RGB"), dtype=np.float32)[:, :, ::-1].copy()


@pytest.mark.parametrize("quality", [None, 60])
def test_vote_fractions_round_to_the_package_decoder_bits(quality):
    pytest.importorskip("imwatermark")
    from imwatermark import WatermarkDecoder

    from storyboard.watermark import _bit_scores

    image = mark(painted_panel(600, 500, seed=5), "0badcafe")
    if quality:
        image = jpeg(image, quality)
    package = [int(b) for b in WatermarkDecoder("bits", 56).decode(bgr(image), "dwtDctSvd")]
    assert [int(s > 0.5) for s in _bit_scores(image)] == package


@pytest.mark.parametrize("make", [drawn_panel, painted_panel])
def test_panels_marked_by_the_package_encoder_still_read(make):
    import numpy as np

    pytest.importorskip("imwatermark")
    from imwatermark import WatermarkEncoder

    encoder = WatermarkEncoder()
    encoder.set_watermark("bits", _payload("0badcafe"))
    marked = encoder.encode(bgr(make(400, 300, seed=6)), "dwtDctSvd", scales=[0, 36, 0])
    image = Image.fromarray(np.clip(np.rint(marked[:, :, ::-1]), 0, 255).astype(np.uint8))
    assert read(image) == "0badcafe"


def test_doubtful_bits_are_corrected_but_confident_errors_are_not():
    from storyboard.watermark import _decode

    scores = [0.9 if b else 0.1 for b in _payload("0badcafe")]
    for i in (3, 17, 40):  # three wrong votes, the least certain of all
        scores[i] = 0.45 if scores[i] == 0.9 else 0.55
    assert _decode(scores) == "0badcafe"
    scores[50] = 0.1 if scores[50] == 0.9 else 0.9  # a fourth, confidently wrong
    assert _decode(scores) is None


def test_unmarked_panels_read_as_unmarked():
    for seed in range(6):
        assert read(drawn_panel(400, 300, seed=50 + seed)) is None
        assert read(painted_panel(400, 300, seed=50 + seed)) is None
