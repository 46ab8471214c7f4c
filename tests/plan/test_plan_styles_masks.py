import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyboard.cli import main
from storyboard.errors import StoryboardError
from storyboard.masks import region_mask
from storyboard.styles import PRESETS, get_preset


def test_presets_are_complete():
    assert len(PRESETS) >= 5
    for name, preset in PRESETS.items():
        assert preset.name == name
        assert preset.prompt and preset.negative
        assert preset.description and "\n" not in preset.description
        assert "watermark" in preset.negative  # generated text is always a defect


def test_unknown_preset_says_did_you_mean():
    assert get_preset("noir") is PRESETS["noir"]
    with pytest.raises(StoryboardError, match=r"unknown style preset 'mangaa' \(did you mean 'manga'\?\)"):
        get_preset("mangaa")
    with pytest.raises(StoryboardError, match="presets: graphic-novel, manga"):
        get_preset("zzzz")


def test_styles_command_lists_every_preset(capsys):
    assert main(["styles"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(PRESETS)
    assert all(PRESETS[line.split()[0]].description in line for line in lines)


def test_mask_is_one_inside_zero_far_away_and_soft_between():
    w, h = 200, 100
    mask = region_mask((0.25, 0.2, 0.5, 0.8), w, h, feather=0.1)  # feather: 10 px
    assert mask.dtype == np.float32 and mask.shape == (h, w)
    assert mask[20:80, 50:100].min() == 1.0
    assert mask[:, :39].max() == 0.0 and mask[:, 111:].max() == 0.0  # beyond 10 px of the box
    assert mask[:9, :].max() == 0.0 and mask[91:, :].max() == 0.0
    ring = mask[50, 40:50]  # the feathered edge left of the box: rising smoothly to 1
    assert 0 < ring.min() and ring.max() < 1
    assert np.all(np.diff(ring) > 0)


def test_hard_mask_without_feather():
    mask = region_mask((0.0, 0.0, 0.5, 1.0), 8, 4, feather=0)
    assert set(np.unique(mask)) == {0.0, 1.0}
    assert mask[:, :4].min() == 1.0 and mask[:, 4:].max() == 0.0


@pytest.mark.parametrize("box", [(0.5, 0.1, 0.5, 0.9), (0.1, 0.9, 0.9, 0.1)])
def test_empty_box_is_refused(box):
    with pytest.raises(ValueError, match="empty mask box"):
        region_mask(box, 64, 64)


fractions = st.floats(0.0, 1.0)


@settings(max_examples=60, deadline=None)
@given(a=fractions, b=fractions, c=fractions, d=fractions, w=st.integers(8, 96), h=st.integers(8, 96),
       feather=st.floats(0.0, 0.3))
def test_mask_values_stay_in_unit_range(a, b, c, d, w, h, feather):
    x0, x1, y0, y1 = min(a, b), max(a, b), min(c, d), max(c, d)
    if x1 - x0 < 1e-3 or y1 - y0 < 1e-3:
        return
    mask = region_mask((x0, y0, x1, y1), w, h, feather=feather)
    assert mask.shape == (h, w)
    assert 0.0 <= mask.min() and mask.max() <= 1.0
    # The pixel holding the box centre is always fully inside.
    cy, cx = min(int((y0 + y1) / 2 * h), h - 1), min(int((x0 + x1) / 2 * w), w - 1)
    if (x1 - x0) * w >= 2 and (y1 - y0) * h >= 2:
        assert mask[cy, cx] == 1.0
