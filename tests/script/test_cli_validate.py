"""`storyboard validate` through the real entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from storyboard.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_ok_line(capsys):
    path = ROOT / "examples" / "manga-rtl.yaml"
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out == f"ok: {path} (1 scene, 5 panels, 2 characters)\n"


def test_errors_exit_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: T\nscenes:\n  - panels:\n      - {action: a, shot: closeup}\n      - {}\n")
    good = ROOT / "examples" / "lighthouse.yaml"
    proc = subprocess.run([sys.executable, "-m", "storyboard", "validate", str(bad), str(good)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith(f"{bad}:4:27: scenes[0].panels[0].shot: 'closeup' is not one of")
    assert lines[1] == f"{bad}:5:9: scenes[0].panels[1].action: required key missing"
    assert proc.stdout.startswith(f"ok: {good} ")


def test_missing_file(capsys):
    assert main(["validate", "nope.yaml"]) == 2
    assert capsys.readouterr().err.strip() == "nope.yaml:1:1: file: no such file"


def test_import_is_light():
    code = ("import sys, storyboard, storyboard.cli, storyboard.script; storyboard.cli.build_parser(); "
            "heavy = {'torch', 'diffusers', 'transformers', 'insightface', 'cv2', 'onnxruntime', 'ray'} & set(sys.modules); "
            "print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_validate_refuses_first_what_render_refuses(tmp_path, capsys):
    from storyboard.errors import ScriptError
    from storyboard.render import render

    script = tmp_path / "emoji.yaml"
    script.write_text("title: T\ngeneration: {engine: draft}\ncharacters:\n  leo: {description: a boy}\n"
                      "scenes:\n  - panels:\n      - action: Leo waves \U0001F600\n        cast: [leo]\n"
                      "        dialogue:\n          - leo: \"Hi \U0001F600\"\n")
    assert main(["validate", str(script)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{script}:7:17: scenes[0].panels[0].action: no font in the chain draws '\U0001F600' (U+1F600)",
        f"{script}:10:18: scenes[0].panels[0].dialogue[0].text: no font in the chain draws '\U0001F600' (U+1F600)",
    ]
    with pytest.raises(ScriptError) as refused:  # render refuses the same, located the same
        render(script, out=tmp_path / "o.pdf", cache=False)
    assert str(refused.value).splitlines() == err
    broken = tmp_path / "font.yaml"
    (tmp_path / "bad.ttf").write_bytes(b"not a font" * 100)
    broken.write_text("title: T\nstyle: {font: bad.ttf}\nscenes: [{panels: [{action: a}]}]\n")
    assert main(["validate", str(broken)]) == 2
    assert capsys.readouterr().err.startswith(f"{broken}:2:15: style.font: cannot use font ")


def test_validate_answers_for_the_render_flags_that_change_what_is_refused(tmp_path, capsys):
    """The draft engine letters labels (action, expressions, names) that a diffusion render
    never letters; a generative engine needs room for the watermark. `validate --engine
    draft` refuses what `render --engine draft` refuses, located the same."""
    from storyboard.errors import ScriptError
    from storyboard.render import render

    script = tmp_path / "labels.yaml"  # the script's engine is the default one, diffusion
    script.write_text("title: T\ncharacters:\n  leo: {name: \"Leo \U0001F600\", description: a boy}\n"
                      "scenes:\n  - panels:\n      - action: Leo waves \U0001F44B\n"
                      "        cast: [{leo: {expression: \"sad \U0001F622\"}}]\n")
    assert main(["validate", str(script)]) == 0  # a diffusion render letters none of them
    capsys.readouterr()
    assert main(["validate", "--engine", "draft", str(script)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{script}:3:15: characters.leo.name: no font in the chain draws '\U0001F600' (U+1F600)",
        f"{script}:6:17: scenes[0].panels[0].action: no font in the chain draws '\U0001F44B' (U+1F44B)",
        f"{script}:7:35: scenes[0].panels[0].cast[0].expression: no font in the chain draws '\U0001F622' (U+1F622)",
    ]
    with pytest.raises(ScriptError) as refused:
        render(script, engine="draft", out=tmp_path / "o.pdf", cache=False)
    assert str(refused.value).splitlines() == err
    assert not list(tmp_path.glob("o.pdf*"))

    tiny = tmp_path / "tiny.yaml"  # panels of 121 x 129 pixels at 36 dpi
    tiny.write_text("title: T\npage: {dpi: 36}\nscenes:\n  - panels:\n      - action: a\n      - action: b\n")
    assert main(["validate", str(tiny)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[0].startswith(f"{tiny}:5:9: scenes[0].panels[0]: scene 'scene-1' panel 1 prints at ")
    assert "too small to carry the invisible watermark" in err[0] and err[1].startswith(f"{tiny}:6:9: ")
    assert main(["validate", "--no-watermark", str(tiny)]) == 0
    assert main(["validate", "--engine", "draft", str(tiny)]) == 0  # sketches carry no mark


def test_names_the_terminal_cannot_show_are_escaped_not_a_traceback(tmp_path):
    import os

    good = tmp_path / "\U0001F600.yaml"
    good.write_text("title: T\nscenes: [{panels: [{action: a}]}]\n")
    bad = tmp_path / "b.yaml"
    bad.write_text("title: T\ncharacters: {\U0001F600: {description: x}}\nscenes: [{panels: [{action: a}]}]\n")
    env = dict(os.environ, PYTHONIOENCODING="ascii")
    proc = subprocess.run([sys.executable, "-m", "storyboard", "validate", str(good), str(bad)],
                          capture_output=True, text=True, env=env, encoding="ascii")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stdout == f"ok: {tmp_path}/\\U0001f600.yaml (1 scene, 1 panel, 0 characters)\n"
    assert proc.stderr.startswith(f"{bad}:2:14: characters.'\\U0001f600': character id '\\U0001f600' must start")


def test_a_script_name_typed_a_letter_off_names_the_script_beside_it(tmp_path, capsys):
    (tmp_path / "kettle.yaml").write_text("title: T\nscenes:\n  - panels:\n      - action: a\n", encoding="utf-8")
    for typed in ("ketle.yaml", "kettle.yml", "Kettle.yaml"):
        assert main(["validate", str(tmp_path / typed)]) == 2
        assert capsys.readouterr().err.strip() == (f"{tmp_path / typed}:1:1: file: no such file "
                                                   f"(did you mean '{tmp_path / 'kettle.yaml'}'?)")
    assert main(["render", str(tmp_path / "ketle.yaml"), "-o", str(tmp_path / "k.pdf")]) == 2
    assert "(did you mean" in capsys.readouterr().err and not (tmp_path / "k.pdf").exists()
    assert main(["validate", str(tmp_path / "story.yaml")]) == 2  # nothing like it: no guess
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'story.yaml'}:1:1: file: no such file"
