"""A panel cache that cannot be written (its disk full, read-only) only saves no work: the
render goes on without caching and says so once, in one line. A full disk for the output
itself still fails the render in one line, with nothing written.

A write that raises ENOSPC under the cache's folder stands in for a full disk (no tmpfs:
the tests run unprivileged)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

import storyboard.cache
from storyboard.cache import PanelCache
from storyboard.cli import main
from storyboard.engines.draft import DraftEngine
from tests.render.test_crash import long_story


def fill(monkeypatch, root: Path, *, only_in_workers: bool = False) -> None:
    """Every write of the cache at `root` fails as on a full disk (with `only_in_workers`, only
    in the page workers, forked from this process)."""
    real, here = storyboard.cache._atomic_write, os.getpid()

    def full(path, write, **kwargs):
        if str(path).startswith(str(root)) and (not only_in_workers or os.getpid() != here):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, write, **kwargs)

    monkeypatch.setattr(storyboard.cache, "_atomic_write", full)


def pixels(folder: Path) -> list[bytes]:
    from PIL import Image

    return [Image.open(page).convert("RGB").tobytes() for page in sorted(folder.glob("page-*.png"))]


@pytest.mark.parametrize("only_in_workers", [False, True])
def test_a_full_cache_warns_once_and_the_pages_are_those_of_a_render_without_cache(
        tmp_path, monkeypatch, capsys, only_in_workers):
    # Sketches are drawn and stored on the page workers: what they could not store comes back
    # with their pages, and the render says it once.
    monkeypatch.setenv("STORYBOARD_WORKERS", "2")
    monkeypatch.chdir(tmp_path)
    script = long_story(tmp_path / "story.yaml", panels=30, dpi=40)
    cache = tmp_path / "cache"
    PanelCache(cache).prepare()  # (a cache that is there, tagged, but takes nothing more)
    assert main(["render", str(script), "--engine", "draft", "-o", "plain/", "--no-cache"]) == 0
    capsys.readouterr()
    fill(monkeypatch, cache, only_in_workers=only_in_workers)
    assert main(["render", str(script), "--engine", "draft", "-o", "pages/", "-o", "book.pdf",
                 "--cache", str(cache)]) == 0
    captured = capsys.readouterr()
    assert captured.err == (f"warning: cannot write to the panel cache {cache} (No space left on device): "
                            "the render went on without caching\n")
    assert captured.out.startswith("wrote pages, book.pdf: ")
    assert pixels(tmp_path / "pages") == pixels(tmp_path / "plain")
    assert (tmp_path / "book.pdf").stat().st_size > 0
    if not only_in_workers:
        assert sorted(p.name for p in cache.iterdir()) == ["CACHEDIR.TAG"]
    assert not [p for p in cache.rglob(".*")]  # no temporary file left


class _Raster(DraftEngine):
    """The draft engine as one that paints pixels (as a diffusion model does), noting each
    panel it paints in a file (page workers are forked)."""

    draws_vectors = False

    def __init__(self, log: Path):
        self.log = log

    def render(self, request):
        with open(self.log, "a") as fh:
            fh.write(f"{request.scene} {request.panel}\n")
        return super().render(request)


def test_raster_panels_a_full_cache_did_not_keep_are_read_back_never_painted_again(tmp_path, monkeypatch):
    # A generated panel is cached, then read back from the cache when its page is built: one
    # the cache could not keep waits in the run's own folder (a model would paint it again).
    import storyboard

    monkeypatch.setenv("STORYBOARD_WORKERS", "2")
    script = long_story(tmp_path / "story.yaml", panels=12, dpi=40)
    storyboard.render(script, engine=_Raster(tmp_path / "log0"), out=f"{tmp_path / 'plain'}/", cache=False)
    cache = tmp_path / "cache"
    PanelCache(cache).prepare()
    fill(monkeypatch, cache)
    result = storyboard.render(script, engine=_Raster(tmp_path / "log"), out=f"{tmp_path / 'pages'}/", cache=cache)
    assert result.warnings == [f"warning: cannot write to the panel cache {cache} (No space left on device): "
                               "the render went on without caching"]
    assert sorted((tmp_path / "log").read_text().splitlines()) == sorted((tmp_path / "log0").read_text().splitlines())
    assert len((tmp_path / "log").read_text().splitlines()) == 12  # each once
    assert pixels(tmp_path / "pages") == pixels(tmp_path / "plain")


def test_a_cache_folder_that_cannot_be_made_is_not_used(tmp_path, monkeypatch, capsys):
    # The default cache on a full home disk: the render writes its outputs elsewhere all the same.
    import tempfile

    monkeypatch.chdir(tmp_path)
    script = long_story(tmp_path / "story.yaml", panels=2, dpi=40)
    cache = tmp_path / "home" / "cache"
    real = tempfile.mkdtemp

    def full(suffix=None, prefix=None, dir=None):
        if dir is not None and str(dir).startswith(str(tmp_path / "home")):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(suffix, prefix, dir)

    monkeypatch.setattr(tempfile, "mkdtemp", full)
    fill(monkeypatch, cache)
    assert main(["render", str(script), "--engine", "draft", "-o", "book.pdf", "--cache", str(cache)]) == 0
    assert capsys.readouterr().err == (f"warning: cannot write to the panel cache {cache} (No space left on "
                                       "device): the render went on without caching\n")
    assert (tmp_path / "book.pdf").is_file() and not cache.exists()


def test_a_batch_sharing_a_full_cache_warns_once(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    scripts = [str(long_story(tmp_path / f"{tag}.yaml", panels=2, dpi=40, tag=tag)) for tag in "ab"]
    cache = tmp_path / "cache"
    PanelCache(cache).prepare()
    fill(monkeypatch, cache)
    assert main(["batch", *scripts, "--engine", "draft", "-o", "out", "--cache", str(cache)]) == 0
    assert capsys.readouterr().err == (f"warning: cannot write to the panel cache {cache} (No space left on "
                                       "device): the render went on without caching\n")
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.endswith(".json")) == ["a.pdf", "b.pdf"]


def test_a_full_disk_for_the_output_is_one_line_before_any_work(tmp_path, monkeypatch, capsys):
    # The output's folder takes no new entry: refused up front (a folder made and removed asks),
    # the cache (elsewhere, with room) untouched.
    monkeypatch.chdir(tmp_path)
    script = long_story(tmp_path / "story.yaml", panels=2, dpi=40)
    (tmp_path / "disk").mkdir()
    mkdir = os.mkdir

    def full(path, *args, **kwargs):
        if str(os.path.abspath(path)).startswith(str(tmp_path / "disk")):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
        return mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", full)
    assert main(["render", str(script), "--engine", "draft", "-o", "disk/book.pdf", "--cache", "cache"]) == 2
    assert capsys.readouterr().err == "error: cannot write disk/book.pdf: No space left on device\n"
    assert not any((tmp_path / "disk").iterdir()) and not (tmp_path / "cache").exists()


def test_clearing_a_read_only_cache_is_one_line(tmp_path, monkeypatch, capsys):
    # `cache clear` of a cache on a read-only file system ended in an OSError traceback.
    monkeypatch.chdir(tmp_path)
    script = long_story(tmp_path / "story.yaml", panels=2, dpi=40)
    cache = tmp_path / "cache"
    assert main(["render", str(script), "--engine", "draft", "-o", "book.pdf", "--cache", str(cache)]) == 0
    capsys.readouterr()
    unlink = os.unlink

    def read_only(path, *args, **kwargs):
        if kwargs.get("dir_fd") is not None:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
        return unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", read_only)
    assert main(["cache", "clear", "--cache", str(cache)]) == 2
    assert capsys.readouterr().err == f"error: cannot clear the panel cache {cache}: Read-only file system\n"
