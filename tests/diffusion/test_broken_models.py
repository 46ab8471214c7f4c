"""A broken or wrong model file or folder is one line naming the file, never a traceback."""

from __future__ import annotations

import pytest

import storyboard
from storyboard.errors import GenerationError


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: (p / "m.safetensors").write_bytes(b"\x00garbage" * 20),
         r"m\.safetensors is not a readable \.safetensors file \(Error while deserializing header"),
        (lambda p: (p / "m.safetensors").write_bytes(b""), r"m\.safetensors is not a readable \.safetensors file"),
        (lambda p: (p / "m").mkdir() or (p / "m" / "model_index.json").write_text("{nope"),
         r"model_index\.json is not a readable JSON file"),
        (lambda p: (p / "m").mkdir() or (p / "m" / "model_index.json").write_text("[1, 2]"),
         r"is a pipeline of unknown kind: only Stable Diffusion"),
        (lambda p: (p / "m").mkdir() or (p / "m" / "model_index.json").write_text(
            '{"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "UNet2DConditionModel"]}'),
         r"no file named config\.json"),
    ],
)
def test_broken_model_is_one_line_naming_the_file(tmp_path, make, message):
    make(tmp_path)
    model = next(p for p in tmp_path.iterdir() if p.name.startswith("m"))
    script = tmp_path / "s.yaml"
    script.write_text("title: T\nscenes: [{panels: [{action: a}]}]\n")
    with pytest.raises(GenerationError, match=message) as err:
        storyboard.render(script, out=tmp_path / "o.pdf", engine="diffusion",
                          engine_options={"model": str(model), "device": "cpu"}, cache=False, watermark=False)
    assert "\n" not in str(err.value) and f"model '{model}'" in str(err.value)
    assert not (tmp_path / "o.pdf").exists()
