"""Balloons that only fit under their speaker's head, over the body, because the search
tried nothing but near-copies of the first place of the balloons before (newuser7's heist
p1 panel 2)."""

from __future__ import annotations

from storyboard._lettering import placement
from storyboard.layout import paginate
from storyboard.lettering import letter_panel_full
from storyboard.text import load_chain
from tests.pages.stories import panel, story

FONT = load_chain()


def test_a_speakers_second_balloon_after_the_other_ones_goes_above_the_heads_not_on_her_chest():
    # Ana (left), Ben (right), Ana again: each first place the search tried for Ana's first
    # balloon was snug over her head, a point or two from the last, so her second balloon,
    # read after Ben's, had room only on her chest. A first balloon in the corner leaves it
    # room above the heads.
    talk = panel(shot="medium", action="Ana and Ben crouch behind a parked car, watching the bakery door",
                 cast=[{"ana": "left"}, {"ben": "right"}],
                 dialogue=[{"ana": "Remember the plan. In, grab the recipe book, out."},
                           {"ben": "What if he's still awake?"},
                           {"ana": "Bakers sleep at three. Everyone knows that."}])
    s = story([panel(shot="establishing", caption="Vienna. 3 a.m. The smell of bread is already in the air.",
                     size="wide"), talk, panel(shot="close-up", cast=["ben"], dialogue=[{"ben": "Nobody knows."}]),
               panel(shot="wide", cast=["ana", "ben"])], page={"size": "us-comic"})
    book = paginate(s)
    slot = next(slot for slot in book.slots() if slot.panel == 1)
    result = letter_panel_full(s, s.scenes[0].panels[1], slot, book.spec, FONT, labels=True)
    heads = {fig.id: where["head"] for fig, where in result.staged}
    items = [item for item in result.items if item.kind == "speech"]
    assert [item.speaker for item in items] == ["ana", "ben", "ana"]
    for item in items:  # (page points, y up) every balloon's middle above its speaker's mouth line
        head_top = slot.rect.y1 - heads[item.speaker][1]
        assert item.body.y + item.body.h / 2 > head_top - 0.5 * (heads[item.speaker][3] - heads[item.speaker][1]), item
    assert not any("shrunk" in w for w in result.warnings), result.warnings


def test_the_search_tries_places_that_differ_not_copies_of_one():
    # Four places a point apart are one choice for every balloon after them: the search
    # takes the next place that is not half on one it tried.
    boxes = [(0, 0, 50, 30), (1, 1, 51, 31), (0, 2, 50, 32), (60, 0, 110, 30), (0, 40, 50, 70), (2, 0, 52, 30)]
    assert placement._distinct(boxes, 4) == [0, 1, 3, 4]  # (and the best copy, to make four)
    assert placement._distinct(boxes, 3) == [0, 3, 4]
