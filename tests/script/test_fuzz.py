"""Property test: any text either loads as a Story or raises ScriptError with located problems."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyboard.errors import ScriptError
from storyboard.script import parse_story

EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "five-friends.yaml").read_text()
LINES = EXAMPLE.splitlines(keepends=True)
TOKENS = [":", "- ", "[", "]", "{", "}", "&a ", "*a", "<<: ", "'", '"', "\t", "  ", "\n", "!!python/object ",
          "~", "null", "-1", "1e999", "yes", "---\n", "...\n", "%YAML 1.1\n", "? ", "|\n", "#", "\x00", "é"]


def check(text: str) -> None:
    try:
        story = parse_story(text, filename="f.yaml", base_dir=Path(__file__).parent)
    except ScriptError as err:
        assert err.problems
        for p in err.problems:
            assert p.file == "f.yaml" and p.line >= 1 and p.column >= 1 and p.message
            assert "\n" not in p.message
        return
    assert story.title


mutation = st.tuples(
    st.integers(0, len(EXAMPLE)), st.integers(0, 40),
    st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)),
)


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutated_example(mutations):
    text = EXAMPLE
    for at, cut, insert in mutations:
        at = min(at, len(text))
        text = text[:at] + insert + text[at + cut:]
    check(text)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(LINES), max_size=30))
def test_shuffled_lines(lines):
    check("".join(lines))


yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10, 10**20), st.floats(), st.text(max_size=8)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.sampled_from(
                                   ["title", "scenes", "panels", "action", "cast", "dialogue", "page", "size",
                                    "characters", "mara", "position", "text", "kind", "style", "peels", "seed"]),
                                   children, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(yaml_values)
def test_random_structures(value):
    check(yaml.safe_dump(value, allow_unicode=True))
