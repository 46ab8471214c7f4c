"""`storyboard render`'s progress bar on a terminal: once every panel is in, it says what is
left (lettering the pages, writing the outputs) rather than naming the last panel."""

from __future__ import annotations

import sys
from pathlib import Path

from storyboard.cli import main
from storyboard.cli import render as cli_render

ROOT = Path(__file__).resolve().parents[2]


def test_the_bar_names_the_outputs_being_written_after_the_last_panel(tmp_path, monkeypatch, capsys):
    seen = []
    describe = cli_render.progress_reporter.description

    def record(self, done, total, request, status):
        seen.append((done, total, describe(self, done, total, request, status)))
        return seen[-1][2]

    monkeypatch.setattr(cli_render.progress_reporter, "description", record)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    pdf, csv = tmp_path / "l.pdf", tmp_path / "l.csv"
    assert main(["render", str(ROOT / "examples" / "lighthouse.yaml"), "--engine", "draft", "-o", str(pdf),
                 "-o", str(csv), "--no-cache"]) == 0
    *drawing, (done, total, last) = seen
    assert done == total == 7 and last == f"writing {pdf}, {csv}"  # was "scene 'morning' panel 3 (generated)"
    assert drawing and all(d < t and d_text.endswith("(generated)") for d, t, d_text in drawing)


def test_the_command_list_names_every_output_render_writes(capsys):
    """`storyboard --help` said 'render a story to PDF, CBZ or PNG pages': no strip, animatic or shot list."""
    import pytest

    with pytest.raises(SystemExit):
        main(["--help"])
    listed = " ".join(capsys.readouterr().out.split())  # (help lines wrap)
    line = listed[listed.index(" render render ") + 1:listed.index(" batch ")]
    assert all(word in line for word in ("PDF", "CBZ", "PNG pages", "webtoon strip", "animatic", "shot list")), line
