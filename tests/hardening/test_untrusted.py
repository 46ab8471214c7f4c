"""Issue 18, item 6: a script names files only inside its folder or an allowed one, errors never
show a file's bytes, and weight files load without executing code."""

from __future__ import annotations

import os
import pickle

import pytest

from storyboard.cli import main
from storyboard.errors import GenerationError, ScriptError
from storyboard.script import load_story

SECRET = b"SECRET-CONTENT \x00\x01\x02 do not show"


@pytest.fixture
def layout(tmp_path, monkeypatch):
    """A script folder and, beside it, a folder of private files the script tries to reach."""
    monkeypatch.delenv("STORYBOARD_ALLOW_PATHS", raising=False)
    story, private = tmp_path / "story", tmp_path / "private"
    story.mkdir()
    private.mkdir()
    (private / "secret.ttf").write_bytes(SECRET)
    (private / "face.png").write_bytes(SECRET)
    (private / "ink.safetensors").write_bytes(SECRET)
    (story / "inside.ttf").symlink_to(private / "secret.ttf")  # a link inside that leads out
    return story, private


def script(folder, body: str):
    path = folder / "s.yaml"
    path.write_text("title: T\n" + body + "scenes:\n  - panels:\n      - action: x\n")
    return path


def shows_nothing_of(text: str) -> bool:
    return "SECRET" not in text and "\\x00" not in text and SECRET[:4].hex() not in text.lower()


def test_every_kind_of_path_outside_the_folder_is_a_located_error(layout, capsys):
    story, private = layout
    path = script(story, """style:
  font: ../private/secret.ttf
  peels: [{path: ../private/ink.safetensors}]
generation:
  model: ../private
  face_adapter: h94/IP-Adapter-FaceID/ip-adapter-faceid_sd15.bin
characters:
  ana: {references: [../private/face.png]}
""")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"{path}:3:9: style.font: font file '../private/secret.ttf' is outside the script's folder; "
        "allow its folder with --allow-path DIR (or STORYBOARD_ALLOW_PATHS)",
        f"{path}:4:18: style.peels[0].path: model '../private/ink.safetensors' is outside the script's folder; "
        "allow its folder with --allow-path DIR (or STORYBOARD_ALLOW_PATHS)",
        f"{path}:6:10: generation.model: model '../private' is outside the script's folder; "
        "allow its folder with --allow-path DIR (or STORYBOARD_ALLOW_PATHS)",
        f"{path}:9:22: characters.ana.references[0]: reference image '../private/face.png' is outside the "
        "script's folder; allow its folder with --allow-path DIR (or STORYBOARD_ALLOW_PATHS)",
    ]  # the hub id of the face adapter is no path: it passes
    assert shows_nothing_of(err)
    absolute = script(story, f"style: {{font: {private / 'secret.ttf'}}}\n")
    assert main(["validate", str(absolute)]) == 2
    assert "is outside the script's folder" in capsys.readouterr().err


def test_a_symlink_out_of_the_folder_is_outside_until_allowed(layout, capsys, monkeypatch):
    story, private = layout
    path = script(story, "style: {font: inside.ttf}\n")
    assert main(["validate", str(path)]) == 2
    assert "'inside.ttf' is outside the script's folder" in capsys.readouterr().err
    # Allowed, the file is read as a font: refused as one, still without a byte of it shown.
    for allowed in (["--allow-path", str(private)], []):
        if not allowed:
            monkeypatch.setenv("STORYBOARD_ALLOW_PATHS", os.pathsep.join(["/nonexistent", str(private)]))
        assert main(["validate", *allowed, str(path)]) == 2
        err = capsys.readouterr().err
        assert "outside" not in err and "is not a TrueType/OpenType font" in err and shows_nothing_of(err)
    code = main(["render", str(path), "--engine", "draft", "--no-cache", "-o", str(story / "o.pdf")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "is not a TrueType/OpenType font" in err and shows_nothing_of(err)


def test_render_takes_allow_paths(layout):
    from storyboard.render import render

    story, private = layout
    path = script(story, "characters:\n  ana: {references: [../private/face.png]}\n")
    with pytest.raises(ScriptError, match="outside the script's folder"):
        render(path, out=story / "o.pdf", engine="draft", cache=False)
    assert load_story(path, allow_paths=[private]).characters["ana"].references == ["../private/face.png"]
    assert load_story(path, allow_paths=str(private)).characters["ana"].references == ["../private/face.png"]


def test_one_allowed_folder_given_as_a_string_is_that_folder_not_its_letters(layout, tmp_path):
    # Iterated as a sequence, "/srv/assets" allowed "/", "s", "r"...: the whole file system.
    story, private = layout
    path = script(story, "characters:\n  ana: {references: [../private/face.png]}\n")
    for one in ("/srv/assets", tmp_path / "elsewhere"):
        with pytest.raises(ScriptError, match="outside the script's folder"):
            load_story(path, allow_paths=one)


class _WritesMarker:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):  # what a malicious checkpoint does when it is unpickled
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("suffix", [".bin", ".pt", ".pth", ".ckpt"])
@pytest.mark.parametrize("writer", ["torch.save", "pickle"])
def test_a_pickle_that_would_run_code_never_does(tmp_path, suffix, writer):
    torch = pytest.importorskip("torch")
    from storyboard.weights import load_state_dict

    marker, weights = tmp_path / "pwned", tmp_path / f"adapter{suffix}"
    payload = {"image_proj": {"w": torch.zeros(2)}, "evil": _WritesMarker(marker)}
    if writer == "torch.save":
        torch.save(payload, weights)
    else:
        weights.write_bytes(pickle.dumps(payload, protocol=2))  # torch's own protocol
    with pytest.raises(GenerationError, match="holds pickled objects beyond plain tensors|not a readable weights"):
        load_state_dict(weights, "identity adapter")
    assert not marker.exists()


def test_the_engine_hands_diffusers_tensors_it_unpickled_safely(tmp_path):
    """diffusers never unpickles a LoRA or IP-Adapter .bin itself: the engine passes it the state
    dict that `storyboard.weights` loaded with weights_only=True."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    from storyboard.engines.diffusion import DiffusionEngine

    marker = tmp_path / "pwned"
    evil, good = tmp_path / "evil.bin", tmp_path / "good.bin"
    torch.save({"w": _WritesMarker(marker)}, evil)
    torch.save({"lora.down.weight": torch.ones(2, 2)}, good)

    class Pipe:  # the two diffusers calls `_load_lora` makes
        calls = []

        def load_lora_weights(self, source, **kwargs):
            self.calls.append((source, kwargs))

        def get_list_adapters(self):
            return {"unet": [kwargs["adapter_name"] for _, kwargs in self.calls]}

    engine = DiffusionEngine(base_dir=tmp_path)
    engine._pipe = Pipe()
    with pytest.raises(GenerationError, match="evil.bin holds pickled objects"):
        engine._load_lora(str(evil), "peel_0", what="style peel")
    assert not marker.exists() and Pipe.calls == []
    engine._load_lora(str(good), "peel_0", what="style peel")
    (source, kwargs), = Pipe.calls
    assert isinstance(source, dict) and torch.equal(source["lora.down.weight"], torch.ones(2, 2)) and kwargs == {"adapter_name": "peel_0"}
