"""The diffusion engine: Stable Diffusion 1.5 / SDXL with masked multi-identity IP-Adapters.

Every panel is one diffusers pipeline call. Each cast member with an identity contributes one
IP-Adapter embedding restricted to its region mask: faces through the face adapter (by default
IP-Adapter FaceID-Plus-v2: ArcFace embedding + CLIP hidden states of the aligned face crop; the
FaceID LoRA on while a face is in the panel), drawn characters through the drawn adapter (by
default IP-Adapter Plus: CLIP ViT-H hidden states). Any IP-Adapter variant works in either slot
(FaceID kinds for faces only); `_adapters` tells the variant from the checkpoint's keys. The
character library computes the embeddings, so no image encoder lives in the pipeline. Sampling is few-step LCM-LoRA + LCMScheduler by default;
style peels are LoRAs mixed in with `set_adapters`.

The pipeline, adapters and LoRAs load lazily on the first panel and stay loaded; per panel
only cheap state changes (adapter weights, IP-Adapter scales) are applied, and only when they
differ from the previous panel. Model references resolve through `storyboard.hub`.

Defaults (used when a reference is None), per base-model family:

    family  model / face adapter / drawn adapter / fast LoRA
    sd15    stable-diffusion-v1-5/stable-diffusion-v1-5
            h94/IP-Adapter-FaceID/ip-adapter-faceid-plusv2_sd15.bin
            h94/IP-Adapter/models/ip-adapter-plus_sd15.safetensors
            latent-consistency/lcm-lora-sdv1-5
    sdxl    (set --model to an SDXL checkpoint)
            h94/IP-Adapter-FaceID/ip-adapter-faceid-plusv2_sdxl.bin
            h94/IP-Adapter/sdxl_models/ip-adapter-plus_sdxl_vit-h.safetensors
            latent-consistency/lcm-lora-sdxl

Negative identity embeddings are zeros (what FaceID was trained with; for the CLIP inputs it
stands in for the encoding of a blank image, which would need the image encoder).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np

from storyboard import fingerprints, hub, weights
from storyboard.engines import _adapters, _controls, _geometry, _identity, _prompts, _recipes, _regional
from storyboard.engines._device import resolve_device, resolve_dtype, torch_dtype
from storyboard.engines.base import PanelRequest, Peel
from storyboard.errors import GenerationError, require

ENGINE_VERSION = 1

DEFAULT_MODEL = "stable-diffusion-v1-5/stable-diffusion-v1-5"
DEFAULTS = {
    "sd15": {
        "face_adapter": "h94/IP-Adapter-FaceID/ip-adapter-faceid-plusv2_sd15.bin",
        "drawn_adapter": "h94/IP-Adapter/models/ip-adapter-plus_sd15.safetensors",
        "fast_lora": "latent-consistency/lcm-lora-sdv1-5",
    },
    "sdxl": {
        "face_adapter": "h94/IP-Adapter-FaceID/ip-adapter-faceid-plusv2_sdxl.bin",
        "drawn_adapter": "h94/IP-Adapter/sdxl_models/ip-adapter-plus_sdxl_vit-h.safetensors",
        "fast_lora": "latent-consistency/lcm-lora-sdxl",
    },
}
DEFAULT_FACE_ADAPTER = DEFAULTS["sd15"]["face_adapter"]
DEFAULT_DRAWN_ADAPTER = DEFAULTS["sd15"]["drawn_adapter"]
DEFAULT_FAST_LORA = DEFAULTS["sd15"]["fast_lora"]

FULL_STEPS, FULL_GUIDANCE = _recipes.FULL_STEPS, _recipes.FULL_GUIDANCE  # the model's own scheduler
FACE_SCALE, DRAWN_SCALE = 0.8, 0.7  # IP-Adapter strength inside each member's mask
CONTROL_SCALE = 0.8  # ControlNet conditioning scale: the pose leads, the identities still show
REFINE_STRENGTH = 0.35  # second pass: img2img denoising strength (keeps the composition)
# Default ControlNets per geometry family and composition mode (config.json +
# diffusion_pytorch_model.safetensors at the repository root).
CONTROLNETS = {
    "sd1": {"pose": "lllyasviel/control_v11p_sd15_openpose", "sketch": "lllyasviel/control_v11p_sd15_scribble"},
    "sdxl": {"pose": "xinsir/controlnet-openpose-sdxl-1.0", "sketch": "xinsir/controlnet-scribble-sdxl-1.0"},
}

_NO_CAP = 1 << 30  # generation_size without a --max-side
_FAST = "fast"  # peft adapter names
_FACEID = "faceid_0"  # the name diffusers gives the FaceID LoRA (FaceID is loaded first)

Progress = Callable[[str], None]  # one-line status messages (loading, retries)
_log = logging.getLogger("storyboard")  # notices a user must see even without a progress callback


class DiffusionEngine:
    """Draws panels with a diffusers pipeline; see the module docstring."""

    name = "diffusion"

    def __init__(
        self,
        *,
        model: str | None = DEFAULT_MODEL,
        face_adapter: str | None = None,
        drawn_adapter: str | None = None,
        fast_lora: str | None = None,
        fast: bool | str = True,
        steps: int | None = None,
        guidance: float | None = None,
        device: str = "auto",
        dtype: str = "auto",
        offload: bool = False,
        compile: bool = False,
        batch: int = 1,
        base_dir: str | Path | None = None,
        cache_dir: str | Path | None = None,
        revision: str | None = None,
        composition: str | None = None,
        controlnet: str | None = None,
        control_scale: float | None = None,
        refine: float | None = None,
        progress: Progress | None = None,
    ):
        if composition is not None and composition not in _controls.MODES:
            raise GenerationError(f"composition must be one of {', '.join(_controls.MODES)}, got '{composition}'")
        if control_scale is not None and not 0 <= control_scale <= 2:
            raise GenerationError(f"control scale must be between 0 and 2, got {control_scale}")
        if refine is not None and refine != 0 and not 1 <= refine <= 4:
            raise GenerationError(f"refine must be 0 (off) or an upscale between 1 and 4, got {refine}")
        if steps is not None and steps < 1:
            raise GenerationError(f"steps must be at least 1, got {steps}")
        if batch < 1:
            raise GenerationError(f"batch must be at least 1, got {batch}")
        if guidance is not None and not 0 <= guidance <= 30:  # the script's range; NaN fails too
            raise GenerationError(f"guidance must be between 0 and 30, got {guidance}")
        self.model = model or DEFAULT_MODEL
        self.refs = {"face_adapter": face_adapter, "drawn_adapter": drawn_adapter, "fast_lora": fast_lora}
        recipe = _recipes.normalise(fast)
        self.fast = None if recipe == _recipes.OFF else recipe  # the few-step recipe's name, None: off
        default_steps, default_guidance = _recipes.defaults(recipe)
        self.steps = steps if steps is not None else default_steps
        self.guidance = guidance if guidance is not None else default_guidance
        self.device_name, self.dtype_name = device, dtype
        self.offload = offload
        self.compile = compile  # channels_last + torch.compile of the UNet and VAE (speed only)
        self.batch = batch
        self.base_dir = base_dir
        self.cache_dir = str(cache_dir) if cache_dir is not None else None
        self.revision = revision
        self.composition, self.controlnet = composition, controlnet
        self.control_scale = CONTROL_SCALE if control_scale is None else float(control_scale)
        self.refine = float(refine or 0)
        self.progress = progress or (lambda message: None)
        self._mode: str | None = None  # the resolved composition mode
        self._control_pipe = None  # the ControlNet pipeline, sharing the base pipeline's modules
        self._refine_pipes: dict[bool, Any] = {}  # img2img pipelines, by "with ControlNet"
        self._device: str | None = None
        self._dtype: str | None = None
        self._pipe = None
        self._source: Path | None = None  # the fetched model folder or file
        self._family = ""
        self._specs: list[_identity.AdapterSpec] = []  # loaded IP-Adapters, in pipeline order
        self._peels: dict[str, str] = {}  # peel ref -> peft adapter name
        self._active: tuple | None = None  # last (names, weights) given to set_adapters
        self._scales: list | None = None  # last IP-Adapter scales

    # -- the Engine protocol -------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        self._resolve_device()
        self._ensure_family()
        return {
            "engine": self.name,
            "version": ENGINE_VERSION,
            "model": self.model,
            "revision": self.revision,
            # None: the default for the base model's family (see DEFAULTS).
            "face_adapter": self.refs["face_adapter"],
            "drawn_adapter": self.refs["drawn_adapter"],
            # The few-step recipe (lcm, tcd, hyper, lightning, dmd2) or "off"; None LoRA: the
            # recipe's default for the family; the scheduler's diffusers class.
            "fast": self.fast or _recipes.OFF,
            "fast_lora": self.refs["fast_lora"] if self.fast else None,
            "scheduler": _recipes.RECIPES["sdxl"][self.fast].scheduler if self.fast else "model",
            "steps": self.steps,
            "guidance": self.guidance,
            "face_scale": FACE_SCALE,
            "drawn_scale": DRAWN_SCALE,
            "device": self._device.split(":")[0],
            "dtype": self._dtype,
            # What the weights are, by content (local) or resolved commit (hub): a file replaced
            # in place changes the key. The cache keys a panel by an identity adapter only when
            # the panel casts that kind.
            "weights": {
                "model": self._fingerprint(self.model),
                "face_adapter": self._fingerprint(self._ref("face_adapter")),
                "drawn_adapter": self._fingerprint(self._ref("drawn_adapter")),
                "fast_lora": self._fingerprint(self._ref("fast_lora")) if self.fast else None,
            },
            "composition": self.composition_mode(),
            "controlnet": self._controlnet_ref() if self.composition_mode() != "none" else None,
            "control_scale": self.control_scale if self.composition_mode() != "none" else None,
            "refine": self.refine,
            "refine_strength": REFINE_STRENGTH if self.refine else None,
            "regional_prompts": True,  # panels with two or more cast members (see _regional)
        }

    def _fingerprint(self, ref: str) -> str:
        return fingerprints.of(ref, base_dir=self.base_dir, cache_dir=self.cache_dir, revision=self.revision)

    def _ensure_family(self) -> None:
        """The model family from model_index.json (or a single file's keys), without loading it."""
        if not self._family:
            source = hub.fetch_pipeline(self.model, base_dir=self.base_dir, cache_dir=self.cache_dir,
                                        revision=self.revision, index_only=True)
            self._family = _family(source, self.model)

    def composition_mode(self) -> str:
        """'pose', 'sketch' or 'none'. Unset, it is 'pose' when a ControlNet is named or the
        family's default OpenPose ControlNet is already downloaded, else 'none' (a default
        render never starts a 1.5-2.5 GB download of its own)."""
        if self._mode is None:
            mode = self.composition
            if mode is None:
                default = CONTROLNETS.get(self.geometry_family(), {}).get("pose")
                mode = "pose" if self.controlnet or (default and hub.is_cached(default, cache_dir=self.cache_dir)) else "none"
            self._mode = mode
        return self._mode

    def prepare(self, request: PanelRequest) -> PanelRequest:
        """`request` with its control image (see `_controls`), drawn at its generation size:
        part of the panel's cache key."""
        image = _controls.control_image(request, self.composition_mode())
        if image is None:
            return request
        return dataclasses.replace(request, control=np.asarray(image, dtype=np.uint8))

    def render(self, request: PanelRequest):
        return self.render_batch([request])[0]

    def generation_size(self, aspect: float, max_side: int | None = None) -> tuple[int, int]:
        """The model family's supported (width, height) nearest `aspect`, the longer side
        capped at `max_side` (see `_geometry`). Fetches the model (not its weights' loading)."""
        return _geometry.generation_size(self.geometry_family(), aspect, max_side or _NO_CAP)

    def geometry_family(self) -> str:
        """'sd1', 'sd2' or 'sdxl': which table of native sizes the base model draws at."""
        if self._source is None:  # only model_index.json of a hub model (settings stay cheap)
            index = hub.fetch_pipeline(self.model, base_dir=self.base_dir, cache_dir=self.cache_dir,
                                       revision=self.revision, index_only=True)
            return _geometry_family(index, self.model)
        return _geometry_family(self._source, self.model)

    def render_batch(self, requests: list[PanelRequest]) -> list:
        """Images for `requests`, in order. Panels of the same size, identity counts, prompt
        length and peels run together, up to `batch` at a time; seeds make each panel the same
        as when drawn alone."""
        requests = list(requests)
        if not requests:
            return []
        self._load()
        images: list = [None] * len(requests)
        groups: dict[tuple, list[int]] = {}
        for i, request in enumerate(requests):
            groups.setdefault(self._group_key(request), []).append(i)
        for indices in groups.values():
            for start in range(0, len(indices), self.batch):
                part = indices[start : start + self.batch]
                for i, image in zip(part, self._generate_guarded([requests[i] for i in part])):
                    images[i] = image
        return images

    # -- loading -------------------------------------------------------------------------

    def _resolve_device(self) -> None:
        if self._device is None:
            require("torch", "diffusion")
            device = resolve_device(self.device_name)
            self._dtype = resolve_dtype(self.dtype_name, device.split(":")[0])
            self._device = device

    def _load(self) -> None:
        if self._pipe is not None:
            return
        self._resolve_device()
        require("transformers", "diffusion")
        diffusers = require("diffusers", "diffusion")
        with _quiet():  # importing the pipelines makes transformers log about torchvision
            diffusers.StableDiffusionPipeline, diffusers.StableDiffusionXLPipeline  # noqa: B018
        self.progress(f"loading model {self.model}")
        source = self._fetch_model()
        self._family = _family(source, self.model)
        if self.fast:
            self._recipe()  # a recipe the family lacks fails before the model loads
        cls = diffusers.StableDiffusionXLPipeline if self._family == "sdxl" else diffusers.StableDiffusionPipeline
        extra = {} if self._family == "sdxl" else {"safety_checker": None, "requires_safety_checker": False}
        dtype = torch_dtype(self._dtype)
        with _quiet(), _load_errors(f"model '{self.model}'"):
            if source.is_file():
                pipe = cls.from_single_file(str(source), torch_dtype=dtype, local_files_only=hub.offline(), **extra)
            else:
                pipe = cls.from_pretrained(str(source), torch_dtype=dtype, **extra)
        pipe.set_progress_bar_config(disable=True)
        if self.fast:
            pipe.scheduler = _recipes.scheduler(pipe, self._recipe())
        device_kind = self._device.split(":")[0]
        if self.offload and device_kind != "cpu":
            pipe.enable_model_cpu_offload(device=self._device)
        else:
            if self.offload:
                self.progress("--offload has no effect on the CPU: the model already lives in main memory")
            pipe.to(self._device)
        if device_kind == "mps":
            pipe.enable_attention_slicing()
        if self.compile:
            _compile(pipe)
        self._pipe = pipe
        self._place()
        if self.fast:
            try:
                self._load_lora(self._ref("fast_lora"), _FAST, what="fast LoRA")
            except GenerationError:
                self._pipe = None  # never draw with a half-loaded engine
                raise

    def _fetch_model(self) -> Path:
        if self._source is None:
            self._source = hub.fetch_pipeline(self.model, base_dir=self.base_dir, cache_dir=self.cache_dir,
                                              revision=self.revision)
        return self._source

    def _place(self) -> None:
        """Cache where inputs go: both properties walk every parameter (~0.1 s per panel)."""
        self._exec_device = self._pipe._execution_device
        self._unet_dtype = self._pipe.unet.dtype

    def _controlnet_ref(self) -> str:
        if self.controlnet:
            return self.controlnet
        family, mode = self.geometry_family(), self.composition_mode()
        ref = CONTROLNETS.get(family, {}).get(mode)
        if ref is None:
            raise GenerationError(f"composition '{mode}': no default ControlNet for {family} models; name one with --controlnet")
        return ref

    def _ensure_control(self):
        """The ControlNet pipeline: the base pipeline's modules (with their IP-Adapters and
        LoRAs) plus the ControlNet, loaded on the first panel that has a control image."""
        if self._control_pipe is not None:
            return self._control_pipe
        diffusers = require("diffusers", "diffusion")
        ref = self._controlnet_ref()
        path = hub.fetch_model(ref, base_dir=self.base_dir, cache_dir=self.cache_dir, revision=self.revision)
        self.progress(f"loading ControlNet {ref}")
        dtype = torch_dtype(self._dtype)
        with _quiet(), _load_errors(f"ControlNet '{ref}'"):
            if path.is_file():
                controlnet = diffusers.ControlNetModel.from_single_file(str(path), torch_dtype=dtype)
            else:
                controlnet = diffusers.ControlNetModel.from_pretrained(str(path), torch_dtype=dtype)
        cross = self._pipe.unet.config.cross_attention_dim
        if controlnet.config.cross_attention_dim != cross:
            raise GenerationError(f"ControlNet '{ref}' does not fit the base model '{self.model}' "
                                  f"(cross-attention width {controlnet.config.cross_attention_dim}, the model's {cross})")
        cls = diffusers.StableDiffusionXLControlNetPipeline if self._family == "sdxl" else diffusers.StableDiffusionControlNetPipeline
        with _quiet():
            pipe = cls.from_pipe(self._pipe, controlnet=controlnet)
        self._settle(pipe)
        self._control_pipe = pipe
        return pipe

    def _refine_pipe(self, control: bool):
        """The img2img pipeline of the second pass, sharing every module with the first."""
        if control not in self._refine_pipes:
            diffusers = require("diffusers", "diffusion")
            xl = self._family == "sdxl"
            if control:
                cls = diffusers.StableDiffusionXLControlNetImg2ImgPipeline if xl else diffusers.StableDiffusionControlNetImg2ImgPipeline
                source = self._ensure_control()
            else:
                cls = diffusers.StableDiffusionXLImg2ImgPipeline if xl else diffusers.StableDiffusionImg2ImgPipeline
                source = self._pipe
            with _quiet():
                pipe = cls.from_pipe(source)
            self._settle(pipe)
            self._refine_pipes[control] = pipe
        return self._refine_pipes[control]

    def _settle(self, pipe) -> None:
        """Put a derived pipeline where the base one is (offload hooks are per pipeline)."""
        pipe.set_progress_bar_config(disable=True)
        if self.offload and self._device.split(":")[0] != "cpu":
            pipe.enable_model_cpu_offload(device=self._device)
        else:
            pipe.to(self._device)

    def _ref(self, key: str) -> str:
        if key == "fast_lora" and not self.refs[key]:
            return self._recipe().lora
        return self.refs[key] or DEFAULTS[self._family][key]

    def _recipe(self) -> _recipes.Recipe:
        return _recipes.recipe(self.fast, self._family)

    def _fetch(self, ref: str) -> Path:
        return hub.fetch_weights(ref, base_dir=self.base_dir, cache_dir=self.cache_dir, revision=self.revision)

    def _load_lora(self, ref: str, adapter_name: str, *, what: str) -> None:
        path = self._fetch(ref)
        self.progress(f"loading {what} {ref}")
        source, where = _weights_source(path, f"{what} '{ref}'")
        label = f"{what} '{ref}' does not fit the base model '{self.model}'"
        try:
            with _quiet(), _load_errors(label):
                self._pipe.load_lora_weights(source, adapter_name=adapter_name, **where)
                # A LoRA for another family may match no layer at all: peft then adds nothing
                # and says nothing, and the next set_adapters would fail with its own traceback.
                if adapter_name not in self._pipe.get_list_adapters().get("unet", []):
                    raise GenerationError(f"{label}: none of its weights match the model's layers "
                                          f"(it was made for another model family)")
        except GenerationError:
            self._drop_adapter(adapter_name)
            raise
        finally:
            self._active = None

    def _drop_adapter(self, name: str) -> None:
        """Remove whatever part of a failed LoRA did load (e.g. its text-encoder half)."""
        with contextlib.suppress(Exception), _quiet():
            if any(name in names for names in self._pipe.get_list_adapters().values()):
                self._pipe.delete_adapters(name)

    def _variant(self, kind: str) -> tuple[str, _adapters.Variant]:
        """The reference and variant of the adapter for identity `kind`, told from its keys."""
        ref = self._ref("face_adapter" if kind == "face" else "drawn_adapter")
        variant = _adapters.inspect(self._fetch(ref), ref)
        if kind == "drawn" and variant.face_only:
            raise GenerationError(
                f"drawn adapter '{ref}' is {variant.label}, which needs a face's ArcFace embedding: "
                f"give it as the face adapter, and an image IP-Adapter (plain, plus) as the drawn one"
            )
        return ref, variant

    def _ensure_adapters(self, kinds: set[str]) -> None:
        """Load the IP-Adapters the panels need; both at once, since loading replaces all."""
        have = {spec.kind for spec in self._specs}
        if kinds <= have:
            return
        wanted = [k for k in _identity.KINDS if k in kinds | have]
        found = [self._variant(k) for k in wanted]
        for ref, variant in found:
            _adapters.check_fits(variant, ref, self._pipe.unet, self.model)
        refs = [ref for ref, _ in found]
        paths = [self._fetch(ref) for ref in refs]
        self.progress(f"loading identity adapters {', '.join(refs)}")
        sources = [_weights_source(path, f"identity adapter '{ref}'")[0] for path, ref in zip(paths, refs)]
        label = f"identity adapter {' + '.join(repr(r) for r in refs)} does not fit the base model '{self.model}'"
        pipe = self._pipe
        with _quiet(), _load_errors(label):
            if self._specs:
                pipe.unload_ip_adapter()
            pipe.load_ip_adapter(
                sources,
                subfolder=[""] * len(paths),
                weight_name=[p.name for p in paths],
                image_encoder_folder=None,
            )
        layers = pipe.unet.encoder_hid_proj.image_projection_layers
        self._specs = []
        for kind, (ref, variant), layer in zip(wanted, found, layers):
            _adapters.prepare(layer, variant)
            self._specs.append(_identity.AdapterSpec(kind, ref, variant, FACE_SCALE if kind == "face" else DRAWN_SCALE))
        # load_ip_adapter switches every other LoRA off when it adds the FaceID LoRA.
        self._active = None
        self._scales = None

    def identity_inputs(self, kind: str) -> set[str]:
        """What an identity of `kind` ("face"/"drawn") must carry for its adapter, e.g.
        {"arcface", "clip_hidden"} for the default FaceID-Plus-v2 (see `Identity.inputs`). Reads
        the adapter's keys only: no pipeline is built."""
        self._ensure_family()
        return {name for name, _ in self._variant(kind)[1].inputs}

    def _ensure_peels(self, peels: tuple[Peel, ...]) -> None:
        for peel in peels:
            if peel.ref not in self._peels:
                name = f"peel_{len(self._peels)}"
                self._load_lora(peel.ref, name, what="style peel")
                self._peels[peel.ref] = name

    # -- generation ----------------------------------------------------------------------

    def _group_key(self, request: PanelRequest) -> tuple:
        tok = self._pipe.tokenizer
        chunks = _prompts.chunks_needed(tok, request.prompt) if self._family == "sd15" else 1
        regional = _regional.applies(request) and _regional.layout(tok, self._family, request, _prompts.chunks_needed)
        return (request.width, request.height, _identity.signature(request), _identity.shapes(request), chunks,
                request.peels, request.control is not None, regional)

    def _generate_guarded(self, requests: list[PanelRequest]) -> list:
        torch = require("torch", "diffusion")
        try:
            return self._generate(requests)
        except (torch.OutOfMemoryError, RuntimeError) as err:
            if not _out_of_memory(err):
                raise GenerationError(f"{requests[0].label}: generation failed: {_first_line(err)}") from err
        _empty_cache(torch)
        if len(requests) > 1:
            self.progress(f"out of memory with a batch of {len(requests)}: retrying one panel at a time")
            return [image for r in requests for image in self._generate_guarded([r])]
        r = requests[0]
        if not self.offload and self._device.split(":")[0] != "cpu":
            self.progress(f"{r.label}: out of memory, retrying with model CPU offload")
            self.offload = True
            self._pipe.enable_model_cpu_offload(device=self._device)
            self._place()
            return self._generate_guarded(requests)
        raise GenerationError(
            f"{r.label}: out of memory at {r.width}x{r.height} even one panel at a time"
            f"{' with offload' if self.offload else ''}: try --dtype fp16, smaller pages or another device"
        )

    def _generate(self, requests: list[PanelRequest]) -> list:
        first = requests[0]
        for r in requests:
            if r.width % 8 or r.height % 8:
                raise GenerationError(f"{r.label}: panel size {r.width}x{r.height} is not a multiple of 8")
        kinds = {k for k, n in zip(_identity.KINDS, _identity.signature(first)) if n}
        if kinds:
            self._ensure_adapters(kinds)
        self._ensure_peels(first.peels)
        self._set_adapters(first, kinds)
        control = first.control is not None
        images = self._run(self._ensure_control() if control else self._pipe, requests)
        if self.refine:
            # The second pass: the first image upscaled, then redrawn at low strength with
            # the same identities, masks and control at the larger size.
            larger = [_scaled(r, self.refine) for r in requests]
            images = [image.resize((r.width, r.height), _lanczos()) for image, r in zip(images, larger)]
            images = self._run(self._refine_pipe(control), larger, init=images)
            requests = larger
        return [_crop(image, r.crop) for image, r in zip(images, requests)]

    def _run(self, pipe, requests: list[PanelRequest], init: list | None = None) -> list:
        """One pipeline call for `requests` (same size); `init`: img2img from these images."""
        import torch

        first = requests[0]
        cfg = self.guidance > 1 and pipe.unet.config.time_cond_proj_dim is None
        kwargs: dict[str, Any] = {}
        if self._specs:
            embeds, extras, masks, scales = _identity.build(
                requests,
                self._specs,
                cfg=cfg,
                factor=pipe.vae_scale_factor,
                torch=torch,
                device=self._exec_device,
                dtype=self._unet_dtype,
            )
            if scales != self._scales:
                pipe.set_ip_adapter_scale(scales)
                self._scales = scales
            for layer, extra in zip(pipe.unet.encoder_hid_proj.image_projection_layers, extras):
                if extra is not None:  # FaceID-Plus: the face crop's CLIP states ride on the layer
                    layer.clip_embeds = extra
            kwargs["ip_adapter_image_embeds"] = embeds
            if any(m is not None for m in masks):
                kwargs["cross_attention_kwargs"] = {"ip_adapter_masks": masks}
        regional = contextlib.nullcontext()
        if _regional.applies(first):
            prompts, spans, length = _regional.encode(pipe, self._family, requests, cfg, self._exec_device,
                                                      self._unet_dtype, _prompts.chunks_needed, _prompts.encode_chunked)
            kwargs.update(prompts)
            masks = torch.from_numpy(np.stack([_regional.latent_masks(r, pipe.vae_scale_factor) for r in requests]))
            state = _regional.State(masks.to(self._exec_device), spans, length, len(requests) if cfg else 0)
            regional = _regional.installed([pipe.unet, getattr(pipe, "controlnet", None)], state)
        else:
            kwargs.update(self._prompt_kwargs(requests, cfg))
        single = len(requests) == 1
        if first.control is not None:
            controls = [_control_at(r) for r in requests]
            kwargs["control_image" if init is not None else "image"] = controls[0] if single else controls
            kwargs["controlnet_conditioning_scale"] = self.control_scale
        if init is not None:
            kwargs["image"] = init[0] if single else init
            kwargs["strength"] = REFINE_STRENGTH
            steps = math.ceil(self.steps / REFINE_STRENGTH)  # img2img runs steps x strength of them
        else:
            kwargs["height"], kwargs["width"] = first.height, first.width
            steps = self.steps
        generators = [torch.Generator("cpu").manual_seed(r.seed) for r in requests]
        with _quiet(), _per_panel_embeds(pipe, not single), regional:
            result = pipe(
                num_inference_steps=steps,
                guidance_scale=self.guidance,
                **(self._recipe().call_kwargs(self.steps) if self.fast and init is None else {}),
                generator=generators[0] if single else generators,
                **kwargs,
            )
        return result.images

    def _prompt_kwargs(self, requests: list[PanelRequest], cfg: bool) -> dict[str, Any]:
        pipe = self._pipe
        prompts = [r.prompt for r in requests]
        negatives = [r.negative_prompt for r in requests]
        chunks = _prompts.chunks_needed(pipe.tokenizer, prompts[0]) if self._family == "sd15" else 1
        if chunks == 1:
            for r in requests:
                cut = _prompts.truncated_tail(pipe.tokenizer, r.prompt)
                if cut:  # SDXL: two text encoders with pooled outputs; not chunked
                    _log.warning("%s: prompt longer than 77 tokens; the model will not see: %s", r.label, cut)
            if len(requests) == 1:
                return {"prompt": prompts[0], "negative_prompt": negatives[0] if cfg else None}
            return {"prompt": prompts, "negative_prompt": negatives if cfg else None}
        where = (self._exec_device, self._unet_dtype)
        out = {"prompt_embeds": _prompts.encode_chunked(pipe, prompts, chunks, *where)}
        if cfg:
            out["negative_prompt_embeds"] = _prompts.encode_chunked(pipe, negatives, chunks, *where)
        return out

    def _set_adapters(self, request: PanelRequest, kinds: set[str]) -> None:
        """Weight every loaded LoRA for this panel: the fast LoRA on, the FaceID LoRA on only
        when a face is cast, the panel's peels at their weights and other peels at 0."""
        weights: dict[str, float] = {}
        if self.fast:
            weights[_FAST] = 1.0
        if _FACEID in getattr(self._pipe.unet, "peft_config", {}):
            weights[_FACEID] = 1.0 if "face" in kinds else 0.0
        weights.update({name: 0.0 for name in self._peels.values()})
        for peel in request.peels:
            weights[self._peels[peel.ref]] += float(peel.weight)
        state = (tuple(weights), tuple(weights.values()))
        if weights and state != self._active:
            self._pipe.set_adapters(list(weights), adapter_weights=list(weights.values()))
            self._active = state


@contextlib.contextmanager
def _per_panel_embeds(pipe, batched: bool):
    """Let a batch carry one identity set per panel.

    Pipelines treat `ip_adapter_image_embeds` as one set shared by every prompt and repeat it
    batch-size times, which would make each panel attend to every panel's identities. Our
    embeds are already laid out per panel ([negatives..., positives...]), so for a batch they
    go to the UNet as they are. A single panel takes the pipeline's own path unchanged.
    """
    if not batched:
        yield
        return
    pipe.prepare_ip_adapter_image_embeds = lambda image, embeds, device, *rest: [e.to(device) for e in embeds]
    try:
        yield
    finally:
        del pipe.prepare_ip_adapter_image_embeds


def _weights_source(path: Path, what: str) -> tuple[Any, dict[str, str]]:
    """What diffusers' loaders get for a weights file: a pickled one (.bin/.pt/.pth/.ckpt)
    as the tensors `storyboard.weights` unpickled with weights_only=True, so diffusers never
    unpickles anything itself; a .safetensors file as its folder and name (kwargs)."""
    if weights.is_pickled(path):
        return weights.load_state_dict(path, what), {}
    return str(path.parent), {"weight_name": path.name}


def _compile(pipe) -> None:
    """channels_last and torch.compile for the UNet and the VAE decoder, in place: the first
    panel of each shape compiles (minutes on a GPU), the rest run faster. Pixels stay those of
    the eager path up to float rounding, so the cache key ignores it."""
    import torch

    for module in (pipe.unet, pipe.vae):
        module.to(memory_format=torch.channels_last)
    pipe.unet.compile()
    pipe.vae.decoder.compile()


def _family(source: Path, ref: str) -> str:
    """'sdxl' or 'sd15', from the folder's model_index.json or a single file's keys."""
    if source.is_dir():
        index = source / "model_index.json"
        if not index.is_file():
            raise GenerationError(f"model '{ref}': {source} is not a diffusers pipeline folder (no model_index.json)")
        try:
            index_data = json.loads(index.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:  # ValueError: not JSON, not UTF-8
            raise GenerationError(f"model '{ref}': {index} is not a readable JSON file ({_first_line(err)})") from None
        name = index_data.get("_class_name", "") if isinstance(index_data, dict) else ""
        if not isinstance(name, str):
            name = ""
        if "XL" in name:
            return "sdxl"
        if name.startswith("StableDiffusion"):
            return "sd15"
        raise GenerationError(f"model '{ref}' is a {name or 'pipeline of unknown kind'}: only Stable Diffusion 1.x/2.x and SDXL pipelines are supported")
    if source.suffix != ".safetensors":
        raise GenerationError(f"model '{ref}': single-file checkpoints must be .safetensors (pickled {source.suffix} files are not loaded)")
    from safetensors import safe_open

    try:
        with safe_open(str(source), framework="np") as f:
            keys = f.keys()
    except Exception as err:  # SafetensorError for a damaged or empty file, OSError for an unreadable one
        raise GenerationError(f"model '{ref}': {source} is not a readable .safetensors file ({_first_line(err)})") from None
    return "sdxl" if any(k.startswith("conditioner.embedders.1") for k in keys) else "sd15"


def _geometry_family(source: Path, ref: str) -> str:
    """'sdxl'; 'sd2' for SD 2.x 768 models (OpenCLIP text encoder, 96-latent UNet); else 'sd1'
    (SD 1.x, and SD 2.x base models, which were trained at 512x512)."""
    if _family(source, ref) == "sdxl":
        return "sdxl"
    if source.is_dir():
        config = source / "unet" / "config.json"
        unet = json.loads(config.read_text()) if config.is_file() else {}
        wide = unet.get("cross_attention_dim") == 1024 and (unet.get("sample_size") or 0) >= 96
        return "sd2" if wide else "sd1"
    from safetensors import safe_open

    with safe_open(str(source), framework="np") as f:
        return "sd2" if any(k.startswith("cond_stage_model.model.") for k in f.keys()) else "sd1"


def _crop(image, crop):
    return image if crop is None else image.crop(crop)


def _lanczos():
    from PIL import Image

    return Image.Resampling.LANCZOS


def _scaled(request: PanelRequest, factor: float) -> PanelRequest:
    """`request` at `factor` times its size (sides multiples of 8), its masks resampled there."""
    from PIL import Image

    width, height = (max(8, round(v * factor / 8) * 8) for v in (request.width, request.height))

    def larger(mask):
        image = Image.fromarray(np.asarray(mask, dtype=np.float32)).resize((width, height), Image.Resampling.BILINEAR)
        return np.asarray(image, dtype=np.float32)

    cast = tuple(m if m.mask is None else dataclasses.replace(m, mask=larger(m.mask)) for m in request.cast)
    crop = _geometry.scale_crop(request.crop, width / request.width, height / request.height)
    return dataclasses.replace(request, width=width, height=height, cast=cast, crop=crop)


def _control_at(request: PanelRequest):
    """The request's control image as PIL at the request's size (the second pass is larger)."""
    from PIL import Image

    image = Image.fromarray(request.control)
    if image.size != (request.width, request.height):
        image = image.resize((request.width, request.height), Image.Resampling.NEAREST)
    return image


def _out_of_memory(err: BaseException) -> bool:
    return "out of memory" in str(err).lower()


def _empty_cache(torch) -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _first_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()]
    return (lines[0] if lines else type(err).__name__)[:300]


@contextlib.contextmanager
def _load_errors(what: str):
    """Any failure while loading weights becomes one line naming what was being loaded."""
    try:
        yield
    except GenerationError:
        raise
    except Exception as err:  # foreign loaders raise anything from KeyError to RuntimeError
        detail = _first_line(err)
        if "size mismatch" in str(err):
            detail = "tensor shapes differ (it was made for another base model)"
        raise GenerationError(f"{what}: {detail}") from err


@contextlib.contextmanager
def _quiet():
    """Silence diffusers/transformers/peft chatter (progress bars, LoRA key notes) for a call."""
    import importlib

    loggers = [logging.getLogger(n) for n in ("diffusers", "transformers", "peft")]
    levels = [lg.level for lg in loggers]
    bars = [importlib.import_module(f"{n}.utils.logging") for n in ("diffusers", "transformers")]
    shown = [bar.is_progress_bar_enabled() for bar in bars]
    for lg in loggers:
        lg.setLevel(logging.ERROR + 10)
    for bar in bars:
        bar.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
        for bar, on in zip(bars, shown):
            if on:
                bar.enable_progress_bar()
