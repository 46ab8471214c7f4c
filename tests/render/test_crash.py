"""Crash safety: a render killed (SIGKILL) or interrupted (SIGINT) at any point leaves no
half-written output or cache entry, and the next render generates exactly the missing panels.

Renders run as real `python -m storyboard render` subprocesses. Kill points are random but
aimed at each phase: while panels are being generated (after a random number of new cache
entries, plus a random delay), while the PDF is being written (once its temporary file
appears), right after the new PDF is renamed into place (before its manifest), and, in the
slow test, after a random delay within a whole render's time. Each round uses a new seed so
every panel is new to the cache while a complete PDF from the previous round sits at the
output path.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from PIL import Image

from storyboard.drawing import Drawing

PANELS = 36
POLL = 0.002


def long_story(path: Path, *, panels: int = PANELS, tag: str = "a", shared: int = 0, dpi: int = 100) -> Path:
    """A story of `panels` panels (6 a scene), each with its own action. The first `shared`
    panels are the same whatever the tag, so two such stories share those cache entries."""
    lines = [f"title: Long story {tag}", f"page: {{size: us-comic, dpi: {dpi}}}",
             "generation: {engine: draft, seed: 7}",
             "characters:", "  ann: {name: Ann, description: a tall woman in a grey coat}", "scenes:"]
    for n in range(panels):
        if n % 6 == 0:
            lines += [f"  - id: s{n // 6}", f"    setting: street number {n // 6}", "    panels:"]
        what = "shared" if n < shared else tag
        lines += [f"      - action: Ann walks past house {n} ({what})", "        cast: [ann]",
                  f"        dialogue: [{{ann: Line {n}.}}]"]
    path.write_text("\n".join(lines) + "\n")
    return path


def render_command(script: Path, out: Path, cache: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "storyboard", "render", str(script), "-o", str(out), "--cache", str(cache),
            "--engine", "draft", "--no-watermark", *extra]


def start(command: list[str], **env: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1", **env)
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish(command: list[str], timeout: float = 120) -> dict:
    """Run a render to the end; its --json summary."""
    done = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cache_pngs(cache: Path) -> dict[str, Path]:
    """The stored panels by key: PNGs, or the draft engine's vector drawings."""
    if not cache.is_dir():
        return {}
    return {p.stem: p for pattern in ("??/*.png", "??/*.drawing") for p in cache.glob(pattern)}


def temporary(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith((".tmp", ".pdf"))


def wait_until(condition, timeout: float, proc: subprocess.Popen | None = None) -> bool:
    """Poll `condition` until true; False if `proc` ended or the time ran out first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if proc is not None and proc.poll() is not None:
            return bool(condition())
        time.sleep(POLL)
    return False


def assert_cache_sound(cache: Path) -> None:
    """Every entry is a complete PNG (or vector drawing) with a readable sidecar of its inputs, every print
    JPEG is complete and belongs to a stored panel (it is written after the PNG), and every page
    piece is a complete PDF piece or a readable report; nothing else is visible (a killed write can only leave a hidden temporary file). A render killed before
    it stored anything may leave no cache folder at all."""
    if not cache.exists():
        return
    for sub in cache.iterdir():
        if sub.name == "CACHEDIR.TAG" or temporary(sub):  # the root's tag, and a killed write of it
            continue
        assert sub.is_dir() and len(sub.name) == 2, sub
        for f in sub.iterdir():
            if temporary(f):
                continue
            if f.name.endswith((".page.pdfpart", ".page.json")):  # a page's pieces (storyboard.export.pieces)
                assert f.name[:2] == sub.name, f
                if f.suffix == ".pdfpart":
                    from storyboard.export.pdf import Joiner

                    with Joiner() as joiner:
                        joiner.add(f)  # a damaged piece is an ExportError
                else:
                    assert isinstance(json.loads(f.read_text()), list), f
                continue
            assert f.suffix in (".png", ".json", ".jpg", ".drawing") and f.stem[:2] == sub.name, f
            if f.suffix == ".drawing":
                inputs = json.loads(f.with_suffix(".json").read_text())  # written before the drawing
                drawing = Drawing.from_bytes(f.read_bytes())
                assert [drawing.width, drawing.height] == inputs["size"], f
                continue
            if f.suffix == ".jpg":
                key, _, _ = f.name.partition(".print-")
                assert (sub / f"{key}.png").is_file(), f
                with Image.open(f) as image:
                    image.load()
                continue
            if f.suffix == ".png":
                inputs = json.loads(f.with_suffix(".json").read_text())  # written before the PNG
                with Image.open(f) as image:
                    image.load()
                    assert list(image.size) == inputs["size"], f


def assert_pdf_complete(path: Path, pages: int) -> None:
    from pypdf import PdfReader

    assert len(PdfReader(path, strict=True).pages) == pages
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True)
    assert info.returncode == 0 and re.search(rf"^Pages:\s+{pages}$", info.stdout, re.M), info.stderr


def assert_outputs_sound(folder: Path, out: Path, had_pdf: bool, pages: int) -> None:
    """The output is absent or complete, and no stray files are visible beside it."""
    visible = {p.name for p in folder.iterdir() if not temporary(p)}
    assert visible <= {out.name, out.name + ".manifest.json", "story.yaml", "cache"}, visible
    if had_pdf:
        assert out.exists()
    if out.exists():  # the earlier PDF, or the new one if the kill came after its rename
        assert_pdf_complete(out, pages)
    manifest = folder / (out.name + ".manifest.json")
    if manifest.exists():  # never one describing another render than the PDF beside it
        from pypdf import PdfReader

        run_id = json.loads(manifest.read_text())["run_id"]
        assert out.exists() and f"run {run_id}" in PdfReader(out).metadata["/Keywords"]


def assert_resumes(command: list[str], cache: Path, out: Path, pages: int) -> dict:
    """Finish the render: it generates exactly the panels the cache does not hold."""
    before = set(cache_pngs(cache))
    summary = finish(command)
    manifest = json.loads(Path(str(out) + ".manifest.json").read_text())
    generated = {p["key"] for p in manifest["panels"] if p["status"] == "generated"}
    cached = {p["key"] for p in manifest["panels"] if p["status"] == "cached"}
    keys = generated | cached
    assert generated == keys - before and cached == keys & before
    assert summary["panels_generated"] == len(generated) and summary["panels_total"] == len(manifest["panels"])
    assert_pdf_complete(out, pages)
    assert_cache_sound(cache)
    mode = out.stat().st_mode & 0o777  # the manifest is as readable as the PDF it describes
    assert Path(str(out) + ".manifest.json").stat().st_mode & 0o777 == mode
    return summary


def kill_round(rng: random.Random, command: list[str], cache: Path, out: Path, phase: str, span: float) -> str:
    """Start a render and SIGKILL it in `phase` ("generating", "exporting", "renamed", or
    "anytime" within `span` seconds); say where it was killed."""
    before = len(cache_pngs(cache))
    stale = {p for p in out.parent.iterdir() if temporary(p)}  # left by earlier kills
    scratch = Path(tempfile.mkdtemp(prefix="kill-round-"))  # the run's own folders: a SIGKILL leaves them
    proc = start(command, TMPDIR=str(scratch))
    try:
        if phase == "generating":
            target = before + rng.randint(1, PANELS // 2)
            reached = wait_until(lambda: len(cache_pngs(cache)) >= target, 60, proc)
            time.sleep(rng.uniform(0, 0.05))
        elif phase == "exporting":  # while the page pieces are joined or the new PDF's temporary file exists
            fresh = lambda: (any(scratch.glob("*/pages/*.pdfpart"))  # noqa: E731
                             or any(temporary(p) and p not in stale for p in out.parent.iterdir()))
            reached = wait_until(fresh, 60, proc)
        elif phase == "renamed":  # as soon as the new PDF is in place, before its manifest
            old = out.stat().st_ino if out.exists() else None
            reached = wait_until(lambda: out.exists() and out.stat().st_ino != old, 60, proc)
        else:
            delay = rng.uniform(0, span)
            ended = wait_until(lambda: proc.poll() is not None, delay)
            reached = not ended or proc.returncode == 0  # a render that beat the kill is fine too
            phase = f"after {delay:.2f} s" + (" (it had finished)" if ended else "")
        proc.kill()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
        shutil.rmtree(scratch, ignore_errors=True)
    assert reached, f"the render ended before it was killed ({phase})"
    return f"{phase}, {len(cache_pngs(cache)) - before} new cache entries"


def test_sigkill_at_random_points_then_resume(tmp_path):
    """Killed while generating with no PDF yet, then while generating, while exporting, and
    just after the new PDF is in place, with a complete PDF from the previous round there."""
    _kill_rounds(tmp_path, ["generating", "generating", "exporting", "renamed"], seed=time.time_ns())


@pytest.mark.slow
def test_sigkill_repeated_many_times(tmp_path):
    seed = time.time_ns()
    rng = random.Random(seed)
    script = long_story(tmp_path / "story.yaml")
    t0 = time.monotonic()  # how long a whole render takes, for kills at any time within it
    finish(render_command(script, tmp_path / "calibrate.pdf", tmp_path / "calibrate"))
    span = time.monotonic() - t0
    shutil.rmtree(tmp_path / "calibrate")
    for name in ("calibrate.pdf", "calibrate.pdf.manifest.json"):
        (tmp_path / name).unlink()
    phases = [rng.choice(["generating", "exporting", "renamed", "anytime"]) for _ in range(8)]
    _kill_rounds(tmp_path, phases, seed=seed, span=span)


def _kill_rounds(tmp_path: Path, phases: list[str], seed: int, span: float = 0.0) -> None:
    from storyboard.layout import paginate
    from storyboard.script import load_story

    rng = random.Random(seed)
    script = long_story(tmp_path / "story.yaml")
    pages = len(paginate(load_story(script)).pages)
    cache, out = tmp_path / "cache", tmp_path / "out.pdf"
    for n, phase in enumerate(phases):
        command = render_command(script, out, cache, "--seed", str(1000 + n))
        had_pdf = out.exists()
        where = kill_round(rng, command, cache, out, phase, span)
        try:
            assert_cache_sound(cache)
            assert_outputs_sound(tmp_path, out, had_pdf, pages)
            assert_resumes(command, cache, out, pages)
        except AssertionError as err:
            raise AssertionError(f"round {n} (random seed {seed}), killed {where}: {err}") from err


@pytest.mark.parametrize("phase", ["generating", "exporting"])
def test_ctrl_c_mid_render_exits_130_quietly_and_cleans_up(tmp_path, phase):
    script = long_story(tmp_path / "story.yaml")
    cache, out = tmp_path / "cache", tmp_path / "out.pdf"
    if phase == "exporting":  # every panel cached: the render reaches the PDF at once
        finish(render_command(script, tmp_path / "first.pdf", cache))
    scratch = tmp_path / "tmp"  # the run's own folders (its page pieces among them)
    scratch.mkdir()
    proc = start(render_command(script, out, cache), TMPDIR=str(scratch))
    try:
        if phase == "generating":
            reached = wait_until(lambda: len(cache_pngs(cache)) >= 3, 60, proc)
        else:  # the page pieces being joined, or the PDF being written: the PDF is joined in an
            # unnamed file and only copied under its temporary name at the end, too short to catch
            reached = wait_until(lambda: any(scratch.glob("*/pages/*.pdfpart"))
                                 or any(temporary(p) for p in tmp_path.iterdir()), 60, proc)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert reached
    assert proc.returncode == 130
    assert stderr == "interrupted\n" and stdout == ""
    # Ctrl-C lets the writers clean up: not even a hidden temporary file is left.
    assert not out.exists() and not [p for p in tmp_path.iterdir() if temporary(p)]
    assert not [p for p in cache.rglob("*") if temporary(p)]
    assert not any(scratch.iterdir())
    assert_cache_sound(cache)
