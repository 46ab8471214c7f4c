"""`storyboard render --engine diffusion` end to end on the tiny local models, offline."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from storyboard.cli import main

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "five-friends.yaml"


def test_five_character_example_renders_marked_and_cached(models, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pdf, cbz, cache = tmp_path / "ff.pdf", tmp_path / "ff.cbz", tmp_path / "cache"
    args = ["render", str(EXAMPLE), "--engine", "diffusion", "--model", str(models["model"]),
            "--fast-lora", str(models["lcm"]), "--face-adapter", str(models["face"]),
            "--drawn-adapter", str(models["drawn"]), "--max-side", "128",
            "-o", str(pdf), "-o", str(cbz), "--cache", str(cache), "--json"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["panels_total"] == 5 and first["panels_generated"] == 5 and first["pages"] == 2
    manifest = json.loads(Path(f"{pdf}.manifest.json").read_text())
    assert manifest["engine"]["engine"] == "diffusion" and manifest["watermark"] is True
    with zipfile.ZipFile(cbz) as z:
        info = z.read("ComicInfo.xml").decode()
    assert "<PageCount>2</PageCount>" in info and "AI-generated" in info

    # every generated panel carries the mark, read back from the PDF and from the CBZ
    assert main(["verify", str(pdf), str(cbz)]) == 0
    out = capsys.readouterr().out
    assert out.count(f"marked, run {manifest['run_id']}") == 10

    assert main(args) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["panels_generated"] == 0 and again["panels_cached"] == 5


def test_unmarked_render_fails_verify(models, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pdf = tmp_path / "plain.pdf"
    assert main(["render", str(EXAMPLE), "--engine", "diffusion", "--model", str(models["model"]),
                 "--fast-lora", str(models["lcm"]), "--max-side", "128", "--no-watermark",
                 "-o", str(pdf), "--cache", str(tmp_path / "c")]) == 0
    assert json.loads(Path(f"{pdf}.manifest.json").read_text())["watermark"] is False
    capsys.readouterr()
    assert main(["verify", str(pdf)]) == 1


def test_missing_model_offline_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    out = tmp_path / "x.pdf"
    assert main(["render", str(EXAMPLE), "--engine", "diffusion", "-o", str(out), "--no-cache"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "stable-diffusion-v1-5" in err
    assert not out.exists() and not list(tmp_path.glob(".x.pdf*"))


def test_face_references_condition_exactly_their_panels(models, tmp_path, monkeypatch, capsys):
    """A script's reference photos become an identity (tiny InsightFace models, real
    FaceAnalysis path) that reaches the FaceID adapter; new photos redraw only that
    character's panels."""
    from PIL import Image

    from tests.characters.tinymodels import build_face_pack, face_image

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pack = build_face_pack(tmp_path / "face-pack")
    refs = tmp_path / "story" / "refs"
    refs.mkdir(parents=True)

    def photos(seed: int) -> None:
        Image.fromarray(face_image([(seed, 64, 128, 64)], jitter=4)).save(refs / "mara-1.png")
        Image.fromarray(face_image([(seed, 128, 0, 64)], jitter=2)).save(refs / "mara-2.png")

    photos(1)
    script = tmp_path / "story" / "story.yaml"
    script.write_text(
        "title: Faces\ncharacters:\n"
        "  mara: {description: a woman, kind: face, references: [refs/mara-1.png, refs/mara-2.png]}\n"
        "  keeper: {description: an old man}\n"
        "scenes:\n  - id: s\n    panels:\n"
        "      - {action: Mara waves, cast: [mara]}\n"
        "      - {action: the keeper sleeps, cast: [keeper]}\n"
        "      - {action: both talk, cast: [{mara: left}, {keeper: right}]}\n"
    )
    args = ["render", str(script), "--engine", "diffusion", "--model", str(models["model"]),
            "--fast-lora", str(models["lcm"]), "--face-adapter", str(models["face"]),
            "--face-models", str(pack), "--library", str(tmp_path / "lib"), "--max-side", "128",
            "--no-watermark", "-o", str(tmp_path / "faces.pdf"), "--cache", str(tmp_path / "cache"), "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["panels_generated"] == 3
    assert list((tmp_path / "lib").rglob("*.safetensors")), "the identity is cached in the library"

    photos(2)  # another face: only the panels casting mara change
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["panels_generated"] == 2
    manifest = json.loads((tmp_path / "faces.pdf.manifest.json").read_text())
    assert [p["status"] for p in manifest["panels"]] == ["generated", "cached", "generated"]


def test_drawn_references_use_the_given_encoder_and_plus_adapter(models, tmp_path, monkeypatch, capsys):
    """lighthouse.yaml's gull has drawn reference images: they go through the CLIP image
    encoder named by --drawn-encoder into the Plus adapter; new drawings redraw only its panels."""
    import shutil

    from PIL import Image, ImageOps

    from tests.characters.tinymodels import build_clip_encoder

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = build_clip_encoder(tmp_path / "image_encoder")
    story = tmp_path / "story"
    shutil.copytree(EXAMPLE.parent, story)
    args = ["render", str(story / "lighthouse.yaml"), "--engine", "diffusion", "--model", str(models["model"]),
            "--fast-lora", str(models["lcm"]), "--drawn-adapter", str(models["drawn"]),
            "--drawn-encoder", str(encoder), "--library", str(tmp_path / "lib"), "--max-side", "96",
            "--no-watermark", "-o", str(tmp_path / "l.pdf"), "--cache", str(tmp_path / "cache"), "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["panels_generated"] == 7

    gull = story / "refs" / "gull-1.png"
    ImageOps.mirror(ImageOps.invert(Image.open(gull).convert("RGB"))).save(gull)  # another gull
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["panels_generated"] == 2  # the two panels casting the gull


def test_cache_rules_hold_for_the_diffusion_engine(models, tmp_path, monkeypatch):
    """The four incremental-render rules of the draft engine's tests, on the real pipeline."""
    import shutil

    import storyboard

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    shutil.copytree(EXAMPLE.parent, tmp_path / "story")
    script = tmp_path / "story" / "five-friends.yaml"
    options = {"model": str(models["model"]), "fast_lora": str(models["lcm"])}

    def render():
        return storyboard.render(script, engine="diffusion", engine_options=options, out=tmp_path / "o.pdf",
                                 cache=tmp_path / "cache", max_side=96, watermark=False)

    def edit(old, new):
        script.write_text(script.read_text().replace(old, new, 1))

    assert render().panels_generated == 5
    assert render().panels_generated == 0
    edit("Rex barks at the kite", "Rex chases his tail")
    assert [(r.scene, r.panel) for r in render().panels if r.status == "generated"] == [(0, 3)]
    edit("Here it goes!", "Up, up and away!")
    assert render().panels_generated == 0
    edit("tall boy of twelve, glasses", "short boy of twelve, red cap")  # ben is in panels 0 and 4
    assert [(r.scene, r.panel) for r in render().panels if r.status == "generated"] == [(0, 0), (0, 4)]
