"""A line of a right-to-left story that its balloon's wrapping starts with a Latin word is set
right to left (shaping, rule HL1); its PDF text layer is ordered for the same paragraph
direction, so stream readers read its words in order."""

from __future__ import annotations

import json
import shutil

import pytest

import storyboard

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")


def test_a_hebrew_storys_line_that_starts_in_latin_reads_in_order(tmp_path):
    from pypdf import PdfReader

    line = "Python 3 כל יום"
    # A mostly right-to-left page: poppler reads it right to left, pypdf the stream's order.
    panels = [{"action": "שלום", "caption": line, "sfx": ["שלום שלום שלום שלום שלום שלום שלום שלום שלום"]}]
    path = tmp_path / "he.yaml"
    path.write_text(json.dumps({"title": "T", "language": "he", "generation": {"engine": "draft"},
                                "page": {"size": "a4", "dpi": 36}, "scenes": [{"panels": panels}]},
                               ensure_ascii=False), encoding="utf-8")
    storyboard.render(path, out=tmp_path / "he.pdf", cache=False, watermark=False)
    text = PdfReader(tmp_path / "he.pdf").pages[0].extract_text()
    assert line in text.replace("\u200f", "").replace("\u200e", ""), text
