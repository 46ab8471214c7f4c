"""A symlink loop given where a file or folder is expected is one line, exit 2, never a
traceback: Python < 3.13's `Path.resolve()` raises RuntimeError on a loop."""

from __future__ import annotations

import os

from storyboard.cli import main
from tests.hardening.cli_mistakes import one_error_line


def _loop(folder, name: str) -> str:
    os.symlink(name, folder / name)  # a link to itself
    return name


def test_a_batch_given_a_looping_script_reports_it_and_renders_the_others(folder, capsys):
    loop = _loop(folder, "loop.yaml")
    assert main(["batch", "good.yaml", loop, "-o", "out"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "loop.yaml:1:1: file: cannot read: Too many levels of symbolic links" in err
    assert (folder / "out" / "good.pdf").is_file()


def test_a_looping_font_is_one_line_in_validate_and_render(folder, capsys):
    loop = _loop(folder, "loop.ttf")
    assert main(["validate", "good.yaml", "--font", loop]) == 2
    assert one_error_line(capsys).endswith(f"font file not found: {folder / loop}")
    assert main(["render", "good.yaml", "--font", loop, "-o", "x.pdf"]) == 2
    assert one_error_line(capsys) == f"error: font file not found: {folder / loop}"
    assert not (folder / "x.pdf").exists()


def test_a_looping_allowed_folder_allows_nothing_and_fails_nothing(folder, capsys, monkeypatch):
    loop = _loop(folder, "loop")
    monkeypatch.setenv("STORYBOARD_ALLOW_PATHS", str(folder / loop))
    assert main(["render", "good.yaml", "-o", "x.pdf"]) == 0
    assert (folder / "x.pdf").is_file()
