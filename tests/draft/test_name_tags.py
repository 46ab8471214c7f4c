"""Name tags on draft panels: a tag is no wider than its figure. A long (translated) name is
lettered smaller, down to a floor, then in two lines between words, then hyphenated; beyond
two lines it is cut with an ellipsis."""

from __future__ import annotations

import pytest

from storyboard.export.labels import NAME_FLOOR, TAG_INSET, _staged, name_lines, panel_labels
from storyboard.layout import paginate
from storyboard.script import Story
from storyboard.text import load_chain

FONT = load_chain()
LONG = "Kapitänin Annegret Wilhelmine von Hohenstein"


def _width(lines, size):
    return max(FONT.width(line, size) for line in lines) + 2 * TAG_INSET * size


def test_a_long_name_tag_is_no_wider_than_its_figure():
    # Medium two-shots, four to a page: the tag ran about 130 pt across both figures (each
    # about 66 pt wide), over the other figure's chest.
    talk = {"action": "they talk", "shot": "medium", "cast": ["bo", {"ana": {"expression": "angry"}}]}
    s = Story.model_validate({
        "title": "T", "characters": {"ana": {"name": LONG, "description": "a woman"},
                                     "bo": {"name": "Bo", "description": "a boy"}},
        "scenes": [{"id": "a", "setting": "a harbour", "panels": [talk] * 4}]})
    book = paginate(s)
    slot = next(iter(book.slots()))
    panel = s.scenes[0].panels[slot.panel]
    figures = {fig.id: boxes["body"] for fig, boxes in _staged(s, panel, slot)}
    bo, ana = panel_labels(s, panel, slot, FONT, [], strip=False)[-2:]
    assert bo.lines == ("Bo",) and ana.lines == ("Kapitänin Annegret", "Wilhelmine von Hohenstein")
    assert ana.body.w <= figures["ana"].w + 1e-6  # the expression left out: the name matters more
    assert ana.size >= NAME_FLOOR


def test_a_name_that_fits_keeps_its_size_and_one_that_does_not_shrinks_to_the_floor():
    assert name_lines(FONT, "Ana", 7.0, 60.0) == (("Ana",), 7.0)
    lines, size = name_lines(FONT, "Schifffahrtskapitän", 7.0, 0.9 * _width(["Schifffahrtskapitän"], 7.0))
    assert lines == ("Schifffahrtskapitän",) and 0.75 * 7.0 <= size < 7.0
    assert _width(lines, size) <= 0.9 * _width(["Schifffahrtskapitän"], 7.0) + 1e-6


@pytest.mark.parametrize("name", ["Der alte Leuchtturmwärter", LONG])
def test_below_the_floor_a_name_goes_in_two_lines_between_words(name):
    room = 0.55 * _width([name], 7.0)
    lines, size = name_lines(FONT, name, 7.0, room)
    assert len(lines) == 2 and " ".join(lines) == name
    assert size >= 0.75 * 7.0 and _width(lines, size) <= room + 1e-6


def test_one_long_word_is_hyphenated_and_a_longer_name_cut_with_an_ellipsis():
    word = "Leuchtturmwärterinnenvereinigung"
    lines, size = name_lines(FONT, word, 7.0, 0.5 * _width([word], 7.0))
    assert len(lines) == 2 and lines[0].endswith("-") and size == 0.75 * 7.0
    lines, size = name_lines(FONT, LONG, 7.0, 0.2 * _width([LONG], 7.0))
    assert len(lines) == 2 and lines[1].endswith("…") and lines[0] == "Kapitänin"
    assert _width(lines, size) <= 0.2 * _width([LONG], 7.0) + 1e-6


def _overlap(a, b) -> float:
    w = min(a.x1, b.x1) - max(a.x, b.x)
    h = min(a.y1, b.y1) - max(a.y, b.y)
    return max(0.0, w) * max(0.0, h)


def test_a_small_figure_with_a_balloon_over_its_head_has_its_tag_under_its_feet():
    # Story100 p2 panels 9 and 10: two people small at the back of a room, a balloon above
    # each head, had each tag on the chest, as wide as the figure (a sandwich board).
    talk = {"action": "Dee leans in to whisper to Bo", "shot": "establishing",
            "cast": [{"dee": "left"}, {"bo": "right"}],
            "dialogue": [{"dee": "Hold the lamp steady, I can't see a thing."}, {"bo": "You always say that."}]}
    s = Story.model_validate({
        "title": "T", "characters": {"dee": {"name": "Dee", "description": "a librarian"},
                                     "bo": {"name": "Bo", "description": "a sailor"}},
        "scenes": [{"id": "a", "setting": "a bank lobby", "panels": [talk] * 6}]})
    book = paginate(s)
    slot = next(iter(book.slots()))
    panel = s.scenes[0].panels[slot.panel]
    from storyboard.lettering import letter_panel

    lettered = letter_panel(s, panel, slot, book.spec, FONT, labels=True)
    figures = {fig.id: boxes["body"] for fig, boxes in _staged(s, panel, slot)}
    tags = panel_labels(s, panel, slot, FONT, [item.bounds for item in lettered], strip=False)[-2:]
    for who, tag in zip(("dee", "bo"), tags):
        body = figures[who]
        assert tag.body.w > 0.6 * body.w and body.h < 6 * tag.body.h  # a small figure
        assert _overlap(tag.body, body) < 0.05 * tag.body.w * tag.body.h, who
        assert tag.body.y1 <= body.y + 1e-6 and abs(tag.body.x + tag.body.w / 2 - (body.x + body.w / 2)) < body.w
