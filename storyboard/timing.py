"""How long each panel is on screen in an animatic (and in the shot list).

A panel with `duration:` keeps it. Otherwise it is held for as long as its words take to read
(dialogue, captions and sound effects) at `words_per_minute`, never shorter than
`min_seconds`. Words are counted by Unicode word boundaries where the script has no spaces
(CJK), at two characters a word, the usual reading-speed equivalence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

WORDS_PER_MINUTE = 160.0  # comfortable reading of dialogue aloud; subtitles use 160-180
MIN_SECONDS = 2.0
_WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Timed:
    """One panel's place on the timeline, in seconds from the start."""

    scene: int
    panel: int
    start: float
    seconds: float

    @property
    def end(self) -> float:
        return self.start + self.seconds


def words(text: str) -> float:
    """Reading length of `text` in words (CJK: two characters a word)."""
    cjk = len(_CJK.findall(text))
    return len(_WORD.findall(_CJK.sub(" ", text))) + cjk / 2.0


def panel_words(panel: Any) -> float:
    texts = [line.text for line in panel.dialogue] + list(panel.sfx) + [panel.caption or ""]
    return sum(words(t) for t in texts)


def timeline(story: Any, *, fps: float | None = None) -> list[Timed]:
    """Every panel in story order with its start and duration. With `fps`, durations are
    rounded to whole frames (at least one), so the video and its subtitles agree exactly."""
    settings = getattr(story, "animatic", None)
    wpm = getattr(settings, "words_per_minute", WORDS_PER_MINUTE)
    minimum = getattr(settings, "min_seconds", MIN_SECONDS)
    out, start = [], 0.0
    for s, p, _, panel in story.panels():
        seconds = panel.duration if getattr(panel, "duration", None) else max(minimum, panel_words(panel) * 60.0 / wpm)
        if fps:
            seconds = max(1, round(seconds * fps)) / fps
        out.append(Timed(s, p, start, seconds))
        start += seconds
    return out


def cues(story: Any, timed: list[Timed]) -> Iterator[tuple[float, float, str]]:
    """Subtitle cues (start, end, text): a panel's lines share its time in proportion to their
    length, in dialogue order; a speaker's name leads each line, narration has none."""
    for t in timed:
        panel = story.scenes[t.scene].panels[t.panel]
        lines = []
        if panel.caption:
            lines.append(panel.caption)
        for line in panel.dialogue:
            name = "" if line.is_narration else story.character_name(line.speaker)
            lines.append(f"{name}: {line.text}" if name else line.text)
        total = sum(max(1.0, words(text)) for text in lines)
        at = t.start
        for text in lines:
            share = t.seconds * max(1.0, words(text)) / total
            yield at, at + share, text
            at += share
