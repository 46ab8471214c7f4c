"""The action note of a draft panel is the storyboard's own words for the shot: in a narrow,
tall panel it takes a third line rather than be cut (lighthouse p2 panel 6: 'the keeper looks
out at / a calm sea, the gull at…')."""

from __future__ import annotations

from pathlib import Path

from storyboard.export.labels import slate
from storyboard.layout import paginate
from storyboard.render import DEFAULT_MAX_SIDE
from storyboard.script import load_story
from storyboard.text import load_chain

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FONT = load_chain()


def _note(story, scene: int, panel: int):
    book = paginate(story, max_side=DEFAULT_MAX_SIDE)
    slot = next(s for s in book.slots() if (s.scene, s.panel) == (scene, panel))
    note = next(item for item in slate(story, story.scenes[scene].panels[panel], slot, FONT, strip=False)
                if item.kind == "label" and not item.ops[1].bold)
    return note, slot


def test_a_tall_panels_action_note_takes_a_third_line_rather_than_be_cut():
    story = load_story(EXAMPLES / "lighthouse.yaml")
    for panel in (1, 2):  # the over-the-shoulder shot and the button, narrow and tall
        note, slot = _note(story, 1, panel)
        assert len(note.lines) == 3 and " ".join(note.lines) == story.scenes[1].panels[panel].action
        assert note.body.h <= 0.1 * slot.rect.h
    # A wide panel keeps two lines at most.
    note, _ = _note(story, 0, 3)
    assert len(note.lines) <= 2
