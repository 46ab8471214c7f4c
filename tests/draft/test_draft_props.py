"""Props in draft sketches: a panel without cast draws the thing its action names."""

from __future__ import annotations

import numpy as np
import pytest

from storyboard.engines._props import PROP_TINT, prop_for
from storyboard.engines.draft import FIGURE_TINTS
from tests.draft.test_draft_staging import iou, pixels, requests, tint_mask


def test_the_first_prop_the_action_names_is_drawn():
    assert prop_for("waves crash against the rocks below the lighthouse") == "lighthouse"
    assert prop_for("the vault dial spins") == "dial"
    assert prop_for("steam rises from a bowl of ramen") == "bowl"
    assert prop_for("a single yellow raincoat button on the stairs") == "button"
    assert prop_for("Boats and trains") == "boat"
    assert prop_for("the camera cranes down to the crowded lobby") is None
    # a prop word that is also a verb names the thing only where it reads as one
    assert prop_for("a hand plants a flag on the summit") is None
    assert prop_for("she books a ticket and phones her mother") is None
    assert prop_for("Mara dials the number") is None
    assert prop_for("rows of tomato plants") == "plant" and prop_for("the phone rings") == "phone"


@pytest.mark.parametrize("shot", ["wide", "close-up"])
def test_each_prop_has_its_own_silhouette_and_none_is_the_shapeless_mass(shot):
    actions = {"kite": "a kite in the wind", "bowl": "a bowl on the table", "dial": "the old clock",
               "boat": "a boat", "train": "a train", "lighthouse": "the lighthouse", "button": "a button",
               "mass": "something happens"}
    masks = {}
    for name, action in actions.items():
        (request,) = requests([{"action": action, "shot": shot}], {})
        image = pixels(request)
        masks[name] = tint_mask(image, PROP_TINT) | tint_mask(image, FIGURE_TINTS[0])  # a prop; the mass
        assert masks[name].sum() > 30, name
    names = list(masks)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if {a, b} != {"button", "mass"}:  # both round: the button tells by its holes (below)
                assert iou(masks[a], masks[b]) < 0.6, (shot, a, b)
    (request,) = requests([{"action": "a button", "shot": shot}], {})
    image = pixels(request)
    ys, xs = np.nonzero(masks["button"])
    inner = image[ys.min():ys.max(), xs.min():xs.max()]
    holes = np.abs(inner - np.array((64, 66, 74))).max(axis=2) <= 6
    assert holes.mean() > 0.02
    rows = np.flatnonzero(masks["kite"].any(axis=1))
    assert rows.mean() < 0.45 * masks["kite"].shape[0]  # a kite flies, whatever the shot


@pytest.mark.parametrize("action, move", [("the camera cranes down to the lobby", "down"), ("pan left to the lobby", "left"),
                                          ("zoom in on the lobby", "in"), ("the lobby, where Lou pulls back his hand", None)])
def test_a_camera_move_is_marked_with_its_arrow(action, move):
    from storyboard.engines._props import camera_move

    assert camera_move(action) == move
    (plain,) = requests([{"action": "the lobby", "shot": "wide"}], {})
    (moved,) = requests([{"action": action, "shot": "wide"}], {})
    assert plain.seed == moved.seed
    changed = np.abs(pixels(plain) - pixels(moved)).max(axis=2) > 8
    if move is None:
        assert not changed.any()
        return
    ys, xs = np.nonzero(changed)
    H, W = changed.shape
    if move == "down":  # down the right side, the head at the bottom (wider there)
        assert xs.min() > 0.75 * W and ys.max() - ys.min() > 0.5 * H
        assert np.ptp(xs[ys > ys.max() - 0.05 * H]) > 1.5 * np.ptp(xs[ys < ys.min() + 0.05 * H])
    elif move == "left":  # across the top, the head at the left
        assert ys.max() < 0.25 * H and xs.max() - xs.min() > 0.5 * W
        assert np.ptp(ys[xs < xs.min() + 0.05 * W]) > 1.5 * np.ptp(ys[xs > xs.max() - 0.05 * W])
    else:  # four arrows, one in each corner
        for qy in (ys < H / 2, ys >= H / 2):
            for qx in (xs < W / 2, xs >= W / 2):
                assert (qy & qx).sum() > 20


def test_a_kite_among_the_cast_flies_over_them_on_a_string_to_the_holders_hand():
    cast = {"ada": {"name": "Ada", "description": "a girl"}, "bo": {"name": "Bo", "description": "a boy"}}
    shots = {}
    for action in ("Bo holds the kite string", "Bo stands by Ada", "Bo looks at the kite"):
        (request,) = requests([{"action": action, "shot": "wide", "cast": [{"ada": "left"}, {"bo": "right"}]}], cast)
        shots[action] = (request, pixels(request))
    request, held = shots["Bo holds the kite string"]
    kite = tint_mask(held, PROP_TINT)
    ys, xs = np.nonzero(kite)
    assert kite.sum() > 30 and ys.max() < 0.45 * request.height  # in the sky
    assert not tint_mask(shots["Bo stands by Ada"][1], PROP_TINT).any()
    bo = request.staging[1]
    hand_y = int((bo.head[1] + 3.6 * bo.head_units) * request.height)
    changed = np.abs(held - shots["Bo stands by Ada"][1]).max(axis=2) > 8
    near = changed[hand_y - 12:hand_y, int(bo.body[0] * request.width) - 5:int(bo.body[2] * request.width) + 5]
    assert near.any()  # the string comes down to Bo's hand
    looked = np.abs(shots["Bo looks at the kite"][1] - shots["Bo stands by Ada"][1]).max(axis=2) > 8
    assert not looked[hand_y - 12:hand_y, int(bo.body[0] * request.width) - 5:int(bo.body[2] * request.width) + 5].any()


def _at_the_frame(changed: np.ndarray) -> bool:
    """Whether changed pixels touch the frame's edge (its outer two pixels)."""
    return bool(changed[:2].any() or changed[-2:].any() or changed[:, :2].any() or changed[:, -2:].any())


@pytest.mark.parametrize("panel, plain, characters", [
    ({"action": "the kite soars high above the hill", "shot": "wide", "angle": "low"},
     {"action": "the button lies on the hill", "shot": "wide", "angle": "low"}, {}),
    ({"action": "Rex barks at the kite", "shot": "medium", "cast": [{"rex": "center"}]},
     {"action": "Rex barks", "shot": "medium", "cast": [{"rex": "center"}]},
     {"rex": {"name": "Rex", "description": "a dog", "figure": "animal"}}),
])
def test_a_kite_string_nobody_holds_runs_out_of_the_shot(panel, plain, characters):
    (kite,) = requests([panel], characters)
    (other,) = requests([plain], characters)
    assert kite.seed == other.seed
    changed = np.abs(pixels(kite) - pixels(other)).max(axis=2) > 8
    assert changed.any() and _at_the_frame(changed)  # the string reaches the frame, not mid-air


def test_a_crowd_the_action_is_about_is_drawn_as_rows_of_people():
    # "a crowd of shoppers packs the night market under strings of lanterns" drew a lantern, and
    # "the crowd" a shapeless mass: the crowd is what the panel is of
    assert prop_for("a crowd of shoppers packs the night market under strings of lanterns") == "crowd"
    assert prop_for("the audience rises") == "crowd" and prop_for("the crowded lobby") is None
    (crowd,) = requests([{"action": "the crowd", "shot": "wide"}], {})
    (mass,) = requests([{"action": "something happens", "shot": "wide"}], {})
    people, blob = tint_mask(pixels(crowd), PROP_TINT), tint_mask(pixels(mass), FIGURE_TINTS[0])
    assert people.sum() > 30 and iou(people, blob) < 0.3
    # many small figures side by side: the prop's columns break into runs (gaps between people)
    columns = people.any(axis=0).astype(int)
    assert np.count_nonzero(np.diff(columns) == 1) >= 4
