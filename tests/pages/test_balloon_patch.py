"""Balloons on PNG pages are drawn on a 3x patch in premultiplied form (La for black and white,
RGBa for colour) and reduced: the page must get exactly the pixels of the plain way, an RGBA
patch resized with a box filter and pasted through its alpha."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

from storyboard._lettering import shapes
from storyboard.export import images
from storyboard.layout import Rect
from storyboard.lettering import Item, Shape


def _item(fill, stroke) -> Item:
    cloud = shapes.cloud(60, 50, 40, 22, 9)
    tail = [(20, 20), (35, 38), (28, 36)]
    ops = (Shape(tuple(cloud), stroke=stroke, width=1.3, dash=(3, 2)), Shape(tuple(cloud), fill=fill),
           Shape(tuple(tail), fill=fill, stroke=stroke, width=0.9, closed=False))
    box = Rect(10, 18, 95, 60)
    return Item("thought", ops, box, box, ("hm",), 9.0)


def _plain(page, r, item):  # the RGBA way, as the pages were drawn before
    reach = max(s.width for s in item.ops)
    b = item.bounds
    left, top = r.px(b.x - reach, b.y1 + reach)
    right, bottom = r.px(b.x1 + reach, b.y - reach)
    left, top = max(0, math.floor(left)), max(0, math.floor(top))
    right, bottom = min(page.width, math.ceil(right)), min(page.height, math.ceil(bottom))
    ss = images.SUPERSAMPLE
    patch = Image.new("RGBA", ((right - left) * ss, (bottom - top) * ss), (0, 0, 0, 0))

    def to_patch(x, y):
        px, py = r.px(x, y)
        return (px - left) * ss, (py - top) * ss

    images._draw(ImageDraw.Draw(patch), list(item.ops), to_patch, r.k * ss)
    patch = patch.resize((right - left, bottom - top), Image.Resampling.BOX)
    page.paste(patch, (left, top), patch)


@pytest.mark.parametrize("fill, stroke", [((1, 1, 1), (0, 0, 0)), ((0.6, 0.6, 0.6), (0.2, 0.2, 0.2)),
                                          ((1.0, 0.95, 0.74), (0, 0, 0)), ((1, 1, 1), (0.8, 0.1, 0.3))])
def test_patch_gives_the_pixels_of_an_rgba_patch(fill, stroke):
    item = _item(fill, stroke)
    r = images._Raster(Rect(0, 0, 120, 90), 300)
    art = np.random.default_rng(3).integers(0, 256, (r.size[1], r.size[0], 3), dtype=np.uint8)
    ours, plain = Image.fromarray(art, "RGB"), Image.fromarray(art, "RGB")
    images._shapes(ours, r, item, list(item.ops), smooth=True)
    _plain(plain, r, item)
    assert np.array_equal(np.asarray(ours), np.asarray(plain))
    assert not np.array_equal(np.asarray(ours), art)  # something was drawn
