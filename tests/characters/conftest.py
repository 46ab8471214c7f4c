from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.characters.tinymodels import build_clip_encoder, build_face_pack, drawing, face_image


@pytest.fixture(scope="session")
def face_pack(tmp_path_factory) -> Path:
    return build_face_pack(tmp_path_factory.mktemp("face-pack"))


@pytest.fixture(scope="session")
def clip_encoder(tmp_path_factory) -> Path:
    return build_clip_encoder(tmp_path_factory.mktemp("clip") / "image_encoder")


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No test reads the user's library, model packs or the network."""
    for name in ("STORYBOARD_LIBRARY", "STORYBOARD_FACE_MODELS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def library_root(tmp_path) -> Path:
    return tmp_path / "library"


def save(pixels: np.ndarray, path: Path, format: str | None = None, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, format, **options)
    return path


@pytest.fixture
def mara_images(tmp_path) -> list[Path]:
    """Three pictures of one character: same face pattern, different places and sizes."""
    return [
        save(face_image([(1, 64, 128, 64)], jitter=6), tmp_path / "refs" / "mara-1.jpg", quality=98),
        save(face_image([(1, 128, 0, 64)], jitter=3), tmp_path / "refs" / "mara-2.png"),
        save(face_image([(1, 192, 192, 64), (2, 32, 32, 32)]), tmp_path / "refs" / "mara-3.webp", lossless=True),
    ]


@pytest.fixture
def drawn_images(tmp_path) -> list[Path]:
    return [
        save(drawing(7), tmp_path / "refs" / "cat-1.png"),
        save(drawing(7, shift=2), tmp_path / "refs" / "cat-2.png"),
    ]


def tree(root: Path) -> dict[str, str]:
    """Every file under root with its hash: to show a failed command changed nothing."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
