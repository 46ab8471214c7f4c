"""Device and dtype choice for the diffusion engine."""

from __future__ import annotations

import platform
import subprocess
from functools import lru_cache
from pathlib import Path

from storyboard.errors import GenerationError

DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = ("auto", "fp32", "fp16", "bf16")


def resolve_device(name: str) -> str:
    """'auto' picks CUDA, then Apple MPS, then the CPU; an explicit choice must be available."""
    import torch

    name = (name or "auto").lower()
    if name not in DEVICES and not name.startswith("cuda:"):
        raise GenerationError(f"unknown device '{name}': choose one of {', '.join(DEVICES)}")
    mps = getattr(torch.backends, "mps", None)
    has_mps = bool(mps and mps.is_available())
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "mps" if has_mps else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise GenerationError(f"device '{name}' requested but this torch build sees no CUDA GPU")
    if name == "mps" and not has_mps:
        raise GenerationError("device 'mps' requested but Apple MPS is not available here")
    return name


def resolve_dtype(name: str, device: str) -> str:
    """'auto' is fp16 on a GPU and fp32 on the CPU; bf16 is refused on a CPU that lacks it."""
    name = (name or "auto").lower()
    if name not in DTYPES:
        raise GenerationError(f"unknown dtype '{name}': choose one of {', '.join(DTYPES)}")
    if name == "auto":
        return "fp32" if device == "cpu" else "fp16"
    if name == "bf16" and device == "cpu" and not cpu_has_native_bf16():
        # Emulated bf16 runs, but one 3x3 convolution is ~500x slower than fp32 there.
        raise GenerationError(
            "dtype 'bf16' on this CPU has no native bf16 instructions (hundreds of times slower "
            "than fp32): use --dtype fp32"
        )
    return name


def torch_dtype(name: str):
    import torch

    return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[name]


@lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    """Whether the CPU computes bf16 in hardware (AVX512-BF16/AMX on x86, FEAT_BF16 on Arm)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        flags = set(cpuinfo.read_text(errors="replace").split())
        return bool(flags & {"avx512_bf16", "amx_bf16", "bf16"})
    if platform.system() == "Darwin":
        try:
            out = subprocess.run(
                ["sysctl", "-n", "hw.optional.arm.FEAT_BF16"], capture_output=True, text=True, timeout=5
            )
            return out.stdout.strip() == "1"
        except OSError:
            return False
    return False
