"""A panel too crowded for the rules: the smallest type gets a search of its own before the
rules are given up, and a balloon lettered far from its speaker is avoided, else named (by the
rules or against them)."""

from __future__ import annotations

import math

from storyboard._lettering import placement
from storyboard._lettering.placement import LONG_TAIL, LOOSE_PASSES
from storyboard.layout import paginate
from storyboard.lettering import RULES_BROKEN, letter_panel_full
from storyboard.script import Story
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
    # It then had one balloon legal but 188 pt from its speaker: the search tried only near
    # copies of each earlier balloon's first place (`placement._distinct`).
    assert max(tails) <= LONG_TAIL, tails
    assert warnings == ["dialogue shrunk to 6.5 pt"]


def test_a_legal_balloon_far_from_its_speaker_is_named():
    # A small dog low on the left barks first, the tall robot on the right answers: the
    # answer reads after the bark beside it, low, its tail up the robot's body (newuser7's
    # dogbot p1 panel 2). Legal, yet the reader follows the tail: named as a fallback's is.
    chars = {"dog": {"description": "a small terrier", "figure": "animal"},
             "bot": {"description": "a rusty delivery robot", "figure": "robot"}}
    talk = {"shot": "medium", "action": "the dog barks at the robot from behind a bench",
            "cast": [{"dog": "left"}, {"bot": "right"}],
            "dialogue": [{"dog": {"text": "WOOF! WOOF!", "kind": "shout"}},
                         {"bot": "Greetings, small mammal. Please step aside."}]}
    s = Story.model_validate({"title": "T", "characters": chars, "page": {"size": "a4"}, "scenes": [
        {"id": "s", "setting": "a city park", "panels": [{"action": "a park", "size": "wide"}, talk,
                                                          {"action": "the robot", "cast": ["bot"]}]}]})
    book = paginate(s)
    slot = next(x for x in book.slots() if x.panel == 1)
    result = letter_panel_full(s, s.scenes[0].panels[1], slot, book.spec, FONT)
    far = max(math.dist(i.tail[0], i.tail[-1]) for i in result.items if i.tail)
    assert far > LONG_TAIL
    assert result.warnings == [f"a tail {far:.0f} pt long crosses the panel to its speaker, bot"]


# Six balloons of two speakers in a tall manga panel, the right one speaking first: too
# crowded for the rules at any size.
CROWDED = [("speech", "ana", "no way at all, friend"), ("whisper", "ana", "no way at all, friend"),
           ("speech", "ana", "no way at all, friend"), ("shout", "ben", "no way at all, friend"),
           ("thought", "ana", "a"), ("whisper", "ben", "hello there")]


def test_six_balloons_that_were_too_crowded_are_lettered_by_the_rules():
    # The search tried four near copies of each balloon's first place; places that differ
    # (`placement._distinct`) letter the panel by the rules, every tail short.
    warnings, tails = _letter(CROWDED, ("right", "left"), "ltr")
    assert warnings == ["dialogue shrunk to 6.5 pt"]
    assert max(tails) <= LONG_TAIL, tails


def test_a_balloon_lettered_far_from_its_speaker_is_named(monkeypatch):
    # The search letters CROWDED by the rules since `_distinct` (above); made to fail here,
    # it leaves the panel to the fallback, as before.
    monkeypatch.setattr(placement, "solve", lambda *args, **kwargs: None)
    warnings, tails = _letter(CROWDED, ("right", "left"), "ltr")
    (broken,) = [w for w in warnings if RULES_BROKEN in w]
    # Against the rules, a long tail costs as much as a clash: it was 285 pt, it is under 200.
    assert max(tails) < 200
    assert broken.endswith(f"; a tail {max(tails):.0f} pt long crosses the panel to its speaker, ana"), broken
    # Each balloon taking its least-bad place in turn left three tails across the panel (166,
    # 81 and 173 pt); one balloon off its best place spares the others.
    assert sum(tail > LONG_TAIL for tail in tails) == 1, tails


def _counting(monkeypatch, name):
    """Calls of placement's `name` (a list of their args), counted while lettering."""
    calls = []
    real = getattr(placement, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(placement, name, counted)
    return calls


def test_a_balloon_may_start_just_under_the_middle_of_the_one_before():
    # One balloon fewer than CROWDED: it was lettered against the rules (tails of 42 to 168
    # pt); with the grid's columns just under the middle of the balloon before among the
    # places, it is lettered by the rules, no tail over 30 pt.
    lines = CROWDED[:2] + CROWDED[3:]
    warnings, tails = _letter(lines, ("right", "left"), "ltr")
    assert not any(RULES_BROKEN in w for w in warnings), warnings
    assert max(tails) < LONG_TAIL, tails


def test_the_detours_of_a_panel_against_the_rules_cost_a_few_greedy_passes(monkeypatch):
    # Five speakers with a long line each on a small page: ten clashing balloons. Every piece's
    # three detours with the rest placed again made 154 placements (0.12 s a panel, the
    # greedy pass 10); their work is capped at LOOSE_PASSES passes.
    calls = _counting(monkeypatch, "_candidates")
    solved = _counting(monkeypatch, "solve_loose")
    cast = [{who: {"position": where}} for who, where in
            zip(("ana", "ben", "cy", "dee", "eve"), ("far-left", "left", "center", "right", "far-right"))]
    line = "I have a great deal to say about this matter and I will say all of it right now!"
    p = panel(cast=cast, dialogue=[{who: line} for who in ("ana", "ben", "cy", "dee", "eve")])
    s = story([p] * 4, page={"size": [120, 90]})
    book = paginate(s)
    slot = next(iter(book.slots()))
    letter_panel_full(s, s.scenes[0].panels[0], slot, book.spec, FONT)
    (pieces, _), = solved
    loose = sum(1 for args in calls if args[4] is False)
    assert loose <= (2 + LOOSE_PASSES) * len(pieces), (loose, len(pieces))
