"""What each IP-Adapter variant reads, made by the character library: ArcFace per reference,
aligned face crops and their CLIP states (FaceID-Plus), pooled CLIP embeds (plain adapter)."""

import hashlib
import json

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from characters import CharacterLibrary, FaceIdentity, identity_for
from storyboard.errors import CharacterError
from tests.characters.tinymodels import pattern

ALL = {"arcface", "arcface_each", "clip_hidden", "clip_pooled"}


@pytest.fixture
def library(library_root):
    return CharacterLibrary(library_root)


@pytest.fixture
def mara(library, face_pack, mara_images):
    return library.register("mara", mara_images[:2], face_models=str(face_pack))


def test_registration_stores_aligned_face_crops(library, mara):
    crops = library.stored("mara")["face_crops"]
    assert crops.dtype == np.uint8 and crops.shape == (2, 224, 224, 3)
    # The tiny detector's keypoints align the face square onto the whole crop: its 4x4 colour
    # pattern fills the crop (away from the cell borders, where resampling blends colours).
    cell = 224 // 4
    centres = crops[0][cell // 2 :: cell, cell // 2 :: cell].astype(int)
    assert np.abs(centres - pattern(1).astype(int)).max() <= 40


def test_face_inputs_from_crops_through_the_clip_encoder(library, mara, clip_encoder):
    identity = identity_for("m", references=None, library_id="mara", kind="auto", library=library,
                            drawn_encoder=str(clip_encoder), inputs=lambda kind: ALL)
    got = {k: v.shape for k, v in identity.inputs.items()}
    assert got == {"arcface": (512,), "arcface_each": (2, 512), "clip_hidden": (17, 32), "clip_pooled": (16,)}
    assert np.array_equal(identity.inputs["arcface"], identity.embedding)
    # The CLIP states are of the crops, not of the whole reference pictures.
    from characters import DrawnIdentity
    from PIL import Image

    crops = library.stored("mara")["face_crops"]
    hidden, pooled = DrawnIdentity(str(clip_encoder)).encode([Image.fromarray(c) for c in crops])
    assert np.allclose(identity.inputs["clip_hidden"], hidden.mean(axis=0), atol=1e-5)
    assert np.allclose(identity.inputs["clip_pooled"], pooled.mean(axis=0), atol=1e-5)


def test_drawn_inputs_keep_the_unnormalised_pooled_embedding(library, face_pack, clip_encoder, drawn_images):
    identity = identity_for("cat", references=drawn_images, library_id=None, kind="drawn", library=library,
                            drawn_encoder=str(clip_encoder), inputs=lambda kind: {"clip_hidden", "clip_pooled"})
    pooled = identity.inputs["clip_pooled"]
    assert pooled.shape == (16,) and not np.isclose(np.linalg.norm(pooled), 1.0)
    assert np.array_equal(identity.inputs["clip_hidden"], identity.embedding)


def _as_registered_before_crops(library, id):
    """Make a character look like one registered by an older storyboard (no face_crops)."""
    folder = library.root / id
    tensors = {k: v for k, v in load_file(folder / "embeddings.safetensors").items() if k != "face_crops"}
    save_file(tensors, str(folder / "embeddings.safetensors"))
    record = json.loads((folder / "character.json").read_text())
    record["embeddings"]["sha256"] = hashlib.sha256((folder / "embeddings.safetensors").read_bytes()).hexdigest()
    (folder / "character.json").write_text(json.dumps(record))


def test_older_character_gets_crops_from_its_stored_references(library, mara, clip_encoder, monkeypatch):
    want = identity_for("m", references=None, library_id="mara", kind="auto", library=library,
                        drawn_encoder=str(clip_encoder), inputs=lambda kind: ALL)
    _as_registered_before_crops(library, "mara")
    old = identity_for("m", references=None, library_id="mara", kind="auto", library=library,
                       drawn_encoder=str(clip_encoder), inputs=lambda kind: ALL)
    for name in ALL:
        assert np.allclose(old.inputs[name], want.inputs[name], atol=1e-5)

    def no_models(self):
        raise CharacterError("face model pack 'gone' is missing")

    # The re-embedding is cached; without it and without face models the message says how.
    for entry in (library.root / ".cache").glob("*.safetensors"):
        entry.unlink()
    monkeypatch.setattr(FaceIdentity, "folder", no_models)
    with pytest.raises(CharacterError, match="registered before .* re-embedding its stored references failed") as err:
        identity_for("m", references=None, library_id="mara", kind="auto", library=library,
                     drawn_encoder=str(clip_encoder), inputs=lambda kind: {"clip_hidden"})
    assert "\n" not in str(err.value)
    # What the old character has (ArcFace) still works without any model.
    assert identity_for("m", references=None, library_id="mara", kind="auto", library=library,
                        inputs=lambda kind: {"arcface"}).inputs["arcface"].shape == (512,)
