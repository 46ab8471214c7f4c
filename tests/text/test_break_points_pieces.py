"""Line break opportunities found piece by piece (storyboard.text.breaking._break_points)
are exactly uniseg's for the whole text: the cuts and the letter folding change the speed,
never the answer."""

from __future__ import annotations

import random

from uniseg.linebreak import line_break_breakables

from storyboard.text import breaking


def whole(text: str) -> tuple[int, ...]:
    return tuple(i for i, b in enumerate(line_break_breakables(text)) if b and i)


# Characters that make UAX #14 look around: opening and closing brackets, quotes of every
# kind, hyphens, no-break and zero-width spaces, soft hyphens, numbers with their prefixes
# and separators, combining marks, joiners, regional indicators, emoji with modifiers,
# Hebrew, Thai, kana and ideographs with their punctuation, the dotted circle, tabs, newlines.
RISKY = list("()[]{}\"'“”‘’«»-\u2010\u00a0\u200b\u00ad\u2014…、。あア漢ー」「\u0301\u200d🇫🇷👍🏻א$%/\t\n\r"
             "ก\u25ccᬅ\u2060\u202f–·@#&*+=<>|~_\u3000")


def test_real_lines_break_as_uniseg_says():
    lines = ["We should have left an hour ago.", "They're coming back. Hurry!", "Is that what I think it is?",
             "Did you bring the key, or do I have to ask again?", "Vraiment\u202f! Tu viens\u00a0? «\u202fOui\u202f»",
             "12 o'clock: 3.5 km (about 2 miles) to go; \"run\" - now!", "extra\u00adordinary well-known 1990-2000",
             "( a  b ) [c] 'd' “e” ‘f’ A1 b2. C3, d4! e5? f6; g7: h8"]
    for text in lines:
        assert breaking.break_points(text) == list(whole(text)), text


def test_random_text_breaks_as_uniseg_says():
    rng = random.Random(16)
    for _ in range(300):
        words = []
        for _ in range(rng.randint(1, 6)):
            word = "".join(rng.choice("abXY09.,!?;:") for _ in range(rng.randint(1, 4)))
            if rng.random() < 0.5:
                word = rng.choice(RISKY) + word
            if rng.random() < 0.5:
                word += rng.choice(RISKY)
            words.append(word)
        text = rng.choice([" ", "  ", " \u00a0", " "]).join(words)
        assert tuple(breaking.break_points(text)) == whole(text), repr(text)
