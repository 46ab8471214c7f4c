"""`storyboard characters ...` end to end through the real CLI entry point."""

import json

import numpy as np
import pytest
from safetensors.numpy import load_file

from storyboard.cli import main
from tests.characters.conftest import save, tree
from tests.characters.tinymodels import face_image


@pytest.fixture
def cli(library_root, face_pack, clip_encoder, capsys):
    def run(*args):
        code = main(["characters", *map(str, args), "--library", str(library_root)])
        out, err = capsys.readouterr()
        return code, out, err

    run.face = ["--face-models", str(face_pack)]
    run.drawn = ["--drawn-encoder", str(clip_encoder)]
    return run


def test_add_list_show_remove(cli, library_root, mara_images, drawn_images):
    code, out, err = cli("add", "mara", *mara_images[:2], "--name", "Mara", "--description", "raincoat", *cli.face)
    assert (code, err) == (0, "") and "registered 'mara' (face, 2 references" in out
    tensors = load_file(library_root / "mara" / "embeddings.safetensors")
    mean = tensors["per_image"].mean(axis=0)
    assert np.allclose(tensors["mean"], mean / np.linalg.norm(mean), atol=1e-6)

    code, out, _ = cli("add", "cat", *drawn_images, "--name", "Tom", *cli.face, *cli.drawn)
    assert code == 0 and "registered 'cat' (drawn, 2 references" in out
    assert json.loads((library_root / "cat" / "character.json").read_text())["requested_kind"] == "auto"

    code, out, _ = cli("list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["ID", "NAME", "KIND", "REFERENCES", "EMBEDDER"]
    assert lines[1].split()[:4] == ["cat", "Tom", "drawn", "2"] and lines[1].split()[4].startswith("clip:")
    assert lines[2].split()[:4] == ["mara", "Mara", "face", "2"]
    assert lines[2].split()[4].startswith("insightface:")

    code, out, _ = cli("show", "mara")
    assert code == 0 and "description: raincoat" in out and "kind:        face (asked for auto)" in out
    assert "references/01.jpg" in out and str(mara_images[0]) in out

    code, out, _ = cli("remove", "cat")
    assert code == 0 and out.strip() == "removed 'cat'"
    assert [line.split()[0] for line in cli("list")[1].splitlines()[1:]] == ["mara"]


def test_empty_library_list(cli, library_root):
    code, out, _ = cli("list")
    assert code == 0 and out.strip() == f"no characters in {library_root}"


@pytest.fixture
def bad_inputs(tmp_path, mara_images, drawn_images):
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    two = save(face_image([(1, 0, 0, 64), (2, 128, 128, 64)]), tmp_path / "two.png")
    tiny = save(face_image([(1, 64, 64, 16)]), tmp_path / "tiny.png")
    theo = save(face_image([(2, 64, 64, 64)]), tmp_path / "theo.png")
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(mara_images[0].read_bytes())
    return {
        "bad id": (["add", "Mara!", mara_images[0]], "invalid character id"),
        "taken id": (["add", "mara", mara_images[0]], "already exists"),
        "missing file": (["add", "x", tmp_path / "nope.jpg"], "nope.jpg: no such file"),
        "not an image": (["add", "x", text], "notes.jpg: not a JPEG, PNG or WebP image"),
        "duplicate": (["add", "x", mara_images[0], copy], "copy.jpg is the same image as"),
        "no face": (["add", "x", drawn_images[0], "--kind", "face"], "no face found; use --kind drawn"),
        "two faces": (["add", "x", two, "--kind", "face"], "two.png: 2 faces of similar size"),
        "tiny face": (["add", "x", tiny, "--kind", "face"], "tiny.png: the face is only 16 px"),
        "outlier": (["add", "x", *mara_images, theo], "theo.png"),
        "missing pack": (["add", "x", mara_images[0], "--kind", "face", "--face-models", "buffalo_l"], "'buffalo_l' is missing"),  # auto falls back to drawn
        "missing encoder": (["add", "x", drawn_images[0], "--kind", "drawn", "--drawn-encoder", "a/b"], "a/b is missing"),
        "unknown show": (["show", "marra"], "did you mean 'mara'"),
        "unknown remove": (["remove", "theo"], "no character 'theo'"),
    }


def test_every_bad_input_is_one_line_and_exit_2(cli, library_root, mara_images, bad_inputs):
    assert cli("add", "mara", *mara_images[:2], *cli.face)[0] == 0
    before = tree(library_root)
    for case, (args, message) in bad_inputs.items():
        models = []
        if args[0] == "add":
            models += [] if "--face-models" in args else cli.face
            models += [] if "--drawn-encoder" in args else cli.drawn
        code, out, err = cli(*args, *models)
        assert code == 2, case
        assert err.startswith("error: ") and err.count("\n") == 1 and message in err, (case, err)
        assert "Traceback" not in err and out == "", case
        assert tree(library_root) == before, case


def test_face_models_from_environment(library_root, face_pack, mara_images, monkeypatch, capsys):
    monkeypatch.setenv("STORYBOARD_FACE_MODELS", str(face_pack))
    monkeypatch.setenv("STORYBOARD_LIBRARY", str(library_root))
    assert main(["characters", "add", "mara", str(mara_images[0]), "--kind", "face"]) == 0
    record = json.loads((library_root / "mara" / "character.json").read_text())
    assert record["embedder"]["model"] == str(face_pack)


@pytest.mark.parametrize("library", ["notes.txt", "notes.txt/chars"])
def test_a_library_that_is_a_file_is_refused_before_any_image_is_read(tmp_path, capsys, monkeypatch, library):
    # `--library notes.txt` loaded the encoders (and failed on them, offline) before saying so.
    import characters.library

    (tmp_path / "notes.txt").write_text("x")
    monkeypatch.setattr(characters.library, "load_references", lambda *a: pytest.fail("read the images"))
    code = main(["characters", "add", "mara", str(tmp_path / "missing.png"), "--library", str(tmp_path / library)])
    err = capsys.readouterr().err
    said = ("is not a folder" if library == "notes.txt" else f"cannot be made: {tmp_path / 'notes.txt'} is a file")
    assert code == 2 and err == f"error: character library {tmp_path / library} {said}\n"


def test_a_library_on_a_file_system_that_takes_no_file_is_refused_before_any_image(tmp_path, capsys, monkeypatch):
    # os.access lets root through a read-only file system: the library asks it, as render's outputs do
    import errno

    import characters.library
    from storyboard import _files

    def refused(folder):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(_files, "probe_folder", refused)
    monkeypatch.setattr(characters.library, "load_references", lambda *a: pytest.fail("read the images"))
    code = main(["characters", "add", "mara", str(tmp_path / "missing.png"), "--library", str(tmp_path / "chars")])
    assert code == 2 and capsys.readouterr().err == (f"error: character library {tmp_path / 'chars'} is not writable: "
                                                     f"folder {tmp_path} takes no new file (Read-only file system)\n")
