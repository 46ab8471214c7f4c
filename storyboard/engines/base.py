"""The contract between planning and engines: one `PanelRequest` in, one PIL image out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:  # keep `import storyboard` free of numpy/PIL work at start-up
    import numpy as np
    from PIL import Image

    from storyboard.staging import StagedFigure

IdentityKind = Literal["face", "drawn"]


@dataclass(frozen=True)
class Identity:
    """A character's identity embedding as produced by the `characters` package.

    `kind` says which adapter consumes it: "face" (ArcFace, 512-d, IP-Adapter FaceID) or
    "drawn" (CLIP image embedding, IP-Adapter Plus). `embedding` is a float32 numpy array:
    shape (512,) for faces; for drawn characters the image-encoder output the adapter expects
    (e.g. (257, 1280) hidden states for Plus, or (D,) pooled embeds).
    """

    kind: IdentityKind
    embedding: "np.ndarray"
    embedder: str = ""  # e.g. "insightface:buffalo_l" — part of the cache key
    # What the different IP-Adapter variants consume, by name (float32 arrays):
    #   "arcface" (512,), "arcface_each" (n, 512): faces only (FaceID, FaceID-Portrait)
    #   "clip_hidden" (tokens, dim): CLIP penultimate hidden states (Plus, Full-Face; FaceID-Plus
    #       takes those of the aligned face crop), "clip_pooled" (dim,): image_embeds (plain)
    # Only what the engine asked for is filled in (see `input`); part of the cache key.
    inputs: "dict[str, np.ndarray]" = field(default_factory=dict, compare=False, hash=False)
    # (embedder name, model reference) of every encoder whose output conditions the panel, e.g.
    # ("insightface", "buffalo_l"), ("clip", "h94/IP-Adapter/models/image_encoder"): recorded in
    # the manifest so `storyboard eval` can tell a judge that grades its own conditioning.
    models: "tuple[tuple[str, str], ...]" = field(default=(), compare=False, hash=False)

    def input(self, name: str) -> "np.ndarray | None":
        """The named adapter input; `embedding` stands in for the one it always is."""
        if name in self.inputs:
            return self.inputs[name]
        main = {"face": "arcface", "drawn": "clip_hidden"}[self.kind]
        if name == main or (self.kind == "drawn" and name == "clip_pooled" and self.embedding.ndim == 1):
            return self.embedding
        if self.kind == "face" and name == "arcface_each":
            return self.embedding[None]
        return None


@dataclass(frozen=True)
class CastMember:
    """One character placed in one panel."""

    id: str
    name: str
    description: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in panel fractions, y down
    expression: str = ""
    pose: str = ""
    identity: Identity | None = None  # None: no identity conditioning (draft engine, no refs)
    prompt: str = ""  # this member's own words (description, expression, pose): its regional prompt
    mask: "np.ndarray | None" = None  # float32 (height, width) in [0, 1], feathered
    tint: int | None = None  # the character's place in the story's cast list: its colour in drafts


@dataclass(frozen=True)
class Peel:
    """A LoRA style module and its weight."""

    ref: str  # resolved local path, or hub id
    weight: float = 1.0


@dataclass(frozen=True)
class PanelRequest:
    """Everything an engine needs to draw one panel; nothing about YAML or pages."""

    scene: int  # index into story.scenes
    panel: int  # index into scene.panels
    label: str  # human name for messages, e.g. "scene 'storm' panel 2"
    prompt: str
    negative_prompt: str
    width: int  # pixels, multiple of 8: the size the engine draws at
    height: int
    seed: int
    # Plain descriptive fields, used by the draft engine to sketch the blocking.
    setting: str = ""
    action: str = ""
    shot: str = "medium"
    angle: str = "eye-level"
    cast: tuple[CastMember, ...] = ()
    # Where each cast member's figure is (cast order): kind, pose, body and head boxes.
    staging: tuple["StagedFigure", ...] = ()
    peels: tuple[Peel, ...] = ()
    # The panel's window of the drawn width x height image, (x0, y0, x1, y1) pixels, when the
    # engine draws at a model's native size rather than the panel's aspect; None: all of it.
    # Cast boxes stay in panel fractions; masks are drawn on the whole image.
    crop: tuple[int, int, int, int] | None = None
    # The prompt without the cast's words (action, framing, setting, style): with two or more
    # cast members it applies everywhere and each member's `prompt` only inside its region.
    scene_prompt: str = ""
    # ControlNet input, uint8 (height, width, 3) at width x height; None: no spatial control.
    control: "np.ndarray | None" = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def output_size(self) -> tuple[int, int]:
        """(width, height) of the image the engine returns: the crop's, else the drawn size."""
        if self.crop is None:
            return self.width, self.height
        x0, y0, x1, y1 = self.crop
        return x1 - x0, y1 - y0


@runtime_checkable
class Engine(Protocol):
    """Turns panel requests into images. Engines know nothing about YAML or pages."""

    name: str
    # Optional class attributes the renderer reads (defaults in parentheses):
    #   generative (True): makes machine-learning images, which get the invisible watermark
    #   uses_identities (True): wants each cast member's identity embedding
    #   renders_at_print_size (False): draws at the page's print resolution directly
    # and optionally a method generation_size(aspect, max_side) -> (width, height): the size to
    # draw a panel of that aspect at (render then cover-crops it to the panel's aspect).

    def settings(self) -> dict[str, Any]:
        """Everything about this engine that changes pixels (name, version, model ids and
        revisions, steps, guidance, scheduler, dtype...). JSON-serialisable; part of the
        panel cache key and of the run manifest."""
        ...

    def render(self, request: PanelRequest) -> "Image.Image":
        """Draw one panel at exactly `request.width` x `request.height`, then return its
        `request.crop` window when one is set."""
        ...
