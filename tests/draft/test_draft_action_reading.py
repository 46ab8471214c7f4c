"""Who an action names, read once (`staging`): a subject describing some of the cast ("the
kids run past Cy") gives them the verb; poses, the held prop's holder and the kite's read
names alike (a display name of two words, a hyphened one)."""

from __future__ import annotations

import pytest

from storyboard.engines._props import held
from storyboard.engines.draft import DraftEngine, _holder, _named_before
from storyboard.script import Story
from storyboard.staging import cast_names, cast_nouns, mentions, read_action, stage_panel
from tests.draft.test_draft_staging import requests

PEOPLE = {"ana": {"name": "Ana", "description": "a kid with pigtails"},
          "bo": {"name": "Bo", "description": "a boy in a cap"},
          "cy": {"name": "Cy", "description": "a tall man"},
          "rex": {"name": "Rex", "description": "a scruffy dog", "figure": "animal"}}


def story_panel(action: str, cast=("ana", "bo", "cy")):
    story = Story.model_validate({"title": "t", "characters": PEOPLE, "scenes": [
        {"panels": [{"action": action, "shot": "wide", "cast": list(cast)}]}]})
    return story, story.scenes[0].panels[0]


@pytest.mark.parametrize("action, poses", [
    ("the kids run past Cy", {"ana": "running", "bo": "running"}),
    ("the two kids sit on the wall", {"ana": "sitting", "bo": "sitting"}),
    ("the kids slowly walk home while the man points", {"ana": "walking", "bo": "walking", "cy": "pointing"}),
    ("the boy sits", {"bo": "sitting"}),  # a singular: the one member it describes
    ("the kid sits", {}),  # two kids: which one?
    ("the three kids run past a dog", {"ana": "running", "bo": "running", "cy": "running"}),  # as many as the cast
    ("Cy helps the kids sit", {}),  # the kids are his verb's object
    ("the dogs run past the kids", {}),  # no dog among them
    ("the birds sit on the wire", {}),
])
def test_a_subject_describing_some_of_the_cast_gives_them_the_verb(action, poses):
    story, panel = story_panel(action)
    assert read_action(action, cast_names(story, panel), cast_nouns(story, panel))[0] == poses
    assert read_action(action, cast_names(story, panel))[0] == ({} if "three" not in action else poses)  # (names only)


def test_the_described_members_are_staged_and_drawn_in_the_pose():
    story, panel = story_panel("the kids run past Cy")
    assert [f.pose for f in stage_panel(story, panel, 1.5)] == ["running", "running", "standing"]
    story, panel = story_panel("the dog lies by the door", ("ana", "rex"))
    assert [f.pose for f in stage_panel(story, panel, 1.5)] == ["standing", "lying"]
    (request,) = requests([{"action": "the kids run past Cy", "shot": "wide", "cast": ["ana", "bo", "cy"]}], PEOPLE)
    assert [f.pose for f in request.staging] == ["running", "running", "standing"]
    assert DraftEngine().draw(request).to_bytes()


def test_names_are_read_once_for_poses_held_props_and_the_kite():
    members = [("ed", "Ed"), ("joe", "Grandpa Joe"), ("jean-luc", "Jean-Luc"), ("ana", "Ana")]
    names = {cid: (cid, *name.lower().split()) for cid, name in members}
    assert [cid for _, cid in mentions("Grandpa Joe waves at Jean-Luc; Ana raised it", names)] == \
        ["joe", "jean-luc", "ana"]  # ('ed' is in no word: 'raised')
    for action, holder in (("Grandpa Joe holds a cup", "joe"), ("Ed waits while Jean-Luc reads a book", "jean-luc"),
                           ("Holding a lantern, Ana climbs the stairs", "ana"), ("someone holds a cup", "ed")):
        name, verb = held(action)
        assert members[_holder(action, verb, members)][0] == holder, action
    # the kite: the member named last before the verb that holds it, not the first of the cast named
    text = "ed watches ana fly the kite"
    assert members[_named_before(text, text.index("fly"), members)][0] == "ana"
    assert members[_named_before("ana raised the kite", -1, members)][0] == "ana"
