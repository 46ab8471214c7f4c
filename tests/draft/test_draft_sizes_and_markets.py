"""newuser8's drafts: a market and a shed draw their sets, a small robot is small, a medium
shot of three in a narrow panel is cut at the thighs, a dog's close-up is a dog's (floppy ears, dark eyes)."""

from __future__ import annotations

import numpy as np
import pytest

from storyboard.engines._sets import Place, place
from storyboard.staging import size_scale
from storyboard.engines.draft import FIGURE_TINTS, LANTERN, PAPER
from tests.draft.test_draft_exteriors_and_stations import drawn, has
from tests.draft.test_draft_staging import pixels, requests, tint_mask


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


SIZED = {"marek": {"name": "Marek", "description": "tall man, glasses"},
         "kettle": {"name": "Kettle", "description": "a small round delivery robot", "figure": "robot"},
         "bolt": {"name": "Bolt", "description": "a delivery robot", "figure": "robot"},
         "pepper": {"name": "Pepper", "description": "a scruffy terrier puppy", "figure": "animal"},
         "boy": {"name": "Leo", "description": "small boy of eight"}}


def staged(shot: str, cast: list) -> dict:
    (request,) = requests([{"action": "they wait", "shot": shot, "cast": cast}], SIZED)
    return {fig.id: fig for fig in request.staging}


def test_size_scale_reads_the_description():
    from storyboard.script import Character
    assert size_scale(Character(name="K", description="a small round delivery robot", figure="robot")) == 0.55
    assert size_scale(Character(name="K", description="a tiny drone", figure="robot")) == 0.4
    assert size_scale(Character(name="K", description="a huge crab", figure="creature")) == 1.6
    assert size_scale(Character(name="K", description="a robot", figure="robot")) == 1.0
    assert size_scale(Character(name="K", description="a robot with big eyes", figure="robot")) == 1.0  # a part's size
    assert size_scale(Character(name="K", description="a dog with short legs, small", figure="animal")) == 0.55
    assert size_scale(Character(name="L", description="small boy of eight")) == 1.0  # a person: a child's size is not read


def height(fig) -> float:
    return fig.body[3] - fig.body[1]


def test_a_small_robot_is_drawn_small():
    # newuser8: "a small round delivery robot" was a man's height; in a close-up its chest filled half the frame
    wide = staged("wide", [{"marek": "left"}, {"kettle": "center"}, {"bolt": "right"}])
    assert height(wide["kettle"]) < 0.6 * height(wide["bolt"])
    assert abs(wide["kettle"].body[3] - wide["bolt"].body[3]) < 0.02  # on the same ground
    close = staged("close-up", [{"marek": "left"}, {"kettle": "right"}])
    assert close["kettle"].head_units < 0.6 * close["marek"].head_units
    assert close["kettle"].head[1] > close["marek"].head[3]  # its head below his chin, still in the frame
    assert close["kettle"].head[3] <= 1.0
    medium = staged("medium", [{"pepper": "left"}, {"kettle": "right"}])  # was 4x the dog, whole, far back
    assert medium["kettle"].head[1] > 0.6  # low in the frame by the dog (it was at 0.33)
    assert medium["kettle"].head_units < 1.0 * medium["pepper"].head_units  # (it was 1.7 times the dog's)
    # alone the camera frames it as any robot; a person's size words change nothing
    assert staged("close-up", [{"kettle": "center"}])["kettle"].head == staged("close-up", [{"bolt": "center"}])["bolt"].head
    assert height(staged("wide", [{"boy": "left"}, {"bolt": "right"}])["boy"]) == \
        height(staged("wide", [{"marek": "left"}, {"bolt": "right"}])["marek"])


def test_a_dog_close_up_is_no_wolf():
    # newuser8/newuser7: the terrier's close-up had pricked ears and a person's eyes (a wolf)
    def close(description: str) -> tuple[int, int]:
        (request,) = requests([{"action": "it waits", "shot": "close-up", "cast": ["x"]}],
                              {"x": {"name": "Rex", "description": description, "figure": "animal"}})
        image = pixels(request)
        x0, y0, x1, y1 = request.staging[0].head
        h, w = image.shape[:2]
        crown = image[int(y0 * h):int((y0 + 0.15 * (y1 - y0)) * h), int(x0 * w):int(x1 * w)]  # over the skull
        eyes = image[int((y0 + 0.35 * (y1 - y0)) * h):int((y0 + 0.55 * (y1 - y0)) * h), int(x0 * w):int(x1 * w)]
        return int(tint_mask(crown, FIGURE_TINTS[0]).sum()), int(tint_mask(eyes, PAPER).sum())

    (dog_ears, dog_whites), (cat_ears, cat_whites) = close("a scruffy terrier"), close("a tabby cat")
    assert dog_ears < 0.2 * cat_ears  # a dog's ears flop down beside its face, a cat's stand up
    assert dog_whites < 0.5 * cat_whites  # a dog's eyes are dark, a glint in each


def test_a_medium_shot_of_three_in_a_narrow_panel_cuts_them_at_the_thighs():
    # newuser8 medium-three: three in a medium shot of a portrait panel were drawn whole, feet and all
    three = {k: {"name": k.title(), "description": "someone"} for k in ("ines", "marek", "mum")}
    (request,) = requests([{"action": "they talk", "shot": "medium",
                            "cast": [{"ines": "left"}, {"marek": "center"}, {"mum": "right"}]}], three)
    figures = request.staging
    assert len({round(fig.head[1], 6) for fig in figures}) == 1  # one camera: their heads level
    for fig in figures:
        assert fig.head_units < 0.1  # small: the panel's width sets it
        assert fig.head[1] + 6.0 * fig.head_units > 1.0  # the frame cuts them above the knees, not below the feet
    # one member a position box makes small is the writer's choice: as before, whole in its box
    (alone,) = requests([{"action": "she waits", "shot": "medium", "cast": [{"ines": [0.4, 0.3, 0.6, 1.0]}]}], three)
    fig = alone.staging[0]
    assert fig.head_units < 0.1 and fig.head[1] + 7.5 * fig.head_units < 1.0
