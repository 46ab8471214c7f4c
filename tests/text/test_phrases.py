"""Japanese and Chinese lines end at phrase ends (BudouX), not wherever UAX #14 allows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from storyboard.lettering import LEADING, fit_text, letter_panel_full, split_text, story_font
from storyboard.text import breaking, phrases
from storyboard.text.fonts import bundled_chain

JA = bundled_chain("ja")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TONIGHT = "今夜は、だめだよ……ねえ、聞いてる？"
LAMP = "そのランプは呪われているんだ！"


def test_columns_end_at_phrase_ends():
    # UAX #14 alone gave 今夜は、|だめだ|よ……ね|え、聞い|てる？ (`だめだよ`, `ねえ` cut).
    assert breaking.wrap(JA, TONIGHT, 8, 50, vertical=True) == ["今夜は、", "だめだよ……", "ねえ、", "聞いてる？"]
    assert breaking.wrap(JA, TONIGHT, 8, 50, vertical=True, phrases=False) != ["今夜は、", "だめだよ……", "ねえ、", "聞いてる？"]
    assert breaking.lozenge(JA, TONIGHT, 8, 4, 200, LEADING, vertical=True) == ["今夜は、", "だめだよ……", "ねえ、", "聞いてる？"]
    assert breaking.wrap(JA, LAMP, 8, 75, vertical=True) == ["そのランプは", "呪われているんだ！"]
    for width in (35, 50, 100):  # `ランプ` whole wherever a column holds it
        lines = breaking.wrap(JA, LAMP, 8, width, vertical=True)
        assert "ランプ" in "|".join(lines), lines


def test_a_phrase_longer_than_a_line_breaks_inside_by_unicode_rules():
    # 呪われているんだ！ is nine characters; a five-character column breaks it, kinsoku kept
    # (no column starts with ！), and leaves no single letter of a phrase alone (`ランプ|は`).
    assert breaking.wrap(JA, LAMP, 8, 40, vertical=True)[:2] == ["その", "ランプは"]
    assert breaking.wrap(JA, LAMP, 7.5, 24, True, vertical=True) == ["その", "ラン", "プは", "呪われ", "ている", "んだ！"]
    assert breaking.inside_phrases(LAMP, ("その", "ランプは", "呪われてい", "るんだ！"), "ja") == 1
    assert breaking.inside_phrases("Hello there", ("Hello", "there"), "ja") == 0


def test_a_phrase_longer_than_a_line_is_cut_at_the_end_of_a_word():
    # ICU's dictionary (the `icu` extra) knows the words inside the phrase: 呪われて|いるんだ！
    # (`いる` whole), where the fullest column gave 呪われてい|るんだ！.
    pytest.importorskip("icu4py")
    assert breaking.wrap(JA, LAMP, 8, 40, vertical=True) == ["その", "ランプは", "呪われて", "いるんだ！"]


def test_columns_cut_inside_phrases_still_keep_the_words_whole():
    # tategaki p1 panel 2: the room above Mara's head takes columns of four, so phrases are
    # cut; a cut inside a word by ICU's dictionary (`ね|え`, `聞い|てる`) costs as much again,
    # and the columns ending at words are taken: 今夜は、|だめだ|よ……|ねえ、聞|いてる？.
    pytest.importorskip("icu4py")
    assert breaking.inside_words(TONIGHT, ("今夜は、", "だめだ", "よ……ね", "え、聞い", "てる？"), "ja") == 2
    assert breaking.inside_words(TONIGHT, ("今夜は、", "だめだ", "よ……", "ねえ、聞", "いてる？"), "ja") == 0
    assert breaking.inside_words("Hello there", ("Hello", "there"), "ja") == 0
    result = _tategaki_panel(1)
    (second,) = [item for item in result.items if item.text.startswith("今夜は")]
    assert "ねえ、聞" in second.lines, second.lines


def _tategaki_panel(panel: int):
    from storyboard import layout, load_story
    from storyboard.render import DEFAULT_MAX_SIDE

    story = load_story(EXAMPLES / "tategaki.yaml")
    book = layout.paginate(story, max_side=DEFAULT_MAX_SIDE)
    slot = next(s for page in book.pages for s in page.slots if (s.scene, s.panel) == (0, panel))
    return letter_panel_full(story, story.scenes[0].panels[panel], slot, book.spec, story_font(story))


def test_a_caption_keeps_its_phrases_whole_in_a_column_a_little_longer():
    # newuser7's manga caption was cut 私|は for two columns of nine: one of ten keeps 私は.
    fit = fit_text(JA, "あの日の約束を、私はまだ覚えている。", "caption", 8, 126.5, 115.2, True)
    assert fit.block.lines == ("あの日の約束を、私は", "まだ覚えている。")


def test_chinese_lines_end_between_words():
    zh = bundled_chain("zh-Hans")
    text = "我们今天晚上去吃饭吧，好不好？"
    lines = breaking.wrap(zh, text, 8, 30)
    ends = phrases.phrase_ends(text, "zh-Hans", tuple(breaking.break_points(text)))
    assert ends and {2, 4, 6} <= ends  # 我们|今天|晚上
    at = 0
    for line in lines[:-1]:
        at += len(line)
        assert at in ends, lines
    # Ideographs alone in a story of no stated language: Chinese or Japanese cannot be told.
    assert phrases.model_for(text, "") is None and phrases.model_for(text, "zh-TW") == "zh-hant"
    # Simplified or traditional as the lettering's face is (`fonts.cjk_face_index`): the script
    # subtag before the region (zh-Hans-TW is simplified text, zh-Hant-CN traditional).
    for tag, model in (("zh-Hant", "zh-hant"), ("zh-HK", "zh-hant"), ("zh-MO", "zh-hant"), ("zh-CN", "zh-hans"),
                       ("zh-Hans-TW", "zh-hans"), ("zh-Hans-HK", "zh-hans"), ("zh-Hant-CN", "zh-hant")):
        assert phrases.model_for(text, tag) == model, tag



def test_a_japanese_story_is_one_whose_language_subtag_is_ja():
    # Lettering (vertical columns) and phrases read the story's language alike: its language
    # subtag, so Jamaican Creole (jam) is not Japanese, ja-JP and JA are.
    from storyboard.lettering import is_japanese

    text = "灯台守"  # ideographs alone: Japanese only by the story's language
    for tag, japanese in (("ja", True), ("JA", True), ("ja-JP", True), ("ja_JP", True), ("jam", False), ("", False)):
        assert is_japanese(text, tag) is japanese, tag
        assert (phrases.model_for(text, tag) == "ja") is japanese, tag

def test_connected_balloons_split_at_a_phrase_end():
    # The middle of the text falls inside 呪われ: the split moves to the phrase end before it.
    assert split_text("そのランプは呪われているんだ", 2) == ["そのランプは", "呪われているんだ"]


def test_the_whisper_keeps_its_phrases_above_maras_head():
    result = _tategaki_panel(2)
    (whisper,) = [item for item in result.items if item.kind == "whisper"]
    # UAX #14 alone gave ちょっと待っ|て。まだ終わっ|てないよ。 (`待って`, `終わって` cut).
    assert "待って。" in whisper.lines and any(line.startswith("終わって") for line in whisper.lines), whisper.lines


def test_without_budoux_every_break_point_is_as_good(monkeypatch):
    monkeypatch.setitem(sys.modules, "budoux", None)  # as if it were not installed
    phrases._parser.cache_clear()
    try:
        assert breaking.wrap(JA, TONIGHT, 8, 50, vertical=True) == breaking.wrap(JA, TONIGHT, 8, 50, vertical=True,
                                                                                  phrases=False)
        assert breaking.inside_phrases(LAMP, ("そのラ", "ンプは"), "ja") == 0
    finally:
        phrases._parser.cache_clear()


def test_importing_storyboard_does_not_load_budoux():
    code = "import sys, storyboard, storyboard.lettering; assert 'budoux' not in sys.modules, 'budoux'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_numbers_are_not_cut_as_phrases():
    # BudouX's Japanese model cuts 195|3年 and 一九|五|三年; a number is one phrase with its counter.
    for text, number in (("1953年の冬", "1953"), ("一九五三年、メイン州の沖。", "一九五三年")):
        ends = phrases.phrase_ends(text, "ja", tuple(breaking.break_points(text)))
        assert not any(0 < i < len(number) for i in ends), sorted(ends)
    assert breaking.wrap(JA, "一九五三年、メイン州の沖。", 8, 60, vertical=True) == ["一九五三年、", "メイン州の沖。"]
