"""A render's folder of PNG pages and CBZ are painted where each page's lettering report (and
PDF piece) is made, in the same lettering, and its sketches are drawn there too, once
(`export.images.PagePainter`, `export.pieces.Pages.build(paint=...)`): every panel is lettered
once whatever the page outputs, the render's own process draws only the panels of the page it
builds itself, the manifest still records every panel drawn, and nothing is written (nor left
behind) when the render is refused or fails."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image

import storyboard
from storyboard import lettering
from storyboard.engines.draft import DraftEngine
from storyboard.errors import ExportError, LetteringError
from storyboard.export.canvas import PageCanvas
from tests.hardening.test_strict_render import CROWDED  # a story --strict refuses
from tests.render.test_crash import long_story


def render(script: Path, out, cache=False, **kw):
    return storyboard.render(script, engine="draft", out=out, cache=cache, **kw)


def pixels(path_or_bytes) -> bytes:
    with Image.open(path_or_bytes) as image:
        return image.tobytes()


def cbz_pages(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as archive:
        return [pixels(io.BytesIO(archive.read(name))) for name in sorted(archive.namelist()) if name.endswith(".png")]


@pytest.mark.parametrize("cache", [False, True])
@pytest.mark.parametrize("pdf", [False, True])
def test_pages_and_cbz_letter_each_panel_once(tmp_path, monkeypatch, cache, pdf):
    script = long_story(tmp_path / "story.yaml", panels=12, dpi=36)  # 2 pages
    monkeypatch.setenv("STORYBOARD_WORKERS", "1")  # every page lettered in this process: counted here
    solved = []
    real = lettering._letter_panel
    monkeypatch.setattr(lettering, "_letter_panel", lambda *a, **k: solved.append(a[1]) or real(*a, **k))
    played = []  # each page played (and encoded) once for both outputs
    bands = PageCanvas.bands
    monkeypatch.setattr(PageCanvas, "bands", lambda page, *a: played.append(page) or bands(page, *a))
    drawn = []  # each sketch drawn once, for the PDF and the painted pages
    draw = DraftEngine.draw
    monkeypatch.setattr(DraftEngine, "draw", lambda self, request: drawn.append((request.scene, request.panel)) or draw(self, request))
    store = tmp_path / "cache" if cache else False
    outputs = [tmp_path / "book.pdf"] * pdf + [tmp_path / "pages", tmp_path / "book.cbz"]
    result = render(script, outputs, store)
    # (24 before: the report (and PDF piece), then the folder and the CBZ, those two sharing one lettering)
    assert result.pages == 2 and len(solved) == 12
    assert len(played) == 2 and len(drawn) == len(set(drawn)) == 12
    with zipfile.ZipFile(tmp_path / "book.cbz") as archive, Image.open(tmp_path / "pages" / "page-001.png") as page:
        with Image.open(io.BytesIO(archive.read("page-001.png"))) as in_cbz:  # each its own text chunks
            assert set(page.text) - set(in_cbz.text) == {"storyboard:panels"}
    assert len({id(panel) for panel in solved}) == 12
    # The same pages as a render of the folder alone, the same PDF as a render of the PDF alone.
    render(script, [tmp_path / "alone"], False)
    names = sorted(p.name for p in (tmp_path / "pages").glob("page-*.png"))
    assert names == ["page-001.png", "page-002.png"]
    assert [pixels(tmp_path / "pages" / n) for n in names] == [pixels(tmp_path / "alone" / n) for n in names]
    assert cbz_pages(tmp_path / "book.cbz") == [pixels(tmp_path / "pages" / n) for n in names]
    if pdf:
        render(script, [tmp_path / "alone.pdf"], False)
        assert pdf_text(tmp_path / "book.pdf") == pdf_text(tmp_path / "alone.pdf")
    if cache:  # again from the cache: the reports are read back, the pages painted (and lettered) once more
        solved.clear()
        again = render(script, [tmp_path / "pages"], store)
        assert again.panels_cached == 12 and again.pages_drawn == 0 and len(solved) == 12
        assert [pixels(tmp_path / "pages" / n) for n in names] == [pixels(tmp_path / "alone" / n) for n in names]


def pdf_text(path: Path) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_sketches_are_drawn_where_their_page_is_painted(tmp_path, monkeypatch):
    script = long_story(tmp_path / "story.yaml", panels=36, dpi=36)  # 6 pages of 6 panels
    monkeypatch.setenv("STORYBOARD_WORKERS", "2")
    here = []
    real = DraftEngine.draw
    monkeypatch.setattr(DraftEngine, "draw", lambda self, request: here.append(request.panel) or real(self, request))
    told = []
    result = render(script, tmp_path / "pages", progress=lambda done, total, request, status: told.append(status))
    # This process builds (and paints) the first page before the workers are forked: its 6
    # panels are drawn here, the others on the workers (drawn here, they would all be counted).
    assert len(here) == 6
    assert result.panels_generated == 36 and all(p.status == "generated" and p.seconds > 0 for p in result.panels)
    assert told == ["generated"] * 36
    manifest = json.loads((tmp_path / "pages.manifest.json").read_text())
    assert [p["status"] for p in manifest["panels"]] == ["generated"] * 36
    assert len(list((tmp_path / "pages").glob("page-*.png"))) == 6


def test_a_strict_refusal_leaves_the_folder_as_it_was(tmp_path):
    script = long_story(tmp_path / "story.yaml", panels=6, dpi=36)
    render(script, tmp_path / "pages")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    before.update({f"pages/{p.name}": p.read_bytes() for p in (tmp_path / "pages").iterdir()})
    (tmp_path / "story.yaml").write_text(CROWDED)
    with pytest.raises(LetteringError):
        render(tmp_path / "story.yaml", [tmp_path / "pages", tmp_path / "book.cbz"], strict=True)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file() and p.name != "story.yaml"}
    after.update({f"pages/{p.name}": p.read_bytes() for p in (tmp_path / "pages").iterdir()})
    before.pop("story.yaml")
    assert after == before  # the old pages and their manifest, no CBZ
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pages", "pages.manifest.json", "story.yaml"]


def test_a_page_that_fails_leaves_no_pages_behind(tmp_path, monkeypatch):
    from storyboard.export import images

    script = long_story(tmp_path / "story.yaml", panels=36, dpi=36)
    monkeypatch.setenv("STORYBOARD_WORKERS", "2")
    real = images._painted

    def painted(story, book, index, *rest):
        if index == 4:
            raise ExportError("page 5 failed")
        return real(story, book, index, *rest)

    monkeypatch.setattr(images, "_painted", painted)
    with pytest.raises(ExportError, match="page 5 failed"):
        render(script, [tmp_path / "pages", tmp_path / "book.cbz"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["story.yaml"]  # no folder, no private one, no CBZ
