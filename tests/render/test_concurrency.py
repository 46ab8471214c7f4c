"""Two renders of different stories sharing one cache folder at the same time, as separate
processes: both succeed, and every entry they leave is complete and reusable."""

from __future__ import annotations

import json
import time
from pathlib import Path

from storyboard.render import render
from tests.render.test_crash import (assert_cache_sound, assert_pdf_complete, cache_pngs, long_story,
                                     render_command, start)

PANELS = 30
SHARED = 12  # panels both stories have, word for word: both processes race to cache them


def test_two_renders_share_one_cache(tmp_path):
    cache = tmp_path / "cache"
    jobs = {}
    for tag in ("a", "b"):
        folder = tmp_path / tag
        folder.mkdir()
        script = long_story(folder / "story.yaml", panels=PANELS, tag=tag, shared=SHARED)
        jobs[tag] = (script, folder / "out.pdf")
    procs = {tag: start([*render_command(script, out, cache), "--json"]) for tag, (script, out) in jobs.items()}
    try:
        results = {tag: proc.communicate(timeout=120) for tag, proc in procs.items()}
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
    for tag, proc in procs.items():
        assert proc.returncode == 0, results[tag][1]
    summaries = {tag: json.loads(out) for tag, (out, _) in results.items()}

    keys = {}
    for tag, (_, out) in jobs.items():
        manifest = json.loads(Path(str(out) + ".manifest.json").read_text())
        keys[tag] = {p["key"] for p in manifest["panels"]}
        assert_pdf_complete(out, summaries[tag]["pages"])
    assert len(keys["a"] & keys["b"]) == SHARED
    assert_cache_sound(cache)
    assert set(cache_pngs(cache)) == keys["a"] | keys["b"]
    # Each shared panel was generated once or twice (both raced), never lost.
    generated = summaries["a"]["panels_generated"] + summaries["b"]["panels_generated"]
    assert 2 * PANELS - SHARED <= generated <= 2 * PANELS

    for tag, (script, out) in jobs.items():  # everything either process wrote is reused
        again = render(script, engine="draft", out=out, cache=cache, watermark=False)
        assert again.panels_generated == 0 and again.panels_cached == PANELS


def test_clearing_the_cache_during_a_render_does_not_break_it(tmp_path):
    """`storyboard cache clear` over and over while a render writes into that cache."""
    from storyboard.cache import PanelCache

    script = long_story(tmp_path / "story.yaml", panels=PANELS)
    cache, out = tmp_path / "cache", tmp_path / "out.pdf"
    proc = start(render_command(script, out, cache))
    clears = 0
    try:
        while proc.poll() is None:
            PanelCache(cache).clear()
            clears += 1
            time.sleep(0.001)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert clears > 1 and f"{PANELS} panels ({PANELS} generated, 0 cached)" in stdout
    assert_pdf_complete(out, json.loads(Path(str(out) + ".manifest.json").read_text())["pages"])
    assert_cache_sound(cache)
