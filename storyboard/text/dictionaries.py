"""Line breaks between words of Thai, Lao, Khmer and Burmese, from ICU's word dictionaries.

These scripts are written without spaces between words. UAX #14 gives their letters the
class SA ("complex context") and leaves where a line may end inside a run of them to a
dictionary of the language, which uniseg does not have: to it (rule LB1 reads SA as AL) a
Thai sentence is one unbreakable word, and a balloon can only cut it between letters. ICU
has the dictionaries (Thai, Lao, Khmer, Burmese); `icu4py` (the `icu` extra: ICU 78 in a
16 MB wheel, no other dependency) reaches its line break iterator from Python.

Only the breaks inside runs of SA letters are taken from ICU, so every other break point
stays exactly uniseg's. Without icu4py such runs stay unbroken, as before.

Japanese and Chinese break anywhere by UAX #14 already; there ICU's word ends (`word_ends`)
only say which of those breaks cut no word, where a phrase must be cut (`breaking`).
"""

from __future__ import annotations

import re
from functools import lru_cache

# The blocks ICU has word dictionaries for: Thai, Lao, Myanmar (and its extensions), Khmer.
_DICTIONARY_SCRIPTS = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\ua9e0-\ua9ff\uaa60-\uaa7f]")


def needs_dictionary(text: str) -> bool:
    """Whether `text` holds letters of a script whose words only a dictionary can find."""
    return _DICTIONARY_SCRIPTS.search(text) is not None


def available() -> bool:
    """Whether the dictionaries can be used (icu4py is installed)."""
    return _breaker() is not None


def word_breaks(text: str) -> tuple[int, ...]:
    """Indices of `text` where a line may start between two letters of Thai, Lao, Khmer or
    Burmese (class SA) by ICU's dictionaries, in order; () when `text` has no such letters
    or icu4py is not installed."""
    if not needs_dictionary(text):
        return ()
    breaker = _breaker()
    if breaker is None:
        return ()
    from uniseg.linebreak import line_break

    out, at = [], 0
    # (the segments' own offsets count UTF-16 code units: the strings are summed instead)
    for segment in breaker(text, "und"):
        at += len(segment)
        if 0 < at < len(text) and line_break(text[at - 1]) == "SA" and line_break(text[at]) == "SA":
            out.append(at)
    return tuple(out)


@lru_cache(maxsize=None)
def _breaker():
    try:
        from icu4py.breakers import LineBreaker
    except ImportError:  # an install without the `icu` extra: no breaks inside such words
        return None
    return LineBreaker


@lru_cache(maxsize=1024)
def word_ends(text: str, language: str) -> frozenset[int]:
    """Indices of `text` where a word ends by ICU's word dictionary for `language` (its
    Chinese and Japanese one segments `呪われているんだ` as 呪|われ|て|いる|ん|だ): where a
    phrase too long for a line is best cut (`呪われて|いるんだ`, not `呪われてい|るんだ`);
    empty without icu4py."""
    try:
        from icu4py.breakers import WordBreaker
    except ImportError:
        return frozenset()
    out, at = set(), 0
    for segment in WordBreaker(text, language or "und"):
        at += len(segment)
        out.add(at)
    return frozenset(out)
