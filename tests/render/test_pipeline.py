"""The render's serial path: vector panels are drawn where their page is built (on the page
workers), each drawn once, recorded with its own seconds, stored for the next render; pages
drawn from a fresh drawing equal pages drawn from the cached one; a stopped page worker
leaves no temporary file in the cache."""

from __future__ import annotations

import importlib
import json
import os
import time
from pathlib import Path

import pytest

import storyboard
from storyboard.drawing import Drawing, Path as DrawPath
from storyboard.engines.draft import DraftEngine
from tests.render.test_crash import assert_cache_sound, long_story

render_module = importlib.import_module("storyboard.render")


class _Logged(DraftEngine):
    """The draft engine, noting which process drew each panel in a file (workers are forked)."""

    def __init__(self, log: Path):
        self.log = log

    def draw(self, request):
        with open(self.log, "a") as fh:
            fh.write(f"{os.getpid()} {request.scene} {request.panel}\n")
        return super().draw(request)


def _drawn(log: Path) -> list[tuple[int, int, int]]:
    return [tuple(map(int, line.split())) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.mark.parametrize("cache", [True, False])
def test_panels_are_drawn_once_where_their_pages_are_built(tmp_path, monkeypatch, cache):
    monkeypatch.setenv("STORYBOARD_WORKERS", "2")
    monkeypatch.setattr(render_module, "_run_id", lambda *a: "0000cafe")
    script = long_story(tmp_path / "story.yaml", panels=36, dpi=40)  # 6 pages
    log, seen = tmp_path / "drawn.log", []
    store = tmp_path / "cache" if cache else False
    result = storyboard.render(script, engine=_Logged(log), out=tmp_path / "cold.pdf", cache=store,
                               progress=lambda done, total, request, status: seen.append((done, status)))
    drawn = _drawn(log)
    assert sorted((s, p) for _, s, p in drawn) == sorted((r.scene, r.panel) for r in result.panels)  # once each
    assert {pid for pid, _, _ in drawn} - {os.getpid()}  # the workers drew most of them
    assert [r.status for r in result.panels] == ["generated"] * 36 and all(r.seconds > 0 for r in result.panels)
    assert seen == [(n, "generated") for n in range(1, 37)]  # the bar counts each panel as it is drawn
    manifest = json.loads((tmp_path / "cold.pdf.manifest.json").read_text())
    assert [p["status"] for p in manifest["panels"]] == ["generated"] * 36
    if not cache:
        return
    assert_cache_sound(tmp_path / "cache")
    # The next render reads every drawing; pages drawn from them have the very same bytes.
    for piece in (tmp_path / "cache").glob("*/*.page.*"):
        piece.unlink()
    log.unlink()
    again = storyboard.render(script, engine=_Logged(log), out=tmp_path / "warm.pdf", cache=store)
    assert again.panels_cached == 36 and again.pages_drawn == 6 and not _drawn(log)
    assert (tmp_path / "warm.pdf").read_bytes() == (tmp_path / "cold.pdf").read_bytes()


def test_a_panel_whose_page_is_reused_is_still_drawn_and_stored(tmp_path):
    script = long_story(tmp_path / "story.yaml", panels=12, dpi=40)
    cache = tmp_path / "cache"
    storyboard.render(script, engine="draft", out=tmp_path / "a.pdf", cache=cache)
    gone = sorted(cache.glob("*/*.drawing"))[0]
    gone.unlink()
    result = storyboard.render(script, engine="draft", out=tmp_path / "b.pdf", cache=cache)
    assert result.pages_drawn == 0 and result.panels_generated == 1 and gone.exists()


def test_other_outputs_read_the_drawings_the_pages_made(tmp_path):
    script = long_story(tmp_path / "story.yaml", panels=12, dpi=40)
    for cache in (tmp_path / "cache", False):
        name = "cached" if cache else "nocache"
        result = storyboard.render(script, engine="draft", out=[tmp_path / f"{name}.pdf", tmp_path / name],
                                   cache=cache)
        assert result.panels_generated == 12
    alone = storyboard.render(script, engine="draft", out=tmp_path / "alone", cache=False)
    assert alone.pages == 2
    for page in sorted(p.name for p in (tmp_path / "alone").glob("*.png")):
        from PIL import Image

        with Image.open(tmp_path / "alone" / page) as a, Image.open(tmp_path / "cached" / page) as b, \
                Image.open(tmp_path / "nocache" / page) as c:
            assert a.tobytes() == b.tobytes() == c.tobytes(), page


def test_stored_is_what_the_cache_gives_back():
    from tests.plan.conftest import request

    for angle in ("eye-level", "dutch", "birds-eye"):
        drawing = DraftEngine().draw(request(640, 480, cast=3, angle=angle))
        assert drawing._is_stored() and drawing.stored() is drawing  # the engine keeps the stored precision
        assert repr(Drawing.from_bytes(drawing.to_bytes())) == repr(drawing)
    odd = Drawing(7, 5.5, (255, 255, 255), (
        DrawPath((0.03, -0.0, 1, 2.5), fill=[10.0, 20, 30], stroke=None, width=1.0625, closed=True),
        DrawPath((1.5, 1.5, 3.0, 3.0), stroke=(1, 2, 3), width=2, closed=False)))
    assert not odd._is_stored()
    assert repr(odd.stored()) == repr(Drawing.from_bytes(odd.to_bytes()))
    assert odd.stored().stored() == odd.stored() and odd.stored()._is_stored()


def test_a_stopped_worker_removes_the_temporary_file_it_was_writing(tmp_path, monkeypatch):
    from storyboard.cache import _atomic_write
    from storyboard.export.workers import page_map

    monkeypatch.setenv("STORYBOARD_WORKERS", "2")
    out = tmp_path / "out"

    def job(item: int) -> None:
        if item == 0:  # fails once the other worker is inside its write: the render stops the workers
            end = time.monotonic() + 60
            while not (tmp_path / "writing").exists() and time.monotonic() < end:
                time.sleep(0.01)
            raise RuntimeError("stop")

        def write(fh):
            fh.write(b"partial")
            fh.flush()
            (tmp_path / "writing").touch()
            time.sleep(60)

        _atomic_write(out / f"{item}.bin", write)

    with pytest.raises(RuntimeError, match="stop"):
        list(page_map(job, [0, 1, 2, 3]))
    assert (tmp_path / "writing").exists()
    assert list(out.iterdir()) == []  # the stopped worker's temporary file is gone too


def test_a_worker_that_cannot_take_sigterm_is_killed(tmp_path, monkeypatch):
    import signal

    from storyboard.export import workers

    monkeypatch.setenv("STORYBOARD_WORKERS", "2")
    monkeypatch.setattr(workers, "STOP_WAIT", 0.5)

    def job(item: int) -> None:
        if item == 0:
            end = time.monotonic() + 60
            while not (tmp_path / "blocked").exists() and time.monotonic() < end:
                time.sleep(0.01)
            raise RuntimeError("stop")
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # as if stuck where no handler runs
        (tmp_path / "blocked").touch()
        time.sleep(60)

    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match="stop"):
        list(workers.page_map(job, [0, 1, 2, 3]))
    assert time.monotonic() - t0 < 30


def test_a_worker_killed_mid_page_fails_the_render_instead_of_hanging_it(tmp_path, monkeypatch):
    # The kernel's out-of-memory killer ends a worker painting a large page with SIGKILL:
    # the pool would start another and wait forever for the page that was lost.
    import os
    import signal

    from storyboard.errors import ExportError
    from storyboard.export import workers

    monkeypatch.setenv("STORYBOARD_WORKERS", "2")
    monkeypatch.setattr(workers, "WATCH", 0.1)
    monkeypatch.setattr(workers, "STOP_WAIT", 0.5)

    def job(item: int) -> int:
        if item == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return item

    t0 = time.monotonic()
    with pytest.raises(ExportError, match=r"^a page worker process was ended by SIGKILL \(the system may have run"):
        list(workers.page_map(job, [0, 1, 2, 3, 4, 5]))
    assert time.monotonic() - t0 < 30
