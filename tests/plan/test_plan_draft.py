import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from storyboard.engines.base import Engine
from storyboard.engines.draft import FIGURE_TINTS, DraftEngine
from storyboard.engines.registry import create_engine
from storyboard.errors import MissingExtraError, StoryboardError

from .conftest import request

SHOTS = ["establishing", "wide", "medium", "close-up", "extreme-close-up", "over-shoulder"]
ANGLES = ["eye-level", "low", "high", "birds-eye", "dutch"]


def test_is_an_engine_with_versioned_settings():
    engine = DraftEngine()
    assert isinstance(engine, Engine)
    assert engine.name == "draft"
    assert engine.settings()["name"] == "draft" and engine.settings()["version"]


@pytest.mark.parametrize("shot", SHOTS)
@pytest.mark.parametrize("angle", ANGLES)
def test_every_shot_and_angle_draws_at_the_exact_size(shot, angle):
    image = DraftEngine().render(request(200, 136, shot=shot, angle=angle, cast=3))
    assert image.mode == "RGB" and image.size == (200, 136)
    assert np.asarray(image).std() > 10  # something is drawn on the paper


@pytest.mark.parametrize("size", [(8, 8), (512, 512), (1016, 336), (1032, 1544)])
def test_odd_and_large_sizes(size):
    assert DraftEngine().render(request(*size, cast=5)).size == size


def test_unknown_shot_is_refused():
    with pytest.raises(ValueError, match="unknown shot 'aerial'"):
        DraftEngine().render(request(shot="aerial"))


def test_same_request_same_bytes_other_seed_other_bytes():
    engine = DraftEngine()
    for shot, angle in [("medium", "eye-level"), ("wide", "dutch"), ("close-up", "birds-eye")]:
        a = engine.render(request(shot=shot, angle=angle)).tobytes()
        assert DraftEngine().render(request(shot=shot, angle=angle)).tobytes() == a
        assert engine.render(request(shot=shot, angle=angle, seed=8)).tobytes() != a


def tint_area(image, tint) -> int:
    pixels = np.asarray(image).astype(int)
    return int((np.abs(pixels - np.array(tint)).max(axis=2) <= 4).sum())


def test_figures_grow_as_the_shot_closes_in():
    areas = [tint_area(DraftEngine().render(request(512, 512, shot=shot, cast=1, action="")), FIGURE_TINTS[0])
             for shot in ["establishing", "wide", "medium", "close-up"]]
    assert 0 < areas[0] < areas[1] < areas[2] < areas[3], areas


def test_each_member_is_drawn_in_its_own_region():
    image = np.asarray(DraftEngine().render(request(512, 384, cast=2, action="")))
    for index, columns in ((0, slice(0, 256)), (1, slice(256, 512))):
        inside = tint_area(image[:, columns], FIGURE_TINTS[index])
        outside = tint_area(np.delete(image, np.arange(512)[columns], axis=1), FIGURE_TINTS[index])
        assert inside > 20 * max(outside, 1), (index, inside, outside)


def test_fast_at_panel_size_and_fine_at_print_size():
    engine = DraftEngine()
    engine.render(request(512, 512))  # font loading happens once
    start = time.perf_counter()
    for seed in range(10):
        engine.render(request(512, 512, seed=seed, cast=3))
    per_panel = (time.perf_counter() - start) / 10
    assert per_panel < 0.25, f"{per_panel * 1000:.0f} ms per 512 px panel"
    start = time.perf_counter()
    assert engine.render(request(1992, 2800, shot="wide", angle="dutch", cast=5)).size == (1992, 2800)
    assert time.perf_counter() - start < 3.0


def test_registry_builds_engines_by_name(monkeypatch):
    assert isinstance(create_engine("draft"), DraftEngine)
    with pytest.raises(StoryboardError, match="unknown engine 'drfat'; engines: draft, diffusion"):
        create_engine("drfat")
    with pytest.raises(StoryboardError, match="engine 'draft' has no option 'steps'"):
        create_engine("draft", steps=4)
    monkeypatch.setitem(sys.modules, "torch", None)  # as if the extra were not installed
    monkeypatch.setattr("storyboard.errors._source_checkout", lambda: None)  # as if installed from PyPI
    with pytest.raises(MissingExtraError, match=r"pip install 'storyboard-comics\[diffusion\]'"):
        create_engine("diffusion")


def test_planning_and_draft_import_no_heavy_library():
    code = ("import sys, storyboard.plan, storyboard.engines.draft, storyboard.engines.registry; "
            "heavy = {'torch', 'diffusers', 'transformers', 'insightface', 'cv2'} & set(sys.modules); "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_same_pixels_in_another_process():
    code = ("import hashlib, sys; sys.path.insert(0, '.'); from tests.plan.conftest import request; "
            "from storyboard.engines.draft import DraftEngine; "
            "print(hashlib.sha256(DraftEngine().render(request(cast=5, angle='dutch')).tobytes()).hexdigest())")
    here = DraftEngine().render(request(cast=5, angle="dutch")).tobytes()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert out.stdout.strip() == hashlib.sha256(here).hexdigest()
