"""GPU speed: panels per second of the engine against bare diffusers, SD 1.5 and SDXL.

Builds the full-size SD 1.5 and SDXL architectures with random weights (configs of the
released models; nothing is downloaded; timings do not depend on weight values), with a
random LoRA of rank 64 as the few-step (LCM) LoRA, and measures 4-step panels at batch 1, 4,
8 and 16 in fp16 with SDPA attention, then with channels_last + torch.compile (the engine's
`compile=True`, `--compile`). For every batch it reports panels/s of `engine.render_batch` and
of a bare `pipe(...)` call on the same pipeline object, and the peak GPU memory.

    python bench/engine_gpu.py                         # CUDA: full-size sd15 512 px and sdxl 1024 px
    python bench/engine_gpu.py --families sd15 --batches 1,8 --no-compile
    python bench/engine_gpu.py --device cpu --tiny     # smoke test of this script (tiny models, CPU)
    python bench/engine_gpu.py --json

Goals (issue 14): SD 1.5 512x512 4 steps batched >= 30 panels/s and SD 1.5 fp16 peak <= 4 GiB
on an H100/H200-class GPU; SDXL 1024x1024 4 steps >= 4 panels/s.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

GOALS = {"sd15": 30.0, "sdxl": 4.0}  # panels/s
PX = {"sd15": 512, "sdxl": 1024}


def build_sdxl_full(folder: Path) -> Path:
    """The SDXL base architecture (released configs) with random weights, saved in fp16."""
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from tests.diffusion.tiny_models import tiny_tokenizer

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=128, in_channels=4, out_channels=4, layers_per_block=2,
        block_out_channels=(320, 640, 1280),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        transformer_layers_per_block=(1, 2, 10), attention_head_dim=(5, 10, 20), use_linear_projection=True,
        cross_attention_dim=2048, addition_embed_type="text_time", addition_time_embed_dim=256,
        projection_class_embeddings_input_dim=2816, norm_num_groups=32,
    )
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, block_out_channels=(128, 256, 512, 512),
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4, layers_per_block=2, norm_num_groups=32, sample_size=1024, scaling_factor=0.13025,
    )
    tok = tiny_tokenizer()
    ids = dict(bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
               vocab_size=49408, max_position_embeddings=77)
    te1 = CLIPTextModel(CLIPTextConfig(hidden_size=768, intermediate_size=3072, num_attention_heads=12,
                                       num_hidden_layers=12, projection_dim=768, hidden_act="quick_gelu", **ids))
    te2 = CLIPTextModelWithProjection(CLIPTextConfig(hidden_size=1280, intermediate_size=5120, num_attention_heads=20,
                                                     num_hidden_layers=32, projection_dim=1280, hidden_act="gelu", **ids))
    pipe = StableDiffusionXLPipeline(
        vae=vae, text_encoder=te1, text_encoder_2=te2, tokenizer=tok, tokenizer_2=tiny_tokenizer(), unet=unet,
        scheduler=EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                         steps_offset=1, timestep_spacing="leading"),
        image_encoder=None, feature_extractor=None,
    )
    pipe.to(torch.float16).save_pretrained(folder)
    return folder


def build(family: str, tiny: bool, root: Path) -> tuple[Path, Path]:
    """(pipeline folder, fast LoRA file) for `family`."""
    from diffusers import UNet2DConditionModel

    from tests.diffusion import tiny_models as tm

    if tiny:
        model = (tm.build_tiny_pipeline if family == "sd15" else tm.build_tiny_sdxl)(root / f"tiny-{family}")
        rank, scale = 4, 0.1
    else:
        model = tm.build_sd15_pipeline(root / "sd15") if family == "sd15" else build_sdxl_full(root / "sdxl")
        rank, scale = 64, 0.01
    unet = UNet2DConditionModel.from_pretrained(model / "unet")
    lora = tm.build_lora(root / f"lora-{family}.safetensors", unet, seed=4, rank=rank, scale=scale)
    del unet
    return model, lora


def requests(px: int, count: int):
    from storyboard.engines.base import PanelRequest

    return [PanelRequest(scene=0, panel=i, label=f"panel {i}", prompt="a keeper in the lamp room, ink",
                         negative_prompt="blurry", width=px, height=px, seed=i) for i in range(count)]


def measure(fn, rounds: int, sync) -> float:
    """Median seconds of `fn()` over `rounds` after one warm-up call (compiles, caches)."""
    fn()
    sync()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def run_family(family, model, lora, *, device, dtype, px, batches, compile_, rounds, steps, log):
    import torch

    from storyboard.engines.diffusion import DiffusionEngine

    cuda = device.startswith("cuda")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    rows = []
    for batch in batches:
        engine = DiffusionEngine(model=str(model), fast="lcm", fast_lora=str(lora), steps=steps, device=device,
                                 dtype=dtype, batch=batch, compile=compile_)
        reqs = requests(px, batch)
        engine.render_batch(reqs[:1])  # load
        pipe = engine._pipe
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        e = measure(lambda: engine.render_batch(reqs), rounds, sync)
        peak_engine = torch.cuda.max_memory_allocated() / 2**30 if cuda else None
        gens = [torch.Generator("cpu").manual_seed(r.seed) for r in reqs]

        def bare():
            pipe(prompt=[r.prompt for r in reqs], negative_prompt=[r.negative_prompt for r in reqs], height=px,
                 width=px, num_inference_steps=steps, guidance_scale=engine.guidance, generator=gens)

        if cuda:
            torch.cuda.reset_peak_memory_stats()
        b = measure(bare, rounds, sync)
        peak_bare = torch.cuda.max_memory_allocated() / 2**30 if cuda else None
        row = {"family": family, "px": px, "steps": steps, "batch": batch, "compile": compile_,
               "engine_panels_s": batch / e, "bare_panels_s": batch / b, "engine_vs_bare": b / e,
               "peak_gib_engine": peak_engine, "peak_gib_bare": peak_bare}
        rows.append(row)
        log(json.dumps(row))
        del engine, pipe
        if cuda:
            torch.cuda.empty_cache()
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda")
    p.add_argument("--tiny", action="store_true", help="tiny models at 64 px (a smoke test, e.g. on the CPU)")
    p.add_argument("--families", default="sd15,sdxl")
    p.add_argument("--batches", default="1,4,8,16")
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--no-compile", action="store_true", help="skip the channels_last + torch.compile pass")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("no CUDA GPU here: run with --device cpu --tiny for a smoke test", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = True
    dtype = "fp16" if args.device.startswith("cuda") else "fp32"
    batches = [int(b) for b in args.batches.split(",")]
    passes = [False] if args.no_compile or not args.device.startswith("cuda") else [False, True]
    log = (lambda line: None) if args.json else print
    result = {"device": torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu",
              "torch": torch.__version__, "tiny": args.tiny, "rows": []}
    with tempfile.TemporaryDirectory(prefix="engine-gpu-") as tmp:
        for family in args.families.split(","):
            model, lora = build(family, args.tiny, Path(tmp))
            px = 64 if args.tiny else PX[family]
            for compile_ in passes:
                result["rows"] += run_family(family, model, lora, device=args.device, dtype=dtype, px=px,
                                             batches=batches, compile_=compile_, rounds=args.rounds,
                                             steps=args.steps, log=log)
    if not args.tiny:
        for family, goal in GOALS.items():
            best = max((r["engine_panels_s"] for r in result["rows"] if r["family"] == family), default=None)
            if best is not None:
                result[f"{family}_goal"] = {"goal_panels_s": goal, "best_engine_panels_s": best, "met": best >= goal}
        sd15 = [r["peak_gib_engine"] for r in result["rows"] if r["family"] == "sd15" and r["batch"] == 1]
        if sd15 and sd15[0] is not None:
            result["sd15_peak_gib_batch1"] = {"goal_gib": 4.0, "measured": sd15[0], "met": sd15[0] <= 4.0}
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
