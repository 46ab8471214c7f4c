"""FaceIdentity and DrawnIdentity on tiny local models through the real InsightFace
`FaceAnalysis`/`model_zoo` and transformers loading paths."""

import numpy as np
import pytest

from characters import DrawnIdentity, FaceIdentity, NoUsableFaceError, load_reference
from characters.embedders import candidates, embed_references
from storyboard.errors import CharacterError
from tests.characters.conftest import save
from tests.characters.tinymodels import face_image


def refs(paths):
    return [load_reference(p) for p in paths]


def test_face_pack_is_routed_by_insightface(face_pack):
    embedder = FaceIdentity(str(face_pack))
    app = embedder._load()
    assert type(app.models["detection"]).__name__ == "SCRFD"
    assert type(app.models["recognition"]).__name__ == "ArcFaceONNX"


def test_face_embedding_is_the_largest_face_normalised(face_pack, mara_images):
    embeddings = FaceIdentity(str(face_pack)).embed(refs(mara_images))
    assert embeddings.kind == "face" and embeddings.per_image.shape == (3, 512)
    assert np.allclose(np.linalg.norm(embeddings.per_image, axis=1), 1, atol=1e-5)
    mean = embeddings.per_image.mean(axis=0)
    assert np.allclose(embeddings.mean, mean / np.linalg.norm(mean), atol=1e-6)
    # mara-3 also shows a smaller face of someone else: the largest one (mara) is used.
    assert embeddings.per_image[0] @ embeddings.per_image[2] > 0.99


def test_different_faces_differ(face_pack, tmp_path):
    theo = save(face_image([(2, 64, 64, 64)]), tmp_path / "theo.png")
    mara = save(face_image([(1, 64, 64, 64)]), tmp_path / "mara.png")
    vectors = FaceIdentity(str(face_pack)).embed(refs([theo, mara])).per_image
    assert vectors[0] @ vectors[1] < 0.3


@pytest.mark.parametrize(
    "faces, message",
    [
        ([], "no face found; use --kind drawn"),
        ([(1, 0, 0, 64), (2, 128, 128, 64)], "2 faces of similar size"),
        ([(1, 64, 64, 32)], "the face is only 32 px across"),
    ],
    ids=["none", "two-equal", "too-small"],
)
def test_unusable_faces_name_the_image(face_pack, tmp_path, faces, message):
    path = save(face_image(faces), tmp_path / "group.png")
    with pytest.raises(NoUsableFaceError, match=message) as err:
        FaceIdentity(str(face_pack)).embed(refs([path]))
    assert str(path) in str(err.value) and "--kind drawn" in str(err.value)


def test_disagreeing_reference_is_named(face_pack, mara_images, tmp_path):
    theo = save(face_image([(2, 64, 64, 64)]), tmp_path / "theo.png")
    embedder = FaceIdentity(str(face_pack))
    with pytest.raises(CharacterError, match=r"^theo.png \(-?0\.\d\d\) does not look like the other references"):
        embed_references(refs([*mara_images, theo]), [embedder])
    with pytest.raises(CharacterError, match="mara-1.jpg and theo.png do not look like the same character"):
        embed_references(refs([mara_images[0], theo]), [embedder])


def test_missing_pack_says_where_it_is_expected(tmp_path):
    embedder = FaceIdentity("buffalo_l")  # HOME is a fresh folder in tests
    with pytest.raises(CharacterError) as err:
        embedder.signature()
    message = str(err.value)
    assert "face model pack 'buffalo_l' is missing" in message
    assert str(tmp_path / "home" / ".insightface" / "models" / "buffalo_l") in message
    with pytest.raises(CharacterError, match="face model folder ./nowhere does not exist"):
        FaceIdentity("./nowhere").signature()


def test_folder_without_a_detector_is_refused(face_pack, tmp_path):
    only_recognition = tmp_path / "half-pack"
    only_recognition.mkdir()
    (only_recognition / "w600k.onnx").write_bytes((face_pack / "w600k_tiny.onnx").read_bytes())
    with pytest.raises(CharacterError, match="no detection model"):
        FaceIdentity(str(only_recognition))._load()


def test_signature_follows_the_model_files(face_pack, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for file in face_pack.glob("*.onnx"):
        (copy / file.name).write_bytes(file.read_bytes())
    assert FaceIdentity(str(copy)).signature().version == FaceIdentity(str(face_pack)).signature().version
    (copy / "w600k_tiny.onnx").write_bytes((copy / "w600k_tiny.onnx").read_bytes() + b"\0")
    assert FaceIdentity(str(copy)).signature().version != FaceIdentity(str(face_pack)).signature().version


def test_drawn_identity_is_penultimate_hidden_states(clip_encoder, drawn_images):
    import torch
    from transformers import CLIPVisionModelWithProjection

    embedder = DrawnIdentity(str(clip_encoder))
    embeddings = embedder.embed(refs(drawn_images))
    assert embeddings.kind == "drawn"
    assert embeddings.per_image.shape == (2, 17, 32)  # 4x4 patches + class token, hidden size 32
    assert np.allclose(embeddings.mean, embeddings.per_image.mean(axis=0))
    assert np.allclose(np.linalg.norm(embeddings.pooled, axis=1), 1, atol=1e-5)
    model, processor, _ = embedder._load()
    pixels = processor(images=[refs(drawn_images)[0].image], return_tensors="pt").pixel_values
    with torch.inference_mode():
        direct = CLIPVisionModelWithProjection.from_pretrained(clip_encoder)(pixels, output_hidden_states=True)
    assert np.allclose(embeddings.per_image[0], direct.hidden_states[-2][0].numpy(), atol=1e-5)


def test_missing_encoder_offline(tmp_path):
    with pytest.raises(CharacterError) as err:
        DrawnIdentity("someone/encoder/models/image_encoder").signature()
    message = str(err.value)
    assert "someone/encoder (folder models/image_encoder) is missing" in message
    assert "HF_HUB_OFFLINE" in message and "\n" not in message


def test_auto_falls_back_to_drawn(face_pack, clip_encoder, drawn_images):
    embedders = candidates("auto", face_models=str(face_pack), drawn_encoder=str(clip_encoder))
    signature, embeddings = embed_references(refs(drawn_images), embedders)
    assert embeddings.kind == "drawn" and signature.name == "clip"


def test_auto_prefers_faces(face_pack, clip_encoder, mara_images):
    embedders = candidates("auto", face_models=str(face_pack), drawn_encoder=str(clip_encoder))
    signature, embeddings = embed_references(refs(mara_images), embedders)
    assert embeddings.kind == "face" and signature.name == "insightface"


def test_auto_without_the_face_pack_registers_drawn_with_a_notice(tmp_path, clip_encoder, drawn_images, caplog):
    empty = tmp_path / "insightface-root"  # no buffalo_l unzipped here: the pack is absent
    embedders = candidates("auto", face_models=str(empty / "models" / "buffalo_l"), drawn_encoder=str(clip_encoder))
    assert [e.kind for e in embedders] == ["drawn"]
    assert any("kind auto" in r.message and "using kind drawn" in r.message for r in caplog.records)
    signature, embeddings = embed_references(refs(drawn_images), embedders)
    assert embeddings.kind == "drawn"


def test_auto_without_the_faces_extra_registers_drawn(monkeypatch, face_pack, clip_encoder):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "insightface" else real(name, *a))
    embedders = candidates("auto", face_models=str(face_pack), drawn_encoder=str(clip_encoder))
    assert [e.kind for e in embedders] == ["drawn"]
