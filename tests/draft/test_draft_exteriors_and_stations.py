"""Sets drafts10 added or mended: a shop seen from the street draws its front, not its inside;
a railway station is a platform beside the track; a lighthouse (灯台) stands on a headland;
Japanese surnames (森さん, 石川, 中村) are no places; "the kids plant seeds" plants nothing."""

from __future__ import annotations

import numpy as np
import pytest

from storyboard.engines._props import STRIPE, prop_for
from storyboard.engines._sets import Place, place
from storyboard.engines.draft import BALLAST, FIGURE_TINTS, LANTERN, SAFETY_LINE, DraftEngine
from tests.draft.test_draft_staging import pixels, requests, tint_mask


def test_a_building_named_with_the_street_is_seen_from_outside():
    assert place("", "the bakery glows on an empty street") == Place(ground="street", front="counter")
    assert place("", "on an empty street, the bakery glows") == Place(ground="street", front="counter")
    assert place("", "Cy waits outside the bakery") == Place(front="counter")
    assert place("", "Ana walks past the library").front == "room"
    assert place("EXT. BAKERY - NIGHT", "Ana smiles").front == "counter"
    assert place("", "夜の街のパン屋") == Place(ground="street", front="counter", moon=True)
    # inside it, or no building: the interior as before
    assert place("", "Ana waits in the bakery on Elm street") == Place(interior="counter")
    assert place("", "Ana leans on the counter of the bakery on Elm street") == Place(interior="counter")
    assert place("a bakery on a busy street", "Ana smiles") == Place(interior="counter")  # (a setting says EXT.)
    assert place("", "パン屋の中") == Place(interior="counter")
    assert place("", "rows of tomato plants between tall apartment blocks").front is None


def test_a_railway_station_and_a_lighthouse_are_sets():
    assert place("", "Cy waits at the railway station") == Place(ground="platform")
    assert place("", "the train pulls into the station").ground == "platform"
    assert place("", "駅のホームで待つ").ground == "platform"
    assert place("", "the police station on the corner").ground is None
    assert place("嵐の夜の灯台", "").far == "lighthouse"
    assert place("", "Ana waits by the lighthouse").far == "lighthouse"
    assert place("the lighthouse lamp room at dawn", "the keeper polishes the lens") == Place(interior="room")
    assert place("the town hall", "") == Place(interior="corridor")  # which room, not a town


def test_japanese_names_are_no_places():
    for text in ("森さんが立っている", "石川が走る", "中村と森田", "鈴木は笑う", "林先生"):
        assert place("", text) == Place(), text
    assert place("", "夜の森") == Place(far="forest", moon=True)
    assert place("", "川沿いの道").ground == "sea" and place("", "森の奥").far == "forest"
    assert place("", "鈴木は浜辺にいる").ground == "beach"


def test_people_planting_seeds_plant_no_plant():
    for text in ("the kids plant seeds", "Ana and Bo plant seeds", "the farmers plant rice by the house"):
        assert prop_for(text) is None and place("", text).ground is None, text
    assert prop_for("the kids water the plant") == "plant" and prop_for("rows of tomato plants") == "plant"


def drawn(action: str, cast=(), angle: str = "eye-level") -> np.ndarray:
    (request,) = requests([{"action": action, "shot": "wide", "angle": angle, "cast": list(cast)}],
                          {"ana": {"name": "Ana", "description": "a girl"}})
    return pixels(request)


def has(image: np.ndarray, colour) -> int:
    return int(tint_mask(image, colour).sum())


def test_the_sets_are_drawn():
    front = drawn("the bakery glows on an empty street")
    assert has(front, LANTERN) > 200 and has(front, FIGURE_TINTS[0]) == 0  # a lit window, no stand-in mass
    assert has(drawn("the bakery on an empty street"), LANTERN) == 0  # unlit by day
    assert has(drawn("Ana waits at the railway station", ["ana"]), SAFETY_LINE) > 50
    assert has(drawn("Ana waits at the station", ["ana"], "birds-eye"), BALLAST) > 1000
    assert has(drawn("Ana waits by the lighthouse", ["ana"]), STRIPE) > 20  # its tower on the headland
    assert has(drawn("Ana waits by the hill", ["ana"]), STRIPE) == 0
    engine = DraftEngine()
    for angle in ("eye-level", "low", "high", "dutch", "birds-eye"):
        for action in ("the bakery glows on an empty street", "a lighthouse", "the station"):
            (request,) = requests([{"action": action, "shot": "establishing", "angle": angle}], {})
            assert engine.draw(request).to_bytes()


@pytest.mark.parametrize("setting, action", [
    ("a cluttered garage workshop, three years ago, afternoon", "Marek kneels over a workbench"),
    ("", "the old warehouse at night"), ("a factory floor", "Ana runs"), ("the school gym", ""),
    ("", "Ana parks in the garage"), ("a hay barn", "the cat sleeps"), ("the basement", "")])
def test_workplaces_and_outbuildings_are_rooms(setting, action):
    # a writer's garage or workshop was drawn outdoors: hills and perspective lines
    assert place(setting, action) == Place(interior="room")
