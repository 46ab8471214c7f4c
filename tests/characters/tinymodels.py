"""Tiny local models shaped like the real ones, so the real InsightFace and transformers
loading paths run without any download.

The detector is a genuine SCRFD-layout ONNX graph (9 outputs: scores, box distances and
keypoints for strides 8/16/32, two anchors each) whose "face" is any bright square that fills
exactly one stride cell and is surrounded by darkness (brightness = max over channels, so
saturated colours count as bright). Its keypoints sit where ArcFace's alignment template
expects eyes, nose and mouth, so the aligned crop is exactly the square. The recognizer is
ArcFace-shaped (1x3x112x112 -> 1x512): a fixed random projection of the crop's 8x8 colour
layout, so the colour pattern inside a square is its "identity".
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

ARCFACE_TEMPLATE = [
    [38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]
]
SATURATED = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255), (0, 255, 255), (255, 255, 255)]


def build_face_pack(folder: Path) -> Path:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    template = torch.tensor(ARCFACE_TEMPLATE).reshape(1, 10) / 112.0

    class Detector(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("box", torch.tensor([[0.0, 0.0, 1.0, 1.0]]))
            self.register_buffer("template", template)

        def forward(self, x):
            # SCRFD input is (pixel - 127.5) / 128; undo it to get brightness in [0, 1].
            bright = ((x * 128.0 + 127.5) / 255.0).amax(dim=1, keepdim=True)
            scores, boxes, points = [], [], []
            for stride in (8, 16, 32):
                cell = F.avg_pool2d(bright, stride, stride)
                around = F.avg_pool2d(cell, 3, 1, padding=1, count_include_pad=True)
                ring = (9 * around - cell) / 8
                score = torch.sigmoid(100 * (cell - ring - 0.95)).reshape(-1, 1)
                score = torch.cat([score, score], dim=1).reshape(-1, 1)  # two anchors per cell
                scores.append(score)
                # Anchors sit at cell corners: the box is the cell, in units of the stride.
                boxes.append(torch.ones_like(score) * self.box)
                points.append(torch.ones_like(score) * self.template)
            return (*scores, *boxes, *points)

    class Recognizer(nn.Module):
        def __init__(self):
            super().__init__()
            generator = torch.Generator().manual_seed(0)
            self.register_buffer("projection", torch.randn(192, 512, generator=generator))

        def forward(self, x):
            layout = F.avg_pool2d(x, 14).flatten(1)
            return (layout - layout.mean(dim=1, keepdim=True)) @ self.projection

    folder.mkdir(parents=True, exist_ok=True)
    names = [f"{part}_{stride}" for part in ("score", "bbox", "kps") for stride in (8, 16, 32)]
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation notices
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Detector(), torch.zeros(1, 3, 128, 128), str(folder / "det_tiny.onnx"),
            input_names=["images"], output_names=names, dynamo=False,
        )
        torch.onnx.export(
            Recognizer(), torch.zeros(1, 3, 112, 112), str(folder / "w600k_tiny.onnx"),
            input_names=["face"], output_names=["embedding"], dynamo=False,
        )
    return folder


def build_clip_encoder(folder: Path) -> Path:
    import torch
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    config = CLIPVisionConfig(
        hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
        image_size=32, patch_size=8, projection_dim=16,
    )
    CLIPVisionModelWithProjection(config).eval().save_pretrained(folder)
    return folder


def pattern(seed: int) -> np.ndarray:
    """A 4x4 grid of saturated colours: one character's "face"."""
    rng = np.random.default_rng(seed)
    return np.array(SATURATED, dtype=np.uint8)[rng.integers(0, len(SATURATED), size=(4, 4))]


def face_image(faces: list[tuple[int, int, int, int]], size: int = 256, jitter: int = 0) -> np.ndarray:
    """A black RGB image with faces given as (pattern seed, top, left, side) in pixels.

    Faces the detector sees must be a detector cell: in a 256 px image (scaled to its 128 px
    input) that is 16, 32 or 64 px at a multiple of the side. `jitter` darkens pixels by up to
    that much, so two pictures of one character are not identical.
    """
    image = np.zeros((size, size, 3), dtype=np.uint8)
    rng = np.random.default_rng(size + len(faces) + jitter)
    for seed, top, left, side in faces:
        tile = np.kron(pattern(seed), np.ones((side // 4, side // 4, 1), dtype=np.uint8))
        if jitter:
            tile = np.where(tile > 0, tile - rng.integers(0, jitter + 1, tile.shape), 0).astype(np.uint8)
        image[top : top + side, left : left + side] = tile
    return image


def drawing(seed: int, size: int = 128, shift: int = 0) -> np.ndarray:
    """A mid-grey "drawing" with soft shapes: nothing the face detector takes for a face."""
    rng = np.random.default_rng(seed)
    image = np.full((size, size, 3), 110, dtype=np.uint8)
    for _ in range(6):
        y, x = rng.integers(0, size - 32, 2)
        image[y + shift : y + shift + 32, x : x + 32] = rng.integers(40, 200, 3)
    return image
