"""Best-of-N panels: draw several seeds of a panel whose cast carries identities and keep the
one the primary identity judges find most alike (dlib for faces, the perceptual score for drawn
characters; ties: the count match, then the first seed). The second judges (ArcFace, CLIP) are
not consulted: they are usually the very encoders that conditioned the panel.

The first candidate is the panel's own seed, so `candidates: 1` is exactly a plain render.
A panel searched this way is keyed in the cache with N and the judge (`request.extra`), so a
re-render finds the kept image and does not search again. Panels without identities are drawn
once."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from storyboard.evaluation import Judges, References

_STRIDE = 0x9E3779B97F4A7C15  # candidate seeds spread over the seed space (golden ratio)


def candidate_seeds(seed: int, n: int) -> list[int]:
    return [seed] + [(seed + k * _STRIDE) % 2**63 for k in range(1, n)]


class BestOf:
    """The search of one render: the judges and the characters' references, loaded once."""

    def __init__(self, story: Any, n: int, judges: Judges | None = None):
        from storyboard.evaluation.reading import _references

        self.n = n
        # The primary judges only: the choice (and the cache key naming the judge) must not
        # depend on which second judges' weights happen to be installed.
        self.judges = judges or Judges(arcface=None, clip=None)
        self.notes: list[str] = []
        self.references: dict[str, References] = _references(story, self.judges, self.notes)
        self.records: dict[tuple[int, int], dict] = {}

    @property
    def judge(self) -> str:
        return "; ".join(f"{k}: {v}" for k, v in self.judges.describe().items() if k in ("drawn", "face"))

    def wants(self, request: Any) -> bool:
        return self.n > 1 and any(m.identity is not None and m.id in self.references for m in request.cast)

    def mark(self, request: Any) -> Any:
        """The request keyed for the search (N and judge in `extra`), or as it is."""
        if not self.wants(request):
            return request
        return dataclasses.replace(request, extra={**request.extra, "candidates": {"n": self.n, "judge": self.judge}})

    def marked(self, request: Any) -> bool:
        return "candidates" in request.extra

    def choose(self, engine: Any, request: Any):
        """Draw every candidate and return the kept image; the scores go to `records`."""
        from storyboard.evaluation import score_panel

        best, best_rank, scored = None, None, []
        for index, seed in enumerate(candidate_seeds(request.seed, self.n)):
            image = engine.render(dataclasses.replace(request, seed=seed))
            rgb = np.asarray(image.convert("RGB"))
            h, w = rgb.shape[:2]
            boxes = [f.body for f in request.staging] if request.staging else [m.box for m in request.cast]
            cast = [(m.id, (b[0] * w, b[1] * h, b[2] * w, b[3] * h)) for m, b in zip(request.cast, boxes)]
            score = score_panel(rgb, cast, self.references, self.judges)
            identity = score.identity
            rank = (-1.0 if identity is None else identity, score.occm or 0.0, -index)
            scored.append({"seed": seed, "identity": identity, "occm": score.occm})
            if best_rank is None or rank > best_rank:
                best, best_rank, kept = image, rank, seed
        self.records[(request.scene, request.panel)] = {"n": self.n, "judge": self.judge, "kept": kept, "scores": scored}
        return best
