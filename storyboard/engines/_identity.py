"""Per-panel IP-Adapter inputs: one embedding, one region mask and one scale per cast member.

The pipeline gets one entry per loaded adapter (the face adapter first, then the drawn one). An adapter that no
cast member of the panel uses gets a single zero embedding with scale 0, which diffusers'
attention processor skips, so such a panel is drawn exactly as without that adapter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storyboard.engines._adapters import ARCFACE_EACH, CLIP_HIDDEN, Variant
from storyboard.engines._geometry import image_box
from storyboard.engines.base import CastMember, PanelRequest
from storyboard.errors import GenerationError
from storyboard.masks import region_mask

KINDS = ("face", "drawn")  # adapter order in the pipeline


@dataclass(frozen=True)
class AdapterSpec:
    """One loaded adapter: the identity kind it serves, its checkpoint and variant, its scale."""

    kind: str
    ref: str
    variant: Variant
    scale: float

    @property
    def input(self) -> str:
        return self.variant.inputs[0][0]


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
        box = image_box(member.box, request.crop, request.width, request.height)
        mask = region_mask(box, request.width, request.height)
    mask = np.asarray(mask, dtype=np.float32)
    if mask.shape != (request.height, request.width):
        raise GenerationError(
            f"{request.label}: mask of '{member.id}' is {mask.shape[1]}x{mask.shape[0]}, "
            f"panel is {request.width}x{request.height}"
        )
    size = (request.width // factor, request.height // factor)
    small = Image.fromarray(mask).resize(size, Image.Resampling.BOX)  # float32: mode "F"
    return np.clip(np.asarray(small, dtype=np.float32), 0.0, 1.0)


def embedding(member: CastMember, request: PanelRequest, spec: AdapterSpec, name: str, dim: int) -> np.ndarray:
    """The member's input `name` for `spec`, checked against the adapter's width `dim`."""
    found = member.identity.input(name)
    want = {ARCFACE_EACH: f"(n, {dim})", CLIP_HIDDEN: f"(tokens, {dim})"}.get(name, f"({dim},)")
    ndim = 2 if name in (ARCFACE_EACH, CLIP_HIDDEN) else 1
    if found is None:
        raise GenerationError(
            f"{request.label}: character '{member.id}' has no {name.replace('_', ' ')} embedding, which the "
            f"{spec.kind} adapter '{spec.ref}' ({spec.variant.label}) needs: re-embed the character for it"
        )
    emb = np.asarray(found, dtype=np.float32)
    if emb.ndim != ndim or emb.shape[-1] != dim:
        raise GenerationError(
            f"{request.label}: character '{member.id}' has a {name.replace('_', ' ')} embedding of shape {emb.shape}, "
            f"but the {spec.kind} adapter '{spec.ref}' ({spec.variant.label}) expects {want}: "
            f"re-embed the character for this model"
        )
    return emb


def shapes(request: PanelRequest) -> tuple:
    """Shapes of every identity input: panels batch together only when these match too."""
    return tuple(
        (m.identity.kind, tuple(sorted((k, v.shape) for k, v in m.identity.inputs.items())), m.identity.embedding.shape)
        for m in request.cast
        if m.identity is not None
    )


def build(requests, specs: list[AdapterSpec], *, cfg: bool, factor: int, torch, device, dtype):
    """(embeds, extras, masks, scales) for a batch of panels sharing one `signature` and `shapes`.

    Embeds per adapter are [B, N, ...] (positive only) or [2B, N, ...] (zeros, then positive)
    when classifier-free guidance runs; `extras[i]` is the second input of a two-input adapter
    (FaceID-Plus: CLIP hidden states, same layout) or None; masks are [1, N, h, w] for one panel
    and follow the batch layout ([2B or B, N, h, w]) otherwise; scales are [s] * N.
    """
    per_kind = [identities(r) for r in requests]
    embeds, extras, masks, scales = [], [], [], []
    for spec in specs:
        members = [found[spec.kind] for found in per_kind]
        count = len(members[0])
        inputs = []
        for name, dim in spec.variant.inputs:
            if count == 0:  # one zero embedding at scale 0: the attention processor skips it
                rows = 1 if name in (ARCFACE_EACH, CLIP_HIDDEN) else 0
                positive = torch.zeros((len(requests), 1, *([1] * rows), dim), dtype=dtype)
            else:
                rows = [[embedding(m, r, spec, name, dim) for m in ms] for r, ms in zip(requests, members)]
                if name == ARCFACE_EACH:  # references per character differ: cycle each to the most
                    most = max(len(e) for row in rows for e in row)
                    rows = [[np.resize(e, (most, dim)) for e in row] for row in rows]
                positive = torch.from_numpy(np.stack([np.stack(row) for row in rows])).to(dtype)
            stacked = torch.cat([torch.zeros_like(positive), positive]) if cfg else positive
            inputs.append(stacked.to(device))
        if count == 0:
            mask, scale = None, [0.0]
        else:
            grid = np.stack([np.stack([latent_mask(m, r, factor) for m in ms]) for r, ms in zip(requests, members)])
            mask = torch.from_numpy(grid)
            if len(requests) > 1 and cfg:
                mask = torch.cat([mask, mask])
            mask = mask.to(device=device, dtype=dtype)
            scale = [spec.scale] * count
        embeds.append(inputs[0])
        extras.append(inputs[1] if len(inputs) > 1 else None)
        masks.append(mask)
        scales.append(scale)
    return embeds, extras, masks, scales
