"""Session fixtures: tiny random-weight models on disk, and panel requests built directly."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("diffusers")

from storyboard.engines.base import CastMember, Identity, PanelRequest, Peel  # noqa: E402

from .tiny_models import FACE_DIM, PLUS_DIM, PLUS_TOKENS, build_all  # noqa: E402

BOXES = [
    (0.0, 0.0, 0.2, 1.0),
    (0.2, 0.0, 0.4, 1.0),
    (0.4, 0.0, 0.6, 1.0),
    (0.6, 0.0, 0.8, 1.0),
    (0.8, 0.0, 1.0, 1.0),
]


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """Tiny models gain nothing from threads; on a shared 2-core box they lose 10x to spinning."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    return build_all(tmp_path_factory.mktemp("tiny-models"))


def face(seed: int) -> Identity:
    v = np.random.default_rng(seed).standard_normal(FACE_DIM).astype(np.float32)
    return Identity("face", v / np.linalg.norm(v), "test:arcface")


def drawn(seed: int) -> Identity:
    v = np.random.default_rng(seed).standard_normal((PLUS_TOKENS, PLUS_DIM)).astype(np.float32)
    return Identity("drawn", v, "test:clip")


def member(i: int, identity: Identity | None, box=None) -> CastMember:
    return CastMember(id=f"c{i}", name=f"C{i}", description="", box=box or BOXES[i], identity=identity)


def request(cast=(), *, seed=7, width=64, height=64, peels=(), prompt="a lighthouse on the cliff", label="panel 1"):
    return PanelRequest(
        scene=0,
        panel=0,
        label=label,
        prompt=prompt,
        negative_prompt="blurry",
        width=width,
        height=height,
        seed=seed,
        cast=tuple(cast),
        peels=tuple(peels),
    )


__all__ = ["BOXES", "Peel", "face", "drawn", "member", "request"]
