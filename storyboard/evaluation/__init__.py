"""Measured consistency: how well each panel keeps each character's identity.

`evaluate(target)` reads a rendered output (PDF, CBZ or folder of PNG pages, with the
manifest beside it) or renders a story first, and reports for every panel and every
on-stage character, by the metrics of ViStoryBench:

- **CIDS** (character identity similarity): each face found in the panel is embedded by an
  independent judge (`judges.DlibFaceJudge`), matched to the panel's characters by Hungarian
  assignment on the descriptor distance (scipy), and scored `1 - distance` against the
  character's references, in [0, 1], higher is more alike; a character not found scores 0.
  Drawn characters are compared in their staged region by a weight-free perceptual judge.
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
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from storyboard.errors import StoryboardError

EPSILON = 1e-6  # OCCM's epsilon: a panel with nobody expected and nobody found scores 100


@dataclass
class CharacterScore:
    """One on-stage character in one panel."""

    id: str
    detected: bool | None  # None: the judge cannot detect this kind (drawn characters)
    similarity: float | None  # [0, 1], higher is more alike; None without references
    box_pt: list[float] | None  # [x0, y0, x1, y1] of the match (or the staged region), page points
    distance: float | None = None  # the judge's own distance (dlib: Euclidean, < 0.6 same person)
    copy_paste: float | None = None
    judge: str = ""


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
    """`judge`: the judges' names and versions; `story`: the story-level means (`cids`,
    `occm`, `copy_paste`, `panels`); `panels`: one PanelScore per panel; `worst`: the panels
    with the lowest identity, worst first; `notes`: what the numbers cannot say."""

    source: str
    judge: dict[str, str]
    story: dict[str, Any]
    panels: list[PanelScore]
    worst: list[dict[str, Any]]
    notes: list[str]

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


def references_from_images(images: list[np.ndarray], kind: str, judges: "Judges") -> References:
    """Embed reference images (RGB uint8 arrays). `kind` "auto" is face when the judge finds a
    face in the first image, else drawn."""
    if kind in ("face", "auto") and judges.face is not None:
        faces = [judges.face.faces(image) for image in images]
        if all(faces):
            return References("face", [f[0].descriptor for f in faces], [f[0].chip for f in faces])
        if kind == "face":
            raise StoryboardError("no face found in a reference image of a face character")
    return References("drawn", signatures=[judges.drawn.signature(image) for image in images])


class Judges:
    """The judges of one evaluation, loaded once."""

    def __init__(self, face: Any = "default"):
        from storyboard.evaluation.judges import DlibFaceJudge, PerceptualJudge

        self.drawn = PerceptualJudge()
        if face == "default":
            try:
                face = DlibFaceJudge()
            except StoryboardError:
                face = None  # the eval extra is not installed: drawn judging only, said in the notes
        self.face = face

    def describe(self) -> dict[str, str]:
        out = {"drawn": f"{self.drawn.name} ({self.drawn.version})"}
        out["face"] = f"{self.face.name} ({self.face.version})" if self.face else "none (install the 'eval' extra)"
        return out


def score_panel(rgb: np.ndarray, cast: list[tuple[str, tuple[float, float, float, float]]],
                references: dict[str, References], judges: Judges, *, to_pt=None,
                scene: str = "", panel: int = 0, page: int = 1) -> PanelScore:
    """Score one panel image (RGB uint8, shape (H, W, 3)).

    `cast` lists (character id, staged body box in pixels of `rgb`) for every on-stage
    character; `references` holds the embedded references by id (a character without one
    gets similarity None). `to_pt(box_px)` maps a pixel box to page points for `box_pt`."""
    from scipy.optimize import linear_sum_assignment

    from storyboard.evaluation.judges import copy_paste

    to_pt = to_pt or (lambda box: [float(v) for v in box])
    faces_cast = [cid for cid, _ in cast if cid in references and references[cid].kind == "face"]
    found = judges.face.faces(rgb) if faces_cast and judges.face else []
    scores: dict[str, CharacterScore] = {}
    if faces_cast and found:
        cost = np.array([[min(judges.face.distance(f.descriptor, d) for d in references[cid].descriptors)
                          for cid in faces_cast] for f in found])
        for row, col in zip(*linear_sum_assignment(cost)):
            cid, face = faces_cast[col], found[row]
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
            judge = judges.face.name if judges.face else ""
            scores[cid] = CharacterScore(cid, False, 0.0 if judges.face else None, None, judge=judge)
        else:
            x0, y0, x1, y1 = (int(round(v)) for v in box)
            region = rgb[max(0, y0):max(y0 + 1, y1), max(0, x0):max(x0 + 1, x1)]
            mine = judges.drawn.signature(region)
            similarity = max(judges.drawn.similarity(mine, s) for s in refs.signatures)
            scores[cid] = CharacterScore(cid, None, similarity, to_pt(box), judge=judges.drawn.name)
    detected = len(found) if faces_cast and judges.face else None
    expected = len(faces_cast)
    return PanelScore(scene, panel, page, expected, detected,
                      occm(detected, expected) if detected is not None else None,
                      [scores[cid] for cid, _ in cast])


def summarise(source: str, panels: list[PanelScore], judges: Judges, notes: list[str]) -> EvalReport:
    sims = [c.similarity for p in panels for c in p.characters if c.similarity is not None]
    occms = [p.occm for p in panels if p.occm is not None]
    pastes = [c.copy_paste for p in panels for c in p.characters if c.copy_paste is not None]
    story = {
        "panels": len(panels),
        "cids": float(np.mean(sims)) if sims else None,
        "occm": float(np.mean(occms)) if occms else None,
        "copy_paste": float(np.mean(pastes)) if pastes else None,
        "per_character": {cid: float(np.mean(v)) for cid, v in _by_character(panels).items() if v},
    }
    ranked = sorted((p for p in panels if p.identity is not None), key=lambda p: p.identity)
    worst = [{"scene": p.scene, "panel": p.panel, "page": p.page, "identity": p.identity} for p in ranked[:5]]
    return EvalReport(source, judges.describe(), story, panels, worst, notes)


def _by_character(panels: list[PanelScore]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for p in panels:
        for c in p.characters:
            if c.similarity is not None:
                out.setdefault(c.id, []).append(c.similarity)
    return out


def evaluate(target: str | Path, *, judges: Judges | None = None, thumbnails: dict | None = None) -> EvalReport:
    """Evaluate a rendered output (PDF, CBZ, PNG page folder or webtoon strip, with its manifest
    beside it), or a story script (`.yaml`), which is rendered first into a temporary page
    folder (a strip for a `page.size: webtoon` story).

    Raises StoryboardError (one line) when the output, its manifest or its script cannot be read."""
    from storyboard.evaluation.reading import evaluate_output

    target = Path(target)
    judges = judges or Judges()
    if target.suffix.lower() in (".yaml", ".yml"):
        import storyboard

        story = storyboard.load_story(target)
        with tempfile.TemporaryDirectory(prefix="storyboard-eval-") as tmp:
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
