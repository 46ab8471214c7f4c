"""A machine without the OpenGL loaders skia-python links (python:slim, distroless) gets one
line naming the package to install for PNG pages, not the linker's ImportError; a PDF render
does not need Skia at all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.hardening.cli_mistakes import GOOD

# What CPython raises when the extension's shared libraries are missing.
FAKE_SKIA = 'raise ImportError("libGL.so.1: cannot open shared object file: No such file or directory")\n'


def _render(tmp_path: Path, out: str) -> subprocess.CompletedProcess:
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "skia.py").write_text(FAKE_SKIA)
    (tmp_path / "good.yaml").write_text(GOOD)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocked), str(Path(__file__).parents[2])])}
    return subprocess.run([sys.executable, "-m", "storyboard", "render", "good.yaml", "--no-cache", "-o", out],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_png_pages_name_the_missing_library(tmp_path):
    done = _render(tmp_path, "pages/")
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert "libGL.so.1" in done.stderr and "apt-get install libgl1 libegl1" in done.stderr
    assert not (tmp_path / "pages").exists()


def test_a_pdf_render_does_not_need_skia(tmp_path):
    done = _render(tmp_path, "book.pdf")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "book.pdf").stat().st_size > 0
