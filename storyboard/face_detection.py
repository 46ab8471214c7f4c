"""Detected heads: where generated art actually put each cast member's face.

A generative engine draws each figure inside its region, but rarely with the head exactly where
`storyboard.staging` put it. Where a face detector is installed, every raster panel of a
generative engine is searched once (the faces are cached beside the panel), the detections are
matched to the staged figures, and lettering points at and keeps clear of the detected heads
(the lettering report says `head_source: detected` for them). The draft engine is never
searched: it draws its heads where staging says.

Detectors, best first (`choose`):
- InsightFace's detector (SCRFD, the model pack's detection model; the `faces` extra and a pack
  such as buffalo_l): frontal and profile faces, and five landmarks whose mouth corners give
  the mouth point.
- dlib's CNN face detector (`mmod_human_face_detector.dat` from the face-recognition-models
  wheel; the `eval` extra) where dlib runs on CUDA: on a CPU it costs 4-7 s a panel.
- dlib's HOG frontal face detector (the `eval` extra): about 0.3 s of CPU for a 1024-px panel,
  upsampled once so faces down to about 40 px are found.
There is no well-kept offline anime-face detector on PyPI: drawn faces are found only as far
as these photographic detectors find them, and an unfound figure keeps its staged head.

Matching (`apply`): a Hungarian assignment (scipy) of detections to figures by distance
between the detected face and the staged head, over the pairs within a bound: the face's
centre near the figure (inside its body box grown by a head, or within 2.5 heads of the
staged head) and a plausible size (a third to three times the staged head's width). A
detection near no figure is ignored; a figure without one keeps its staged head.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from storyboard.errors import CharacterError, require

if TYPE_CHECKING:
    import numpy as np

    from storyboard.staging import StagedFigure

Box = tuple[float, float, float, float]  # (x0, y0, x1, y1) in art fractions, y down
Point = tuple[float, float]

REACH_HEADS = 2.5  # how far (in staged head heights) a face may be from its staged head
SIZE_RANGE = (1 / 3, 3.0)  # detected face width / staged head width that can be the same person


@dataclass(frozen=True)
class DetectedFace:
    """One face found in a panel, in fractions of the panel's art (x right, y down)."""

    box: Box
    mouth: Point | None  # from landmarks, when the detector gives them
    score: float

    def as_json(self) -> dict[str, Any]:
        return {"box": list(self.box), "mouth": list(self.mouth) if self.mouth else None, "score": self.score}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "DetectedFace":
        mouth = data.get("mouth")
        return cls(tuple(float(v) for v in data["box"]), tuple(float(v) for v in mouth) if mouth else None,
                   float(data.get("score", 0.0)))


class InsightFaceDetector:
    """SCRFD from an InsightFace model pack (a pack name under ~/.insightface/models, or a folder)."""

    def __init__(self, models: str):
        from characters.face import FaceIdentity

        identity = FaceIdentity(models)
        folder = identity.folder()
        from characters.embedders import fingerprint

        self.name = f"insightface:{models}"
        self.signature = f"{self.name}:{fingerprint(sorted(folder.glob('*.onnx')))}"
        # Loaded now, before any panel is drawn: a broken pack fails the render at its start.
        analysis = require("insightface.app", "faces").FaceAnalysis
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._app = analysis(name=str(folder), allowed_modules=["detection"])
                self._app.prepare(ctx_id=0, det_size=(640, 640))
        except Exception as err:  # onnxruntime and InsightFace raise anything on bad files
            raise CharacterError(f"face models in {folder} cannot be loaded for face detection: "
                                 f"{' '.join(str(err).split())[:200] or type(err).__name__}") from err

    def faces(self, rgb: "np.ndarray") -> list[DetectedFace]:
        h, w = rgb.shape[:2]
        out = []
        for face in self._app.get(rgb[:, :, ::-1].copy()):  # InsightFace wants BGR
            x0, y0, x1, y1 = (float(v) for v in face.bbox)
            mouth = None
            if getattr(face, "kps", None) is not None and len(face.kps) >= 5:
                mouth = (float(face.kps[3][0] + face.kps[4][0]) / 2 / w, float(face.kps[3][1] + face.kps[4][1]) / 2 / h)
            out.append(DetectedFace(_fraction_box((x0, y0, x1, y1), w, h), mouth, float(face.det_score)))
        return out


class DlibDetector:
    """dlib's CNN (MMOD) face detector on CUDA, else its HOG frontal face detector."""

    def __init__(self, cnn: bool | None = None):
        dlib = require("dlib", "eval")
        cnn = bool(getattr(dlib, "DLIB_USE_CUDA", False)) if cnn is None else cnn
        if cnn:
            from storyboard.evaluation.judges import _models_folder

            self._detect = dlib.cnn_face_detection_model_v1(str(_models_folder() / "mmod_human_face_detector.dat"))
            self.name = "dlib-mmod"
        else:
            self._detect = dlib.get_frontal_face_detector()
            self.name = "dlib-hog"
        self.signature = f"{self.name}:{dlib.__version__}:upsample1"
        self._cnn = cnn

    def faces(self, rgb: "np.ndarray") -> list[DetectedFace]:
        import numpy as np

        rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
        h, w = rgb.shape[:2]
        out = []
        if self._cnn:
            found = [(d.rect, float(d.confidence)) for d in self._detect(rgb, 1)]
        else:
            rects, scores, _ = self._detect.run(rgb, 1, 0.0)
            found = list(zip(rects, (float(s) for s in scores)))
        for rect, score in found:
            box = (rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1)
            out.append(DetectedFace(_fraction_box(box, w, h), None, score))
        return out


def _fraction_box(box, w: int, h: int) -> Box:
    x0, y0, x1, y1 = box
    return (min(max(x0 / w, 0.0), 1.0), min(max(y0 / h, 0.0), 1.0), min(max(x1 / w, 0.0), 1.0), min(max(y1 / h, 0.0), 1.0))


def choose(face_models: str | None = None):
    """The best detector installed here (see the module docstring), or None when there is none.
    `face_models`: the InsightFace pack (as `--face-models`; default buffalo_l)."""
    import importlib.util

    from characters.embedders import choose_face_models
    from characters.face import FaceIdentity

    if importlib.util.find_spec("scipy") is None:  # matching needs it (both extras bring it)
        return None
    if FaceIdentity(choose_face_models(face_models)).unavailable() is None:
        return InsightFaceDetector(choose_face_models(face_models))
    if importlib.util.find_spec("dlib") is not None:
        return DlibDetector()
    return None


def panel_faces(detector, keys: Mapping[tuple[int, int], str], store, load: Mapping[tuple[int, int], Callable]
                ) -> dict[tuple[int, int], list[DetectedFace]]:
    """The faces of each panel: from `store` (the panel cache) when it has them for this
    detector, else detected in `load[where]()` (the engine's image of the panel) and stored."""
    import numpy as np

    tag = hashlib.sha256(detector.signature.encode()).hexdigest()[:32]
    out = {}
    for where, key in keys.items():
        data = store.get_faces(key, tag)
        faces = None
        if data is not None:
            try:
                faces = [DetectedFace.from_json(d) for d in json.loads(data)]
            except (ValueError, KeyError, TypeError):
                faces = None  # a damaged entry: detected again
        if faces is None:
            faces = detector.faces(np.asarray(load[where]().convert("RGB")))
            store.put_faces(key, tag, json.dumps([f.as_json() for f in faces]).encode())
        out[where] = faces
    return out


# ------------------------------------------------------------------------------ matching


def head_from_face(face: DetectedFace, aspect: float) -> tuple[Box, Box, Point]:
    """(head box, face band, mouth) in art fractions from a detected face box: the head reaches
    a third of a face above it (brow to crown) and a little wider; the band the lettering
    keeps clear is the face box itself; the mouth is at the landmarks, else three quarters
    down the face (a face box runs from the brows to the chin)."""
    x0, y0, x1, y1 = face.box
    fw, fh = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    head = (max(0.0, cx - 0.6 * fw), max(0.0, y0 - 0.4 * fh), min(1.0, cx + 0.6 * fw), min(1.0, y1 + 0.05 * fh))
    mouth = face.mouth or (cx, y0 + 0.76 * fh)
    return head, face.box, mouth


def apply(figures: Sequence["StagedFigure"], faces: Sequence[DetectedFace], aspect: float
          ) -> list[tuple["StagedFigure", str]]:
    """Each figure with its head, face band and mouth replaced by its matched detection, and
    where its head came from: 'detected' or 'staged' (see the module docstring)."""
    out = [(fig, "staged") for fig in figures]
    pairs = _match(figures, faces, aspect)
    for i, j in pairs:
        head, band, mouth = head_from_face(faces[j], aspect)
        fig = figures[i]
        body = (min(fig.body[0], head[0]), min(fig.body[1], head[1]), max(fig.body[2], head[2]), max(fig.body[3], head[3]))
        out[i] = (dataclasses.replace(fig, head=head, face=band, mouth=mouth, body=body), "detected")
    return out


def _match(figures: Sequence["StagedFigure"], faces: Sequence[DetectedFace], aspect: float) -> list[tuple[int, int]]:
    """(figure index, face index) pairs of the cheapest assignment within the bound."""
    if not figures or not faces:
        return []
    far = 1e6
    cost = [[far] * len(faces) for _ in figures]
    for i, fig in enumerate(figures):
        hx0, hy0, hx1, hy1 = fig.head
        head_h = max(hy1 - hy0, 1e-6)
        head_w = max((hx1 - hx0) * aspect, 1e-6)  # height units
        hc = ((hx0 + hx1) / 2 * aspect, (hy0 + hy1) / 2)
        bx0, by0, bx1, by1 = fig.body
        for j, face in enumerate(faces):
            fx0, fy0, fx1, fy1 = face.box
            fc = ((fx0 + fx1) / 2 * aspect, (fy0 + fy1) / 2)
            ratio = (fx1 - fx0) * aspect / head_w
            if not SIZE_RANGE[0] <= ratio <= SIZE_RANGE[1]:
                continue
            dist = math.dist(fc, hc)
            in_body = (bx0 * aspect - head_w <= fc[0] <= bx1 * aspect + head_w and by0 - head_h <= fc[1] <= by1)
            if in_body or dist <= REACH_HEADS * head_h:
                cost[i][j] = dist
    rows, cols = require("scipy.optimize", "eval").linear_sum_assignment(cost)
    return [(int(i), int(j)) for i, j in zip(rows, cols) if cost[i][j] < far]
