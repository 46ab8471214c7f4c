"""Peak memory does not grow with the length of the book (issue 18, item 8): a CBZ is written
a page at a time, `--no-cache` keeps finished panels on disk, not in memory, and a PDF is
assembled from one-page PDFs on disk (the print JPEGs wait on disk, not in a dict).

Each render runs in its own process and reports its peak resident size; a book three times
as long (2 -> 6 pages of 8 MB each at 200 dpi) may cost a little more (lettering and layout
of more pages), but far less than the 4 extra pages held decoded (+44 MB measured when CBZ
export held every page)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.render.test_crash import long_story

ROOT = Path(__file__).resolve().parents[2]
GROWTH_MB = 20

_PROGRAM = """
import json, resource, sys
import storyboard
from storyboard.engines.draft import DraftEngine
script, out, raster = sys.argv[1], sys.argv[2], sys.argv[3] == "raster"
engine = DraftEngine()
engine.draws_vectors = not raster  # raster panels are what the cache (or memory) would hold
result = storyboard.render(script, engine=engine, out=out, cache=False, watermark=False)
print(json.dumps({"pages": result.pages, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "workers": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def peak_mb(tmp_path: Path, panels: int, out: str, raster: bool) -> tuple[int, float]:
    report = peaks(tmp_path, panels, out, raster)
    return report["pages"], report["peak"]


def peaks(tmp_path: Path, panels: int, out: str, raster: bool) -> dict:
    """The render's page count, and the peak resident MB of its process and of its workers."""
    script = long_story(tmp_path / f"story{panels}.yaml", panels=panels, dpi=200)
    done = subprocess.run([sys.executable, "-c", _PROGRAM, str(script), str(tmp_path / f"{panels}-{out}"),
                           "raster" if raster else "vector"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("out, raster", [("book.cbz", False), ("pages", True)],
                         ids=["cbz", "pages without cache"])
def test_peak_memory_does_not_grow_with_pages(tmp_path, out, raster):
    short_pages, short = peak_mb(tmp_path, 12, out, raster)
    long_pages, long = peak_mb(tmp_path, 36, out, raster)
    assert (short_pages, long_pages) == (2, 6)
    assert long - short < GROWTH_MB, f"peak {short:.0f} MB for 2 pages, {long:.0f} MB for 6"


@pytest.mark.slow
def test_pdf_peak_memory_does_not_grow_with_pages(tmp_path):
    """Raster panels, no cache: before, every panel's print JPEG waited in a dict and reportlab
    held the whole document until it saved it (+8 MB from 6 to 12 pages of this story); now
    the JPEGs wait on disk and each page is its own PDF, drawn by a worker process and joined
    by qpdf from the files (+1 MB). The workers' peak does not grow either."""
    short, long = peaks(tmp_path, 36, "book.pdf", True), peaks(tmp_path, 72, "book.pdf", True)
    assert (short["pages"], long["pages"]) == (6, 12)
    for which in ("peak", "workers"):
        assert long[which] - short[which] < 4, f"{which}: {short[which]:.0f} MB for 6 pages, {long[which]:.0f} MB for 12"
