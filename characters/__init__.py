"""The character library: register characters from reference images into identities.

    from characters import CharacterLibrary
    library = CharacterLibrary()                      # $STORYBOARD_LIBRARY or the user data folder
    library.register("mara", ["a.jpg", "b.jpg"], name="Mara", kind="auto")
    identity = library.embedding("mara")              # storyboard.engines.base.Identity

Heavy libraries (InsightFace, torch, transformers) load only when something is embedded.
"""

from characters.drawn import DEFAULT_ENCODER, DrawnIdentity
from characters.embedders import (
    Embeddings,
    IdentityEmbedder,
    NoUsableFaceError,
    Signature,
    choose_face_models,
)
from characters.face import FaceIdentity
from characters.identity import identity_for
from characters.images import ReferenceImage, load_reference
from characters.library import Character, CharacterLibrary, StoredReference, default_root

__all__ = [
    "DEFAULT_ENCODER",
    "Character",
    "CharacterLibrary",
    "DrawnIdentity",
    "Embeddings",
    "FaceIdentity",
    "IdentityEmbedder",
    "NoUsableFaceError",
    "ReferenceImage",
    "Signature",
    "StoredReference",
    "choose_face_models",
    "default_root",
    "identity_for",
    "load_reference",
]
