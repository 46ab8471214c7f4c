"""Safe YAML loading that remembers where every value came from.

PyYAML's `compose()` gives each node a `start_mark`; we turn the node tree into plain Python
data ourselves so that we can (a) refuse duplicate keys, (b) bound the work an alias bomb,
deep nesting or a huge file can cause, (c) resolve scalars with the YAML 1.2 core schema
(`no` stays a string, `1:20` is not the integer 80), and (d) map a validation error's
location (a tuple of keys and indices) back to a line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

MAX_BYTES = 2 * 1024 * 1024  # a 600-panel story is ~200 KB; anything near this is a mistake
MAX_NODES = 200_000  # values after expanding aliases
MAX_DEPTH = 64


class YamlProblem(Exception):
    """A problem found while reading YAML, with its 0-based position."""

    def __init__(self, line: int, column: int, path: str, message: str):
        super().__init__(message)
        self.line, self.column, self.path, self.message = line, column, path, message


@dataclass
class Document:
    data: object
    root: yaml.Node | None


_INT = re.compile(r"[-+]?[0-9]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_SPECIAL = {
    "~": None, "null": None, "Null": None, "NULL": None, "": None,
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
    ".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf"), ".nan": float("nan"),
    ".Inf": float("inf"), "+.Inf": float("inf"), "-.Inf": float("-inf"), ".NaN": float("nan"),
}


def _scalar(node: yaml.ScalarNode):
    text = node.value
    if node.style is not None:  # quoted or block scalars are always strings
        return text
    if text in _SPECIAL:
        return _SPECIAL[text]
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text) and any(c.isdigit() for c in text):
        return float(text)
    return text


def parse(text: str) -> Document:
    """Parse one YAML document into plain data; raise YamlProblem on any problem."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YamlProblem(0, 0, "file", f"the script is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        message = ": ".join(filter(None, [err.context, err.problem])) or "invalid YAML"
        raise YamlProblem(mark.line if mark else 0, mark.column if mark else 0, "yaml", message) from None
    except yaml.YAMLError as err:  # reader errors: control characters, bad encoding
        raise YamlProblem(0, 0, "yaml", str(err).splitlines()[0]) from None
    except RecursionError:
        raise YamlProblem(0, 0, "yaml", "the YAML is nested too deeply") from None
    if root is None:
        return Document(None, None)
    return Document(_Builder().build(root, 0), root)


class _Builder:
    def __init__(self):
        self.nodes = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, depth: int):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise YamlProblem(
                node.start_mark.line, node.start_mark.column, "yaml",
                f"more than {MAX_NODES} values after expanding aliases (an alias bomb?)",
            )
        if depth > MAX_DEPTH:
            raise YamlProblem(
                node.start_mark.line, node.start_mark.column, "yaml",
                f"the YAML is nested more than {MAX_DEPTH} levels deep",
            )
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, depth + 1) for child in node.value]
        return self._mapping(node, depth)

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict:
        try:
            self.constructor.flatten_mapping(node)  # resolve `<<` merge keys in place
        except yaml.constructor.ConstructorError as err:
            mark = err.problem_mark or node.start_mark
            raise YamlProblem(mark.line, mark.column, "yaml", err.problem or "invalid merge key") from None
        out: dict = {}
        first: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem(
                    key_node.start_mark.line, key_node.start_mark.column, "yaml",
                    "a key must be a plain name, not a list or mapping",
                )
            key = key_node.value
            if key in first:
                raise YamlProblem(
                    key_node.start_mark.line, key_node.start_mark.column, "yaml",
                    f"duplicate key '{key}' (first given at line {first[key].start_mark.line + 1})",
                )
            first[key] = key_node
            out[key] = self.build(value_node, depth + 1)
        return out


# Shorthand entries are single-key mappings (`- mara: left`, `- keeper: {text: ..}`). The
# models normalise them to `{id: mara, position: left}`, so a location inside a normalised
# entry may need to step through the single key: these fields live on the key itself, and
# these on a scalar value.
_KEY_FIELDS = {"id", "speaker"}
_SCALAR_VALUE_FIELDS = {"position", "text"}


def locate(root: yaml.Node | None, loc: tuple, *, at_key: bool = False) -> tuple[yaml.Node | None, int]:
    """Find the node for a validation location: (node, how many loc items were matched).

    With `at_key`, a final mapping key resolves to the key node itself (unknown keys).
    """
    node, matched = root, 0
    for i, step in enumerate(loc):
        last = i == len(loc) - 1
        nxt = None
        if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            nxt = node.value[step]
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(step):
                    nxt = key_node if (last and at_key) else value_node
                    break
            if nxt is None and len(node.value) == 1:  # a shorthand entry
                key_node, value_node = node.value[0]
                if step in _KEY_FIELDS:
                    nxt = key_node
                elif step in _SCALAR_VALUE_FIELDS and isinstance(value_node, yaml.ScalarNode):
                    nxt = value_node
                elif isinstance(value_node, yaml.MappingNode):
                    for k, v in value_node.value:
                        if k.value == str(step):
                            nxt = k if (last and at_key) else v
                            break
        if nxt is None:
            break
        node, matched = nxt, matched + 1
    return node, matched
