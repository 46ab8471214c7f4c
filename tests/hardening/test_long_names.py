"""An output name the file system cannot hold is one line before any work, never a traceback:
a name of 300 letters was ENAMETOOLONG from stat, one of 250 failed once the pages were drawn
(its manifest's name, 14 bytes longer, did not fit)."""

from __future__ import annotations

import pytest

from storyboard.cli import main
from tests.hardening.cli_mistakes import one_error_line


@pytest.mark.parametrize("name, message", [
    ("a" * 300 + ".pdf", "its name is 304 bytes long; at most 223"),
    ("a" * 250 + ".pdf", "its name is 254 bytes long; at most 223"),
    ("é" * 120 + "/", "its name is 240 bytes long; at most 223"),  # bytes, not letters
    ("b" * 256 + "/x.pdf", "the folder name " + "b" * 40 + "… is over 255 bytes long"),
])
def test_a_name_too_long_for_the_file_system_is_one_line(folder, capsys, name, message):
    assert main(["render", "good.yaml", "-o", name]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"error: cannot write {name}: ") and message in line
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml"]


def test_the_longest_name_allowed_is_written_in_every_format_and_replaced(folder, capsys):
    name = "a" * 219  # + ".pdf": 223 bytes
    outputs = [name + ".pdf", name, name[4:] + ".cbz", name[8:] + ".webtoon"]
    for _ in range(2):  # the second render replaces each (temporary files, the pages' private folder)
        assert main(["render", "good.yaml", *[arg for out in outputs for arg in ("-o", out)]]) == 0
    assert sum(1 for p in folder.iterdir()) == 1 + 2 * len(outputs)


def test_a_batch_folder_name_too_long_is_one_line(folder, capsys):
    assert main(["batch", "good.yaml", "-o", "c" * 300]) == 2
    assert one_error_line(capsys) == f"error: cannot write into {'c' * 300}: the folder name {'c' * 40}… is over 255 bytes long"
