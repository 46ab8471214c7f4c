"""A panel too crowded for the rules: the smallest type gets a search of its own before the
rules are given up, and a balloon lettered far from its speaker is avoided, else named (by the
rules or against them)."""

from __future__ import annotations

import math

from storyboard._lettering.placement import LONG_TAIL
from storyboard.layout import paginate
from storyboard.lettering import RULES_BROKEN, letter_panel_full
from storyboard.text import load_chain
from tests.pages.stories import panel, story

FONT = load_chain()


def _letter(lines, positions, reading):
    cast = [{"ana": {"position": positions[0]}}, {"ben": {"position": positions[1]}}]
    p = panel(cast=cast, dialogue=[{who: {"text": text, "kind": kind}} for kind, who, text in lines], size="tall")
    s = story([p, panel(), panel()], page={"size": "manga", "reading": reading})
    book = paginate(s)
    slot = next(x for x in book.slots() if x.panel == 0)
    result = letter_panel_full(s, s.scenes[0].panels[0], slot, book.spec, FONT)
    tails = [math.dist(i.tail[0], i.tail[-1]) for i in result.items if i.tail]
    return result.warnings, tails


def test_the_smallest_type_gets_a_search_of_its_own():
    # The larger sizes used up the panel's search budget, so at 6.5 pt it was lettered against
    # the rules with a 297 pt tail from the bottom margin; a search of its own finds a legal place.
    lines = [("speech", "ana", "a")] * 3 + [("thought", "ana", "a"), ("speech", "ana", "a")]
    warnings, tails = _letter(lines, ("far-left", None), "rtl")
    assert max(tails) < 297
    # Legal, yet one balloon is far from its speaker: named as a fallback's long tail is.
    assert warnings == ["dialogue shrunk to 6.5 pt",
                        f"a tail {max(tails):.0f} pt long crosses the panel to its speaker, ana"]


def test_a_balloon_lettered_far_from_its_speaker_is_named():
    lines = [("speech", "ana", "no way at all, friend"), ("whisper", "ana", "no way at all, friend"),
             ("shout", "ben", "no way at all, friend"), ("thought", "ana", "a"), ("whisper", "ben", "hello there")]
    warnings, tails = _letter(lines, ("right", "left"), "ltr")
    (broken,) = [w for w in warnings if RULES_BROKEN in w]
    # Against the rules, a long tail costs as much as a clash: it was 285 pt, it is under 200.
    assert max(tails) < 200
    assert broken.endswith(f"; a tail {max(tails):.0f} pt long crosses the panel to its speaker, ben"), broken
    # Each balloon taking its least-bad place in turn left two tails across the panel (155
    # and 164 pt); one balloon off its best place spares the others.
    assert sum(tail > LONG_TAIL for tail in tails) == 1, tails
