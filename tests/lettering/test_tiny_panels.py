"""A long text in a panel a few millimetres tall fits at no type size: validate refuses it,
located, and render refuses it the same way before any work (it failed mid-render with
an unlocated "no room to letter", after validate had passed it: breaker7's f26)."""

from __future__ import annotations

from storyboard import lettering
from storyboard.cli import main
from storyboard.layout import paginate
from storyboard.script import load_story
from storyboard.text import load_chain

WORDS = " ".join(["storm", "Hello", "the", "harbour", "lights", "１２３", "é"] * 8)
TINY = f"""title: Tiny
page:
  size: [123, 29]
  margin_mm: 3
  gutter_mm: 1
characters:
  ana:
    description: a sailor
scenes:
  - id: s
    setting: a harbour
    panels:
      - action: a boat
        size: wide
      - action: a boat
        size: wide
        caption: The storm came in from the west.
      - action: a boat in the storm
        size: wide
        dialogue:
          - ana: "{WORDS}"
"""


def test_a_text_no_size_fits_in_its_panel_is_refused_located_by_validate_and_render(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(TINY)
    expected = ("tiny.yaml:21:18: scenes[0].panels[2].dialogue[0].text: no room to letter it: even at 1 pt it "
                "does not fit the panel's 72 x 3 mm for one text; shorten it or give the panel more room")
    assert main(["validate", "tiny.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == expected and err.count("\n") == 1, err
    assert main(["render", "tiny.yaml", "--engine", "draft", "-o", "tiny.pdf"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == expected and err.count("\n") == 1, err
    assert not (tmp_path / "tiny.pdf").exists()
    # A short caption in a panel as small still fits (at a smaller size, warned when rendered).
    (tmp_path / "short.yaml").write_text(TINY.replace(f'"{WORDS}"', "Look out!"))
    assert main(["validate", "short.yaml"]) == 0


def test_only_texts_whose_room_leaves_doubt_are_fitted(monkeypatch):
    # An ordinary book's panels and lines are never fitted at tiny sizes for this check.
    from pathlib import Path

    calls = []
    real = lettering._split_to_fit
    monkeypatch.setattr(lettering, "_split_to_fit", lambda *args: calls.append(args) or real(*args))
    s = load_story(Path(__file__).resolve().parents[2] / "examples" / "busy-harbour.yaml")
    assert lettering.room_problems(s, paginate(s), load_chain()) == []
    assert calls == []


def test_lettering_such_a_panel_anyway_fails_located(tmp_path):
    # Where the lettering is asked without render's refusals (the Python API, a strip lettered
    # at its own scale), its error names the panel in the script too.
    import pytest

    from storyboard.errors import ExportError
    from storyboard.lettering import letter_panel_full

    (tmp_path / "tiny.yaml").write_text(TINY)
    s = load_story(tmp_path / "tiny.yaml")
    book = paginate(s)
    slot = next(x for x in book.slots() if x.panel == 2)
    with pytest.raises(ExportError) as err:
        letter_panel_full(s, s.scenes[0].panels[2], slot, book.spec, load_chain())
    assert str(err.value).startswith(f"{tmp_path / 'tiny.yaml'}:18:9: scenes[0].panels[2]: no room to letter"), err.value
