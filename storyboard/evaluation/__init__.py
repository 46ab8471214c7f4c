"""Measured consistency: how well each panel keeps each character's identity.

`evaluate(target)` reads a rendered output (PDF, CBZ or folder of PNG pages, with the
manifest beside it) or renders a story first, and reports for every panel and every
on-stage character, by the metrics of ViStoryBench:

- **CIDS** (character identity similarity): each face found in the panel is embedded by an
  independent judge (`judges.DlibFaceJudge`), matched to the panel's characters by Hungarian
  assignment on the descriptor distance (scipy), and scored `1 - distance` against the
  character's references, in [0, 1], higher is more alike; a character not found scores 0.
  Drawn characters are compared in their staged region by a weight-free perceptual judge.
  These two are the *primary* judges: `similarity`, CIDS, `--min-identity` and best-of-N use
  them, so a number means the same on every machine with the `eval` extra.
- **Second judges**, when their weights are here: InsightFace ArcFace (faces, the `faces`
  extra and a model pack) and a CLIP image encoder (drawn characters). Each character's
  `scores` lists every judge's similarity (cosine for these two), flagged `biased` when the
  judge's weights are the ones that conditioned that character (the manifest's `identities`).
- **OCCM** (on-stage character count match): `100 * exp(-|detected - expected| / (eps + expected))`
  over the characters a detector can find (faces).
- **copy-paste degree**: the highest pixel correlation of a found face with a reference
  image, in [0, 1]: near 1 means the panel pasted the reference instead of drawing the person.

Boxes (`box_pt`) are in points, origin at the top-left corner of the page's MediaBox, y down,
like the lettering report. Draft sketches carry no identities: their report says so.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from storyboard import _scratch
from storyboard.errors import CharacterError, MissingExtraError, StoryboardError

EPSILON = 1e-6  # OCCM's epsilon: a panel with nobody expected and nobody found scores 100


@dataclass
class JudgeScore:
    """One judge's similarity for one character in one panel, on the judge's own scale: dlib
    and perceptual in [0, 1]; ArcFace and CLIP cosine in [-1, 1]; higher is more alike, 0 for a
    face the judge did not find. `biased`: True when the judge's weights conditioned this
    character, None when the manifest does not say (rendered before it recorded them)."""

    judge: str
    similarity: float | None
    detected: bool | None = None
    biased: bool | None = False
    box_pt: list[float] | None = None  # where this judge found the character (face judges), page points


@dataclass
class CharacterScore:
    """One on-stage character in one panel. `similarity`, `detected`, `distance` and
    `copy_paste` are the primary judge's (`judge`); `scores` lists every judge that scored
    the character, the primary first."""

    id: str
    detected: bool | None  # None: the judge cannot detect this kind (drawn characters)
    similarity: float | None  # [0, 1], higher is more alike; None without references
    box_pt: list[float] | None  # [x0, y0, x1, y1] of the match (or the staged region), page points
    distance: float | None = None  # the judge's own distance (dlib: Euclidean, < 0.6 same person)
    copy_paste: float | None = None
    judge: str = ""
    scores: list[JudgeScore] = field(default_factory=list)


@dataclass
class PanelScore:
    scene: str
    panel: int  # index in its scene, 0-based
    page: int  # 1-based
    count_expected: int
    count_detected: int | None
    occm: float | None
    characters: list[CharacterScore] = field(default_factory=list)

    @property
    def identity(self) -> float | None:
        """Mean similarity of the characters with references (None when there are none)."""
        values = [c.similarity for c in self.characters if c.similarity is not None]
        return float(np.mean(values)) if values else None


@dataclass
class EvalReport:
    """`judge`: each role's judge (`face`, `drawn`: primary; `face_second`, `drawn_second`)
    as "name (version)" or why it is not available, and the `engine`; `judges`: the same in
    detail (name, role, kind, version, model, path, available, note, biased: the characters it
    is biased for); `story`: the story-level means (`cids`, `occm`, `copy_paste`, `panels`,
    `per_character`, and `judges`: each judge's mean similarity); `panels`: one PanelScore per
    panel; `worst`: the panels with the lowest identity, worst first; `notes`: what the
    numbers cannot say."""

    source: str
    judge: dict[str, str]
    story: dict[str, Any]
    panels: list[PanelScore]
    worst: list[dict[str, Any]]
    notes: list[str]
    judges: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def occm(detected: int, expected: int) -> float:
    return 100.0 * math.exp(-abs(detected - expected) / (EPSILON + expected))


@dataclass
class References:
    """What the judges know of one character: its kind and its reference embeddings."""

    kind: str  # "face" | "drawn"
    descriptors: list[np.ndarray] = field(default_factory=list)  # face: dlib descriptors
    chips: list[np.ndarray] = field(default_factory=list)  # face: aligned grey chips
    signatures: list[Any] = field(default_factory=list)  # drawn: perceptual signatures
    arcface: list[np.ndarray] = field(default_factory=list)  # face: ArcFace embeddings (512,)
    clip: list[np.ndarray] = field(default_factory=list)  # drawn: CLIP image embeddings (D,)


def references_from_images(images: list[np.ndarray], kind: str, judges: "Judges") -> References:
    """Embed reference images (RGB uint8 arrays) with every judge that is here. `kind` "auto"
    is face when a face judge finds a face in every image, else drawn."""
    refs = References("drawn")
    if kind in ("face", "auto"):
        if judges.face is not None:
            faces = [judges.face.faces(image) for image in images]
            if all(faces):
                refs.kind, refs.descriptors, refs.chips = "face", [f[0].descriptor for f in faces], [f[0].chip for f in faces]
        if judges.arcface is not None:
            faces = judges.second_faces(images)
            if faces and all(faces):
                refs.kind, refs.arcface = "face", [f[0].descriptor for f in faces]
        if kind == "face" and refs.kind != "face" and (judges.face or judges.arcface):
            raise StoryboardError("no face found in a reference image of a face character")
    if refs.kind == "drawn":
        refs.signatures = [judges.drawn.signature(image) for image in images]
        if judges.clip is not None:
            refs.clip = list(judges.clip.embed(images))
    return refs


# Independent CLIP encoders the CLIP judge prefers, when they are already in the Hugging Face
# cache (eval never downloads): trained by OpenAI, not the ViT-H IP-Adapter conditions with.
INDEPENDENT_ENCODERS = ("openai/clip-vit-large-patch14", "openai/clip-vit-base-patch32")


class Judges:
    """The judges of one evaluation. The primary ones load at once; the second ones are found
    on first use (cheaply) and load their weights on their first image.

    `face_models`: the InsightFace pack of the ArcFace judge (default: as `characters` chooses
    it: $STORYBOARD_FACE_MODELS, the script's `generation.face_models`, buffalo_l).
    `clip_encoder`: the CLIP judge's encoder (a folder or a hub id in the local cache); default:
    the first of INDEPENDENT_ENCODERS that is cached, else the encoder that conditioned the
    render (then reported biased). Pass None for `arcface` or `clip`, or "none" for
    `face_models` or `clip_encoder`, to go without.
    Raises StoryboardError when `clip_encoder` is given but not here."""

    def __init__(self, face: Any = "default", *, arcface: Any = "default", clip: Any = "default",
                 face_models: str | None = None, clip_encoder: str | None = None):
        from storyboard.evaluation.judges import DlibFaceJudge, PerceptualJudge

        self.drawn = PerceptualJudge()
        if face == "default":
            try:
                face = DlibFaceJudge()
            except StoryboardError:
                face = None  # the eval extra is not installed: drawn judging only, said in the notes
        self.face = face
        self._arcface, self._clip = arcface, clip
        self.face_models, self.clip_encoder = face_models, clip_encoder
        self.script_face_models: str | None = None  # the script's generation.face_models
        self.render_encoders: list[str] = []  # the render's own CLIP encoders: tried last
        self.missing: dict[str, str] = {}  # role -> why its judge is not here
        for role, choice, flag in (("face_second", face_models, "--face-models"), ("drawn_second", clip_encoder, "--clip-encoder")):
            if choice == "none":  # the user turned the judge off (a CPU pays ~4 s per ViT-H crop)
                setattr(self, "_arcface" if role == "face_second" else "_clip", None)
                self.missing[role] = f"turned off ({flag} none)"
        if self._clip == "default" and clip_encoder:
            self._clip = self._clip_judge(clip_encoder, required=True)
        self._face_models()  # a mistyped folder is an error before anything is measured

    def _face_models(self) -> str:
        """The ArcFace judge's pack (see `characters.embedders.choose_face_models`). A pack name
        that is not installed leaves the judge out (said in the report); a folder that is not
        there, or a file named instead of a folder, is a mistake: StoryboardError, whichever of
        flag, $STORYBOARD_FACE_MODELS or script named it."""
        import os

        from characters.embedders import choose_face_models
        from characters.face import folder_problem
        from storyboard.errors import quote

        models = choose_face_models(self.face_models, self.script_face_models)
        why = folder_problem(models) if models != "none" else None
        if why:
            source = ("--face-models" if self.face_models else "$STORYBOARD_FACE_MODELS"
                      if os.environ.get("STORYBOARD_FACE_MODELS") else "the script's generation.face_models")
            raise StoryboardError(f"{source} {quote(models, 200)}: {why} (a folder of InsightFace ONNX models, "
                                  "or the name of a pack in ~/.insightface/models)")
        return models

    @property
    def arcface(self):
        if self._arcface == "default":
            from storyboard.evaluation.judges import ArcFaceJudge

            models = self._face_models()
            try:
                self._arcface = ArcFaceJudge(models)
            except StoryboardError as err:
                self._arcface = None
                self.missing["face_second"] = str(err)
        return self._arcface

    def second_faces(self, images: list[np.ndarray]) -> list | None:
        """The ArcFace judge's faces in each image; None, with the judge dropped and the reason
        noted, when its pack is here but cannot be loaded (a broken pack must not stop a report)."""
        try:
            return [self.arcface.faces(image) for image in images]
        except CharacterError as err:
            self._arcface = None
            self.missing["face_second"] = str(err)
            return None

    @property
    def clip(self):
        if self._clip == "default":
            self._clip = None
            for ref in (*INDEPENDENT_ENCODERS, *self.render_encoders):
                self._clip = self._clip_judge(ref)
                if self._clip is not None or "drawn_second" in self.missing:
                    break
            else:
                self.missing["drawn_second"] = ("no CLIP image encoder here (pass --clip-encoder FOLDER|HUB_ID; "
                                                f"tried {', '.join((*INDEPENDENT_ENCODERS, *self.render_encoders))})")
        return self._clip

    def _clip_judge(self, ref: str, required: bool = False):
        import importlib.util

        from storyboard.evaluation.judges import ClipJudge

        if any(importlib.util.find_spec(m) is None for m in ("torch", "transformers", "huggingface_hub")):
            if required:
                raise MissingExtraError("diffusion", "transformers")
            self.missing["drawn_second"] = "the 'diffusion' extra (torch, transformers) is not installed"
            return None
        from characters.drawn import cached_folder

        folder = cached_folder(ref)
        if folder is None:
            if required:
                raise StoryboardError(f"CLIP encoder {ref}: no such folder, and not in the Hugging Face cache "
                                      "(download it with `hf download OWNER/REPO`)")
            return None
        try:
            return ClipJudge(folder, ref)
        except StoryboardError as err:  # a folder without config.json and .safetensors weights
            if required:
                raise
            self.missing["drawn_second"] = str(err)
            return None

    def describe(self) -> dict[str, str]:
        out = {"drawn": f"{self.drawn.name} ({self.drawn.version})"}
        out["face"] = f"{self.face.name} ({self.face.version})" if self.face else "none (install the 'eval' extra)"
        for role, judge in (("face_second", self.arcface), ("drawn_second", self.clip)):
            out[role] = f"{judge.name} ({judge.version})" if judge else f"not available: {self.missing.get(role, 'not asked for')}"
        return out

    def details(self, biased: dict[str, list[str]]) -> list[dict[str, Any]]:
        """Every judge as a record (see EvalReport.judges); `biased`: judge name -> character ids."""
        rows = []
        for role, kind, judge in (("primary", "face", self.face), ("primary", "drawn", self.drawn),
                                  ("second", "face", self.arcface), ("second", "drawn", self.clip)):
            key = kind if role == "primary" else f"{kind}_second"
            rows.append({
                "role": role, "kind": kind, "available": judge is not None,
                "name": getattr(judge, "name", None), "version": getattr(judge, "version", None),
                "model": getattr(judge, "model", None), "path": getattr(judge, "path", None),
                "note": None if judge is not None else self.missing.get(key, "the 'eval' extra is not installed"),
                "biased": biased.get(getattr(judge, "name", ""), []),
            })
        return rows


def is_biased(judge: Any, conditioning: dict | None, cid: str) -> bool | None:
    """Whether `judge`'s weights conditioned character `cid`: the same local folder or the same
    content fingerprint as one of the models the manifest records for it (see
    `characters.embedders.model_record`). None when the manifest does not say."""
    if conditioning is None:
        return None
    family = {"face": "insightface", "drawn": "clip"}[judge.kind]
    records = [r for r in conditioning.get(cid, {}).get("models", []) if r.get("name") == family]
    if any((r.get("path") and r["path"] == judge.path) or (r.get("version") and r["version"] == judge.fingerprint)
           for r in records):
        return True
    return None if any(not r.get("path") and not r.get("version") for r in records) else False


def score_panel(rgb: np.ndarray, cast: list[tuple[str, tuple[float, float, float, float]]],
                references: dict[str, References], judges: Judges, *, to_pt=None,
                scene: str = "", panel: int = 0, page: int = 1, conditioning: dict | None = None) -> PanelScore:
    """Score one panel image (RGB uint8, shape (H, W, 3)).

    `cast` lists (character id, staged body box in pixels of `rgb`) for every on-stage
    character; `references` holds the embedded references by id (a character without one
    gets similarity None). `to_pt(box_px)` maps a pixel box to page points for `box_pt`.
    `conditioning` is the manifest's `identities` (what conditioned each character), for the
    second judges' `biased` flag; None: not known."""
    from scipy.optimize import linear_sum_assignment

    from storyboard.evaluation.judges import copy_paste

    to_pt = to_pt or (lambda box: [float(v) for v in box])
    faces_cast = [cid for cid, _ in cast if cid in references and references[cid].kind == "face"]
    dlib_cast = [cid for cid in faces_cast if references[cid].descriptors]
    found = judges.face.faces(rgb) if dlib_cast and judges.face else []
    scores: dict[str, CharacterScore] = {}
    if dlib_cast and found:
        cost = np.array([[min(judges.face.distance(f.descriptor, d) for d in references[cid].descriptors)
                          for cid in dlib_cast] for f in found])
        for row, col in zip(*linear_sum_assignment(cost)):
            cid, face = dlib_cast[col], found[row]
            scores[cid] = CharacterScore(
                cid, True, float(np.clip(1.0 - cost[row, col], 0.0, 1.0)), to_pt(face.box),
                distance=float(cost[row, col]), copy_paste=copy_paste(face.chip, references[cid].chips),
                judge=judges.face.name)
    for cid, box in cast:
        if cid in scores:
            continue
        refs = references.get(cid)
        if refs is None:
            scores[cid] = CharacterScore(cid, None, None, to_pt(box))
        elif refs.kind == "face":
            primary = judges.face is not None and bool(refs.descriptors)
            scores[cid] = CharacterScore(cid, False if primary else None, 0.0 if primary else None, None,
                                         judge=judges.face.name if primary else "")
        else:
            mine = judges.drawn.signature(_region(rgb, box))
            similarity = max(judges.drawn.similarity(mine, s) for s in refs.signatures)
            scores[cid] = CharacterScore(cid, None, similarity, to_pt(box), judge=judges.drawn.name)
    for c in scores.values():
        if c.judge:
            c.scores.append(JudgeScore(c.judge, c.similarity, c.detected, box_pt=c.box_pt if c.detected else None))
    for cid, score in _second_scores(rgb, cast, references, judges, conditioning, to_pt):
        scores[cid].scores.append(score)
    detected = len(found) if dlib_cast and judges.face else None
    expected = len(dlib_cast)
    return PanelScore(scene, panel, page, expected, detected,
                      occm(detected, expected) if detected is not None else None,
                      [scores[cid] for cid, _ in cast])


def _region(rgb: np.ndarray, box) -> np.ndarray:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    return rgb[max(0, y0):max(y0 + 1, y1), max(0, x0):max(x0 + 1, x1)]


def _second_scores(rgb, cast, references, judges: Judges, conditioning, to_pt):
    """(character id, JudgeScore) of the second judges: ArcFace on the faces it finds, matched
    by Hungarian assignment on cosine; CLIP on each drawn character's staged region."""
    from scipy.optimize import linear_sum_assignment

    arc_cast = [cid for cid, _ in cast if cid in references and references[cid].arcface]
    if arc_cast:  # references with ArcFace embeddings exist only when the judge is here
        judge = judges.arcface
        found = judge.faces(rgb)
        matched: dict[str, tuple[float, list[float]]] = {}
        if found:
            sim = np.array([[max(judge.similarity(f.descriptor, r) for r in references[cid].arcface)
                             for cid in arc_cast] for f in found])
            for row, col in zip(*linear_sum_assignment(-sim)):
                matched[arc_cast[col]] = (float(sim[row, col]), to_pt(found[row].box))
        for cid in arc_cast:
            similarity, box = matched.get(cid, (0.0, None))
            yield cid, JudgeScore(judge.name, similarity, cid in matched, is_biased(judge, conditioning, cid), box)
    clip_cast = [(cid, box) for cid, box in cast if cid in references and references[cid].clip]
    if clip_cast:
        judge = judges.clip
        embedded = judge.embed([_region(rgb, box) for _, box in clip_cast])
        for (cid, _), vector in zip(clip_cast, embedded):
            similarity = max(judge.similarity(vector, r) for r in references[cid].clip)
            yield cid, JudgeScore(judge.name, similarity, None, is_biased(judge, conditioning, cid))


def summarise(source: str, panels: list[PanelScore], judges: Judges, notes: list[str]) -> EvalReport:
    sims = [c.similarity for p in panels for c in p.characters if c.similarity is not None]
    occms = [p.occm for p in panels if p.occm is not None]
    pastes = [c.copy_paste for p in panels for c in p.characters if c.copy_paste is not None]
    by_judge: dict[str, list[float]] = {}
    biased: dict[str, list[str]] = {}
    for c in (c for p in panels for c in p.characters):
        for s in c.scores:
            if s.similarity is not None:
                by_judge.setdefault(s.judge, []).append(s.similarity)
            if s.biased and c.id not in biased.setdefault(s.judge, []):
                biased[s.judge].append(c.id)
    biased = {k: v for k, v in biased.items() if v}
    story = {
        "panels": len(panels),
        "cids": float(np.mean(sims)) if sims else None,
        "occm": float(np.mean(occms)) if occms else None,
        "copy_paste": float(np.mean(pastes)) if pastes else None,
        "per_character": {cid: float(np.mean(v)) for cid, v in _by_character(panels).items() if v},
        "judges": {name: float(np.mean(v)) for name, v in by_judge.items() if v},
    }
    ranked = sorted((p for p in panels if p.identity is not None), key=lambda p: p.identity)
    worst = [{"scene": p.scene, "panel": p.panel, "page": p.page, "identity": p.identity} for p in ranked[:5]]
    for name, cids in biased.items():
        notes.append(f"{name} is biased for {', '.join(cids)}: its weights conditioned "
                     f"{'that character' if len(cids) == 1 else 'those characters'}, so it grades its own input")
    return EvalReport(source, judges.describe(), story, panels, worst, notes, judges.details(biased))


def _by_character(panels: list[PanelScore]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for p in panels:
        for c in p.characters:
            if c.similarity is not None:
                out.setdefault(c.id, []).append(c.similarity)
    return out


def evaluate(target: str | Path, *, judges: Judges | None = None, thumbnails: dict | None = None,
             face_models: str | None = None, clip_encoder: str | None = None) -> EvalReport:
    """Evaluate a rendered output (PDF, CBZ, PNG page folder or webtoon strip, with its manifest
    beside it), or a story script (`.yaml`), which is rendered first into a temporary page
    folder (a strip for a `page.size: webtoon` story). `face_models` and `clip_encoder` choose
    the second judges' weights (see `Judges`).

    Raises StoryboardError (one line) when the output, its manifest or its script cannot be
    read, or when `clip_encoder` is not here."""
    from storyboard.evaluation.reading import evaluate_output

    wrong = [f"{name}={value!r}" for name, value, kinds in (("target", target, (str, os.PathLike)),
                                                            ("face_models", face_models, (str, os.PathLike, type(None))),
                                                            ("clip_encoder", clip_encoder, (str, os.PathLike, type(None))))
             if not isinstance(value, kinds)]
    if wrong:  # (TypeErrors from pathlib)
        raise StoryboardError(f"{', '.join(wrong)}: give a path or a name")
    # (a folder given as a Path is one too: the judges take it as text, as the command line gives it)
    face_models, clip_encoder = (None if v is None else os.fspath(v) for v in (face_models, clip_encoder))
    target = Path(target)
    judges = judges or Judges(face_models=face_models, clip_encoder=clip_encoder)
    if target.suffix.lower() in (".yaml", ".yml"):
        import storyboard

        story = storyboard.load_story(target)
        with _scratch.scratch_folder("eval") as tmp:
            # A webtoon-layout story has no pages: its strip is what is read back.
            pages = Path(tmp) / ("strip.webtoon" if story.page.size == "webtoon" else "pages")
            storyboard.render(story, out=f"{pages}/")
            report = evaluate_output(pages, judges, script=target, thumbnails=thumbnails)
            report.source = str(target)
            return report
    return evaluate_output(target, judges, thumbnails=thumbnails)


def write_json(report: EvalReport, path: Path) -> None:
    from storyboard.export import atomic_path

    with atomic_path(path, ".json") as tmp:
        tmp.write_text(json.dumps(report.to_dict(), indent=2), encoding="utf-8")
