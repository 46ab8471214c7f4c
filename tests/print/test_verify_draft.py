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


def test_engine_of_a_strip_of_a_thousand_images_and_more(tmp_path):
    """From its 1000th image on a strip's images are named 0001.png ... (`webtoon.write_strip`)."""
    import json

    from PIL import Image, PngImagePlugin

    from storyboard.provenance import PROVENANCE_KEY

    strip = tmp_path / "long.webtoon"
    strip.mkdir()
    record = PngImagePlugin.PngInfo()
    record.add_text(PROVENANCE_KEY, json.dumps({"engine": "draft", "run_id": "ab12cd34"}))
    for name in ("0001.png", "0002.png"):
        Image.new("RGB", (8, 8)).save(strip / name, pnginfo=record)
    Image.new("RGB", (8, 8)).save(strip / "full.png")
    assert engine_of(strip) == "draft"
