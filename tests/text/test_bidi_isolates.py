"""Bidi isolates (LRI, RLI, FSI, PDI: what web pages and chat apps put around names and
numbers) in a script's text are laid out, not a traceback from python-bidi's algorithm,
which predates them."""

from __future__ import annotations

import json

import storyboard
from storyboard.text.shaping import bidi_levels


def test_isolates_take_the_level_of_their_direction():
    levels = bidi_levels("a \u2067\u05e9\u05dc\u05d5\u05dd\u2069 b", False)
    assert levels[3:7] == [1, 1, 1, 1] and levels[0] == levels[-1] == 0
    # FSI takes the direction of its first strong letter; a nested isolate is skipped.
    assert bidi_levels("a \u2068\u2066x\u2069\u05e9\u2069", False)[4:7:2] == [2, 1]
    assert bidi_levels("\u05e9 \u2068x\u2069", True)[3] == 2
    # A PDI that closes nothing changes nothing.
    assert bidi_levels("\u05e9 \u2069 b", False) == [1, 0, 0, 0, 0]


def test_a_line_with_isolates_renders(tmp_path):
    line = "Hi \u2067\u05e9\u05dc\u05d5\u05dd\u2069 and \u2068@user\u2069 \u2066ok\u2069!"
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps({"title": "T", "page": {"size": "a4", "dpi": 36}, "scenes": [
        {"panels": [{"action": "a room", "caption": line}]}]}, ensure_ascii=False), encoding="utf-8")
    result = storyboard.render(path, engine="draft", out=tmp_path / "s.pdf", cache=False, watermark=False)
    assert result.pages == 1 and (tmp_path / "s.pdf").stat().st_size > 0
