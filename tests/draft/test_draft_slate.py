"""The slate of a draft panel (action note and shot tag, `export.labels.slate`): one row along
the bottom of the frame, or along the top where that row would cover more of the faces; the
tag never on the note."""

from __future__ import annotations

import pytest

from storyboard.export.labels import _staged, slate
from storyboard.layout import paginate
from storyboard.script import Story
from storyboard.text import load_chain


@pytest.mark.parametrize("cast", [["tom"], ["tom", "ana"]])
def test_the_row_keeps_off_a_face_low_in_the_frame_and_the_tag_off_the_note(cast):
    # A cat lying at the bottom of a medium shot, its head low at the left: the tag, pushed
    # off its face, went over the note ('Tom lie|7 · MEDIUM'); the row now goes to the top.
    story = Story.model_validate({
        "title": "T", "characters": {"tom": {"name": "Tom", "description": "a cat", "figure": "animal"},
                                     "ana": {"name": "Ana", "description": "a girl"}},
        "scenes": [{"id": "s", "setting": "a field", "panels": [
            {"action": "Tom lies in the sun" if len(cast) == 1 else "Tom lies and Ana sits", "shot": "medium",
             "cast": cast}] * 4}]})
    book = paginate(story)
    slot = next(iter(book.slots()))
    panel = story.scenes[0].panels[0]
    faces = [boxes["face"] for _, boxes in _staged(story, panel, slot) if boxes["face"] is not None]
    note, tag = slate(story, panel, slot, load_chain(), strip=False)
    assert not tag.body.overlaps(note.body)
    assert not any(label.body.overlaps(face) for label in (note, tag) for face in faces)
    assert note.body.y1 == pytest.approx(tag.body.y1) and note.body.y1 > slot.rect.y1 - 20  # along the top
