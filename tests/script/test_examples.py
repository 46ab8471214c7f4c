"""Every example in examples/ and the example in SCRIPT_FORMAT.md are valid scripts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storyboard.script import load_story, parse_story

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
FORMAT_DOC = ROOT.parent / "shared" / "SCRIPT_FORMAT.md"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_is_valid(path):
    story = load_story(path)
    assert story.panel_count >= 1


def test_examples_cover_the_format():
    stories = [load_story(p) for p in EXAMPLES]
    panels = [panel for s in stories for _, _, _, panel in s.panels()]
    assert len(EXAMPLES) >= 3
    assert any(len(p.cast) == 5 for p in panels)
    assert any(s.page.reading == "rtl" and s.page.size == "manga" for s in stories)
    assert any(s.page.size == "storyboard" for s in stories)
    assert {d.kind for p in panels for d in p.dialogue} == {"speech", "thought", "whisper", "shout"}
    assert any(d.is_narration for p in panels for d in p.dialogue)
    assert any(p.caption for p in panels) and any(p.sfx for p in panels)
    assert any(p.new_page for p in panels) and any(sc.new_page for s in stories for sc in s.scenes)
    assert any(isinstance(c.position, tuple) for p in panels for c in p.cast)
    assert {p.size for p in panels} >= {"normal", "wide", "tall", "splash"}
    assert any(c.references for s in stories for c in s.characters.values())


@pytest.mark.skipif(not FORMAT_DOC.exists(), reason="shared/SCRIPT_FORMAT.md is not beside this checkout")
def test_script_format_doc_example(tmp_path):
    text = re.search(r"```yaml\n(.*?)```", FORMAT_DOC.read_text(), re.S).group(1)
    (tmp_path / "refs").mkdir()
    for name in re.findall(r"refs/[\w.-]+", text):
        (tmp_path / name).write_bytes(b"")
    story = parse_story(text, base_dir=tmp_path)
    assert story.title == "The Lighthouse"
    assert story.characters["keeper"].library == "keeper"
    assert [len(s.panels) for s in story.scenes] == [2, 1]
