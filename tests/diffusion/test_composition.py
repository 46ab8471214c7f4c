"""Composition on the tiny models: native generation sizes, crops, manifest sizes."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from storyboard.engines._geometry import cover_crop, generation_size
from storyboard.staging import StagedFigure

from .conftest import request

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "five-friends.yaml"


def test_render_records_gen_and_print_size_per_panel(models, tmp_path, monkeypatch):
    import storyboard

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    shutil.copytree(EXAMPLE.parent, tmp_path / "story")
    out = tmp_path / "o.pdf"
    result = storyboard.render(tmp_path / "story" / "five-friends.yaml", engine="diffusion", out=out,
                               engine_options={"model": str(models["model"]), "fast_lora": str(models["lcm"])},
                               cache=False, max_side=128, watermark=False)
    manifest = json.loads(Path(f"{out}.manifest.json").read_text())
    assert len(manifest["panels"]) == 5
    for panel in manifest["panels"]:
        pw, ph = panel["print_size"]
        assert panel["gen_size"] == list(generation_size("sd1", pw / ph, 128))  # the tiny model is SD 1.x
    assert [list(r.gen_size) for r in result.panels] == [p["gen_size"] for p in manifest["panels"]]


def test_engine_returns_the_crop_of_its_native_size(models):
    from storyboard.engines.diffusion import DiffusionEngine

    engine = DiffusionEngine(model=str(models["model"]), fast_lora=str(models["lcm"]))
    assert engine.geometry_family() == "sd1"
    assert engine.generation_size(1024 / 344) == (768, 384) and engine.generation_size(3.0, 128) == (128, 64)
    crop = cover_crop(128, 64, 2.5)
    image = engine.render(dataclasses.replace(request(width=128, height=64), crop=crop))
    assert image.size == (crop[2] - crop[0], crop[3] - crop[1])


# -- control images and ControlNet --------------------------------------------------------------


STANDING = StagedFigure("c0", "human", "standing", (0.1, 0.2, 0.4, 1.0), (0.2, 0.22, 0.3, 0.34), (0.25, 0.3))
SITTING = StagedFigure("c1", "human", "sitting", (0.55, 0.35, 0.9, 1.0), (0.66, 0.37, 0.76, 0.48), (0.7, 0.45),
                       facing=-1)
DOG = StagedFigure("c2", "animal", "standing", (0.45, 0.7, 0.6, 0.95), (0.45, 0.7, 0.5, 0.78), (0.46, 0.75))


def posed(figures, *, width=128, height=64, crop=None, **kw):
    from storyboard.engines.base import CastMember

    cast = [CastMember(id=f"c{i}", name=f"C{i}", description="", box=f.body) for i, f in enumerate(figures)]
    return dataclasses.replace(request(cast, width=width, height=height, **kw), crop=crop, staging=tuple(figures))


@pytest.fixture(scope="session")
def controlnet(models, tmp_path_factory):
    from .tiny_models import build_controlnet

    return build_controlnet(tmp_path_factory.mktemp("controlnet") / "tiny-controlnet", models["model"])


@pytest.fixture(scope="session")
def posing(models, controlnet):
    from storyboard.engines.diffusion import DiffusionEngine

    return DiffusionEngine(model=str(models["model"]), fast_lora=str(models["lcm"]), face_adapter=str(models["face"]),
                           drawn_adapter=str(models["drawn"]), controlnet=str(controlnet))


def test_control_image_draws_each_figure_inside_its_body_box_only():
    from storyboard.engines._controls import COLORS, SILHOUETTE, pose_image

    crop = cover_crop(512, 256, 2.2)
    figures = [STANDING, SITTING, DOG]
    image = np.asarray(pose_image(figures, 512, 256, crop))
    drawn = image.max(axis=-1) > 0
    inside = np.zeros_like(drawn)
    from storyboard.engines._controls import _pixels
    from storyboard.engines._geometry import image_box

    for f in figures:
        x0, y0, x1, y1 = _pixels(image_box(f.body, crop, 512, 256), 512, 256)
        inside[y0:y1, x0:x1] = True
        assert drawn[y0:y1, x0:x1].mean() > 0.02, f  # every figure is there
    assert not (drawn & ~inside).any()  # and nothing is anywhere else
    colours = {tuple(c) for c in image[drawn].reshape(-1, 3)}
    assert {tuple(c) for c in COLORS[:5]} <= colours  # the OpenPose keypoint colours, as the annotator draws them
    assert SILHOUETTE in colours  # the dog: a silhouette, not a skeleton


def test_poses_change_the_skeleton_and_no_figures_draw_nothing():
    from storyboard.engines._controls import control_image, pose_image

    a = np.asarray(pose_image([STANDING], 256, 256))
    b = np.asarray(pose_image([dataclasses.replace(STANDING, pose="running")], 256, 256))
    assert (a != b).any()
    assert control_image(request(width=64, height=64), "pose") is None
    assert control_image(posed([STANDING]), "none") is None


def test_sketch_control_is_the_draft_as_white_lines_in_the_crop():
    from storyboard.engines._controls import control_image

    crop = cover_crop(128, 64, 2.4)
    image = np.asarray(control_image(posed([STANDING], crop=crop), "sketch"))
    assert image.shape == (64, 128, 3) and image.max() == 255
    assert image[: crop[1]].max() == 0 and image[crop[3]:].max() == 0  # nothing outside the panel's window


def test_control_image_is_part_of_the_cache_key():
    from storyboard.cache import panel_key
    from storyboard.engines._controls import pose_image

    plain = posed([STANDING])
    with_a = dataclasses.replace(plain, control=np.asarray(pose_image([STANDING], 128, 64)))
    with_b = dataclasses.replace(plain, control=np.asarray(pose_image([SITTING], 128, 64)))
    keys = {panel_key({}, r) for r in (plain, with_a, with_b)}
    assert len(keys) == 3


def test_controlnet_changes_the_panel_and_follows_the_staging(posing):
    assert posing.composition_mode() == "pose" and posing.settings()["controlnet"]
    plain = posed([STANDING, SITTING])
    one = posing.render(posing.prepare(plain))
    other = posing.render(posing.prepare(posed([dataclasses.replace(STANDING, pose="running"), DOG])))
    bare = posing.render(plain)  # no control image: the plain pipeline
    assert posing._control_pipe is not None
    diff = lambda a, b: np.abs(np.asarray(a, float) - np.asarray(b, float)).mean()  # noqa: E731
    assert diff(one, bare) > 1 and diff(one, other) > 1


def test_refine_draws_a_larger_second_pass_and_returns_the_crop(models, controlnet):
    from storyboard.engines.diffusion import DiffusionEngine

    engine = DiffusionEngine(model=str(models["model"]), fast_lora=str(models["lcm"]), controlnet=str(controlnet),
                             refine=1.5)
    assert engine.settings()["refine_strength"] == 0.35
    crop = cover_crop(128, 64, 2.4)
    assert crop == (0, 5, 128, 58)
    image = engine.render(engine.prepare(posed([STANDING], crop=crop)))
    assert image.size == (192, 79)  # 192x96 second pass, cropped to rows 8..87


def test_missing_hub_controlnet_offline_names_the_download(models, tmp_path, monkeypatch):
    from storyboard.engines.diffusion import DiffusionEngine
    from storyboard.errors import GenerationError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    engine = DiffusionEngine(model=str(models["model"]), fast_lora=str(models["lcm"]), composition="pose",
                             cache_dir=tmp_path / "hf")
    assert engine.settings()["controlnet"] == "lllyasviel/control_v11p_sd15_openpose"
    with pytest.raises(GenerationError) as err:
        engine.render(engine.prepare(posed([STANDING])))
    message = str(err.value)
    assert "\n" not in message and "hf download lllyasviel/control_v11p_sd15_openpose config.json" in message


def test_without_a_named_or_downloaded_controlnet_composition_is_off(models, tmp_path):
    from storyboard.engines.diffusion import DiffusionEngine

    engine = DiffusionEngine(model=str(models["model"]), cache_dir=tmp_path / "hf")
    assert engine.composition_mode() == "none" and engine.settings()["controlnet"] is None


# -- regional prompts ---------------------------------------------------------------------------


def two(first="a tall man in a blue jacket", second="a small girl in a red dress", identities=(None, None),
        boxes=((0.0, 0.0, 0.4, 1.0), (0.6, 0.0, 1.0, 1.0)), **kw):
    from .conftest import member

    cast = [dataclasses.replace(member(i, identities[i], boxes[i]), prompt=text)
            for i, text in enumerate((first, second))]
    return dataclasses.replace(request(cast, width=kw.pop("width", 128), height=kw.pop("height", 64), **kw),
                               scene_prompt="two people on a pier at dusk")


def test_a_members_words_change_its_region_not_the_rest(engine_plain):
    from storyboard.masks import region_mask

    # The geometry of the IP-Adapter locality test: a quarter-wide, half-high region at 256x256.
    boxes, w, h = ((0.0, 0.0, 0.25, 0.5), (0.5, 0.5, 1.0, 1.0)), 256, 256
    a = np.asarray(engine_plain.render(two(boxes=boxes, width=w, height=h)), float)
    b = np.asarray(engine_plain.render(two(first="an old woman with white hair and a green coat", boxes=boxes,
                                           width=w, height=h)), float)
    mask = region_mask(boxes[0], w, h)
    diff = np.abs(a - b).mean(axis=-1)
    inside, outside = diff[mask > 0.99].mean(), diff[mask == 0].mean()
    print(f"regional locality: inside {inside:.2f} outside {outside:.2f}")
    assert inside > 0 and inside > 2.0 * outside


def test_one_member_keeps_the_plain_prompt_path(engine_plain):
    from .conftest import member

    solo = dataclasses.replace(request([dataclasses.replace(member(0, None), prompt="a man")]), scene_prompt="x")
    plain = request([member(0, None)])
    assert np.array_equal(np.asarray(engine_plain.render(solo)), np.asarray(engine_plain.render(plain)))


@pytest.fixture(scope="session")
def engine_plain(models):
    from storyboard.engines.diffusion import DiffusionEngine

    return DiffusionEngine(model=str(models["model"]), fast_lora=str(models["lcm"]), face_adapter=str(models["face"]),
                           drawn_adapter=str(models["drawn"]))


def test_everything_in_one_call_and_batches_equal_single_panels(models, controlnet):
    """Identities (face + drawn, masked), a peel, few-step sampling, a control image and
    regional prompts together; a batch of two equals the panels drawn one by one."""
    from storyboard.engines.base import Peel
    from storyboard.engines.diffusion import DiffusionEngine

    from .conftest import drawn, face

    engine = DiffusionEngine(model=str(models["model"]), fast_lora=str(models["lcm"]), face_adapter=str(models["face"]),
                             drawn_adapter=str(models["drawn"]), controlnet=str(controlnet), batch=2)
    peel = (Peel(str(models["peel"]), 0.7),)

    def panel(seed, first):
        r = two(first=first, identities=(face(seed), drawn(seed + 1)), seed=seed, peels=peel)
        figures = [dataclasses.replace(STANDING, body=m.box, head=(m.box[0] + 0.1, 0.05, m.box[2] - 0.1, 0.2))
                   for m in r.cast]
        r = dataclasses.replace(r, staging=tuple(figures))
        return engine.prepare(r)

    panels = [panel(3, "a man in blue"), panel(5, "a man in grey")]
    assert all(p.control is not None for p in panels)
    together = engine.render_batch(panels)
    alone = [engine.render(p) for p in panels]
    for a, b in zip(together, alone):
        assert np.abs(np.asarray(a, int) - np.asarray(b, int)).max() <= 1
    assert not np.array_equal(np.asarray(together[0]), np.asarray(together[1]))


def test_sdxl_regional_prompts_and_controlnet(tmp_path):
    from storyboard.engines.diffusion import DiffusionEngine

    from .tiny_models import build_controlnet, build_tiny_sdxl

    model = build_tiny_sdxl(tmp_path / "tiny-sdxl")
    net = build_controlnet(tmp_path / "cn-xl", model)
    engine = DiffusionEngine(model=str(model), fast=False, steps=2, controlnet=str(net))
    a = engine.render(engine.prepare(dataclasses.replace(two(width=96), staging=(STANDING, SITTING))))
    b = engine.render(two(width=96, first="a red robot"))
    assert a.size == b.size == (96, 64)
    assert type(engine._control_pipe).__name__ == "StableDiffusionXLControlNetPipeline"
