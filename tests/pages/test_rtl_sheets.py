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


def test_a_translated_edition_keeps_its_scripts_reading(tmp_path):
    # The staging (who stands left) follows the reading, so an edition in another direction
    # would redraw every frame: the edition's frames are the script's, as its art is.
    from storyboard.translations import load_translation

    script = tmp_path / "s.yaml"
    script.write_text("title: T\nlanguage: en\npage: {size: storyboard}\n"
                      "scenes: [{id: a, panels: [{action: one, caption: Night.}, {action: two}]}]\n", encoding="utf-8")
    story = load_story(script)
    hebrew = tmp_path / "he.yaml"
    hebrew.write_text("language: he\nlines:\n  a/1/caption: לילה.\n", encoding="utf-8")
    edition = load_translation(hebrew, story)
    assert edition.language == "he" and edition.page.reading == story.page.reading == "ltr"
    (first, _) = paginate(edition).pages[0].slots  # a column of frames, each with its notes beside it
    assert first.notes.x > first.rect.x
    assert paginate(story).pages[0].slots[0] == first
    # The same sheet written in Hebrew: each frame's notes at its left.
    script.write_text(script.read_text(encoding="utf-8").replace("language: en", "language: he"), encoding="utf-8")
    (first, _) = paginate(load_story(script)).pages[0].slots
    assert first.notes.x < first.rect.x
