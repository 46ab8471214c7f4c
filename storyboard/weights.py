"""Weight files loaded without executing code.

`.safetensors` holds only tensors. The pickled formats (`.bin`, `.pt`, `.pth`, `.ckpt`, among
them the default FaceID adapter) can run any code while they are unpickled, so they load only
through `torch.load(weights_only=True)`, whose unpickler builds tensors and plain containers
and refuses every other global. Errors name the file and never quote its bytes.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from storyboard import _files
from storyboard.errors import GenerationError, require

SAFE = (".safetensors",)
PICKLED = (".bin", ".pt", ".pth", ".ckpt")


def is_pickled(path: str | Path) -> bool:
    return Path(path).suffix.lower() in PICKLED


def load_state_dict(path: str | Path, what: str) -> dict[str, Any]:
    """The tensors of a weights file as a (possibly nested) dict, on the CPU.

    Raises GenerationError naming `what` and the file when it is not a regular file, not a
    weights file, damaged, or a pickle that holds anything but tensors and plain containers.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SAFE + PICKLED:
        raise GenerationError(f"{what}: unsupported weights file {path.name} (use .safetensors, or .bin/.pt/.pth/.ckpt)")
    try:
        _files.check_path(path)
    except _files.Refused as err:
        raise GenerationError(f"{what}: {path.name} {err.reason}") from None
    torch = require("torch", "diffusion")
    try:
        if suffix in SAFE:
            from safetensors.torch import load_file

            state = load_file(str(path), device="cpu")
        else:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if "weights only" in str(err).lower() or "weights_only" in str(err):
            raise GenerationError(
                f"{what}: {path.name} holds pickled objects beyond plain tensors; refusing to load it "
                "(convert it to .safetensors)"
            ) from None
        raise GenerationError(f"{what}: {path.name} is not a readable weights file") from None
    except Exception:  # safetensors and torch raise many types on damaged files; none is shown
        raise GenerationError(f"{what}: {path.name} is not a readable weights file (damaged or empty)") from None
    if not isinstance(state, dict):
        raise GenerationError(f"{what}: {path.name} holds no state dict")
    return state


__all__ = ["PICKLED", "SAFE", "is_pickled", "load_state_dict"]
