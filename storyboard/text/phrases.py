"""Phrase ends: where a Japanese or Chinese letterer prefers a line to end.

UAX #14 lets Japanese and Chinese text break between almost any two characters, which is
legal (kinsoku holds) but splits words: `だめだ|よ`, `ラ|ンプ`. Letterers break at phrase
(bunsetsu) ends instead: `今夜は、|だめだよ……|ねえ、|聞いてる？`. The phrases come from
BudouX (Google's phrase segmenter, small pure-Python models for Japanese, Simplified and
Traditional Chinese), plus every break after punctuation or a space, which always ends a
phrase, less BudouX's cuts inside numbers. Phrase ends are preferences, not new rules: they
are a subset of the UAX #14 break points, so kinsoku and no-break spaces still hold, and the
line filling falls back to the other break points inside a phrase too long for a line
(`storyboard.text.breaking`).

Without budoux installed every break point is as good as another, as before.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# BudouX's models, by the language they are chosen for.
_LOADERS = {"ja": "load_default_japanese_parser", "zh-hans": "load_default_simplified_chinese_parser",
            "zh-hant": "load_default_traditional_chinese_parser"}


@lru_cache(maxsize=4096)  # asked for every line a balloon tries
def model_for(text: str, language: str = "") -> str | None:
    """The BudouX model for `text` in a story in `language` (BCP 47): `ja` for text with kana
    or any CJK text of a Japanese story, `zh-hans`/`zh-hant` for CJK text of a Chinese one
    (traditional where the lettering draws traditional forms: zh-Hant, zh-TW, zh-HK, zh-MO, but
    not zh-Hans-TW, `fonts.cjk_face_index`); None for other text (its break points are all
    alike), and for ideographs alone in a story of no stated language (Chinese or Japanese
    cannot be told apart)."""
    if text.isascii():
        return None
    from storyboard.text.fonts import is_kana, primary_language

    cjk = False
    for c in text:
        if is_kana(c):
            return "ja"  # kana: Japanese whatever the story's language
        o = ord(c)
        if 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3FFFF:
            cjk = True
    if not cjk:
        return None
    primary = primary_language(language)
    if primary == "ja":
        return "ja"
    if primary == "zh":
        from storyboard.text.fonts import TRADITIONAL_FACES, cjk_face_index

        return "zh-hant" if cjk_face_index(language) in TRADITIONAL_FACES else "zh-hans"
    return None


def phrase_ends(text: str, language: str = "", breaks: tuple[int, ...] = ()) -> frozenset[int] | None:
    """Of the break points `breaks` of `text` (`breaking.break_points`), those that end a
    phrase: BudouX's phrase boundaries and the breaks after punctuation or a space. None when
    `text` has no phrase model (`model_for`) or budoux is not installed: then no break point
    is preferred to another."""
    model = model_for(text, language)
    if model is None or not breaks:
        return None
    parser = _parser(model)
    if parser is None:
        return None
    return _ends(parser, text, breaks)


@lru_cache(maxsize=4096)
def _ends(parser, text: str, breaks: tuple[int, ...]) -> frozenset[int]:
    bounds, at = set(), 0
    for phrase in parser.parse(text):
        at += len(phrase)
        bounds.add(at)
    return frozenset(i for i in breaks if (i in bounds and not (_numeral(text[i - 1]) and _numeral(text[i])))
                     or _closes(text[i - 1]))


_NUMERALS = frozenset("〇一二三四五六七八九十百千万億兆")


def _numeral(c: str) -> bool:
    """A digit (any script's) or a kanji numeral: BudouX's Japanese model cuts numbers
    (`195|3年`, `一九|五|三年`), which are never broken as phrases."""
    return c.isdigit() or c in _NUMERALS


def _closes(c: str) -> bool:
    """Punctuation (、。！？…」) or a space: what comes after it starts a new phrase."""
    return unicodedata.category(c)[0] in "PZ"


@lru_cache(maxsize=None)
def _parser(model: str):
    try:
        import budoux
    except ImportError:  # an install without it letters as before
        return None
    return getattr(budoux, _LOADERS[model])()
