"""Japanese place words read by the draft's sets (and poses), bird's-eye sets that keep what
stands along the horizon, a beach's sand from above, one name per colour across the draft."""

from __future__ import annotations

import pytest

from storyboard.engines import _figures, _palette, _props, draft
from storyboard.engines._sets import Place, place, shows
from storyboard.engines.draft import FOLIAGE, SAND, DraftEngine
from storyboard.staging import read_pose
from tests.draft.test_draft_sets import panel
from tests.draft.test_draft_sky import hatch_strokes


@pytest.mark.parametrize("setting, expected", [
    ("海", Place(ground="sea")), ("浜", Place(ground="beach")), ("部屋", Place(interior="room")),
    ("森", Place(far="forest")), ("街", Place(ground="street")), ("屋上", Place(ground="roof")),
    ("台所", Place(interior="kitchen")), ("空", Place(sky=True)), ("丘", Place(ground="hill")),
    ("階段", Place(interior="stairs")), ("廊下", Place(interior="corridor")), ("教室", Place(interior="room")),
    ("森の中の丘", Place(ground="hill", far="forest")),
    ("木のない丘", Place(ground="hill")),  # negated by ない
    ("空港のロビー", Place(interior="room")),  # an airport is no sky
    ("北海道の町", Place(far="town")),  # Hokkaido is no sea
    ("夜の浜辺", Place(ground="beach", dark=True, moon=True)),
    ("嵐の夜の灯台", Place(far="lighthouse", dark=True)),  # tategaki's: a lighthouse; the storm hides the moon
])
def test_japanese_settings_are_read(setting, expected):
    assert place(setting, "") == expected


def test_japanese_in_the_drawing():
    def ops(setting, action="it happens", **fields):
        return DraftEngine().draw(panel(setting, action, **fields)).to_bytes()

    assert ops("螺旋階段") != ops("階段")  # 螺旋: a spiral staircase
    assert ops("部屋") == ops("a room")  # the same set, the same seeded drawing
    # A Japanese action whose subject is the set: no stand-in mass ("波が打ち寄せる": waves roll in).
    assert shows(place("海", "波が打ち寄せる"), "波が打ち寄せる") and shows(place("夜の浜辺", "夜の海"), "夜の海")
    assert not shows(place("海", "少女が海を見る"), "少女が海を見る")  # a girl is the subject
    assert [read_pose(t) for t in ("座っている", "歩く", "走り出す", "寝ている", "立っている", "腕を組む")] == \
        ["sitting", "walking", "running", "lying", "standing", None]


def fills(request) -> list:
    return [op.fill for op in DraftEngine().draw(request).ops]


def test_birds_eye_keeps_the_horizon_set_along_a_road_and_a_field():
    road_in_forest = fills(panel("a street through the forest", angle="birds-eye", cast=["ada"]))
    assert FOLIAGE in road_in_forest and (212, 210, 206) in road_in_forest  # crowns and the road
    assert FOLIAGE not in fills(panel("a street", angle="birds-eye", cast=["ada"]))
    assert FOLIAGE in fills(panel("a meadow by the forest", angle="birds-eye", cast=["ada"]))
    assert FOLIAGE not in fills(panel("a meadow", angle="birds-eye", cast=["ada"]))


def test_a_beach_from_above_is_water_and_sand_with_the_sand_shaded():
    request = panel("a beach", angle="birds-eye", cast=["ada"])
    assert SAND in fills(request) and SAND not in fills(panel("the open sea", angle="birds-eye", cast=["ada"]))
    feet = hatch_strokes(request)
    assert feet and all(y > 0.4 * request.height for _, y in feet)  # on the sand, not the water


def test_one_name_per_colour_across_the_draft_modules():
    def colours(module):
        return {name: value for name, value in vars(module).items()
                if name.isupper() and isinstance(value, tuple) and len(value) == 3
                and all(isinstance(v, int) for v in value)}

    modules = [colours(m) for m in (draft, _props, _palette, _figures)]
    for i, a in enumerate(modules):
        for b in modules[i + 1:]:
            for name in a.keys() & b.keys():
                assert a[name] == b[name], name
