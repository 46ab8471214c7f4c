"""No word alone on a balloon's last line when avoidable (LETTERING.md, "Type"): a widow, the
last word of a sentence left on a line of its own (`steps like / that.`), is what a letterer
redoes first. A word that is a sentence of its own (`coming back. / Hurry!`) is no widow, and
a short text (`My father's / recipe.`) has no better break."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyboard import layout
from storyboard import lettering as L
from storyboard.lettering import fit_text, letter_panel_full, story_font
from storyboard.render import DEFAULT_MAX_SIDE
from storyboard.script import load_story
from storyboard.text import breaking
from storyboard.text.fonts import bundled_chain

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
OTTO = "In sixty years I have never seen the water climb the steps like that."
FONT = bundled_chain("en")


@pytest.mark.parametrize("lines, widow", [
    (("steps like", "that."), True),
    (("Only if", "you water", "it!"), True),
    (("Closed.", "Come back", "tomorrow."), True),  # (four words: no cost, see below)
    (("Closed.", "Hurry!"), False),  # a sentence of its own
    (("They're", "coming back.", "Hurry!"), False),
    (("«\u202fQuelqu’un doit garder", "la lumière allumée.\u202f»"), False),  # more than a word
    (("Only if you", "water it!"), False),
    (("Hurry!",), False),  # one line
])
def test_widowed(lines, widow):
    assert breaking.widowed(lines) is widow


@pytest.mark.parametrize("text, kind", [
    ("Only if you water it!", "shout"),  # webtoon panel 5: 'Only if / you water / it!'
    ("Please don't crash this time.", "thought"),  # five-friends panel 2: '... / crash this / time.'
])
@pytest.mark.parametrize("width", [400.0, 120.0])
def test_balloon_lines_leave_no_widow(text, kind, width):
    fit = fit_text(FONT, text, kind, 8.0, width, 300.0)
    assert fit is not None and " ".join(fit.block.lines).split() == text.split()
    assert not breaking.widowed(fit.block.lines), fit.block.lines


def test_a_narrower_balloon_takes_more_room_rather_than_strand_a_word():
    # busy-harbour's splash: Otto's balloon narrowed a line at a time to fit between his
    # neighbours' went 'steps like / that.'; the same line count with a little more room
    # keeps 'like that.' together.
    fit = fit_text(FONT, OTTO, "speech", 8.0, 246.0, 362.0)
    narrower = L._one_more_line(FONT, OTTO, "speech", 8.0, fit, 362.0)
    assert narrower is not None and len(narrower.block.lines) == len(fit.block.lines) + 1
    assert narrower.outer_w <= 0.95 * fit.outer_w
    assert not breaking.widowed(narrower.block.lines), narrower.block.lines


def test_a_shape_with_a_widow_costs_a_detour_where_it_is_placed():
    wide = fit_text(FONT, "Wait. It isn't over yet.", "whisper", 8.0, 400.0, 300.0)
    assert wide.block.lines == ("Wait.", "It isn't", "over yet.")
    narrow = L._one_more_line(FONT, "Wait. It isn't over yet.", "whisper", 8.0, wide, 300.0)
    assert narrow.block.lines[-1] == "yet."  # four lines that narrow cannot avoid it
    assert L.shape_detour(FONT, "Wait. It isn't over yet.", wide) == 0.0
    assert L.shape_detour(FONT, "Wait. It isn't over yet.", narrow) == L.WIDOW_DETOUR
    short = fit_text(FONT, "My father's recipe.", "whisper", 8.0, 400.0, 300.0)
    assert short.block.lines == ("My father's", "recipe.") and L.shape_detour(FONT, "My father's recipe.", short) == 0.0


def test_busy_harbour_splash_has_no_widow():
    story = load_story(EXAMPLES / "busy-harbour.yaml")
    book = layout.paginate(story, max_side=DEFAULT_MAX_SIDE)
    slot = book.pages[0].slots[0]
    result = letter_panel_full(story, story.scenes[0].panels[0], slot, book.spec, story_font(story), labels=True)
    balloons = [item for item in result.items if item.kind == "speech"]
    assert len(balloons) == 5
    assert not any(breaking.widowed(item.lines) for item in balloons), [item.lines for item in balloons]
