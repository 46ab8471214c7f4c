"""The identity-embedder interface, and what every embedder shares.

An embedder turns reference images into `Embeddings`. Two ship with storyboard:
`FaceIdentity` (InsightFace detection + ArcFace, for real faces) and `DrawnIdentity`
(a CLIP image encoder, for drawn, animal and object characters). Anything with the same
three members can be passed instead, e.g. a permissively licensed face model.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Sequence, runtime_checkable

from storyboard.errors import CharacterError

if TYPE_CHECKING:
    import numpy as np

    from characters.images import ReferenceImage

KINDS = ("face", "drawn", "auto")


class NoUsableFaceError(CharacterError):
    """A reference has no single clear face; `kind="auto"` falls back to drawn on this."""


@dataclass(frozen=True)
class Signature:
    """Names the embedder and exactly which model weights it uses (no model is loaded)."""

    name: str  # "insightface", "clip"
    model: str  # the model reference as the user gave it, e.g. "buffalo_l"
    version: str  # fingerprint of the weight files, so a swapped model never reuses old embeddings

    def __str__(self) -> str:
        return f"{self.name}:{self.model}@{self.version[:12]}"

    @property
    def key(self) -> str:
        """What decides the numbers: the same weights give the same embeddings wherever they lie."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class Embeddings:
    """What an embedder makes of a list of references.

    `per_image`: what the adapter consumes, one row per reference ((n, 512) ArcFace vectors;
    (n, tokens, dim) CLIP hidden states). `mean`: the identity itself: the re-normalised mean
    for faces, the plain mean of hidden states for drawn. `pooled`: one unit vector per
    reference, used to check that the references agree.
    """

    kind: str
    per_image: "np.ndarray"
    mean: "np.ndarray"
    pooled: "np.ndarray"
    # Per reference, what other adapters need: "face_crops" (n, 224, 224, 3) uint8, the aligned
    # faces (InsightFace norm_crop) FaceID-Plus embeds with CLIP; "clip_pooled" (n, D), CLIP's
    # unnormalised image_embeds, which the plain IP-Adapter reads.
    extras: "dict[str, np.ndarray]" = field(default_factory=dict)


@runtime_checkable
class IdentityEmbedder(Protocol):
    kind: str  # "face" or "drawn"
    agreement: float  # lowest cosine similarity of one reference to the others' mean

    def signature(self) -> Signature: ...

    def embed(self, references: Sequence["ReferenceImage"]) -> Embeddings: ...


def normalised(vectors: "np.ndarray") -> "np.ndarray":
    import numpy as np

    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def check_agreement(
    references: Sequence["ReferenceImage"], pooled: "np.ndarray", threshold: float
) -> None:
    """Refuse references whose identity disagrees with the rest instead of averaging them in.

    Each reference is compared with the normalised mean of the others; with two references
    that is simply their similarity, and neither can be blamed alone.
    """
    import numpy as np

    count = len(references)
    if count < 2:
        return
    total = pooled.sum(axis=0)
    similarity = [
        float(np.dot(pooled[i], normalised(total - pooled[i]))) for i in range(count)
    ]
    if count == 2 and similarity[0] < threshold:
        raise CharacterError(
            f"{references[0].name} and {references[1].name} do not look like the same character "
            f"(similarity {similarity[0]:.2f}, below {threshold:.2f}); register them separately"
        )
    odd = [f"{ref.name} ({s:.2f})" for ref, s in zip(references, similarity) if s < threshold]
    if odd:
        raise CharacterError(
            f"{', '.join(odd)} {'does' if len(odd) == 1 else 'do'} not look like the other "
            f"references (similarity below {threshold:.2f}); remove "
            f"{'it' if len(odd) == 1 else 'them'} or register separately"
        )


def fingerprint(files: Sequence[Path]) -> str:
    """A cheap, content-based fingerprint of model files: names, sizes, first and last MiB.

    Hashing whole multi-gigabyte weight files on every run would cost seconds; a changed
    model changes its size or its head/tail in practice.
    """
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.name):
        size = file.stat().st_size
        digest.update(f"{file.name}\0{size}\0".encode())
        with open(file, "rb") as stream:
            digest.update(stream.read(1 << 20))
            if size > 2 << 20:
                stream.seek(-(1 << 20), os.SEEK_END)
                digest.update(stream.read())
    return digest.hexdigest()


def model_record(name: str, ref: str) -> dict:
    """What one conditioning model is (`Identity.models`), found without downloading anything:
    {"name", "ref", "path": its local folder (None when it is not here), "version": the content
    fingerprint its embedder's `Signature` carries (None likewise)}. Two records with the same
    path or version are the same weights."""
    from storyboard.errors import StoryboardError

    folder = version = None
    try:
        if name == "insightface":
            from characters.face import FaceIdentity

            folder = FaceIdentity(ref).folder()
            version = FaceIdentity(str(folder)).signature().version
        elif name == "clip":
            from characters.drawn import DrawnIdentity, cached_folder

            folder = cached_folder(ref)
            version = DrawnIdentity(str(folder)).signature().version if folder else None
    except (StoryboardError, OSError):
        folder = version = None
    return {"name": name, "ref": ref, "path": str(folder.resolve()) if folder else None, "version": version}


def choose_face_models(flag: str | None = None, script: str | None = None) -> str:
    """The face model pack: `--face-models`, else $STORYBOARD_FACE_MODELS, else the script's
    `generation.face_models`, else InsightFace's `buffalo_l`."""
    return flag or os.environ.get("STORYBOARD_FACE_MODELS") or script or "buffalo_l"


def make_embedder(
    kind: str, *, face_models: str | None = None, drawn_encoder: str | None = None
) -> IdentityEmbedder:
    """The stock embedder for `kind` ("face" or "drawn"); nothing is loaded until `embed`."""
    if kind == "face":
        from characters.face import FaceIdentity

        return FaceIdentity(choose_face_models(face_models))
    if kind == "drawn":
        from characters.drawn import DrawnIdentity

        return DrawnIdentity(drawn_encoder)
    raise CharacterError(f"unknown character kind '{kind}' (use face, drawn or auto)")


def candidates(
    kind: str,
    *,
    face_models: str | None = None,
    drawn_encoder: str | None = None,
    embedder: IdentityEmbedder | None = None,
) -> list[IdentityEmbedder]:
    """The embedders to try, in order: one for "face" or "drawn", face then drawn for "auto"."""
    if embedder is not None:
        if kind not in ("auto", embedder.kind):
            raise CharacterError(f"kind '{kind}' does not match the given {embedder.kind} embedder")
        return [embedder]
    if kind == "auto":
        face = make_embedder("face", face_models=face_models)
        drawn = make_embedder("drawn", drawn_encoder=drawn_encoder)
        missing = face.unavailable()
        if missing:  # a cartoon robot must not need the (non-commercial) face pack
            logging.getLogger("storyboard").warning(f"kind auto: {missing}; using kind drawn")
            return [drawn]
        return [face, drawn]
    return [make_embedder(kind, face_models=face_models, drawn_encoder=drawn_encoder)]


def embed_references(
    references: Sequence["ReferenceImage"], embedders: Sequence[IdentityEmbedder]
) -> tuple[Signature, Embeddings]:
    """Embed with the first embedder that finds what it needs in every reference.

    Only "no usable face" moves on to the next embedder; a missing model or references that
    disagree are errors, so a photo is never silently registered as a drawing.
    """
    for position, embedder in enumerate(embedders):
        try:
            embeddings = embedder.embed(references)
        except NoUsableFaceError:
            if position == len(embedders) - 1:
                raise
            continue
        check_agreement(references, embeddings.pooled, embedder.agreement)
        return embedder.signature(), embeddings
    raise CharacterError("no identity embedder given")
