"""A disk that fills while a render writes its own temporary files is one line, never a traceback."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from tests.render.test_crash import long_story


def limited(limit: int):
    # RLIMIT_FSIZE stands in for a full disk: a write past it fails with EFBIG (Python ignores
    # SIGXFSZ), as one on a full disk fails with ENOSPC. No .pyc writes: they would be cut short.
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))


@pytest.mark.parametrize("limit, cache", [(40_000, False), (12_000, True)])
def test_a_full_temporary_folder_is_one_line_and_leaves_nothing(tmp_path, limit, cache):
    # 40 kB: the page piece fits, the PDF being joined (in an unnamed temporary file) does not;
    # 12 kB: the page piece in the run's scratch folder does not.
    script = long_story(tmp_path / "story.yaml", panels=6, dpi=40)
    temp, out = tmp_path / "tmp", tmp_path / "out"
    temp.mkdir()
    args = ["--cache", str(tmp_path / "cache")] if cache else ["--no-cache"]
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-m", "storyboard", "render", str(script), "-o", str(out / "book.pdf"),
                           "--engine", "draft", "--no-watermark", *args], capture_output=True, text=True, env=env,
                          preexec_fn=limited(limit), timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"error: cannot write a temporary file in {temp}: File too large\n"
    assert not out.exists() or not any(out.iterdir())
    assert not any(temp.iterdir())


def test_a_page_that_cannot_reach_the_disk_names_the_page_asked_for(tmp_path, monkeypatch):
    # PNG pages are written in a private folder and put on disk (fsync) by the same helper as
    # every atomic output: its error names the page the user will see, not the private folder.
    import errno

    import storyboard
    from storyboard.errors import ExportError
    from storyboard.script import load_story

    story = load_story(long_story(tmp_path / "story.yaml", panels=2, dpi=40))
    out = tmp_path / "pages"
    storyboard.render(story, engine="draft", out=f"{out}/", cache=tmp_path / "cache", watermark=False)
    real = os.fsync

    def failing(fd):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".png"):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real(fd)

    monkeypatch.setattr(os, "fsync", failing)
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(ExportError, match=rf"^cannot write {out / 'page-001.png'}: Input/output error$"):
        storyboard.render(story, engine="draft", out=f"{out}/", cache=tmp_path / "cache", watermark=False)
    assert sorted(p.name for p in out.iterdir()) == before  # the old pages, whole
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pages")]


def test_a_strip_that_fills_the_disk_names_the_strip_and_keeps_the_old_one(tmp_path, monkeypatch):
    # A write error has no file name (it is the file object's), so the strip's own folder is named,
    # not "a temporary file in TMPDIR" (where there was room); its private folder goes.
    import errno

    import storyboard
    import storyboard.export.png
    from storyboard.errors import ExportError
    from storyboard.script import load_story

    story = load_story(long_story(tmp_path / "story.yaml", panels=2, dpi=40))
    out = tmp_path / "s.webtoon"
    storyboard.render(story, engine="draft", out=f"{out}/", cache=tmp_path / "cache", watermark=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def full(image, path, **options):
        with open(path, "wb") as fh:
            fh.write(b"\x89PNG")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(storyboard.export.png, "save_png", full)
    with pytest.raises(ExportError, match=rf"^cannot write {out}: No space left on device$"):
        storyboard.render(story, engine="draft", out=f"{out}/", cache=tmp_path / "cache", watermark=False)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no private folder left


@pytest.mark.parametrize("name", ["new/deep/book.pdf", "new/deep/book.cbz", "new/deep/s.webtoon/"])
def test_an_output_not_written_leaves_no_folder_it_made(tmp_path, monkeypatch, name):
    # `-o new/deep/book.pdf` makes new/deep/; when the book cannot be written they go again
    # (a folder of pages does the same: export.images), but not a folder that was there before.
    import errno

    import storyboard
    import storyboard.export
    import storyboard.export.png
    from storyboard.errors import ExportError
    from storyboard.script import load_story

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(storyboard.export, "put_on_disk", full)  # the PDF's and CBZ's fsync
    monkeypatch.setattr(storyboard.export.png, "save_png", full)  # the strip's images
    story = load_story(long_story(tmp_path / "story.yaml", panels=2, dpi=40))
    (tmp_path / "there").mkdir()
    for out in (tmp_path / name, tmp_path / "there" / name):
        with pytest.raises(ExportError, match="No space left on device"):
            storyboard.render(story, engine="draft", out=f"{out}", cache=tmp_path / "cache", watermark=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "story.yaml", "there"]
    assert not any((tmp_path / "there").iterdir())


def test_an_output_that_fills_the_disk_after_others_were_written_says_which_are_kept(tmp_path, monkeypatch):
    # Several outputs are written one after another, each whole: when a later one fails, the
    # earlier ones stay, and the line says so (as an interrupted render's does).
    import errno

    import storyboard
    import storyboard.export
    from storyboard.errors import ExportError
    from storyboard.script import load_story

    real = storyboard.export.put_on_disk

    def full(path, name=None):
        if str(name or path).endswith(".cbz"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, name)

    monkeypatch.setattr(storyboard.export, "put_on_disk", full)
    story = load_story(long_story(tmp_path / "story.yaml", panels=2, dpi=40))
    book, pages, comic = tmp_path / "book.pdf", tmp_path / "pages", tmp_path / "book.cbz"
    with pytest.raises(ExportError, match=rf"^cannot write {comic}: No space left on device; {book}, {pages} "
                                          "are complete and kept$"):
        storyboard.render(story, engine="draft", out=[book, f"{pages}/", comic], cache=tmp_path / "cache",
                          watermark=False)
    assert book.is_file() and (pages / "page-001.png").is_file() and not comic.exists()


def test_a_full_disk_while_the_pdf_is_joined_names_the_temporary_folder(tmp_path, monkeypatch):
    # The joined PDF's temporary file filling up as a page is added to it was reported as that
    # page "could not be read back" ('its page 2.pdfpart could not be read back ([Errno 27] ...)').
    import errno

    import storyboard
    from storyboard.errors import ExportError
    from storyboard.pdfraw import PdfFile
    from storyboard.script import load_story

    put, calls = PdfFile.put, []

    def full(self, *args, **kwargs):
        calls.append(1)
        if len(calls) > 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return put(self, *args, **kwargs)

    monkeypatch.setattr(PdfFile, "put", full)
    story = load_story(long_story(tmp_path / "story.yaml", panels=2, dpi=40))
    with pytest.raises(ExportError, match=r"^cannot write a temporary file in .*: No space left on device$"):
        storyboard.render(story, engine="draft", out=tmp_path / "book.pdf", cache=False, watermark=False)
    assert not (tmp_path / "book.pdf").exists()
