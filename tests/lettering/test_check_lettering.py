"""`storyboard check-lettering`: every example letters by the rules; violations are located."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyboard.cli import main
from storyboard.render import render
from storyboard.script import load_story

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_passes_check_lettering(example, tmp_path, capsys):
    # A webtoon-layout story has no pages: its strip is the output checked.
    webtoon = load_story(example).page.size == "webtoon"
    out = tmp_path / (f"{example.stem}.webtoon" if webtoon else f"{example.stem}.pdf")
    render(example, out=out, engine="draft", cache=False)
    assert main(["check-lettering", str(out)]) == 0, capsys.readouterr().out
    assert "no violations" in capsys.readouterr().out


def _panel(lettering, cast):
    return {"page": 1, "frame_pt": [0, 0, 300, 300], "rect_pt": [0, 0, 300, 300], "live_pt": [0, 0, 300, 300],
            "cast": cast, "lettering": lettering, "warnings": []}


def _item(kind, speaker, body, tail=(), order=0, text="Hello there", text_pt=None):
    return {"kind": kind, "speaker": speaker, "text": text, "font_pt": 8.0, "body_pt": list(body),
            "text_pt": list(text_pt or (body[0] + 5, body[1] + 5, body[2] - 5, body[3] - 5)),
            "tail": [list(p) for p in tail], "order": order}


def test_violations_are_located_and_exit_1(tmp_path, capsys):
    vera = {"id": "vera", "body_pt": [20, 150, 80, 300], "head_pt": [35, 150, 65, 190],
            "face_pt": [38, 160, 62, 185], "head_source": "staged"}
    gus = {"id": "gus", "body_pt": [220, 150, 280, 300], "head_pt": [235, 150, 265, 190],
           "face_pt": [238, 160, 262, 185], "head_source": "staged"}
    lettering = [
        _item("speech", "gus", (20, 20, 120, 70), tail=[(70, 70), (240, 148)], order=0),  # over vera, tail across
        _item("speech", "vera", (150, 20, 250, 70), tail=[(200, 70), (60, 147)], order=1),
        _item("shout", "gus", (230, 160, 290, 200), order=2),  # on gus's face
    ]
    out = tmp_path / "book.pdf"
    out.write_bytes(b"%PDF-1.4\n")
    (tmp_path / "book.pdf.manifest.json").write_text(json.dumps({"reading": "ltr", "panels": [_panel(lettering, [vera, gus])]}))
    assert main(["check-lettering", str(out)]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert all(line.startswith("page 1, panel 1: ") for line in printed)
    text = "\n".join(printed)
    assert "crosses the tail of" in text
    assert "covers gus's face" in text
    assert "wrong left-to-right order" in text


def test_missing_or_old_manifest_exits_2(tmp_path, capsys):
    out = tmp_path / "none.pdf"
    assert main(["check-lettering", str(out)]) == 2
    (tmp_path / "none.pdf.manifest.json").write_text(json.dumps({"panels": [{"scene": 0}]}))
    assert main(["check-lettering", str(out)]) == 2
    assert "no lettering report" in capsys.readouterr().err


def test_a_script_given_is_told_to_check_its_render(tmp_path, capsys):
    # a writer types the script's name: 'no manifest beside story.yaml: render it first' sent them to render
    # and back to the same error
    script = tmp_path / "story.yaml"
    script.write_text("title: T\nscenes: [{panels: [{action: a}]}]\n")
    assert main(["check-lettering", str(script)]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {script} is a story script: check-lettering reads what "
                                               "render wrote of it (its PDF, CBZ, page folder or strip)")


def test_violation_messages_quote_enough_to_tell_balloons_apart():
    """A message quotes a balloon's first words (cut between words), and two balloons of one
    long speech that start alike are quoted until they differ: 23 characters made both read
    'The storm has been howl…'."""
    from storyboard.lettering_report import _check_panel

    def balloon(text, order, x):
        return {"kind": "speech", "speaker": "mara", "text": text, "order": order, "font_pt": 8.0,
                "body_pt": [x, 100.0, x + 60.0, 160.0], "text_pt": None, "tail": []}

    first = "The storm has been howling since noon and the light must stay on, whatever happens tonight."
    second = "The storm has been howling since noon and the light must stay on; the keeper knows it."
    record = {"lettering": [balloon(first, 0, 100.0), balloon(second, 1, 10.0)], "cast": [],
              "frame_pt": [0.0, 0.0, 300.0, 300.0], "live_pt": [0.0, 0.0, 300.0, 300.0]}
    (message,) = _check_panel(record, rtl=False)
    assert message == ("mara's speech 'The storm has been howling since noon and the light must stay on; the "
                       "keeper knows it.' does not read after mara's speech 'The storm has been howling since "
                       "noon and the light must stay on, whatever happens tonight.'")
    record["lettering"][1]["text"] = "Not tonight!"
    (message,) = _check_panel(record, rtl=False)
    assert message == ("mara's speech 'Not tonight!' does not read after mara's speech 'The storm has been "
                       "howling since noon and the…'")


def test_balloons_with_the_same_text_are_told_apart_by_their_place():
    """A long speech split where it repeats itself gives balloons with the same text: quoting
    more of them could never tell them apart (the whole line was printed twice); their place in
    the panel does."""
    from storyboard.lettering_report import _check_panel

    line = ("The storm has been howling for three nights and the lamp flickers every time the wind turns, "
            "and nobody in the village believes the stories any more.")

    def balloon(text, order, x, font_pt=8.0):
        return {"kind": "thought", "speaker": "mara", "text": text, "order": order, "font_pt": font_pt,
                "body_pt": [x, 100.0, x + 60.0, 160.0], "text_pt": None, "tail": []}

    caption = {**balloon("Later.", 0, 240.0), "kind": "caption", "speaker": None}
    record = {"lettering": [caption, balloon("He is afraid.", 1, 170.0), balloon(line, 2, 100.0),
                            balloon(line, 3, 10.0, font_pt=5.5)], "cast": [],
              "frame_pt": [0.0, 0.0, 300.0, 300.0], "live_pt": [0.0, 0.0, 300.0, 300.0]}
    problems = _check_panel(record, rtl=False)
    quoted = "mara's thought 'The storm has been howling for three nights and…'"
    assert problems == [f"{quoted} (the panel's 3rd balloon) is lettered at 5.5 pt, under 6.5 pt",
                        "mara's thought 'He is afraid.' does not read after caption 'Later.'",
                        f"{quoted} (the panel's 2nd balloon) does not read after mara's thought 'He is afraid.'",
                        f"{quoted} (the panel's 3rd balloon) does not read after {quoted} (the panel's 2nd balloon)"]
