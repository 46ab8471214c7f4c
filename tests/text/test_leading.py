"""Line spacing: Burmese and Khmer lines (marks stacked above and below) are set far enough
apart that neighbouring lines' ink never meets; Latin and Cyrillic keep the lettering's
leading."""

from __future__ import annotations

import pytest

from storyboard.lettering import LEADING, Text, story_font
from storyboard.text.fonts import bundled_chain
from storyboard.text.leading import leading
from storyboard.text.shaping import shape

BURMESE = "ကျွန်တော်နာမည် အောင်ပါ။ မင်္ဂလာပါ ခင်ဗျာ။ ဒီနေ့ ရာသီဥတု အရမ်းကောင်းတယ်နော်။ ဈေးကို ဘယ်အချိန်သွားမလဲ။"
KHMER = "ខ្ញុំស្រឡាញ់អ្នកណាស់ ថ្ងៃនេះអាកាសធាតុល្អណាស់ តើអ្នកនឹងទៅផ្សារនៅពេលណា ស្ត្រីក្រ្តាញ់ព្រឹក្សា"


def ink(font, op: Text) -> tuple[float, float]:
    """The line's ink from its lowest to its highest point, page points (HarfBuzz's glyph
    extents of every glyph drawn)."""
    low, high = 0.0, 0.0
    for glyph in shape(font, op.text, op.bold).glyphs:
        face = font.members[glyph.member].face(op.bold)
        extents = face.hb_font.get_glyph_extents(glyph.gid)
        if extents and extents.height:
            high = max(high, (extents.y_bearing / face.upem + glyph.y))
            low = min(low, ((extents.y_bearing + extents.height) / face.upem + glyph.y))
    return op.y + low * op.size, op.y + high * op.size


def lettered(tmp_path, language: str, text: str, size: str = "us-comic", name: str = "A", labels: bool = False):
    from storyboard.export import compose
    from storyboard.layout import paginate
    from storyboard.script import load_story

    script = tmp_path / f"{language}.yaml"
    script.write_text(f"title: T\nlanguage: {language}\npage: {{size: {size}}}\n"
                      f"characters: {{a: {{name: '{name}', description: a man}}}}\n"
                      f"scenes: [{{panels: [{{action: A talks, cast: [a], dialogue: [{{a: '{text}'}}]}}]}}]\n",
                      encoding="utf-8")
    story = load_story(script)
    font = story_font(story)
    (page,) = compose(story, paginate(story), font, labels=labels)
    return font, page.items


@pytest.mark.parametrize("language, text", [("my", BURMESE), ("km", KHMER)])
def test_stacked_marks_of_neighbouring_lines_never_meet(tmp_path, language, text):
    # At the Latin leading (1.18 em) the subscripts of one Burmese line ran into the marks
    # above the next (ရာသီဥတု over ကောင်း), Khmer's subscript consonants nearly so.
    font, items = lettered(tmp_path, language, text)
    (balloon,) = [item for item in items if item.kind == "speech"]
    lines = [op for op in balloon.ops if isinstance(op, Text)]
    assert len(lines) >= 3
    for upper, lower in zip(lines, lines[1:]):
        assert ink(font, upper)[0] > ink(font, lower)[1]
    # The lettering report's box of each line holds its ink (it was Comic Neue's box).
    for line, box in zip(lines, balloon.text_boxes):
        low, high = ink(font, line)
        assert box.y <= low + 1e-9 and high <= box.y1 + 1e-9


def test_a_sheets_notes_in_burmese_never_meet(tmp_path):
    font, items = lettered(tmp_path, "my", BURMESE, "storyboard")
    (notes,) = [item for item in items if item.kind == "notes"]
    lines = [op for op in notes.ops if isinstance(op, Text)]
    burmese = [op for op in lines if "\u1000" <= op.text[-1] <= "\u109f" or op.text.endswith("။")]
    assert len(burmese) >= 2
    for upper, lower in zip(lines, lines[1:]):
        assert ink(font, upper)[0] > ink(font, lower)[1]


def test_the_spacing_comes_from_the_glyphs_ink():
    assert leading(bundled_chain("my"), "ရာသီဥတု", False, LEADING) > 1.45
    assert leading(bundled_chain("km"), "ស្ត្រី ក្រ្តាញ់", False, LEADING) > 1.3
    vowelled = "عَلَّمَ الإِنْسَانَ مَا لَمْ يَعْلَمْ"  # Arabic's marks stack too
    assert leading(bundled_chain("ar"), vowelled, False, LEADING) > 1.5
    # The main face's own letters, accented capitals over descenders included, keep the
    # lettering's leading; so do Japanese and Cyrillic (Noto Sans: Й over щ reach 1.18 em;
    # in bold 1.19 em, a little more).
    for language, text in (("en", "Quite a jolly gang, Sir!"), ("fr", "Écoute, Ève: à Noël, Ôscar gagne! Ça?"),
                           ("ja", "今夜は、だめだよ……ねえ、聞いてる？")):
        assert leading(bundled_chain(language), text, False, LEADING) == LEADING
        assert leading(bundled_chain(language), text, True, LEADING) == LEADING
    assert leading(bundled_chain("ru"), "Йогурт и щука — вот что я куплю", False, LEADING) == LEADING


def test_a_name_tag_holds_its_stacked_marks(tmp_path):
    # The tag was as tall as Comic Neue's box: the subscript of ဋ္ဌ reached its lower edge
    # (0.08 em from it). Now the ink keeps the tag's inset from both edges.
    from storyboard.export.labels import TAG_INSET

    name = "ဥက္ကဋ္ဌ ကြည်"
    font, items = lettered(tmp_path, "my", "ဟုတ်ကဲ့", name=name, labels=True)
    (tag,) = [item for item in items if item.kind == "label" and item.lines == (name,)]
    (line,) = [op for op in tag.ops if isinstance(op, Text)]
    low, high = ink(font, line)
    room = TAG_INSET * line.size - 1e-9
    assert low - tag.body.y >= room and tag.body.y1 - high >= room
