"""A combining mark the letter's font lacks (Comic Neue has few: the IPA tie bar, marks
below, enclosing circles) was drawn as a box (.notdef) while validate passed it; the letter
and its marks now go to the first font of the chain with them all, and a mark no font draws
is listed by validate like any character."""

from __future__ import annotations

import pytest

from storyboard.text.fonts import bundled_chain
from storyboard.text.shaping import shape


@pytest.mark.parametrize("word", ["k\u035cs", "e\u1ab0", "a\u0489", "x\u20dd", "ok a\u0327\u0328\u0316\u0317 ok",
                                  "\u0254\u0303"])
def test_a_mark_is_drawn_by_a_font_that_has_it_never_as_a_box(word):
    chain = bundled_chain("en")
    for bold in (False, True):
        glyphs = shape(chain, word, bold).glyphs
        assert all(g.gid != 0 for g in glyphs), (word, bold, glyphs)
        assert chain.missing(word) == ""


def test_a_mark_the_letters_font_has_stays_in_it():
    chain = bundled_chain("en")
    assert chain.itemize("e\u0327\u0306 a\u0300") == [0] * 6  # Comic Neue has these


def test_a_mark_no_font_draws_is_missing(tmp_path, capsys):
    from storyboard.cli import main

    assert bundled_chain("en").missing("1\ufe0f\u20e3") == "\u20e3"  # the keycap; the variation selector is invisible
    script = tmp_path / "s.yaml"
    script.write_text('title: T\nscenes:\n  - panels:\n      - action: a room\n        caption: "Press 1\ufe0f\u20e3"\n',
                      encoding="utf-8")
    assert main(["validate", "--engine", "draft", str(script)]) == 2
    assert "no font in the chain draws '\u20e3' (U+20E3)" in capsys.readouterr().err
