"""IP-Adapter checkpoints: which variant a file is, told from its keys, and what it consumes.

Every released IP-Adapter checkpoint (h94/IP-Adapter, h94/IP-Adapter-FaceID) is a dict of two
halves, `image_proj` (the projection of an image or face embedding into extra text tokens) and
`ip_adapter` (`N.to_k_ip.weight` / `N.to_v_ip.weight` per cross-attention layer, plus the
FaceID LoRA's `N.to_q_lora.down.weight`... when it has one). `.bin` files nest the halves;
`.safetensors` files prefix the keys with `image_proj.` / `ip_adapter.`. The projection's keys
tell the variant, the same way diffusers' loader (`UNet2DConditionLoadersMixin.
_convert_ip_adapter_image_proj_to_diffusers`) picks the module it builds:

    image_proj keys                          variant            consumes
    proj.weight, norm                        plain              pooled CLIP image embedding (D,)
    proj.0/proj.2/proj.3 (MLP + LayerNorm)   full-face          CLIP penultimate hidden states (T, D)
    latents, proj_in, layers (perceiver)     plus, plus-face    CLIP penultimate hidden states (T, D)
    proj.0/proj.2, norm, 4 tokens            faceid             ArcFace embedding (512,)
    proj.0/proj.2, norm, 16 tokens           faceid-portrait    one ArcFace embedding per reference (n, 512)
    proj, norm, perceiver_resampler.*        faceid-plus(-v2)   ArcFace (512,) + CLIP hidden states of the face crop

FaceID-Plus and FaceID-Plus-v2 have identical keys: v2 was trained with the "shortcut" (the ID
tokens added to the resampler's output), which only the file name records
(`ip-adapter-faceid-plusv2_*`). Plus and Plus-Face differ only in training data (face crops).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storyboard.errors import GenerationError

SHORTCUT_SCALE = 1.0  # FaceID-Plus-v2's `s_scale`: weight of the ID tokens beside the CLIP ones

# What an identity offers an adapter (see Identity.inputs).
ARCFACE, ARCFACE_EACH, CLIP_HIDDEN, CLIP_POOLED = "arcface", "arcface_each", "clip_hidden", "clip_pooled"
FACE_ONLY = (ARCFACE, ARCFACE_EACH)  # only a photographed face has an ArcFace embedding

FAMILIES = {768: "SD 1.5", 1024: "SD 2.x", 2048: "SDXL"}  # by cross-attention width


@dataclass(frozen=True)
class Variant:
    """One IP-Adapter checkpoint as the engine sees it."""

    name: str  # plain, plus, plus-face, full-face, faceid, faceid-plus, faceid-plus-v2, faceid-portrait
    inputs: tuple[tuple[str, int], ...]  # (identity input, its last dimension), first is the main one
    cross_attention_dim: int  # width of to_k_ip's input: 768 for SD 1.5, 2048 for SDXL
    ip_layers: int  # cross-attention layers it adapts
    lora: bool  # carries the FaceID LoRA (switched on while a face is in the panel)

    @property
    def shortcut(self) -> bool:
        return self.name == "faceid-plus-v2"

    @property
    def face_only(self) -> bool:
        return any(name in FACE_ONLY for name, _ in self.inputs)

    @property
    def label(self) -> str:
        return f"IP-Adapter {self.name}"


_memo: dict[tuple, Variant] = {}


def inspect(path: Path, ref: str) -> Variant:
    """The variant of the checkpoint at `path` (memoised by path, size and mtime).

    Raises GenerationError naming `ref` when the file is no IP-Adapter checkpoint."""
    stat = path.stat()
    marker = (str(path), stat.st_size, stat.st_mtime_ns)
    if marker not in _memo:
        _memo[marker] = detect(_shapes(path, ref), ref, path.name)
    return _memo[marker]


def detect(shapes: dict[str, tuple[int, ...]], ref: str, filename: str = "") -> Variant:
    """The variant from `image_proj.*` / `ip_adapter.*` key shapes (see the module docstring)."""
    proj = {k.removeprefix("image_proj."): v for k, v in shapes.items() if k.startswith("image_proj.")}
    ip = {k.removeprefix("ip_adapter."): v for k, v in shapes.items() if k.startswith("ip_adapter.")}
    to_k = sorted((k for k in ip if k.endswith(".to_k_ip.weight")), key=lambda k: int(k.split(".")[0]))
    if not proj or not to_k:
        raise GenerationError(
            f"identity adapter '{ref}' is not an IP-Adapter checkpoint (no image_proj and ip_adapter weights)"
        )
    cross = ip[to_k[0]][1]
    lora = any("_lora." in k for k in ip)
    name = filename.lower()
    try:
        if "proj.weight" in proj:
            inputs = ((CLIP_POOLED, proj["proj.weight"][1]),)
            variant = "plain"
        elif "proj.3.weight" in proj:
            inputs = ((CLIP_HIDDEN, proj["proj.0.weight"][1]),)
            variant = "full-face"
        elif "perceiver_resampler.proj_in.weight" in proj:
            inputs = ((ARCFACE, proj["proj.0.weight"][1]), (CLIP_HIDDEN, proj["perceiver_resampler.proj_in.weight"][1]))
            variant = "faceid-plus-v2" if "v2" in name else "faceid-plus"
        elif "norm.weight" in proj and "proj.2.weight" in proj:
            tokens = proj["proj.2.weight"][0] // proj["norm.weight"][0]
            portrait = tokens > 4  # the portrait adapters have 16 tokens (and no LoRA), FaceID 4
            inputs = ((ARCFACE_EACH if portrait else ARCFACE, proj["proj.0.weight"][1]),)
            variant = "faceid-portrait" if portrait else "faceid"
        elif "latents" in proj and "proj_in.weight" in proj:
            inputs = ((CLIP_HIDDEN, proj["proj_in.weight"][1]),)
            variant = "plus-face" if "face" in name else "plus"
        else:
            raise KeyError(sorted(proj)[0])
    except KeyError:
        raise GenerationError(
            f"identity adapter '{ref}': unknown IP-Adapter projection (keys {', '.join(sorted(proj)[:4])}...)"
        ) from None
    return Variant(variant, inputs, cross, len(to_k), lora)


def check_fits(variant: Variant, ref: str, unet, model: str) -> None:
    """A one-line error unless `variant` fits the UNet (cross-attention width and layer count)."""
    want = unet.config.cross_attention_dim
    layers = sum(1 for name in unet.attn_processors if name.endswith("attn2.processor"))
    if variant.cross_attention_dim != want:
        made = FAMILIES.get(variant.cross_attention_dim, f"{variant.cross_attention_dim}-d cross attention")
        have = FAMILIES.get(want, f"{want}-d cross attention")
        raise GenerationError(
            f"identity adapter '{ref}' ({variant.label}) was made for {made} models; "
            f"the base model '{model}' is {have}"
        )
    if variant.ip_layers != layers:
        raise GenerationError(
            f"identity adapter '{ref}' ({variant.label}) adapts {variant.ip_layers} cross-attention layers; "
            f"the base model '{model}' has {layers}"
        )


def _shapes(path: Path, ref: str) -> dict[str, tuple[int, ...]]:
    """Flat `image_proj.*` / `ip_adapter.*` key -> shape, without building any model."""
    try:
        if path.suffix == ".safetensors":
            from safetensors import safe_open

            with safe_open(str(path), framework="pt") as f:
                return {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
        import torch

        state = torch.load(str(path), map_location="cpu", weights_only=True, mmap=True)
    except Exception as err:  # damaged, truncated or foreign files
        raise GenerationError(f"identity adapter '{ref}': {path.name} cannot be read ({_first_line(err)})") from err
    if not isinstance(state, dict):
        raise GenerationError(f"identity adapter '{ref}' is not an IP-Adapter checkpoint")
    out = {}
    for half in ("image_proj", "ip_adapter"):
        for k, v in (state.get(half) or {}).items():
            out[f"{half}.{k}"] = tuple(v.shape)
    return out


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return (text[0] if text else type(err).__name__)[:200]



def prepare(layer, variant: Variant) -> None:
    """Set up diffusers' projection `layer` for `variant` after loading.

    FaceID-Plus-v2 switches the shortcut on. FaceID-Portrait's projection is given all of a
    character's reference embeddings at once ([n, 512] per character) and returns their tokens
    side by side ([n * 16, dim]), as the released portrait pipeline concatenates them; diffusers'
    own forward would fold the references into the batch instead."""
    if variant.name.startswith("faceid-plus"):
        layer.shortcut = variant.shortcut
        layer.shortcut_scale = SHORTCUT_SCALE
    if variant.name == "faceid-portrait":

        def forward(image_embeds):
            tokens = layer.ff(image_embeds).reshape(image_embeds.shape[0], -1, layer.cross_attention_dim)
            return layer.norm(tokens)

        layer.forward = forward
