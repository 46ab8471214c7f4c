"""The panel cache at an fsspec URL: shared between machines, never a torn entry."""

from __future__ import annotations

import io
import threading

import pytest

import storyboard
from storyboard.cache import PanelCache
from storyboard.errors import StoryboardError

fsspec = pytest.importorskip("fsspec")
from storyboard.remote_cache import RemotePanelCache  # noqa: E402

SCRIPT = """
title: Shared
generation: {engine: draft}
scenes:
  - panels:
      - action: a gull lands on a post
      - action: a boat leaves the harbour
"""


@pytest.fixture(params=["memory", "file"])
def url(request, tmp_path) -> str:
    if request.param == "memory":
        return f"memory://{tmp_path.name}/panels"
    return (tmp_path / "shared").as_uri()


def test_a_second_machine_reads_what_the_first_drew(url, tmp_path, monkeypatch):
    (tmp_path / "s.yaml").write_text(SCRIPT)
    monkeypatch.setenv("STORYBOARD_CACHE", str(tmp_path / "machine-a"))
    first = storyboard.render(tmp_path / "s.yaml", out=tmp_path / "a.pdf", cache=url)
    assert first.panels_generated == 2
    fs, root = fsspec.core.url_to_fs(url)
    names = [p.rsplit("/", 1)[1] for p in fs.find(root)]
    assert sum(n.endswith(".drawing") for n in names) == 2 and not any(n.endswith(".tmp") for n in names)
    monkeypatch.setenv("STORYBOARD_CACHE", str(tmp_path / "machine-b"))  # an empty local front
    second = storyboard.render(tmp_path / "s.yaml", out=tmp_path / "b/", cache=url)
    assert second.panels_cached == 2 and second.panels_generated == 0


def test_concurrent_writers_of_one_key_never_leave_a_torn_entry(url, tmp_path):
    from PIL import Image

    key = "ab" + "0" * 62
    images = [Image.new("RGB", (64, 48), color) for color in ("red", "red")]  # one key: the same pixels
    caches = [RemotePanelCache(url, local=PanelCache(tmp_path / f"front{i}")) for i in range(2)]
    for cache in caches:
        cache.prepare()
    fs, root = fsspec.core.url_to_fs(url)
    final = f"{root.rstrip('/')}/ab/{key}.png"
    seen, stop = [], threading.Event()

    def write(cache, image):
        for _ in range(15):
            cache.put(key, image, {"n": 1})

    def read():
        while not stop.is_set():
            try:
                data = fs.cat_file(final)
            except FileNotFoundError:
                continue
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # a torn PNG fails to decode here
                seen.append(image.size)

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(c, im)) for c, im in zip(caches, images)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    reader.join()
    assert seen and set(seen) == {(64, 48)}
    assert not [p for p in fs.find(root) if p.endswith(".tmp")]
    fresh = RemotePanelCache(url, local=PanelCache(tmp_path / "fresh"))
    assert fresh.get(key, (64, 48)).tobytes() == images[0].tobytes()


def test_an_unknown_protocol_is_one_line(tmp_path):
    with pytest.raises(StoryboardError, match="^cannot use the panel cache nosuch://x: "):
        RemotePanelCache("nosuch://x", local=PanelCache(tmp_path))


def test_cache_commands_refuse_a_url(capsys):
    from storyboard.cli import main

    assert main(["cache", "clear", "--cache", "memory://x"]) == 2
    assert capsys.readouterr().err.startswith("error: storyboard cache clear works on a local cache folder, "
                                              "not memory://x; ")
