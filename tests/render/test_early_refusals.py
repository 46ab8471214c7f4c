"""What render would refuse late is refused first: flags by the script's rules, empty outputs,
an unknown upscaler and panels too small for the watermark before the first panel, and a
second signal that cannot break the clean-up of the first."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import storyboard
from storyboard.cli import main
from storyboard.engines.draft import DraftEngine
from storyboard.errors import ExportError, GenerationError, ScriptError, StoryboardError

SCRIPT = "title: T\ngeneration: {engine: draft}\nscenes: [{panels: [{action: a}, {action: b}]}]\n"


@pytest.fixture
def script(tmp_path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(SCRIPT)
    return path


class CountingEngine(DraftEngine):
    """A draft engine that counts the panels it draws and, like a diffusion model, is marked."""

    generative = True
    draws_vectors = False

    def __init__(self):
        super().__init__()
        self.drawn = 0

    def render(self, request):
        self.drawn += 1
        return super().render(request)


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--max-side", "10"], "error: --max-side 10: must be a whole number of pixels from 64 to 4096"),
        (["--seed", "-3"], "error: --seed -3: input should be greater than or equal to 0"),
        (["--seed", str(2**63)], f"error: --seed {2**63}: input should be less than 9223372036854775808"),
        (["--guidance", "-1"], "error: --guidance -1.0: input should be greater than or equal to 0"),
        (["--steps", "0"], "error: --steps 0: input should be greater than or equal to 1"),
        (["--batch", "0"], "error: --batch 0: input should be greater than or equal to 1"),
        (["-o", ""], "error: an output path is empty: give file.pdf, file.cbz or a folder/ for PNG pages"),
        (["--upscale", "lanczoz"], "error: upscaler lanczoz: no such file; use lanczos, a weights file"),
        (["--control-scale", "9"], "error: --control-scale 9.0: input should be less than or equal to 2"),
        (["--refine", "nan"], "error: --refine nan: refine is 0 (off) or an upscale factor between 1 and 4"),
        (["--model", "m", "--device", "cpu"], "error: --model, --device would not be used: the draft engine draws "
                                              "sketches without a model; leave them out, or render with --engine diffusion"),
        (["--save-controls", "controls"], "error: --save-controls would not be used: the draft engine draws sketches"),
    ],
)
@pytest.mark.parametrize("command", ["render", "watch"])
def test_flags_obey_the_script_rules_in_one_line(script, tmp_path, capsys, monkeypatch, flags, message, command):
    monkeypatch.chdir(tmp_path)
    extra = ["--once"] if command == "watch" else []
    assert main([command, str(script), "--cache", str(tmp_path / "cache"), *extra, *flags]) == 2
    err = capsys.readouterr().err
    if command == "watch" and flags[0] in ("--upscale", "--model", "--save-controls"):
        err = err.split("\n", 1)[1]  # after "watching ..."
    assert err.startswith(message) and err.count("\n") == 1, err
    assert not (tmp_path / "cache").exists() and not list(tmp_path.glob("*.pdf")) and not (tmp_path / "controls").exists()


@pytest.mark.parametrize("argv, message", [
    (["render", "s.yaml", "--seed", "1e3"], "storyboard render: error: argument --seed: invalid int value: '1e3'"),
    (["render"], "storyboard render: error: the following arguments are required: script"),
    (["verify"], "storyboard verify: error: the following arguments are required: FILE"),
    (["rendr"], "storyboard: error: argument COMMAND: invalid choice: 'rendr'"),
])
def test_argument_errors_are_one_line_not_the_usage(capsys, argv, message):
    with pytest.raises(SystemExit) as exit:
        main(argv)
    err = capsys.readouterr().err
    assert exit.value.code == 2 and err.startswith(message) and err.count("\n") == 1, err
    assert err.endswith(f"(see {message.split(': ')[0]} --help)\n")


def test_script_and_flag_share_the_seed_rule(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SCRIPT.replace("{engine: draft}", "{engine: draft, seed: -3}"))
    proc = subprocess.run([sys.executable, "-m", "storyboard", "validate", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr == f"{bad}:2:35: generation.seed: input should be greater than or equal to 0\n"


def test_api_options_are_checked_before_anything(script, tmp_path):
    with pytest.raises(StoryboardError, match=r"max_side=10: must be a whole number of pixels from 64 to 4096"):
        storyboard.render(script, out=tmp_path / "o.pdf", max_side=10)
    with pytest.raises(StoryboardError, match=r"seed=-1: input should be greater than or equal to 0"):
        storyboard.render(script, out=tmp_path / "o.pdf", seed=-1)
    with pytest.raises(ExportError, match="an output path is empty"):
        storyboard.render(script, out=["o.pdf", ""])
    assert not list(tmp_path.glob("*.pdf"))


@pytest.mark.parametrize("kwargs, message", [
    (dict(out=None), "out=None: give a path (file.pdf, file.cbz, folder/) or a list of them"),
    (dict(out=[None]), "output None is not a path: give a str or pathlib.Path"),
    (dict(out=("o.pdf",)), "output ('o.pdf',): a tuple is one output (path, format), such as ('book', 'cbz'); "
                            "give several outputs as a list"),
    (dict(seed="12"), "seed='12': give a number, not text"),  # went on as text: another run id
    (dict(candidates="2"), "candidates='2': give a number, not text"),  # a TypeError in best-of
    (dict(seed=True), "seed=True: give a number, not yes/no"),
    (dict(engine=5), "engine=5: give 'draft', 'diffusion' or an Engine"),
    (dict(font=5), "font=5: give a font file's path"),
    (dict(cache=b"c"), "cache=b'c': give a folder or URL, None or False"),
    (dict(progress=5), "progress=5: give a function (done, total, request, status)"),
    (dict(allow_paths=[None]), "allow_paths=[None]: give a folder's path or a list of them"),
    (dict(upscale=4), "upscale=4: give 'lanczos' or a model's path"),
    (dict(engine="diffusion", engine_options={"steps": "x"}), "steps='x': give a number, not text"),
    (dict(engine_options=[1]), r"engine_options=[1]: give a dict of the engine's options"),
    (dict(language=5), "language=5: give a BCP 47 tag such as 'fr' or 'pt-BR'"),  # (TypeErrors from re / Path)
    (dict(translation=5), "translation=5: give a translations file's path"),
    (dict(workers="2"), "workers='2': give a whole number, at least 1"),  # it said only 'at least 1'
    (dict(gpus_per_worker="1"), "gpus_per_worker='1': give a number, 0 or more"),
])
def test_api_arguments_of_a_wrong_type_are_one_line(script, tmp_path, monkeypatch, kwargs, message):
    # each was a TypeError or AttributeError from deep inside the render (some after the pages)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoryboardError) as err:
        storyboard.render(script, **{"out": "o.pdf", **kwargs})
    assert str(err.value) == message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_numpy_integers_are_whole_numbers(script, tmp_path):
    # a numpy seed drew the pages, then failed the manifest's JSON: a PDF without its manifest
    np = pytest.importorskip("numpy")
    result = storyboard.render(script, out=tmp_path / "o.pdf", seed=np.int64(12), max_side=np.int32(512))
    assert result.seeds == storyboard.render(script, out=tmp_path / "p.pdf", seed=12).seeds
    assert (tmp_path / "o.pdf.manifest.json").is_file()
    batch = storyboard.render_many([script], out_dir=tmp_path / "b", seed=np.int64(12))
    assert batch.stories[0].errors == [] and (tmp_path / "b" / "s.pdf.manifest.json").is_file()


def test_unknown_upscaler_fails_before_the_first_panel(script, tmp_path):
    engine = CountingEngine()
    with pytest.raises(GenerationError, match="upscaler esrgan-x4.pth: no such file"):
        storyboard.render(script, out=tmp_path / "o.pdf", engine=engine, cache=False, upscale="esrgan-x4.pth")
    assert engine.drawn == 0


def test_panels_too_small_for_the_watermark_fail_before_the_first_panel(tmp_path):
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(SCRIPT.replace("title: T", "title: T\npage: {size: [60, 60], dpi: 72, margin_mm: 2}"))
    engine = CountingEngine()
    with pytest.raises(ScriptError, match=rf"{re.escape(str(tiny))}:4:20: scenes\[0\]\.panels\[0\]: scene 'scene-1' panel 1 "
                                          r"prints at \d+ x \d+ pixels, too small to carry the invisible watermark "
                                          r"\(it needs 65536 pixels"):  # located, as validate locates it
        storyboard.render(tiny, out=tmp_path / "o.pdf", engine=engine, cache=False)
    assert engine.drawn == 0
    result = storyboard.render(tiny, out=tmp_path / "o.pdf", engine=engine, cache=False, watermark=False)
    assert engine.drawn == 2 and result.pages == 1


def long_script(tmp_path: Path) -> Path:
    panels = ", ".join(f"{{action: panel {n}}}" for n in range(40))
    path = tmp_path / "long.yaml"
    path.write_text(f"title: T\npage: {{dpi: 100}}\nscenes: [{{panels: [{panels}]}}]\n")
    return path


def handles_sigterm(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status").read_text()
    caught = int(status.split("SigCgt:")[1].split()[0], 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads signal dispositions from /proc")
@pytest.mark.parametrize("when", ["start-up", "work"])
def test_second_sigterm_still_exits_130_without_traceback(tmp_path, when):
    out = tmp_path / "o.pdf"
    command = [sys.executable, "-m", "storyboard", "render", str(long_script(tmp_path)), "-o", str(out),
               "--engine", "draft", "--cache", str(tmp_path / "cache")]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        deadline = time.monotonic() + 60
        if when == "work":  # a few panels cached: the render is mid-way
            while time.monotonic() < deadline and len(list((tmp_path / "cache").rglob("*.*"))) < 3:
                time.sleep(0.005)
        else:  # as soon as the command handles SIGTERM: it is still importing its modules
            while time.monotonic() < deadline and not handles_sigterm(proc.pid):
                time.sleep(0.001)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.002)
        proc.send_signal(signal.SIGTERM)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert stderr == "interrupted\n" and stdout == ""
    assert not out.exists()


@pytest.mark.parametrize("generation, said", [("", "no engine was named"),
                                              ("generation: {engine: diffusion}\n", "generation.engine is 'diffusion'")])
def test_a_missing_diffusion_extra_without_engine_flag_points_at_the_draft_engine(tmp_path, capsys, monkeypatch,
                                                                                   generation, said):
    from storyboard.errors import MissingExtraError

    def no_torch(*args, **kwargs):
        raise MissingExtraError("diffusion", "torch")

    # The module, not `storyboard.render` (the package exports the function under that name).
    monkeypatch.setattr(sys.modules["storyboard.render"], "render", no_torch)
    path = tmp_path / "d.yaml"
    path.write_text("title: T\n" + generation + "scenes: [{panels: [{action: a}]}]\n")
    assert main(["render", str(path), "-o", str(tmp_path / "d.pdf")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert said in line and "--engine draft sketches without it" in line
    assert main(["render", str(path), "--engine", "diffusion", "-o", str(tmp_path / "d.pdf")]) == 2
    assert "--engine draft" not in capsys.readouterr().err


def test_an_empty_cache_folder_is_refused_not_read_as_the_current_folder(script, tmp_path, monkeypatch):
    # As the command line refuses `--cache "$UNSET"`: cache="" filled the current folder with cache entries.
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    with pytest.raises(StoryboardError, match="cache='' is empty"):
        storyboard.render(script, out=tmp_path / "s.pdf", cache="")
    assert not list(here.iterdir()) and not (tmp_path / "s.pdf").exists()


def test_ray_worker_options_without_ray_are_refused(script, tmp_path, capsys, monkeypatch):
    # --workers 3 (or --gpus-per-worker) with the local executor was ignored without a word
    monkeypatch.chdir(tmp_path)
    for command in (["render", "s.yaml", "-o", "o.pdf"], ["batch", "s.yaml", "-o", "out"], ["watch", "--once", "s.yaml"]):
        assert main([*command, "--workers", "3"]) == 2
        assert capsys.readouterr().err.splitlines()[-1] == ("error: --workers would not be used: the local executor "
                                                            "draws in this process; add --executor ray for Ray workers")
    with pytest.raises(StoryboardError, match=r"^workers=2, gpus_per_worker=1.0 would not be used: the local executor"):
        storyboard.render(script, out="o.pdf", workers=2, gpus_per_worker=1.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


@pytest.mark.parametrize("setting", ["abc", "0", "-3", "1e3", "²"])  # (² is a digit to str.isdigit)
def test_a_storyboard_workers_setting_that_is_no_count_is_one_line(script, tmp_path, capsys, monkeypatch, setting):
    # it was ignored without a word (the default number of page processes was used)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STORYBOARD_WORKERS", setting)
    expected = (f"error: STORYBOARD_WORKERS={setting!r}: give a whole number of page processes, 1 or more "
                "(1: pages are made in the render's own process), or unset it\n")
    for command in (["render", "s.yaml", "-o", "o.pdf"], ["batch", "s.yaml", "-o", "out"]):
        assert main(command) == 2
        assert capsys.readouterr().err == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_load_story_and_evaluate_of_a_wrong_type_are_one_line(tmp_path):
    # TypeErrors from pathlib; a NUL in the name a ValueError from os.open
    for call, message in ((lambda: storyboard.load_story(None), "path=None: give a script's path"),
                          (lambda: storyboard.load_story(5), "path=5: give a script's path"),
                          (lambda: storyboard.load_story(str(tmp_path / "a\0.yaml")),
                           f"{tmp_path / 'a'}\\x00.yaml:1:1: file: no such file (its name holds a NUL byte)"),
                          (lambda: storyboard.evaluate(None), "target=None: give a path or a name"),
                          (lambda: storyboard.evaluate("x.pdf", face_models=5), "face_models=5: give a path or a name"),
                          # a folder as a Path is a path (it was refused as 'give a path or a name')
                          (lambda: storyboard.evaluate("x.pdf", face_models=tmp_path), "x.pdf: no such file or folder")):
        with pytest.raises(StoryboardError) as err:
            call()
        assert str(err.value) == message
