"""`--format` against an output's name: a name that says another format is refused in one
line before any work (exit 2), for every pair; a name that says nothing takes any format."""

from __future__ import annotations

import pytest

from storyboard.cli import main
from storyboard.render import FORMATS, output_targets
from tests.hardening.cli_mistakes import one_error_line

NAMES = {"pdf": "book.pdf", "cbz": "book.cbz", "webtoon": "book.webtoon/", "animatic": "book.mp4",
         "shotlist": "book.csv", "png": "book.png"}  # what each name says
FOLDERS = ("pages", "webtoon")


def _clashes():
    for fmt in FORMATS:
        for said, name in NAMES.items():
            if said != fmt:
                yield pytest.param(fmt, name, id=f"{fmt}-{name}")


@pytest.mark.parametrize(("fmt", "name"), list(_clashes()))
def test_a_name_that_says_another_format_is_refused(folder, capsys, fmt, name):
    assert main(["render", "good.yaml", "--format", fmt, "-o", name]) == 2
    line = one_error_line(capsys)
    right = "book" + {"pdf": ".pdf", "cbz": ".cbz", "animatic": ".mp4", "shotlist": ".csv", "pages": "/",
                      "webtoon": ".webtoon/"}[fmt]
    assert line.startswith(f"error: {name}: --format {fmt} writes ") and f"name it {right}, or leave --format out" in line
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml"]


def test_the_refusal_names_both_formats(folder, capsys):
    assert main(["render", "good.yaml", "--format", "cbz", "-o", "x.pdf"]) == 2
    assert one_error_line(capsys) == ("error: x.pdf: --format cbz writes a CBZ but the name says a PDF ('.pdf'): "
                                      "name it x.cbz, or leave --format out")


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f not in FOLDERS])
def test_a_file_format_for_a_folder_name_is_refused(folder, capsys, fmt):
    assert main(["render", "good.yaml", "--format", fmt, "-o", "out/"]) == 2
    assert "the name ends in '/' (a folder)" in one_error_line(capsys)
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml"]


def test_names_that_say_nothing_or_the_same_take_the_format(tmp_path):
    pairs = [("book", "pdf"), ("book.zip", "cbz"), ("v1.2/", "pages"), ("strip/", "webtoon"), ("BOOK.PDF", "pdf"),
             ("s.webtoon", "webtoon"), ("film", "animatic"), ("pages/", "pages")]
    outputs = [(str(tmp_path / name), fmt) for name, fmt in pairs]
    assert [fmt for _, fmt in output_targets(outputs)] == [fmt for _, fmt in pairs]


@pytest.mark.parametrize(("fmt", "name"), [("pdf", "good.pdf"), ("cbz", "good.cbz"), ("shotlist", "good.csv"),
                                           ("pages", "good")])
def test_format_without_a_name_writes_the_scripts_name_in_that_format(folder, fmt, name):
    # `render s.yaml --format cbz` once refused its own default name (s.pdf) as "a PDF"
    assert main(["render", "good.yaml", "--format", fmt, "--engine", "draft", "--no-cache"]) == 0
    assert (folder / name).is_dir() == (fmt == "pages")
    assert sorted(p.name for p in folder.iterdir()) == sorted(["good.yaml", name, f"{name}.manifest.json"])
