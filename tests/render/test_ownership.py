"""storyboard removes only what it can prove it wrote, and a damaged cache or output folder
is a miss or a one-line error, never a traceback (issue 17, issue 18 item 10)."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

import pytest
from PIL import Image

import storyboard
from storyboard.cache import PanelCache
from storyboard.cli import main
from storyboard.drawing import Drawing
from storyboard.engines.draft import DraftEngine
from storyboard.errors import StoryboardError
from tests.render.test_crash import assert_cache_sound, long_story

PANELS = 6


@pytest.fixture
def script(tmp_path) -> Path:
    return long_story(tmp_path / "story.yaml", panels=PANELS, dpi=36)


def render(script: Path, out, cache, **kw):
    return storyboard.render(script, engine=kw.pop("engine", "draft"), out=out, cache=cache, watermark=False, **kw)


def raster_engine() -> DraftEngine:
    """The draft engine drawing pixels, so the cache holds PNG entries."""
    engine = DraftEngine()
    engine.draws_vectors = False
    return engine


def test_cache_clear_removes_only_its_own_entries(script, tmp_path, capsys):
    cache = tmp_path / "cache"
    render(script, tmp_path / "out.pdf", cache)
    keys = {p.stem for p in cache.glob("??/*.drawing")}
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "keep.txt").write_text("not a panel")
    key = "ab" + "0" * 62
    (outside / f"{key}.png").write_text("not a panel either")
    (cache / "go").mkdir()
    (cache / "go" / "main.go").write_text("package main\n")
    (cache / "ab").symlink_to(outside)  # a planted two-letter folder
    sub = cache / sorted(keys)[0][:2]
    (sub / "notes.txt").write_text("someone's notes")  # a foreign file in one of ours
    (sub / ("f" * 64 + ".png")).symlink_to(outside / "keep.txt")  # an entry's name, but a link

    assert main(["cache", "clear", "--cache", str(cache)]) == 0
    assert f"removed {PANELS} panels" in capsys.readouterr().out
    assert (cache / "go" / "main.go").read_text() == "package main\n"
    assert (outside / "keep.txt").is_file() and (outside / f"{key}.png").is_file()
    assert (cache / "ab").is_symlink() and (sub / "notes.txt").is_file() and (sub / ("f" * 64 + ".png")).is_symlink()
    left = [p for p in cache.glob("??/*") if not p.parent.is_symlink() and not p.is_symlink()]
    assert sorted(left) == sorted([sub / "notes.txt", cache / "go" / "main.go"])
    assert {p.name for p in cache.iterdir()} == {"CACHEDIR.TAG", "ab", "go", sub.name}


def test_cache_clear_refuses_a_folder_that_is_not_a_cache(tmp_path, capsys):
    home = tmp_path / "home"
    (home / "go").mkdir(parents=True)
    (home / "js").mkdir()
    (home / "go" / "main.go").write_text("package main\n")
    (home / "js" / "app.js").write_text("app()\n")
    assert main(["cache", "clear", "--cache", str(home)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a storyboard panel cache" in err and "nothing removed" in err
    assert (home / "go" / "main.go").is_file() and (home / "js" / "app.js").is_file()


def test_a_render_tags_only_folders_it_owns(script, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    render(script, tmp_path / "a.pdf", home)  # `--cache ~`: used, but never tagged as a cache
    assert not (home / "CACHEDIR.TAG").exists()
    with pytest.raises(StoryboardError, match="not a storyboard panel cache"):
        PanelCache(home).clear()
    old = tmp_path / "old-cache"  # made by a version without the tag: only storyboard's names
    render(script, tmp_path / "b.pdf", old)
    (old / "CACHEDIR.TAG").unlink()
    assert render(script, tmp_path / "b.pdf", old).panels_cached == PANELS
    assert (old / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_concurrent_cache_clears(script, tmp_path):
    cache = tmp_path / "cache"
    render(script, tmp_path / "out.pdf", cache)
    removed, errors = [], []

    def clear():
        try:
            removed.append(PanelCache(cache).clear())
        except BaseException as err:  # noqa: BLE001 - any failure is the bug
            errors.append(err)

    threads = [threading.Thread(target=clear) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and sum(removed) == PANELS
    assert [p.name for p in cache.iterdir()] == ["CACHEDIR.TAG"]


def test_rendering_pages_keeps_files_it_did_not_write(script, tmp_path):
    real = tmp_path / "real-pages"
    real.mkdir()
    foreign = {"page-cover.png": b"cover", "page-1.png": b"one", "page-017.png": b"not ours"}
    for name, data in foreign.items():
        (real / name).write_bytes(data)
    (real / "drafts").mkdir()
    (real / "drafts" / "idea.txt").write_text("idea")
    pages = tmp_path / "pages"
    pages.symlink_to(real, target_is_directory=True)  # a symlinked output folder
    first = render(script, pages, tmp_path / "cache")
    second = render(script, pages, tmp_path / "cache", seed=5)  # replaces the first render's pages
    names = {f"page-{n:03d}.png" for n in range(1, second.pages + 1)}
    assert {p.name for p in real.iterdir()} == names | set(foreign) | {"drafts"}
    assert pages.is_symlink() and (real / "drafts" / "idea.txt").read_text() == "idea"
    for name, data in foreign.items():
        assert (real / name).read_bytes() == data
    for name in names:
        with Image.open(real / name) as image:
            assert json.loads(image.info["storyboard:provenance"])["run_id"] == second.run_id != first.run_id
    manifest = json.loads((tmp_path / "pages.manifest.json").read_text())
    assert manifest["run_id"] == second.run_id and set(manifest["files"]) == names
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no private folder left


def test_a_foreign_file_with_a_page_name_is_refused_before_any_panel(script, tmp_path, capsys):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "page-001.png").write_bytes(b"the user's own page one")
    code = main(["render", str(script), "-o", str(pages), "--cache", str(tmp_path / "cache"), "--engine", "draft"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "was not written by storyboard" in err
    assert (pages / "page-001.png").read_bytes() == b"the user's own page one"
    assert not (tmp_path / "cache").exists()  # refused before the first panel


def test_earlier_pages_are_replaced_as_listed_in_the_manifest(script, tmp_path):
    """A page whose provenance was stripped (an optimiser) is still storyboard's if the
    previous manifest lists it; pages of a longer earlier render go."""
    pages = tmp_path / "pages"
    long_script = long_story(tmp_path / "long.yaml", panels=4 * PANELS, dpi=36)
    longer = render(long_script, pages, tmp_path / "cache")
    stripped = pages / "page-001.png"
    with Image.open(stripped) as image:
        image.load()
        image.save(stripped)  # saved again without text chunks
    shorter = render(script, pages, tmp_path / "cache")
    assert longer.pages > shorter.pages
    assert sorted(p.name for p in pages.iterdir()) == [f"page-{n:03d}.png" for n in range(1, shorter.pages + 1)]


def test_manifest_hashes_the_script_as_read_at_the_start(script, tmp_path):
    story = storyboard.load_story(script)
    read = script.read_bytes()
    script.write_text(script.read_text().replace("Line 0.", "Edited meanwhile."))
    result = render(story, tmp_path / "out.pdf", tmp_path / "cache", max_side=512)
    manifest = json.loads(result.manifests[0].read_text())
    assert manifest["script_hash"] == "sha256:" + hashlib.sha256(read).hexdigest()
    assert manifest["settings"]["max_side"] == 512 and manifest["settings"]["upscale"] == "lanczos"


@pytest.mark.parametrize("kind", ["png", "drawing"])
def test_odd_cache_entries_are_misses(script, tmp_path, kind):
    cache = tmp_path / "cache"
    engine = raster_engine() if kind == "png" else DraftEngine()
    first = render(script, tmp_path / "out.pdf", cache, engine=engine)
    entries = sorted(cache.glob(f"??/*.{kind}"))
    folder, fifo, wrong, damaged = entries[:4]
    for path in entries[:4]:
        path.unlink()
    folder.mkdir()  # a folder where an entry should be
    os.mkfifo(tmp_path / "fifo")
    fifo.symlink_to(tmp_path / "fifo")  # a symlink to a FIFO: opening it would block forever
    if kind == "png":
        Image.new("RGB", (7, 5), "red").save(wrong)  # an entry of the wrong size
        Image.new("1", (20000, 20000)).save(damaged)  # valid, huge, and a decompression bomb to PIL
    else:
        wrong.write_bytes(Drawing(7, 5, (255, 255, 255), ()).to_bytes())
        damaged.write_bytes(wrong.read_bytes()[:-3])
    again = render(script, tmp_path / "again.pdf", cache, engine=engine)
    assert again.panels_generated == 4 and again.panels_cached == PANELS - 4
    assert again.panels_total == first.panels_total
    assert folder.is_dir() and (tmp_path / "fifo").is_fifo()  # never removed, never followed
    assert fifo.is_file() and not fifo.is_symlink()  # the link itself was replaced by a panel
    if kind == "png":
        with Image.open(wrong) as image:
            assert image.size != (7, 5)  # the wrong-size entry was replaced by a right one
    else:
        assert Drawing.from_bytes(wrong.read_bytes()).width != 7


def test_a_cache_root_that_is_a_file_is_one_line(script, tmp_path, capsys):
    root = tmp_path / "cachefile"
    root.write_text("not a folder")
    for argv in (["cache", "info"], ["cache", "clear"],
                 ["render", str(script), "-o", str(tmp_path / "o.pdf"), "--engine", "draft"]):
        assert main([*argv, "--cache", str(root)]) == 2
        err = capsys.readouterr().err
        assert err == f"error: cannot use the panel cache {root}: it is not a folder\n"
    assert root.read_text() == "not a folder"


def test_cache_stays_sound_after_clear_with_odd_entries(script, tmp_path):
    cache = tmp_path / "cache"
    render(script, tmp_path / "out.pdf", cache)
    PanelCache(cache).clear()
    render(script, tmp_path / "out.pdf", cache)
    assert_cache_sound(cache)
