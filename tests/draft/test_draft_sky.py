"""Draft skies and surfaces: hatching shades the ground, never the air or a wall; a set that
is what the action names needs no stand-in mass; a night sky outdoors has a moon and stars."""

from __future__ import annotations

import pytest

from storyboard.engines._sets import place, shows
from storyboard.engines.draft import FIGURE_TINTS, LIGHT_LINE, MOON, STAR, DraftEngine
from storyboard.staging import HORIZON
from tests.draft.test_draft_sets import panel


def hatch_strokes(request) -> list[tuple[float, float]]:
    """The (x, y) foot of every hatching stroke: a two-point light line rising 0.6 across per 1 up."""
    feet = []
    for op in DraftEngine().draw(request).ops:
        if op.stroke == LIGHT_LINE and op.fill is None and len(op.points) == 4:
            x0, y0, x1, y1 = op.points
            if y0 - y1 > 1 and abs((x1 - x0) - 0.6 * (y0 - y1)) < 0.1:
                feet.append((x0, y0))
    return feet


@pytest.mark.parametrize("setting", ["a small kitchen", "a classroom", "a grassy hill", "a quiet street",
                                     "somewhere", "a beach"])
@pytest.mark.parametrize("seed_action", ["it happens", "Ana looks round", "a long pause"])
def test_hatching_shades_the_ground_never_the_sky_or_a_wall(setting, seed_action):
    request = panel(setting, seed_action, cast=["ada"])
    feet = hatch_strokes(request)
    assert feet, (setting, seed_action)  # a seed draws three to six clusters
    unit = min(request.width, request.height)
    # Outdoors the ground starts at the horizon; indoors the floor lower still, below the back wall.
    below = HORIZON["eye-level"] * request.height + 0.05 * unit
    assert all(y >= below for _, y in feet), (setting, seed_action, min(y for _, y in feet), below)
    assert all(0 <= x <= request.width for x, _ in feet)


def test_open_water_and_a_counter_get_no_hatching():
    assert hatch_strokes(panel("the open sea", "it happens")) == []
    assert hatch_strokes(panel("the open sea", "it happens", angle="birds-eye")) == []
    assert hatch_strokes(panel("a field", "it happens", angle="birds-eye"))  # grass from above is ground
    assert hatch_strokes(panel("a bakery", "Ana buys bread at the counter", cast=["ada"])) == []


def test_the_set_is_the_subject_so_no_stand_in_mass():
    for setting, action in (("", "waves roll onto the sandy shore under the moon"),
                            ("", "WIDE on the empty beach. Waves."), ("", "the quiet harbour at dawn"),
                            ("a beach at night", "the moon over the sea")):
        assert shows(place(setting, action), action), action
        ops = DraftEngine().draw(panel(setting, action)).ops
        assert not any(op.fill == FIGURE_TINTS[0] for op in ops), action
    # Something else is the subject: its prop ("the vault dial", "a lighthouse"), else the mass.
    assert not shows(place("the vault corridor", "the vault dial spins"), "the vault dial spins")
    assert not shows(place("", "a lighthouse on the cliff"), "a lighthouse on the cliff")
    for setting, action in (("", "a beach ball on the sand"), ("a garden", "a strange object lands"),
                            ("", "a sea breeze stirs")):
        assert not shows(place(setting, action), action), action
        assert any(op.fill == FIGURE_TINTS[0] for op in DraftEngine().draw(panel(setting, action)).ops), action


def test_a_night_sky_outdoors_has_a_moon_and_stars():
    def sky(setting, action="it happens", **fields):
        ops = DraftEngine().draw(panel(setting, action, **fields)).ops
        return sum(op.fill == MOON for op in ops), sum(op.fill == STAR for op in ops)

    moon, stars = sky("a beach at night")
    assert moon == 1 and stars >= 4
    assert sky("a beach", "waves roll onto the shore under the moon")[0] == 1
    assert sky("a rooftop at midnight", angle="low")[0] == 1
    assert sky("a beach") == (0, 0)  # by day
    assert sky("a lighthouse on a cliff in a storm, night") == (0, 0)  # the storm hides them
    assert sky("a kitchen at night") == (0, 0)  # indoors
    assert sky("a beach at night", angle="birds-eye") == (0, 0)  # no sky in the shot
    request = panel("a beach at night")
    assert DraftEngine().draw(request).to_bytes() == DraftEngine().draw(panel("a beach at night")).to_bytes()
