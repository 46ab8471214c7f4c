"""storyboard.export.coverage: balloons on PNG pages are inked by the area they cover, filled
even-odd and stroked with round joins and caps, as the PDF paints them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from storyboard.export import coverage


def _area(mask: np.ndarray) -> float:
    return float(mask.sum()) / 255


def test_fill_covers_exactly_the_polygon_area():
    square = [(2.25, 1.5), (7.75, 1.5), (7.75, 5.0), (2.25, 5.0)]  # 5.5 x 3.5 px off the pixel grid
    mask = coverage.fill([square], 12, 8)
    assert _area(mask) == pytest.approx(5.5 * 3.5, rel=0.01)
    assert mask[3, 4] == 255 and mask[0, 0] == 0 and mask[7, 11] == 0
    assert 0 < mask[1, 4] < 255  # the half-covered top row is grey, not on or off


def test_fill_is_even_odd():
    outer = [(1, 1), (11, 1), (11, 11), (1, 11)]
    inner = [(4, 4), (8, 4), (8, 8), (4, 8)]
    mask = coverage.fill([outer, inner], 12, 12)
    assert mask[6, 6] == 0 and mask[2, 2] == 255
    assert _area(mask) == pytest.approx(100 - 16, rel=0.01)


def test_stroke_has_its_width_and_round_caps():
    width, length = 3.0, 20.0
    mask = coverage.stroke([[(5, 10), (5 + length, 10)]], width, False, 32, 20)
    assert _area(mask) == pytest.approx(length * width + math.pi * (width / 2) ** 2, rel=0.02)
    assert mask[10, 4] > 0  # the round cap reaches past the end point
    assert mask[13, 15] == 0 and mask[10, 15] == 255


def test_closed_stroke_is_a_ring_with_round_corners():
    square = [(5, 5), (25, 5), (25, 25), (5, 25)]
    mask = coverage.stroke([square], 2.0, True, 30, 30)
    assert mask[15, 15] == 0 and mask[5, 15] == 255
    # the band between squares of sides 22 and 18, its outer corners rounded (radius 1)
    assert _area(mask) == pytest.approx(22 ** 2 - 18 ** 2 - 4 * (1 - math.pi / 4), rel=0.01)


def test_nothing_to_draw_is_empty():
    assert not coverage.fill([], 4, 3).any()
    assert coverage.stroke([[(1, 1)]], 2.0, False, 4, 3).shape == (3, 4)


@pytest.mark.parametrize("count", [750, 2100])
def test_a_row_of_many_dashes_is_rasterised_in_parts(count):
    # dashes along one row: more crossings than FreeType's work pool takes at once (750), more
    # stroke points than an outline can count (2100)
    def dashes(n):
        return [[(x + 0.5, 10.0), (x + 2.5, 10.0)] for x in range(0, 4 * n, 4)]

    many = coverage.stroke(dashes(count), 2.0, False, 4 * count + 10, 20)
    few = coverage.stroke(dashes(10), 2.0, False, 50, 20)
    # every dash alike, across the parts too (the last one has no neighbour's cap beside it);
    # halves of the dashes stroked apart meet in one column, where the darker of the two counts
    differ = many[:, :4 * count - 4] != np.tile(few[:, :4], count - 1)
    assert differ.sum() == (0 if count == 750 else 2)
