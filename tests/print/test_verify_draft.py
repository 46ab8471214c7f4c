"""`storyboard verify` on draft outputs: sketches carry no mark by design, and it says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyboard.cli import main
from storyboard.provenance import engine_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("out", ["l.pdf", "l.cbz", "pages/", "l.webtoon/"])
def test_verify_says_drafts_carry_no_mark_by_design(tmp_path, capsys, out):
    target = tmp_path / out
    assert main(["render", str(ROOT / "examples" / "lighthouse.yaml"), "--engine", "draft",
                 "-o", str(target), "--cache", str(tmp_path / "c")]) == 0
    assert engine_of(target) == "draft"
    capsys.readouterr()
    assert main(["verify", str(target)]) == 0
    # one line, what it is (it went on with "0 of 0 panels marked")
    assert capsys.readouterr().out.splitlines() == [
        f"{target}: draft sketches (draft engine): no generative model drew them, so they carry no mark by design"]


def test_engine_of_a_file_without_provenance_is_none(tmp_path):
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tmp_path / "x.png")
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.4 not really")
    assert engine_of(tmp_path / "x.png") is None and engine_of(tmp_path / "x.pdf") is None
