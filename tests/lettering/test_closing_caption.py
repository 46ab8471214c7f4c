"""A narration line read after a panel's balloons goes to a bottom corner: the highest place
that read after them, at the frame's edge, was mid-panel over the left figure's chest
(newuser8's narration-last.yaml). The draft labels take the very bottom: it sits on them."""

from __future__ import annotations

import json

from storyboard.cli import main

SCRIPT = """\
title: Garage
characters:
  ines: {name: Ines, description: courier}
  marek: {name: Marek, description: her brother}
scenes:
  - setting: a cluttered garage workshop, afternoon
    panels:
      - {shot: wide, action: the garage}
      - {shot: wide, action: the workbench}
      - shot: medium
        action: Marek and Ines argue over the workbench
        cast: [{ines: left}, {marek: right}]
        dialogue:
          - ines: "He just took off, I swear I didn't—"
          - marek: "—I know, it's the homing code, I—"
          - ines: "—you put a HOMING code in him?!"
          - narration: He never thought the dog would outlive the garage.
"""


def test_a_closing_narration_sits_in_a_bottom_corner_off_the_chests(tmp_path, capsys):
    script = tmp_path / "garage.yaml"
    script.write_text(SCRIPT)
    out = tmp_path / "garage.pdf"
    assert main(["render", str(script), "--engine", "draft", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["check-lettering", str(out)]) == 0, capsys.readouterr().out
    panel = json.loads((tmp_path / "garage.pdf.manifest.json").read_text())["panels"][2]
    *balloons, narration = panel["lettering"]
    assert narration["kind"] == "narration" and all(b["kind"] == "speech" for b in balloons)
    box, frame = narration["body_pt"], panel["frame_pt"]
    # in the lower quarter of the panel, at its left or right edge
    assert box[1] > frame[1] + 0.75 * (frame[3] - frame[1]), (box, frame)
    assert min(box[0] - frame[0], frame[2] - box[2]) < 10.0, (box, frame)
    for c in panel["cast"]:  # off the chests: over a head's height under the chin of a figure it covers
        head = c["head_pt"]
        if box[0] < c["body_pt"][2] and box[2] > c["body_pt"][0]:
            assert box[1] >= head[3] + 1.25 * (head[3] - head[1]), (c["id"], box, head)
