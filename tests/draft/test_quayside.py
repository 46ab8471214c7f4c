"""People by the water stand on its shore, not on the waves: a harbour's stone quay, else a
beach (busy-harbour p1: five people 'in a row on the quay' stood on open sea); the water stays
open where nobody stands there, or where the action puts them in it or on a boat."""

from __future__ import annotations

import numpy as np
import pytest

from storyboard.engines.draft import _AFLOAT, QUAY_STONE, SAND, DraftEngine
from storyboard.layout import paginate
from storyboard.plan import plan_panels
from storyboard.script import Story


def _share(setting: str, action: str, cast: bool, colour) -> float:
    panel = {"shot": "wide", "action": action}
    if cast:
        panel["cast"] = [{"vera": "left"}, {"gus": "right"}]
    s = Story.model_validate({"title": "T", "characters": {"vera": {"description": "a harbour master"},
                                                           "gus": {"description": "a fisherman"}},
                              "scenes": [{"id": "q", "setting": setting, "panels": [panel]}]})
    image = np.asarray(DraftEngine().render(plan_panels(s, paginate(s))[0]).convert("RGB")).astype(int)
    return float((np.abs(image - np.array(colour)).max(axis=2) <= 2).mean())


@pytest.mark.parametrize("setting, action, cast, quay, sand", [
    ("a crowded harbour quay at dawn", "the two stand in a row on the quay, arguing", True, True, False),
    ("a harbour at dusk", "Vera and Gus argue beside a wrecked boat", True, True, False),
    ("a lake at noon", "Vera and Gus talk by the water", True, False, True),  # a shore, not a quay
    ("a crowded harbour quay at dawn", "boats rock in the harbour", False, False, False),  # nobody stands there
    ("a harbour at dusk", "Vera and Gus swim to the pier", True, False, False),  # in the water
    ("a harbour at dusk", "Vera and Gus sit in a small boat", True, False, False),
    ("the open sea", "Vera and Gus wait", True, False, False),  # no shore out there
])
def test_people_by_the_water_stand_on_its_shore(setting, action, cast, quay, sand):
    assert (_share(setting, action, cast, QUAY_STONE) > 0.1) is quay
    assert (_share(setting, action, cast, SAND) > 0.1) is sand


def test_in_a_row_on_a_quay_is_not_rowing():
    assert not _AFLOAT.search("the five stand in a row on the quay")
    assert _AFLOAT.search("Bo rows the boat") and _AFLOAT.search("Cy dives into the water")
