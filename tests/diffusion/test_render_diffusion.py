"""`storyboard render --engine diffusion` end to end on the tiny local models, offline."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from storyboard.cli import main

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "five-friends.yaml"


def test_five_character_example_renders_marked_and_cached(models, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pdf, cbz, cache = tmp_path / "ff.pdf", tmp_path / "ff.cbz", tmp_path / "cache"
    args = ["render", str(EXAMPLE), "--engine", "diffusion", "--model", str(models["model"]),
            "--fast-lora", str(models["lcm"]), "--face-adapter", str(models["face"]),
            "--drawn-adapter", str(models["drawn"]), "--max-side", "128",
            "-o", str(pdf), "-o", str(cbz), "--cache", str(cache), "--json"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["panels_total"] == 5 and first["panels_generated"] == 5 and first["pages"] == 2
    manifest = json.loads(Path(f"{pdf}.manifest.json").read_text())
    assert manifest["engine"]["engine"] == "diffusion" and manifest["watermark"] is True
    with zipfile.ZipFile(cbz) as z:
        info = z.read("ComicInfo.xml").decode()
    assert "<PageCount>2</PageCount>" in info and "AI-generated" in info

    # every generated panel carries the mark, read back from the PDF and from the CBZ
    assert main(["verify", str(pdf), str(cbz)]) == 0
    out = capsys.readouterr().out
    assert out.count(f"marked, run {manifest['run_id']}") == 10

    assert main(args) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["panels_generated"] == 0 and again["panels_cached"] == 5


def test_unmarked_render_fails_verify(models, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pdf = tmp_path / "plain.pdf"
    assert main(["render", str(EXAMPLE), "--engine", "diffusion", "--model", str(models["model"]),
                 "--fast-lora", str(models["lcm"]), "--max-side", "128", "--no-watermark",
                 "-o", str(pdf), "--cache", str(tmp_path / "c")]) == 0
    assert json.loads(Path(f"{pdf}.manifest.json").read_text())["watermark"] is False
    capsys.readouterr()
    assert main(["verify", str(pdf)]) == 1


def test_missing_model_offline_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    out = tmp_path / "x.pdf"
    assert main(["render", str(EXAMPLE), "--engine", "diffusion", "-o", str(out), "--no-cache"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "stable-diffusion-v1-5" in err
    assert not out.exists() and not list(tmp_path.glob(".x.pdf*"))
