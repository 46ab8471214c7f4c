"""Weights keyed by content: a local weight replaced in place changes exactly the panel keys
that used it; a warm run hashes no weight file."""

from __future__ import annotations

import os
import shutil

import pytest

from storyboard import fingerprints
from storyboard.cache import panel_key
from storyboard.engines.base import Peel

from .conftest import drawn, face, member, request
from .tiny_models import build_faceid, build_lora, build_plus, build_tiny_pipeline


@pytest.fixture
def memo(tmp_path, monkeypatch):
    monkeypatch.setenv("STORYBOARD_FINGERPRINTS", str(tmp_path / "fingerprints.json"))
    monkeypatch.setattr(fingerprints, "_memo", None)  # as a new process starts (restored after)
    return tmp_path / "fingerprints.json"


@pytest.fixture
def local(models, tmp_path):
    """Copies of the tiny weights that the test may overwrite."""
    out = {"model": tmp_path / "model", "lcm": tmp_path / "lcm"}
    shutil.copytree(models["model"], out["model"])
    shutil.copytree(models["lcm"], out["lcm"])
    for name in ("face", "drawn", "peel"):
        out[name] = tmp_path / models[name].name
        shutil.copy(models[name], out[name])
    return out


PANELS = {
    "face": request([member(0, face(1))]),
    "drawn": request([member(1, drawn(2))]),
    "none": request(prompt="an empty beach"),
}


def keys(local) -> dict[str, str]:
    from storyboard.engines.diffusion import DiffusionEngine

    engine = DiffusionEngine(model=str(local["model"]), face_adapter=str(local["face"]),
                             drawn_adapter=str(local["drawn"]), fast_lora=str(local["lcm"]))
    settings = engine.settings()
    return {name: panel_key(settings, r) for name, r in PANELS.items()}


def changed(before, after) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def _touch_later(path):
    """A replaced file gets a new mtime, as a copy or download gives it."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))


def test_replacing_a_weight_in_place_changes_exactly_the_panels_that_use_it(models, local, memo):
    from diffusers import UNet2DConditionModel

    unet = UNet2DConditionModel.from_pretrained(local["model"] / "unet")
    before = keys(local)
    assert keys(local) == before  # stable

    build_faceid(local["face"], unet, seed=21)  # same path, new bytes
    _touch_later(local["face"])
    after = keys(local)
    assert changed(before, after) == {"face"}

    build_plus(local["drawn"], unet, seed=22)
    _touch_later(local["drawn"])
    again = keys(local)
    assert changed(after, again) == {"drawn"}

    build_lora(local["lcm"] / "pytorch_lora_weights.safetensors", unet, seed=23, scale=0.1)
    _touch_later(local["lcm"] / "pytorch_lora_weights.safetensors")
    lora = keys(local)
    assert changed(again, lora) == {"face", "drawn", "none"}

    build_tiny_pipeline(local["model"], seed=24)  # the base model folder rewritten
    for path in local["model"].rglob("*.safetensors"):
        _touch_later(path)
    assert changed(lora, keys(local)) == {"face", "drawn", "none"}


def test_warm_run_reads_no_weight_file(local, memo, monkeypatch):
    """100 panels with faces and a local peel: the second run's keys come from the memo file."""
    from storyboard.engines.diffusion import DiffusionEngine

    panels = [request([member(i % 5, face(i))], seed=i, peels=[Peel(str(local["peel"]), 0.5)]) for i in range(100)]

    def run() -> list[str]:
        engine = DiffusionEngine(model=str(local["model"]), face_adapter=str(local["face"]),
                                 drawn_adapter=str(local["drawn"]), fast_lora=str(local["lcm"]))
        settings = engine.settings()
        return [panel_key(settings, r) for r in panels]

    first = run()
    assert memo.is_file() and len(set(first)) == 100
    monkeypatch.setattr(fingerprints, "_memo", None)  # a new process: only the memo file is left

    def no_reading(path):
        raise AssertionError(f"hashed {path} again")

    monkeypatch.setattr(fingerprints, "hash_file", no_reading)
    assert run() == first


def test_hub_reference_is_keyed_by_its_resolved_commit(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    refs = tmp_path / "hub" / "models--owner--repo" / "refs"
    refs.mkdir(parents=True)
    (refs / "main").write_text("a" * 40)
    got = fingerprints.of("owner/repo/sub/file.safetensors", cache_dir=tmp_path / "hub")
    assert got == f"hub:owner/repo@{'a' * 40}/sub/file.safetensors"
    (refs / "main").write_text("b" * 40)  # the cached revision moved: another key
    assert fingerprints.of("owner/repo", cache_dir=tmp_path / "hub") == f"hub:owner/repo@{'b' * 40}"
    assert fingerprints.of("owner/repo", cache_dir=tmp_path / "hub", revision="c" * 40) == f"hub:owner/repo@{'c' * 40}"
