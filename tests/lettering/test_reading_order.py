"""Every balloon reads after each one before it, not only after the last: three balloons in a
row read 2, 3, 1 when the second sits far left, level with the first one's lower half
(newuser8's medium-three.yaml on the webtoon strip), and check-lettering said nothing."""

from __future__ import annotations

import json

import pytest

from storyboard.cli import main
from storyboard.lettering_report import _check_panel

THREE = """\
title: Medium three
characters:
  ines: {name: Ines, description: courier}
  marek: {name: Marek, description: brother}
  mum: {name: Mum, description: mother}
scenes:
  - setting: a small house on a quiet street at night, moon and stars
    panels:
      - {shot: wide, action: the house at night}
      - shot: medium
        action: Ines and Marek arrive out of breath at the gate, Mum standing in the doorway
        cast: [{ines: left}, {marek: center}, {mum: right}]
        dialogue:
          - mum: You two look like you ran across the whole city.
          - ines: We did.
          - marek: He came home, Mum. He remembered.
      - {shot: close-up, action: the gate}
"""


def _speech(speaker, order, box):
    return {"kind": "speech", "speaker": speaker, "text": f"line {order}", "order": order, "font_pt": 8.0,
            "body_pt": box, "text_pt": None, "tail": []}


def test_check_names_a_balloon_read_before_an_earlier_one_it_does_not_follow():
    # The strip's panel as lettered before: Mum's (first) right, Ines's small one far left with
    # its top just past Mum's middle ("below" it), Marek's beside Ines's, level with Mum's.
    record = {"lettering": [_speech("mum", 0, [151.0, 276.0, 214.0, 331.0]),
                            _speech("ines", 1, [42.0, 304.0, 73.0, 333.0]),
                            _speech("marek", 2, [78.0, 281.0, 147.0, 329.0])],
              "cast": [], "frame_pt": [0.0, 0.0, 300.0, 400.0], "live_pt": [0.0, 0.0, 300.0, 400.0]}
    assert _check_panel(record, rtl=False) == ["marek's speech 'line 2' does not read after mum's speech 'line 0'"]
    # The one before it is named when it fails that one too (one message a balloon).
    record["lettering"][2]["body_pt"] = [10.0, 281.0, 40.0, 300.0]
    assert _check_panel(record, rtl=False) == ["marek's speech 'line 2' does not read after ines's speech 'line 1'"]


@pytest.mark.parametrize(("line", "output"), [("He remembered.", "three.webtoon"),
                                               ("He came home, Mum. He remembered.", "three.pdf")])
def test_three_speakers_in_a_row_read_in_order(tmp_path, capsys, line, output):
    # Marek's balloon took the room between Ines's (small, far left, its top just past the
    # middle of Mum's) and Mum's, level with Mum's: read 2, 3, 1 (on the strip with a short
    # line, on the page with this one). Now a staircase: each balloon's top past the middle
    # of every one before it, each over its speaker's head.
    script = tmp_path / "three.yaml"
    script.write_text(THREE.replace("He came home, Mum. He remembered.", line))
    out = tmp_path / output
    assert main(["render", str(script), "--engine", "draft", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["check-lettering", str(out)]) == 0, capsys.readouterr().out
    panel = json.loads((tmp_path / f"{output}.manifest.json").read_text())["panels"][1]
    mum, ines, marek = (i["body_pt"] for i in panel["lettering"])
    assert ines[1] >= (mum[1] + mum[3]) / 2 and marek[1] >= (mum[1] + mum[3]) / 2, (mum, ines, marek)
    heads = {c["id"]: c["head_pt"] for c in panel["cast"]}
    for item in panel["lettering"]:
        assert item["body_pt"][3] <= heads[item["speaker"]][1] + 1.0, (item, heads)
