"""What the renderer asks for: the identity of one script character."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from characters.embedders import candidates
from characters.images import load_references
from characters.library import CharacterLibrary
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
) -> "Identity":
    """The identity embedding of a script character, from its `references:` or its `library:` id.

    References are embedded once and cached in `library` under a key made of their bytes'
    hashes, `kind` and the embedders' model fingerprints. A library character is returned as
    registered, unless `kind` ("face"/"drawn"), `face_models` or `drawn_encoder` ask for a
    different embedding, which is then made from its stored references (and cached).
    `face_models` is the already chosen pack (see `choose_face_models`); None means
    $STORYBOARD_FACE_MODELS, else buffalo_l.
    """
    if (references is None) == (library_id is None):
        raise CharacterError(f"character '{character_id}': give either references or a library id")
    if references is not None:
        if not references:
            raise CharacterError(f"character '{character_id}': references is empty")
        embedders = candidates(kind, face_models=face_models, drawn_encoder=drawn_encoder)
        return library.identity_of(load_references(references), embedders, kind)

    character = library.get(library_id)
    wanted = character.kind if kind == "auto" else kind
    asked = face_models if wanted == "face" else drawn_encoder
    if wanted == character.kind and asked in (None, character.embedder.model):
        return library.embedding(library_id)
    (embedder,) = candidates(wanted, face_models=face_models, drawn_encoder=drawn_encoder)
    return library.embedding(library_id, embedder)
