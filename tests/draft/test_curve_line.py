"""storyboard.drawing.curve_line draws what Pillow's line(joint="curve") draws, pixel for pixel."""

from __future__ import annotations

import random

import pytest
from PIL import Image, ImageDraw

from storyboard.drawing import curve_line


@pytest.mark.parametrize("mode, fill", [("RGB", (10, 200, 30)), ("La", (0, 255)), ("RGBa", (1, 2, 3, 255))])
def test_same_pixels_as_pillows_curve_joints(mode, fill):
    rng = random.Random(mode)
    for trial in range(60):
        points = [(rng.uniform(0, 120), rng.uniform(0, 120)) for _ in range(rng.randint(2, 9))]
        if trial % 4 == 0:  # whole pixels: straight runs with no joint
            points = [(round(x), round(y)) for x, y in points]
        if trial % 5 == 0:  # a point given twice
            points.append(points[-1])
        width = rng.choice([1, 4, 5, 8, 9, 14, 25])
        theirs = Image.new(mode, (130, 130), 0)
        ours = theirs.copy()
        ImageDraw.Draw(theirs).line(points, fill=fill, width=width, joint="curve")
        curve_line(ImageDraw.Draw(ours), points, fill, width)
        assert ours.tobytes() == theirs.tobytes(), (points, width)
