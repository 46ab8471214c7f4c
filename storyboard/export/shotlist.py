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


# A cell a spreadsheet would read as a formula (CSV injection: `=HYPERLINK(...)`, `+1+cmd|...`,
# `@SUM(...)` in an untrusted script's action, names or lines) starts with one of these.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _as_text(cell: str) -> str:
    """`cell` as a spreadsheet shows it as text: a leading apostrophe before a formula's first
    character (OWASP's advice; Excel, LibreOffice and Google Sheets hide the apostrophe)."""
    return "'" + cell if cell.startswith(_FORMULA) else cell


def write_shotlist(story: Any, path: str | Path) -> Path:
    """Write the shot list as UTF-8 CSV (RFC 4180 quoting), atomically; a text cell that
    starts like a formula gets a leading apostrophe (`_as_text`)."""
    path = Path(path)
    with atomic_path(path, ".csv") as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows({k: _as_text(v) for k, v in row.items()} for row in rows(story))
    return path
