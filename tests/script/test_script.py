"""The script models: shorthands, defaults, cross-field rules, located errors."""

from __future__ import annotations

import json
import textwrap

import pytest

from storyboard.errors import ScriptError
from storyboard.script import parse_story

BASE = """\
title: T
characters:
  mara: {description: a woman}
  keeper: {description: an old man}
scenes:
  - panels:
"""


def story(panels: str, **kw):
    return parse_story(BASE + textwrap.indent(textwrap.dedent(panels), "      "), filename="s.yaml", **kw)


def problems(text: str, **kw) -> list[str]:
    with pytest.raises(ScriptError) as info:
        parse_story(textwrap.dedent(text), filename="s.yaml", **kw)
    return [str(p) for p in info.value.problems]


def test_defaults_and_shorthands():
    s = story("""\
        - action: a
          cast: [mara, {keeper: right}]
          dialogue:
            - mara: Hello.
            - keeper: {text: Hush., kind: whisper}
            - narration: Later.
        """)
    assert s.storyboard == 1 and s.page.size == "us-comic" and s.page.reading == "ltr"
    panel = s.scenes[0].panels[0]
    assert panel.shot == "medium" and panel.angle == "eye-level" and panel.size == "normal"
    assert [(c.id, c.position) for c in panel.cast] == [("mara", None), ("keeper", "right")]
    assert [(d.speaker, d.text, d.kind) for d in panel.dialogue] == [
        ("mara", "Hello.", "speech"), ("keeper", "Hush.", "whisper"), ("narration", "Later.", "speech")]
    assert panel.dialogue[2].is_narration
    assert s.scenes[0].id == "scene-1"
    assert s.characters["mara"].name == "mara"
    assert s.summary() == "1 scene, 1 panel, 2 characters"


def test_full_cast_entry_and_box():
    s = story("""\
        - action: a
          cast:
            - mara: {position: [0.1, 0.2, 0.5, 1], expression: sad, pose: sitting}
        """)
    entry = s.scenes[0].panels[0].cast[0]
    assert entry.position == (0.1, 0.2, 0.5, 1.0) and entry.expression == "sad" and entry.pose == "sitting"


def test_yaml12_scalars_stay_strings():
    s = parse_story("title: no\nauthor: 1:20\nscenes: [{panels: [{action: 'on', caption: 1953}]}]\n")
    assert s.title == "no" and s.author == "1:20"
    assert s.scenes[0].panels[0].caption == "1953"


def test_located_unknown_character_matches_format_doc():
    out = problems("""\
        title: T
        characters:
          mara: {description: x}
        scenes:
          - panels:
              - action: a
                cast: [mara, marra]
        """)
    assert out == ["s.yaml:7:22: scenes[0].panels[0].cast[1]: unknown character 'marra' (did you mean 'mara'?)"]


def test_all_problems_at_once_in_file_order():
    out = problems("""\
        storyboard: 3
        title: T
        page: {sise: a4}
        scenes:
          - panels:
              - shot: closeup
        """)
    assert out == [
        "s.yaml:1:13: storyboard: unsupported format version 3 (supported: 1)",
        "s.yaml:3:8: page.sise: unknown key 'sise' (did you mean 'size'?)",
        "s.yaml:6:9: scenes[0].panels[0].action: required key missing",
        "s.yaml:6:15: scenes[0].panels[0].shot: 'closeup' is not one of: establishing, wide, medium, "
        "close-up, extreme-close-up, over-shoulder (did you mean 'close-up'?)",
    ]


def _problems(panel: str) -> list[str]:
    """What validate says of a script whose one panel is `panel` (a YAML flow mapping)."""
    with pytest.raises(ScriptError) as info:
        parse_story(BASE + f"      - {panel}\n", filename="s.yaml")
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    "panel, expected",
    [
        ("{action: a, cast: [mara, keeper, mara]}", "'mara' is already in this panel's cast"),
        # a character of the story outside the cast may speak (off panel): named when misspelt
        ("{action: a, dialogue: [{kepeer: hi}]}", "unknown speaker 'kepeer' (did you mean 'keeper'?)"),
        # a writer's word for a key: the key it means ('camera' is close to no key)
        ("{action: a, camera: low}", "unknown key 'camera' (did you mean 'shot' or 'angle'?)"),
        ("{action: a, sound: [BANG]}", "unknown key 'sound' (did you mean 'sfx'?)"),
        # a scene's key on a panel
        ("{action: a, setting: a street}", "unknown key 'setting' ('setting' is a scene's: put it on the scene, "
         "beside its panels:)"),
        ("{action: a, cast: [mara], dialogue: [{marra: hi}]}", "unknown speaker 'marra' (did you mean 'mara'?)"),
        ("{action: a, cast: [Mara], dialogue: [{Mara Okafor: hi}]}",
         "unknown speaker 'Mara Okafor' (did you mean 'mara'?)"),  # not the cast's own unknown 'Mara'
        ("{action: a, cast: [{mara: [0.5, 0, 0.4, 1]}]}", "needs x0 < x1 and y0 < y1"),
        ("{action: a, cast: [{mara: [0, 0, 1.5, 1]}]}", "every value between 0 and 1"),
        ("{action: a, cast: [{mara: lefty}]}", "unknown position 'lefty' (did you mean 'left'?)"),
        ("{action: a, cast: [{mara: left, keeper: right}]}", "exactly one character"),
        ("{action: a, dialogue: [{mara: {text: x, knd: shout}}], cast: [mara]}", "unknown key 'knd' (did you mean 'kind'?)"),
        ("{action: a, dialogue: [{mara: {text: x, kind: yell}}], cast: [mara]}", "'yell' is not one of"),
        ("{action: ''}", "string should have at least 1 character"),
        ("{action: a, seed: -1}", "greater than or equal to 0"),
    ],
)
def test_panel_rules(panel, expected):
    problems = _problems(panel)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    "panel, expected",
    [
        # a writer's or film word for a value is answered with the value it means, even where the
        # closest spelling is another ('worms-eye' is a low angle, not 'birds-eye')
        ("{action: a, angle: worms-eye}", "'worms-eye' is not one of: eye-level, low, high, birds-eye, dutch "
         "(did you mean 'low'?)"),
        ("{action: a, angle: \"worm\u2019s eye\"}", "(did you mean 'low'?)"),
        ("{action: a, angle: overhead}", "(did you mean 'birds-eye'?)"),
        ("{action: a, shot: ECU}", "(did you mean 'extreme-close-up'?)"),
        ("{action: a, shot: full}", "(did you mean 'wide'?)"),
        ("{action: a, size: full}", "'full' is not one of: small, normal, wide, tall, splash (did you mean 'splash'?)"),
        ("{action: a, dialogue: [{mara: {text: x, kind: Yell}}], cast: [mara]}",
         "'Yell' is not one of: speech, thought, whisper, shout (did you mean 'shout'?)"),
        ("{action: a, dialogue: [{mara: {text: x, kind: thinking}}], cast: [mara]}", "(did you mean 'thought'?)"),
        ("{action: a, dialogue: [{mara: {text: x, kind: phone}}], cast: [mara]}",
         "'phone' is not one of: speech, thought, whisper, shout (a voice on the phone or radio is a line by "
         "someone outside the frame: a speaker not in the panel's cast, or off: true)"),
        ("{action: a, cast: [{mara: middle}]}", "unknown position 'middle' (did you mean 'center'?)"),
        # each table is for its own choice: no 'shout' for a character's kind
        ("{action: a, cast: [{mara: yell}]}", "unknown position 'yell'; use one of"),
    ],
)
def test_writers_words_for_a_value_hint_the_value_they_mean(panel, expected):
    problems = _problems(panel)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    "panel, expected",
    [
        # a line's kind written beside the speaker, not inside its braces (the next line, as YAML reads it)
        ("{action: a, cast: [mara], dialogue: [{mara: hi, kind: shout}]}",
         "a dialogue line names exactly one speaker; found keys: mara, kind (write kind inside its braces: "
         "mara: {text: hi, kind: shout})"),
        # ... quoted where the text would not read back inside braces
        ("{action: a, cast: [mara], dialogue: [{mara: 'Stay close, Kettle.', kind: shout}]}",
         "(write kind inside its braces: mara: {text: \"Stay close, Kettle.\", kind: shout})"),
        ("{action: a, cast: [{mara: left, expression: sad, pose: sitting}]}",
         "(write expression, pose inside its braces: mara: {position: left, expression: sad, pose: sitting})"),
        ("{action: a, cast: [{mara: left, keeper: right}]}", "found keys: mara, keeper\n"),  # two ids: no braces hint
        # the speaker's ':' left out: one problem, the line's shape (not also an unknown speaker 'mara Hello')
        ("{action: a, cast: [mara], dialogue: [mara Hello]}",
         "a dialogue line is {speaker: text} or {speaker: {text, kind}}: write the speaker's id, then ': ', then "
         "the text (- mara: Hello)\n"),
        # a mapping where a list belongs
        ("{action: a, cast: [mara], dialogue: {mara: Hello}}",
         "dialogue: input should be a valid list: each entry on its own '- ' line (- mara: Hello)"),
        ("{action: a, cast: {mara: left}}", "cast: input should be a valid list: each entry on its own '- ' line "
         "(- mara: left)"),
        # one caption a panel, its text alone
        ("{action: a, caption: [one, two]}", "caption: input should be a valid string: a panel has one caption, its "
         "text alone; more captions are dialogue lines, '- narration: TEXT'"),
        ("{action: a, caption: {text: Years ago, kind: flashback}}", "a panel has one caption, its text alone"),
    ],
)
def test_an_entry_written_in_the_wrong_shape_says_how_to_write_it(panel, expected):
    problems = _problems(panel)
    assert any(expected in p + "\n" for p in problems), problems
    assert not any("unknown speaker" in p for p in problems), problems


def test_a_known_speaker_outside_the_cast_speaks_off_panel():
    story = parse_story(BASE + "      - {action: a, dialogue: [{keeper: hi}, {mara: {text: yo, off: true}}]}\n")
    first, second = story.scenes[0].panels[0].dialogue
    assert first.speaker == "keeper" and not first.off and second.off


def test_cast_limit_is_five():
    ids = "abcdef"
    chars = "".join(f"  {c}: {{description: x}}\n" for c in ids)
    text = f"title: T\ncharacters:\n{chars}scenes:\n  - panels:\n      - action: a\n        cast: [{', '.join(ids)}]\n"
    with pytest.raises(ScriptError, match="at most 5 characters in one panel"):
        parse_story(text)
    parse_story(text.replace(", f]", "]"))


@pytest.mark.parametrize(
    "character, expected",
    [
        ("{}", "at least one of description, references, library"),
        ("{library: x, references: [a.png]}", "either references or library"),
        ("{references: [missing.png]}", "reference image not found: missing.png"),
        ("{description: x, kind: cartoon}", "'cartoon' is not one of: face, drawn, auto"),
        # a writer's word for a figure kind is answered with the kind it means
        ("{description: x, figure: Dog}", "'Dog' is not one of: human, animal, bird, robot, creature, object, "
         "vehicle, crowd (for a dog, use 'animal')"),
        ("{description: x, figure: boat}", "(for a boat, use 'vehicle')"),
        ("{description: x, figure: droid}", "(for a droid, use 'robot')"),
        ("{description: x, figure: dragon}", "(for a dragon, use 'creature')"),
        ("{description: x, figure: animl}", "(did you mean 'animal'?)"),
    ],
)
def test_character_rules(character, expected):
    with pytest.raises(ScriptError) as info:
        parse_story(f"title: T\ncharacters:\n  mara: {character}\nscenes: [{{panels: [{{action: a}}]}}]\n")
    assert any(expected in str(p) for p in info.value.problems), info.value.problems


def test_a_panel_s_key_on_its_scene_says_where_it_belongs():
    out = problems("title: T\nscenes:\n  - dialogue: [{narration: hi}]\n    panels: [{action: a}]\n")
    assert out == ["s.yaml:3:5: scenes[0].dialogue: unknown key 'dialogue' ('dialogue' is a panel's: put it under "
                   "one of the scene's panels)"]


def test_characters_written_as_a_list_say_how_to_write_them():
    out = problems("title: T\ncharacters:\n  - ines: {description: a courier}\nscenes: [{panels: [{action: a}]}]\n")
    assert out == ["s.yaml:3:3: characters: input should be a valid dictionary: one 'key: value' line per entry, "
                   "without '- ' (ines: ...)"]


def test_references_resolve_against_base_dir(tmp_path):
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "m.png").write_bytes(b"x")
    text = "title: T\ncharacters:\n  mara: {references: [refs/m.png]}\nscenes: [{panels: [{action: a}]}]\n"
    s = parse_story(text, base_dir=tmp_path)
    assert s.base_dir == tmp_path and s.characters["mara"].references == ["refs/m.png"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("title: T\nscenes: []\n", "s.yaml:2:9: scenes: must not be empty"),
        ("title: T\n", "s.yaml:1:1: scenes: required key missing"),
        ("", "s.yaml:1:1: document: the script is empty"),
        ("- a\n", "s.yaml:1:1: document: input should be a valid dictionary"),
        ("title: a\ntitle: b\n", "s.yaml:2:1: yaml: duplicate key 'title' (first given at line 1)"),
        ("title: [a\n", "s.yaml:2:1: yaml: while parsing a flow sequence"),
        ("characters:\n  Mara: {description: x}\ntitle: T\nscenes: [{panels: [{action: a}]}]\n",
         "s.yaml:2:3: characters.Mara: character id 'Mara' must start with a lower-case letter"),
        ("characters:\n  narration: {description: x}\ntitle: T\nscenes: [{panels: [{action: a}]}]\n",
         "'narration' is reserved"),
        ("title: T\nscenes: [{id: a, panels: [{action: x}]}, {id: a, panels: [{action: y}]}]\n",
         "duplicate scene id 'a'"),
        ("title: T\nscenes: [{id: scène-1, panels: [{action: x}]}]\n",  # é is a letter: "only letters" misled
         "s.yaml:2:15: scenes[0].id: scene id 'scène-1' may use only a-z, A-Z, 0-9, '-', '_' and '.', "
         "starting with a letter or digit"),
        ("title: T\npage: {size: a5}\nscenes: [{panels: [{action: x}]}]\n", "unknown page size 'a5' (did you mean 'a4'?)"),
        ("title: T\nstyle: {preset: noire}\nscenes: [{panels: [{action: x}]}]\n", "unknown style preset 'noire' (did you mean 'noir'?)"),
        ("title: T\nstyle: {peels: [{path: p, weight: 3}]}\nscenes: [{panels: [{action: x}]}]\n", "less than or equal to 2"),
    ],
)
def test_document_errors(text, expected):
    out = problems(text)
    assert any(line.startswith(expected) or expected in line for line in out), out


def test_custom_page_size_and_merge_keys():
    s = parse_story("title: T\npage: {size: [150, 220]}\nscenes: [{panels: [{action: a}]}]\n")
    assert s.page.size == (150.0, 220.0)
    merged = parse_story("title: T\nscenes:\n  - panels:\n      - &p {action: a, shot: wide}\n      - {<<: *p, angle: low}\n")
    assert merged.scenes[0].panels[1].shot == "wide" and merged.scenes[0].panels[1].angle == "low"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("title: x\n" + "# " + "x" * (3 * 1024 * 1024), "larger than 2 MiB"),
        ("title: " + "[" * 50_000 + "]" * 50_000 + "\n", "nested"),
        ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)),
         "alias bomb"),
        ("a: &a [*a]\n", "nested"),
    ],
)
def test_hostile_yaml_fails_fast(text, expected):
    import time

    start = time.perf_counter()
    out = problems(text)
    assert time.perf_counter() - start < 5
    assert any(expected in line for line in out), out


def test_the_braces_hint_reads_back_as_the_line_it_means():
    # the hint is copied into scripts as written: its text must parse to the same line
    for text in ("Stay close, Kettle.", "Wait: what?", "[beat]", "#1 fan", "- no", "true", "plain words"):
        with pytest.raises(ScriptError) as info:
            parse_story(BASE + "      - action: a\n        dialogue:\n          - mara: x\n            kind: shout\n"
                        .replace("mara: x", "mara: " + json.dumps(text)))
        hint = str(info.value.problems[0]).split("inside its braces: ", 1)[1][:-1]
        (line,) = story(f"- {{action: a, dialogue: [{hint}]}}").scenes[0].panels[0].dialogue
        assert (line.speaker, line.text, line.kind) == ("mara", text, "shout"), hint
