"""libyaml composes a script only where it reads it exactly as ruamel's YAML 1.2 parser does.

The fast path (`compose_fast`: `parse`'s `_libyaml_tree`, then `_ruamel_nodes`) either
declines (`_SLOW`: ruamel composes) or returns the very tree ruamel would: same node kinds,
tags, values, styles, flow styles, start marks (which locate every validation problem) and
shared alias nodes. Checked on the examples, on the fuzz corpus's mutants and random
structures, and on each difference found that way.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml.nodes import MappingNode, ScalarNode

from storyboard import _yaml
from tests.script.test_fuzz import EXAMPLE, FUZZ, SMALL, dump, mutate, mutations, yaml_values

libyaml = pytest.importorskip("yaml._yaml", reason="PyYAML built without libyaml: ruamel composes everything")
if libyaml.get_version() != _yaml.LIBYAML_TESTED:
    pytest.skip("another libyaml: the fast path is off", allow_module_level=True)

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


def compose_fast(text: str):
    """What `_yaml.parse` composes on its fast path: libyaml's tree as ruamel's nodes, or `_SLOW`."""
    return _yaml._ruamel_nodes(_yaml._libyaml_tree(text))


def ruamel(text: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _yaml._loader().compose(text)


def difference(a, b, pairs: dict) -> str | None:
    """Where two node trees differ, or None."""
    if type(a) is not type(b):
        return f"{type(a).__name__} vs {type(b).__name__}"
    if id(a) in pairs:
        return None if pairs[id(a)] is b else "aliases differ"
    pairs[id(a)] = b
    where = f"{a.start_mark.line}:{a.start_mark.column}"
    if (a.start_mark.line, a.start_mark.column) != (b.start_mark.line, b.start_mark.column):
        return f"mark {where} vs {b.start_mark.line}:{b.start_mark.column}"
    if _yaml._tag(a) != _yaml._tag(b):
        return f"tag at {where}: {_yaml._tag(a)} vs {_yaml._tag(b)}"
    if isinstance(a, ScalarNode):
        return None if (a.value, a.style) == (b.value, b.style) else f"scalar at {where}"
    if bool(a.flow_style) != bool(b.flow_style) or len(a.value) != len(b.value):
        return f"collection at {where}"
    for x, y in zip(a.value, b.value):
        found = (difference(x[0], y[0], pairs) or difference(x[1], y[1], pairs)) if isinstance(a, MappingNode) \
            else difference(x, y, pairs)
        if found:
            return found
    return None


def check_alike(text: str) -> bool:
    """Whether the fast path took `text` (and then, that it composed what ruamel does)."""
    fast = compose_fast(text)
    if fast is _yaml._SLOW:
        return False
    try:
        reference = ruamel(text)
    except Exception as err:  # noqa: BLE001 - any ruamel error must have stopped the fast path
        raise AssertionError(f"libyaml composed what ruamel refuses ({type(err).__name__}): {text!r}") from None
    if fast is None or reference is None:
        assert fast is reference, text
    else:
        assert difference(fast, reference, {}) is None, (difference(fast, reference, {}), text)
        # `parse` builds the data from libyaml's own nodes: the same data, or the same problem
        assert outcome(lambda: _yaml.parse(text).data) == outcome(lambda: _yaml._Builder().build(reference, 0)), text
    return True


def outcome(build) -> str:
    try:
        return repr(build())  # repr: a .nan is not equal to itself
    except _yaml.YamlProblem as problem:
        return f"{problem.line}:{problem.column}: {problem.message}"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_take_the_fast_path_and_compose_alike(path):
    text = path.read_text(encoding="utf-8")
    assert check_alike(text)
    data = _yaml.parse(text).data
    assert data == _yaml.Document(_yaml._Builder().build(ruamel(text), 0), None).data


@pytest.mark.parametrize("text", [
    "a:\nb: c\n",  # an empty value: ruamel marks it where the next token starts
    "a: [x, ? ]\n",
    "a:\n? \nb: c\n",
    "a: b\nc\ufeff: d\n",  # a byte order mark inside: libyaml's columns skip it
    "a:\n\tb: c\n",  # tabs: libyaml takes some that ruamel refuses
    "a: {posi: x,\texpr: happy}\n",
    "%YAML 1.1\n---\na: yes\n",  # ruamel reads by the version directive
    "a: b\u2028c: d\n",  # a YAML 1.1 line break
    "a: &x b\nc: &x d\ne: *x\n",  # libyaml refuses a reused anchor; ruamel allows it
    'a: "\\ud83d\\ude00"\n',
    "a: b\n---\nc: d\n",
    "a: 1\n...\n...\n", "a: 1\n... \n\n...",  # a second document end marker: ruamel refuses it
    "a: |#\n  x\n", "|\n#x\n", "--- |\n#x\n",  # a header into a comment; a root block scalar
    "- |\n  \n    x\n",  # a block scalar's first line of spaces, then a deeper one: ruamel refuses
    "a: &b?c d\n", "a: *b?c\n",  # anchor names
    '["a":b]\n', "[[] :b]\n", "[{} :b]\n",  # ruamel refuses a JSON-like key inside [...]
    "a: !!str &x b\n", "!!!str  ---: 1\n", "a: !x 1\n",  # explicit tags
])
def test_what_libyaml_reads_differently_is_left_to_ruamel(text):
    assert compose_fast(text) is _yaml._SLOW


@pytest.mark.parametrize("text", [
    "a: {text: Again?, kind: shout}\n", "[a?b, c]\n", "{a: b:c}\n", "{a: b?c}\n", "? [a, b]\n: c\n",
    "a: 1e3\nb: .5e3\nc: -.5\nd: 007\ne: 0x1F\nf: 1_000\ng: yes\nh: ~\ni: '1'\nj: Attends ! Non\n",
    "a: |\n  x\n\n", "a: >-\n  x\n  y\n", "a: b\r\nc: d\r\n", "\ufeffa: b\n", "a: \U0001F600x\n",
    "a: &b {x: 1}\nc: {<<: *b, y: 2}\n", "", "# only a comment\n", "a: b\n...\n",
])
def test_what_libyaml_reads_alike_takes_the_fast_path(text):
    assert check_alike(text) or text == ""


@settings(FUZZ, max_examples=600)
@given(mutations(len(SMALL)))
def test_mutants_compose_alike(found):
    check_alike(mutate(SMALL, found))


@settings(FUZZ, max_examples=150)
@given(mutations(len(EXAMPLE)))
def test_mutated_example_composes_alike(found):
    check_alike(mutate(EXAMPLE, found))


@settings(FUZZ, max_examples=200)
@given(yaml_values)
def test_random_structures_compose_alike(value):
    check_alike(dump(value))


@given(st.text(alphabet="ab:-?,[]{}#&*!|>'\"% \n\t\\", max_size=30))
@settings(FUZZ, max_examples=800)
def test_punctuation_soup_composes_alike(text):
    check_alike(text)


TOKENS = ["a", '"a"', "'a'", ":", ": ", ":b", " :b", "[", "]", "{", "}", ",", ", ", "?", "? ", " ", "\n", "\n  ", "- ",
          "#", "&a ", "*a", "!!str ", "|", ">", "'", '"', "\\", "!", "&", "*", "---", "...", "%", "~", "1"]


@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=9))
@settings(FUZZ, max_examples=1500)
def test_token_soup_composes_alike(tokens):
    check_alike("".join(tokens))


def test_ruamel_nodes_are_made_only_to_locate_a_problem(monkeypatch):
    made = []
    real = _yaml._ruamel_tree
    monkeypatch.setattr(_yaml, "_ruamel_tree", lambda node, done: made.append(1) or real(node, done))
    doc = _yaml.parse(EXAMPLES[0].read_text(encoding="utf-8"))
    assert made == [] and not doc.empty
    root = doc.root
    assert len(made) > 1 and doc.root is root
    assert difference(root, ruamel(EXAMPLES[0].read_text(encoding="utf-8")), {}) is None


@pytest.mark.parametrize("text", ["a: {&a : x}\n", "a:\n  &k : x\n", "- {? : x}\n"])
def test_an_empty_key_is_left_to_ruamel(text):
    # libyaml's data had {'': 'x'} while ruamel's nodes could not be made to locate a problem in it
    doc = _yaml.parse(text)
    assert difference(doc.root, ruamel(text), {}) is None
    assert outcome(lambda: doc.data) == outcome(lambda: _yaml._Builder().build(ruamel(text), 0))
