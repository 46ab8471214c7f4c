"""newuser8's drafts: a market and a shed draw their sets, a small robot is small, a medium
shot of three in a narrow panel is cut at the thighs, a dog's close-up is a dog's."""

from __future__ import annotations

import pytest

from storyboard.engines._sets import Place, place
from storyboard.engines.draft import LANTERN
from tests.draft.test_draft_exteriors_and_stations import drawn, has


@pytest.mark.parametrize("setting, action, expected", [
    ("a crowded night market in the city, lanterns, rain-wet street", "Ines pushes through the crowd",
     Place(ground="market", far="city", dark=True)),
    ("", "a crowd of shoppers packs the night market under strings of lanterns", Place(ground="market", moon=True)),
    ("", "Ana walks through the bazaar", Place(ground="market")),
    ("夜の市場", "", Place(ground="market", dark=True, moon=True)),
    ("", "Bo hides in the garden shed", Place(interior="room")),
    ("an old shed", "", Place(interior="room")),
    ("", "the dog sheds its fur", Place()), ("", "Ana shed a tear", Place()),
    ("", "they market the product", Place())])
def test_a_market_and_a_shed_are_sets(setting, action, expected):
    # "market" and "shed" drew no backdrop (a shapeless mass, hills)
    assert place(setting, action) == expected


def test_a_market_draws_booths():
    assert has(drawn("Ana walks through the market", ["ana"]), LANTERN) > 100  # the booths' lit openings
    assert has(drawn("Ana walks down the street", ["ana"]), LANTERN) == 0
