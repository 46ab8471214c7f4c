"""Regional prompts: each cast member's words act only inside that member's region.

The text the UNet cross-attends to is the scene prompt (action, framing, setting, style)
followed by one span per cast member (description, expression, pose), each encoded on its own.
A wrapper around every cross-attention processor adds, for the image positions of one layer,
log(mask) of each member's region to the attention logits of that member's span (so outside
the region its tokens get about 1e-4 of their weight), while the scene span is seen everywhere.
This is the attention-mask form of the community regional-prompting pipelines. The bias goes
in as the processor's `attention_mask`, which diffusers' own processors (the plain one and the
IP-Adapter one, whose identity masks still apply to the image tokens) add before the softmax,
so identities, LoRAs and ControlNets compose with it unchanged. The unconditional half of
classifier-free guidance gets no bias: its spans all hold the negative prompt.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import numpy as np

from storyboard.engines._geometry import image_box
from storyboard.engines.base import PanelRequest
from storyboard.masks import region_mask

FLOOR = 1e-4  # a member's tokens outside its region: log(1e-4) = -9.2 added to the logits


def region(request: PanelRequest, index: int) -> tuple[float, float, float, float]:
    """Cast member `index`'s region in panel fractions: its staged body box, else its cast box
    (the region its identity mask covers too)."""
    if index < len(request.staging):
        body = request.staging[index].body
        if body[2] > body[0] and body[3] > body[1]:
            return body
    return request.cast[index].box


def applies(request: PanelRequest) -> bool:
    """Two or more cast members with words of their own; otherwise the plain single prompt."""
    return len(request.cast) >= 2 and any(m.prompt for m in request.cast)


def scene_text(request: PanelRequest) -> str:
    return request.scene_prompt or request.prompt


def latent_masks(request: PanelRequest, factor: int) -> np.ndarray:
    """float32 (members, height / factor, width / factor): each member's region, area-averaged."""
    from PIL import Image

    size = (request.width // factor, request.height // factor)
    out = []
    for index, member in enumerate(request.cast):
        mask = member.mask
        if mask is None or mask.shape != (request.height, request.width):
            mask = region_mask(image_box(region(request, index), request.crop, request.width, request.height),
                               request.width, request.height)
        small = Image.fromarray(np.asarray(mask, dtype=np.float32)).resize(size, Image.Resampling.BOX)
        out.append(np.clip(np.asarray(small, dtype=np.float32), 0.0, 1.0))
    return np.stack(out)


@dataclass
class State:
    """What the processors need for one pipeline call."""

    masks: "object"  # torch tensor [B, N, h, w] (conditional rows only), latent grid
    spans: list[tuple[int, int]]  # token range of each member in the text sequence
    length: int  # the whole text sequence
    uncond: int  # leading batch rows without bias (classifier-free guidance), 0 or B

    def __post_init__(self):
        self._bias: dict[tuple, object] = {}

    def bias(self, queries: int, batch: int, dtype):
        """[batch, queries, length] additive attention bias for a layer with `queries` positions."""
        import torch
        import torch.nn.functional as F

        key = (queries, batch, dtype)
        if key not in self._bias:
            h, w = self.masks.shape[-2:]
            while h * w > queries and h > 1 and w > 1:  # the UNet halves sizes rounding up
                h, w = math.ceil(h / 2), math.ceil(w / 2)
            if h * w != queries:
                raise RuntimeError(f"regional prompts: no latent grid with {queries} positions")
            masks = F.adaptive_avg_pool2d(self.masks.float(), (h, w)) if (h, w) != self.masks.shape[-2:] else self.masks.float()
            logm = torch.log(masks.clamp(min=FLOOR)).flatten(2).transpose(1, 2)  # [B, Q, N]
            rows = logm.shape[0]
            bias = torch.zeros(rows, queries, self.length, device=logm.device)
            for i, (start, end) in enumerate(self.spans):
                bias[:, :, start:end] = logm[:, :, i : i + 1]
            if self.uncond:
                bias = torch.cat([torch.zeros_like(bias[: self.uncond]), bias])
            if bias.shape[0] != batch:
                raise RuntimeError(f"regional prompts: batch of {batch}, masks for {bias.shape[0]}")
            self._bias[key] = bias.to(dtype)
        return self._bias[key]


def _processor(inner, state: State):
    """A processor wrapping `inner` that adds the regional bias as its attention mask. An
    nn.Module, so that an IP-Adapter processor (which holds weights) stays a child of the UNet
    while wrapped and moves with it (model CPU offload)."""
    import torch

    class RegionalProcessor(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner, self.state = inner, state

        def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None,
                     ip_adapter_masks=None):
            text = encoder_hidden_states[0] if isinstance(encoder_hidden_states, tuple) else encoder_hidden_states
            if text is not None and text.shape[1] == self.state.length:
                queries = hidden_states.shape[1] if hidden_states.ndim == 3 else math.prod(hidden_states.shape[2:])
                attention_mask = self.state.bias(queries, hidden_states.shape[0], hidden_states.dtype)
            extra = {} if ip_adapter_masks is None else {"ip_adapter_masks": ip_adapter_masks}
            return self.inner(attn, hidden_states, encoder_hidden_states, attention_mask, temb, **extra)

    return RegionalProcessor()


@contextlib.contextmanager
def installed(models, state: State):
    """Wrap every cross-attention ('attn2') processor of `models` (UNet, ControlNet) for one call."""
    from diffusers.models.attention_processor import Attention

    swapped = []
    for model in models:
        if model is None:
            continue
        for name, module in model.named_modules():
            if name.endswith("attn2") and isinstance(module, Attention):
                swapped.append((module, module.processor))
                module.set_processor(_processor(module.processor, state))
    try:
        yield
    finally:
        for module, processor in swapped:
            module.set_processor(processor)


def encode(pipe, family: str, requests: list[PanelRequest], cfg: bool, device, dtype, chunks_needed, encode_chunked):
    """(kwargs for the pipeline call, spans, length): the scene prompt then each member's prompt,
    each encoded on its own and concatenated along the sequence."""
    import torch

    parts = [[scene_text(r)] + [m.prompt for m in r.cast] for r in requests]
    count = len(parts[0])
    if family == "sdxl":
        encoded = [pipe.encode_prompt(prompt=[p[j] for p in parts], device=device, num_images_per_prompt=1,
                                      do_classifier_free_guidance=cfg and j == 0,
                                      negative_prompt=[r.negative_prompt for r in requests] if cfg and j == 0 else None)
                   for j in range(count)]
        widths = [e[0].shape[1] for e in encoded]
        kwargs = {"prompt_embeds": torch.cat([e[0] for e in encoded], dim=1).to(dtype),
                  "pooled_prompt_embeds": encoded[0][2].to(dtype)}
        if cfg:
            kwargs["negative_prompt_embeds"] = encoded[0][1].repeat(1, count, 1).to(dtype)
            kwargs["negative_pooled_prompt_embeds"] = encoded[0][3].to(dtype)
    else:
        tok = pipe.tokenizer
        layout = [max(chunks_needed(tok, p[j]) for p in parts) for j in range(count)]
        pieces = [encode_chunked(pipe, [p[j] for p in parts], layout[j], device, dtype) for j in range(count)]
        widths = [piece.shape[1] for piece in pieces]
        kwargs = {"prompt_embeds": torch.cat(pieces, dim=1)}
        if cfg:
            kwargs["negative_prompt_embeds"] = encode_chunked(pipe, [r.negative_prompt for r in requests],
                                                              sum(layout), device, dtype)
    starts = np.cumsum([0, *widths])
    spans = [(int(starts[j]), int(starts[j + 1])) for j in range(1, count)]
    return kwargs, spans, int(starts[-1])


def layout(tokenizer, family: str, request: PanelRequest, chunks_needed) -> tuple[int, ...]:
    """Chunks per part (scene, then members): panels batch together only when these match."""
    if family == "sdxl":
        return (1,) * (1 + len(request.cast))
    return tuple(chunks_needed(tokenizer, text) for text in [scene_text(request), *(m.prompt for m in request.cast)])
