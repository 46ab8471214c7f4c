"""Model references: a local path when it exists, else a Hugging Face hub id.

A reference is resolved against `base_dir` (the script's folder) first. Otherwise it is a hub
id `owner/repo`, optionally followed by a path inside that repository
(`owner/repo/sub/folder/file.safetensors`). Hub look-ups honour `HF_HUB_OFFLINE`, `cache_dir`
and `revision`; every hub failure becomes a one-line `GenerationError` that names the model
and says how to get it. huggingface_hub is imported only when a hub id is actually fetched.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from storyboard.errors import GenerationError, require

# Weight files a LoRA repository or folder may hold, most specific first.
_LORA_FILES = ("pytorch_lora_weights.safetensors", "pytorch_lora_weights.bin")
_SUFFIXES = (".safetensors", ".bin", ".ckpt", ".pt", ".pth")


@dataclass(frozen=True)
class HubRef:
    """A hub repository and, optionally, one file (or folder) inside it."""

    repo_id: str
    path: str = ""

    def __str__(self) -> str:
        return f"{self.repo_id}/{self.path}" if self.path else self.repo_id


def parse(ref: str, base_dir: str | os.PathLike | None = None) -> Path | HubRef:
    """A local `Path` when `ref` exists (relative to `base_dir`), else a `HubRef`."""
    text = str(ref).strip()
    if not text:
        raise GenerationError("empty model reference")
    local = Path(text).expanduser()
    if not local.is_absolute() and base_dir is not None:
        local = Path(base_dir) / local
    if local.exists():
        return local.resolve()
    parts = text.split("/")
    looks_local = text.startswith((".", "/", "~")) or "\\" in text
    # 'peels/ink.safetensors' is a missing local file, not a repo named 'ink.safetensors'.
    if looks_local or len(parts) < 2 or not all(parts) or (len(parts) == 2 and Path(parts[1]).suffix in _SUFFIXES):
        where = f" (relative to {base_dir})" if base_dir is not None and not Path(text).is_absolute() else ""
        raise GenerationError(f"model '{text}' not found: no such file or folder{where}, and it is not a hub id 'owner/repo[/file]'")
    return HubRef("/".join(parts[:2]), "/".join(parts[2:]))


def offline() -> bool:
    """True when HF_HUB_OFFLINE asks for cache-only hub access."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def fetch_pipeline(ref: str, *, base_dir=None, cache_dir=None, revision=None, index_only: bool = False) -> Path:
    """A local folder (diffusers layout) or single checkpoint file for a base model reference.

    `index_only`: of a hub pipeline repository, fetch only model_index.json (enough to tell the
    model family); the folder returned then holds just that file."""
    where = parse(ref, base_dir)
    if isinstance(where, Path):
        return where
    if where.path:  # a single-file checkpoint inside a repo
        return _download(ref, where, cache_dir=cache_dir, revision=revision)
    if index_only:
        return _download(ref, HubRef(where.repo_id, "model_index.json"), cache_dir=cache_dir, revision=revision).parent
    diffusers = require("diffusers", "diffusion")
    with _hub_errors(ref, where):
        folder = diffusers.DiffusionPipeline.download(
            where.repo_id,
            cache_dir=cache_dir,
            revision=revision,
            local_files_only=offline(),
            use_safetensors=None,  # safetensors first; .bin only where a repo has nothing else
            safety_checker=None,  # the engine never loads it: skip its 1.2 GB download
        )
    return Path(folder)


MODEL_WEIGHTS = ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin")  # safetensors first


def fetch_model(ref: str, *, base_dir=None, cache_dir=None, revision=None) -> Path:
    """A local diffusers model folder (config.json + diffusion_pytorch_model weights, the layout
    of the published ControlNet repositories) or a single weights file. A hub id may name a
    subfolder (`owner/repo/sub`); only config.json and one weights file are downloaded."""
    where = parse(ref, base_dir)
    if isinstance(where, Path):
        return where
    if Path(where.path).suffix in _SUFFIXES:
        return _download(ref, where, cache_dir=cache_dir, revision=revision)
    hub = require("huggingface_hub", "diffusion")
    prefix = f"{where.path}/" if where.path else ""
    config = _download(ref, HubRef(where.repo_id, prefix + "config.json"), cache_dir=cache_dir, revision=revision)
    for name in MODEL_WEIGHTS:
        try:
            _download(ref, HubRef(where.repo_id, prefix + name), cache_dir=cache_dir, revision=revision)
            return config.parent
        except GenerationError as err:
            cause = err.__cause__
            missing = isinstance(cause, hub.errors.EntryNotFoundError) and not isinstance(
                cause, hub.errors.LocalEntryNotFoundError)
            if not missing or name == MODEL_WEIGHTS[-1]:
                raise
    return config.parent


def is_cached(ref: str, *, cache_dir=None) -> bool:
    """Whether the hub model folder `ref` (config.json and weights) is in the local cache;
    never touches the network."""
    where = parse(ref)
    if isinstance(where, Path):
        return True
    hub = require("huggingface_hub", "diffusion")
    prefix = f"{where.path}/" if where.path else ""

    def have(name: str) -> bool:
        return isinstance(hub.try_to_load_from_cache(where.repo_id, prefix + name, cache_dir=cache_dir), str)

    return have("config.json") and any(have(name) for name in MODEL_WEIGHTS)


def fetch_weights(ref: str, *, base_dir=None, cache_dir=None, revision=None) -> Path:
    """The local weights file of an adapter or LoRA reference (a file, a folder, or a repo)."""
    where = parse(ref, base_dir)
    if isinstance(where, HubRef):
        if Path(where.path).suffix in _SUFFIXES:
            return _download(ref, where, cache_dir=cache_dir, revision=revision)
        hub = require("huggingface_hub", "diffusion")
        pattern = f"{where.path}/*" if where.path else "*"
        with _hub_errors(ref, where):
            root = hub.snapshot_download(
                where.repo_id,
                allow_patterns=[f"{pattern}.safetensors", f"{pattern}.bin"],
                cache_dir=cache_dir,
                revision=revision,
                local_files_only=offline(),
            )
        where = Path(root, where.path)
    if where.is_file():
        return where
    return _weights_in_folder(ref, where)


def _weights_in_folder(ref: str, folder: Path) -> Path:
    for name in _LORA_FILES:
        if (folder / name).is_file():
            return folder / name
    found = sorted(folder.glob("*.safetensors")) or sorted(folder.glob("*.bin"))
    if len(found) == 1:
        return found[0]
    if not found:
        raise GenerationError(f"model '{ref}': no .safetensors or .bin weights in {folder}")
    names = ", ".join(p.name for p in found)
    raise GenerationError(f"model '{ref}': several weight files in {folder} ({names}); name one as '{ref}/<file>'")


def _download(ref: str, where: HubRef, *, cache_dir, revision) -> Path:
    hub = require("huggingface_hub", "diffusion")
    with _hub_errors(ref, where):
        return Path(
            hub.hf_hub_download(
                where.repo_id,
                where.path,
                cache_dir=cache_dir,
                revision=revision,
                local_files_only=offline(),
            )
        )


def verbose() -> bool:
    """True when the user asked for the libraries' own log lines (`--verbose`)."""
    return os.environ.get("STORYBOARD_VERBOSE", "").strip().lower() in ("1", "true", "yes", "on")


class _hub_errors:
    """Translate huggingface_hub / requests failures into one-line GenerationErrors, and keep
    the libraries' log lines ("Couldn't connect to the Hub...") off stderr unless verbose:
    the one line this raises says it all. Download progress bars are not log lines and stay."""

    _LOGGERS = ("huggingface_hub", "diffusers", "transformers")

    def __init__(self, ref: str, where: HubRef):
        self.ref, self.where = ref, where
        self._levels: list[tuple[logging.Logger, int]] = []

    def __enter__(self):
        if not verbose():
            for name in self._LOGGERS:
                logger = logging.getLogger(name)
                self._levels.append((logger, logger.level))
                logger.setLevel(logging.CRITICAL)
        return self

    def __exit__(self, kind, err, tb):
        for logger, level in self._levels:
            logger.setLevel(level)
        if err is None or isinstance(err, GenerationError):
            return False
        hub_errors = require("huggingface_hub.errors", "diffusion")
        get = f"`hf download {self.where.repo_id}{' ' + self.where.path if self.where.path else ''}`"
        name = type(err).__name__
        if isinstance(err, hub_errors.RepositoryNotFoundError):
            msg = f"model '{self.ref}': hub repository '{self.where.repo_id}' does not exist (or is private: log in with `hf auth login`)"
        elif isinstance(err, hub_errors.GatedRepoError):
            msg = f"model '{self.ref}': '{self.where.repo_id}' is gated: accept its licence on huggingface.co and log in with `hf auth login`"
        elif isinstance(err, hub_errors.RevisionNotFoundError):
            msg = f"model '{self.ref}': revision not found in '{self.where.repo_id}'"
        elif isinstance(err, hub_errors.EntryNotFoundError) and not isinstance(err, hub_errors.LocalEntryNotFoundError):
            msg = f"model '{self.ref}': no file '{self.where.path}' in hub repository '{self.where.repo_id}'"
        elif offline() or _unreachable(err) or isinstance(err, (hub_errors.LocalEntryNotFoundError, hub_errors.OfflineModeIsEnabled)):
            how = "unset HF_HUB_OFFLINE and run again with network access, or fetch it first with" if offline() else "check your network connection, or fetch it first with"
            msg = f"model '{self.ref}' is not in the local cache ({'HF_HUB_OFFLINE is set' if offline() else 'the hub cannot be reached'}): {how} {get}"
        elif isinstance(err, (OSError, ValueError)) or name.endswith(("HTTPError", "ConnectionError", "Timeout")):
            msg = f"model '{self.ref}' cannot be fetched from the hub ({_first_line(err)}): check the id and your network, or fetch it with {get}"
        else:
            return False
        raise GenerationError(msg) from err


def _unreachable(err: BaseException) -> bool:
    """The hub could not be reached and the model is not cached: libraries say it in many
    ways (a connection error somewhere in the chain, or "not fully cached locally")."""
    seen = 0
    while err is not None and seen < 10:
        name = type(err).__name__
        text = str(err)
        if name.endswith(("ConnectionError", "ConnectError", "ConnectTimeout")) or any(
            s in text for s in ("not fully cached locally", "Name or service not known", "Failed to resolve", "Temporary failure in name resolution")
        ):
            return True
        err, seen = err.__cause__ or err.__context__, seen + 1
    return False


def _first_line(err: BaseException, limit: int = 200) -> str:
    """The error's first line, cut at a word with an ellipsis when long (never mid-word)."""
    text = str(err).strip().splitlines()
    line = text[0] if text else type(err).__name__
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0].rstrip(" ,;:(") + " …"
