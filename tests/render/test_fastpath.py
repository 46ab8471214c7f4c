"""Warm re-renders embed the cached print-ready JPEGs: no panel is decoded or encoded again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

import storyboard
from storyboard.cache import PanelCache
from storyboard.engines.draft import DraftEngine

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def script(tmp_path) -> Path:
    shutil.copytree(ROOT / "examples", tmp_path / "story")
    return tmp_path / "story" / "lighthouse.yaml"


def raster_engine() -> DraftEngine:
    """The draft engine drawing pixels, as an engine without vectors does: the fast path is
    for raster panels (vector drafts keep no print JPEG)."""
    engine = DraftEngine()
    engine.draws_vectors = False
    return engine


def render(script: Path, tmp_path: Path, out: str | list[str] = "out.pdf", **kw):
    kw.setdefault("cache", tmp_path / "cache")
    outs = [tmp_path / o for o in out] if isinstance(out, list) else tmp_path / out
    return storyboard.render(script, engine=kw.pop("engine", None) or raster_engine(), out=outs, **kw)


def embedded_jpegs(path: Path) -> list[bytes]:
    from pypdf import PdfReader

    return [image.data for page in PdfReader(path).pages for image in page.images]


def prints(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob("??/*.print-*.jpg"))


def test_warm_render_decodes_no_panel_and_embeds_the_same_bytes(script, tmp_path, monkeypatch):
    first = render(script, tmp_path, "cold.pdf")
    assert len(prints(tmp_path)) == first.panels_total == 7

    def no_decoding(*args, **kwargs):
        raise AssertionError("a warm PDF render decoded a cached panel")

    monkeypatch.setattr(PanelCache, "get", no_decoding)
    monkeypatch.setattr("storyboard.export.pdf.print_jpeg", no_decoding)
    warm = render(script, tmp_path, "warm.pdf")
    assert warm.panels_cached == 7 and warm.panels_generated == 0
    monkeypatch.undo()
    uncached = render(script, tmp_path, "uncached.pdf", cache=False)
    assert uncached.panels_generated == 7
    cold_images = embedded_jpegs(tmp_path / "cold.pdf")
    assert len(cold_images) == 7
    assert embedded_jpegs(tmp_path / "warm.pdf") == cold_images == embedded_jpegs(tmp_path / "uncached.pdf")


def test_damaged_print_jpeg_is_made_again(script, tmp_path):
    render(script, tmp_path)
    victim = prints(tmp_path)[0]
    good = victim.read_bytes()
    victim.write_bytes(good[: len(good) // 2])  # truncated: no end marker
    for piece in (tmp_path / "cache").glob("??/*.page.*"):  # finished pages would need no JPEG at all
        piece.unlink()
    again = render(script, tmp_path)
    assert again.panels_generated == 0 and again.panels_cached == 7
    assert victim.read_bytes() == good


def test_damaged_panel_is_a_miss_even_with_its_print_jpeg(script, tmp_path):
    render(script, tmp_path)
    victim = next((tmp_path / "cache").glob("??/*.png"))
    victim.write_bytes(victim.read_bytes()[:-40])  # the IEND chunk and part of the data cut
    assert render(script, tmp_path).panels_generated == 1


def test_pages_from_a_warm_cache_match_a_cold_render(script, tmp_path):
    cold = render(script, tmp_path, "cold_pages", cache=tmp_path / "other")
    render(script, tmp_path, "warm.pdf")  # fills the cache, print JPEGs included
    warm = render(script, tmp_path, "warm_pages")
    assert warm.panels_generated == 0 and cold.pages == warm.pages
    for a, b in zip(sorted((tmp_path / "cold_pages").glob("*.png")), sorted((tmp_path / "warm_pages").glob("*.png")),
                    strict=True):
        with Image.open(a) as one, Image.open(b) as two:
            assert one.tobytes() == two.tobytes(), a.name


def test_marked_panels_keep_no_print_jpeg(script, tmp_path, monkeypatch):
    marked = []

    def mark(image, run_id):
        marked.append(run_id)
        return image.copy()

    monkeypatch.setattr("storyboard.watermark.mark", mark)
    engine = raster_engine()
    engine.generative = True  # a draw that must carry the machine-generated mark
    first = render(script, tmp_path, ["a.pdf", "pages"], engine=engine)
    assert not prints(tmp_path)
    assert marked == [first.run_id] * 7  # once per panel for both outputs
    second = render(script, tmp_path, engine=engine)
    assert second.panels_cached == 7 and marked[7:] == [second.run_id] * 7


def test_cached_panels_without_print_jpegs_get_them_again(script, tmp_path):
    render(script, tmp_path, "first.pdf")
    made = {p.name: p.read_bytes() for p in prints(tmp_path)}
    for path in prints(tmp_path):
        path.unlink()  # a cache filled before print JPEGs existed, or a render killed before writing them
    again = render(script, tmp_path, "again.pdf")
    assert again.panels_generated == 0 and again.panels_cached == 7
    assert {p.name: p.read_bytes() for p in prints(tmp_path)} == made
    assert embedded_jpegs(tmp_path / "again.pdf") == embedded_jpegs(tmp_path / "first.pdf")


def test_panel_gone_before_its_export_is_drawn_again(script, tmp_path, monkeypatch):
    render(script, tmp_path)
    real_get = PanelCache.get
    lost = []

    def cleared_meanwhile(self, key, size=None):
        if not lost:  # another process's `cache clear` between the lookup and the decode
            lost.append(key)
            for path in (tmp_path / "cache").glob(f"??/{key}*"):
                path.unlink()
        return real_get(self, key, size)

    monkeypatch.setattr(PanelCache, "get", cleared_meanwhile)
    result = render(script, tmp_path, "pages")
    assert lost and result.panels_total == 7 and len(list((tmp_path / "pages").glob("*.png"))) == result.pages
    assert (tmp_path / "cache" / lost[0][:2] / f"{lost[0]}.png").is_file()
    assert (tmp_path / "cache" / lost[0][:2] / f"{lost[0]}.json").is_file()
