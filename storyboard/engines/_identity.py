"""Per-panel IP-Adapter inputs: one embedding, one region mask and one scale per cast member.

The pipeline gets one entry per loaded adapter (FaceID first, then Plus). An adapter that no
cast member of the panel uses gets a single zero embedding with scale 0, which diffusers'
attention processor skips, so such a panel is drawn exactly as without that adapter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storyboard.engines.base import CastMember, PanelRequest
from storyboard.errors import GenerationError
from storyboard.masks import region_mask

KINDS = ("face", "drawn")  # adapter order in the pipeline


@dataclass(frozen=True)
class AdapterSpec:
    """What one loaded adapter expects: its kind and the trailing shape of one embedding."""

    kind: str
    ref: str
    shape: tuple[int, ...]  # (512,) for FaceID, (tokens, dim) with dim fixed for Plus
    scale: float


def identities(request: PanelRequest) -> dict[str, list[CastMember]]:
    """The request's cast members that carry an identity, by adapter kind, in cast order."""
    out: dict[str, list[CastMember]] = {k: [] for k in KINDS}
    for member in request.cast:
        if member.identity is not None:
            if member.identity.kind not in out:
                raise GenerationError(
                    f"{request.label}: character '{member.id}' has an identity of unknown kind '{member.identity.kind}'"
                )
            out[member.identity.kind].append(member)
    return out


def signature(request: PanelRequest) -> tuple[int, ...]:
    """Identity counts per kind: panels batch together only when these match."""
    found = identities(request)
    return tuple(len(found[k]) for k in KINDS)


def latent_mask(member: CastMember, request: PanelRequest, factor: int) -> np.ndarray:
    """The member's region mask, area-averaged once to the latent grid (what attention sees)."""
    from PIL import Image

    mask = member.mask
    if mask is None:
        mask = region_mask(member.box, request.width, request.height)
    mask = np.asarray(mask, dtype=np.float32)
    if mask.shape != (request.height, request.width):
        raise GenerationError(
            f"{request.label}: mask of '{member.id}' is {mask.shape[1]}x{mask.shape[0]}, "
            f"panel is {request.width}x{request.height}"
        )
    size = (request.width // factor, request.height // factor)
    small = Image.fromarray(mask).resize(size, Image.Resampling.BOX)  # float32: mode "F"
    return np.clip(np.asarray(small, dtype=np.float32), 0.0, 1.0)


def embedding(member: CastMember, request: PanelRequest, spec: AdapterSpec) -> np.ndarray:
    emb = np.asarray(member.identity.embedding, dtype=np.float32)
    ok = emb.shape == spec.shape if spec.kind == "face" else emb.ndim == 2 and emb.shape[1] == spec.shape[1]
    if not ok:
        want = f"({spec.shape[0]},)" if spec.kind == "face" else f"(tokens, {spec.shape[1]})"
        raise GenerationError(
            f"{request.label}: character '{member.id}' has a {spec.kind} identity of shape {emb.shape}, "
            f"but the {spec.kind} adapter '{spec.ref}' expects {want}: re-embed the character for this model"
        )
    return emb


def build(requests, specs: list[AdapterSpec], *, cfg: bool, factor: int, torch, device, dtype):
    """(embeds, masks, scales) for a batch of panels sharing one `signature`.

    Embeds per adapter are [B, N, ...] (positive only) or [2B, N, ...] (zeros, then positive)
    when classifier-free guidance runs; masks are [1, N, h, w] for one panel and follow the
    batch layout ([2B or B, N, h, w]) otherwise; scales are [s] * N.
    """
    per_kind = [identities(r) for r in requests]
    embeds, masks, scales = [], [], []
    for spec in specs:
        members = [found[spec.kind] for found in per_kind]
        count = len(members[0])
        if count == 0:
            shape = (len(requests), 1, *spec.shape)
            positive = torch.zeros(shape, dtype=dtype)
            mask, scale = None, [0.0]
        else:
            positive = torch.from_numpy(
                np.stack([np.stack([embedding(m, r, spec) for m in ms]) for r, ms in zip(requests, members)])
            ).to(dtype)
            grid = np.stack([np.stack([latent_mask(m, r, factor) for m in ms]) for r, ms in zip(requests, members)])
            mask = torch.from_numpy(grid)
            if len(requests) > 1 and cfg:
                mask = torch.cat([mask, mask])
            mask = mask.to(device=device, dtype=dtype)
            scale = [spec.scale] * count
        stacked = torch.cat([torch.zeros_like(positive), positive]) if cfg else positive
        embeds.append(stacked.to(device))
        masks.append(mask)
        scales.append(scale)
    return embeds, masks, scales
