"""A cast member who shouts in a panel is drawn shouting (the mouth open), unless the script
or the action gives the face ("IT'S AMAZING!" was said with a straight mouth: manga-rtl p2)."""

from __future__ import annotations

from storyboard.layout import paginate
from storyboard.plan import plan_panels
from storyboard.script import Story


def test_a_shouter_has_a_shouting_face_unless_told_otherwise():
    talk = {"action": "Hana eats while Taro wipes the counter", "shot": "medium",
            "cast": [{"hana": "right"}, {"taro": "left"}, {"eve": {"position": "center", "expression": "sad"}}],
            "dialogue": [{"hana": {"text": "IT'S AMAZING!", "kind": "shout"}},
                         {"taro": {"text": "My father's recipe.", "kind": "whisper"}},
                         {"eve": {"text": "NO!", "kind": "shout"}}]}
    laughs = {**talk, "action": "Hana laughs"}
    off = {**talk, "dialogue": [{"hana": {"text": "HEY!", "kind": "shout", "off": True}}]}
    s = Story.model_validate({
        "title": "T", "characters": {c: {"description": "a person"} for c in ("hana", "taro", "eve")},
        "scenes": [{"id": "a", "setting": "a ramen stall", "panels": [talk, laughs, off]}]})
    plain, laughing, offstage = ({m.id: m.expression for m in r.cast} for r in plan_panels(s, paginate(s)))
    assert plain == {"hana": "shouting", "taro": "", "eve": "sad"}  # the script's expression wins
    assert laughing["hana"] == "laughing"  # the action's too
    assert offstage["hana"] == ""  # a voice from out of the frame is not this figure's
