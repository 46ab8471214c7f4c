"""JSON made by orjson, with the standard library for what orjson refuses.

`dumps`: compact JSON (page-piece keys and reports), orjson's bytes, json's where orjson
refuses the value. `dumps_indented`: documents written as `json.dumps(value, indent=2)`
writes them.

With an indent the standard library encodes in pure Python: a 100-page book's manifest
(600 panels with their lettering reports) took 0.07 s at the serial end of every render;
orjson takes 2 ms. Its indented output is json's, byte for byte, except: non-ASCII text,
which orjson writes as UTF-8 and json escapes (escaped here as json does), DEL (json
escapes it: such a document is left to json), what orjson refuses (integers beyond 64 bits,
keys that are not strings, text with a lone surrogate: left to json), and a float below
1e-4 or from 1e16 on, which orjson writes in its own shortest notation (`0.00001`, `1.5e-7`,
`1e16` where json writes `1e-05`, `1.5e-07`, `1e+16`): the same number to any JSON reader.
A manifest's floats are rounded to a few decimals, so it meets none.
"""

from __future__ import annotations

import codecs
import json
from typing import Any, Callable

import orjson


def dumps(value: Any, *, sort_keys: bool = False, default: Callable[[Any], Any] | None = None) -> bytes:
    """`value` as compact JSON: orjson's UTF-8 bytes, no spaces; what orjson refuses (integers
    beyond 64 bits, keys that are not strings, a lone surrogate) as `json.dumps` writes it
    (ASCII, its default separators). `sort_keys`, `default`: as for `json.dumps`. Raises
    TypeError for a value neither can encode."""
    try:
        return orjson.dumps(value, default=default, option=orjson.OPT_SORT_KEYS if sort_keys else None)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value, sort_keys=sort_keys, default=default).encode()


def dumps_indented(value: Any) -> bytes:
    """`value` as indented JSON (ASCII bytes); see the module docstring."""
    try:
        data = orjson.dumps(value, option=orjson.OPT_INDENT_2)
    except TypeError:  # orjson.JSONEncodeError: a value it refuses
        return json.dumps(value, indent=2).encode()
    if b"\x7f" in data:
        return json.dumps(value, indent=2).encode()
    if not data.isascii():  # non-ASCII only occurs inside strings: escaped as json escapes it
        data = data.decode().encode("ascii", _ESCAPES)
    return data


def _escapes(err: UnicodeEncodeError) -> tuple[str, int]:
    """A codec error handler: the characters `err` spans as json's `\\uXXXX` escapes."""
    return "".join(map(_escape, err.object[err.start:err.end])), err.end


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as json writes it
    return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"


_ESCAPES = "storyboard.json-escapes"
codecs.register_error(_ESCAPES, _escapes)
