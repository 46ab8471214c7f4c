"""Few-step recipes by name: each runs on the tiny SD 1.5 and SDXL pipelines with its scheduler."""

from __future__ import annotations

import json

import pytest

from storyboard.engines import _recipes
from storyboard.errors import GenerationError

from .conftest import request

CASES = [(family, name) for family, table in _recipes.RECIPES.items() for name in table]


@pytest.fixture(scope="session")
def sdxl_model(tmp_path_factory):
    """A tiny SDXL pipeline and a LoRA for it, standing in for each recipe's published LoRA
    (those differ in weights, not in layout)."""
    from diffusers import UNet2DConditionModel

    from .tiny_models import build_lora, build_tiny_sdxl

    root = tmp_path_factory.mktemp("sdxl-recipes")
    model = build_tiny_sdxl(root / "tiny-sdxl")
    lora = build_lora(root / "fast-lora-xl.safetensors", UNet2DConditionModel.from_pretrained(model / "unet"), seed=4)
    return model, lora


def test_names_and_defaults():
    assert _recipes.normalise(True) == "lcm" and _recipes.normalise(None) == "lcm"
    assert _recipes.normalise(False) == "off" and _recipes.normalise("TCD") == "tcd"
    assert _recipes.defaults("lcm") == (4, 1.5) and _recipes.defaults("lightning") == (4, 0.0)
    assert _recipes.defaults("off") == (30, 7.0)
    with pytest.raises(GenerationError, match="unknown fast recipe 'turbo': choose one of lcm, tcd"):
        _recipes.normalise("turbo")


def test_recipe_missing_for_the_family_is_one_line_listing_those_that_exist(models):
    from storyboard.engines.diffusion import DiffusionEngine

    engine = DiffusionEngine(model=str(models["model"]), fast="lightning", fast_lora=str(models["lcm"]))
    with pytest.raises(GenerationError) as err:
        engine.render(request())
    assert str(err.value) == "fast recipe 'lightning' does not exist for SD 1.5 models: choose one of lcm, tcd, hyper, or off"


@pytest.mark.slow
@pytest.mark.parametrize("family,name", CASES)
def test_each_recipe_runs_with_its_scheduler(models, sdxl_model, family, name):
    from storyboard.engines.diffusion import DiffusionEngine

    recipe = _recipes.RECIPES[family][name]
    model, lora = (models["model"], models["lcm"]) if family == "sd15" else sdxl_model
    engine = DiffusionEngine(model=str(model), fast=name, fast_lora=str(lora))
    image = engine.render(request())
    assert image.size == (64, 64)
    scheduler = engine._pipe.scheduler
    assert type(scheduler).__name__ == recipe.scheduler
    for key, value in recipe.scheduler_config.items():
        assert scheduler.config[key] == value
    if "timesteps" in recipe.call:
        assert [int(t) for t in scheduler.timesteps] == recipe.call["timesteps"]
    else:
        assert len(scheduler.timesteps) == recipe.steps
    settings = engine.settings()
    assert (settings["fast"], settings["scheduler"], settings["steps"], settings["guidance"]) == (
        name, recipe.scheduler, recipe.steps, recipe.guidance)


@pytest.mark.slow
def test_manifest_records_recipe_scheduler_steps_guidance(models, tmp_path, monkeypatch, capsys):
    from storyboard.cli import main

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    script = tmp_path / "one.yaml"
    script.write_text("title: One\nscenes:\n  - id: s\n    panels:\n      - {action: a lighthouse at dusk}\n")
    out = tmp_path / "one.pdf"
    assert main(["render", str(script), "--engine", "diffusion", "--model", str(models["model"]), "--fast", "tcd",
                 "--fast-lora", str(models["lcm"]), "--steps", "3", "--max-side", "64", "--no-watermark",
                 "-o", str(out), "--cache", str(tmp_path / "cache")]) == 0
    engine = json.loads(out.with_name("one.pdf.manifest.json").read_text())["engine"]
    assert (engine["fast"], engine["scheduler"], engine["steps"], engine["guidance"]) == ("tcd", "TCDScheduler", 3, 0.0)
