"""A render that paints a folder of PNG pages and fails or is refused says which page it could
not write by the name the user asked for, and leaves nothing behind: not its private folder,
nor the folders it made above it."""

from __future__ import annotations

import errno

import pytest

import storyboard
from storyboard.errors import ExportError, LetteringError
from tests.hardening.test_strict_render import CROWDED
from tests.render.test_crash import long_story


def test_a_refused_render_leaves_no_folder_it_made_for_the_pages(tmp_path):
    script = tmp_path / "story.yaml"
    script.write_text(CROWDED)
    with pytest.raises(LetteringError):
        storyboard.render(script, engine="draft", out=[f"{tmp_path / 'new' / 'deeper' / 'pages'}/"], cache=False,
                          strict=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["story.yaml"]


@pytest.mark.parametrize("outputs", [["pages/"], ["pages/", "book.pdf"]])  # painted in one pass; after the PDF
def test_a_page_that_cannot_be_written_is_named_as_asked_for(tmp_path, monkeypatch, outputs):
    from storyboard.export import png

    script = long_story(tmp_path / "story.yaml", panels=2, dpi=36)
    monkeypatch.setenv("STORYBOARD_WORKERS", "1")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(png, "write_pngs", full)
    out = tmp_path / "out" / "pages"
    with pytest.raises(ExportError, match=rf"^cannot write {out / 'page-001.png'}: No space left on device$"):
        storyboard.render(script, engine="draft", out=[str(tmp_path / "out" / name) for name in outputs], cache=False)
    assert [p.name for p in tmp_path.rglob("*") if not p.is_dir()] == ["story.yaml"]  # no page, private folder
