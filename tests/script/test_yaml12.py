"""Scripts read as writers type them (YAML 1.2), and located problems that stay one line."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from storyboard.errors import ScriptError
from storyboard.script import parse_story

HEAD = "title: T\ncharacters:\n  leo: {description: a boy}\nscenes:\n  - panels:\n      - action: a\n        cast: [leo]\n"


def problems(text: str) -> list[str]:
    with pytest.raises(ScriptError) as info:
        parse_story(text, filename="s.yaml")
    return [str(p) for p in info.value.problems]


def test_question_mark_in_flow_mapping():
    story = parse_story(HEAD + "        dialogue:\n          - leo: {text: Again?, kind: shout}\n          - leo: {text: What?!}\n")
    lines = story.scenes[0].panels[0].dialogue
    assert [(d.text, d.kind) for d in lines] == [("Again?", "shout"), ("What?!", "speech")]


def test_text_fields_keep_what_was_written():
    story = parse_story(
        "title: 1e3\nauthor: 007\ncharacters:\n  leo: {description: 1.50, name: 0.10}\n"
        "scenes:\n  - setting: 2.0\n    panels:\n      - action: 10\n        caption: 3.10\n        sfx: [1.50, 007, 1e3]\n"
        "        cast: [{leo: {expression: 1.0}}]\n        dialogue:\n          - leo: 3.10\n          - leo: {text: -0.0}\n"
        "        seed: 007\n        prompt: +1\npage: {dpi: 3e2, bleed_mm: 3.10}\n"
    )
    panel = story.scenes[0].panels[0]
    assert (story.title, story.author, story.scenes[0].setting) == ("1e3", "007", "2.0")
    assert (story.characters["leo"].description, story.characters["leo"].name) == ("1.50", "0.10")
    assert (panel.action, panel.caption, panel.sfx, panel.prompt) == ("10", "3.10", ["1.50", "007", "1e3"], "+1")
    assert [d.text for d in panel.dialogue] == ["3.10", "-0.0"] and panel.cast[0].expression == "1.0"
    # numbers stay numbers where the format wants numbers
    assert panel.seed == 7 and story.page.dpi == 300 and story.page.bleed_mm == 3.1
    assert type(panel.seed) is int and story.model_dump()["scenes"][0]["panels"][0]["seed"] == 7


def test_merge_key_with_override():
    story = parse_story(
        "title: T\ncharacters:\n  leo: &base {description: a tall twin, kind: drawn, name: Leo}\n"
        "  nora:\n    <<: *base\n    name: Nora\nscenes: [{panels: [{action: a}]}]\n"
    )
    nora = story.characters["nora"]
    assert (nora.name, nora.description, nora.kind) == ("Nora", "a tall twin", "drawn")
    assert story.characters["leo"].name == "Leo"


def test_merge_of_several_mappings_and_located_merged_error():
    story = parse_story("title: T\nscenes:\n  - panels:\n      - &a {action: a, shot: wide}\n      - &b {action: b, angle: low, shot: close-up}\n"
                        "      - {<<: [*b, *a], size: wide}\n")
    panel = story.scenes[0].panels[2]
    assert (panel.action, panel.shot, panel.angle, panel.size) == ("b", "close-up", "low", "wide")
    out = problems("title: T\nscenes:\n  - panels:\n      - &a {action: a, shot: closeup}\n      - {<<: *a, angle: low}\n")
    assert [line.split(": ", 1)[0] for line in out] == ["s.yaml:4:30", "s.yaml:4:30"]


def test_duplicate_keys_are_still_refused():
    assert problems("title: a\nscenes: []\ntitle: b\n") == ["s.yaml:3:1: yaml: duplicate key 'title' (first given at line 1)"]


@pytest.mark.parametrize(
    "text, where, hint",
    [
        ("title: T\nscenes:\n\t- panels: []\n", "s.yaml:3:1", "indent with spaces"),
        # a tab after a key's ':' (an editor's Tab key) or inside unquoted text had no hint
        ("title:\tT\n", "s.yaml:1:7", "YAML takes no tab here, after a ':' or inside unquoted text: use a space"),
        ("title: My\tStory\n", "s.yaml:1:10", "YAML takes no tab here, after a ':' or inside unquoted text"),
        ("title: Leo says: hi\n", "s.yaml:1:16", "text containing ': ' must be in quotes"),
        ("title: T\npage:\n  size: a4\n    dpi: 300\n", "s.yaml:4:8", "check this line's indentation"),
        ("title: T\nscenes:\n  - panels:\n    - action: a\n   shot: wide\n", "s.yaml:5:4", "check this line's indentation"),
        # text a writer left unquoted that YAML reads as syntax: a quote inside quotes, a leading '*', '@', '- '
        ('title: T\nscenes: [{panels: [{action: a}]}]\nauthor: "He said "hi" twice"\n', "s.yaml:3:19",
         "a '\"' inside \"...\" ends the text: write it \\\", or put the text in '...'"),
        ("title: T\nscenes: [{panels: [{action: a}]}]\nauthor: 'I can't'\n", "s.yaml:3:16",
         "a ' inside '...' ends the text: write it twice, '', or put the text in \"...\""),
        ("title: *sigh* fine\n", "s.yaml:1:8", "'*' names an anchor: text starting with '*' must be in quotes"),
        ("title: @home\n", "s.yaml:1:8", "text starting with '@' must be in quotes"),
        ("title: - The End\n", "s.yaml:1:8", "text starting with '- ' must be in quotes"),
        # a key pushed left out of its item: the parser's token name '?' is said in words
        ("title: T\nscenes:\n  - panels:\n      - shot: wide\n      action: a\n", "s.yaml:5:7",
         "expected <block end>, but found a key (check this line's indentation"),
        ("title: T\nscenes: [{panels: [{action: Take #2, shot: wide}]}]\n", "s.yaml:3:1", "' #' starts a comment"),
        ("title: T\nscenes: [{panels: [{action: a}]}\n", "s.yaml:3:1", "is never closed"),
        ("title: {a: b: c}\n", "s.yaml:1:13", "inside {...} or [...]"),
        # a quote never closed: located where it opens, not at the end of the file
        ("title: T\nscenes:\n  - panels:\n      - action: 'a\n        shot: wide\n", "s.yaml:4:17",
         "the quote opened at line 4, column 17 is not closed on its line"),
        # ... or closed by the next quote, far below: the error is there, the hint names the opening
        ("title: T\nscenes:\n  - panels:\n      - action: \"a\n      - action: b\n        caption: \"c\"\n",
         "s.yaml:6:19", "the quote opened at line 4, column 17 is not closed on its line"),
        # ... also inside {...}, where the next quote may be an apostrophe lines below
        ("title: T\nscenes:\n  - panels:\n      - {action: 'a, shot: wide}\n      - action: the keeper's lamp\n",
         "s.yaml:5:28", "the quote opened at line 4, column 18 is not closed on its line"),
    ],
)
def test_syntax_errors_carry_a_hint(text, where, hint):
    (line,) = problems(text)
    assert line.startswith(where + ": yaml: ") and hint in line, line


def test_comma_in_flow_mapping_text_is_explained():
    out = problems(HEAD + "        dialogue:\n          - leo: {text: Wait, Leo, kind: shout}\n")
    assert out == ["s.yaml:9:31: scenes[0].panels[0].dialogue[0].Leo: unknown key 'Leo' "
                   "(a ',' inside {...} ends the value: put text containing ',' in quotes)"]


def test_escaped_utf16_pairs_join_and_halves_are_located():
    story = parse_story('title: "\\ud83d\\ude00 \\u00e9"\nscenes: [{panels: [{action: a}]}]\n')
    assert story.title == "\U0001F600 \u00e9"
    assert problems('"\\ud83d": 1\n') == ["s.yaml:1:1: yaml: \\ud83d is half of a UTF-16 pair: write the character itself"]


def test_huge_numbers_and_odd_values_stay_one_located_line():
    out = problems(HEAD.replace("action: a", "action: a\n        seed: " + "9" * 5000)
                   + '        shot: "close\\nup' + "x" * 3000 + '"\n')
    assert out[0] == "s.yaml:7:15: scenes[0].panels[0].seed: input should be a finite number"
    assert out[1].startswith("s.yaml:9:15: scenes[0].panels[0].shot: 'close\\nupxxx") and len(out[1]) < 250
    # A 1,500-digit plain number in a text field (the most lettered text holds) stays the text written.
    story = parse_story(HEAD.replace("action: a", "action: " + "1" * 1500))
    assert story.scenes[0].panels[0].action == "1" * 1500


def test_validate_stderr_is_one_located_line_per_problem(tmp_path):
    script = tmp_path / "bad.yaml"
    script.write_text(
        "title: T\nstyle: {font: " + "f" * 5000 + ".ttf}\ncharacters:\n  mara: {references: [" + "x" * 5000 + ".png]}\n"
        '  "a\\nb\\u001b": {description: "x\\ny"}\n'
        'scenes: [{panels: [{action: "a\\nb", seed: ' + "9" * 5000 + ', cast: ["x\\ny"]}]}]\n"\\ud83d\\ude00": 1\n'
    )
    odd = tmp_path / "new\nline.yaml"
    odd.write_text("title: [")
    long = tmp_path / ("y" * 5000 + ".yaml")
    proc = subprocess.run([sys.executable, "-m", "storyboard", "validate", str(script), str(odd), str(long)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 8, lines
    names = (re.escape(str(script)), re.escape(str(odd).replace("\n", "\\n")), re.escape(str(long)))
    pattern = re.compile(rf"^({'|'.join(names)}):\d+:\d+: ")
    assert all(pattern.match(line) and len(pattern.sub("", line)) < 600 for line in lines), lines
    assert "characters.'a\\nb\\x1b': character id 'a\\nb\\x1b' must start" in proc.stderr


@pytest.mark.parametrize(
    "page, expected",
    [
        ("{size: [30, 30]}", "s.yaml:2:7: page.margin_mm: margin 12 mm leaves no room for panels on a 30 x 30 mm page"),
        ("{size: [2000, 2000]}", "s.yaml:2:7: page.dpi: a 2000 x 2000 mm page at 300 dpi is 23693 x 23693 pixels; "
                                 "pages are limited to 150 megapixels"),
        ("{size: a4, dpi: 1200, bleed_mm: 20}", "s.yaml:2:23: page.dpi: a 210 x 297 mm page at 1200 dpi"),
        ("{dpi: 100000000000}", "s.yaml:2:13: page.dpi: input should be less than or equal to 1200"),
        ("{size: [60, 20], margin_mm: 0, gutter_mm: 50}", "s.yaml:2:7: page: margin_mm 0 and gutter_mm 50 leave no "
                                                          "room for panels on this page"),
        ("{size: storyboard, margin_mm: 80, gutter_mm: 50}", "s.yaml:2:7: page: margin_mm 80 and gutter_mm 50 leave"),
        # rounded down: 4.999 mm was said as 'the smallest would be 5 mm; at least 5 mm'
        ("{size: [25, 25], margin_mm: 1, gutter_mm: 1}", "s.yaml:2:7: page: margin_mm 1 and gutter_mm 1 leave no room "
                                                         "for panels on this page (the smallest would be 4.99 mm; at "
                                                         "least 5 mm)"),
    ],
)
def test_pages_render_cannot_draw_are_refused(page, expected):
    out = problems(f"title: T\npage: {page}\nscenes: [{{panels: [{{action: a}}]}}]\n")
    assert len(out) == 1 and out[0].startswith(expected), out


def test_largest_allowed_page_is_accepted():
    story = parse_story("title: T\npage: {size: a4, dpi: 1200}\nscenes: [{panels: [{action: a}]}]\n")
    assert story.page.dpi == 1200


def test_library_ids_follow_the_library_rule():
    from characters.library import ID_PATTERN

    from storyboard.script import LIBRARY_ID

    assert LIBRARY_ID.pattern == ID_PATTERN.pattern
    out = problems('title: T\ncharacters:\n  nora: {library: "\U0001F600nora"}\nscenes: [{panels: [{action: a}]}]\n')
    assert out == ["s.yaml:3:19: characters.nora.library: library id '\U0001F600nora' is not one the character library "
                   "can hold: lower-case letters, digits, '-' and '_', starting with a letter (at most 64)"]
