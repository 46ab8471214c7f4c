"""Property test: any text either loads as a Story or raises ScriptError with located problems,
each one line `FILE:LINE:COL: ...` that any terminal can print. 3,500 examples in all.

`mutate()` is shared with `fuzz_mutants.py`, which runs many more of them outside CI.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from storyboard.errors import ScriptError
from storyboard.render import script_checks
from storyboard.script import parse_story

HERE = Path(__file__).resolve().parent
EXAMPLE = (HERE.parents[1] / "examples" / "five-friends.yaml").read_text()
LINES = EXAMPLE.splitlines(keepends=True)
# A small script with every construct the kinds below aim at (parses in a few ms).
SMALL = """\
title: Again?
page: {size: [150, 220], dpi: 100}
characters:
  leo: &base {description: a tall boy, kind: drawn}
  nora: {<<: *base, name: Nora}
scenes:
  - id: s1
    panels:
      - action: Leo shouts.
        cast: [leo, {nora: right}]
        caption: 3.10
        sfx: [1.50, BANG]
        dialogue:
          - leo: {text: Again?, kind: shout}
          - nora: "Wait, \\u00e9"
          - narration: Later.
"""
TOKENS = [
    # structure and YAML 1.1/1.2 differences
    ":", "- ", "[", "]", "{", "}", "&a ", "*a", "<<: ", "'", '"', "\t", "  ", "\n", "!!python/object ",
    "~", "null", "-1", "1e999", "yes", "---\n", "...\n", "%YAML 1.1\n", "? ", "|\n", "#", "\x00", "é",
    # unicode ids and text
    "\U0001F600", "\u0130", "\u00df", "e\u0301", "\u200d", "\u202e", "\ufeff", "\U000E0001", "\uffff",
    '"\\ud83d\\ude00"', '"\\ud83d"', '"\\U0001F600"', '"\\x1b[31m"', '"\\N\\L\\P"',
    # control characters
    "\x1b", "\v", "\x7f", "\x85", "\u2028", "\r", "\r\n", "\x08",
    # huge and odd numbers
    "9" * 5000, "-" + "1" * 400, "1e308", "-0", "0x1F", "0o17", ".inf", "-.nan", "1_000", "007", "3.10", "1:20",
    # flow-mapping punctuation
    "{text: Again?, kind: shout}", "?", "?!", ", ", ": ", ",", "!", "&", "*", "|", ">", "%", "@", "`", "{a: b: c}",
    "[?]", "{? a}", "{,}", "[,]",
    # merge keys
    "<<: *a", "<<: [*a, *a]", "<<: 1", "<<: [1]", "{<<: *a, <<: *a}", "&a {x: 1}", "*b", "<<",
]
ONE_LINE = re.compile(r"^f\.yaml:\d+:\d+: \S")


def check(text: str, *, checks=None) -> None:
    try:
        story = parse_story(text, filename="f.yaml", base_dir=HERE, checks=checks)
    except ScriptError as err:
        assert err.problems
        for p in err.problems:
            assert p.file == "f.yaml" and p.line >= 1 and p.column >= 1 and p.message
            line = str(p)
            assert ONE_LINE.match(line) and line.isprintable() and len(line) < 1200, line
            line.encode("utf-8")  # no lone surrogate: every terminal can print it
        return
    assert story.title


def mutate(text: str, mutations) -> str:
    for at, cut, insert in mutations:
        at = min(at, len(text))
        text = text[:at] + insert + text[at + cut:]
    return text


def mutations(size: int):
    return st.lists(st.tuples(st.integers(0, size), st.integers(0, 40),
                              st.one_of(st.sampled_from(TOKENS), st.text(max_size=6))), min_size=1, max_size=4)


FUZZ = settings(deadline=None, suppress_health_check=list(HealthCheck))


@settings(FUZZ, max_examples=800)
@given(mutations(len(EXAMPLE)))
def test_mutated_example(found):
    check(mutate(EXAMPLE, found))


@settings(FUZZ, max_examples=2000)
@given(mutations(len(SMALL)))
def test_mutated_small_script_through_validate(found):
    check(mutate(SMALL, found), checks=script_checks)


@settings(FUZZ, max_examples=300)
@given(st.lists(st.sampled_from(LINES), max_size=30))
def test_shuffled_lines(lines):
    check("".join(lines))


KEYS = ["title", "scenes", "panels", "action", "cast", "dialogue", "page", "size", "dpi", "margin_mm", "characters",
        "mara", "position", "text", "kind", "style", "peels", "seed", "caption", "sfx", "<<"]
yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10, 10**20), st.floats(), st.text(max_size=8)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=4)),
                                               children, max_size=4)),
    max_leaves=25,
)


def dump(value) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_unicode = True
    out = io.StringIO()
    yaml.dump(value, out)
    return out.getvalue()


@settings(FUZZ, max_examples=400)
@given(yaml_values)
def test_random_structures(value):
    check(dump(value))


def test_small_script_is_valid():
    story = parse_story(SMALL, filename="f.yaml", checks=script_checks)  # the mutants start from a valid script
    assert story.characters["nora"].name == "Nora" and story.scenes[0].panels[0].caption == "3.10"
