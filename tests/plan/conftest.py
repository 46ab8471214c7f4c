"""Fixtures for planning, masks, styles and the draft engine."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from storyboard.engines.base import CastMember, PanelRequest
from storyboard.layout import Book, Page, PageSpec, PanelSlot, Rect
from storyboard.script import Story, parse_story

STORY = """
title: Seeds
style:
  preset: noir
  prompt: rain-soaked streets, ink wash
  negative: colour photo, lens flare
generation:
  seed: 99
characters:
  mara:
    name: Mara
    description: woman in her thirties, short black hair, yellow raincoat
  keeper:
    name: The Keeper
    description: old man, white beard, navy wool sweater
scenes:
  - id: storm
    setting: a lighthouse on a cliff in a storm, night
    panels:
      - shot: establishing
        action: waves crash against the rocks
      - shot: medium
        angle: low
        action: Mara climbs the spiral stairs holding a lantern
        prompt: dramatic rim light
        cast:
          - mara: {position: left, expression: determined, pose: gripping the rail}
          - keeper: right
      - action: the lamp turns
        seed: 42
  - id: morning
    setting: the lamp room at dawn
    panels:
      - shot: close-up
        action: the keeper polishes the lens
        cast: [keeper]
      - action: the sea is calm
"""


def make_story(text: str = STORY, base_dir: Path | None = None) -> Story:
    return parse_story(textwrap.dedent(text), base_dir=base_dir)


def book_for(story: Story, sizes: dict[tuple[int, int], tuple[int, int]] | None = None) -> Book:
    """A hand-made book: one page per scene, one slot per panel, each slot of a distinct
    generation size (or the size given in `sizes`)."""
    sizes = sizes or {}
    spec = PageSpec(width=477, height=738, bleed=9, margin=34, gutter=11, dpi=300, reading="ltr", kind="us-comic")
    pages = []
    for s, scene in enumerate(story.scenes):
        slots = []
        for p, _ in enumerate(scene.panels):
            width, height = sizes.get((s, p), (512 + 8 * p, 384 + 8 * s))
            rect = Rect(40, 40 + 100 * p, 300, 90)
            slots.append(PanelSlot(s, p, p, rect, rect, width, height, width * 2, height * 2))
        pages.append(Page(number=s + 1, template="rows", slots=tuple(slots)))
    return Book(spec=spec, pages=tuple(pages))


def request(width: int = 512, height: int = 384, seed: int = 7, *, shot: str = "medium",
            angle: str = "eye-level", cast: int = 2, setting: str = "a kitchen at night",
            action: str = "Mara pours the keeper a cup of tea") -> PanelRequest:
    boxes = [(0.05, 0.15, 0.45, 1.0), (0.55, 0.15, 0.95, 1.0), (0.3, 0.15, 0.7, 1.0),
             (0.0, 0.15, 0.2, 1.0), (0.8, 0.15, 1.0, 1.0)]
    names = ["Mara", "The Keeper", "Ana", "Ben", "Cy"]
    members = tuple(
        CastMember(id=names[i].lower().replace(" ", "-"), name=names[i], description="", box=boxes[i])
        for i in range(cast)
    )
    return PanelRequest(scene=0, panel=0, label="scene 'test' panel 1", prompt="", negative_prompt="",
                        width=width, height=height, seed=seed, setting=setting, action=action, shot=shot,
                        angle=angle, cast=members)


@pytest.fixture
def story() -> Story:
    return make_story()
