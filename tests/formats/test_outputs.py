"""Webtoon strips, animatics and shot lists from one render, on the same cache and lettering."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import storyboard
from storyboard.export.webtoon import LETTERED, cuts, strip_book
from storyboard.script import load_story

ROOT = Path(__file__).resolve().parents[2]
SHEET = ROOT / "examples" / "storyboard-sheet.yaml"
COMIC = ROOT / "examples" / "lighthouse.yaml"


def small(src: Path, tmp_path: Path, extra: str = "") -> Path:
    """The example at a low dpi (fast), with extra top-level keys."""
    text = src.read_text().replace("dpi: 300", "dpi: 100")
    path = tmp_path / src.name
    path.write_text(text + extra)
    if (src.parent / "refs").exists() and not (tmp_path / "refs").exists():
        shutil.copytree(src.parent / "refs", tmp_path / "refs")  # a script's files stay in its folder
    return path


def test_webtoon_strip(tmp_path):
    script = small(COMIC, tmp_path, "webtoon: {width: 600, max_height: 700}\n")
    out = tmp_path / "story.webtoon"
    storyboard.render(script, engine="draft", out=[tmp_path / "story.pdf", f"{out}/"], cache=tmp_path / "c")
    record = json.loads((out / "strip.json").read_text())
    full = np.asarray(Image.open(out / "full.png").convert("RGB"))
    pieces = [np.asarray(Image.open(out / i["file"]).convert("RGB")) for i in record["images"]]
    assert len(pieces) >= 3
    assert all(p.shape[1] == 600 and p.shape[0] <= 700 for p in pieces)
    assert np.array_equal(np.concatenate(pieces, axis=0), full)  # the pieces stack to the strip
    # No cut crosses a balloon, caption or sound effect: recompute where the lettering is.
    story = load_story(script)
    from storyboard import layout
    from storyboard.export import compose
    from storyboard.lettering import story_font

    strip = strip_book(story, layout.paginate(story))
    drawing = compose(story, strip, story_font(story))[0]
    k = strip.spec.dpi / 72
    assert strip.spec.dpi == record["dpi"] == 180  # 600 px across the strip's 240 pt
    spans = [((drawing.trim.y1 - i.bounds.y1) * k, (drawing.trim.y1 - i.bounds.y) * k)
             for i in drawing.items if i.kind in LETTERED]
    assert spans and full.shape[0] == round(drawing.trim.h * k)
    for y in record["cuts"]:
        assert not any(a + 1 < y < b - 1 for a, b in spans), (y, spans)
    # Balloons were lettered at the strip's scale: dark text pixels exist in the strip.
    assert (full < 60).all(axis=2).sum() > 500
    # The strip's manifest reports the lettering in the strip's frame, which check-lettering reads.
    manifest = json.loads((tmp_path / "story.webtoon.manifest.json").read_text())
    assert {tuple(p["rect_pt"][::2]) for p in manifest["panels"]} == {(0.0, round(drawing.trim.w, 2))}
    assert {p["page"] for p in manifest["panels"]} == {1}
    from storyboard.cli import main

    assert main(["check-lettering", str(out)]) == 0


def test_webtoon_refuses_a_folder_of_other_files(tmp_path):
    out = tmp_path / "mine.webtoon"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(storyboard.errors.ExportError, match="not a webtoon strip"):
        storyboard.render(small(SHEET, tmp_path), engine="draft", out=f"{out}/", cache=tmp_path / "c")
    assert (out / "notes.txt").read_text() == "mine"


def test_a_strip_over_a_page_folder_is_refused_before_any_panel_and_keeps_its_manifest(tmp_path, monkeypatch):
    """A strip asked for where a folder of pages is: refused after every panel was drawn (hours
    of generation), and after the pages' manifest beside it was removed."""
    from storyboard.engines.draft import DraftEngine

    script, out = small(SHEET, tmp_path), tmp_path / "out"
    storyboard.render(script, engine="draft", out=(out, "pages"), cache=False)
    manifest = (tmp_path / "out.manifest.json").read_text()
    drawn = []
    monkeypatch.setattr(DraftEngine, "draw", lambda self, request: drawn.append(request))
    with pytest.raises(storyboard.errors.ExportError, match="not a webtoon strip"):
        storyboard.render(script, engine="draft", out=(out, "webtoon"), cache=False)
    assert not drawn and (tmp_path / "out.manifest.json").read_text() == manifest


def test_a_strip_from_pages_letters_at_the_figures_its_art_shows(tmp_path):
    """The strip shows each page panel's art whole (bleed included), whose figures were drawn
    inside the page's frame: lettering, tails and name tags aim at them there. Staged across the
    whole art instead, every head was some 5 mm off in the strip (tails ended short of them)."""
    script = small(COMIC, tmp_path)
    out = tmp_path / "story.webtoon"
    storyboard.render(script, engine="draft", out=[tmp_path / "story.pdf", f"{out}/"], cache=tmp_path / "c")
    page, strip = (json.loads(Path(f"{o}.manifest.json").read_text())["panels"] for o in (tmp_path / "story.pdf", out))

    def heads(panel):  # each head as fractions of the panel's art (rect_pt), which both show whole
        x0, y0, x1, y1 = panel["rect_pt"]
        return [[(v - (x0, y0)[i % 2]) / (x1 - x0, y1 - y0)[i % 2] for i, v in enumerate(c["head_pt"])]
                for c in panel["cast"]]

    bleeding = [i for i, p in enumerate(page) if p["rect_pt"] != p["frame_pt"] and p["cast"]]
    assert bleeding
    for i in range(len(page)):
        assert np.allclose(heads(strip[i]), heads(page[i]), atol=0.01), i


def test_cuts_prefer_gaps_and_avoid_lettering():
    assert cuts(1000, 400, gaps=[(300, 350), (700, 760)], keep=[]) == [350, 750]  # 750: inside the gap, at reach
    assert cuts(1000, 400, gaps=[], keep=[(350, 450)]) == [350, 750]
    assert cuts(300, 400, gaps=[], keep=[]) == []


def test_the_last_webtoon_piece_is_never_a_sliver():
    # 54 px over the limit: the last image was 54 px of bare paper under the last panel
    assert cuts(3468, 1280, gaps=[(1200, 1300), (2100, 2140)], keep=[]) == [1280, 2140, 3148]  # 3468 - 1280 // 4
    assert cuts(1054, 1000, gaps=[], keep=[(700, 900)]) == [700]  # off the lettering, as ever
    assert cuts(1054, 1000, gaps=[], keep=[(10, 1000)]) == [1000]  # nowhere higher to cut: the full piece


ffmpeg = pytest.importorskip("imageio_ffmpeg")


def probe(path: Path) -> str:
    return subprocess.run([ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr


def test_animatic_timing_and_subtitles(tmp_path):
    script = small(SHEET, tmp_path, "animatic: {fps: 12, height: 240, motion: push-in}\n")
    text = script.read_text().replace("      - shot: close-up", "      - duration: 3.5\n        shot: close-up", 1)
    script.write_text(text)
    movie = tmp_path / "sheet.mp4"
    storyboard.render(script, engine="draft", out=[movie, tmp_path / "shots.csv"], cache=tmp_path / "c")
    story = load_story(script)
    from storyboard.timing import timeline

    timed = timeline(story, fps=12)
    assert any(t.seconds == 3.5 for t in timed)
    frames, seconds = ffmpeg.count_frames_and_secs(str(movie))
    assert abs(seconds - sum(t.seconds for t in timed)) <= 1 / 12 + 1e-6
    assert frames == round(sum(t.seconds for t in timed) * 12)
    info = probe(movie)
    assert "Video: h264" in info and "Subtitle: mov_text" in info
    assert re.search(r"(\d+)x240", info).group(1) == "426"  # 2.39:1 letterboxed in 16:9 (even width)
    srt = (tmp_path / "sheet.srt").read_text()
    vtt = (tmp_path / "sheet.vtt").read_text()
    spoken = [f"{story.characters[d.speaker].name}: {d.text}" for _, _, _, p in story.panels() for d in p.dialogue]
    assert [block.splitlines()[2] for block in srt.strip().split("\n\n") if len(block.splitlines()) > 2
            and not block.splitlines()[2].startswith(tuple(p.caption or "\0" for _, _, _, p in story.panels()))] == spoken
    assert vtt.startswith("WEBVTT") and all(s in vtt for s in spoken)
    rows = list(csv.DictReader((tmp_path / "shots.csv").open(encoding="utf-8")))
    assert len(rows) == story.panel_count
    assert [r["shot"] for r in rows] == [str(i) for i in range(1, len(rows) + 1)]
    assert [float(r["duration_s"]) for r in rows] == pytest.approx([t.seconds for t in timed], abs=0.01)
    assert rows[1]["cast"] == "Vic" and rows[1]["dialogue"] == "Vic: Right on time."


def test_a_story_without_a_word_has_an_animatic_without_subtitles(tmp_path):
    # ffmpeg read the empty .srt as "Invalid data found when processing input": no animatic at all
    script = tmp_path / "silent.yaml"
    script.write_text("title: Silent\ngeneration: {engine: draft}\nanimatic: {fps: 4, height: 144}\n"
                      "scenes: [{panels: [{action: a cat sleeps}, {action: a cat wakes}]}]\n")
    movie = tmp_path / "silent.mp4"
    storyboard.render(script, out=movie, cache=False)
    assert ffmpeg.count_frames_and_secs(str(movie)) == (16, 4.0)  # two panels of 2 s at 4 fps
    info = probe(movie)
    assert "Video: h264" in info and "Subtitle" not in info
    assert (tmp_path / "silent.srt").read_text() == "" and (tmp_path / "silent.vtt").read_text() == "WEBVTT\n\n"


def test_subtitles_keep_each_line_whole_whatever_it_holds(tmp_path):
    # WebVTT read "I <3 you & me" as a tag and showed "I "; a blank line inside a line ended its
    # cue (the rest lost, or a cue of its own); a line holding "00:00:01,000 --> 00:00:09,000"
    # became a cue of its own in the MP4's track (muxed from the SRT, which cannot escape it)
    lines = ["I <3 you & me &amp;", "first\n\n\nsecond", "2\n00:00:01,000 --> 00:00:09,000\nHIDDEN"]
    script = tmp_path / "s.yaml"
    script.write_text("title: T\ngeneration: {engine: draft}\nanimatic: {fps: 4, height: 144}\n"
                      "characters: {a: {name: Ann, description: a woman}}\nscenes: [{panels: [{action: a, cast: [a], "
                      "caption: \"\\u00a0\", dialogue: [" + ", ".join('{a: "%s"}' % t.replace("\n", "\\n") for t in lines)
                      + "]}]}]\n")
    movie = tmp_path / "s.mp4"
    storyboard.render(script, out=movie, cache=False)
    expected = ["Ann: I <3 you & me &amp;", "Ann: first\nsecond", "Ann: 2\n00:00:01,000 --> 00:00:09,000\nHIDDEN"]
    track = subprocess.run([ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(movie), "-map", "0:s", "-f", "srt", "-"],
                           capture_output=True, text=True).stdout
    vtt = subprocess.run([ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(tmp_path / "s.vtt"), "-f", "srt", "-"],
                         capture_output=True, text=True).stdout
    for srt in (track, vtt):  # the caption of a no-break space alone is no cue
        assert ["\n".join(cue.splitlines()[2:]) for cue in srt.strip().split("\n\n")] == expected
    assert (tmp_path / "s.srt").read_text().count(" --> ") == 4


def test_an_animatic_longer_than_a_feature_film_is_refused_before_any_panel(tmp_path, capsys):
    # 300 panels of `duration: 600` at 2160p60 (a 20 KB script) asked for 50 hours of 4K video
    from storyboard.cli import main

    panels = ", ".join("{action: a cat, duration: 600}" for _ in range(300))
    script = tmp_path / "long.yaml"
    script.write_text(f"title: T\ngeneration: {{engine: draft}}\nanimatic: {{fps: 60, height: 2160}}\n"
                      f"scenes: [{{panels: [{panels}]}}]\n")
    message = ("scenes[0].panels[1].duration: the animatic passes 12 minutes here (at most as many frames of its "
               "3840 x 2160 at 60 fps as a 2-hour 1080p film at 24 fps holds): shorten the panels' durations, "
               "or lower animatic.height or fps")
    assert main(["validate", "--format", "animatic", str(script)]) == 2
    assert capsys.readouterr().err == f"{script}:4:78: {message}\n"
    assert main(["render", str(script), "-o", str(tmp_path / "long.mp4")]) == 2
    assert capsys.readouterr().err == f"{script}:4:78: {message}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.yaml"]
    assert main(["validate", str(script)]) == 0  # a PDF of it is fine


def test_the_subtitle_track_names_any_language_the_story_is_in():
    # A table of 16 languages named a Thai, Hindi or Polish story's subtitles 'und' (undetermined).
    from storyboard.export.animatic import _iso639_2

    assert [_iso639_2(t) for t in ("fr", "zh-Hant", "iw", "pt_BR", "th", "hi", "pl", "yue")] == \
        ["fra", "zho", "heb", "por", "tha", "hin", "pol", "yue"]
    assert [_iso639_2(t) for t in (None, "", "xx", "x!!")] == ["und"] * 4


def test_an_animatic_cut_short_leaves_no_new_subtitles_beside_the_old_movie(tmp_path, monkeypatch):
    from storyboard.export import animatic

    script = small(SHEET, tmp_path, "animatic: {fps: 4, height: 144}\n")
    old = {name: f"old {name}" for name in ("sheet.mp4", "sheet.srt", "sheet.vtt")}
    for name, text in old.items():
        (tmp_path / name).write_text(text)
    frames = animatic._frames

    def cut_short(*args):  # Ctrl-C while the video is being encoded
        yield next(frames(*args))
        raise KeyboardInterrupt

    monkeypatch.setattr(animatic, "_frames", cut_short)
    with pytest.raises(KeyboardInterrupt):
        storyboard.render(script, engine="draft", out=tmp_path / "sheet.mp4", cache=tmp_path / "c")
    assert {name: (tmp_path / name).read_text() for name in old} == old  # the old set, whole
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_an_animatic_on_a_full_disk_is_one_line_naming_the_output(tmp_path, monkeypatch):
    # ffmpeg's own lines went to stderr and the error was imageio's "[Errno 32] Broken pipe",
    # then the whole ffmpeg command, over several lines.
    script = small(SHEET, tmp_path, "animatic: {fps: 4, height: 144}\n")
    full = tmp_path / "ffmpeg"
    full.write_text("#!/bin/sh\nhead -c 1000 >/dev/null\n"
                    "echo '[out#0/mp4 @ 0x55] Error closing file: No space left on device' >&2\nexit 234\n")
    full.chmod(0o755)
    monkeypatch.setattr(ffmpeg, "get_ffmpeg_exe", lambda: str(full))
    movie = tmp_path / "sheet.mp4"
    with pytest.raises(storyboard.errors.ExportError) as failed:
        storyboard.render(script, engine="draft", out=movie, cache=tmp_path / "c")
    assert str(failed.value) == f"cannot write {movie}: ffmpeg failed (Error closing file: No space left on device)"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".") or p.suffix in (".mp4", ".srt")]


def test_frame_follows_the_frame_aspect(tmp_path):
    from storyboard.export.animatic import frame_size

    for aspect, expected in (("16:9", (1280, 720)), ("2.39:1", (1280, 720)), ("4:3", (960, 720)), ("9:16", (404, 720))):
        text = SHEET.read_text().replace("dpi: 300", "dpi: 100")
        path = tmp_path / "a.yaml"
        path.write_text(re.sub(r"frame_aspect: \S+", f'frame_aspect: "{aspect}"', text) if "frame_aspect" in text
                        else text.replace("page:\n", f'page:\n  frame_aspect: "{aspect}"\n', 1))
        story = load_story(path)
        assert frame_size(story)[:2] == expected, aspect


def test_format_flag_makes_any_folder_a_webtoon(tmp_path, capsys):
    from storyboard.cli import main

    script = small(SHEET, tmp_path)
    out = tmp_path / "strip"
    assert main(["render", str(script), "--engine", "draft", "--format", "webtoon", "-o", str(out),
                 "--cache", str(tmp_path / "c")]) == 0
    record = json.loads((out / "strip.json").read_text())
    assert record["width"] == 800 and (out / record["images"][0]["file"]).is_file()
    assert not list(out.glob("page-*.png"))
    with pytest.raises(storyboard.errors.ExportError, match="unknown output format 'gif'"):
        storyboard.render(script, engine="draft", out=(tmp_path / "x", "gif"), cache=tmp_path / "c")


@pytest.mark.parametrize("out", ["book.pdf/", "book.cbz/", "film.mp4/", "shots.csv/"])
def test_a_file_format_with_a_trailing_slash_is_refused(out):
    # A trailing '/' asks for a folder; the suffix for a file: neither guess is safe.
    from storyboard.render import output_format

    with pytest.raises(storyboard.errors.ExportError, match=r"ends in '/' \(a folder\) but '\.(pdf|cbz|mp4|csv)' names a file"):
        output_format(out)
    assert output_format("strip.webtoon/") == "webtoon" and output_format("pages/") == "pages"


def test_each_format_names_its_outputs_as_the_name_reads_back():
    from storyboard.render import FOLDER_FORMATS, FORMAT_SUFFIXES, FORMATS, output_format

    for fmt in FORMATS:
        suffix = FORMAT_SUFFIXES.get(fmt, "")
        assert output_format(f"book{suffix}/" if fmt in FOLDER_FORMATS else f"book{suffix}") == fmt
    assert "pages" not in FORMAT_SUFFIXES  # a folder of pages is named by the story alone


def test_a_shot_list_cell_never_starts_like_a_formula(tmp_path):
    # CSV injection: a spreadsheet runs `=HYPERLINK(...)` or `@SUM(...)` from an untrusted script.
    script = tmp_path / "s.yaml"
    script.write_text('title: T\ncharacters:\n  ana: {name: "@SUM(1)", description: x}\nscenes:\n  - setting: "-2 C"\n'
                      '    panels:\n      - action: "=HYPERLINK(\\"http://x\\")"\n        cast: [ana]\n'
                      '        dialogue: [{ana: "+1+cmd|x"}]\n      - action: a quiet room\n')
    storyboard.render(script, engine="draft", out=tmp_path / "s.csv", cache=False)
    rows = list(csv.DictReader((tmp_path / "s.csv").open(encoding="utf-8")))
    assert [(r["setting"], r["cast"], r["action"], r["dialogue"]) for r in rows] == [
        ("'-2 C", "'@SUM(1)", "'=HYPERLINK(\"http://x\")", "'@SUM(1): +1+cmd|x"), ("'-2 C", "", "a quiet room", "")]
