"""Safe YAML 1.2 loading that remembers where every value came from.

ruamel.yaml (pure-Python parser, YAML 1.2: `{text: Again?}` is a plain scalar) composes a
node tree whose nodes carry `start_mark`s. That parser takes most of a second on a 100-page
script, so where libyaml reads a text exactly as ruamel does, libyaml's C parser (through
PyYAML) composes it and the tree is rebuilt as ruamel nodes, its scalars resolved by ruamel's
YAML 1.2 resolver (see `_libyaml_tree`). We turn that tree into plain Python data ourselves
so that we can (a) refuse duplicate keys while letting explicit keys override `<<` merge keys,
(b) bound the work an alias bomb, deep nesting or a huge file can cause, (c) resolve scalars
with the YAML 1.2 core schema (`no` stays a string, `1:20` is not the integer 80) while every
number remembers how it was written (`caption: 3.10` is lettered "3.10", see `as_written`),
never building objects from tags, and (d) map a validation error's location (a tuple of keys
and indices) back to a line and column.
"""

from __future__ import annotations

import json
import re
import warnings
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_BYTES = 2 * 1024 * 1024  # a 600-panel story is ~200 KB; anything near this is a mistake
MAX_NODES = 200_000  # values after expanding aliases
MAX_DEPTH = 64
MAX_INT_DIGITS = 64  # longer integers are kept as (infinite) floats: never a number a script needs


class YamlProblem(Exception):
    """A problem found while reading YAML, with its 0-based position."""

    def __init__(self, line: int, column: int, path: str, message: str):
        super().__init__(message)
        self.line, self.column, self.path, self.message = line, column, path, message


class Document:
    """A parsed document: its plain `data` and `root`, the node tree (ruamel's nodes) that
    locates a problem in it. Where libyaml composed it, that tree is made from libyaml's
    on first use: only a problem to locate needs it."""

    def __init__(self, data: object, root: Node | None, *, libyaml_root=None):
        self.data, self._root, self._libyaml_root = data, root, libyaml_root

    @property
    def root(self) -> Node | None:
        if self._libyaml_root is not None:
            self._root, self._libyaml_root = _ruamel_tree(self._libyaml_root, {}), None
        return self._root

    @property
    def empty(self) -> bool:
        return self._root is None and self._libyaml_root is None


class WrittenInt(int):
    """An integer from a plain scalar, with `source`: the text as written (`007`)."""

    source: str


class WrittenFloat(float):
    """A float from a plain scalar, with `source`: the text as written (`3.10`, `1e3`)."""

    source: str


def as_written(value):
    """The text a number was written as in the script (`3.10`, `007`), else `value` itself.
    Text fields use this so that a caption reading 3.10 is never lettered "3.1"."""
    return getattr(value, "source", value)


_INT = re.compile(r"[-+]?[0-9]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_SPECIAL = {
    "~": None, "null": None, "Null": None, "NULL": None, "": None,
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
    ".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf"), ".nan": float("nan"),
    ".Inf": float("inf"), "+.Inf": float("inf"), "-.Inf": float("-inf"), ".NaN": float("nan"),
}
_STR_TAG = "tag:yaml.org,2002:str"


def _tag(node: Node) -> str | None:
    tag = node.tag  # a str in older ruamel.yaml, a Tag object in newer ones
    return getattr(tag, "value", tag)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(node: ScalarNode) -> str:
    """A scalar's text, with JSON-style escaped UTF-16 pairs (`"\\ud83d\\ude00"`) joined into
    the character they encode; a lone half of a pair is a located error."""
    text = _join_pairs(node.value)
    lone = None if text.isascii() else _SURROGATE.search(text)
    if lone:
        raise YamlProblem(*_line(node), "yaml",
                          f"\\u{ord(lone.group()):04x} is half of a UTF-16 pair: write the character itself")
    return text


def _join_pairs(text: str) -> str:
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _is_key(node: Node, step) -> bool:
    return isinstance(node, ScalarNode) and _join_pairs(node.value) == str(step)


def _scalar(node: ScalarNode):
    text = _text(node)
    if node.style or _tag(node) == _STR_TAG:  # quoted, block or `!!str` scalars are strings
        return text
    if text in _SPECIAL:
        return _SPECIAL[text]
    if _INT.match(text) and len(text) <= MAX_INT_DIGITS:
        number = WrittenInt(text)
    elif _FLOAT.match(text) and any(c.isdigit() for c in text):
        number = WrittenFloat(text)  # float() of a huge literal is inf, never an error
    else:
        return text
    number.source = text
    return number


def _loader() -> YAML:
    yaml = YAML(typ="safe", pure=True)  # the C parser is YAML 1.1
    yaml.allow_duplicate_keys = True  # we report duplicates ourselves, with both lines
    return yaml


def parse(text: str) -> Document:
    """Parse one YAML document into plain data; raise YamlProblem on any problem."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YamlProblem(0, 0, "file", f"the script is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    _check_flow_depth(text)
    try:
        tree = _libyaml_tree(text)
        if tree is not _SLOW and tree is not None:
            try:
                return Document(_Builder(libyaml=True).build(tree, 0), None, libyaml_root=tree)
            except (YamlProblem, _EmptyValue, RecursionError):  # said as ruamel's nodes say it
                pass
        root = _ruamel_nodes(tree)
        if root is _SLOW:
            with warnings.catch_warnings():  # ruamel warns (on stderr) about reused anchors: allowed
                warnings.simplefilter("ignore")
                root = _loader().compose(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        if "quoted scalar" in (err.context or "") and err.context_mark is not None:
            mark = err.context_mark  # where the quote that never closes opened, not the end of the file
        message = ": ".join(filter(None, [err.context, err.problem])) or "invalid YAML"
        message = message.replace("found '?'", "found a key")  # the parser's name for a key token
        hint = _hint(text, err)
        raise YamlProblem(mark.line if mark else 0, mark.column if mark else 0, "yaml",
                          f"{message} ({hint})" if hint else message) from None
    except YAMLError as err:  # reader errors: control characters, bad encoding
        first = str(err).strip().splitlines()
        raise YamlProblem(0, 0, "yaml", first[0] if first else "invalid YAML") from None
    except RecursionError:
        raise YamlProblem(0, 0, "yaml", "the YAML is nested too deeply") from None
    if root is None:
        return Document(None, None)
    return Document(_Builder().build(root, 0), root)


_SLOW = object()
# What libyaml (a YAML 1.1 parser) reads differently from ruamel's YAML 1.2 parser, found by
# composing fuzzed scripts and punctuation both ways (tests/script/test_yaml_fast.py). Such
# text is left to ruamel, and so are a byte order mark after the start (libyaml's columns
# skip it), empty values (ruamel marks them where the next token starts) and a document
# that is one scalar (libyaml ends a root block scalar at a `#` line).
_LIBYAML_DIFFERS = re.compile("|".join([
    r"^%",  # a directive: `%YAML 1.1` makes ruamel read YAML 1.1
    r"[\t\x85\u2028\u2029]",  # tabs (libyaml takes some ruamel refuses), YAML 1.1's line breaks
    r"[&*][\w-]*[^\w\s,\[\]{}-]",  # anchor names: YAML 1.2 takes `&a?b`, libyaml stops at `?`
    r"(?:^|[:?,\[{-]|&\S*)[ ]*!",  # explicit tags (`!!str &a x` starts at the tag or the anchor)
    r"[\"'\]}]\s*:\S",  # `["a":b]`, `[[] :b]`: ruamel refuses a JSON-like key inside [...]
    r"[|>][-+0-9]*#",  # a block scalar header running into a comment
    r"[|>][-+0-9]*[ ]*(?:#[^\n]*)?\r?\n[ ]+(?:\r?\n|\Z)",  # ... or whose first line is only spaces
    r"^\.\.\.(?:.|\n)*^\.\.\.",  # a second document end marker: ruamel refuses it, libyaml ignores it
]), re.MULTILINE | re.ASCII)
LIBYAML_TESTED = (0, 2, 6)  # the libyaml this equivalence was established with


def _ruamel_nodes(tree):
    """`_libyaml_tree`'s answer as ruamel's nodes; `_SLOW` where ruamel must compose."""
    if tree is _SLOW or tree is None:
        return tree
    try:
        return _ruamel_tree(tree, {})
    except (_EmptyValue, RecursionError):
        return _SLOW


def _libyaml_tree(text: str):
    """libyaml's node tree of `text` (PyYAML's nodes, tagged by ruamel's YAML 1.2 resolver),
    None for an empty document, `_SLOW` where it is not known to read as ruamel would: no
    libyaml of the tested version, text libyaml reads differently, or any error (ruamel then
    reports it in its own words). Empty values are found when the tree is read."""
    if _LIBYAML_DIFFERS.search(text) or "\ufeff" in text[1:]:
        return _SLOW
    try:
        import yaml
        from yaml import nodes as ynodes
        from yaml._yaml import CParser, get_version
    except ImportError:
        return _SLOW
    if get_version() != LIBYAML_TESTED:
        return _SLOW
    resolver = _loader().resolver
    kinds = {ynodes.ScalarNode: ScalarNode, ynodes.SequenceNode: SequenceNode, ynodes.MappingNode: MappingNode}
    tags: dict = {}  # ruamel's tag of each (kind, text, implicit): the same text recurs thousands of times

    class Parser(CParser):
        def resolve(self, kind, value, implicit):  # called by libyaml's composer for untagged nodes
            key = (kind, value, implicit)
            tag = tags.get(key)
            if tag is None:
                tag = tags[key] = resolver.resolve(kinds[kind], value, implicit)
            return tag

        def descend_resolver(self, parent, index):  # path-dependent resolvers: none here
            pass

        def ascend_resolver(self):
            pass

    try:
        parser = Parser(text)  # UnicodeEncodeError (a ValueError) for lone surrogates
    except ValueError:
        return _SLOW
    try:
        root = parser.get_single_node()
    except (yaml.YAMLError, RecursionError, ValueError):
        return _SLOW
    finally:
        parser.dispose()
    if root is None:
        return None
    if type(root).__name__ == "ScalarNode":
        return _SLOW
    return root


class _EmptyValue(Exception):
    pass


def _ruamel_tree(node, done: dict):
    """PyYAML's node tree as ruamel nodes (an alias stays the same node object)."""
    made = done.get(id(node))
    if made is not None:
        return made
    kind = type(node).__name__
    if kind == "ScalarNode":
        if not node.value and not node.style:
            raise _EmptyValue
        # PyYAML's C composer marks a plain scalar with style '', ruamel with None.
        made = ScalarNode(node.tag, node.value, node.start_mark, node.end_mark, style=node.style or None)
    elif kind == "SequenceNode":
        made = SequenceNode(node.tag, [], node.start_mark, node.end_mark, flow_style=node.flow_style)
        done[id(node)] = made
        made.value.extend(_ruamel_tree(child, done) for child in node.value)
    else:
        made = MappingNode(node.tag, [], node.start_mark, node.end_mark, flow_style=node.flow_style)
        done[id(node)] = made
        made.value.extend((_ruamel_tree(k, done), _ruamel_tree(v, done)) for k, v in node.value)
    done[id(node)] = made
    return made


_QUOTED_OR_COMMENT = re.compile(r"'(?:[^'\n]|'')*'|\"(?:\\.|[^\"\\\n])*\"|#[^\n]*")
_BRACKETS = re.compile(r"[\[\]{}]")


def _check_flow_depth(text: str) -> None:
    """Refuse deeply nested [ and { before parsing: the pure-Python parser takes seconds to
    reach its recursion limit on a few thousand of them."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    bare = _QUOTED_OR_COMMENT.sub(lambda m: " " * len(m.group()), text)
    depth = 0
    for match in _BRACKETS.finditer(bare):
        depth = depth + 1 if match.group() in "[{" else max(0, depth - 1)
        if depth > MAX_DEPTH:
            line = text.count("\n", 0, match.start())
            column = match.start() - (text.rfind("\n", 0, match.start()) + 1)
            raise YamlProblem(line, column, "yaml", f"the YAML is nested more than {MAX_DEPTH} levels deep")


# ---------------------------------------------------------------------- syntax error hints

_TAB = "indent with spaces: YAML does not allow tabs there"
_TAB_AFTER = "YAML takes no tab here, after a ':' or inside unquoted text: use a space, or put the text in quotes"
_COLON = "text containing ': ' must be in quotes"
_COMMENT = "' #' starts a comment: put text containing '#' in quotes"
_FLOW = "inside {...} or [...], a ',', ':', '{' or '[' in text ends the value: put the text in quotes"
_UNCLOSED = "a '[' or '{' is never closed; text starting with '[' or '{' must be in quotes"
_INDENT = "check this line's indentation against the lines above"


def _hint(text: str, err: MarkedYAMLError) -> str:
    """A one-line hint for the common slips behind a syntax error, or ''."""
    problem = f"{err.context or ''} {err.problem or ''}"
    marks = [m for m in (err.context_mark, err.problem_mark) if m is not None]
    if not marks:
        return ""
    lines = text.splitlines()
    quoting = any(k in problem for k in ("quoted scalar", "block end", "expected ':'", "flow"))
    opened = _unclosed_quote(lines, max(m.line for m in marks)) if quoting else None
    if opened is not None:
        return f"the quote opened at line {opened[0] + 1}, column {opened[1] + 1} is not closed on its line"
    indicator = _indicator_hint(lines, err, problem)
    if indicator:
        return indicator
    first, last = min(m.line for m in marks), max(m.line for m in marks)
    span = lines[max(0, first - 1):last + 1]
    if "\t" in problem or any(line[:len(line) - len(line.lstrip())].count("\t") for line in span):
        return _TAB
    if "'\\t'" in problem:  # ruamel spells the tab it found '\t': `title:<tab>My Story`, `action: a<tab>cat`
        return _TAB_AFTER
    if "mapping values are not allowed" in problem:
        return f"{_INDENT}; {_COLON}" if _deeper_than_above(lines, err.problem_mark.line) else _COLON
    if any(re.search(r"\s#", _unquoted(line)) for line in span) and "flow" in problem:
        return _COMMENT
    if "<stream end>" in problem:
        return _UNCLOSED
    if "flow" in problem:
        return _FLOW
    if any(k in problem for k in ("block end", "expected key", "expected ':'", "block mapping", "block collection")):
        return f"{_INDENT}; {_COLON}"
    return ""


def _indicator_hint(lines: list[str], err: MarkedYAMLError, problem: str) -> str:
    """The hint for text a writer did not quote that YAML reads as syntax: a quote inside
    quotes (`"He said "hi""`, `'I can't'`), or text starting with `*`, `@`, a backquote or `- `."""
    mark = err.problem_mark
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    before = line[:mark.column].rstrip() if mark is not None else ""
    if "'<scalar>'" in problem and before[-1:] == '"':
        return "a '\"' inside \"...\" ends the text: write it \\\", or put the text in '...'"
    if "'<scalar>'" in problem and before[-1:] == "'":
        return "a ' inside '...' ends the text: write it twice, '', or put the text in \"...\""
    if "undefined alias" in problem:
        return "'*' names an anchor: text starting with '*' must be in quotes"
    if "cannot start any token" in problem and line[mark.column:mark.column + 1] in ("@", "`"):
        return f"text starting with '{line[mark.column]}' must be in quotes"
    if "sequence entries are not allowed here" in problem:
        return "text starting with '- ' must be in quotes"
    return ""


# Where a quoted scalar may start: the line's start, after `- `, `: `, `[`, `{` or `,`.
_QUOTE_OPENS = re.compile(r"""(?:^\s*|-\s+|:\s+|[\[{,]\s*)(["'])""")


def _unclosed_quote(lines: list[str], last: int) -> tuple[int, int] | None:
    """(line, column) of the last quote at or above line `last` that opens a scalar and is not
    closed on its own line, or None: behind a syntax error, such a quote (legal YAML where the
    text runs on) usually swallowed the lines up to the error."""
    for index in range(min(last, len(lines) - 1), -1, -1):
        line, at = lines[index], 0
        while (match := _QUOTE_OPENS.search(line, at)) is not None:
            start = match.start(1)
            rest = line[start + 1:].replace("''", "  ")  # same length: a doubled ' is a quote inside '...'
            closed = re.search(r'(?<!\\)"' if line[start] == '"' else "'", rest)
            if closed is None:
                return index, start
            at = start + 1 + closed.end()
    return None


def _deeper_than_above(lines: list[str], index: int) -> bool:
    """Whether line `index` is indented deeper than the nearest line above with content: a
    `key: value` pushed under a key that already has its value (`size: a4` / `    dpi: 300`)."""
    def indent(line: str) -> int:
        return len(line) - len(line.lstrip(" "))
    above = [line for line in lines[:index] if line.strip() and not line.lstrip().startswith("#")]
    return index < len(lines) and bool(above) and indent(lines[index]) > indent(above[-1])


def _unquoted(line: str) -> str:
    return re.sub(r"'[^']*'|\"(\\.|[^\"\\])*\"", "", line)


# ---------------------------------------------------------------------- node tree -> data


def _is_merge(key: Node) -> bool:
    return key.id == "scalar" and not key.style and key.value == "<<"


def _line(node: Node) -> tuple[int, int]:
    return node.start_mark.line, node.start_mark.column


class _Builder:
    """Plain data from a node tree: ruamel's nodes, or with `libyaml` PyYAML's (a plain
    scalar's style is '' there, None in ruamel's), where an empty value raises _EmptyValue."""

    def __init__(self, *, libyaml: bool = False):
        self.nodes, self.libyaml = 0, libyaml

    def build(self, node: Node, depth: int):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise YamlProblem(*_line(node), "yaml", f"more than {MAX_NODES} values after expanding aliases (an alias bomb?)")
        if depth > MAX_DEPTH:
            raise YamlProblem(*_line(node), "yaml", f"the YAML is nested more than {MAX_DEPTH} levels deep")
        kind = node.id
        if kind == "scalar":
            if self.libyaml and not node.value and not node.style:
                raise _EmptyValue
            return _scalar(node)
        if kind == "sequence":
            return [self.build(child, depth + 1) for child in node.value]
        return self._mapping(node, depth)

    def _mapping(self, node: MappingNode, depth: int) -> dict:
        out: dict = {}
        first: dict[str, Node] = {}
        merged: list[dict] = []
        for key_node, value_node in node.value:
            if _is_merge(key_node):
                merged += self._merge_sources(value_node, depth)
                continue
            if key_node.id != "scalar":
                raise YamlProblem(*_line(key_node), "yaml", "a key must be a plain name, not a list or mapping")
            if self.libyaml and not key_node.value and not key_node.style:  # an empty key (`{&a : x}`)
                raise _EmptyValue
            key = _text(key_node)
            if key in first:
                raise YamlProblem(*_line(key_node), "yaml",
                                  f"duplicate key {_quote(key)} (first given at line {first[key].start_mark.line + 1})")
            first[key] = key_node
            out[key] = self.build(value_node, depth + 1)
        # YAML merge keys: keys written in this mapping win, then earlier merged mappings.
        for source in merged:
            for key, value in source.items():
                out.setdefault(key, value)
        return out

    def _merge_sources(self, value: Node, depth: int) -> list[dict]:
        sources = value.value if value.id == "sequence" else [value]
        if not all(s.id == "mapping" for s in sources):
            raise YamlProblem(*_line(value), "yaml", "'<<' merges a mapping (an alias like *base) or a list of them")
        return [self.build(s, depth + 1) for s in sources]


def _quote(key: str) -> str:
    from storyboard.errors import quote

    return quote(key)


# Shorthand entries are single-key mappings (`- mara: left`, `- keeper: {text: ..}`). The
# models normalise them to `{id: mara, position: left}`, so a location inside a normalised
# entry may need to step through the single key: these fields live on the key itself, and
# these on a scalar value.
_KEY_FIELDS = {"id", "speaker"}
_SCALAR_VALUE_FIELDS = {"position", "text"}


def _pairs(node: MappingNode) -> list[tuple[Node, Node]]:
    """A mapping's own pairs, then those it merges (so that merged keys can be located)."""
    own, merged = [], []
    for key, value in node.value:
        if _is_merge(key):
            for source in (value.value if isinstance(value, SequenceNode) else [value]):
                if isinstance(source, MappingNode):
                    merged += _pairs(source)
        else:
            own.append((key, value))
    return own + merged


def locate(root: Node | None, loc: tuple, *, at_key: bool = False) -> tuple[Node | None, int]:
    """Find the node for a validation location: (node, how many loc items were matched).

    With `at_key`, a final mapping key resolves to the key node itself (unknown keys).
    """
    node, matched = root, 0
    for i, step in enumerate(loc):
        last = i == len(loc) - 1
        nxt = None
        if isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            nxt = node.value[step]
        elif isinstance(node, MappingNode):
            pairs = _pairs(node)
            for key_node, value_node in pairs:
                if _is_key(key_node, step):
                    nxt = key_node if (last and at_key) or _empty(value_node) else value_node
                    break
            if nxt is None and len(pairs) == 1:  # a shorthand entry
                key_node, value_node = pairs[0]
                if step in _KEY_FIELDS:
                    nxt = key_node
                elif step in _SCALAR_VALUE_FIELDS and isinstance(value_node, ScalarNode):
                    nxt = value_node
                elif isinstance(value_node, MappingNode):
                    for k, v in _pairs(value_node):
                        if _is_key(k, step):
                            nxt = k if (last and at_key) or _empty(v) else v
                            break
        if nxt is None:
            break
        node, matched = nxt, matched + 1
    return node, matched


def _empty(node: Node) -> bool:
    """`key:` with nothing after it: its null has no text of its own, and ruamel marks it where
    the next token starts (often the next line), so a problem with it is located at its key."""
    return isinstance(node, ScalarNode) and not node.value and node.style is None


COMMA_HINT = "a ',' inside {...} ends the value: put text containing ',' in quotes"


def bare_flow_key(root: Node | None, loc: tuple) -> bool:
    """Whether the key at `loc` was written without a value inside `{...}`: usually text
    with a comma in it (`{text: Wait, Leo}` makes a key `Leo`)."""
    parent, matched = locate(root, loc[:-1])
    if matched != len(loc) - 1 or not isinstance(parent, MappingNode):
        return False
    pairs = _pairs(parent)
    if len(pairs) == 1 and isinstance(pairs[0][1], MappingNode) and not _is_key(pairs[0][0], loc[-1]):
        parent = pairs[0][1]  # a shorthand entry: `- mara: {text: Wait, Leo}`
        pairs = _pairs(parent)
    if not parent.flow_style:
        return False
    for key, value in pairs:
        if _is_key(key, loc[-1]):
            return isinstance(value, ScalarNode) and value.style is None and value.value == ""
    return False


# Text that reads back as itself unquoted: a letter first, then no YAML indicator (`:`, `#`,
# brackets...), and not a word YAML 1.1 readers take for a boolean or null.
_SAFE = re.compile(r"[A-Za-z\u00c0-\uffff][\w ,.'!?;()\-\u2019\u00c0-\uffff]*")
_WORDS_OF_YAML = {"yes", "no", "true", "false", "null", "on", "off", "y", "n", "~"}


def scalar(text: str, *, flow: bool = False) -> str:
    """A YAML scalar for `text`: plain when that reads back as the same string, else double
    quoted (JSON's escapes). `flow`: inside `{...}` or `[...]`, where a ',' ends it too."""
    plain = (_SAFE.fullmatch(text) and text.lower() not in _WORDS_OF_YAML and not text.endswith((":", " "))
             and not (flow and "," in text))
    return text if plain else json.dumps(text, ensure_ascii=False)
