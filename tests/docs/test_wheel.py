"""The built wheel carries the new distribution name, the command, the fonts and the schema."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_contents(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    wheel = next(tmp_path.glob("*.whl"))
    assert wheel.name.startswith("storyboard_comics-")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "Name: storyboard-comics" in archive.read(meta).decode()
        assert "storyboard = storyboard.cli:run" in archive.read(entry).decode()
    assert "storyboard/schema/story.schema.json" in names
    assert any(n.startswith("storyboard/fonts/") and n.endswith((".ttf", ".otf")) for n in names)
    assert "storyboard/fonts/OFL.txt" in names
