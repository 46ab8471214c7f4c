"""Line breaks a letterer would redo (LETTERING.md, "Type": a lozenge stack, no word stranded;
no-break spaces keep words together): a number parted from its unit or noun, a sentence's
first word left at a line's end, a short word alone between longer lines. These are costs in
the choice of lines, not rules: where nothing else fits, the text is still lettered."""

from __future__ import annotations

import pytest

from storyboard.lettering import fit_text
from storyboard.text import breaking
from storyboard.text.fonts import bundled_chain

SANDWICHES = "Who forgot the sandwiches?"
LEMONADE = "Not me. I brought the lemonade."
BIARRITZ = "Biarritz, 2 h du matin."
HEBREW = "לא יכול להיות! 3 פעמים?"  # "It can't be! 3 times?"


@pytest.mark.parametrize("text, before, after, weak", [
    (BIARRITZ, "Biarritz, 2 ", "h du matin.", True),  # a number and its unit
    (HEBREW, "לא יכול להיות! 3 ", "פעמים?", True),  # a number and its noun (and a sentence's first word)
    ("Run 10 km today", "Run 10 ", "km today", True),
    (LEMONADE, "Not me. I ", "brought the lemonade.", True),  # a sentence's first word
    ('She said "Go!" Then she left.', 'She said "Go!" Then ', "she left.", True),
    (LEMONADE, "Not me. ", "I brought the lemonade.", False),
    ("It is 3.5 km away", "It is 3.5 km ", "away", False),  # a decimal point ends no sentence
    ("Gate 7, then left", "Gate 7, ", "then left", False),  # a number followed by punctuation
    (SANDWICHES, "Who forgot ", "the sandwiches?", False),
])
def test_weak_breaks(text, before, after, weak):
    assert before + after == text and len(before) in breaking.break_points(text)
    assert breaking.weak_break(text, len(before)) is weak


def _lines(language: str, text: str, kind: str, room: tuple[float, float] = (400.0, 300.0)) -> list[str]:
    fit = fit_text(bundled_chain(language), text, kind, 8.0, *room)
    assert fit is not None and " ".join(fit.block.lines).split() == text.split()
    return list(fit.block.lines)


def test_no_short_word_alone_between_longer_lines():
    lines = _lines("en", SANDWICHES, "speech")  # was "Who forgot / the / sandwiches?"
    assert all(line.split() != ["the"] for line in lines[1:-1]), lines
    assert breaking.short_middle_lines(("Who forgot", "the", "sandwiches?"), (40.0, 12.0, 45.0)) == 1
    assert breaking.short_middle_lines(("Who", "forgot the", "sandwiches?"), (15.0, 38.0, 45.0)) == 0


def test_a_word_alone_at_both_ends_takes_a_line_fewer():
    # "Who / forgot the / sandwiches?" is a triangle (short, longer, longest: a word alone on
    # the first line and on the last), not a lozenge: a letterer writes two lines.
    assert _lines("en", SANDWICHES, "speech") == ["Who forgot", "the sandwiches?"]
    assert _lines("en", "My father's recipe.", "whisper") == ["My father's", "recipe."]
    # Lines that end where sentences do keep their stack.
    assert _lines("en", "Closed. Come back tomorrow.", "speech") == ["Closed.", "Come back", "tomorrow."]
    assert _lines("en", "They're coming back. Hurry!", "speech") == ["They're", "coming back.", "Hurry!"]
    assert breaking.sentences_inside("Closed. Come back tomorrow.") == 1
    assert breaking.sentences_inside("Here we go again...") == 0


def test_a_sentences_first_word_does_not_end_a_line():
    lines = _lines("en", LEMONADE, "speech")  # was "Not me. I / brought the / lemonade."
    assert not any(line.endswith(" I") for line in lines), lines
    # greedy filling (captions, notes) moves the word down when the line stays half full or more
    font = bundled_chain("en")
    width = font.width("Not me. I", 8.0, False) + 1.0
    assert breaking.wrap(font, LEMONADE, 8.0, width)[0] == "Not me."


def test_a_number_keeps_its_unit():
    assert _lines("fr", BIARRITZ, "caption", (90.0, 60.0)) == [BIARRITZ]  # was "Biarritz, 2 / h du matin."
    font = bundled_chain("fr")
    width = font.width("Biarritz, 2", 8.0, False) + 1.0  # "Biarritz, 2 h" does not fit
    assert breaking.wrap(font, BIARRITZ, 8.0, width) == ["Biarritz,", "2 h du", "matin."]


def test_a_number_keeps_its_noun_in_hebrew():
    lines = _lines("he", HEBREW, "shout")  # was "לא יכול / להיות! 3 / פעמים?"
    assert not any(line.endswith("3") for line in lines), lines
    assert any(line.startswith("3 ") for line in lines), lines


def test_a_weak_break_is_a_cost_not_a_rule():
    font = bundled_chain("en")
    width = font.width("km", 8.0, False) + 1.0  # "10 km" does not fit: 10 and km part
    assert breaking.wrap(font, "10 km", 8.0, width) == ["10", "km"]
    assert breaking.lozenge(font, "10 km", 8.0, 2, 400.0, 1.2) == ["10", "km"]


def test_a_line_of_one_letter_at_either_end_counts_as_stranded():
    # UAX #14 breaks after a dash, so `—I` was not a word alone and took a line of its own
    # (newuser8's kettle p3: `—I / know, I know, / it's the homing / code, I—`).
    lines = _lines("en", "—I know, I know, it's the homing code, I—", "speech")
    assert lines[0] != "—I" and lines[-1] != "I—", lines
