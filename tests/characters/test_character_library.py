import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

import characters
from characters import CharacterLibrary, FaceIdentity, identity_for
from storyboard.engines.base import Identity
from storyboard.errors import CharacterError
from tests.characters.conftest import save, tree
from tests.characters.tinymodels import face_image


@pytest.fixture
def library(library_root):
    return CharacterLibrary(library_root)


@pytest.fixture
def mara(library, face_pack, mara_images):
    return library.register("mara", mara_images[:2], name="Mara", description="yellow raincoat",
                            face_models=str(face_pack))


def test_register_writes_the_documented_format(library, mara, mara_images, face_pack):
    folder = library.root / "mara"
    record = json.loads((folder / "character.json").read_text())
    assert record["format"] == 1 and record["id"] == "mara" and record["name"] == "Mara"
    assert record["kind"] == "face" and record["requested_kind"] == "auto"
    assert record["embedder"]["name"] == "insightface" and record["embedder"]["model"] == str(face_pack)
    assert [r["sha256"] for r in record["references"]] == [characters.load_reference(p).sha256 for p in mara_images[:2]]
    assert (folder / "references" / "01.jpg").read_bytes() == mara_images[0].read_bytes()
    assert (folder / "thumbnails" / "02.png").is_file()
    tensors = load_file(folder / "embeddings.safetensors")
    mean = tensors["per_image"].mean(axis=0)
    assert np.allclose(tensors["mean"], mean / np.linalg.norm(mean), atol=1e-6)
    assert sorted(p.name for p in library.root.iterdir()) == ["mara"]  # no temporary leftovers


def test_get_list_embedding_remove(library, mara):
    assert library.get("mara") == mara
    assert [c.id for c in library.list()] == ["mara"]
    identity = library.embedding("mara")
    assert isinstance(identity, Identity) and identity.kind == "face"
    assert identity.embedding.shape == (512,) and identity.embedding.dtype == np.float32
    assert identity.embedder.startswith("insightface:")
    library.remove("mara")
    assert library.list() == [] and not (library.root / "mara").exists()


def test_unknown_id_suggests_a_close_one(library, mara):
    with pytest.raises(CharacterError, match=r"no character 'marra' .* \(did you mean 'mara'\?\)"):
        library.get("marra")
    with pytest.raises(CharacterError, match="no character '../mara'"):
        library.get("../mara")


def test_register_refuses_before_touching_the_library(library, mara, mara_images, face_pack):
    before = tree(library.root)
    for call, message in [
        (lambda: library.register("Mara", mara_images), "invalid character id 'Mara'"),
        (lambda: library.register("mara", mara_images), "already exists"),
        (lambda: library.register("x", mara_images, kind="photo"), "unknown character kind 'photo'"),
        (lambda: library.register("x", []), "at least one reference"),
        (lambda: library.register("x", mara_images, kind="face", face_models="no_such_pack"), "is missing"),
    ]:
        with pytest.raises(CharacterError, match=message):
            call()
    assert tree(library.root) == before


def test_interrupted_register_leaves_nothing_half_done(library, mara, mara_images, face_pack, monkeypatch):
    from characters import library as module

    real_write = module._write

    def write(path, data):
        if path.name == "character.json":
            raise KeyboardInterrupt
        real_write(path, data)

    monkeypatch.setattr(module, "_write", write)
    with pytest.raises(KeyboardInterrupt):
        library.register("theo", mara_images, face_models=str(face_pack))
    assert sorted(p.name for p in library.root.iterdir()) == ["mara"]


@pytest.mark.slow
def test_killed_register_leaves_the_library_loadable(library, mara, mara_images, face_pack):
    """The process dies (no cleanup at all) between writing the embeddings and the JSON."""
    script = f"""
import os, sys
sys.path.insert(0, {str(Path(__file__).parents[2])!r})
from characters import library as module
real_write = module._write
def write(path, data):
    if path.name == "character.json":
        os._exit(9)
    real_write(path, data)
module._write = write
module.CharacterLibrary({str(library.root)!r}).register(
    "theo", {[str(p) for p in mara_images]!r}, face_models={str(face_pack)!r})
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 9, result.stderr
    leftovers = [p for p in library.root.iterdir() if p.name.startswith(".tmp-")]
    assert leftovers and (leftovers[0] / "embeddings.safetensors").is_file()
    assert [c.id for c in library.list()] == ["mara"]
    with pytest.raises(CharacterError, match="no character 'theo'"):
        library.get("theo")
    assert library.register("theo", mara_images, face_models=str(face_pack)).id == "theo"


def test_damaged_and_foreign_folders_are_named(library, mara):
    (library.root / "holiday-photos").mkdir()
    with pytest.raises(CharacterError, match=r"holiday-photos is not a valid storyboard character: no character.json"):
        library.list()
    with pytest.raises(CharacterError, match="not removing"):
        library.remove("holiday-photos")
    (library.root / "holiday-photos").rmdir()

    embeddings = library.root / "mara" / "embeddings.safetensors"
    embeddings.write_bytes(embeddings.read_bytes()[:-4])
    with pytest.raises(CharacterError, match=r"mara is not a valid storyboard character: .* does not match"):
        library.get("mara")
    record = library.root / "mara" / "character.json"
    record.write_text(record.read_text().replace('"format": 1', '"format": 7'))
    with pytest.raises(CharacterError, match="format 7, this storyboard reads format 1"):
        library.list()
    record.write_text("{ not json")
    with pytest.raises(CharacterError, match="character.json is unreadable"):
        library.get("mara")
    library.remove("mara")  # a damaged character can still be removed
    assert library.list() == []


def test_library_root_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("STORYBOARD_LIBRARY", str(tmp_path / "env-lib"))
    assert CharacterLibrary().root == tmp_path / "env-lib"
    assert CharacterLibrary(tmp_path / "explicit").root == tmp_path / "explicit"
    monkeypatch.delenv("STORYBOARD_LIBRARY")
    assert CharacterLibrary().root.name == "characters"


def test_face_models_precedence(monkeypatch):
    assert characters.choose_face_models() == "buffalo_l"
    assert characters.choose_face_models(script="antelopev2") == "antelopev2"
    monkeypatch.setenv("STORYBOARD_FACE_MODELS", "/packs/mine")
    assert characters.choose_face_models(script="antelopev2") == "/packs/mine"
    assert characters.choose_face_models("cli-pack", "antelopev2") == "cli-pack"


def test_identity_for_references_is_cached(library, face_pack, mara_images, monkeypatch):
    first = identity_for("mara", references=mara_images, library_id=None, kind="face",
                         library=library, face_models=str(face_pack))
    assert first.kind == "face" and first.embedding.shape == (512,)
    assert len(list((library.root / ".cache").glob("*.safetensors"))) == 1

    def no_recompute(self, references):
        raise AssertionError("embedded again despite the cache")

    monkeypatch.setattr(FaceIdentity, "embed", no_recompute)
    again = identity_for("mara", references=mara_images, library_id=None, kind="face",
                         library=library, face_models=str(face_pack))
    assert np.array_equal(again.embedding, first.embedding) and again.embedder == first.embedder
    with pytest.raises(AssertionError):  # other images: a different key
        identity_for("mara", references=mara_images[:2], library_id=None, kind="face",
                     library=library, face_models=str(face_pack))


def test_identity_for_auto_references_records_drawn(library, face_pack, clip_encoder, drawn_images):
    identity = identity_for("cat", references=drawn_images, library_id=None, kind="auto",
                            library=library, face_models=str(face_pack), drawn_encoder=str(clip_encoder))
    assert identity.kind == "drawn" and identity.embedding.shape == (17, 32)
    assert identity.embedder.startswith("clip:")


def test_identity_for_library_character(library, mara, face_pack, clip_encoder):
    stored = library.embedding("mara")
    found = identity_for("keeper", references=None, library_id="mara", kind="auto", library=library)
    assert np.array_equal(found.embedding, stored.embedding) and found.embedder == stored.embedder
    same = identity_for("keeper", references=None, library_id="mara", kind="face", library=library,
                        face_models=str(face_pack))
    assert np.array_equal(same.embedding, stored.embedding)
    with pytest.raises(CharacterError, match="did you mean 'mara'"):
        identity_for("keeper", references=None, library_id="maria", kind="auto", library=library)
    # Asking for a drawn identity re-embeds the stored reference copies with the CLIP encoder.
    drawn = identity_for("keeper", references=None, library_id="mara", kind="drawn", library=library,
                         drawn_encoder=str(clip_encoder))
    assert drawn.kind == "drawn" and drawn.embedding.shape == (17, 32)


def test_identity_for_needs_exactly_one_source(library, mara_images):
    with pytest.raises(CharacterError, match="either references or a library id"):
        identity_for("x", references=mara_images, library_id="mara", kind="auto", library=library)
    with pytest.raises(CharacterError, match="either references or a library id"):
        identity_for("x", references=None, library_id=None, kind="auto", library=library)


def test_swapped_in_embedder(library, face_pack, tmp_path):
    """Any object with the embedder interface can stand in, e.g. another face model pack."""
    embedder = FaceIdentity(str(face_pack), min_face=16)
    path = save(face_image([(3, 64, 64, 32)]), tmp_path / "small.png")
    character = library.register("pip", [path], embedder=embedder)
    assert character.kind == "face" and character.requested_kind == "auto"


def test_same_weights_elsewhere_reuse_the_stored_identity(library, mara, face_pack, tmp_path, monkeypatch):
    moved = tmp_path / "moved-pack"
    moved.mkdir()
    for file in face_pack.glob("*.onnx"):
        (moved / file.name).write_bytes(file.read_bytes())
    monkeypatch.setattr(FaceIdentity, "embed", lambda self, refs: pytest.fail("re-embedded"))
    found = identity_for("keeper", references=None, library_id="mara", kind="face", library=library,
                         face_models=str(moved))
    assert np.array_equal(found.embedding, library.embedding("mara").embedding)


def test_disk_errors_become_character_errors(library, mara, mara_images, face_pack, monkeypatch):
    from characters import library as module

    def full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(module, "_write", full)
    with pytest.raises(CharacterError, match="cannot write to the character library .*No space left"):
        library.register("theo", mara_images, face_models=str(face_pack))
    assert sorted(p.name for p in library.root.iterdir()) == ["mara"]
