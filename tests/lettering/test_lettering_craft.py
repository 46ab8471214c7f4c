"""The craft a letterer checks by eye: lozenge line stacks, balloons over (never under) their
speakers, connected balloons that touch, and balloons that break the frame rather than shrink."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyboard.cli import main
from storyboard.lettering import LEADING
from storyboard.text import load_chain
from storyboard.render import render
from storyboard.text import breaking

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SPEECH = ("When I was a boy the sea came into the town square. We carried the old people up to "
          "the church on our backs, and we watched the boats float down the high street.")


@pytest.fixture(scope="module")
def font():
    return load_chain()


@pytest.mark.parametrize("count", [3, 4, 5, 6])
def test_lozenge_lines_are_short_long_short(font, count):
    lines = breaking.lozenge(font, SPEECH, 8.0, count, 400.0, LEADING)
    assert lines is not None and " ".join(lines).split() == SPEECH.split()
    widths = [font.width(line, 8.0) for line in lines]
    n = len(widths)
    middle = widths[(n - 1) // 2:n // 2 + 1]
    assert max(middle) >= 0.97 * max(widths), lines  # the longest lines are in the middle
    assert widths[0] < max(widths) and widths[-1] < max(widths), lines
    assert len(lines[-1].split()) > 1, lines  # no word alone on the last line


def test_lozenge_breaks_only_where_unicode_allows(font):
    text = "le prix\u00a0: 20\u00a0€ « tout\u00a0compris » et rien d'autre, vraiment rien du tout"
    for count in (2, 3, 4):
        lines = breaking.lozenge(font, text, 8.0, count, 400.0, LEADING)
        assert lines and all(not line.startswith((":", "€", "»", "compris")) for line in lines), lines
    japanese = "今日は、とても寒いですね。明日は雪が降るでしょう。ラーメンを食べに行きませんか。"
    for count in (2, 3, 4):
        lines = breaking.lozenge(font, japanese, 8.0, count, 400.0, LEADING)
        assert lines and "".join(lines) == japanese
        assert all(line[0] not in "。、」）ーょ" for line in lines), lines  # kinsoku
    assert breaking.lozenge(font, "two\nparagraphs", 8.0, 2, 400.0, LEADING) is None


@pytest.mark.slow
def test_busy_splash_balloons_sit_over_their_speakers(tmp_path):
    out = tmp_path / "busy.pdf"
    render(EXAMPLES / "busy-harbour.yaml", out=out, engine="draft", cache=False)
    records = json.loads((tmp_path / "busy.pdf.manifest.json").read_text())["panels"]
    for record in records:
        heads = {c["id"]: c["head_pt"] for c in record["cast"]}
        items = [i for i in record["lettering"] if i["speaker"] in heads]
        for prev, item in zip(items, items[1:]):
            if item["speaker"] == prev["speaker"] and not item["tail"]:  # connected: touching or stacked
                a, b = prev["body_pt"], item["body_pt"]
                gap = max(b[0] - a[2], a[0] - b[2], b[1] - a[3], a[1] - b[3], 0.0)
                assert gap <= 1.5 * item["font_pt"] + 0.5, (prev["text"], item["text"], gap)
        if len(heads) == 5:  # the splash: five in a row, each balloon above its speaker's head
            for item in items:
                if item["tail"]:
                    head, body = heads[item["speaker"]], item["body_pt"]
                    assert (body[1] + body[3]) / 2 < head[1], (item["text"], body, head)
                    assert body[0] < (head[0] + head[2]) / 2 < body[2], (item["text"], body, head)  # over it


def test_a_balloon_keeps_off_the_back_of_an_over_the_shoulder_head(tmp_path):
    # The lighthouse's tall over-shoulder panel: the keeper's back fills its left half, the
    # top is empty; his balloon goes there (its rim may touch the head), not onto his head.
    out = tmp_path / "l.pdf"
    render(EXAMPLES / "lighthouse.yaml", out=out, engine="draft", cache=False)
    records = json.loads((tmp_path / "l.pdf.manifest.json").read_text())["panels"]
    (record,) = [r for r in records if [c["id"] for c in r["cast"]] == ["keeper", "gull"]]
    head = record["cast"][0]["head_pt"]
    (item,) = record["lettering"]
    body = item["body_pt"]
    on_head = max(0.0, min(body[2], head[2]) - max(body[0], head[0])) * max(0.0, min(body[3], head[3]) - max(body[1], head[1]))
    assert on_head <= 0.2 * (body[2] - body[0]) * (body[3] - body[1]), (body, head)
    assert item["tail"] and record["warnings"] == []


SMALL = """
title: Small
page: {size: [70, 60]}
characters:
  ana: {description: a woman}
scenes:
  - panels:
      - action: Ana talks
        shot: medium
        cast: [{id: ana, position: center}]
        dialogue:
          - {speaker: ana, text: "We should have left an hour ago, before the storm came in over the harbour wall."}
"""


def test_a_balloon_breaks_the_frame_before_the_type_shrinks(tmp_path, capsys):
    (tmp_path / "small.yaml").write_text(SMALL)
    out = tmp_path / "small.pdf"
    render(tmp_path / "small.yaml", out=out, engine="draft", cache=False)
    (record,) = json.loads((tmp_path / "small.pdf.manifest.json").read_text())["panels"]
    frame, allowed, trim_inset = record["frame_pt"], record["allowed_pt"], 8.5 + 3 * 72 / 25.4
    assert allowed[0] < frame[0] and allowed[1] < frame[1]  # the margin, up to 3 mm inside the trim
    assert allowed[0] == pytest.approx(trim_inset, abs=0.1) and allowed[1] == pytest.approx(trim_inset, abs=0.1)
    bodies = [i["body_pt"] for i in record["lettering"]]
    assert any(b[1] < frame[1] for b in bodies)  # out over the top of the frame
    assert all(i["font_pt"] == 8.0 for i in record["lettering"]) and record["warnings"] == []
    assert main(["check-lettering", str(out)]) == 0, capsys.readouterr().out


def test_lettering_outside_its_area_or_in_another_panel_is_a_violation(tmp_path, capsys):
    def panel(frame, allowed, body):
        return {"page": 1, "frame_pt": frame, "rect_pt": frame, "live_pt": [20, 20, 280, 380], "allowed_pt": allowed,
                "cast": [], "warnings": [],
                "lettering": [{"kind": "caption", "speaker": None, "text": "Later", "font_pt": 8.0, "body_pt": body,
                               "text_pt": [body[0] + 2, body[1] + 2, body[2] - 2, body[3] - 2], "tail": [], "order": 0}]}

    top = panel([20, 20, 280, 195], [10, 10, 290, 197.5], [30, 5, 90, 25])  # into the trimmed margin
    bottom = panel([20, 205, 280, 380], [10, 202.5, 290, 390], [30, 190, 90, 215])  # over the gutter into `top`
    out = tmp_path / "book.pdf"
    out.write_bytes(b"%PDF-1.4\n")
    (tmp_path / "book.pdf.manifest.json").write_text(json.dumps({"reading": "ltr", "panels": [top, bottom]}))
    assert main(["check-lettering", str(out)]) == 1
    text = capsys.readouterr().out
    assert "page 1, panel 1: caption 'Later' leaves the area lettering may use" in text
    assert "page 1, panel 2: caption 'Later' runs into panel 1" in text


def test_an_off_panel_thought_trail_stays_whole_inside_the_frame(tmp_path):
    """The trail of a thought whose thinker is off panel leads to the frame but its bubbles
    (the smallest is 0.2 em across its radius) stay inside: on a webtoon the frame is the screen's edge."""
    render(EXAMPLES / "webtoon.yaml", out=f"{tmp_path / 's.webtoon'}/", engine="draft", cache=False)
    records = json.loads((tmp_path / "s.webtoon.manifest.json").read_text())["panels"]
    trails = [(r["frame_pt"], i) for r in records for i in r["lettering"]
              if i["kind"] == "thought" and i["speaker"] not in {c["id"] for c in r["cast"]}]
    assert trails
    for frame, item in trails:
        (x0, _), (x1, _) = item["tail"]
        em = item["font_pt"]
        assert frame[0] + 0.2 * em <= x1 <= frame[2] - 0.2 * em, (item["text"], x1, frame)
        assert abs(x1 - x0) >= 2.04 * em, (item["text"], x0, x1)  # room for the whole trail


def test_vertical_balloons_take_a_shorter_wider_shape_to_sit_above_the_head(tmp_path):
    # Tall column blocks do not fit between the frame and the head; more, shorter columns do.
    out = tmp_path / "tg.pdf"
    render(EXAMPLES / "tategaki.yaml", out=out, engine="draft", cache=False)
    record = json.loads((tmp_path / "tg.pdf.manifest.json").read_text())["panels"][1]
    head = record["cast"][0]["head_pt"]
    balloons = [i for i in record["lettering"] if i["speaker"] == "mara"]
    assert len(balloons) == 2
    for item in balloons:  # above or beside the head, never under it
        body = item["body_pt"]
        assert (body[1] + body[3]) / 2 < head[3], (item["text"], body, head)


def test_where_no_place_keeps_off_the_back_of_a_head_the_balloon_may_overlap_it():
    from types import SimpleNamespace

    from storyboard._lettering import placement
    from storyboard.lettering import _solve

    # The back of a head filling most of a small panel: no place keeps off it, so it is
    # covered as any head may be (here: one filling over half the panel) rather than failing.
    back = (0.0, 10.0, 100.0, 80.0)
    stage = placement.Stage(100.0, 80.0, 3.0, (3.0, 3.0, 97.0, 77.0), faces=[], heads=[back], backs=[back])
    fit = SimpleNamespace(outer_w=40.0, outer_h=20.0, a=20.0, b=10.0)
    pieces = [placement.Piece("speech", "Hi.", fit, 8.0, "ana", target=(50.0, 60.0), head=back)]
    assert placement.solve(pieces, stage, budget=[90]) is None
    (placed,) = _solve(pieces, stage, [90])
    assert placed.tail


@pytest.mark.parametrize("reading", ["ltr", "rtl"])
def test_an_unseen_voice_that_opens_the_panel_comes_in_where_reading_starts(tmp_path, reading):
    # A phone call: Mum, never staged in the scene, speaks first from off panel. Her balloon went
    # to the far side (top right, tail out of the right edge) and Ines's reply to the near side,
    # so a reader starting at the left read the reply first. The first voice now comes in where
    # reading starts; a later unseen voice still takes the far side.
    script = tmp_path / "phone.yaml"
    script.write_text(f"""\
title: Phone
page: {{reading: {reading}}}
characters:
  ines: {{description: courier}}
  mum: {{description: mother}}
  dad: {{description: father}}
scenes:
  - panels:
      - shot: close-up
        action: Ines answers her phone
        cast: [ines]
        dialogue:
          - mum: Ines? Where are you? Your brother says the robot is gone!
          - ines: Mum, I can't hear you. I'm at the market!
      - shot: close-up
        action: Ines listens
        cast: [ines]
        dialogue:
          - ines: Who is this?
          - dad: It's your father.
""", encoding="utf-8")
    out = tmp_path / "phone.pdf"
    render(script, out=out, engine="draft", cache=False)
    first, later = json.loads((tmp_path / "phone.pdf.manifest.json").read_text())["panels"]
    start, far = (0, 2) if reading == "ltr" else (2, 0)
    for record, voice, edge in ((first, "mum", start), (later, "dad", far)):
        (item,) = [i for i in record["lettering"] if i["speaker"] == voice]
        tip = item["tail"][-1][0]
        assert abs(tip - record["frame_pt"][edge]) < abs(tip - record["frame_pt"][2 - edge]), (voice, item["tail"])
    mum, ines = sorted((i for i in first["lettering"] if i["speaker"]), key=lambda i: i["order"])
    centre = [(i["body_pt"][0] + i["body_pt"][2]) / 2 for i in (mum, ines)]
    assert (centre[0] < centre[1]) == (reading == "ltr"), centre  # the first line where reading starts
