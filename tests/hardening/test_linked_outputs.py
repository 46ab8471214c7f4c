"""An output named by a symlink is written where the link points, atomically there, and the
link stays a link: a PDF, a CBZ and a webtoon strip as a page folder always was (README,
"Outputs are replaced whole"). The manifest stays beside the name given."""

from __future__ import annotations

import os

import pytest

from storyboard.cli import main

SCRIPT = "title: T\ngeneration: {engine: draft}\npage: {size: [80, 100], dpi: 40}\nscenes: [{panels: [{action: a room}]}]\n"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / "s.yaml").write_text(SCRIPT)
    (tmp_path / "dbx").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_linked_outputs_are_written_where_they_point(folder, capsys):
    (folder / "dbx" / "book.pdf").write_bytes(b"old")
    os.symlink("dbx/book.pdf", folder / "book.pdf")
    os.symlink("dbx/new.cbz", folder / "book.cbz")  # a link to a file not written yet
    (folder / "dbx" / "strip.webtoon").mkdir()
    os.symlink("dbx/strip.webtoon", folder / "strip.webtoon", target_is_directory=True)
    assert main(["render", "s.yaml", "--no-cache", "-o", "book.pdf", "-o", "book.cbz", "-o", "strip.webtoon/"]) == 0
    capsys.readouterr()
    for link in ("book.pdf", "book.cbz", "strip.webtoon"):
        assert (folder / link).is_symlink() and (folder / f"{link}.manifest.json").is_file()
    assert (folder / "dbx" / "book.pdf").read_bytes()[:5] == b"%PDF-"
    assert (folder / "dbx" / "new.cbz").read_bytes()[:2] == b"PK"
    assert (folder / "dbx" / "strip.webtoon" / "001.png").is_file()
    assert sorted(p.name for p in (folder / "dbx").iterdir()) == ["book.pdf", "new.cbz", "strip.webtoon"]  # no temporary


def test_a_link_loop_or_two_names_for_one_file_is_one_line(folder, capsys):
    os.symlink("loop.pdf", folder / "loop.pdf")
    assert main(["render", "s.yaml", "--no-cache", "-o", "loop.pdf"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: cannot write loop.pdf: ") and "symbolic links" in err
    os.symlink("dbx/a.pdf", folder / "a.pdf")
    assert main(["render", "s.yaml", "--no-cache", "-o", "dbx/a.pdf", "-o", "a.pdf"]) == 2
    assert capsys.readouterr().err == "error: the output a.pdf is given twice (also as dbx/a.pdf)\n"
    assert not list((folder / "dbx").iterdir())
