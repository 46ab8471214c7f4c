"""The second judges: InsightFace ArcFace (a model pack) and a CLIP image encoder, on tiny local
models with the real file layouts and loading paths (tests/characters/tinymodels.py). These
models are not trained: the tests check wiring (matching, places, the `biased` flag, the
report), not accuracy; dlib's trained model covers real photographs (test_eval.py)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("dlib")
pytest.importorskip("scipy")

from characters.embedders import model_record  # noqa: E402
from storyboard.errors import StoryboardError  # noqa: E402
from storyboard.evaluation import Judges, is_biased, references_from_images, score_panel  # noqa: E402
from tests.characters.tinymodels import drawing, face_image  # noqa: E402


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No test reads the user's model packs, Hugging Face cache or the network."""
    monkeypatch.delenv("STORYBOARD_FACE_MODELS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("STORYBOARD_FINGERPRINTS", str(tmp_path / "fingerprints.json"))


@pytest.fixture(scope="module")
def face_pack(tmp_path_factory) -> Path:
    pytest.importorskip("insightface")
    pytest.importorskip("onnx")
    from tests.characters.tinymodels import build_face_pack

    return build_face_pack(tmp_path_factory.mktemp("face-pack"))


def clip_encoder(folder: Path, seed: int = 0) -> Path:
    pytest.importorskip("transformers")
    import torch
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(seed)
    config = CLIPVisionConfig(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                              image_size=32, patch_size=8, projection_dim=16)
    CLIPVisionModelWithProjection(config).eval().save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> Path:
    return clip_encoder(tmp_path_factory.mktemp("clip") / "image_encoder")


def test_without_its_pack_the_arcface_judge_is_not_available(tmp_path):
    judges = Judges(face=None, clip=None, face_models="no-such-pack-installed")
    assert judges.arcface is None
    assert judges.describe()["face_second"].startswith("not available: face model pack 'no-such-pack-installed'")
    second = [j for j in judges.details({}) if j["role"] == "second" and j["kind"] == "face"][0]
    assert second["available"] is False and "is missing" in second["note"]
    # Not an error: the character is judged by what is here (no face judge: the perceptual one).
    refs = references_from_images([face_image([(1, 64, 64, 64)])], "auto", judges)
    assert refs.kind == "drawn" and refs.arcface == []


def test_a_face_model_folder_that_is_not_there_is_an_error(tmp_path, monkeypatch):
    """A pack name not installed is "not available"; a folder (a path) that is not there is a
    typo, whichever of flag, environment or script named it."""
    monkeypatch.delenv("STORYBOARD_FACE_MODELS", raising=False)
    for missing in (str(tmp_path / "no-pack"), "./no-pack", ".no-pack", "~/no-pack-here"):
        with pytest.raises(StoryboardError, match=f"^--face-models '{re.escape(missing)}': no such folder"):
            Judges(face=None, clip=None, face_models=missing)
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoryboardError, match="': is a file, not a folder"):
        Judges(face=None, clip=None, face_models=str(tmp_path / "file"))
    monkeypatch.setenv("STORYBOARD_FACE_MODELS", "./no-pack")
    with pytest.raises(StoryboardError, match=r"^\$STORYBOARD_FACE_MODELS './no-pack': no such folder"):
        Judges(face=None, clip=None)
    monkeypatch.delenv("STORYBOARD_FACE_MODELS")
    judges = Judges(face=None, clip=None)
    judges.script_face_models = "./no-pack"  # as the story's reader sets it
    with pytest.raises(StoryboardError, match="^the script's generation.face_models './no-pack': no such folder"):
        judges.describe()


def test_a_file_named_as_face_models_is_an_error_not_a_pack_name(tmp_path, monkeypatch):
    """`story.yaml` has no '/' and would read as a pack name; it names a file here, and no
    pack of that name is installed: a mistake, from flag, environment or script alike."""
    monkeypatch.delenv("STORYBOARD_FACE_MODELS", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "story.yaml").write_text("x")
    with pytest.raises(StoryboardError, match=r"^--face-models 'story.yaml': is a file, not a folder \("):
        Judges(face=None, clip=None, face_models="story.yaml")
    monkeypatch.setenv("STORYBOARD_FACE_MODELS", "story.yaml")
    with pytest.raises(StoryboardError, match=r"^\$STORYBOARD_FACE_MODELS 'story.yaml': is a file, not a folder"):
        Judges(face=None, clip=None)
    monkeypatch.delenv("STORYBOARD_FACE_MODELS")
    judges = Judges(face=None, clip=None)
    judges.script_face_models = str(tmp_path / "story.yaml")  # as the story's reader resolves it
    with pytest.raises(StoryboardError, match="^the script's generation.face_models '.*story.yaml': is a file, not a folder"):
        judges.describe()
    judges = Judges(face=None, clip=None, face_models="not-a-file-here")  # a pack name: not available, no error
    assert judges.arcface is None


def test_a_broken_pack_is_not_available_rather_than_an_error(tmp_path):
    pytest.importorskip("insightface")
    pytest.importorskip("onnxruntime")
    pack = tmp_path / "broken"
    pack.mkdir()
    (pack / "det_10g.onnx").write_bytes(b"not an onnx graph")
    judges = Judges(face=None, clip=None, face_models=str(pack))
    assert judges.arcface is not None  # found: its files are there
    refs = references_from_images([face_image([(1, 64, 64, 64)])], "auto", judges)
    assert refs.arcface == [] and judges.arcface is None
    assert "cannot be loaded" in judges.describe()["face_second"]


def test_second_judges_can_be_turned_off():
    judges = Judges(face=None, face_models="none", clip_encoder="none")
    assert judges.arcface is None and judges.clip is None
    described = judges.describe()
    assert described["face_second"] == "not available: turned off (--face-models none)"
    assert described["drawn_second"] == "not available: turned off (--clip-encoder none)"


@pytest.mark.slow
def test_arcface_matches_each_face_to_its_character_where_it_is(face_pack):
    from storyboard.evaluation.judges import ArcFaceJudge

    judges = Judges(arcface=ArcFaceJudge(str(face_pack)), clip=None)
    refs = {cid: references_from_images([face_image([(seed, 64, 64, 64)], jitter=5)], "face", judges)
            for cid, seed in (("a", 1), ("b", 2))}
    assert refs["a"].arcface[0] @ refs["b"].arcface[0] < 0.5  # a swapped match would score low
    boxes = {"a": (128, 128, 192, 192), "b": (0, 0, 64, 64)}
    panel = face_image([(2, 0, 0, 64), (1, 128, 128, 64)])  # b top-left, a bottom-right
    conditioning = {"a": {"models": [model_record("insightface", str(face_pack))]}, "b": {"models": []}}
    score = score_panel(panel, list(boxes.items()), refs, judges, conditioning=conditioning)
    for c in score.characters:
        (arc,) = [s for s in c.scores if s.judge == "insightface-arcface"]
        x0, y0, x1, y1 = arc.box_pt
        box = boxes[c.id]
        assert arc.detected and arc.similarity > 0.99
        assert box[0] <= (x0 + x1) / 2 <= box[2] and box[1] <= (y0 + y1) / 2 <= box[3], c.id
        assert arc.biased is (c.id == "a")  # a was conditioned by this pack's ArcFace, b by nothing
    alone = score_panel(face_image([(2, 0, 0, 64)]), list(boxes.items()), refs, judges, conditioning=None)
    missing = [s for s in alone.characters[0].scores if s.judge == "insightface-arcface"][0]
    assert missing.detected is False and missing.similarity == 0.0 and missing.biased is None


@pytest.mark.slow
def test_clip_judge_scores_drawn_regions_and_knows_its_own_encoder(encoder, tmp_path):
    judges = Judges(face=None, arcface=None, clip_encoder=str(encoder))
    assert judges.clip.name == "clip-image-embeds" and judges.clip.path == str(encoder.resolve())
    refs = {"cat": references_from_images([drawing(7)], "drawn", judges)}
    panel = np.full((200, 300, 3), 230, np.uint8)
    panel[40:168, 60:188] = drawing(7)
    same = score_panel(panel, [("cat", (60, 40, 188, 168))], refs, judges, conditioning={}).characters[0]
    panel[40:168, 60:188] = drawing(9)
    other = score_panel(panel, [("cat", (60, 40, 188, 168))], refs, judges, conditioning={}).characters[0]
    clip_same, clip_other = (next(s for s in c.scores if s.judge == "clip-image-embeds") for c in (same, other))
    assert same.judge == "perceptual-hash-v1"  # the primary number is unchanged by a second judge
    assert clip_same.similarity == pytest.approx(1.0, abs=1e-5) and clip_other.similarity < clip_same.similarity
    assert clip_same.biased is False
    # Biased when the render was conditioned by these weights: the same folder, or a copy of it.
    copy = shutil.copytree(encoder, tmp_path / "copy" / "image_encoder")
    other_weights = clip_encoder(tmp_path / "other" / "image_encoder", seed=1)
    for conditioned, expected in ((encoder, True), (copy, True), (other_weights, False)):
        record = {"cat": {"models": [model_record("clip", str(conditioned))]}}
        assert is_biased(judges.clip, record, "cat") is expected, conditioned
    assert is_biased(judges.clip, None, "cat") is None


def test_an_explicit_clip_encoder_that_is_not_here_is_an_error(tmp_path):
    from storyboard.errors import StoryboardError

    pytest.importorskip("transformers")
    with pytest.raises(StoryboardError, match="not in the Hugging Face cache"):
        Judges(clip_encoder="nobody/no-such-encoder")


STORY = """
title: Judged
characters:
  cat: {description: a patterned cat, references: [cat.png], kind: drawn}
  ana: {description: a woman, references: [ana.png], kind: face}
scenes:
  - panels:
      - action: the cat and Ana
        shot: wide
        cast: [cat, ana]
"""


class StagingEngine:
    """Draws each cast member's reference into its staged body box: a stand-in for a model."""

    name = "staging-stub"
    generative = False
    uses_identities = True

    def __init__(self, pictures: dict[str, np.ndarray]):
        self.pictures = pictures

    def settings(self):
        return {"engine": self.name, "version": 1}

    def render(self, request):
        canvas = Image.new("RGB", (request.width, request.height), (200, 200, 190))
        for figure in request.staging:
            x0, y0, x1, y1 = (int(v * s) for v, s in zip(figure.body, (request.width, request.height) * 2))
            canvas.paste(Image.fromarray(self.pictures[figure.id]).resize((max(1, x1 - x0), max(1, y1 - y0))), (x0, y0))
        return canvas


@pytest.mark.slow
def test_eval_flags_the_judges_whose_weights_conditioned_the_render(face_pack, encoder, tmp_path):
    import storyboard
    from storyboard.evaluation.html import write_html

    cat, ana = drawing(7), face_image([(1, 64, 64, 64)])
    Image.fromarray(cat).save(tmp_path / "cat.png")
    Image.fromarray(ana).save(tmp_path / "ana.png")
    (tmp_path / "story.yaml").write_text(STORY)
    pages = tmp_path / "pages"
    storyboard.render(tmp_path / "story.yaml", engine=StagingEngine({"cat": cat, "ana": ana}), out=f"{pages}/",
                      cache=tmp_path / "c", max_side=384, library=tmp_path / "lib",
                      face_models=str(face_pack), drawn_encoder=str(encoder))
    manifest = json.loads(Path(f"{pages}.manifest.json").read_text())
    (cat_model,) = manifest["identities"]["cat"]["models"]
    (ana_model,) = manifest["identities"]["ana"]["models"]
    assert cat_model["name"] == "clip" and cat_model["path"] == str(encoder.resolve()) and cat_model["version"]
    assert ana_model["name"] == "insightface" and ana_model["path"] == str(face_pack.resolve())

    # Nothing independent is cached here: the CLIP judge falls back to the render's own encoder.
    report = storyboard.evaluate(pages, face_models=str(face_pack))
    assert report.judge["engine"] == "staging-stub"
    assert report.judge["face_second"].startswith("insightface-arcface") and str(face_pack) in report.judge["face_second"]
    assert report.judge["drawn_second"].startswith("clip-image-embeds")
    biased = {j["name"]: j["biased"] for j in report.judges if j["available"]}
    assert biased == {"dlib-resnet-face-v1": [], "perceptual-hash-v1": [],
                      "insightface-arcface": ["ana"], "clip-image-embeds": ["cat"]}
    (panel,) = report.panels
    scores = {c.id: {s.judge: s for s in c.scores} for c in panel.characters}
    assert scores["cat"]["clip-image-embeds"].biased is True
    assert scores["cat"]["clip-image-embeds"].similarity > 0.9  # the stub drew the reference itself
    assert scores["ana"]["insightface-arcface"].biased is True
    assert set(report.story["judges"]) >= {"perceptual-hash-v1", "clip-image-embeds", "insightface-arcface"}
    assert any("clip-image-embeds is biased for cat" in n for n in report.notes)
    html = tmp_path / "report.html"
    write_html(report, html, title="judged")
    assert "clip-image-embeds" in html.read_text() and "(biased)" in html.read_text()
