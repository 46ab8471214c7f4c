"""One render makes its provenance record once: the PDF, the painted pages, the CBZ and every
manifest carry that one record, whichever path paints the pages."""

from __future__ import annotations

import json
import zipfile

import pytest
from PIL import Image

import storyboard
from storyboard import provenance
from tests.render.test_crash import long_story


@pytest.mark.parametrize("outputs", [("book.pdf", "pages", "book.cbz"), ("pages", "book.cbz")],
                         ids=["with-pdf", "one-pass"])
def test_one_record_for_every_output(tmp_path, monkeypatch, outputs):
    script = long_story(tmp_path / "story.yaml", panels=6, dpi=36)
    made = []
    real = provenance.provenance
    monkeypatch.setattr(provenance, "provenance", lambda *a, **k: made.append(real(*a, **k)) or made[-1])
    result = storyboard.render(script, engine="draft", out=[tmp_path / name for name in outputs], cache=False)
    assert len(made) == 1 and made[0]["run_id"] == result.run_id
    with Image.open(tmp_path / "pages" / "page-001.png") as page:
        assert json.loads(page.text["storyboard:provenance"]) == made[0]
    with zipfile.ZipFile(tmp_path / "book.cbz") as archive:
        assert f"Run: {result.run_id}." in archive.read("ComicInfo.xml").decode()
    for name in outputs:
        assert json.loads((tmp_path / f"{name}.manifest.json").read_text())["run_id"] == result.run_id
