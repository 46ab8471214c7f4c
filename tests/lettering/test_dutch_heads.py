"""A dutch angle in the draft turns the whole sketch, its figures with it: the lettering and
the name tags must aim at the turned heads. (Story100 p1 panel 5: the tail of Cy's shout
stopped a centimetre over his head and his name tag covered it; the lettering knew the
figures only where staging stands them, upright.)"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from storyboard.engines.draft import FIGURE_TINTS, DraftEngine
from storyboard.layout import paginate
from storyboard.lettering import staged_local
from storyboard.plan import plan_panels
from storyboard.script import Story
from storyboard.staging import DUTCH_TILT, dutch_tilt, turned, turned_box

STORY = {
    "title": "T", "page": {"size": "a4"},
    "characters": {"ada": {"description": "a tall engineer"}, "cy": {"description": "a courier"}},
    "scenes": [{"id": "s", "setting": "a harbour at dusk", "panels": [
        {"action": "a harbour", "shot": "establishing"},
        {"shot": "wide", "angle": "dutch", "action": "Ada leans in to whisper to Cy",
         "cast": [{"ada": "far-left"}, {"cy": "far-right"}],
         "dialogue": [{"ada": "They're coming back."}, {"cy": "Hurry!"}]},
        {"shot": "wide", "action": "Ada and Cy wait", "cast": [{"ada": "far-left"}, {"cy": "far-right"}]},
    ]}],
}


def test_the_tilt_is_fixed_by_the_panel_and_turns_as_the_draft_does():
    tilts = [dutch_tilt(0, p) for p in range(40)]
    assert all(DUTCH_TILT[0] <= abs(t) <= DUTCH_TILT[1] for t in tilts)
    assert any(t > 0 for t in tilts) and any(t < 0 for t in tilts)
    assert dutch_tilt(3, 4) == dutch_tilt(3, 4)
    # Clockwise on the page for a positive tilt (y down): the top-left corner moves right.
    x, y = turned((0.0, 0.0), 1.5, 10.0)
    assert x > 0.0 and y > -0.2 and turned((0.5, 0.5), 1.5, 10.0) == pytest.approx((0.5, 0.5))
    assert turned_box((0.4, 0.4, 0.6, 0.6), 1.0, 0.0) == pytest.approx((0.4, 0.4, 0.6, 0.6))


def _tinted(image: np.ndarray, box, tint) -> bool:
    """Whether most of the middle of `box` (panel fractions) is the figure's tint (its head,
    eyes and brows aside)."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = box
    cx, cy, rx, ry = (x0 + x1) / 2 * w, (y0 + y1) / 2 * h, 0.3 * (x1 - x0) * w, 0.3 * (y1 - y0) * h
    patch = image[int(cy - ry):int(cy + ry) + 1, int(cx - rx):int(cx + rx) + 1].astype(int)
    return bool((np.abs(patch - np.array(tint)).max(axis=2) <= 12).mean() > 0.5)


def test_the_heads_the_lettering_aims_at_are_where_the_draft_draws_them():
    story = Story.model_validate(STORY)
    book = paginate(story)
    request = plan_panels(story, book)[1]
    assert request.angle == "dutch"
    aspect = request.width / request.height
    tilt = dutch_tilt(request.scene, request.panel)
    for seed in (1, 2, 3, 4):  # whatever the render's seed (which the lettering does not know)
        image = np.asarray(DraftEngine().render(dataclasses.replace(request, seed=seed)).convert("RGB"))
        for index, fig in enumerate(request.staging):
            assert _tinted(image, turned_box(fig.head, aspect, tilt, whole=False), FIGURE_TINTS[index]), (seed, fig.id)

    # The lettering of a draft page (`drawn`) gets the turned boxes; of generated art, staging's.
    slot = next(s for s in book.slots() if s.panel == 1)
    drawn = staged_local(story, story.scenes[0].panels[1], slot, drawn=True)
    upright = staged_local(story, story.scenes[0].panels[1], slot)
    for (_, turned_local), (_, plain) in zip(drawn, upright):
        assert turned_local["head"] != pytest.approx(plain["head"], abs=1.0)
        assert turned_local["mouth"] != pytest.approx(plain["mouth"], abs=1.0)
    level = next(s for s in book.slots() if s.panel == 2)
    assert staged_local(story, story.scenes[0].panels[2], level, drawn=True) == \
        staged_local(story, story.scenes[0].panels[2], level)
