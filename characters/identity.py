"""What the renderer asks for: the identity of one script character."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from characters.embedders import candidates, make_embedder
from characters.images import load_reference, load_references
from characters.library import CharacterLibrary, _identity
from storyboard.errors import CharacterError

if TYPE_CHECKING:
    from storyboard.engines.base import Identity


def identity_for(
    character_id: str,
    *,
    references: list[Path] | None,
    library_id: str | None,
    kind: str,
    library: CharacterLibrary,
    face_models: str | None = None,
    drawn_encoder: str | None = None,
    inputs: Callable[[str], set[str]] | None = None,
) -> "Identity":
    """The identity embedding of a script character, from its `references:` or its `library:` id.

    References are embedded once and cached in `library` under a key made of their bytes'
    hashes, `kind` and the embedders' model fingerprints. A library character is returned as
    registered, unless `kind` ("face"/"drawn"), `face_models` or `drawn_encoder` ask for a
    different embedding, which is then made from its stored references (and cached).
    `face_models` is the already chosen pack (see `choose_face_models`); None means
    $STORYBOARD_FACE_MODELS, else buffalo_l.

    `inputs(kind)` names, per identity kind, what the engine's adapters read (see `Identity.inputs`:
    "arcface", "arcface_each", "clip_hidden", "clip_pooled"); those are filled in. CLIP inputs of
    a face are made from its aligned face crops with the `drawn_encoder`. A character registered
    before crops or pooled embeddings were stored gets them from its stored references.
    """
    if (references is None) == (library_id is None):
        raise CharacterError(f"character '{character_id}': give either references or a library id")
    if references is not None:
        if not references:
            raise CharacterError(f"character '{character_id}': references is empty")
        embedders = candidates(kind, face_models=face_models, drawn_encoder=drawn_encoder)
        refs = load_references(references)
        found, signature, tensors = library.embed_cached(refs, embedders, kind)
        identity = _identity(found, tensors["mean"], signature)
        return _with_inputs(identity, tensors, inputs, library, drawn_encoder, lambda: tensors)

    character = library.get(library_id)
    wanted = character.kind if kind == "auto" else kind
    asked = face_models if wanted == "face" else drawn_encoder
    if wanted == character.kind and asked in (None, character.embedder.model):
        identity = library.embedding(library_id)
        tensors = library.stored(library_id)
        embedder = None
    else:
        (embedder,) = candidates(wanted, face_models=face_models, drawn_encoder=drawn_encoder)
        identity = library.embedding(library_id, embedder)
        tensors = None

    def upgraded() -> dict:
        """Re-embed the stored references (cached): for what older registrations did not store."""
        refs = [load_reference(character.folder / ref.file) for ref in character.references]
        again = embedder or make_embedder(
            character.kind,
            face_models=character.embedder.model if character.kind == "face" else None,
            drawn_encoder=character.embedder.model if character.kind == "drawn" else None,
        )
        try:
            return library.embed_cached(refs, [again], again.kind)[2]
        except CharacterError as err:
            raise CharacterError(
                f"character '{library_id}' was registered before storyboard kept what this adapter needs; "
                f"re-embedding its stored references failed: {err} (or register it again)"
            ) from None

    return _with_inputs(identity, tensors, inputs, library, drawn_encoder, upgraded)


def _with_inputs(identity, tensors, inputs, library, drawn_encoder, upgraded) -> "Identity":
    """`identity` with the adapter inputs that `inputs` asks for its kind."""
    import dataclasses

    import numpy as np

    wanted = inputs(identity.kind) if inputs else set()
    if not wanted:
        return identity
    needs = {"face_crops"} if identity.kind == "face" and wanted & {"clip_hidden", "clip_pooled"} else set()
    if identity.kind == "drawn" and "clip_pooled" in wanted:
        needs.add("clip_pooled")
    if "arcface_each" in wanted or identity.kind == "drawn":
        needs.add("per_image")
    if tensors is None or not needs <= set(tensors):
        tensors = upgraded()
    out: dict = {}
    models = identity.models
    for name in wanted:
        if name == "arcface":
            out[name] = identity.embedding
        elif name == "arcface_each":
            out[name] = tensors["per_image"]
        elif identity.kind == "drawn":
            out[name] = tensors["per_image"].mean(axis=0) if name == "clip_hidden" else tensors["clip_pooled"].mean(axis=0)
        else:  # a face's CLIP inputs: of its aligned crops, as FaceID-Plus was trained
            encoder = make_embedder("drawn", drawn_encoder=drawn_encoder)
            encoded = library.encode_cached(tensors["face_crops"], encoder)
            out[name] = encoded["hidden" if name == "clip_hidden" else "pooled"].mean(axis=0)
            models = (*models, ("clip", encoder.encoder))
    out = {k: np.asarray(v, dtype=np.float32) for k, v in out.items()}
    return dataclasses.replace(identity, inputs=out, models=tuple(dict.fromkeys(models)))
