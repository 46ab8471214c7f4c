"""`storyboard models`: every role, present or missing, read from a real Hugging Face cache layout."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from storyboard.cli import main

pytest.importorskip("huggingface_hub")

COMMIT = "0123456789abcdef0123456789abcdef01234567"
STORY = """
title: Models
characters:
  mara: {{description: a woman, references: [mara.png], kind: face}}
  robot: {{description: a robot, references: [robot.png], kind: drawn}}
generation: {{engine: diffusion{extra}}}
scenes:
  - panels:
      - action: they meet
        cast: [mara, robot]
"""


def cached(hub_cache: Path, repo: str, files: list[str]) -> None:
    """Files of `repo` in the hub cache, laid out as huggingface_hub writes them."""
    root = hub_cache / f"models--{repo.replace('/', '--')}"
    (root / "refs").mkdir(parents=True, exist_ok=True)
    (root / "refs" / "main").write_text(COMMIT)
    for name in files:
        path = root / "snapshots" / COMMIT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'{"_class_name": "StableDiffusionPipeline"}' if name.endswith(".json") else b"x" * 1000)


@pytest.fixture
def hub_cache(tmp_path, monkeypatch) -> Path:
    cache = tmp_path / "hf" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("STORYBOARD_FACE_MODELS", str(tmp_path / "no-face-pack"))
    from PIL import Image

    for name in ("mara.png", "robot.png"):
        Image.new("RGB", (32, 32), "white").save(tmp_path / name)
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    return cache


def story(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "story.yaml"
    path.write_text(STORY.format(extra=extra))
    return path


def listing(capsys, *args) -> tuple[int, list[dict]]:
    code = main(["models", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_every_role_present_or_missing(tmp_path, hub_cache, capsys):
    cached(hub_cache, "stable-diffusion-v1-5/stable-diffusion-v1-5",
           ["model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors"])
    cached(hub_cache, "h94/IP-Adapter", ["models/image_encoder/config.json", "models/image_encoder/model.safetensors"])
    code, rows = listing(capsys, str(story(tmp_path)))
    assert code == 1  # something is missing
    by_key = {row["key"]: row for row in rows}
    assert set(by_key) == {"model", "face_adapter", "face_models", "drawn_adapter", "drawn_encoder", "fast_lora"}
    assert by_key["model"]["present"] and by_key["drawn_encoder"]["present"]
    assert Path(by_key["model"]["path"]).name == COMMIT
    for key in ("face_adapter", "drawn_adapter", "fast_lora", "face_models"):
        assert not by_key[key]["present"], key
        assert by_key[key]["download"]
    assert by_key["drawn_adapter"]["download"] == "hf download h94/IP-Adapter models/ip-adapter-plus_sd15.safetensors"
    # a pack folder named by its path (here STORYBOARD_FACE_MODELS) has no release of that name to unzip
    assert by_key["face_models"]["download"] == (f"unzip an InsightFace model pack into {tmp_path / 'no-face-pack'} "
                                                 "(storyboard never downloads face models)")
    assert all(row["licence"] and row["size"] for row in rows)


def test_all_present_exits_zero_and_script_choices_win(tmp_path, hub_cache, capsys):
    lora = tmp_path / "my-lcm.safetensors"
    lora.write_bytes(b"x")
    cached(hub_cache, "stable-diffusion-v1-5/stable-diffusion-v1-5",
           ["model_index.json", "unet/diffusion_pytorch_model.safetensors"])
    cached(hub_cache, "h94/IP-Adapter", ["models/image_encoder/config.json", "models/image_encoder/model.safetensors",
                                         "models/ip-adapter-plus_sd15.safetensors"])
    cached(hub_cache, "h94/IP-Adapter-FaceID", ["ip-adapter-faceid-plusv2_sd15.bin"])
    pack = tmp_path / "no-face-pack"
    pack.mkdir()
    (pack / "det.onnx").write_bytes(b"x")
    code, rows = listing(capsys, str(story(tmp_path, extra=f", fast_lora: {lora.name}")))
    assert code == 0, [r for r in rows if not r["present"]]
    lcm = next(r for r in rows if r["key"] == "fast_lora")
    assert lcm["chosen_by"] == "script" and lcm["path"] == str(lora.resolve()) and lcm["download"] is None


def test_no_story_lists_the_defaults_and_the_table_names_the_fix(hub_cache, capsys):
    assert main(["models"]) == 1
    out = capsys.readouterr().out
    assert "base model: stable-diffusion-v1-5/stable-diffusion-v1-5" in out
    assert "get it: hf download" in out and "missing" in out
    assert out.rstrip().endswith("; fetch the hub ones with `storyboard models download`")


def test_the_table_names_the_download_of_this_story_with_its_flags(tmp_path, hub_cache, capsys, monkeypatch):
    """The bare `storyboard models download` fetches the defaults' every role, not this story's
    (nor anything, for a draft story without --engine diffusion)."""
    (tmp_path / "my story.yaml").write_text("title: T\ngeneration: {engine: draft}\nscenes:\n  - panels:\n"
                                            "      - action: a gull\n")
    assert main(["models", "--engine", "diffusion", "--no-fast", str(tmp_path / "my story.yaml")]) == 1
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    command = f"storyboard models download '{tmp_path / 'my story.yaml'}' --engine diffusion --no-fast"
    assert last.endswith(f"; fetch the hub ones with `{command}`"), last
    monkeypatch.delenv("HF_HUB_OFFLINE")
    fetched = []
    monkeypatch.setattr("storyboard.models.download", lambda found, say: fetched.extend(n.ref for n in found))
    assert main(shlex.split(command)[1:]) == 1  # the command as printed parses, and fetches this story's one model
    assert fetched == ["stable-diffusion-v1-5/stable-diffusion-v1-5"]


def test_render_lists_every_missing_model_in_one_line(tmp_path, hub_cache, capsys, monkeypatch):
    """Three missing models (base, drawn adapter, fast LoRA) in one error, before any panel."""
    from PIL import Image

    script = tmp_path / "drawn.yaml"
    script.write_text(
        "title: T\ncharacters:\n  robot: {description: a robot, references: [robot.png], kind: drawn}\n"
        "scenes:\n  - panels:\n      - action: beep\n        cast: [robot]\n"
    )
    Image.new("RGB", (32, 32), "white").save(tmp_path / "robot.png")
    from storyboard.engines.base import Identity

    import numpy as np

    import sys

    monkeypatch.setattr(sys.modules["storyboard.render"], "_identities",
                        lambda *a, **k: {"robot": Identity("drawn", np.zeros((1, 8), np.float32), "test")})
    out = tmp_path / "x.pdf"
    assert main(["render", str(script), "--engine", "diffusion", "-o", str(out), "--no-cache"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "3 models are missing" in err
    for ref in ("stable-diffusion-v1-5/stable-diffusion-v1-5", "ip-adapter-plus_sd15", "lcm-lora-sdv1-5"):
        assert ref in err
    assert not out.exists()


def test_download_refuses_offline(hub_cache, capsys):
    assert main(["models", "download"]) == 2
    assert "HF_HUB_OFFLINE" in capsys.readouterr().err
