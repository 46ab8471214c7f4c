"""Bringing panels from the size a model draws well to the page's print resolution.

Two methods: `lanczos` (default, no model) and `model`, a super-resolution network loaded
through spandrel (Real-ESRGAN, its Compact variant, SwinIR, HAT and the other architectures
spandrel detects from a bare state dict). The network runs over tiles with an overlap
margin that is cut away after each tile, so the seams match a whole-image run for any
network whose receptive field fits in the margin, and memory is the output image plus one
tile's activations, whatever the panel size. The network's output is then brought to the
exact target size with Lanczos.
"""

from __future__ import annotations

import os
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storyboard.errors import GenerationError, MissingExtraError, require
from storyboard.weights import load_state_dict

if TYPE_CHECKING:
    from PIL import Image

METHODS = ("lanczos", "model")
TILE = 256  # input pixels per tile side
OVERLAP = 16  # input pixels of context on every side of a tile
_MAX_PASSES = 3  # a 2x network reaches 8x; beyond that Lanczos does the rest
_WEIGHT_SUFFIXES = (".safetensors", ".pth", ".pt", ".ckpt", ".bin")


@dataclass
class Upscaler:
    """A loaded super-resolution network: `scale`x larger images from RGB input."""

    ref: str
    scale: int
    architecture: str
    descriptor: Any  # spandrel.ImageModelDescriptor
    device: str


def upscale(
    image: "Image.Image",
    size: tuple[int, int],
    *,
    method: str = "lanczos",
    model: Upscaler | None = None,
    tile: int = TILE,
    overlap: int = OVERLAP,
) -> "Image.Image":
    """Return `image` brought to exactly `size` (width, height) pixels.

    An image of another aspect is first cropped, centred, to the target's aspect (panels are
    generated at multiples of 8 pixels, so their aspect is off by up to a few pixels), never
    stretched. `method="model"` runs `model` (from `load_upscaler`) as many times as it takes to reach
    the target size (at most three passes), then resamples to the exact size with Lanczos;
    a target no larger than the image is reached with Lanczos alone.
    """
    from PIL import Image

    if method not in METHODS:
        raise ValueError(f"unknown upscale method {method!r}; expected one of {', '.join(METHODS)}")
    if method == "model" and model is None:
        raise ValueError("upscale method 'model' needs a model from load_upscaler()")
    width, height = size
    if width < 1 or height < 1:
        raise ValueError(f"target size must be positive, got {size}")
    if tile < 16 or overlap < 0:
        raise ValueError(f"tile must be >= 16 and overlap >= 0, got tile={tile}, overlap={overlap}")
    current = _crop_to_aspect(image if image.mode == "RGB" else image.convert("RGB"), width / height)
    if method == "model":
        passes = 0
        while (current.width < width or current.height < height) and passes < _MAX_PASSES:
            current = _run_tiled(model, current, tile, overlap)
            passes += 1
    if current.size == (width, height):
        return current.copy() if current is image else current
    return current.resize((width, height), Image.LANCZOS)


def _crop_to_aspect(image: "Image.Image", aspect: float) -> "Image.Image":
    w, h = image.size
    crop_w, crop_h = min(w, max(1, round(h * aspect))), min(h, max(1, round(w / aspect)))
    if (crop_w, crop_h) == (w, h) or abs(crop_w / crop_h - w / h) < 1e-9:
        return image
    if crop_w < w:
        left = (w - crop_w) // 2
        return image.crop((left, 0, left + crop_w, h))
    top = (h - crop_h) // 2
    return image.crop((0, top, w, top + crop_h))


def load_upscaler(ref: str | Path, device: str = "cpu") -> Upscaler:
    """Load a super-resolution network from a local weights file or a hub file reference.

    `ref` is a local `.safetensors`/`.pth` file when that path exists, else a hub reference
    `owner/repo/path/to/weights.safetensors`, fetched with huggingface_hub (which honours
    HF_HUB_OFFLINE). Pickled checkpoints load with `torch.load(weights_only=True)`.
    """
    torch = require("torch", "diffusion")
    spandrel = _import_spandrel()
    path = _resolve(str(ref))
    state = load_state_dict(path, f"upscaler {ref}")  # pickles load with weights_only=True
    try:
        descriptor = spandrel.MAIN_REGISTRY.load(spandrel.canonicalize_state_dict(state))
    except spandrel.UnsupportedModelError as err:
        raise GenerationError(f"upscaler {ref}: not an architecture spandrel recognises") from err
    except (KeyError, RuntimeError, ValueError, IndexError) as err:
        raise GenerationError(f"upscaler {ref}: the weights do not fit their architecture ({err})") from err
    if not isinstance(descriptor, spandrel.ImageModelDescriptor) or descriptor.purpose != "SR":
        raise GenerationError(
            f"upscaler {ref}: {descriptor.architecture.name} is a {descriptor.purpose} model, "
            "not a super-resolution one"
        )
    if descriptor.scale < 2 or descriptor.input_channels != 3 or descriptor.output_channels != 3:
        raise GenerationError(
            f"upscaler {ref}: needs an RGB network that enlarges (got scale {descriptor.scale}, "
            f"{descriptor.input_channels} in / {descriptor.output_channels} out channels)"
        )
    try:
        descriptor.to(torch.device(device)).eval()
    except (RuntimeError, AssertionError) as err:
        raise GenerationError(f"upscaler {ref}: cannot use device {device!r} ({err})") from err
    return Upscaler(str(ref), descriptor.scale, descriptor.architecture.name, descriptor, device)


def _run_tiled(model: Upscaler, image: "Image.Image", tile: int, overlap: int) -> "Image.Image":
    import numpy as np
    import torch
    from PIL import Image

    source = np.asarray(image)
    height, width = source.shape[:2]
    s = model.scale
    out = np.empty((height * s, width * s, 3), dtype=np.uint8)
    with torch.inference_mode():
        for y0 in range(0, height, tile):
            for x0 in range(0, width, tile):
                y1, x1 = min(y0 + tile, height), min(x0 + tile, width)
                wy0, wx0 = max(y0 - overlap, 0), max(x0 - overlap, 0)
                wy1, wx1 = min(y1 + overlap, height), min(x1 + overlap, width)
                window = torch.from_numpy(source[wy0:wy1, wx0:wx1].copy())
                window = window.to(model.device).permute(2, 0, 1).unsqueeze(0).float().div_(255)
                result = model.descriptor(window)[0]
                core = result[:, (y0 - wy0) * s : (y1 - wy0) * s, (x0 - wx0) * s : (x1 - wx0) * s]
                pixels = core.mul(255).round_().clamp_(0, 255).to(torch.uint8).permute(1, 2, 0)
                out[y0 * s : y1 * s, x0 * s : x1 * s] = pixels.cpu().numpy()
                del window, result, core, pixels
    return Image.fromarray(out, "RGB")


def check_reference(ref: str) -> Path | None:
    """The local weights file `ref` names, None for a hub reference, or GenerationError for
    neither (a typo): cheap, so a render checks its `--upscale` before the first panel."""
    local = Path(ref).expanduser()
    if local.is_file():
        return local
    if local.exists():
        raise GenerationError(f"upscaler {ref}: not a weights file")
    parts = ref.strip("/").split("/")
    if len(parts) < 3 or not ref.endswith(_WEIGHT_SUFFIXES):
        raise GenerationError(
            f"upscaler {ref}: no such file; use lanczos, a weights file, or a hub reference naming "
            "the weights file, e.g. owner/repo/model.safetensors"
        )
    return None


def _resolve(ref: str) -> Path:
    local = check_reference(ref)
    if local is not None:
        return local
    parts = ref.strip("/").split("/")
    repo, filename = "/".join(parts[:2]), "/".join(parts[2:])
    hub = require("huggingface_hub", "diffusion")
    try:
        return Path(hub.hf_hub_download(repo, filename))
    except Exception as err:  # the hub's errors differ by version; all mean "not available"
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
        why = "offline mode (HF_HUB_OFFLINE) and not in the local cache" if offline else type(err).__name__
        raise GenerationError(
            f"upscaler {ref}: cannot get {filename} from {repo}: {why}; "
            f"fetch it with `hf download {repo} {filename}` or give a local file"
        ) from err


def _import_spandrel():
    """Import spandrel even where torchvision is absent.

    spandrel imports `torchvision.transforms.functional` at import time for two
    architectures that are not upscalers (LaMa inpainting, RestoreFormer face restoration),
    and the torchvision wheels on PyPI do not load with every torch build (a CPU torch from
    another index, say). Without torchvision, those two names are bound to functions that
    raise, only for the import, and the placeholder modules are removed again at once, so
    nothing else ever sees a fake torchvision. `load_upscaler` refuses both architectures
    anyway: they are not super-resolution models.
    """
    if "spandrel" in sys.modules:
        return sys.modules["spandrel"]
    import importlib.util

    if importlib.util.find_spec("spandrel") is None:
        raise MissingExtraError("upscale", "spandrel")
    if importlib.util.find_spec("torchvision") is not None:
        return require("spandrel", "upscale")
    names = ("torchvision", "torchvision.transforms", "torchvision.transforms.functional")
    placeholders = {name: types.ModuleType(name) for name in names}
    functional = placeholders["torchvision.transforms.functional"]

    def unavailable(*args, **kwargs):
        raise GenerationError("this spandrel architecture needs torchvision, which is not installed")

    functional.rotate = functional.normalize = unavailable
    functional.InterpolationMode = types.SimpleNamespace(BILINEAR="bilinear", NEAREST="nearest")
    placeholders["torchvision"].transforms = placeholders["torchvision.transforms"]
    placeholders["torchvision.transforms"].functional = functional
    sys.modules.update(placeholders)
    try:
        import spandrel
    finally:
        for name in names:
            if sys.modules.get(name) is placeholders[name]:
                del sys.modules[name]
    return spandrel
