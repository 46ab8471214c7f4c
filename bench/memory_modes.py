"""Memory modes: peak RSS and time per panel for fp32 / fp16 / bf16 / int8, with and without offload.

Each mode runs in a fresh process (peak RSS is per process): load the full-size SD-1.5
architecture with random weights through DiffusionEngine, draw one 512x512 panel with one
face identity in 4 LCM steps, report load time, panel time, RSS once loaded, peak RSS while
loading, and peak RSS while drawing (Linux: VmHWM, reset after loading). int8 is weight-only
int8 quantization of the UNet and text encoder with torchao (`Int8WeightOnlyConfig`), applied to
the engine's loaded pipeline. Before a mode runs, a 3x3-convolution probe compares its dtype
with fp32 on this CPU; a dtype more than 20x slower is reported as unusable and not run.
Model CPU offload needs an accelerator: on a CPU-only machine those rows say so.

    python bench/memory_modes.py                   # full-size model (about 2 min per mode on 2 cores)
    python bench/memory_modes.py --size tiny       # quick check of the harness
    python bench/memory_modes.py --json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from _common import machine, table  # noqa: E402

MODES = ("fp32", "fp16", "bf16", "int8")
TOO_SLOW = 20.0  # probe ratio above which a dtype is unusable here


def probe(dtype_name: str) -> float:
    """Seconds of a 3x3 convolution in `dtype_name` over the same in fp32 (int8 computes in fp32)."""
    import torch

    if dtype_name in ("fp32", "int8"):
        return 1.0
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}[dtype_name]
    conv = torch.nn.Conv2d(64, 64, 3, padding=1)
    x = torch.randn(1, 64, 32, 32)

    def timed(c, inp):
        with torch.no_grad():
            c(inp)
            t = time.perf_counter()
            for _ in range(3):
                c(inp)
            return (time.perf_counter() - t) / 3

    base = timed(conv, x)
    return timed(conv.to(dtype), x.to(dtype)) / base


def child(args) -> dict:
    """One mode, in this process: load, quantize if int8, draw one panel, report."""
    import numpy as np
    import torch

    from storyboard.engines.base import CastMember, Identity, PanelRequest
    from storyboard.engines.diffusion import DiffusionEngine

    models = json.loads(Path(args.models).read_text())
    px = args.px
    t0 = time.perf_counter()
    engine = DiffusionEngine(
        model=models["model"], face_adapter=models["face"], drawn_adapter=models["drawn"],
        fast_lora=models["lcm"], dtype="fp32" if args.mode == "int8" else args.mode,
        offload=args.offload, device=args.device, steps=4,
    )
    engine._load()
    engine._ensure_adapters({"face"})
    if args.mode == "int8":
        from torchao.quantization import Int8WeightOnlyConfig, quantize_

        # Quantized base weights cannot carry peft LoRA layers: fold the LCM and FaceID LoRAs in.
        pipe = engine._pipe
        pipe.set_adapters(["fast", "faceid_0"], adapter_weights=[1.0, 1.0])
        pipe.fuse_lora()
        pipe.unload_lora_weights()
        engine.fast = False  # nothing left for the engine to switch per panel
        for part in (pipe.unet, pipe.text_encoder):
            quantize_(part, Int8WeightOnlyConfig())
    gc.collect()
    load_s = time.perf_counter() - t0
    v = np.random.default_rng(0).standard_normal(512).astype(np.float32)
    box = (0.3, 0.1, 0.7, 0.95)
    request = PanelRequest(
        scene=0, panel=0, label="panel 1", prompt="a keeper in the lamp room", negative_prompt="blurry",
        width=px, height=px, seed=1,
        cast=(CastMember("k", "K", "", box, identity=Identity("face", v / np.linalg.norm(v))),),
    )
    loaded_gib = _status_gib("VmRSS")
    load_peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to measure the panel alone
    t0 = time.perf_counter()
    image = engine.render(request)
    panel_s = time.perf_counter() - t0
    out = {"load_s": load_s, "panel_s": panel_s, "rss_loaded_gib": loaded_gib, "load_peak_gib": load_peak_gib,
           "peak_rss_gib": _status_gib("VmHWM"), "size": list(image.size),
           "finite": bool(np.isfinite(np.asarray(image, dtype=np.float32)).all())}
    if torch.cuda.is_available() and args.device != "cpu":
        out["peak_cuda_gib"] = torch.cuda.max_memory_allocated() / 2**30
    return out


def _status_gib(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in GiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 2**20
    raise KeyError(field)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=("full", "tiny"), default="full")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads in each run (default: torch's)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    ap.add_argument("--offload", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--models", help=argparse.SUPPRESS)
    ap.add_argument("--px", type=int, default=512, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.child:
        print(json.dumps(child(args)))
        return 0

    from storyboard.engines._device import cpu_has_native_bf16, resolve_device
    from tests.diffusion.tiny_models import build_all

    log = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
    device = resolve_device(args.device)
    px = 512 if args.size == "full" else 256
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        log(f"building the {args.size} random-weight model ...")
        build_all(Path(tmp), full_size=args.size == "full")
        for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
            if mode == "int8":
                try:
                    import torchao  # noqa: F401
                except ImportError:
                    rows.append({"mode": mode, "offload": False, "status": "skipped: pip install torchao"})
                    continue
            slow = probe(mode) if device == "cpu" else 1.0
            for offload in (False, True):
                row = {"mode": mode, "offload": offload, "probe_vs_fp32": round(slow, 2)}
                if offload and device == "cpu":
                    row["status"] = "n/a: offload moves models between CPU and an accelerator; none here"
                elif slow > TOO_SLOW:
                    row["status"] = f"unusable here: a 3x3 conv is {slow:.0f}x slower than fp32"
                else:
                    log(f"running {mode}{' + offload' if offload else ''} ...")
                    cmd = [sys.executable, "-W", "ignore", __file__, "--child", "--mode", mode, "--models",
                           str(Path(tmp) / "models.json"), "--px", str(px), "--device", device]
                    cmd += ["--offload"] if offload else []
                    cmd += ["--threads", str(args.threads)] if args.threads else []
                    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
                    if done.returncode:
                        row["status"] = "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1][:160]
                    else:
                        row.update(json.loads(done.stdout.strip().splitlines()[-1]), status="ok")
                rows.append(row)
    result = {"machine": machine(), "device": device, "size": args.size, "px": px,
              "cpu_native_bf16": cpu_has_native_bf16(), "int8_library": "torchao (Int8WeightOnlyConfig)", "rows": rows}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(table(["mode", "offload", "load s", "s/panel", "RSS loaded GiB", "load peak GiB", "panel peak GiB",
                 "probe vs fp32", "status"],
                [[r["mode"], "yes" if r["offload"] else "no", r.get("load_s"), r.get("panel_s"), r.get("rss_loaded_gib"),
                  r.get("load_peak_gib"), r.get("peak_rss_gib"), r.get("probe_vs_fp32"), r["status"]] for r in rows]))
    print(f"device {device}; native bf16 on this CPU: {'yes' if result['cpu_native_bf16'] else 'no'}; "
          f"{args.size} model at {px}x{px}, 4 LCM steps, one face identity; int8 = {result['int8_library']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
