"""Every model weight a story needs, whether it is here, and how to get it.

`needs(story, overrides)` lists one `ModelNeed` per role (base model, identity adapters, image
encoder, few-step LoRA, face models, style peels) with the reference chosen by the one
precedence of every setting (flag, then the script's `generation:`, then the default), where
it lies when present, its size and licence, and the exact command that fetches it.
`missing_error(needs)` turns all missing ones into one `GenerationError`, so a render reports
every missing model at once, before any panel is drawn. `download(needs)` fetches the missing
hub models with huggingface_hub (progress bars, resumable, `HF_HOME`/`HF_HUB_CACHE` honoured).

Presence is read from the Hugging Face cache layout (`try_to_load_from_cache`), never from the
network, so listing works offline and costs no download.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storyboard import hub
from storyboard.engines import _recipes
from storyboard.errors import GenerationError, MissingExtraError, require

if TYPE_CHECKING:
    from storyboard.script import Story

# Published sizes and licences of the default models (from their model cards).
KNOWN = {
    "stable-diffusion-v1-5/stable-diffusion-v1-5": ("~4.3 GB", "CreativeML OpenRAIL-M"),
    "h94/IP-Adapter-FaceID/ip-adapter-faceid_sd15.bin": ("~100 MB", "non-commercial research (InsightFace)"),
    "h94/IP-Adapter-FaceID/ip-adapter-faceid-plusv2_sd15.bin": ("~160 MB", "non-commercial research (InsightFace)"),
    "h94/IP-Adapter-FaceID/ip-adapter-faceid-plusv2_sdxl.bin": ("~1.5 GB", "non-commercial research (InsightFace)"),
    "h94/IP-Adapter/models/ip-adapter-plus_sd15.safetensors": ("~100 MB", "Apache-2.0"),
    "h94/IP-Adapter/models/image_encoder": ("~2.5 GB", "Apache-2.0"),
    "latent-consistency/lcm-lora-sdv1-5": ("~135 MB", "OpenRAIL++"),
    "latent-consistency/lcm-lora-sdxl": ("~400 MB", "OpenRAIL++"),
    "lllyasviel/control_v11p_sd15_openpose": ("~1.45 GB", "CreativeML OpenRAIL-M"),
    "lllyasviel/control_v11p_sd15_scribble": ("~1.45 GB", "CreativeML OpenRAIL-M"),
    "xinsir/controlnet-openpose-sdxl-1.0": ("~2.5 GB", "Apache-2.0"),
    "xinsir/controlnet-scribble-sdxl-1.0": ("~2.5 GB", "Apache-2.0"),
    "buffalo_l": ("~280 MB", "non-commercial research (InsightFace model packs)"),
}
ROLES = {  # generation key -> what it is for
    "model": "base model",
    "face_adapter": "face identity adapter",
    "drawn_adapter": "drawn identity adapter",
    "drawn_encoder": "drawn image encoder",
    "fast_lora": "fast sampling LoRA",
    "face_models": "face models",
    "controlnet": "ControlNet",
}


@dataclass(frozen=True)
class ModelNeed:
    """One weight a render needs. `present` is None where it cannot be known offline."""

    role: str
    key: str  # the generation key / flag that chooses it ("peel" for style peels)
    ref: str
    chosen_by: str  # "flag" | "environment" | "script" | "default"
    present: bool
    path: str | None  # where it lies, when present (or where it is expected, for face models)
    size: str
    licence: str
    download: str | None  # the exact command that fetches it; None when it is local

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def needs(story: "Story | None" = None, overrides: dict[str, Any] | None = None, *,
          kinds: set[str] | None = None, embedding: bool = True,
          cache_dir: str | None = None) -> list[ModelNeed]:
    """The weights the diffusion engine needs for `story` (None: for the defaults, every role).

    `kinds` are the identity kinds the panels use ("face", "drawn"); None reads them from the
    script: a character may be a face when `kind: face` or `auto` with references or a library
    entry, drawn when `drawn` or `auto`. `embedding=False` leaves out what only registering a
    character needs (face models, image encoder), for a render whose identities are embedded.
    The fast LoRA is needed only with few-step sampling."""
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    script = story.generation.model_dump() if story is not None else {}
    base_dir = story.base_dir if story is not None else None

    def choose(key: str, default: str | None) -> tuple[str | None, str]:
        if overrides.get(key):
            return overrides[key], "flag"
        if script.get(key):
            return script[key], "script"
        return default, "default"

    model, by = choose("model", _engine_defaults()[0])
    family = _family(model, base_dir)
    defaults = _engine_defaults()[1].get(family, {})
    kinds = _identity_kinds(story) if kinds is None else kinds
    fast = overrides.get("fast", script.get("fast"))
    out = [_need("model", model, by, base_dir, cache_dir)]
    if "face" in kinds:
        out.append(_need("face_adapter", *choose("face_adapter", defaults.get("face_adapter")), base_dir, cache_dir))
        if embedding:
            out.append(_need("face_models", *_face_models(overrides, script), base_dir, cache_dir))
    if "drawn" in kinds:
        out.append(_need("drawn_adapter", *choose("drawn_adapter", defaults.get("drawn_adapter")), base_dir, cache_dir))
    # The image encoder embeds drawn characters, and the face crops the default face adapter
    # (FaceID-Plus-v2) reads.
    if embedding and kinds & {"face", "drawn"}:
        out.append(_need("drawn_encoder", *choose("drawn_encoder", _drawn_encoder_default()), base_dir, cache_dir))
    recipe = _recipes.normalise(fast)
    if recipe != _recipes.OFF:  # the recipe's published LoRA for the family
        published = _recipes.RECIPES.get(family, {}).get(recipe)
        default = published.lora if published else defaults.get("fast_lora")
        out.append(_need("fast_lora", *choose("fast_lora", default), base_dir, cache_dir))
    # A ControlNet only when the composition asks for one: by default composition control is
    # on only where the family's ControlNet is already here (see DiffusionEngine.composition_mode).
    composition = overrides.get("composition", script.get("composition"))
    controlnet, by_cn = choose("controlnet", None)
    if controlnet or composition in ("pose", "sketch"):
        mode = composition if composition in ("pose", "sketch") else "pose"
        default = _engine_controlnets().get("sdxl" if family == "sdxl" else "sd1", {}).get(mode)
        if controlnet or default:
            out.append(_need("controlnet", controlnet or default, by_cn, base_dir, cache_dir))
    for peel in (story.style.peels if story is not None else []):
        out.append(_need("peel", peel.path, "script", base_dir, cache_dir))
    return out


def missing_error(found: list[ModelNeed]) -> GenerationError | None:
    """One error listing every missing model with its download command, or None."""
    missing = [n for n in found if not n.present]
    if not missing:
        return None
    parts = [f"{n.role} '{n.ref}' ({n.download or 'local path does not exist'})" for n in missing]
    noun = "model is" if len(missing) == 1 else f"{len(missing)} models are"
    return GenerationError(f"{noun} missing: {'; '.join(parts)}; or fetch all with `storyboard models download`")


def download(found: list[ModelNeed], *, cache_dir: str | None = None, say=print) -> None:
    """Fetch every missing hub model (resumable; huggingface_hub shows progress bars). Local
    paths and face model packs are never downloaded: storyboard cannot fetch them."""
    if hub.offline():
        raise GenerationError("HF_HUB_OFFLINE is set: nothing can be downloaded (unset it to fetch models)")
    for need in found:
        if need.present or need.download is None or not need.download.startswith("hf download"):
            continue
        say(f"downloading {need.role} {need.ref} ({need.size})")
        where = hub.parse(need.ref)
        if need.key == "model" and not where.path:
            hub.fetch_pipeline(need.ref, cache_dir=cache_dir)
        elif need.key == "controlnet":
            hub.fetch_model(need.ref, cache_dir=cache_dir)
        elif where.path and not Path(where.path).suffix and need.key != "fast_lora":
            _snapshot(need.ref, where, cache_dir)
        else:
            hub.fetch_weights(need.ref, cache_dir=cache_dir)


# ------------------------------------------------------------------------- internals


def _engine_defaults() -> tuple[str, dict[str, dict[str, str]]]:
    """The diffusion engine's own defaults (one source of truth), without importing torch."""
    from storyboard.engines import diffusion

    return diffusion.DEFAULT_MODEL, diffusion.DEFAULTS


def _engine_controlnets() -> dict[str, dict[str, str]]:
    from storyboard.engines import diffusion

    return diffusion.CONTROLNETS


def _drawn_encoder_default() -> str:
    from characters.drawn import DEFAULT_ENCODER

    return DEFAULT_ENCODER


def _face_models(overrides: dict, script: dict) -> tuple[str, str]:
    """The face model pack by its own precedence: flag, $STORYBOARD_FACE_MODELS, script, default."""
    from characters.embedders import choose_face_models

    ref = choose_face_models(overrides.get("face_models"), script.get("face_models"))
    if overrides.get("face_models"):
        return ref, "flag"
    if os.environ.get("STORYBOARD_FACE_MODELS"):
        return ref, "environment"
    return ref, "script" if script.get("face_models") else "default"


def _identity_kinds(story: "Story | None") -> set[str]:
    if story is None:
        return {"face", "drawn"}
    kinds = set()
    for character in story.characters.values():
        if character.references or character.library:
            kinds |= {"face", "drawn"} if character.kind == "auto" else {character.kind}
    return kinds


def _family(model: str, base_dir) -> str:
    """'sdxl' or 'sd15' from the model's config when it is here, else from its name."""
    try:
        where = hub.parse(model, base_dir)
    except GenerationError:
        return "sd15"
    index = None
    if isinstance(where, Path):
        index = where / "model_index.json" if where.is_dir() else None
    elif not where.path:
        index = _cached(where.repo_id, "model_index.json", None)
    if index is not None and Path(index).is_file():
        import json

        try:
            name = json.loads(Path(index).read_text(encoding="utf-8")).get("_class_name", "")
        except (OSError, ValueError, AttributeError):  # a damaged config: the loader will say so
            name = ""
        return "sdxl" if "XL" in name else "sd15"
    return "sdxl" if "xl" in model.lower() else "sd15"


def _need(key: str, ref: str, chosen_by: str, base_dir, cache_dir) -> ModelNeed:
    role = ROLES.get(key, "style peel")
    size, licence = KNOWN.get(ref, ("unknown", "see the model card"))
    if key == "face_models":
        folder = Path(ref).expanduser()
        if not folder.is_dir():
            folder = Path("~/.insightface/models").expanduser() / ref
        present = folder.is_dir() and any(folder.glob("*.onnx"))
        # A pack name (buffalo_l) has a release to unzip; a folder named by its path does not.
        url = (f"https://github.com/deepinsight/insightface/releases/download/model-zoo/{ref}.zip"
               if not re.search(r"[/\\~]|^\.", ref) else "an InsightFace model pack")
        how = None if present else f"unzip {url} into {folder} (storyboard never downloads face models)"
        return ModelNeed(role, key, ref, chosen_by, present, str(folder), size, licence, how)
    try:
        where = hub.parse(ref, base_dir)
    except GenerationError:
        return ModelNeed(role, key, ref, chosen_by, False, None, size, licence, None)
    if isinstance(where, Path):
        return ModelNeed(role, key, ref, chosen_by, True, str(where), _disk_size(where), licence, None)
    path = _hub_present(key, where, cache_dir)
    include = f" --include '{where.path}/*'" if where.path and not Path(where.path).suffix else ""
    file = f" {where.path}" if where.path and Path(where.path).suffix else ""
    command = f"hf download {where.repo_id}{file}{include}"
    if key == "controlnet" and not file:  # the two files the loader reads, not every variant
        prefix = f"{where.path}/" if where.path else ""
        command = f"hf download {where.repo_id} {prefix}config.json {prefix}diffusion_pytorch_model.safetensors"
    return ModelNeed(role, key, ref, chosen_by, path is not None, path, _disk_size(Path(path)) if path else size,
                     licence, None if path else command)


def _hub_present(key: str, where: "hub.HubRef", cache_dir) -> str | None:
    """The local path of a cached hub model, or None; the file each kind cannot work without."""
    if Path(where.path).suffix:
        return _cached(where.repo_id, where.path, cache_dir)
    if key == "model":
        index = _cached(where.repo_id, "model_index.json", cache_dir)
        folder = Path(index).parent if index else None
        return str(folder) if folder and any((folder / "unet").glob("diffusion_pytorch_model*")) else None
    if key == "controlnet":  # config.json + diffusion_pytorch_model weights (see hub.fetch_model)
        config = _cached(where.repo_id, f"{where.path}/config.json" if where.path else "config.json", cache_dir)
        folder = Path(config).parent if config else None
        return str(folder) if folder and any(folder.glob("diffusion_pytorch_model*")) else None
    if where.path:  # a folder inside a repository: an image encoder
        config = _cached(where.repo_id, f"{where.path}/config.json", cache_dir)
        folder = Path(config).parent if config else None
        return str(folder) if folder and any(folder.glob("*.safetensors")) else None
    for name in ("pytorch_lora_weights.safetensors", "pytorch_lora_weights.bin"):
        found = _cached(where.repo_id, name, cache_dir)
        if found:
            return found
    return None


def _cached(repo_id: str, filename: str, cache_dir) -> str | None:
    try:
        hub_lib = require("huggingface_hub", "diffusion")
    except MissingExtraError:
        return None
    found = hub_lib.try_to_load_from_cache(repo_id, filename, cache_dir=cache_dir)
    return found if isinstance(found, str) and os.path.isfile(found) else None


def _snapshot(ref: str, where: "hub.HubRef", cache_dir) -> None:
    hub_lib = require("huggingface_hub", "diffusion")
    with hub._hub_errors(ref, where):
        hub_lib.snapshot_download(where.repo_id, allow_patterns=[f"{where.path}/*"], cache_dir=cache_dir)


def _disk_size(path: Path) -> str:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else []
    total = sum(p.stat().st_size for p in files)
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if total >= scale:
            return f"{total / scale:.1f} {unit}"
    return f"{total} B"
