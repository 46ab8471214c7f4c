"""Drawn identity: a CLIP image encoder, for characters InsightFace finds no face in.

IP-Adapter Plus consumes the encoder's penultimate hidden states, shape (tokens, dim), not the
pooled projection, so that is what a drawn identity stores. The pooled, normalised projection
is kept as well to check that the references show the same character.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from characters.embedders import Embeddings, Signature, fingerprint, normalised
from characters.images import ReferenceImage
from storyboard.errors import CharacterError, require

if TYPE_CHECKING:
    import numpy as np

DEFAULT_ENCODER = "h94/IP-Adapter/models/image_encoder"  # the encoder IP-Adapter Plus SD 1.5 expects


class DrawnIdentity:
    """CLIPVisionModelWithProjection hidden states, averaged over the references."""

    kind = "drawn"

    def __init__(self, encoder: str | None = None, *, agreement: float = 0.5, device: str | None = None):
        # A local folder when that path exists, else a hub id optionally followed by a subfolder.
        self.encoder = encoder or DEFAULT_ENCODER
        self.agreement = agreement  # CLIP: pictures of one character are usually well above 0.5
        self.device = device
        self._folder: Path | None = None
        self._signature: Signature | None = None
        self._model = None

    def folder(self) -> Path:
        if self._folder is None:
            local = Path(self.encoder).expanduser()
            self._folder = local if local.exists() else _from_hub(self.encoder)
            if not (self._folder / "config.json").is_file() or not self._weights():
                raise CharacterError(
                    f"image encoder {self.encoder}: {self._folder} has no config.json "
                    f"and .safetensors weights"
                )
        return self._folder

    def _weights(self) -> list[Path]:
        return sorted(self._folder.glob("*.safetensors"))

    def signature(self) -> Signature:
        if self._signature is None:
            folder = self.folder()
            version = fingerprint([folder / "config.json", *self._weights()])
            self._signature = Signature("clip", self.encoder, version)
        return self._signature

    def embed(self, references: Sequence[ReferenceImage]) -> Embeddings:
        per_image, image_embeds = self.encode([ref.image for ref in references])
        return Embeddings("drawn", per_image, per_image.mean(axis=0), normalised(image_embeds), {"clip_pooled": image_embeds})

    def encode(self, images) -> tuple["np.ndarray", "np.ndarray"]:
        """(penultimate hidden states (n, tokens, dim), image_embeds (n, D)) of PIL `images`,
        float32: what IP-Adapter Plus / Full-Face and the plain IP-Adapter read."""
        import numpy as np

        torch = require("torch", "diffusion")
        model, processor, device = self._load()
        pixels = processor(images=list(images), return_tensors="pt").pixel_values
        with torch.inference_mode():
            out = model(pixel_values=pixels.to(device), output_hidden_states=True)
        hidden = out.hidden_states[-2].float().cpu().numpy().astype(np.float32)
        return hidden, out.image_embeds.float().cpu().numpy().astype(np.float32)

    def _load(self):
        if self._model is None:
            folder = self.folder()
            torch = require("torch", "diffusion")
            transformers = require("transformers", "diffusion")
            device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
            bars = transformers.utils.logging
            shown = bars.is_progress_bar_enabled()
            bars.disable_progress_bar()  # a weight-loading bar per registration is noise
            try:
                model = transformers.CLIPVisionModelWithProjection.from_pretrained(
                    folder, use_safetensors=True, local_files_only=True
                )
            except Exception as err:  # a wrong or damaged folder fails in many different ways
                raise CharacterError(
                    f"image encoder {self.encoder} cannot be loaded from {folder}: {_short(err)}"
                ) from err
            finally:
                if shown:
                    bars.enable_progress_bar()
            size = model.config.image_size
            # IP-Adapter's encoders ship no preprocessor config, so diffusers uses CLIP's defaults.
            # The PIL backend resizes the same whether or not torchvision is installed.
            processor = transformers.CLIPImageProcessorPil(
                size={"shortest_edge": size}, crop_size={"height": size, "width": size}
            )
            self._model = (model.to(device).eval(), processor, device)
        return self._model


def cached_folder(ref: str) -> Path | None:
    """The local folder of encoder `ref` (a folder, or `owner/repo[/sub/folder]` already in the
    Hugging Face cache), or None; never touches the network."""
    local = Path(ref).expanduser()
    if local.is_dir():
        return local.resolve()
    parts = ref.strip("/").split("/")
    if len(parts) < 2 or ref.startswith((".", "/", "~")):
        return None
    hub = require("huggingface_hub", "diffusion")
    prefix = "/".join(parts[2:]) + "/" if len(parts) > 2 else ""
    config = hub.try_to_load_from_cache("/".join(parts[:2]), prefix + "config.json")
    if not isinstance(config, str) or not any(Path(config).parent.glob("*.safetensors")):
        return None
    return Path(config).parent


def _from_hub(ref: str) -> Path:
    """Resolve `owner/repo[/sub/folder]` to a local snapshot folder, downloading if allowed."""
    parts = ref.strip("/").split("/")
    if len(parts) < 2:
        raise CharacterError(f"image encoder {ref}: no such folder, and not a hub id (owner/repo)")
    repo, sub = "/".join(parts[:2]), "/".join(parts[2:])
    hub = require("huggingface_hub", "diffusion")
    errors = require("huggingface_hub.errors", "diffusion")
    prefix = f"{sub}/" if sub else ""
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
    try:
        snapshot = hub.snapshot_download(
            repo,
            allow_patterns=[f"{prefix}config.json", f"{prefix}*.safetensors"],
            local_files_only=offline,
        )
    except Exception as err:  # offline, not cached, no such repo, no network
        where = f"{repo} (folder {sub})" if sub else repo
        if isinstance(err, errors.RepositoryNotFoundError):
            raise CharacterError(f"image encoder {ref}: no such folder, and no repository {repo} on the hub") from None
        if offline:
            why = "it is not in the Hugging Face cache and HF_HUB_OFFLINE is set"
        elif isinstance(err, errors.LocalEntryNotFoundError):
            why = "it is not in the Hugging Face cache and the hub cannot be reached"
        else:
            why = _short(err)
        include = f" --include '{prefix}*'" if sub else ""
        raise CharacterError(
            f"image encoder {where} is missing: {why}; download it with "
            f"`hf download {repo}{include}`, or pass a local folder"
        ) from None
    return Path(snapshot) / sub


def _short(err: Exception) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 160 else text[:157] + "..."
