"""Random-weight models in the exact on-disk layouts of the real ones, built in seconds.

The diffusion engine loads these through the same code path as real weights: a
`save_pretrained` SD-1.5-shaped pipeline folder, an IP-Adapter FaceID `.bin` (with FaceID
LoRA keys), an IP-Adapter Plus `.safetensors`, and LoRA `.safetensors` files. Used by the
tests and by `bench/engine_overhead.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

# Shapes of the tiny drawn-identity embedding (stands in for CLIP ViT-H's (257, 1280)).
PLUS_TOKENS, PLUS_DIM = 17, 32
FACE_DIM = 512  # ArcFace; FaceID's projection input size is fixed by the real adapters

_BYTES = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
    range(ord("®"), ord("ÿ") + 1)
)


def _byte_chars() -> list[str]:
    """The 256 printable stand-ins CLIP's byte-level BPE uses for raw bytes."""
    bs, cs, n = list(_BYTES), list(_BYTES), 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def tiny_tokenizer():
    """A CLIP tokenizer whose vocabulary is single characters plus a few merges."""
    from transformers import CLIPTokenizer

    chars = _byte_chars()
    vocab: dict[str, int] = {}
    for c in chars:
        vocab[c] = len(vocab)
    for c in chars:
        vocab[c + "</w>"] = len(vocab)
    merges = [("a", "n"), ("t", "h"), ("th", "e</w>"), ("i", "n"), ("o", "n</w>"), ("e", "r")]
    for left, right in merges:
        vocab[left + right] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    # transformers 5 silently ignores vocab_file=/merges_file=: pass the data itself.
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


def _save_sd15(folder: Path, unet, vae, text_encoder, tokenizer) -> Path:
    """Assemble an SD-1.5 pipeline with the released scheduler settings and save it."""
    from diffusers import PNDMScheduler, StableDiffusionPipeline

    scheduler = PNDMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", skip_prk_steps=True, steps_offset=1
    )
    pipe = StableDiffusionPipeline(
        unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, image_encoder=None, requires_safety_checker=False,
    )
    pipe.save_pretrained(folder)
    return folder


def build_sd15_pipeline(folder: Path, *, seed: int = 0) -> Path:
    """Save the full-size SD-1.5 architecture (configs of the released model) with random weights.

    Timings do not depend on weight values; nothing is downloaded. The tokenizer is the tiny
    one (prompt token counts differ from the real vocabulary, shapes do not)."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=64,
        in_channels=4,
        out_channels=4,
        block_out_channels=(320, 640, 1280, 1280),
        layers_per_block=2,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=768,
        attention_head_dim=8,
        norm_num_groups=32,
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        block_out_channels=(128, 256, 512, 512),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        layers_per_block=2,
        norm_num_groups=32,
        sample_size=512,
    )
    tokenizer = tiny_tokenizer()
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            hidden_size=768,
            intermediate_size=3072,
            num_attention_heads=12,
            num_hidden_layers=12,
            vocab_size=49408,
            max_position_embeddings=77,
            projection_dim=768,
            hidden_act="quick_gelu",
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    return _save_sd15(folder, unet, vae, text_encoder, tokenizer)


def build_tiny_pipeline(folder: Path, *, seed: int = 0) -> Path:
    """Save an SD-1.5-shaped pipeline (1/8 latents, 32-d cross attention) into `folder`."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=32,
    )
    # Four blocks, so the latent is 1/8 of the image as in the real VAE.
    vae = AutoencoderKL(
        block_out_channels=(8, 8, 16, 16),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=8,
        sample_size=64,
    )
    tokenizer = tiny_tokenizer()
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            hidden_size=32,
            intermediate_size=64,
            num_attention_heads=4,
            num_hidden_layers=2,
            vocab_size=len(tokenizer),
            max_position_embeddings=77,
            projection_dim=32,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    return _save_sd15(folder, unet, vae, text_encoder, tokenizer)


def build_tiny_sdxl(folder: Path, *, seed: int = 0) -> Path:
    """Save an SDXL-shaped pipeline: two text encoders, text_time conditioning, 1/8 latents."""
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 2),
        projection_class_embeddings_input_dim=80,  # 6 time ids x 8 + 32 pooled text
        cross_attention_dim=64,  # both text encoders' 32-d states side by side
        norm_num_groups=32,
    )
    vae = AutoencoderKL(
        block_out_channels=(8, 8, 16, 16),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=8,
        sample_size=64,
    )
    tokenizer = tiny_tokenizer()
    config = CLIPTextConfig(
        hidden_size=32, intermediate_size=64, num_attention_heads=4, num_hidden_layers=2,
        vocab_size=len(tokenizer), max_position_embeddings=77, projection_dim=32,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    pipe = StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=CLIPTextModel(config),
        text_encoder_2=CLIPTextModelWithProjection(config),
        tokenizer=tokenizer,
        tokenizer_2=tiny_tokenizer(),
        unet=unet,
        scheduler=EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1),
        image_encoder=None,
        feature_extractor=None,
    )
    pipe.save_pretrained(folder)
    return folder


def _attention_modules(unet) -> list[tuple[str, torch.nn.Module]]:
    """(processor name, Attention module) in `unet.attn_processors` order, as the loader walks them."""
    return [(name, unet.get_submodule(name.removesuffix(".processor"))) for name in unet.attn_processors]


def _ip_layers(unet, gen: torch.Generator, *, with_lora: bool) -> dict[str, torch.Tensor]:
    """The `ip_adapter` half of a checkpoint: to_k_ip/to_v_ip per cross attention, keyed 1, 3, 5..."""
    out: dict[str, torch.Tensor] = {}
    key_id = 1
    for index, (name, attn) in enumerate(_attention_modules(unet)):
        hidden = attn.to_q.out_features
        if with_lora:  # FaceID LoRA: every attention layer, keyed by its position
            for proj, layer in (("to_q", attn.to_q), ("to_k", attn.to_k), ("to_v", attn.to_v), ("to_out", attn.to_out[0])):
                out[f"{index}.{proj}_lora.down.weight"] = torch.randn(4, layer.in_features, generator=gen) * 0.1
                out[f"{index}.{proj}_lora.up.weight"] = torch.randn(layer.out_features, 4, generator=gen) * 0.1
        if name.endswith("attn2.processor"):
            cross = attn.to_k.in_features
            out[f"{key_id}.to_k_ip.weight"] = torch.randn(hidden, cross, generator=gen) * 0.3
            out[f"{key_id}.to_v_ip.weight"] = torch.randn(hidden, cross, generator=gen) * 0.3
            key_id += 2
    return out


def build_faceid(path: Path, unet, *, seed: int = 1, mult: int = 1, tokens: int = 4, lora: bool = True) -> Path:
    """An IP-Adapter FaceID checkpoint (.bin, original key names, with FaceID LoRA keys).
    The released SD-1.5 one has `mult=2`; FaceID-Portrait has 16 tokens and no LoRA."""
    gen = torch.Generator().manual_seed(seed)
    cross = unet.config.cross_attention_dim
    inner = FACE_DIM * mult
    image_proj = {
        "proj.0.weight": torch.randn(inner, FACE_DIM, generator=gen) * 0.05,
        "proj.0.bias": torch.zeros(inner),
        "proj.2.weight": torch.randn(cross * tokens, inner, generator=gen) * 0.05,
        "proj.2.bias": torch.zeros(cross * tokens),
        "norm.weight": torch.ones(cross),
        "norm.bias": torch.zeros(cross),
    }
    state = {"image_proj": image_proj, "ip_adapter": _ip_layers(unet, gen, with_lora=lora)}
    torch.save(state, path)
    return path


def build_faceid_plus(path: Path, unet, *, seed: int = 8, clip_dim: int = PLUS_DIM) -> Path:
    """An IP-Adapter FaceID-Plus(-v2) checkpoint (.bin): the ArcFace MLP (`proj`, `norm`), the
    `perceiver_resampler.*` over the face crop's CLIP hidden states, and the FaceID LoRA.
    The released SD-1.5 one reads 1280-d CLIP ViT-H states with 768-d, 12-head attention."""
    from diffusers.models.embeddings import IPAdapterFaceIDPlusImageProjection

    torch.manual_seed(seed)
    cross = unet.config.cross_attention_dim
    proj = IPAdapterFaceIDPlusImageProjection(
        embed_dims=cross, output_dims=cross, hidden_dims=clip_dim, id_embeddings_dim=FACE_DIM, heads=1
    )
    image_proj = {}
    for key, value in _plus_original_keys(proj.state_dict()).items():
        if key.startswith("proj.net."):  # the ArcFace MLP: proj.net.0.proj / proj.net.2 -> proj.0 / proj.2
            key = key.replace("proj.net.0.proj.", "proj.0.").replace("proj.net.2.", "proj.2.")
        elif not key.startswith("norm."):
            key = f"perceiver_resampler.{key}"
        image_proj[key] = value * (0.05 if key.startswith("proj.") and key.endswith("weight") else 1)
    gen = torch.Generator().manual_seed(seed)
    torch.save({"image_proj": image_proj, "ip_adapter": _ip_layers(unet, gen, with_lora=True)}, path)
    return path


def build_plain(path: Path, unet, *, seed: int = 9, clip_dim: int = PLUS_DIM) -> Path:
    """A plain IP-Adapter checkpoint (.safetensors): `image_proj.proj` maps the pooled CLIP image
    embedding to 4 tokens, then `image_proj.norm`. The released SD-1.5 one reads 1024-d ViT-H."""
    from safetensors.torch import save_file

    gen = torch.Generator().manual_seed(seed)
    cross = unet.config.cross_attention_dim
    tensors = {
        "image_proj.proj.weight": torch.randn(4 * cross, clip_dim, generator=gen) * 0.1,
        "image_proj.proj.bias": torch.zeros(4 * cross),
        "image_proj.norm.weight": torch.ones(cross),
        "image_proj.norm.bias": torch.zeros(cross),
    }
    tensors.update({f"ip_adapter.{k}": v for k, v in _ip_layers(unet, gen, with_lora=False).items()})
    save_file(tensors, str(path))
    return path


def build_full_face(path: Path, unet, *, seed: int = 10, clip_dim: int = PLUS_DIM) -> Path:
    """An IP-Adapter Full-Face checkpoint (.safetensors): an MLP (`proj.0`, `proj.2`) and a
    LayerNorm (`proj.3`) applied to every CLIP hidden state (257 tokens of 1280-d in the release)."""
    from safetensors.torch import save_file

    gen = torch.Generator().manual_seed(seed)
    cross = unet.config.cross_attention_dim
    tensors = {
        "image_proj.proj.0.weight": torch.randn(clip_dim, clip_dim, generator=gen) * 0.1,
        "image_proj.proj.0.bias": torch.zeros(clip_dim),
        "image_proj.proj.2.weight": torch.randn(cross, clip_dim, generator=gen) * 0.1,
        "image_proj.proj.2.bias": torch.zeros(cross),
        "image_proj.proj.3.weight": torch.ones(cross),
        "image_proj.proj.3.bias": torch.zeros(cross),
    }
    tensors.update({f"ip_adapter.{k}": v for k, v in _ip_layers(unet, gen, with_lora=False).items()})
    save_file(tensors, str(path))
    return path


def build_plus(
    path: Path, unet, *, seed: int = 2, num_queries: int = 4, embed_dims: int = PLUS_DIM, hidden_dims: int = 64
) -> Path:
    """An IP-Adapter Plus checkpoint (.safetensors, original `image_proj.`/`ip_adapter.` keys).
    The released SD-1.5 one has 16 queries, 1280-d CLIP ViT-H input and 768 hidden dims."""
    from diffusers.models.embeddings import IPAdapterPlusImageProjection
    from safetensors.torch import save_file

    torch.manual_seed(seed)
    proj = IPAdapterPlusImageProjection(
        embed_dims=embed_dims,
        output_dims=unet.config.cross_attention_dim,
        hidden_dims=hidden_dims,
        depth=4,
        dim_head=64,
        heads=hidden_dims // 64,
        num_queries=num_queries,
    )
    tensors = {f"image_proj.{k}": v for k, v in _plus_original_keys(proj.state_dict()).items()}
    gen = torch.Generator().manual_seed(seed)
    tensors.update({f"ip_adapter.{k}": v for k, v in _ip_layers(unet, gen, with_lora=False).items()})
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path))
    return path


def _plus_original_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Invert diffusers' renaming of the Plus resampler back to the released checkpoint names."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        parts = key.split(".")
        if parts[0] != "layers":
            out[key] = value
            continue
        i, rest = parts[1], ".".join(parts[2:])
        renames = {
            "ln0.weight": "0.norm1.weight",
            "ln0.bias": "0.norm1.bias",
            "ln1.weight": "0.norm2.weight",
            "ln1.bias": "0.norm2.bias",
            "attn.to_q.weight": "0.to_q.weight",
            "attn.to_out.0.weight": "0.to_out.weight",
            "ff.0.weight": "1.0.weight",
            "ff.0.bias": "1.0.bias",
            "ff.1.net.0.proj.weight": "1.1.weight",
            "ff.1.net.2.weight": "1.3.weight",
        }
        if rest == "attn.to_k.weight":
            out[f"layers.{i}.0.to_kv.weight"] = torch.cat([value, state[key.replace("to_k", "to_v")]])
        elif rest == "attn.to_v.weight":
            continue
        else:
            out[f"layers.{i}.{renames[rest]}"] = value
    return out


def build_lora(path: Path, unet, *, seed: int = 3, rank: int = 4, scale: float = 0.2, inner_dim: int | None = None) -> Path:
    """A peft-format UNet LoRA on every attention projection. `inner_dim` forces a wrong shape."""
    from safetensors.torch import save_file

    gen = torch.Generator().manual_seed(seed)
    tensors: dict[str, torch.Tensor] = {}
    for name, attn in _attention_modules(unet):
        prefix = "unet." + name.removesuffix(".processor")
        for proj, layer in (("to_q", attn.to_q), ("to_k", attn.to_k), ("to_v", attn.to_v), ("to_out.0", attn.to_out[0])):
            fan_in = inner_dim or layer.in_features
            tensors[f"{prefix}.{proj}.lora_A.weight"] = torch.randn(rank, fan_in, generator=gen) * scale
            tensors[f"{prefix}.{proj}.lora_B.weight"] = torch.randn(layer.out_features, rank, generator=gen) * scale
    save_file(tensors, str(path))
    return path


def build_controlnet(folder: Path, model: Path, *, seed: int = 7) -> Path:
    """A ControlNet made from the pipeline's UNet (`ControlNetModel.from_unet`), saved in the
    published repositories' layout (config.json + diffusion_pytorch_model.safetensors). Its
    zero-initialised output convolutions get random weights, so the control shows."""
    from diffusers import ControlNetModel, UNet2DConditionModel

    torch.manual_seed(seed)
    unet = UNet2DConditionModel.from_pretrained(model / "unet")
    net = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=(8, 8, 16, 16))
    with torch.no_grad():
        embedding = [m for m in net.controlnet_cond_embedding.modules() if isinstance(m, torch.nn.Conv2d)]
        for conv in [*net.controlnet_down_blocks, net.controlnet_mid_block, *embedding]:
            conv.weight.normal_(0, 0.3)
    net.save_pretrained(folder, safe_serialization=True)
    return folder


def build_all(root: Path, *, full_size: bool = False) -> dict[str, Path]:
    """Everything the engine needs, under `root`: {"model", "face", "drawn", "lcm", "peel", "bad_peel"}.

    `full_size` builds the SD-1.5 architecture and adapters of the released shapes instead."""
    from diffusers import UNet2DConditionModel

    root.mkdir(parents=True, exist_ok=True)
    if full_size:
        model = build_sd15_pipeline(root / "sd15-random")
        face_kw, plus_kw, lora = {"mult": 2}, {"num_queries": 16, "embed_dims": 1280, "hidden_dims": 768}, {"rank": 64, "scale": 0.01}
    else:
        model = build_tiny_pipeline(root / "tiny-sd15")
        face_kw, plus_kw, lora = {}, {}, {"rank": 4, "scale": 0.1}
    unet = UNet2DConditionModel.from_pretrained(model / "unet")
    lcm_dir = root / "lcm-lora"
    lcm_dir.mkdir(exist_ok=True)
    paths = {
        "model": model,
        "face": build_faceid(root / "ip-adapter-faceid.bin", unet, **face_kw),
        "drawn": build_plus(root / "ip-adapter-plus.safetensors", unet, **plus_kw),
        # A folder holding pytorch_lora_weights.safetensors, like latent-consistency/lcm-lora-sdv1-5.
        "lcm": build_lora(lcm_dir / "pytorch_lora_weights.safetensors", unet, seed=4, **lora).parent,
        "peel": build_lora(root / "ink-peel.safetensors", unet, seed=5, scale=0.4),
        "bad_peel": build_lora(root / "sdxl-peel.safetensors", unet, seed=6, inner_dim=77),
    }
    (root / "models.json").write_text(json.dumps({k: str(v) for k, v in paths.items()}))
    return paths
