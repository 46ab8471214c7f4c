"""Face identity: InsightFace detection + ArcFace recognition, one 512-d vector per character.

InsightFace's code is MIT licensed, but its pretrained model packs (buffalo_l and friends)
are for non-commercial research only; any folder of ONNX models that `FaceAnalysis`
recognises (a detector with 5+ outputs, a square >= 112 px recognition model) works instead.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Sequence

from characters.embedders import Embeddings, NoUsableFaceError, Signature, fingerprint, normalised
from characters.images import ReferenceImage
from storyboard.errors import CharacterError, require

CROP_SIZE = 224  # aligned face crop side, as the FaceID-Plus reference code uses
PACK_URL = "https://github.com/deepinsight/insightface/releases/download/model-zoo/{name}.zip"


def names_folder(models: str) -> bool:
    """Whether a face model reference names a folder of ONNX files (`./packs/x`, `~/x`, `/x`,
    `.x`) rather than a pack under ~/.insightface/models (`buffalo_l`)."""
    return models.startswith((".", "~")) or "/" in models or "\\" in models or Path(models).is_absolute()


def folder_problem(models: str, root: str | Path = "~/.insightface") -> str | None:
    """Why `models` cannot be the folder of ONNX files it names ("no such folder", "is a file,
    not a folder"), or None: the folder is there, or `models` is a pack name. A bare name
    (`buffalo_l`) is a pack, unless it names something here that is not a folder and no pack
    of that name is installed (`--face-models story.yaml`): that is a mistake, not a pack."""
    local = Path(models).expanduser()
    if local.is_dir():
        return None
    if local.exists() and (names_folder(models) or not (Path(root).expanduser() / "models" / models).is_dir()):
        return "is a file, not a folder" if local.is_file() else "is not a folder"
    return "no such folder" if names_folder(models) else None


class FaceIdentity:
    """The largest face of each reference, ArcFace-embedded, averaged and re-normalised."""

    kind = "face"

    def __init__(
        self,
        models: str = "buffalo_l",
        *,
        root: str | Path = "~/.insightface",
        min_face: int = 48,
        agreement: float = 0.3,
        ambiguity: float = 0.8,
    ):
        self.models = models  # a pack name under root/models, or a folder of ONNX files
        self.root = Path(root).expanduser()
        self.min_face = min_face  # smallest face side in pixels worth embedding
        self.agreement = agreement  # ArcFace: same person is usually well above 0.3
        self.ambiguity = ambiguity  # a second face this close in area makes the pick a guess
        self._app = None
        self._signature: Signature | None = None

    def folder(self) -> Path:
        """Where the ONNX files are; never lets InsightFace download (it hangs, then fails offline)."""
        direct = Path(self.models).expanduser()
        problem = folder_problem(self.models, self.root)
        if problem:
            raise CharacterError(f"face model folder {self.models} "
                                 f"{'does not exist' if problem == 'no such folder' else problem}")
        folder = direct if direct.is_dir() else self.root / "models" / self.models
        if not any(folder.glob("*.onnx")):
            raise CharacterError(
                f"face model pack '{self.models}' is missing: expected its ONNX files in {folder} "
                f"(unzip {PACK_URL.format(name=self.models)} there, pass --face-models DIR, "
                f"or use kind drawn)"
            )
        return folder

    def unavailable(self) -> str | None:
        """Why faces cannot be embedded here (the `faces` extra or the model pack is missing),
        or None; checked without loading anything."""
        import importlib.util

        for module in ("insightface", "onnxruntime"):
            if importlib.util.find_spec(module) is None:
                return f"the 'faces' extra is not installed ({module} is missing)"
        try:
            self.folder()
        except CharacterError as err:
            return str(err).split(" (", 1)[0]
        return None

    def signature(self) -> Signature:
        if self._signature is None:
            folder = self.folder()
            version = fingerprint(list(folder.glob("*.onnx")))
            self._signature = Signature("insightface", self.models, version)
        return self._signature

    def detect(self, rgb) -> list:
        """Every face InsightFace finds in an RGB uint8 array (H, W, 3): its `Face` objects, with
        `bbox` (x0, y0, x1, y1 in pixels), `kps` (5, 2) and `normed_embedding` (512,) float32."""
        import numpy as np

        app = self._load()
        pixels = np.ascontiguousarray(np.asarray(rgb)[:, :, 2::-1])  # InsightFace wants BGR
        with warnings.catch_warnings():  # scikit-image deprecations inside face alignment
            warnings.simplefilter("ignore")
            return app.get(pixels)

    def embed(self, references: Sequence[ReferenceImage]) -> Embeddings:
        import numpy as np

        face_align = require("insightface.utils.face_align", "faces")
        vectors, crops = [], []
        for ref in references:
            pixels = np.ascontiguousarray(np.asarray(ref.image)[:, :, ::-1])  # InsightFace wants BGR
            faces = self.detect(ref.image)
            with warnings.catch_warnings():  # scikit-image deprecations inside face alignment
                warnings.simplefilter("ignore")
                face = self._pick(ref, faces)
                # The crop IP-Adapter FaceID-Plus embeds with CLIP: ArcFace's alignment at 224 px.
                crop = face_align.norm_crop(pixels, landmark=face.kps, image_size=CROP_SIZE)
            vectors.append(face.normed_embedding)
            crops.append(np.ascontiguousarray(crop[:, :, ::-1]))
        per_image = np.stack(vectors).astype(np.float32)
        extras = {"face_crops": np.stack(crops).astype(np.uint8)}
        return Embeddings("face", per_image, normalised(per_image.mean(axis=0)), per_image, extras)

    def _pick(self, ref: ReferenceImage, faces):
        hint = "use --kind drawn for a drawn, animal or object character"
        if not faces:
            raise NoUsableFaceError(f"{ref.path}: no face found; {hint}")

        def area(face) -> float:
            x0, y0, x1, y1 = face.bbox
            return float((x1 - x0) * (y1 - y0))

        faces = sorted(faces, key=area, reverse=True)
        if len(faces) > 1 and area(faces[1]) >= self.ambiguity * area(faces[0]):
            raise NoUsableFaceError(
                f"{ref.path}: {len(faces)} faces of similar size, cannot tell which is the "
                f"character; crop it to one person, or {hint}"
            )
        x0, y0, x1, y1 = faces[0].bbox
        side = min(x1 - x0, y1 - y0)
        if side < self.min_face:
            raise NoUsableFaceError(
                f"{ref.path}: the face is only {side:.0f} px across (at least {self.min_face} "
                f"needed); use a closer picture, or {hint}"
            )
        return faces[0]

    def _load(self):
        if self._app is None:
            folder = self.folder()
            require("onnxruntime", "faces")
            face_analysis = require("insightface.app", "faces").FaceAnalysis
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    app = face_analysis(name=str(folder), allowed_modules=["detection", "recognition"])
                    app.prepare(ctx_id=0)
            except AssertionError:  # FaceAnalysis asserts that it found a detector
                raise CharacterError(f"face models in {folder}: no detection model among the ONNX files") from None
            except Exception as err:  # onnxruntime and InsightFace raise anything on bad files
                raise CharacterError(f"face models in {folder} cannot be loaded: {_one_line(err)}") from err
            for task in ("detection", "recognition"):
                if task not in app.models:
                    raise CharacterError(f"face models in {folder}: no {task} model among the ONNX files")
            self._app = app
        return self._app


def _one_line(err: Exception) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."
