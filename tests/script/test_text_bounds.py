"""Lettered text has a bound, checked at validate: a 2,000-word caption is refused in a
second, located, instead of rendering for minutes."""

from __future__ import annotations

import time

import pytest

from storyboard.errors import ScriptError
from storyboard.script import MAX_LETTERED, parse_story

SCRIPT = """title: T
characters:
  ana: {{description: a woman}}
scenes:
  - panels:
      - action: {action}
        cast: [ana]
        caption: {caption}
        dialogue:
          - ana: {line}
        sfx: [{sfx}]
"""


@pytest.mark.parametrize("field", ["action", "caption", "line", "sfx"])
def test_overlong_lettered_text_is_located(field):
    values = dict(action="a street", caption="Later.", line="Hi.", sfx="BANG")
    values[field] = "word " * 2000
    started = time.perf_counter()
    with pytest.raises(ScriptError) as err:
        parse_story(SCRIPT.format(**values), filename="s.yaml")
    assert time.perf_counter() - started < 2
    message = str(err.value)
    assert message.startswith("s.yaml:") and f"at most {MAX_LETTERED}" in message and "\n" not in message


def test_text_at_the_bound_is_accepted():
    parse_story(SCRIPT.format(action="a street", caption="x" * MAX_LETTERED, line="Hi.", sfx="BANG"))
