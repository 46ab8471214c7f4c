"""A damaged character library degrades, it never crashes or hangs (issue 18, item 10): each
damaged folder is one line naming the character, and `characters list` lists the rest."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from characters import CharacterLibrary
from storyboard.errors import CharacterError


@pytest.fixture
def damaged(library_root, face_pack, mara_images):
    library = CharacterLibrary(library_root)
    library.register("mara", mara_images[:2], name="Mara", face_models=str(face_pack))
    root = library.root
    record = json.loads((root / "mara" / "character.json").read_text())

    def clone(name: str, **changes) -> None:
        shutil.copytree(root / "mara", root / name)
        (root / name / "character.json").write_text(json.dumps({**record, "id": name, **changes}))

    (root / "fifo").mkdir()
    os.mkfifo(root / "fifo" / "character.json")  # reading it would block forever
    (root / "zero").mkdir()
    (root / "zero" / "character.json").symlink_to("/dev/zero")  # reading it would never end
    (root / "deep").mkdir()
    (root / "deep" / "character.json").write_text("[" * 100_000 + "]" * 100_000)
    clone("escape", references=[{**record["references"][0], "file": "../../../../etc/passwd"}])
    clone("pipe")
    (root / "pipe" / "embeddings.safetensors").unlink()
    os.mkfifo(root / "pipe" / "embeddings.safetensors")
    clone("garbled", embedder=["not", "a", "mapping"])
    clone("control", kind="face\x1b[2J\nsecond line")
    (root / "link").symlink_to(root / "mara")
    return library


EXPECTED = {"control", "deep", "escape", "fifo", "garbled", "link", "pipe", "zero"}


def test_list_names_each_damaged_character_and_lists_the_rest(damaged, library_root):
    done = subprocess.run([sys.executable, "-m", "storyboard", "characters", "list", "--library", str(library_root)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()[1:]] == ["mara"]
    lines = done.stderr.splitlines()
    assert len(lines) == len(EXPECTED) and all(line.startswith("error: ") for line in lines)
    named = {line.split(str(library_root) + "/")[1].split(" ")[0] for line in lines}
    assert named == EXPECTED
    assert all("is not a valid storyboard character" in line for line in lines)


def test_the_api_scans_and_refuses_the_same_way(damaged):
    characters, problems = damaged.scan()
    assert [c.id for c in characters] == ["mara"] and len(problems) == len(EXPECTED)
    assert all("\n" not in str(p) for p in problems)
    with pytest.raises(CharacterError, match="outside its folder"):
        damaged.get("escape")
    with pytest.raises(CharacterError, match="not a regular file"):
        damaged.get("pipe")
    assert damaged.embedding("mara").kind == "face"
