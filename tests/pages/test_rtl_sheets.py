"""A storyboard sheet of a story written right to left (Hebrew, Arabic) reads right to left:
its first frame at the right, each frame's notes mirrored with it; `page.reading` in the
script still decides."""

from __future__ import annotations

import pytest

from storyboard.layout import paginate
from storyboard.script import load_story


def sheet(tmp_path, language: str, page: str = "{size: storyboard}"):
    script = tmp_path / "s.yaml"
    script.write_text(f"title: T\nlanguage: {language}\npage: {page}\n"
                      "scenes: [{panels: [{action: one}, {action: two}, {action: three}, {action: four}]}]\n",
                      encoding="utf-8")
    story = load_story(script)
    return story, paginate(story)


@pytest.mark.parametrize("language", ["he", "ar", "fa", "azb"])
def test_a_right_to_left_sheet_starts_at_the_right(tmp_path, language):
    story, book = sheet(tmp_path, language)
    assert story.page.reading == "rtl"
    first, second = book.pages[0].slots[:2]
    assert first.rect.x > second.rect.x and first.rect.y == second.rect.y
    assert first.notes.x > second.notes.x


def test_the_script_still_decides_and_other_pages_keep_their_default(tmp_path):
    story, book = sheet(tmp_path, "he", "{size: storyboard, reading: ltr}")
    assert story.page.reading == "ltr"
    first, second = book.pages[0].slots[:2]
    assert first.rect.x < second.rect.x
    assert sheet(tmp_path, "en")[0].page.reading == "ltr"
    assert sheet(tmp_path, "he", "{size: a4}")[0].page.reading == "ltr"  # a comic's reading is the script's
    assert sheet(tmp_path, "en", "{size: storyboard, reading: rtl}")[0].page.reading == "rtl"
