"""A damaged font file HarfBuzz still reads (a truncated download) but the PDF cannot embed
is refused by validate, located at style.font, as render refuses it; PNG pages, which do not
embed it, still take it."""

from __future__ import annotations

from pathlib import Path

import storyboard
from storyboard.cli import main

FONT = Path(storyboard.__file__).parent / "fonts" / "ComicNeue-Regular.ttf"


def test_a_truncated_font_is_refused_by_validate_as_by_render(tmp_path, capsys):
    (tmp_path / "cut.ttf").write_bytes(FONT.read_bytes()[:20000])
    script = tmp_path / "s.yaml"
    script.write_text("title: T\nstyle: {font: cut.ttf}\nscenes:\n  - panels:\n      - action: a room\n"
                      "        caption: Hello.\n")
    said = f"{script}:2:15: style.font: cannot embed font {tmp_path / 'cut.ttf'}: reportlab cannot read it"
    assert main(["validate", "--engine", "draft", str(script)]) == 2
    assert capsys.readouterr().err.startswith(said)
    assert main(["render", "--engine", "draft", "--no-cache", str(script), "-o", str(tmp_path / "s.pdf")]) == 2
    assert capsys.readouterr().err.startswith(said)
    assert not (tmp_path / "s.pdf").exists()
    assert main(["validate", "--engine", "draft", "--format", "pages", str(script)]) == 0
