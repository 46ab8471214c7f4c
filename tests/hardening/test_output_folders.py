"""Where outputs and their manifests go when the folder is named oddly; a folder that refuses
new files whatever its permission bits say, and an output name that is a device or a FIFO:
refused once, up front, in one line."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from storyboard.cli import main
from tests.hardening.cli_mistakes import one_error_line


def test_pages_written_into_the_current_folder_have_their_manifest_beside_it(folder, capsys):
    # `-o .` wrote `..manifest.json` inside the folder (".", then ".manifest.json"): the manifest
    # of a folder is `NAME.manifest.json` beside it, whatever name the folder is given by.
    book = folder / "book"
    book.mkdir()
    os.chdir(book)
    assert main(["render", "../good.yaml", "-o", ".", "--format", "pages"]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {book.resolve()}: 1 page, ")  # not 'wrote .:'
    assert sorted(p.name for p in book.iterdir()) == ["page-001.png"]
    assert (folder / "book.manifest.json").is_file()
    assert main(["check-lettering", "."]) == 0  # the readers find it under the same name
    assert main(["eval", "."]) == 0  # and eval's reports are named as the manifest is
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("book.")) == [
        "book.eval.html", "book.eval.json", "book.manifest.json"]
    os.chdir(book / "..")
    assert main(["render", "good.yaml", "-o", "book/..", "--format", "pages"]) == 0  # the folder is `folder`
    assert (folder.parent / f"{folder.name}.manifest.json").is_file()
    (folder.parent / f"{folder.name}.manifest.json").unlink()
    assert not [p for p in folder.rglob("*") if p.name.startswith(".")]


@pytest.mark.parametrize("argv", [
    ["render", "good.yaml", "-o", "{sys}/out/book.pdf"],
    ["render", "good.yaml", "-o", "{sys}/out/"],
    ["batch", "good.yaml", "other.yaml", "-o", "{sys}/out"],
])
def test_a_folder_that_refuses_new_files_is_refused_once_before_any_work(folder, capsys, monkeypatch, argv):
    # As root, access() says yes to /sys, and `batch -o /sys/out` then failed story by story when
    # each was written; here a folder whose file system refuses entries stands in for /sys.
    (folder / "other.yaml").write_text((folder / "good.yaml").read_text())
    sysfs = folder / "sys"
    sysfs.mkdir()
    mkdir = os.mkdir

    def refusing(path, *args, **kwargs):
        if os.path.dirname(os.path.abspath(path)) == str(sysfs):
            raise OSError(errno.EPERM, os.strerror(errno.EPERM), path)
        return mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", refusing)
    argv = [a.replace("{sys}", str(sysfs)) for a in argv]
    assert main(argv) == 2
    out = next(a for a in argv if a.startswith(str(sysfs)))
    assert one_error_line(capsys) == f"error: cannot write {out}: folder {sysfs} is not writable (Operation not permitted)"
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml", "other.yaml", "sys"]
    assert not any(sysfs.iterdir())


def test_the_root_folder_has_no_manifest_beside_it(folder, capsys):
    assert main(["render", "good.yaml", "-o", "/", "--format", "pages"]) == 2
    assert one_error_line(capsys) == ("error: cannot write the manifest of /: the root folder has nothing beside it; "
                                      "write into a folder under it")


@pytest.mark.parametrize("name", [".", "book/.."])
def test_a_strip_is_not_written_into_the_folder_it_would_replace_from_inside(folder, capsys, name):
    # A strip replaces its folder whole: `--format webtoon -o .` ended in a traceback
    # ('PosixPath('.') has an empty name') and left its work folder behind.
    (folder / "book").mkdir()
    assert main(["render", "good.yaml", "--format", "webtoon", "-o", name]) == 2
    assert one_error_line(capsys) == (f"error: cannot write a webtoon strip into {name}: a strip replaces its whole "
                                      "folder; give it a folder of its own (-o story.webtoon/)")
    assert sorted(p.name for p in folder.iterdir()) == ["book", "good.yaml"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("argv", [
    ["render", "good.yaml", "--format", "pdf", "-o", "{out}"],
    ["render", "good.yaml", "--format", "cbz", "-o", "{link}"],  # through a link, where it points
    ["translations", "template", "good.yaml", "--lang", "fr", "--force", "-o", "{out}.yaml"],
])
def test_an_output_that_is_a_fifo_or_device_is_refused_not_replaced(folder, capsys, argv):
    # An output is written beside its name and renamed onto it: `--format pdf -o /dev/null`
    # run as root replaced the system's /dev/null with a PDF. A FIFO stands in for the device.
    (folder / "good.yaml").write_text((folder / "good.yaml").read_text().replace("{action: a}",
                                                                                 "{action: a, caption: Dawn.}"))
    for name in ("sink", "sink.yaml"):
        os.mkfifo(folder / name)
    (folder / "link").symlink_to("sink")
    argv = [a.format(out="sink", link="link") for a in argv]
    assert main(argv) == 2
    assert one_error_line(capsys) == (f"error: cannot write {argv[-1]}: it is a FIFO, not a file (an output "
                                      "replaces its file whole)")
    assert all(stat.S_ISFIFO((folder / name).stat().st_mode) for name in ("sink", "sink.yaml"))
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml", "link", "sink", "sink.yaml"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("argv, said", [
    (["render", "good.yaml", "-o", "sink"], "cannot write PNG pages into sink"),  # no suffix: pages
    (["render", "good.yaml", "--format", "webtoon", "-o", "sink"], "cannot write a webtoon strip into sink"),
    (["batch", "good.yaml", "-o", "sink"], "cannot write into sink"),
])
def test_a_folder_output_that_is_a_fifo_says_what_it_is(folder, capsys, argv, said):
    # `-o /dev/null` (pages: the name has no suffix) said 'it is a file'. A FIFO stands in for the device.
    os.mkfifo(folder / "sink")
    assert main(argv) == 2
    assert one_error_line(capsys) == f"error: {said}: it is a FIFO, not a folder"
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml", "sink"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_every_atomic_output_refuses_a_fifo_itself(tmp_path):
    # The last guard, for a writer no command checked first (the eval reports, a shot list...).
    from storyboard.errors import ExportError
    from storyboard.export import atomic_path

    os.mkfifo(tmp_path / "shots.csv")
    with pytest.raises(ExportError, match=r"^cannot write .*shots\.csv: it is a FIFO, not a file"):
        with atomic_path(tmp_path / "shots.csv", ".csv") as tmp:
            tmp.write_text("x")
    assert os.listdir(tmp_path) == ["shots.csv"] and stat.S_ISFIFO((tmp_path / "shots.csv").stat().st_mode)


def test_pages_into_a_folder_whose_parent_is_read_only_say_the_manifest_goes_there(folder, capsys, monkeypatch):
    # `-o .` needs the folder above for its manifest (../book.manifest.json): the line says so.
    mkdir = os.mkdir

    def refusing(path, *args, **kwargs):
        if os.path.dirname(os.path.abspath(path)) == str(folder):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
        return mkdir(path, *args, **kwargs)

    (folder / "book").mkdir()
    monkeypatch.setattr(os, "mkdir", refusing)
    os.chdir(folder / "book")
    assert main(["render", "../good.yaml", "-o", ".", "--format", "pages"]) == 2
    assert one_error_line(capsys) == (f"error: cannot write .: folder {folder} is not writable (Read-only file "
                                      "system) (its manifest, book.manifest.json, goes there)")
    assert not any((folder / "book").iterdir())
