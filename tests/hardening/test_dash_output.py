"""`-o -` on every command that takes -o: the text outputs (an imported script, a translations
template) go to standard output with the summary on stderr; render, watch and batch, whose
outputs are files and folders with a manifest beside each, refuse it in one line (exit 2)
instead of writing a file or folder named '-'."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from storyboard.cli import main
from tests.hardening.cli_mistakes import GOOD, one_error_line

SCREENPLAY = Path(__file__).resolve().parents[1] / "formats" / "sample.fountain"


@pytest.mark.parametrize("argv, says", [
    (["render", "good.yaml", "-o", "-"], "-o -: storyboard writes its outputs as files and folders"),
    (["render", "good.yaml", "-o", "good.pdf", "-o", "-"], "-o -: storyboard writes its outputs as files and folders"),
    (["render", "good.yaml", "--format", "cbz", "-o", "-"], "-o -: storyboard writes its outputs as files and folders"),
    (["watch", "good.yaml", "-o", "-"], "-o -: storyboard writes its outputs as files and folders"),
    (["batch", "good.yaml", "-o", "-"], "-o -: batch writes each story into a folder, not to standard output"),
])
def test_render_watch_and_batch_refuse_dash(folder, capsys, argv, says):
    assert main(argv) == 2
    assert one_error_line(capsys).startswith(f"error: {says}")
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml"]  # nothing named '-', nothing else


def test_import_writes_the_script_to_stdout(folder, capsys):
    assert main(["import", str(SCREENPLAY), "-o", "-"]) == 0
    captured = capsys.readouterr()
    assert yaml.safe_load(captured.out)["title"] == "The Vault"
    assert captured.err == "wrote the story script to standard output: 3 scenes, 5 panels, 4 characters\n"
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml"]


def test_translations_template_writes_to_stdout(folder, capsys):
    (folder / "good.yaml").write_text(GOOD.replace("{action: a}", "{action: a, caption: Dawn.}"))
    assert main(["translations", "template", "good.yaml", "--lang", "de", "-o", "-"]) == 0
    captured = capsys.readouterr()
    assert yaml.safe_load(captured.out) == {"language": "de", "lines": {"scene-1/1/caption": ""}}
    assert "# Dawn." in captured.out
    assert captured.err == "wrote the template to standard output: 1 line to translate\n"
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml"]


def test_a_dash_as_the_input_says_standard_input_is_not_read(folder, capsys):
    # `cat story.yaml | storyboard validate -` said only "-:1:1: file: no such file"
    for command in (["validate", "-"], ["render", "-", "-o", "x.pdf"], ["translations", "template", "--lang", "fr", "-"]):
        assert main(command) == 2
        assert capsys.readouterr().err == "-:1:1: file: no such file (standard input is not read: give the file's path)\n"
    assert main(["import", "-", "-o", "x.yaml"]) == 2
    assert capsys.readouterr().err == "error: -: no such file (standard input is not read: give the file's path)\n"
