"""Detected heads: generated art whose faces are not where staging put the heads is lettered
to the faces the art shows (real photographs' faces, found by dlib's detector)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("dlib")
pytest.importorskip("scipy")
if importlib.util.find_spec("insightface") is None:
    pytest.skip("needs the insightface sample photos", allow_module_level=True)

from storyboard import face_detection  # noqa: E402
from storyboard.cli import main  # noqa: E402
from storyboard.render import render  # noqa: E402
from storyboard.staging import StagedFigure  # noqa: E402

PHOTOS = Path(importlib.util.find_spec("insightface").submodule_search_locations[0]) / "data" / "images"
STORY = """
title: Faces
page: {size: [148, 210]}
characters:
  vera: {description: a harbour master}
  gus: {description: a fisherman}
  ines: {description: an engineer}
scenes:
  - panels:
      - action: Vera and Gus argue on the quay
        shot: medium
        cast: [{id: vera, position: left}, {id: gus, position: right}]
        dialogue:
          - {speaker: vera, text: You were told to tie her down twice.}
          - {speaker: gus, text: I did tie her down! The ropes snapped.}
      - action: the three of them on the quay
        shot: wide
        cast: [{id: vera, position: left}, {id: ines, position: center}, {id: gus, position: right}]
        dialogue:
          - {speaker: vera, text: Every boat checked before noon.}
          - {speaker: ines, text: Then find me a generator.}
          - {speaker: gus, text: Mine first.}
"""
# Where the stub's art puts each face, relative to the staged head: lower and to the side,
# and (in the wide shot) bigger than the staged head.
SHIFT = {0: (0.07, 0.16, 1.4), 1: (-0.05, 0.10, 2.6)}  # panel -> (dx, dy in panel fractions, scale)
NO_FACE = {(1, "ines")}  # drawn with her back to us: no face in the art
DECOY = (0.02, 0.02, 0.11)  # a face on a poster in a corner, near nobody: (x, y, side) fractions


@pytest.fixture(scope="module")
def crops():
    photo = np.asarray(Image.open(PHOTOS / "t1.jpg").convert("RGB"))
    found = sorted(face_detection.DlibDetector(cnn=False).faces(photo), key=lambda f: f.box[0])
    h, w = photo.shape[:2]
    out = []
    for f in found[:4]:
        x0, y0, x1, y1 = int(f.box[0] * w), int(f.box[1] * h), int(f.box[2] * w), int(f.box[3] * h)
        m = int(0.25 * (x1 - x0))
        out.append(Image.fromarray(photo[y0 - m:y1 + m, x0 - m:x1 + m]))
    return out


class FacePastingEngine:
    """A stand-in for a generative model: a plain backdrop with a real face pasted for each cast
    member, away from where staging put the head. `placed` records each face's box (art
    fractions) by (panel, id)."""

    name = "face-pasting-stub"
    generative = True
    uses_identities = False

    def __init__(self, crops):
        self.crops, self.placed, self.calls = crops, {}, 0

    def settings(self):
        return {"engine": self.name, "version": 1}

    def render(self, request):
        self.calls += 1
        w, h = request.width, request.height
        canvas = Image.new("RGB", (w, h), (150, 160, 150))
        dx, dy, scale = SHIFT[request.panel]
        for k, fig in enumerate(request.staging):
            if (request.panel, fig.id) in NO_FACE:
                continue
            hx0, hy0, hx1, hy1 = fig.head
            side = int(scale * (hx1 - hx0) * w * 1.5)  # the crop has a margin around the face
            cx, cy = ((hx0 + hx1) / 2 + dx) * w, ((hy0 + hy1) / 2 + dy) * h
            left, top = int(cx - side / 2), int(cy - side / 2)
            canvas.paste(self.crops[k].resize((side, side)), (left, top))
            inner = side / 1.5  # the face itself
            self.placed[(request.panel, fig.id)] = ((cx - inner / 2) / w, (cy - inner / 2) / h,
                                                    (cx + inner / 2) / w, (cy + inner / 2) / h)
        if request.panel == 1:
            x, y, s = DECOY
            canvas.paste(self.crops[3].resize((int(s * w), int(s * w))), (int(x * w), int(y * h)))
        return canvas


def _page_box(rect_pt, box):
    x0, y0, x1, y1 = rect_pt
    return (x0 + box[0] * (x1 - x0), y0 + box[1] * (y1 - y0), x0 + box[2] * (x1 - x0), y0 + box[3] * (y1 - y0))


def _distance(point, box):
    dx = max(box[0] - point[0], 0.0, point[0] - box[2])
    dy = max(box[1] - point[1], 0.0, point[1] - box[3])
    return math.hypot(dx, dy)


@pytest.mark.slow
def test_tails_end_at_the_faces_the_art_shows(tmp_path, crops, capsys, monkeypatch):
    (tmp_path / "story.yaml").write_text(STORY)
    engine = FacePastingEngine(crops)
    monkeypatch.delenv("STORYBOARD_FACE_MODELS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no InsightFace pack here: dlib's detector
    searched = []
    real = face_detection.DlibDetector.faces
    monkeypatch.setattr(face_detection.DlibDetector, "faces", lambda self, rgb: searched.append(1) or real(self, rgb))
    out = tmp_path / "faces.pdf"
    render(tmp_path / "story.yaml", engine=engine, out=out, cache=tmp_path / "cache", max_side=640, watermark=False)
    manifest = json.loads((tmp_path / "faces.pdf.manifest.json").read_text())
    assert len(searched) == 2
    for record in manifest["panels"]:
        cast = {c["id"]: c for c in record["cast"]}
        for cid, member in cast.items():
            expected = "staged" if (record["panel"], cid) in NO_FACE else "detected"
            assert member["head_source"] == expected, (record["panel"], cid)
        for item in record["lettering"]:
            if item["speaker"] not in cast or not item["tail"]:
                continue
            tip = item["tail"][-1]
            if (record["panel"], item["speaker"]) in NO_FACE:
                continue
            face = _page_box(record["rect_pt"], engine.placed[(record["panel"], item["speaker"])])
            # The tip is at the pasted face (3 mm reach, plus the head the detector adds
            # above a face box), not at the staged head the art ignored.
            assert _distance(tip, face) <= 8.5 + 0.45 * (face[3] - face[1]), (item["text"], tip, face)
    assert main(["check-lettering", str(out)]) == 0, capsys.readouterr().out
    # A re-render from the cache neither draws nor searches again, and letters the same.
    again = render(tmp_path / "story.yaml", engine=engine, out=tmp_path / "again.pdf", cache=tmp_path / "cache",
                   max_side=640, watermark=False)
    assert again.panels_generated == 0 and len(searched) == 2 and engine.calls == 2
    second = json.loads((tmp_path / "again.pdf.manifest.json").read_text())
    assert [r["cast"] for r in second["panels"]] == [r["cast"] for r in manifest["panels"]]


def _figure(cid, head, body):
    cx = (head[0] + head[2]) / 2
    return StagedFigure(cid, "human", "standing", body, head, (cx, head[3] - 0.02), head)


def test_matching_is_one_to_one_near_the_figures():
    left = _figure("a", (0.2, 0.1, 0.3, 0.25), (0.1, 0.1, 0.4, 1.0))
    right = _figure("b", (0.7, 0.1, 0.8, 0.25), (0.6, 0.1, 0.9, 1.0))
    near_right = face_detection.DetectedFace((0.62, 0.3, 0.72, 0.45), None, 1.0)
    near_left = face_detection.DetectedFace((0.27, 0.2, 0.37, 0.35), None, 1.0)
    far = face_detection.DetectedFace((0.45, 0.85, 0.5, 0.9), None, 1.0)  # between them, low down
    out = face_detection.apply([left, right], [far, near_right, near_left], aspect=1.5)
    (a, a_src), (b, b_src) = out
    assert (a_src, b_src) == ("detected", "detected")
    assert a.face == near_left.box and b.face == near_right.box
    assert a.head[1] < near_left.box[1] and a.head[0] < near_left.box[0]  # the head holds the face
    # One face only: it goes to the figure it is near; the other keeps its staged head.
    (a, a_src), (b, b_src) = face_detection.apply([left, right], [near_right], aspect=1.5)
    assert (a_src, b_src) == ("staged", "detected") and a == left
    # A face too small to be anyone's head here is ignored.
    tiny = face_detection.DetectedFace((0.22, 0.12, 0.23, 0.13), None, 1.0)
    assert face_detection.apply([left], [tiny], aspect=1.5)[0] == (left, "staged")


def test_the_draft_engine_is_never_searched(tmp_path, monkeypatch):
    (tmp_path / "story.yaml").write_text(STORY)
    monkeypatch.setattr(face_detection, "panel_faces", lambda *a, **k: pytest.fail("the draft engine was searched"))
    render(tmp_path / "story.yaml", engine="draft", out=tmp_path / "d.pdf", cache=False)
    manifest = json.loads((tmp_path / "d.pdf.manifest.json").read_text())
    assert {c["head_source"] for r in manifest["panels"] for c in r["cast"]} == {"staged"}


def test_faces_are_kept_beside_the_panel_in_a_remote_cache(tmp_path):
    pytest.importorskip("fsspec")
    from storyboard.cache import _NAME, PanelCache
    from storyboard.remote_cache import RemotePanelCache

    key, tag = "ab" + "0" * 62, "f" * 32
    first = RemotePanelCache("memory://faces-test", local=PanelCache(tmp_path / "one"))
    assert first.get_faces(key, tag) is None
    first.put_faces(key, tag, b'[{"box": [0.1, 0.1, 0.2, 0.2], "mouth": null, "score": 1.0}]')
    # Another machine's front finds them at the root, and `cache clear` knows them as ours.
    second = RemotePanelCache("memory://faces-test", local=PanelCache(tmp_path / "two"))
    assert json.loads(second.get_faces(key, tag))[0]["box"] == [0.1, 0.1, 0.2, 0.2]
    assert PanelCache(tmp_path / "two").get_faces(key, tag) is not None
    assert _NAME.fullmatch(f"{key}.faces-{tag}.json")
