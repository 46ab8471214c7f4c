"""The tiny diffusion pipeline on two Ray workers draws the pixels it draws here."""

from __future__ import annotations

import json

import pytest

from storyboard.cli import main
from tests.pages_pixels import page_pixels as pixels

pytestmark = pytest.mark.slow

SCRIPT = """
title: Gulls
generation: {engine: diffusion}
scenes:
  - panels:
      - action: a gull lands on a post
      - action: a boat leaves the harbour
      - action: the lighthouse beam sweeps the fog
"""


def test_two_ray_workers_draw_the_local_pixels(models, tmp_path, monkeypatch, capsys):
    ray = pytest.importorskip("ray")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # set before Ray starts: its workers inherit it
    (tmp_path / "s.yaml").write_text(SCRIPT)
    common = ["render", str(tmp_path / "s.yaml"), "--model", str(models["model"]), "--fast-lora", str(models["lcm"]),
              "--max-side", "64", "--no-watermark", "--no-cache", "--json"]
    assert main([*common, "-o", str(tmp_path / "local/")]) == 0
    assert main([*common, "-o", str(tmp_path / "ray/"), "--executor", "ray", "--workers", "2"]) == 0
    assert not ray.is_initialized()  # the render shut down the Ray it started
    runs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["panels_generated"] for r in runs] == [3, 3]
    local = pixels(tmp_path / "local")
    assert local and pixels(tmp_path / "ray") == local
