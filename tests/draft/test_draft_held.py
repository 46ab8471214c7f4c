"""Props in a person's hand: a handheld prop the action has a cast member hold, carry, read or
drink is drawn at that member's hand, where the frame shows it."""

from __future__ import annotations

from storyboard.engines._props import GLOW, held
from storyboard.engines.draft import DraftEngine
from tests.draft.test_draft_sets import panel
from tests.draft.test_draft_staging import requests


def test_which_prop_is_held():
    assert held("Mara climbs the spiral stairs holding a lantern")[0] == "lamp"
    assert held("Ben watches while Mara reads the old diary")[0] == "book"
    assert held("Mara sips a cup of tea")[0] == "cup"
    assert held("Ben holding a half-eaten tomato") is None  # no handheld prop
    assert held("no one holds a cup") is None and held("Mara looks at a lantern") is None


def glows(request) -> list:
    """The x of every glowing polygon (a lantern's light) in the drawing."""
    return [op.points[0::2] for op in DraftEngine().draw(request).ops if op.fill == GLOW]


def test_a_held_lantern_is_drawn_at_the_holders_hand():
    request = panel("a lighthouse", "Mara climbs the stairs holding a lantern", cast=["ada"])
    assert glows(request)
    assert not glows(panel("a lighthouse", "Mara climbs the stairs", cast=["ada"]))
    assert not glows(panel("a lighthouse", "Mara climbs the stairs holding a lantern", cast=["ada"],
                           shot="close-up"))  # the frame cuts the hand
    # Two people: the lantern is in the hand of the one the action names before the verb.
    people = {"ben": {"name": "Ben", "description": "a boy"}, "mara": {"name": "Mara", "description": "a girl"}}
    for action, holder in (("Ben watches while Mara carries a lantern", 1), ("Ben carries a lantern", 0)):
        (request,) = requests([{"action": action, "shot": "wide", "cast": [{"ben": "left"}, {"mara": "right"}]}],
                              people)
        xs = glows(request)[0]  # its light, round the lantern
        centre = sum(xs) / len(xs) / request.width
        figures = [(f.body[0] + f.body[2]) / 2 for f in request.staging]
        assert min(range(2), key=lambda i: abs(figures[i] - centre)) == holder, action
