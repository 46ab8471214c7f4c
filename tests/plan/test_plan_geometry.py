"""Generation geometry per model family, over every page template, page size and frame aspect."""

from __future__ import annotations

import math

import pytest

from storyboard.engines._geometry import SIZES, cover_crop, generation_size, image_box
from storyboard.layout import FRAME_ASPECTS, PAGE_SIZES, TEMPLATES, _cell_rect, _slot, page_spec
from storyboard.plan import plan_panels
from storyboard.script import PageSettings
from tests.pages.stories import panel, story

BUDGET = {"sd1": (512, 384, 768), "sd2": (768, 576, 1152), "sdxl": (1024, 640, 1536)}


def panel_aspects() -> list[float]:
    """The art aspect of every cell of every template on every page size, and every frame."""
    aspects = set()
    for size in (*[k for k in PAGE_SIZES if k != "storyboard"], [150, 200], [300, 120]):
        spec = page_spec(PageSettings(size=size))
        for template in TEMPLATES:
            for cell in template.cells:
                slot = _slot(0, 0, 0, _cell_rect(cell, spec.live, spec.gutter, False), spec, 1024, 1)
                aspects.add(round(slot.print_width / slot.print_height, 4))
    aspects |= {round(a, 4) for a in FRAME_ASPECTS.values()}
    return sorted(aspects)


def test_size_tables_follow_each_family():
    for family, (side, low, high) in BUDGET.items():
        for w, h in SIZES[family]:
            assert w % 64 == 0 and h % 64 == 0 and low <= min(w, h) and max(w, h) <= high
            assert 0.85 <= w * h / side**2 <= 1.15, (family, w, h)
    assert (512, 512) in SIZES["sd1"] and (768, 768) in SIZES["sd2"] and (1024, 1024) in SIZES["sdxl"]
    assert {(640, 1536), (1536, 640), (832, 1216), (1216, 832)} <= set(SIZES["sdxl"])


@pytest.mark.parametrize("family", sorted(SIZES))
def test_every_panel_aspect_gets_the_nearest_supported_size(family):
    for aspect in panel_aspects():
        w, h = generation_size(family, aspect, 10_000)
        assert (w, h) in SIZES[family]
        best = min(abs(math.log(a / b / aspect)) for a, b in SIZES[family])
        assert abs(math.log(w / h / aspect)) == pytest.approx(best)
        x0, y0, x1, y1 = cover_crop(w, h, aspect)
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert (x1 - x0 == w or y1 - y0 == h)  # a cover crop keeps one whole side
        assert abs((x1 - x0) - (y1 - y0) * aspect) <= 1 + aspect


def test_sd1_never_draws_a_wide_strip_at_1024():
    # the failure the geometry exists for: an SD 1.5 panel of 1024x344 drew duplicated people
    assert generation_size("sd1", 1024 / 344, 10_000) == (768, 384)
    assert generation_size("sd1", 1.0, 10_000) == (512, 512)
    assert generation_size("sdxl", 16 / 9, 10_000) == (1344, 768)


def test_max_side_is_a_cap_not_a_target():
    assert generation_size("sdxl", 1.0, 1024) == (1024, 1024)
    w, h = generation_size("sdxl", 16 / 9, 1024)  # 1344x768 is over the cap: next nearest under it
    assert max(w, h) <= 1024 and (w, h) in SIZES["sdxl"]
    small = generation_size("sd1", 2.0, 128)  # under every supported size: scaled down
    assert small == (128, 64)
    with pytest.raises(ValueError):
        generation_size("sd1", 0.0, 512)


def test_image_box_maps_panel_fractions_into_the_crop():
    crop = cover_crop(768, 384, 2.5)  # 768 x 307, centred vertically
    assert crop == (0, 38, 768, 345)
    x0, y0, x1, y1 = image_box((0.0, 0.0, 1.0, 1.0), crop, 768, 384)
    assert (x0, x1) == (0.0, 1.0) and y0 == pytest.approx(38 / 384) and y1 == pytest.approx(345 / 384)
    assert image_box((0.1, 0.2, 0.3, 0.4), None, 10, 10) == (0.1, 0.2, 0.3, 0.4)


def test_plan_draws_at_the_family_size_with_masks_on_the_whole_image():
    from storyboard.engines.base import Identity
    from storyboard.layout import paginate

    import numpy as np

    s = story([panel(cast=[{"ana": {"position": "left"}}, {"ben": {"position": "right"}}], size="wide")])
    ident = Identity("face", np.zeros(512, np.float32))
    (request,) = plan_panels(s, paginate(s), {"ana": ident},
                             generation_size=lambda aspect: generation_size("sd1", aspect, 10_000))
    assert (request.width, request.height) in SIZES["sd1"]
    x0, y0, x1, y1 = request.crop
    ana = request.cast[0]
    assert ana.mask.shape == (request.height, request.width)
    ys, xs = np.nonzero(ana.mask >= 0.999)
    bx = image_box(request.staging[0].body, request.crop, request.width, request.height)  # the staged body
    assert xs.min() == pytest.approx(bx[0] * request.width, abs=1) and ys.max() <= y1
