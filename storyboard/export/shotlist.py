"""The shot list: one CSV row per panel, as film and TV boards are handed over."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from storyboard.export import atomic_path
from storyboard.timing import timeline

COLUMNS = ("shot", "scene", "setting", "shot_type", "angle", "cast", "action", "dialogue", "duration_s")


def rows(story: Any) -> list[dict[str, str]]:
    """One dict per panel in story order, keyed by COLUMNS; `shot` is the 1-based shot number."""
    out = []
    for number, timed in enumerate(timeline(story), start=1):
        scene = story.scenes[timed.scene]
        panel = scene.panels[timed.panel]
        names = [story.character_name(c.id) for c in panel.cast]
        lines = [(line.text if line.is_narration else f"{story.character_name(line.speaker)}: {line.text}")
                 for line in panel.dialogue]
        if panel.caption:
            lines.insert(0, f"[caption] {panel.caption}")
        out.append({
            "shot": str(number),
            "scene": scene.id,
            "setting": scene.setting,
            "shot_type": panel.shot,
            "angle": panel.angle,
            "cast": "; ".join(names),
            "action": panel.action,
            "dialogue": " / ".join(lines),
            "duration_s": f"{timed.seconds:.2f}",
        })
    return out


def write_shotlist(story: Any, path: str | Path) -> Path:
    """Write the shot list as UTF-8 CSV (RFC 4180 quoting), atomically."""
    path = Path(path)
    with atomic_path(path, ".csv") as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows(story))
    return path
