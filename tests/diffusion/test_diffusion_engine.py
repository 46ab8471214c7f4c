"""The diffusion engine on tiny random-weight models, loaded through the real code paths."""

from __future__ import annotations

import json

import numpy as np
import pytest

from storyboard.engines._device import cpu_has_native_bf16
from storyboard.engines.base import Peel
from storyboard.errors import GenerationError
from storyboard.masks import region_mask

from .conftest import drawn, face, member, request

pytestmark = pytest.mark.slow


def make_engine(models, **kw):
    from storyboard.engines.diffusion import DiffusionEngine

    refs = dict(
        model=str(models["model"]),
        face_adapter=str(models["face"]),
        drawn_adapter=str(models["drawn"]),
        fast_lora=str(models["lcm"]),
    )
    return DiffusionEngine(**{**refs, **kw})


@pytest.fixture(scope="session")
def engine(models):
    return make_engine(models)


def pixels(image) -> np.ndarray:
    return np.asarray(image, dtype=np.float64)


def test_same_seed_same_pixels_other_seed_differs(engine):
    cast = [member(0, face(1)), member(1, drawn(2))]
    a = engine.render(request(cast, seed=11))
    b = engine.render(request(cast, seed=11))
    c = engine.render(request(cast, seed=12))
    assert a.size == (64, 64) and a.mode == "RGB"
    assert np.array_equal(pixels(a), pixels(b))
    assert not np.array_equal(pixels(a), pixels(c))


def test_exact_size_for_non_square_panels(engine):
    assert engine.render(request(width=96, height=48)).size == (96, 48)


@pytest.mark.parametrize("kind", [face, drawn])
def test_identity_stays_inside_its_mask(engine, kind):
    box, w, h = (0.0, 0.0, 0.25, 0.5), 256, 256
    a = pixels(engine.render(request([member(0, kind(1), box)], width=w, height=h)))
    b = pixels(engine.render(request([member(0, kind(2), box)], width=w, height=h)))
    mask = region_mask(box, w, h)
    diff = np.abs(a - b).mean(axis=-1)
    inside, outside = diff[mask > 0.99].mean(), diff[mask == 0].mean()
    print(f"locality {kind.__name__}: inside {inside:.2f} outside {outside:.2f} ratio {inside / outside:.2f}")
    assert inside > 0 and inside > 2.0 * outside


def test_five_characters_in_one_panel(engine):
    cast = [member(0, face(1)), member(1, drawn(2)), member(2, face(3)), member(3, drawn(4)), member(4, face(5))]
    five = engine.render(request(cast, width=160, height=64))
    assert five.size == (160, 64)
    swapped = list(cast)
    swapped[4] = member(4, face(6))
    assert not np.array_equal(pixels(five), pixels(engine.render(request(swapped, width=160, height=64))))


def test_mixed_face_and_drawn_panel_uses_both(engine):
    both = [member(0, face(1)), member(1, drawn(2))]
    base = pixels(engine.render(request(both)))
    assert not np.array_equal(base, pixels(engine.render(request([member(0, face(1)), member(1, drawn(3))]))))
    assert not np.array_equal(base, pixels(engine.render(request([member(0, face(4)), member(1, drawn(2))]))))


def test_panel_pixels_do_not_depend_on_what_was_loaded_before(models, engine):
    """A cache relies on it: adapters loaded for earlier panels must not change later ones."""
    engine.render(request([member(0, face(1)), member(1, drawn(2))]))  # both adapters loaded
    fresh = make_engine(models)
    for panel in (request(), request([member(1, drawn(2))])):
        assert np.array_equal(pixels(engine.render(panel)), pixels(fresh.render(panel)))


def test_zero_cast_member_without_identity(engine):
    no_identity = request([member(0, None)])
    assert np.array_equal(pixels(engine.render(no_identity)), pixels(engine.render(request())))


def test_peel_weight_changes_output_and_zero_is_no_peel(models, engine):
    ref = str(models["peel"])
    none = pixels(engine.render(request()))
    full = pixels(engine.render(request(peels=[Peel(ref, 1.0)])))
    half = pixels(engine.render(request(peels=[Peel(ref, 0.5)])))
    zero = pixels(engine.render(request(peels=[Peel(ref, 0.0)])))
    assert not np.array_equal(none, full) and not np.array_equal(full, half)
    assert np.array_equal(none, zero)
    assert np.array_equal(none, pixels(engine.render(request())))  # the peel is off again


def test_mismatched_peel_is_one_line_error_naming_it(models, engine):
    bad = str(models["bad_peel"])
    with pytest.raises(GenerationError) as err:
        engine.render(request(peels=[Peel(bad, 1.0)]))
    assert bad in str(err.value) and "\n" not in str(err.value)
    engine.render(request())  # the engine still works


def test_fast_and_full_schedulers_both_run(models, engine):
    full = make_engine(models, fast=False, steps=2)
    assert full.settings()["scheduler"] == "model" and engine.settings()["scheduler"] == "LCMScheduler"
    cast = [member(0, face(1))]
    a, b = full.render(request(cast)), engine.render(request(cast))
    assert a.size == b.size == (64, 64)
    assert not np.array_equal(pixels(a), pixels(b))
    assert type(full._pipe.scheduler).__name__ == "PNDMScheduler"


def test_batch_equals_one_at_a_time(models, engine):
    batched = make_engine(models, batch=3)
    panels = [
        request([member(0, face(1)), member(1, drawn(2))], seed=1),
        request([member(2, face(3)), member(0, drawn(4))], seed=2),
        request([member(4, face(5)), member(3, drawn(6))], seed=3),
        request([member(0, face(7))], seed=4),  # another signature: its own group
    ]
    together = batched.render_batch(panels)
    alone = [engine.render(p) for p in panels]
    for a, b in zip(together, alone):
        assert np.abs(pixels(a) - pixels(b)).max() <= 1  # batched matmuls may round the last bit differently
    assert batched.render_batch([]) == []


def test_long_prompt_is_chunked_not_truncated(engine):
    words = " ".join(["storm"] * 20)  # one tiny-vocab token per character: well over 77
    a = engine.render(request(prompt=f"{words} red"))
    b = engine.render(request(prompt=f"{words} blue"))
    assert not np.array_equal(pixels(a), pixels(b))


def test_identity_of_wrong_shape_names_the_character(engine):
    from storyboard.engines.base import Identity

    wrong = Identity("face", np.zeros(128, np.float32))
    with pytest.raises(GenerationError, match="'c0'.*shape"):
        engine.render(request([member(0, wrong)]))


def test_mask_of_wrong_size_is_refused(engine):
    from dataclasses import replace

    m = replace(member(0, face(1)), mask=np.ones((10, 10), np.float32))
    with pytest.raises(GenerationError, match="mask"):
        engine.render(request([m]))


def test_settings_are_json_and_do_not_load_the_model(models):
    e = make_engine(models)
    s = e.settings()
    json.dumps(s)
    assert e._pipe is None
    assert s["device"] == "cpu" and s["dtype"] == "fp32" and s["steps"] == 4


def test_offline_missing_hub_model_is_one_line(tmp_path, monkeypatch):
    from storyboard.engines.diffusion import DiffusionEngine

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    e = DiffusionEngine(model="nobody-here/no-such-model", cache_dir=tmp_path)
    with pytest.raises(GenerationError) as err:
        e.render(request())
    msg = str(err.value)
    assert "nobody-here/no-such-model" in msg and "HF_HUB_OFFLINE" in msg and "\n" not in msg


def test_missing_local_model_is_one_line(tmp_path):
    from storyboard.engines.diffusion import DiffusionEngine

    e = DiffusionEngine(model="./models/nothing", base_dir=tmp_path)
    with pytest.raises(GenerationError, match="not found"):
        e.render(request())


@pytest.mark.skipif(cpu_has_native_bf16(), reason="this CPU computes bf16 natively")
def test_bf16_refused_on_cpu_without_native_support(models):
    with pytest.raises(GenerationError, match="bf16"):
        make_engine(models, device="cpu", dtype="bf16").settings()


def test_sdxl_family_from_config_with_both_adapters(tmp_path, caplog):
    from diffusers import UNet2DConditionModel

    from storyboard.engines.diffusion import DiffusionEngine

    from .tiny_models import build_faceid, build_lora, build_plus, build_tiny_sdxl

    model = build_tiny_sdxl(tmp_path / "tiny-sdxl")
    unet = UNet2DConditionModel.from_pretrained(model / "unet")
    engine = DiffusionEngine(
        model=str(model),
        face_adapter=str(build_faceid(tmp_path / "faceid-xl.bin", unet)),
        drawn_adapter=str(build_plus(tmp_path / "plus-xl.safetensors", unet)),
        fast_lora=str(build_lora(tmp_path / "lcm-xl.safetensors", unet, scale=0.1)),
    )
    cast = [member(0, face(1)), member(1, drawn(2))]
    a = engine.render(request(cast, width=96, height=64))
    assert type(engine._pipe).__name__ == "StableDiffusionXLPipeline" and a.size == (96, 64)
    assert np.array_equal(pixels(a), pixels(engine.render(request(cast, width=96, height=64))))
    other = [member(0, face(3)), member(1, drawn(2))]
    assert not np.array_equal(pixels(a), pixels(engine.render(request(other, width=96, height=64))))
    # SDXL prompts are not chunked: what falls outside the window is named, with the panel.
    engine.render(request(prompt="storm " * 15 + "kite", label="panel 9"))
    assert any("panel 9" in r.message and "kite" in r.message for r in caplog.records)


def test_fast_lora_that_does_not_fit_fails_every_time(models):
    e = make_engine(models, fast_lora=str(models["bad_peel"]))
    for _ in range(2):
        with pytest.raises(GenerationError, match="fast LoRA"):
            e.render(request())
