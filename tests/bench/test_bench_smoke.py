"""Smoke tests: every benchmark runs on a tiny size and prints its table. Not timed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import pages
import rerender
import scale
from _story import PANELS_PER_PAGE, story_yaml, write_story
from storyboard.layout import paginate
from storyboard.script import load_story, parse_story


def _bench(bench_dir, script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(bench_dir / script), *args], capture_output=True, text=True,
                          cwd=bench_dir.parent)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_story_has_six_panels_per_page_and_two_balloons_per_panel(tmp_path):
    story = load_story(write_story(tmp_path / "s.yaml", pages=3))
    book = paginate(story)
    assert len(book.pages) == 3
    assert [len(page.slots) for page in book.pages] == [PANELS_PER_PAGE] * 3
    assert all(len(panel.dialogue) == 2 for _, _, _, panel in story.panels())
    short = parse_story(story_yaml(panels=7))
    assert [len(page.slots) for page in paginate(short).pages] == [6, 1]
    assert story_yaml(pages=2) == story_yaml(pages=2)  # deterministic


def test_pages_benchmark_times_every_stage(bench_dir):
    report = json.loads(_bench(bench_dir, "pages.py", "--pages", "1", "--no-comicforge", "--json"))
    assert report["pages"] == 1 and report["panels"] == PANELS_PER_PAGE
    stages = report["storyboard"]["stages_s"]
    # Every stage is found where render() calls it: a renamed stage function shows up here.
    assert all(stages[name] > 0 for name in pages.STAGES), stages
    assert sum(stages.values()) == pytest.approx(report["storyboard"]["total_s"], rel=1e-6)
    extras = report["storyboard"]
    assert extras["png_pages_s"] > 0 and extras["all_outputs_s"] > 0 and 20 < extras["no_cache_peak_rss_mb"] < 4000
    assert extras["png_pages_cold_cache_s"] > 0 and extras["png_pages_cold_cache_cpu_s"] > 0
    assert len(extras["watch_edit_s"]) == 3 and all(0 < t < 60 for t in extras["watch_edit_s"])
    text = pages.render_table(report)
    assert "storyboard stage" in text and "pages/s" in text and "comicforge" not in text
    assert "peak RSS" in text and "one-panel edit" in text
    assert "x the PDF's first render into an empty cache" in text


def test_pages_benchmark_against_comicforge(bench_dir):
    # Creating comicforge's venv means a download: the test uses one only where it was set up.
    if not (pages.DEFAULT_VENV / "bin" / "python").exists():
        pytest.skip(f"no comicforge venv at {pages.DEFAULT_VENV} (see bench/README.md)")
    text = _bench(bench_dir, "pages.py", "--pages", "1")
    assert "cairosvg -> PDF" in text and "time ratio storyboard/comicforge" in text


IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |     torch._C
import time:      5000 |       5100 |   torch
import time:       200 |       5300 | imwatermark.watermark
import time:       300 |        300 | storyboard.script
"""


def test_importtime_report_names_the_chain_to_a_heavy_library():
    report = rerender.import_report(rerender.parse_importtime(IMPORTTIME))
    assert report["total_s"] == pytest.approx(0.0056)
    assert report["top"][0] == ("imwatermark.watermark", 0.0053)
    assert report["heavy"] == {"torch": {"chain": ["imwatermark.watermark", "torch"], "seconds": 0.0051}}


def test_rerender_benchmark_runs_from_a_warm_cache(bench_dir):
    report = json.loads(_bench(bench_dir, "rerender.py", "--panels", "2", "--rounds", "1", "--json"))
    assert report["panels"] == 2 and report["warm_rerender_s"]["median"] > 0
    assert "storyboard --help" in report["baselines_s"]
    assert all(report["warm_stages_s"][name] > 0 for name in rerender.WARM_STAGES), report["warm_stages_s"]
    text = rerender.render_table(report)
    assert "warm re-render" in text and "imports of the warm re-render" in text


def test_draft_render_imports_no_heavy_library(tmp_path):
    """The draft path must not need torch & co: the re-render benchmark's start-up depends on it."""
    story = write_story(tmp_path / "story.yaml", panels=1)
    code = ("import json, sys, storyboard; "
            f"storyboard.render({str(story)!r}, out={str(tmp_path / 'out.pdf')!r}, engine='draft', cache=False); "
            "print(json.dumps(sorted({'torch', 'diffusers', 'transformers', 'insightface'} & set(sys.modules))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == []


@pytest.mark.slow
def test_scale_benchmark_compares_the_executors(bench_dir):
    pytest.importorskip("ray")
    report = json.loads(_bench(bench_dir, "scale.py", "--panels", "2", "--workers", "1", "--vector", "--json"))
    assert [(r["executor"], r["workers"]) for r in report["rows"]] == [("local", 1), ("ray", 1)]
    assert all(r["panels_per_s"] > 0 for r in report["rows"]) and report["ray_start_s"] > 0
    assert "Ray's fixed overhead per render" in scale.render_table(report)


@pytest.mark.slow
def test_engine_gpu_benchmark_smoke_on_the_cpu(bench_dir):
    """bench/engine_gpu.py's --device cpu --tiny mode: engine and bare, one batch (SD 1.5 only, for time)."""
    pytest.importorskip("diffusers")
    report = json.loads(_bench(bench_dir, "engine_gpu.py", "--device", "cpu", "--tiny", "--families", "sd15", "--batches", "2",
                               "--rounds", "1", "--steps", "2", "--json"))
    rows = report["rows"]
    assert [(r["family"], r["batch"], r["compile"]) for r in rows] == [("sd15", 2, False)]
    assert all(r["engine_panels_s"] > 0 and r["bare_panels_s"] > 0 for r in rows)


def test_png_floor_benchmark_splits_both_renders(bench_dir):
    report = json.loads(_bench(bench_dir, "png_floor.py", "--pages", "1", "--rounds", "1", "--json"))
    pdf, steps = report["pdf_cpu_s"], report["png_steps_cpu_s"]
    assert pdf["pdf_own"] > 0 and pdf["shared"] > 0
    assert pdf["pdf_own"] + pdf["shared"] == pytest.approx(pdf["total"])
    assert all(steps[name] > 0 for name in ("play", "deflate")) and steps["pack"] >= 0
    assert report["png_floor_cpu_s"] == pytest.approx(pdf["shared"] + sum(steps.values()))
    assert report["png_cpu_s"] > 0 and report["worker_overhead_cpu_s"] >= 0
    before = os.environ.get("STORYBOARD_WORKERS")
    import png_floor

    assert "PNG floor" in png_floor.render_table(report)
    assert os.environ.get("STORYBOARD_WORKERS") == before  # importing it leaves later tests their workers
