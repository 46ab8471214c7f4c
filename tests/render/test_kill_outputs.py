"""Every output is the complete old one or the complete new one, whatever ends a render.

Renders of a tiny story (2 pages) run as real processes of `storyboard render` and are ended
by SIGKILL, SIGTERM or SIGINT at a random moment within a whole render's time, writing a PDF,
a CBZ, a folder of PNG pages, or all three at once, over the outputs of earlier trials. After
each, every output is checked: absent (before any render finished), or complete with every
page of one run, and a manifest beside it only if it names that same run. Then pairs of
renders race to one page folder: each pair ends with one complete run and its own manifest.

The processes are forked from a server that has imported storyboard already (multiprocessing
"forkserver"), so a trial costs a render, not an interpreter start.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import signal
import sys
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from tests.render.test_crash import long_story

SIGNALS = {"SIGKILL": signal.SIGKILL, "SIGTERM": signal.SIGTERM, "SIGINT": signal.SIGINT}
TRIALS = 30  # per signal, spread over the four output sets
OUTPUT_SETS = {"pdf": ["out.pdf"], "cbz": ["out.cbz"], "pages": ["pages/"], "all": ["out.pdf", "out.cbz", "pages/"]}
PAIRS = 15
PANELS = 8  # two pages: enough to see a folder holding pages of two runs
_PRELOAD = ["storyboard.cli", "storyboard.render", "storyboard.export.images", "storyboard.export.pdf",
            "storyboard.export.cbz", "storyboard.engines.draft", "PIL.Image", "pypdf"]


def _storyboard(argv: list[str], log: str) -> None:
    """A `storyboard` process: the console entry point with its signal handling, output to
    `log`, which appears once the handlers are in place (a signal during interpreter start-up
    is another matter than one during a render): those `import storyboard` sets in the command
    (`storyboard._startup`), which `run` then replaces with its own."""
    import tempfile

    from storyboard import _startup
    from storyboard.cli import run

    # A SIGKILL leaves the run's temporary folders behind: in the test's folder, not in /tmp.
    scratch = Path(log).parent / "scratch"
    scratch.mkdir(exist_ok=True)
    os.environ["TMPDIR"], tempfile.tempdir = str(scratch), None
    sys.argv = ["storyboard", *argv]
    _startup.remember_stops()  # the package was imported by the fork server, which is not the command
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    run()


@pytest.fixture(scope="module")
def spawn():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)

    def start(argv: list[str], log: Path):
        proc = ctx.Process(target=_storyboard, args=([str(a) for a in argv], str(log)))
        proc.start()
        return proc

    return start


def command(script: Path, folder: Path, outputs: list[str], seed: int) -> list:
    argv = ["render", script, "--cache", folder / "cache", "--engine", "draft", "--no-watermark", "--seed", seed]
    for out in outputs:
        argv += ["-o", str(folder / out)]
    return argv


def manifest_run(output: Path) -> str | None:
    path = Path(str(output).rstrip("/") + ".manifest.json")
    return json.loads(path.read_text())["run_id"] if path.exists() else None


def pdf_run(path: Path, pages: int) -> str:
    from pypdf import PdfReader

    reader = PdfReader(path, strict=True)
    assert len(reader.pages) == pages
    keywords = reader.metadata["/Keywords"]
    return keywords.split("run ")[1].split(",")[0]


def png_run(data_or_path) -> str:
    with Image.open(data_or_path) as image:
        image.load()  # complete, not only a header
        return json.loads(image.info["storyboard:provenance"])["run_id"]


def cbz_run(path: Path, pages: int) -> str:
    import io

    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = sorted(n for n in archive.namelist() if n != "ComicInfo.xml")
        assert len(names) == pages and "ComicInfo.xml" in archive.namelist()
        runs = {png_run(io.BytesIO(archive.read(n))) for n in names}
        notes = archive.read("ComicInfo.xml").decode()
    assert len(runs) == 1, runs
    run = runs.pop()
    assert f"Run: {run}." in notes
    return run


def pages_run(folder: Path, pages: int) -> str:
    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert names == [f"page-{n:03d}.png" for n in range(1, pages + 1)], names
    runs = {png_run(folder / n) for n in names}
    assert len(runs) == 1, f"pages of {len(runs)} runs: {runs}"
    return runs.pop()


def assert_outputs(folder: Path, outputs: list[str], pages: int, done: set[str]) -> None:
    """Each output is absent (no render to it has finished yet) or complete and of one run,
    and its manifest, if any, names that run."""
    for out in outputs:
        path = folder / out
        if not path.exists():
            assert out not in done, f"{out} vanished"
            assert manifest_run(path) is None
            continue
        run = {".pdf": pdf_run, ".cbz": cbz_run}.get(path.suffix, pages_run)(path, pages)
        assert manifest_run(path) in (None, run), f"{out}: manifest of run {manifest_run(path)} beside run {run}"


def _duration(spawn, argv: list, log: Path) -> float:
    """Seconds a render takes from the moment its process is ready."""
    proc = spawn(argv, log)
    while not log.exists() and proc.exitcode is None:
        time.sleep(0.002)
    t0 = time.monotonic()
    proc.join(120)
    assert proc.exitcode == 0, log.read_text()
    return time.monotonic() - t0


def _pages(script: Path) -> int:
    from storyboard.layout import paginate
    from storyboard.script import load_story

    return len(paginate(load_story(script)).pages)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SIGNALS))
def test_outputs_survive_signals_at_random_moments(tmp_path, spawn, name):
    seed = time.time_ns()
    rng = random.Random(seed)
    script = long_story(tmp_path / "story.yaml", panels=PANELS, dpi=36)
    pages = _pages(script)
    assert pages >= 2
    spans = {kind: _duration(spawn, command(script, tmp_path / "calibrate", outputs, 1), tmp_path / f"log-{kind}")
             for kind, outputs in OUTPUT_SETS.items()}  # a whole render's time, for signals within it
    done: set[str] = set()
    sets = list(OUTPUT_SETS)
    killed = 0
    for n in range(TRIALS):
        kind = sets[n % len(sets)]
        outputs = OUTPUT_SETS[kind]
        log = tmp_path / f"log{n}"
        proc = spawn(command(script, tmp_path, outputs, 100 + n), log)
        while not log.exists() and proc.exitcode is None:
            time.sleep(0.002)
        delay = rng.uniform(0, spans[kind])
        proc.join(delay)
        finished = proc.exitcode is not None
        if not finished:
            os.kill(proc.pid, SIGNALS[name])
            killed += 1
        proc.join(60)
        text = log.read_text()
        where = f"trial {n} ({'+'.join(outputs)}, {name} after {delay:.2f} s, random seed {seed})"
        try:
            assert "Traceback" not in text, text
            if finished or proc.exitcode == 0:
                assert proc.exitcode == 0, text
                done.update(outputs)
            elif name == "SIGKILL":
                assert proc.exitcode == -signal.SIGKILL
            else:  # a clean interrupt: exit 130, one line saying which outputs are complete and kept
                said = re.fullmatch(r"interrupted(?:: (?P<kept>.+?) (?:is|are) complete and kept(?:; .+ not written)?"
                                    r"|: none of the outputs was written \(.+\))?\n", text)
                assert proc.exitcode == 130 and said, (proc.exitcode, text)
                for out in outputs:
                    if said["kept"] and str(tmp_path / out) in said["kept"].split(", "):
                        done.add(out)  # so it must be there, complete
            assert_outputs(tmp_path, outputs, pages, done)
        except AssertionError as err:
            raise AssertionError(f"{where}: {err}") from err
    assert killed >= TRIALS // 2, f"only {killed} of {TRIALS} renders were still running when signalled"
    print(f"{name}: {killed} of {TRIALS} renders signalled while running, 0 mixed or partial outputs")
    # A render after all that finishes every output and leaves no private folder behind.
    final = spawn(command(script, tmp_path, OUTPUT_SETS["all"], 1), tmp_path / "log")
    final.join(120)
    assert final.exitcode == 0, (tmp_path / "log").read_text()
    assert_outputs(tmp_path, OUTPUT_SETS["all"], pages, set(OUTPUT_SETS["all"]))
    assert not [p for p in tmp_path.iterdir() if ".storyboard-" in p.name]


@pytest.mark.slow
def test_concurrent_renders_to_one_page_folder(tmp_path, spawn):
    script = long_story(tmp_path / "story.yaml", panels=PANELS, dpi=36)
    pages = _pages(script)
    for n in range(PAIRS):
        procs = [spawn(command(script, tmp_path, ["pages/"], 2 * n + k), tmp_path / f"log{k}") for k in (0, 1)]
        for proc in procs:
            proc.join(120)
        for k, proc in enumerate(procs):
            assert proc.exitcode == 0, (tmp_path / f"log{k}").read_text()
        run = pages_run(tmp_path / "pages", pages)
        assert manifest_run(tmp_path / "pages") == run, f"pair {n}: manifest of another run than the pages"
    assert not [p for p in tmp_path.iterdir() if ".storyboard-" in p.name]
