"""A synthetic story for the benchmarks: N pages of 6 panels, 2 balloons in every panel.

Every page is one scene that starts on a new page, so pagination gives exactly `pages` pages of
six panels (the 2x3 grid) whatever the layout costs prefer. Text, shots and angles vary from
panel to panel, deterministically (a fixed seed), so the draft engine and the lettering do
the work a real script asks of them.

    python bench/_story.py --pages 100 -o /tmp/story.yaml
    python bench/_story.py --panels 100 -o /tmp/story.yaml
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

PANELS_PER_PAGE = 6
BALLOONS_PER_PANEL = 2
# Page geometry shared with the comicforge side of bench/pages.py.
PAGE_SIZE = "a4"
PAGE_MM = (210.0, 297.0)
MARGIN_MM = 12.0
GUTTER_MM = 4.0
BLEED_MM = 3.0
DPI = 300

CHARACTERS = {
    "ada": ("Ada", "a tall engineer with round glasses and a grey work coat"),
    "bo": ("Bo", "a stocky sailor with a red beanie and a thick beard"),
    "cy": ("Cy", "a young courier with a bicycle helmet and a green jacket"),
    "dee": ("Dee", "an elderly librarian with a silver bun and a cardigan"),
}
SETTINGS = [
    "a harbour at dusk with cranes and stacked containers",
    "a cramped kitchen in an old apartment, night",
    "a rooftop over a rainy city",
    "the reading room of a public library",
    "a forest road in autumn, early morning",
    "the deck of a fishing boat in heavy sea",
]
SHOTS = ["establishing", "wide", "medium", "medium", "close-up", "over-shoulder"]
ANGLES = ["eye-level", "eye-level", "low", "high", "dutch"]
ACTIONS = [
    "{a} hands {b} a folded map",
    "{a} points at something off panel while {b} looks doubtful",
    "{a} and {b} argue across a table",
    "{a} walks away as {b} calls after them",
    "{a} leans in to whisper to {b}",
    "{a} laughs while {b} shakes their head",
]
LINES = [
    "We should have left an hour ago.",
    "Did you bring the key, or do I have to ask again?",
    "Look at that. Nobody has been here in years.",
    "Keep your voice down!",
    "I told you the bridge was out.",
    "Fine. But this is the last time.",
    "Is that what I think it is?",
    "Hold the lamp steady, I can't see a thing.",
    "They're coming back. Hurry!",
    "You always say that.",
]
KINDS = ["speech", "speech", "speech", "thought", "whisper", "shout"]


def story_dict(*, pages: int | None = None, panels: int | None = None, seed: int = 7) -> dict:
    """The story as plain data (the shape of the YAML script): `pages` full pages, or
    `panels` panels on as many pages as they fill (the last one may be shorter)."""
    if (pages is None) == (panels is None):
        raise ValueError("give pages or panels")
    total = pages * PANELS_PER_PAGE if pages is not None else panels
    if total < 1:
        raise ValueError("a story needs at least one panel")
    rng = random.Random(seed)
    ids = list(CHARACTERS)
    scenes = []
    for first in range(0, total, PANELS_PER_PAGE):
        page_panels = []
        for _ in range(min(PANELS_PER_PAGE, total - first)):
            a, b = rng.sample(ids, 2)
            dialogue = []
            for speaker in (a, b)[:BALLOONS_PER_PANEL]:
                kind = rng.choice(KINDS)
                text = rng.choice(LINES)
                dialogue.append({speaker: text if kind == "speech" else {"text": text, "kind": kind}})
            page_panels.append({
                "shot": rng.choice(SHOTS),
                "angle": rng.choice(ANGLES),
                "action": rng.choice(ACTIONS).format(a=CHARACTERS[a][0], b=CHARACTERS[b][0]),
                "cast": [{a: "left"}, {b: "right"}],
                "dialogue": dialogue,
            })
        number = len(scenes) + 1
        scenes.append({"id": f"page-{number}", "setting": SETTINGS[(number - 1) % len(SETTINGS)],
                       "new_page": True, "panels": page_panels})
    return {
        "storyboard": 1,
        "title": f"Benchmark story ({total} panels)",
        "author": "bench",
        "page": {"size": PAGE_SIZE, "reading": "ltr", "bleed_mm": BLEED_MM, "margin_mm": MARGIN_MM,
                 "gutter_mm": GUTTER_MM, "dpi": DPI},
        "style": {"prompt": "ink lines, flat colours"},
        "generation": {"engine": "draft", "seed": seed},
        "characters": {cid: {"name": name, "description": text} for cid, (name, text) in CHARACTERS.items()},
        "scenes": scenes,
    }


def story_yaml(*, pages: int | None = None, panels: int | None = None, seed: int = 7) -> str:
    """The story as block-style YAML, the way people write scripts."""
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style, yaml.allow_unicode, yaml.width = False, True, 100
    yaml.sort_base_mapping_type_on_output = False  # keys in the order people write them
    out = io.StringIO()
    yaml.dump(story_dict(pages=pages, panels=panels, seed=seed), out)
    return out.getvalue()


def write_story(path: str | Path, *, pages: int | None = None, panels: int | None = None, seed: int = 7) -> Path:
    path = Path(path)
    path.write_text(story_yaml(pages=pages, panels=panels, seed=seed), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--pages", type=int, help="full pages of 6 panels (default 100)")
    size.add_argument("--panels", type=int, help="this many panels instead")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-o", "--out", required=True)
    args = parser.parse_args(argv)
    pages = args.pages if args.pages or args.panels else 100
    write_story(args.out, pages=pages, panels=args.panels, seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
