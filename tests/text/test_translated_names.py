"""A translations file's `characters:` names the cast as the edition's reader sees them."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyboard.cli import main
from storyboard.errors import ScriptError
from storyboard.export import compose
from storyboard.export.shotlist import rows
from storyboard.layout import paginate
from storyboard.lettering import story_font
from storyboard.plan import plan_panels
from storyboard.script import load_story
from storyboard.timing import cues, timeline
from storyboard.translations import load_translation, template

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPT = """\
title: 灯台守
language: ja
characters:
  mara: {name: マラ, description: a young woman}
  keeper: {name: 老人, description: an old man}
scenes:
  - id: storm
    panels:
      - action: the keeper shouts at mara
        cast: [keeper, mara]
        dialogue:
          - keeper: ランプは呪われている！
"""
ENGLISH = """\
language: en
characters:
  mara: Mara
  keeper: The Keeper
lines:
  storm/1/dialogue/1: The lamp is cursed!
"""


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "keeper.yaml"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


def _edition(script, text):
    path = script.parent / "en.yaml"
    path.write_text(text, encoding="utf-8")
    return load_translation(path, load_story(script), language="en")


def test_name_tags_shot_list_and_subtitles_use_the_translated_names(script):
    story = load_story(script)
    english = _edition(script, ENGLISH)
    assert [english.character_name(c) for c in ("mara", "keeper")] == ["Mara", "The Keeper"]
    book = paginate(english)
    texts = [op.text for page in compose(english, book, story_font(english), labels=True) for item in page.items
             for op in item.ops if hasattr(op, "text")]
    assert "The Keeper" in texts and "Mara" in texts and "老人" not in texts and "マラ" not in texts
    assert rows(english)[0]["cast"] == "The Keeper; Mara"
    assert rows(english)[0]["dialogue"] == "The Keeper: The lamp is cursed!"
    assert [text for _, _, text in cues(english, timeline(english))] == ["The Keeper: The lamp is cursed!"]
    # The art does not change with the edition: prompts and the panel cache keep the script's names.
    assert english.characters["keeper"].name == "老人"
    assert plan_panels(english, paginate(english))[0].cast == plan_panels(story, paginate(story))[0].cast


def test_the_template_lists_every_name_to_fill(script):
    written = template(load_story(script), "en")
    assert "characters:\n  # マラ\n  mara: \"\"\n  # 老人\n  keeper: \"\"\nlines:\n" in written


def test_names_are_checked_as_strictly_as_lines(script):
    bad = ENGLISH.replace("  mara: Mara\n", "  marra: Mara\n").replace("The Keeper", '""')
    with pytest.raises(ScriptError) as err:
        _edition(script, bad)
    found = [f"{p.line}:{p.column}: {p.path}: {p.message}" for p in err.value.problems]
    assert found == ["2:1: characters: missing name of character mara ('マラ')",
                     "3:3: characters.marra: no character 'marra' in the script (did you mean 'mara'?)",
                     "4:11: characters.keeper: the name is empty"], found
    with pytest.raises(ScriptError, match="characters must map each character's id"):
        _edition(script, ENGLISH.replace("  mara: Mara\n  keeper: The Keeper\n", "  - Mara\n"))
    with pytest.raises(ScriptError, match=r"characters\.keeper: no font in the chain draws .* \(U\+E000\)"):
        _edition(script, ENGLISH.replace("The Keeper", "The \ue000Keeper"))
    # Without `characters:` the script's names stay (files written before it keep working).
    plain = _edition(script, ENGLISH.replace("  mara: Mara\n  keeper: The Keeper\n", "").replace("characters:\n", ""))
    assert plain.character_name("keeper") == "老人"


def test_validate_lang_refuses_an_unknown_character(script, capsys):
    (script.parent / "translations").mkdir()
    (script.parent / "translations" / "keeper.en.yaml").write_text(ENGLISH.replace("keeper: The", "kepper: The"),
                                                                   encoding="utf-8")
    assert main(["validate", "--lang", "en", str(script)]) == 2
    err = capsys.readouterr().err
    assert "keeper.en.yaml:4:3: characters.kepper: no character 'kepper' in the script (did you mean 'keeper'?)" in err


def test_the_example_editions_name_the_cast():
    story = load_story(EXAMPLES / "tategaki.yaml")
    for language, keeper in (("en", "The Keeper"), ("fr", "Le Gardien")):
        edition = load_translation(EXAMPLES / "translations" / f"tategaki.{language}.yaml", story)
        assert edition.character_name("keeper") == keeper


def test_editions_that_differ_only_in_names_are_different_pages(script):
    # Cached page pieces hold the name tags: an edition's names are part of a page's key.
    from storyboard.export.pieces import page_keys

    keeper, tom = _edition(script, ENGLISH), _edition(script, ENGLISH.replace("The Keeper", "Old Tom"))
    keys = [page_keys(e, paginate(e), story_font(e), {(0, 0): "art"}, labels=True) for e in (keeper, tom)]
    assert keys[0] != keys[1] and None not in keys[0]
