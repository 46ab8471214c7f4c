"""Every IP-Adapter variant, as tiny checkpoints in the released key layouts, told apart by keys."""

from __future__ import annotations

import numpy as np
import pytest

from storyboard.engines import _adapters
from storyboard.engines.base import Identity
from storyboard.errors import GenerationError

from .conftest import member, request
from .tiny_models import (
    FACE_DIM,
    PLUS_DIM,
    PLUS_TOKENS,
    build_faceid,
    build_faceid_plus,
    build_full_face,
    build_lora,
    build_plain,
    build_plus,
)

# Released file names (h94/IP-Adapter models/ and sdxl_models/, h94/IP-Adapter-FaceID): the
# FaceID-Plus generation is told by name only (same keys), the rest by keys.
SD15 = {
    "plain": ("ip-adapter_sd15.safetensors", build_plain, {}),
    "plus": ("ip-adapter-plus_sd15.safetensors", build_plus, {}),
    "plus-face": ("ip-adapter-plus-face_sd15.safetensors", build_plus, {}),
    "full-face": ("ip-adapter-full-face_sd15.safetensors", build_full_face, {}),
    "faceid": ("ip-adapter-faceid_sd15.bin", build_faceid, {}),
    "faceid-plus": ("ip-adapter-faceid-plus_sd15.bin", build_faceid_plus, {}),
    "faceid-plus-v2": ("ip-adapter-faceid-plusv2_sd15.bin", build_faceid_plus, {}),
    "faceid-portrait": ("ip-adapter-faceid-portrait_sd15.bin", build_faceid, {"tokens": 16, "lora": False}),
}
SDXL = {
    "plain": ("ip-adapter_sdxl_vit-h.safetensors", build_plain, {}),
    "plus": ("ip-adapter-plus_sdxl_vit-h.safetensors", build_plus, {}),
    "plus-face": ("ip-adapter-plus-face_sdxl_vit-h.safetensors", build_plus, {}),
    "faceid-plus-v2": ("ip-adapter-faceid-plusv2_sdxl.bin", build_faceid_plus, {}),
    "faceid-portrait": ("ip-adapter-faceid-portrait_sdxl.bin", build_faceid, {"tokens": 16, "lora": False}),
}
FACE_ONLY = {"faceid", "faceid-plus", "faceid-plus-v2", "faceid-portrait"}


def _build(folder, table, unet):
    folder.mkdir(exist_ok=True)
    return {name: build(folder / file, unet, **kw) for name, (file, build, kw) in table.items()}


@pytest.fixture(scope="session")
def variants(models, tmp_path_factory):
    from diffusers import UNet2DConditionModel

    unet = UNet2DConditionModel.from_pretrained(models["model"] / "unet")
    return _build(tmp_path_factory.mktemp("ip-adapters"), SD15, unet)


@pytest.fixture(scope="session")
def sdxl(tmp_path_factory):
    from diffusers import UNet2DConditionModel

    from .tiny_models import build_tiny_sdxl

    root = tmp_path_factory.mktemp("sdxl")
    model = build_tiny_sdxl(root / "tiny-sdxl")
    unet = UNet2DConditionModel.from_pretrained(model / "unet")
    lcm = root / "lcm"
    lcm.mkdir()
    build_lora(lcm / "pytorch_lora_weights.safetensors", unet, seed=4, scale=0.1)
    return {"model": model, "lcm": lcm, **_build(root / "adapters", SDXL, unet)}


def rich_face(seed: int, refs: int = 3) -> Identity:
    """A face identity with everything each face adapter reads."""
    rng = np.random.default_rng(seed)
    each = rng.standard_normal((refs, FACE_DIM)).astype(np.float32)
    each /= np.linalg.norm(each, axis=1, keepdims=True)
    mean = each.mean(axis=0) / np.linalg.norm(each.mean(axis=0))
    inputs = {
        "arcface": mean,
        "arcface_each": each,
        "clip_hidden": rng.standard_normal((PLUS_TOKENS, PLUS_DIM)).astype(np.float32),
        "clip_pooled": rng.standard_normal(PLUS_DIM).astype(np.float32),
    }
    return Identity("face", mean, "test:arcface", inputs)


def rich_drawn(seed: int) -> Identity:
    rng = np.random.default_rng(seed)
    hidden = rng.standard_normal((PLUS_TOKENS, PLUS_DIM)).astype(np.float32)
    return Identity("drawn", hidden, "test:clip", {"clip_hidden": hidden,
                                                  "clip_pooled": rng.standard_normal(PLUS_DIM).astype(np.float32)})


@pytest.mark.parametrize("name", sorted(SD15))
def test_variant_told_from_keys(variants, name):
    path = variants[name]
    variant = _adapters.inspect(path, str(path))
    assert variant.name == name
    assert variant.cross_attention_dim == 32 and variant.ip_layers == 7  # tiny UNet: 7 cross attentions
    assert variant.lora == (name in FACE_ONLY - {"faceid-portrait"})
    assert variant.face_only == (name in FACE_ONLY)
    assert variant.shortcut == (name == "faceid-plus-v2")


def test_renamed_checkpoint_is_still_told_by_keys(variants, tmp_path):
    renamed = tmp_path / "face-adapter.safetensors"
    renamed.write_bytes(variants["plain"].read_bytes())
    assert _adapters.inspect(renamed, "x").name == "plain"


def test_not_an_adapter_is_one_line(models):
    with pytest.raises(GenerationError, match=r"^identity adapter 'peel' is not an IP-Adapter checkpoint") as err:
        _adapters.inspect(models["peel"], "peel")
    assert "\n" not in str(err.value)


def make_engine(models, **kw):
    from storyboard.engines.diffusion import DiffusionEngine

    return DiffusionEngine(**{"model": str(models["model"]), "fast_lora": str(models["lcm"]), **kw})


def pixels(image) -> np.ndarray:
    return np.asarray(image, dtype=np.float64)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SD15))
def test_each_variant_renders_as_face_adapter(models, variants, name):
    engine = make_engine(models, face_adapter=str(variants[name]))
    a = pixels(engine.render(request([member(0, rich_face(1))])))
    b = pixels(engine.render(request([member(0, rich_face(2))])))
    assert a.shape == (64, 64, 3) and not np.array_equal(a, b)  # the identity reaches the pixels


@pytest.mark.slow
@pytest.mark.parametrize("name", ["plain", "plus", "full-face"])
def test_image_variants_render_as_drawn_adapter(models, variants, name):
    engine = make_engine(models, drawn_adapter=str(variants[name]))
    a = pixels(engine.render(request([member(0, rich_drawn(1))])))
    b = pixels(engine.render(request([member(0, rich_drawn(2))])))
    assert not np.array_equal(a, b)


def test_face_only_variant_as_drawn_adapter_is_one_line(models, variants):
    engine = make_engine(models, drawn_adapter=str(variants["faceid-plus-v2"]))
    with pytest.raises(GenerationError, match="needs a face's ArcFace embedding") as err:
        engine.render(request([member(0, rich_drawn(1))]))
    assert "\n" not in str(err.value)
    engine.render(request())  # the engine stays usable


@pytest.mark.slow
def test_five_characters_mixed_variants_in_one_panel(models, variants):
    """FaceID-Plus-v2 for three faces and the plain adapter for two drawn characters, batched."""
    engine = make_engine(models, face_adapter=str(variants["faceid-plus-v2"]),
                         drawn_adapter=str(variants["plain"]), batch=2)
    cast = [member(0, rich_face(1)), member(1, rich_drawn(2)), member(2, rich_face(3)),
            member(3, rich_drawn(4)), member(4, rich_face(5))]
    other = cast[:4] + [member(4, rich_face(6))]
    alone = [pixels(engine.render(request(c, width=160))) for c in (cast, other)]
    together = [pixels(im) for im in engine.render_batch([request(cast, width=160), request(other, width=160)])]
    assert not np.array_equal(alone[0], alone[1])
    for a, b in zip(alone, together):  # a batch draws each panel as when drawn alone
        assert np.abs(a - b).max() <= 2


def test_portrait_characters_with_different_reference_counts(models, variants):
    engine = make_engine(models, face_adapter=str(variants["faceid-portrait"]))
    image = engine.render(request([member(0, rich_face(1, refs=1)), member(1, rich_face(2, refs=4))]))
    assert image.size == (64, 64)


def test_sdxl_adapter_on_sd15_is_one_line_and_engine_stays_usable(models, sdxl):
    engine = make_engine(models, face_adapter=str(sdxl["faceid-plus-v2"]))
    with pytest.raises(GenerationError, match=r"made for .*cross attention models; the base model .* is") as err:
        engine.render(request([member(0, rich_face(1))]))
    assert "\n" not in str(err.value)
    engine.render(request())


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SDXL))
def test_sdxl_variants_render(sdxl, name):
    from storyboard.engines.diffusion import DiffusionEngine

    slot = "face_adapter" if name in FACE_ONLY or name == "plus-face" else "drawn_adapter"
    identity = (lambda s: _sdxl_face(s)) if slot == "face_adapter" else _sdxl_drawn
    engine = DiffusionEngine(model=str(sdxl["model"]), fast_lora=str(sdxl["lcm"]), **{slot: str(sdxl[name])})
    a = pixels(engine.render(request([member(0, identity(1))])))
    b = pixels(engine.render(request([member(0, identity(2))])))
    assert not np.array_equal(a, b)


def _sdxl_face(seed):
    return rich_face(seed)


def _sdxl_drawn(seed):
    return rich_drawn(seed)


@pytest.mark.slow
def test_plain_adapter_as_drawn_adapter_from_the_command_line(models, tmp_path, monkeypatch, capsys):
    """The most downloaded IP-Adapter, `ip-adapter_sd15`, given as --drawn-adapter: the gull's
    drawings go through the CLIP encoder's pooled image_embeds into it."""
    import json
    import shutil
    from pathlib import Path

    from diffusers import UNet2DConditionModel

    from storyboard.cli import main
    from tests.characters.tinymodels import build_clip_encoder

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = build_clip_encoder(tmp_path / "image_encoder")  # projection_dim 16
    unet = UNet2DConditionModel.from_pretrained(models["model"] / "unet")
    plain = build_plain(tmp_path / "ip-adapter_sd15.safetensors", unet, clip_dim=16)
    story = tmp_path / "story"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples", story)
    args = ["render", str(story / "lighthouse.yaml"), "--engine", "diffusion", "--model", str(models["model"]),
            "--fast-lora", str(models["lcm"]), "--drawn-adapter", str(plain),
            "--drawn-encoder", str(encoder), "--library", str(tmp_path / "lib"), "--max-side", "96",
            "--no-watermark", "-o", str(tmp_path / "l.pdf"), "--cache", str(tmp_path / "cache"), "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["panels_generated"] == 7


def test_lora_of_the_other_family_is_one_line_and_the_engine_stays_usable(models, sdxl):
    from storyboard.engines.base import Peel

    xl = str(sdxl["lcm"] / "pytorch_lora_weights.safetensors")  # a LoRA for the (tiny) SDXL UNet
    engine = make_engine(models)
    with pytest.raises(GenerationError) as err:
        engine.render(request(peels=[Peel(xl, 1.0)]))
    assert f"style peel '{xl}' does not fit" in str(err.value) and "\n" not in str(err.value)
    engine.render(request())
    engine.render(request(peels=[Peel(str(models["peel"]), 0.5)]))  # a fitting peel still loads after it
    fast = make_engine(models, fast_lora=xl)
    with pytest.raises(GenerationError, match=f"^fast LoRA '{xl}' does not fit") as err:
        fast.render(request())
    assert "\n" not in str(err.value)
