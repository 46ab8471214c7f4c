"""Fixtures for the print tests: panel-like images and a tiny spandrel-loadable upscaler."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw


def drawn_panel(width: int, height: int, seed: int = 0) -> Image.Image:
    """Flat inked shapes on paper: the hardest case for a chroma watermark."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (width, height), (240, 235, 220))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(40, width // 2)), int(rng.integers(40, height // 2))
        fill = tuple(int(c) for c in rng.integers(0, 255, 3))
        draw.ellipse([x, y, x + w, y + h], fill=fill, outline=(0, 0, 0), width=3)
    return image


def painted_panel(width: int, height: int, seed: int = 0) -> Image.Image:
    """Smooth colour fields with grain, like a painted or photographic panel."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 255, (height // 32 + 1, width // 32 + 1, 3), dtype=np.uint8)
    base = np.asarray(Image.fromarray(coarse).resize((width, height), Image.BICUBIC), dtype=np.int16)
    grain = rng.integers(-12, 12, (height, width, 3))
    return Image.fromarray(np.clip(base + grain, 0, 255).astype(np.uint8))


def compact_state_dict(scale: int = 2, num_feat: int = 8, num_conv: int = 2, seed: int = 0) -> dict:
    """A random Real-ESRGAN SRVGGNetCompact state dict, laid out as the released checkpoints."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    state: dict = {}

    def conv(index: int, cin: int, cout: int) -> None:
        state[f"body.{index}.weight"] = torch.randn(cout, cin, 3, 3, generator=generator) * 0.05
        state[f"body.{index}.bias"] = torch.zeros(cout)

    conv(0, 3, num_feat)
    state["body.1.weight"] = torch.full((num_feat,), 0.25)  # PReLU
    for i in range(num_conv):
        conv(2 + 2 * i, num_feat, num_feat)
        state[f"body.{3 + 2 * i}.weight"] = torch.full((num_feat,), 0.25)
    conv(2 + 2 * num_conv, num_feat, 3 * scale * scale)
    return state


@pytest.fixture(scope="session")
def compact_x2(tmp_path_factory):
    """Path of a tiny 2x Compact upscaler saved as .safetensors."""
    pytest.importorskip("torch")
    from safetensors.torch import save_file

    path = tmp_path_factory.mktemp("models") / "tiny-compact-x2.safetensors"
    save_file(compact_state_dict(scale=2), str(path))
    return path
