"""Staging: one figure per cast member, heads apart at eye level, boxes inside the panel."""

from __future__ import annotations

import itertools

import pytest

from storyboard.script import Story
from storyboard.staging import StagedFigure, action_poses, normalise_pose, read_action, stage_panel

CAST = {cid: {"description": f"person {cid}"} for cid in ("ana", "ben", "cy", "dee", "eve")}
SHOTS = ("establishing", "wide", "medium", "close-up", "extreme-close-up", "over-shoulder")
ANGLES = ("eye-level", "low", "high", "birds-eye", "dutch")


def _panel(cast, shot="medium", angle="eye-level", action="talk", characters=CAST):
    story = Story.model_validate({"title": "t", "characters": characters, "scenes": [
        {"panels": [{"action": action, "shot": shot, "angle": angle, "cast": cast}]}]})
    return story, story.scenes[0].panels[0]


def _inside(box):
    x0, y0, x1, y1 = box
    return 0.0 <= x0 <= x1 <= 1.0 and 0.0 <= y0 <= y1 <= 1.0


def _overlap(a, b):
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


@pytest.mark.parametrize("shot,angle", list(itertools.product(SHOTS, ANGLES)))
def test_named_positions_never_share_a_head_at_eye_level(shot, angle):
    cast = [{"ana": "far-left"}, {"ben": "left"}, {"cy": "center"}, {"dee": "right"}, {"eve": "far-right"}]
    story, panel = _panel(cast, shot, angle)
    for aspect in (0.6, 1.0, 2.4):
        figures = stage_panel(story, panel, aspect)
        assert [f.id for f in figures] == ["ana", "ben", "cy", "dee", "eve"]
        for f in figures:
            assert isinstance(f, StagedFigure) and _inside(f.body) and _inside(f.head)
            assert 0 <= f.mouth[0] <= 1 and 0 <= f.mouth[1] <= 1
        for a, b in itertools.combinations(figures, 2):
            assert not _overlap(a.head, b.head), (shot, angle, aspect, a, b)
        xs = [(f.head[0] + f.head[2]) / 2 for f in figures]
        assert xs == sorted(xs)  # left to right as named


def test_two_members_on_one_spot_stand_side_by_side():
    story, panel = _panel([{"ana": "center"}, {"ben": "center"}])
    a, b = stage_panel(story, panel, 1.5)
    assert not _overlap(a.head, b.head) and a.head[2] <= b.head[0]


def test_shot_sets_the_figure_scale():
    sizes = {}
    for shot in ("establishing", "wide", "medium", "close-up"):
        story, panel = _panel([{"ana": "center"}], shot)
        (fig,) = stage_panel(story, panel, 1.5)
        sizes[shot] = fig.head[3] - fig.head[1]
        if shot in ("establishing", "wide"):  # a whole small figure, feet inside the panel
            assert fig.body[3] < 1.0 and fig.body[3] - fig.body[1] > 5 * sizes[shot]
    assert sizes["establishing"] < sizes["wide"] < sizes["medium"] < sizes["close-up"]


def test_explicit_box_holds_the_figure_and_pose_lowers_a_sitter():
    box = [0.55, 0.4, 0.95, 1.0]
    story, panel = _panel([{"ana": {"position": box}}])
    (stand,) = stage_panel(story, panel, 1.0)
    assert stand.body[0] >= box[0] - 1e-9 and stand.body[2] <= box[2] + 1e-9 and stand.head[1] >= box[1]
    story, panel = _panel([{"ana": {"position": box, "pose": "sitting on a crate"}}])
    (sit,) = stage_panel(story, panel, 1.0)
    assert sit.pose == "sitting" and sit.head[1] > stand.head[1]
    assert stage_panel(story, panel, 1.0) == (sit,)  # deterministic


def test_face_band_lies_in_the_head_and_the_mouth_below_the_eyes():
    story, panel = _panel([{"ana": "left"}, {"ben": "right"}], "close-up")
    for f in stage_panel(story, panel, 1.5):
        assert f.shows_face and f.head[1] <= f.face[1] < f.face[3] <= f.head[3]
        assert f.head[0] <= f.mouth[0] <= f.head[2] and f.face[1] < f.mouth[1] <= f.face[3]


def test_over_shoulder_foreground_shows_no_face():
    story, panel = _panel([{"ana": "left"}, {"ben": "right"}], "over-shoulder")
    near, far = stage_panel(story, panel, 1.5)
    assert not near.shows_face and far.shows_face
    assert near.foreground and not far.foreground  # lettering keeps off the back of its head


def test_pose_words():
    assert normalise_pose("Sitting on the pier") == "sitting"
    assert normalise_pose("running for the door") == "running"
    assert normalise_pose("arms crossed") == "standing"
    with pytest.raises(ValueError, match="aspect"):
        stage_panel(*_panel([{"ana": "left"}]), 0)


NAMES = {"ife": ("ife",), "dele": ("dele", "old", "dele"), "cy": ("cy", "cy")}


@pytest.mark.parametrize("action,poses", [
    ("Ife and Dele sit on upturned crates under string lights", {"ife": "sitting", "dele": "sitting"}),
    ("Ife kneels by a tomato plant, frowning at a chewed leaf", {"ife": "kneeling"}),
    ("Ife runs and Cy sits", {"ife": "running", "cy": "sitting"}),
    ("Cy stands while Ife points at the door", {"ife": "pointing"}),
    ("Cy opens the door and Ife sits", {}),  # 'and' after an object: whose clause is unclear, nobody sits
    ("Ife, exhausted, sits", {}),
    # a clause after a comma that follows no name opens with its own subject
    ("Cy runs down the alley splashing through puddles, Ife running after him", {"cy": "running", "ife": "running"}),
    ("Cy walks in the rain, Ife sits", {"cy": "walking", "ife": "sitting"}),
    ("Old Dele slowly walks home", {"dele": "walking"}),
    ("Ife, Cy and Dele both lie in the grass", {"ife": "lying", "cy": "lying", "dele": "lying"}),
    ("Dele helps Ife sit down", {}),  # Ife is the object, Dele does not sit
    ("Everyone sits down", {"ife": "sitting", "dele": "sitting", "cy": "sitting"}),  # the whole cast
    ("the three friends run up the hill", {"ife": "running", "dele": "running", "cy": "running"}),
    ("the two kids run past Cy", {}),  # two of three: not the cast, nobody runs
    ("Ife leans in to whisper to Cy", {}),  # no pose verb
    ("The waves crash on the pier", {}),  # a pose word as a noun, no cast in its subject
    ("", {}),
])
def test_action_gives_poses_to_the_cast_it_makes_the_subject(action, poses):
    assert action_poses(action, NAMES) == poses


def test_a_member_without_a_pose_takes_the_one_the_action_gives_it():
    characters = {**CAST, "dele": {"name": "Old Dele", "description": "a grandfather"}}
    story, panel = _panel([{"ana": "left"}, {"dele": "right"}], "wide",
                          action="Ana and Old Dele sit on crates", characters=characters)
    ana, dele = stage_panel(story, panel, 1.5)
    assert (ana.pose, dele.pose) == ("sitting", "sitting")
    story, panel = _panel([{"ana": "left"}, {"dele": "right"}], "wide", action="Ana and Dele talk", characters=characters)
    standing = stage_panel(story, panel, 1.5)
    assert [f.pose for f in standing] == ["standing", "standing"] and standing[0].body != ana.body
    # the script's own pose wins over the action's
    story, panel = _panel([{"ana": {"position": "left", "pose": "standing"}}, {"dele": "right"}], "wide",
                          action="Ana and Old Dele sit on crates", characters=characters)
    assert [f.pose for f in stage_panel(story, panel, 1.5)] == ["standing", "sitting"]


def test_a_seated_member_beside_a_standing_one_sits_lower_in_a_nearer_shot():
    story, panel = _panel([{"ana": "left"}, {"ben": "right"}], "medium", action="Ana sits on a rock as Ben points at the sea")
    sitter, stander = stage_panel(story, panel, 1.5)
    assert (sitter.pose, stander.pose) == ("sitting", "pointing")
    heads = sitter.head[3] - sitter.head[1]
    assert sitter.head[1] - stander.head[1] >= 2 * heads  # at the stander's chest, not half a head lower
    assert sitter.head[3] <= 1.0  # still in the shot
    # everyone seated: the camera frames them as it would standing people
    story, panel = _panel([{"ana": "left"}, {"ben": "right"}], "medium", action="Ana and Ben sit on a rock")
    alone, other = stage_panel(story, panel, 1.5)
    assert alone.head[1] < sitter.head[1] and abs(alone.head[1] - other.head[1]) < 1e-9


def test_a_hyphenated_name_is_one_word_of_the_subject():
    # 'Jean-Luc sits': the name was read as 'jean', '-', 'luc', which no cast member's words hold.
    characters = {"jean-luc": {"name": "Jean-Luc", "description": "a man"}, "mo": {"name": "Mo", "description": "a boy"}}
    story, panel = _panel([{"jean-luc": "left"}, {"mo": "right"}], "wide",
                          action="Jean-Luc and Mo sit on the steps", characters=characters)
    assert [f.pose for f in stage_panel(story, panel, 1.5)] == ["sitting", "sitting"]


@pytest.mark.parametrize("action,moods", [
    ("Eve laughs", {"eve": "laughing"}),
    ("Ana points at the door while Cy looks doubtful", {"cy": "doubtful"}),
    ("Cy looks at the map", {}),  # looking somewhere is no expression
    ("Ana sits and laughs", {"ana": "laughing"}),  # the second verb shares the first one's subject
    ("Ana makes Eve laugh", {}),
    ("Cy looks doubtful and Eve cries", {"cy": "doubtful", "eve": "crying"}),
    ("Ana, Cy and Eve grin", {"ana": "grinning", "cy": "grinning", "eve": "grinning"}),
])
def test_action_gives_expressions_to_the_cast_it_makes_the_subject(action, moods):
    names = {cid: (cid,) for cid in ("ana", "cy", "eve")}
    assert read_action(action, names)[1] == moods


@pytest.mark.parametrize("figure", ["robot", "creature"])
def test_a_lying_robot_or_creature_lies_on_the_ground_beside_a_stander(figure):
    characters = {**CAST, "ben": {"description": "a thing", "figure": figure}}
    story, panel = _panel([{"ana": "left"}, {"ben": "right"}], "medium", action="Ben lies by the door",
                          characters=characters)
    stander, lying = stage_panel(story, panel, 1.5)
    assert lying.pose == "lying"
    assert lying.body[3] - lying.body[1] < 2 * (lying.head[3] - lying.head[1])  # flat, not a standing height
    assert lying.head[1] > stander.head[1] + 2 * (stander.head[3] - stander.head[1])  # down on the ground


@pytest.mark.parametrize("action,poses,moods", [
    # a verb's helper is no word of another clause ('is', 'are', 'was'): the reading was empty
    ("Ana is sitting on the floor", {"ana": "sitting"}, {}),
    ("Ana and Cy are walking home", {"ana": "walking", "cy": "walking"}, {}),
    ("Eve was laughing", {}, {"eve": "laughing"}),
    ("Ana helps Cy sit", {}, {}),  # Cy is still the object
    ("Cy is doubtful", {}, {"cy": "doubtful"}),  # 'is' still reads a mood after it
])
def test_action_read_through_a_verbs_helper(action, poses, moods):
    names = {cid: (cid,) for cid in ("ana", "cy", "eve")}
    assert read_action(action, names) == (poses, moods)


def test_from_above_a_lying_figure_is_sized_as_a_standing_one():
    # the draft draws a figure seen from above as its head and shoulders, whatever its pose
    sizes = []
    for action in ("Ana and Ben talk", "Ana and Ben lie in the grass"):
        story, panel = _panel([{"ana": "left"}, {"ben": "right"}], "medium", "birds-eye", action=action)
        a, _ = stage_panel(story, panel, 1.5)
        sizes.append(a.head[3] - a.head[1])
    assert sizes[1] == pytest.approx(sizes[0])
