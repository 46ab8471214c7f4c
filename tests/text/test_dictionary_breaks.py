"""Thai, Lao, Khmer and Burmese: lines break between words (ICU's dictionaries, the `icu`
extra) and the bundled fonts draw them."""

from __future__ import annotations

import subprocess

import pytest

from storyboard.text import breaking, dictionaries
from storyboard.text.fonts import bundled_chain
from storyboard.text.shaping import shape

pytest.importorskip("icu4py")

THAI = "ฉันไม่รู้ว่าเขาจะมาเมื่อไหร่ แต่ฉันจะรอที่นี่จนกว่าเขาจะกลับมาบ้าน"



def pieces(text: str) -> list[str]:
    cuts = [0, *breaking.break_points(text), len(text)]
    return [text[a:b] for a, b in zip(cuts, cuts[1:])]


def test_words_written_without_spaces_are_found_by_dictionary():
    # uniseg alone (no dictionary) gives one break, after the space: a balloon had to cut
    # the sentence between letters.
    assert pieces("ฉันไม่รู้ว่าเขาจะมา") == ["ฉัน", "ไม่รู้", "ว่า", "เขา", "จะ", "มา"]
    assert pieces("แต่ฉันจะรอที่บ้าน") == ["แต่", "ฉัน", "จะ", "รอ", "ที่", "บ้าน"]
    assert pieces("ສະບາຍດີ ຂ້ອຍຮັກເຈົ້າ") == ["ສະບາຍດີ ", "ຂ້ອຍ", "ຮັກ", "ເຈົ້າ"]  # Lao
    assert pieces("ខ្ញុំស្រឡាញ់អ្នកណាស់") == ["ខ្ញុំ", "ស្រឡាញ់", "អ្នក", "ណាស់"]  # Khmer
    assert pieces("ကျွန်တော်နာမည်") == ["ကျွန်တော်", "နာမည်"]  # Burmese
    # ICU counts UTF-16 units: a character beyond the BMP before the words moves no break.
    assert pieces("😀 ไทยภาษา (ok)") == ["😀 ", "ไทย", "ภาษา ", "(ok)"]


def test_only_breaks_inside_such_words_are_added():
    from uniseg.linebreak import line_break_breakables

    for text in ("ไทยภาษาabc", "abcไทยภาษา", "ภาษาไทย!", "(ภาษาไทย)", "ภาษาไทย ภาษาไทย", "๑๒๓ บาทภาษาไทย"):
        uniseg = {i for i, b in enumerate(line_break_breakables(text)) if b and i}
        words = set(dictionaries.word_breaks(text))
        assert words and set(breaking.break_points(text)) == uniseg | words
        assert all("\u0e01" <= text[i - 1] <= "\u0e4e" and "\u0e01" <= text[i] <= "\u0e4e" for i in words)


def _ends_between_words(lines: list[str]) -> None:
    """Every line of THAI but the last ends at one of its break points: between two words."""
    ends = set(breaking.break_points(THAI))
    at = 0
    for line in lines[:-1]:
        at = THAI.index(line, at) + len(line)
        at += THAI[at:at + 1] == " "
        assert at in ends, line


def test_a_thai_balloon_wraps_at_words_in_a_bundled_font():
    chain = bundled_chain("th")
    assert chain.missing(THAI + "ສະບາຍດີខ្ញុំကျွန်တော်") == ""
    faces = {chain.members[g.member].regular.path.name for g in shape(chain, "ฉันไม่รู้").glyphs}
    assert faces == {"NotoSansThai-Regular.ttf"}
    lines = breaking.wrap(chain, THAI, 10, 60)
    assert len(lines) > 2 and "".join(lines).replace(" ", "") == THAI.replace(" ", "")
    _ends_between_words(lines)


@pytest.mark.slow
def test_a_thai_story_renders_and_reads_back(tmp_path):
    script = tmp_path / "th.yaml"
    script.write_text("title: T\nlanguage: th\ncharacters: {mali: {name: มะลิ, description: a girl}}\n"
                      f"scenes: [{{panels: [{{action: Mali waits, cast: [mali], dialogue: [{{mali: {THAI}}}]}}]}}]\n",
                      encoding="utf-8")
    out = tmp_path / "th.pdf"
    from storyboard.cli import main

    assert main(["render", str(script), "--engine", "draft", "-o", str(out)]) == 0
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    lines = [line for line in text.splitlines() if line and "\u0e00" <= line[0] <= "\u0e7f" and line != "มะลิ"]
    assert len(lines) > 1 and "".join(lines).replace(" ", "") == THAI.replace(" ", "")
    _ends_between_words(lines)


def test_without_the_dictionaries_validate_says_which_extra_breaks_such_lines(tmp_path, monkeypatch, capsys):
    from storyboard.cli import main

    script = tmp_path / "th.yaml"
    script.write_text("title: T\nlanguage: th\ncharacters: {mali: {name: Mali, description: a girl}}\n"
                      "scenes:\n- panels:\n  - action: Mali waits\n    dialogue: [{mali: Hi}, {mali: ฉันไม่รู้}]\n",
                      encoding="utf-8")
    assert main(["validate", str(script)]) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(dictionaries, "available", lambda: False)
    assert main(["validate", str(script)]) == 0
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{script}:7:") and "dialogue[1]" in line and "[icu]" in line and "pip install" in line
