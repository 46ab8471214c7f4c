from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from PIL import Image

from storyboard.errors import GenerationError
from storyboard.upscale import load_upscaler, upscale

from .conftest import compact_state_dict, painted_panel

# spandrel itself cannot be imported plainly here (it wants torchvision); load_upscaler can.
needs_spandrel = pytest.mark.skipif(
    importlib.util.find_spec("spandrel") is None, reason="spandrel is not installed"
)


def test_lanczos_reaches_exact_size_without_a_model():
    out = upscale(painted_panel(64, 48), (301, 227))
    assert out.size == (301, 227) and out.mode == "RGB"


def test_unknown_method_and_missing_model_are_refused():
    with pytest.raises(ValueError, match="unknown upscale method"):
        upscale(painted_panel(32, 32), (64, 64), method="bicubic")
    with pytest.raises(ValueError, match="needs a model"):
        upscale(painted_panel(32, 32), (64, 64), method="model")


@pytest.fixture(scope="module")
def x2(compact_x2):
    return load_upscaler(compact_x2)


@needs_spandrel
def test_spandrel_recognises_the_tiny_compact_checkpoint(x2):
    assert x2.scale == 2 and x2.architecture == "RealESRGAN Compact"


@needs_spandrel
def test_tiles_match_a_whole_image_run(x2):
    image = painted_panel(150, 110, seed=3)
    whole = np.asarray(upscale(image, (300, 220), method="model", model=x2, tile=512), dtype=int)
    tiled = np.asarray(upscale(image, (300, 220), method="model", model=x2, tile=40, overlap=8), dtype=int)
    assert whole.shape == (220, 300, 3)
    assert np.abs(whole - tiled).max() <= 1  # float summation order only


@needs_spandrel
def test_without_overlap_the_seams_show(x2):
    image = painted_panel(150, 110, seed=3)
    whole = np.asarray(upscale(image, (300, 220), method="model", model=x2, tile=512), dtype=int)
    seamed = np.asarray(upscale(image, (300, 220), method="model", model=x2, tile=40, overlap=0), dtype=int)
    assert np.abs(whole - seamed).max() > 1


@needs_spandrel
def test_model_passes_repeat_then_lanczos_hits_the_exact_size(x2):
    out = upscale(painted_panel(40, 30), (130, 97), method="model", model=x2)
    assert out.size == (130, 97)


@needs_spandrel
def test_pth_checkpoint_loads_with_weights_only(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "x4.pth"
    torch.save({"params": compact_state_dict(scale=4)}, path)  # the Real-ESRGAN release layout
    assert load_upscaler(path).scale == 4


@needs_spandrel
def test_pickled_code_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "evil.pth"
    torch.save({"params": compact_state_dict(), "extra": Image.new("RGB", (1, 1))}, path)
    with pytest.raises(GenerationError, match="refusing"):
        load_upscaler(path)


@needs_spandrel
def test_a_restoration_model_is_not_an_upscaler(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "x1.safetensors"
    save_file(compact_state_dict(scale=1), str(path))
    with pytest.raises(GenerationError, match="not a super-resolution one"):
        load_upscaler(path)


@needs_spandrel
def test_unrecognised_weights_and_missing_files_are_one_line_errors(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    path = tmp_path / "other.safetensors"
    save_file({"foo.weight": torch.zeros(2, 2)}, str(path))
    with pytest.raises(GenerationError, match="not an architecture spandrel recognises"):
        load_upscaler(path)
    with pytest.raises(GenerationError, match="no such file; use lanczos, a weights file, or a hub reference naming the weights file") as err:
        load_upscaler(str(tmp_path / "nope"))
    assert "\n" not in str(err.value)


@needs_spandrel
def test_hub_reference_offline_names_the_file_and_how_to_get_it(monkeypatch, tmp_path):
    pytest.importorskip("huggingface_hub")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(GenerationError) as err:
        load_upscaler("someone/upscalers/x4.safetensors")
    message = str(err.value)
    assert "HF_HUB_OFFLINE" in message and "hf download someone/upscalers x4.safetensors" in message
    assert "\n" not in message


@needs_spandrel
def test_spandrel_import_leaves_no_fake_torchvision_behind(x2):
    import importlib.util
    import sys

    assert "torchvision" not in sys.modules or importlib.util.find_spec("torchvision") is not None


def test_another_aspect_is_cropped_centred_not_stretched():
    image = Image.new("RGB", (120, 100), "white")
    image.paste((255, 0, 0), (0, 0, 10, 100))  # a red band on each side, 10 px wide
    image.paste((255, 0, 0), (110, 0, 120, 100))
    image.paste((0, 0, 255), (59, 0, 61, 100))  # a blue line in the middle
    out = np.asarray(upscale(image, (200, 200)))
    assert out.shape == (200, 200, 3)
    assert out[:, :8].min() > 200 and out[:, -8:].min() > 200  # the bands are cut away, white remains
    assert out[100, 98:102, 2].min() > 200 and out[100, 98:102, 0].max() < 80  # the line stays centred
