"""A two-shot whose right figure speaks first (ltr page): the first balloon goes higher and
out of the way, so the left speaker's longer line still sits above her head, read second."""

from __future__ import annotations

import math

from storyboard.layout import paginate
from storyboard.lettering import letter_panel_full
from storyboard.text import load_chain
from tests.pages.stories import panel, story

FONT = load_chain()
FIRST = "A year? How will I get to work?"
LONG = "Did you see the news this morning about the bridge?"


def test_the_left_speakers_later_balloon_sits_above_her_head_not_under_it():
    # Nine small panels (a 3x3 grid), each Ben (right) speaking first, then Ana (left): the
    # first balloon took the place snug over Ben's head, which left Ana's no room above
    # hers, and it went under her head, over Ben's arm (newuser6's grid.yaml).
    talk = panel(size="small", cast=[{"ana": {"position": "left"}}, {"ben": {"position": "right"}}],
                 dialogue=[{"ben": FIRST}, {"ana": LONG}])
    s = story([talk] * 9)
    book = paginate(s)
    for slot in book.slots():
        if slot.panel not in (3, 5, 7):  # the left, right and middle columns
            continue
        result = letter_panel_full(s, s.scenes[0].panels[slot.panel], slot, book.spec, FONT, labels=True)
        heads = {fig.id: where["head"] for fig, where in result.staged}
        ben, ana = result.items
        assert (ben.speaker, ana.speaker) == ("ben", "ana")
        # (page points, y up) both over their speakers' heads; Ben's, read first, higher
        for item in (ben, ana):
            head_top = slot.rect.y1 - heads[item.speaker][1]
            assert item.body.y > head_top - 2.0, (slot.panel, item.speaker, item.body, head_top)
        assert ben.body.y1 > ana.body.y1 + 0.5 * ben.body.h, slot.panel


def test_the_first_balloon_does_not_climb_so_far_that_its_tail_crosses_the_panel():
    # The webtoon example's rooftop two-shot: Dele (right) speaks first, Ife's tall shout next.
    # Making room above Ife's head sent Dele's balloon up with a 79 pt tail; the shout takes
    # a place beside Ife's head instead, and every tail stays short.
    from pathlib import Path

    from storyboard import layout
    from storyboard._lettering.placement import LONG_TAIL
    from storyboard.lettering_report import lettering_report
    from storyboard.script import load_story

    s = load_story(Path(__file__).resolve().parents[2] / "examples" / "webtoon.yaml")
    report = lettering_report(s, layout.webtoon_book(s), FONT, labels=True)
    tails = [math.dist(item["tail"][0], item["tail"][-1]) for record in report.values()
             for item in record["lettering"] if len(item["tail"]) > 1]
    assert tails and max(tails) <= LONG_TAIL
