"""`page.size: webtoon`: the strip as the story's own layout, generated, lettered and cut for it."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import storyboard
from storyboard import layout
from storyboard.cli import main
from storyboard.engines._geometry import generation_size
from storyboard.engines.draft import DraftEngine
from storyboard.errors import ExportError, ScriptError
from storyboard.render import script_checks
from storyboard.script import load_story, parse_story

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "webtoon.yaml"

STORY = """
title: Strip
page: {size: webtoon%s}
webtoon: {width: %d, max_height: 700}
characters:
  ada: {description: a woman}
  bo: {description: a man}
scenes:
  - id: one
    panels:
      - shot: establishing
        action: a harbour
        caption: Dawn.
      - action: Ada and Bo on the pier
        cast: [ada: left, bo: right]
        dialogue: [ada: Look at the boats., bo: I see them.]
      - action: a gull
        size: tall
        sfx: [SKREE]
      - action: Bo points
        new_page: true
        cast: [bo]
        dialogue: [bo: There!]
  - id: two
    panels:
      - action: the boats leave
        size: small
        dialogue: [narration: They never came back.]
"""


def strip_story(tmp_path: Path, width: int = 600, page: str = "") -> Path:
    path = tmp_path / "strip.yaml"
    path.write_text(textwrap.dedent(STORY % (page, width)))
    return path


def rendered(tmp_path: Path, script: Path, engine="draft") -> tuple[dict, dict, list, np.ndarray]:
    out = tmp_path / "out.webtoon"
    storyboard.render(script, engine=engine, out=f"{out}/", cache=tmp_path / "c")
    record = json.loads((out / "strip.json").read_text())
    manifest = json.loads((tmp_path / "out.webtoon.manifest.json").read_text())
    pieces = [np.asarray(Image.open(out / i["file"]).convert("RGB")) for i in record["images"]]
    return record, manifest, pieces, np.asarray(Image.open(out / "full.png").convert("RGB"))


def test_the_strip_is_the_layout(tmp_path, capsys):
    script = strip_story(tmp_path)
    record, manifest, pieces, full = rendered(tmp_path, script)
    assert record["width"] == 600 and record["dpi"] == 180 and len(pieces) >= 3
    assert all(p.shape[1] == 600 and p.shape[0] <= 700 for p in pieces)
    assert np.array_equal(np.concatenate(pieces, axis=0), full)  # the pieces stack to full.png
    k = record["dpi"] / 72  # strip pixels per point of the report
    panels = manifest["panels"]
    assert manifest["pages"] == 1 and {p["page"] for p in panels} == {1}
    # Every panel spans the full width at the aspect of its size hint (establishing: a wide band).
    hints = ["wide", "normal", "tall", "normal", "small"]
    for panel, hint in zip(panels, hints, strict=True):
        x0, y0, x1, y1 = (v * k for v in panel["rect_pt"])
        assert (round(x0), round(x1)) == (0, 600)
        assert round(y1 - y0) == round(600 / layout.STRIP_ASPECTS[hint])
        assert panel["print_size"] == [600, round(600 / layout.STRIP_ASPECTS[hint])]
        assert panel["gen_size"] == panel["print_size"]  # the draft engine draws at print size
    # Top to bottom in story order; a new_page break is wider than a panel gap, a scene change wider still.
    tops = [p["rect_pt"][1] * k for p in panels]
    bottoms = [p["rect_pt"][3] * k for p in panels]
    gaps = [round(t - b) for b, t in zip(bottoms, tops[1:])]
    assert gaps == [100 * 600 // 800, 75, 300 * 600 // 800, 500 * 600 // 800]
    # No cut crosses anything lettered, by the manifest's lettering report (the strip's frame).
    spans = [(i["body_pt"][1] * k, i["body_pt"][3] * k) for p in panels for i in p["lettering"]]
    assert len(spans) == 6  # caption, two balloons, SFX, balloon, narration
    for y in record["cuts"]:
        assert not any(a + 0.5 < y < b - 0.5 for a, b in spans), (y, spans)
    assert main(["check-lettering", str(tmp_path / "out.webtoon")]) == 0, capsys.readouterr().out


def test_rtl_strip_keeps_rtl_balloon_order(tmp_path, capsys):
    script = strip_story(tmp_path, page=", reading: rtl")
    _, manifest, _, _ = rendered(tmp_path, script)
    assert manifest["reading"] == "rtl"
    two = manifest["panels"][1]["lettering"]  # Ada (left) speaks first: in rtl her balloon is not left of Bo's
    assert [i["speaker"] for i in two] == ["ada", "bo"]
    assert two[0]["body_pt"][1] < two[1]["body_pt"][1] or two[0]["body_pt"][0] >= two[1]["body_pt"][2] - 1
    assert main(["check-lettering", str(tmp_path / "out.webtoon")]) == 0, capsys.readouterr().out


class SizedDraft(DraftEngine):
    """Sketches drawn at an SD 1.5 model's native sizes, as the diffusion engine asks for them."""

    renders_at_print_size = False
    draws_vectors = False

    def __init__(self):
        self.asked = []

    def generation_size(self, aspect, max_side=None):
        return generation_size("sd1", aspect, max_side or 10_000)

    def render(self, request):
        self.asked.append((request.width, request.height, request.crop))
        return super().render(request).crop(request.crop)  # like the diffusion engine: the panel's window


def test_the_engine_is_asked_for_the_strips_panel_sizes(tmp_path):
    engine = SizedDraft()
    _, manifest, pieces, _ = rendered(tmp_path, strip_story(tmp_path, width=800), engine=engine)
    hints = ["wide", "normal", "tall", "normal", "small"]
    wanted = [generation_size("sd1", layout.STRIP_ASPECTS[h], 10_000) for h in hints]
    assert [p["gen_size"] for p in manifest["panels"]] == [list(w) for w in wanted]
    assert [(w, h) for w, h, _ in engine.asked] == wanted
    for (w, h, crop), hint in zip(engine.asked, hints):  # cropped to the strip panel's own aspect
        x0, y0, x1, y1 = crop
        assert (x1 - x0) / (y1 - y0) == pytest.approx(layout.STRIP_ASPECTS[hint], rel=0.02)
    assert all(p.shape[1] == 800 for p in pieces)


def test_page_outputs_are_refused_before_anything_is_drawn(tmp_path, capsys, monkeypatch):
    script = strip_story(tmp_path)
    monkeypatch.chdir(tmp_path)  # without -o, the strip folder is the default output
    assert main(["render", str(script), "--engine", "draft", "--cache", str(tmp_path / "c0")]) == 0
    assert (tmp_path / "strip.webtoon" / "full.png").is_file()
    for out in ("book.pdf", "book.cbz", "pages/"):
        with pytest.raises(ExportError, match=r"webtoon strip \(page.size: webtoon\).*-o story.webtoon/"):
            storyboard.render(script, engine="draft", out=[tmp_path / "s.webtoon", tmp_path / out], cache=tmp_path / "c")
    assert not (tmp_path / "c").exists() and not (tmp_path / "s.webtoon").exists()
    assert main(["render", str(script), "--engine", "draft", "-o", str(tmp_path / "book.pdf")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "has no pages for a PDF" in err[0]


@pytest.mark.parametrize("fmt, what", [("pdf", "a PDF"), ("cbz", "a CBZ"), ("pages", "a folder of pages")])
def test_validate_with_a_page_format_refuses_a_strip_story_as_render_does(tmp_path, capsys, fmt, what):
    script = strip_story(tmp_path)
    assert main(["validate", str(script), "--format", fmt]) == 2  # it said "ok"; render --format pdf refuses
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"{script}:") and f"page.size: this story is a webtoon strip (page.size: webtoon) " \
        f"and has no pages for {what}: write it with -o story.webtoon/" in line
    assert main(["validate", str(script), "--format", "webtoon"]) == 0


def test_validate_refuses_page_only_keys_located(tmp_path, capsys):
    script = strip_story(tmp_path, page=", dpi: 300, margin_mm: 5")
    text = script.read_text().replace("        size: tall\n", "        size: tall\n        bleed: false\n")
    script.write_text(text)
    assert main(["validate", str(script)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3, lines
    assert lines[0].startswith(f"{script}:3:") and "page.dpi: 'dpi' has no meaning on a webtoon strip" in lines[0]
    assert "page.margin_mm" in lines[1]
    assert lines[2].startswith(f"{script}:19:") and "scenes[0].panels[2].bleed" in lines[2]


def test_a_strip_too_long_to_rasterise_is_refused(tmp_path):
    panels = "".join(f"      - {{action: panel {i}, size: splash}}\n" for i in range(25))
    text = f"title: Long\npage: {{size: webtoon}}\nwebtoon: {{width: 2000}}\nscenes:\n  - panels:\n{panels}"
    with pytest.raises(ScriptError, match=r"page.size: the webtoon strip is 2000 x \d+ pixels"):
        parse_story(text)
    story = parse_story(text.replace("width: 2000", "width: 800"))
    assert script_checks(story) == []
    assert layout.paginate(story).pages[0].slots[-1].print_height == round(800 / layout.STRIP_ASPECTS["splash"])


def test_the_example_is_a_webtoon():
    story = load_story(EXAMPLE)
    assert story.page.size == "webtoon"
    book = layout.paginate(story)
    assert len(book.pages) == 1 and book.spec.kind == "webtoon"
    assert {layout.strip_size_hint(p) for _, _, _, p in story.panels()} >= {"wide", "normal", "small", "tall", "splash"}


def test_a_strip_panel_too_small_for_the_watermark_is_refused_by_validate(tmp_path, capsys):
    script = strip_story(tmp_path, width=320)  # the wide band 320 x 160 pixels, the small one 320 x 133
    assert main(["validate", str(script)]) == 2  # the default engine marks its panels
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "scenes[0].panels[0]" in err[0] and "320 x 160 pixels" in err[0]
    assert "scenes[1].panels[0]" in err[1] and "320 x 133 pixels" in err[1]
    assert all("raise webtoon.width" in line for line in err)
    assert main(["validate", str(script), "--engine", "draft"]) == 0


def test_eval_reads_a_strip(tmp_path):
    from storyboard.evaluation import Judges
    from storyboard.evaluation.reading import evaluate_output

    _, manifest, _, _ = rendered(tmp_path, strip_story(tmp_path))
    report = evaluate_output(tmp_path / "out.webtoon", Judges(face=None))
    staged = {(p["scene_id"], p["panel"], c["id"]): c["body_pt"] for p in manifest["panels"] for c in p["cast"]}
    scored = {(p.scene, p.panel, c.id): c.box_pt for p in report.panels for c in p.characters}
    assert len(report.panels) == 5 and {p.page for p in report.panels} == {1}
    assert scored.keys() == staged.keys() and len(staged) == 3
    for where, box in staged.items():  # the figures found where the strip's lettering report has them
        assert scored[where] == pytest.approx(box, abs=1.0), where
    # A webtoon script given to eval is rendered as its strip, not as pages (which it has none of).
    from storyboard.evaluation import evaluate

    script = strip_story(tmp_path)
    script.write_text(script.read_text() + "generation: {engine: draft}\n")
    assert len(evaluate(script, judges=Judges(face=None)).panels) == 5


def test_the_schema_flags_page_only_keys_on_a_strip():
    jsonschema = pytest.importorskip("jsonschema")
    from storyboard.schema import SCHEMA_FILE

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    story = {"title": "t", "scenes": [{"panels": [{"action": "a"}]}]}
    assert not list(validator.iter_errors({**story, "page": {"size": "webtoon", "reading": "rtl"}}))
    assert not list(validator.iter_errors({**story, "page": {"size": "a4", "dpi": 300}}))
    errors = list(validator.iter_errors({**story, "page": {"size": "webtoon", "dpi": 300}}))
    assert len(errors) == 1 and list(errors[0].path) == ["page"] and "300" in errors[0].message


def _spans(draw, height: int, count: int, longest: int) -> list[tuple[int, int]]:
    out = []
    for _ in range(count):
        a = draw(st.integers(0, height - 2))
        out.append((a, min(height, a + draw(st.integers(1, longest)))))
    return out


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_cuts_keep_pieces_within_the_limit_and_never_cut_what_fits(data):
    from storyboard.export.webtoon import cuts

    limit = data.draw(st.integers(400, 1500))
    height = data.draw(st.integers(1, 12_000))
    keep = _spans(data.draw, height, data.draw(st.integers(0, 30)), limit - 1) if height > 2 else []
    gaps = _spans(data.draw, height, data.draw(st.integers(0, 10)), 300) if height > 2 else []
    positions = [0, *cuts(height, limit, gaps, keep), height]
    assert all(0 < b - a <= limit for a, b in zip(positions, positions[1:]))
    # Every lettered span shorter than the limit is whole in one piece, unless spans chained
    # together cover a whole piece's reach (then no line is free).
    for y, top in zip(positions[1:-1], positions):
        crossed = [(a, b) for a, b in keep if a < y < b]
        if crossed:
            assert all(any(a < line < b for a, b in keep) for line in range(top + 1, top + limit + 1))


def test_strip_panels_are_framed_top_and_bottom_only(tmp_path):
    """Full-width panels meet the screen's edges: a side frame line would be cut in half there."""
    from storyboard.export import _border

    book = layout.webtoon_book(load_story(strip_story(tmp_path)))
    for slot in book.pages[0].slots:
        lines = [op.points for op in _border(slot).ops]
        assert len(lines) == 2 and all(a[1] == b[1] for a, b in lines)  # two horizontal lines
        assert {a[1] for a, _ in lines} == {slot.art.y, slot.art.y1}


def test_the_summary_line_of_a_strip_counts_no_pages(tmp_path, capsys):
    script = strip_story(tmp_path)
    out = tmp_path / "s.webtoon"
    assert main(["render", str(script), "--engine", "draft", "-o", f"{out}/", "--cache", str(tmp_path / "c")]) == 0
    line = capsys.readouterr().out.strip()
    images = len(json.loads((out / "strip.json").read_text())["images"])
    assert line.startswith(f"wrote {out}: a strip of {images} images, 5 panels (") and "page" not in line, line


def test_the_summary_line_says_what_each_kind_of_output_holds(tmp_path, capsys):
    """A strip made from pages is a strip of images, not '1 page'; pages are counted where
    a PDF, CBZ or page folder was written; a shot list alone has panels only."""
    script = strip_story(tmp_path)
    script.write_text(script.read_text().replace("size: webtoon", "size: [150, 200], margin_mm: 8"))
    out, pdf, csv = tmp_path / "s.webtoon", tmp_path / "s.pdf", tmp_path / "s.csv"
    pages = len(layout.paginate(load_story(script)).pages)

    def line(*outputs):
        argv = ["render", str(script), "--engine", "draft", "--cache", str(tmp_path / "c")]
        assert main(argv + [a for o in outputs for a in ("-o", str(o))]) == 0
        return capsys.readouterr().out.strip()

    said = line(f"{out}/")
    images = len(json.loads((out / "strip.json").read_text())["images"])
    assert said.startswith(f"wrote {out}: a strip of {images} image{'s' * (images > 1)}, 5 panels ("), said
    said = line(pdf, f"{out}/")
    assert said.startswith(f"wrote {pdf}, {out}: {pages} page{'s' * (pages > 1)}, a strip of {images} "), said
    assert line(csv).startswith(f"wrote {csv}: 5 panels (")


@pytest.mark.parametrize("laid_out", ["strip", "pages"])
def test_a_draft_strip_carries_the_draft_labels_inside_its_panels(tmp_path, laid_out):
    """Shot tag, action note and name tags on the strip as on draft pages: inside each panel's
    frame, off the lettering, and painted (label paper and ink where the report puts them)."""
    from storyboard.export import compose
    from storyboard.export.labels import PAPER
    from storyboard.export.webtoon import strip_book
    from storyboard.text import load_chain

    script = strip_story(tmp_path)
    if laid_out == "pages":  # a story laid out on pages, its strip an extra output
        script.write_text(script.read_text().replace("size: webtoon", "size: [150, 200], margin_mm: 8"))
    record, manifest, _, full = rendered(tmp_path, script)
    story = load_story(script)
    strip = strip_book(story, layout.paginate(story))
    drawing = compose(story, strip, load_chain(), labels=True)[0]
    labels = [item for item in drawing.items if item.kind == "label"]
    assert len(labels) >= 2 * len(strip.pages[0].slots)  # a shot tag and an action note on each panel
    lettered = [item.bounds for item in drawing.items if item.kind not in ("label", "border")]
    assert len(lettered) == sum(len(p["lettering"]) for p in manifest["panels"]) == 6
    k = record["dpi"] / 72
    top = drawing.trim.y1
    paper = np.array(PAPER) * 255
    for item in labels:
        box = item.body
        assert any(slot.rect.contains(box) for slot in strip.pages[0].slots), item.lines
        assert not any(box.x < r.x1 and r.x < box.x1 and box.y < r.y1 and r.y < box.y1 for r in lettered)
        x0, x1 = int(box.x * k) + 2, int(box.x1 * k) - 2
        y0, y1 = int((top - box.y1) * k) + 2, int((top - box.y) * k) - 2
        patch = full[y0:y1, x0:x1].reshape(-1, 3).astype(float)
        near_paper = np.abs(patch - paper).max(axis=1) < 4
        assert near_paper.mean() > 0.4, (item.lines, near_paper.mean())  # the label's own paper ...
        assert (patch.max(axis=1) < 160).sum() > 10, item.lines  # ... with its text inked on it


def test_a_strip_from_pages_too_long_to_rasterise_is_refused_before_drawing(tmp_path, capsys):
    """`-o x.webtoon/` of a story laid out on pages: the strip's size is known from the layout,
    so a strip past the raster limit is refused before any panel is drawn (render, batch and
    validate --format webtoon alike), located at the panel where it passes the limit."""
    panels = "".join(f"      - {{action: panel {i}, size: tall}}\n" for i in range(24))
    script = tmp_path / "long.yaml"
    script.write_text(f"title: Long\npage: {{size: a4}}\nwebtoon: {{width: 2000}}\nscenes:\n  - panels:\n{panels}")
    story = load_story(script)
    book = layout.paginate(story)
    aspects = {(s.scene, s.panel): s.art.w / s.art.h for s in book.slots()}
    (s, p), _ = layout.strip_overflow(story, aspects)
    # The panel named is the first whose strip, up to it, passes the limit.
    beats = layout.strip_beats(story)[:p + 1]
    assert 0 < p < 23 and s == 0
    for upto, over in ((p, False), (p + 1, True)):
        height = layout.strip_height(2000, [(aspects[(0, q)], kind) for _, q, kind in beats[:upto]])
        assert (2000 * height > layout.MAX_PAGE_PIXELS) == over
    with pytest.raises(ValueError, match="limited to 150 megapixels"):  # what drawing everything used to end in
        layout.strip_book(story, aspects)
    line = rf"^{script}:{6 + p}:9: scenes\[0\].panels\[{p}\]: the webtoon strip is 2000 x \d+ pixels; a strip is " \
           rf"limited to 150 megapixels \(passed at scene 'scene-1' panel {p + 1}\): split the story into episodes, " \
           r"lower webtoon.width, or render its pages instead \(-o story.pdf\)$"
    with pytest.raises(ScriptError, match=line[1:-1]):
        storyboard.render(script, engine="draft", out=tmp_path / "s.webtoon", cache=tmp_path / "c")
    assert not (tmp_path / "c").exists() and not (tmp_path / "s.webtoon").exists()
    for argv in (["render", str(script), "--engine", "draft", "-o", str(tmp_path / "x.webtoon") + "/",
                  "--cache", str(tmp_path / "c")],
                 ["batch", str(script), "--engine", "draft", "-o", str(tmp_path / "out"), "--format", "webtoon",
                  "--cache", str(tmp_path / "c")],
                 ["validate", str(script), "--format", "webtoon"]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and re.match(line, err[0]), (argv, err)
    assert not (tmp_path / "c").exists() and not (tmp_path / "x.webtoon").exists()
    assert not any((tmp_path / "out").glob("*"))
    # The pages themselves are fine: validate without the strip, and the PDF, pass.
    assert main(["validate", str(script)]) == 0
    assert script_checks(story, formats=["pdf"]) == []
