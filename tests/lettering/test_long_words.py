"""A word longer than a balloon's line (an unbroken string of letters, a long URL) is cut
into as many lines as the balloon needs, at the story's type size, in time linear in its
length; before, a 300-letter word was lettered on one line shrunk to 1.6 pt, and a
700-letter one failed the render ("no room to letter") after validate had passed it."""

from __future__ import annotations

from storyboard import lettering
from storyboard.text import breaking
from storyboard.text.fonts import bundled_chain


def test_a_word_longer_than_the_balloon_is_cut_into_lines_at_the_story_size():
    chain = bundled_chain("en")
    fit = lettering.fit_text(chain, "a" * 300, "speech", 8.0, 246.0, 362.0)
    assert fit is not None and len(fit.block.lines) >= 8
    assert "".join(fit.block.lines) == "a" * 300
    assert lettering.fit_text(chain, "a" * 700, "speech", 6.5, 246.0, 362.0) is not None


def test_cutting_a_long_word_measures_each_line_a_bounded_number_of_times(monkeypatch):
    chain = bundled_chain("en")
    calls = []
    measure = breaking._measure
    monkeypatch.setattr(breaking, "_measure", lambda *a: calls.append(len(a[1])) or measure(*a))
    lines = breaking.wrap(chain, "b" * 2000, 8.0, 100.0)
    assert "".join(lines) == "b" * 2000
    # Each cut measures heads no longer than a few lines' width, a few times each.
    assert len(calls) < 40 * len(lines) and sum(calls) < 2000 * 40, (len(calls), sum(calls))


def test_ascii_is_cut_between_characters_without_asking_uniseg(monkeypatch):
    # Each ASCII character is its own grapheme cluster, but CR LF: uniseg took 12 ms for 500
    # letters, and a 700-letter caption in a panel 6 mm tall was cut at every size it shrank
    # through (6.3 s; validate now fits such texts, `lettering.room_problems`).
    import random

    from uniseg import graphemecluster

    rng = random.Random(7)
    plain = ["a" * 700, "".join(chr(rng.choice([c for c in range(128) if c != 13])) for _ in range(400))]
    expected = [list(graphemecluster.grapheme_clusters(s)) for s in plain]
    assert breaking._graphemes("ab\r\ncd\n\r") == ["a", "b", "\r\n", "c", "d", "\n", "\r"]  # (uniseg's)
    monkeypatch.setattr(graphemecluster, "grapheme_clusters", lambda s: (_ for _ in ()).throw(AssertionError(s)))
    assert [breaking._graphemes(s) for s in plain] == expected
    assert "".join(breaking.wrap(bundled_chain("en"), "a" * 700, 1.5, 100.0)) == "a" * 700
