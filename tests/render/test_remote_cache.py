"""The panel cache at an fsspec URL: shared between machines, never a torn entry."""

from __future__ import annotations

import io
import json
import sys
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


@pytest.fixture(scope="module")
def s3_server():
    """An S3 API (moto) on a free local port for the module; tests point botocore at it."""
    pytest.importorskip("s3fs")
    server_module = pytest.importorskip("moto.server")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    yield "http://%s:%d" % server.get_host_and_port()
    server.stop()


@pytest.fixture
def s3_url(s3_server, tmp_path, monkeypatch) -> str:
    for name, value in (("AWS_ENDPOINT_URL", s3_server), ("AWS_ACCESS_KEY_ID", "test"),
                        ("AWS_SECRET_ACCESS_KEY", "test"), ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    bucket = "sb-" + "".join(c if c.isalnum() else "-" for c in tmp_path.name.lower())[:50].strip("-")
    return f"s3://{bucket}/panels"


@pytest.fixture(params=["memory", "file", "s3"])
def url(request, tmp_path) -> str:
    if request.param == "memory":
        return f"memory://{tmp_path.name}/panels"
    if request.param == "s3":
        return request.getfixturevalue("s3_url")
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


def test_on_s3_a_later_writer_finds_the_entry(s3_url, tmp_path):
    """S3's conditional PUT: the first writer of a key creates it, a later one is refused (412)
    and leaves it as it is, with no temporary object ever made."""
    from PIL import Image

    key = "cd" + "1" * 62
    first, later = (RemotePanelCache(s3_url, local=PanelCache(tmp_path / name)) for name in ("a", "b"))
    assert first.conditional and later.conditional
    first.prepare()
    later.prepare()
    first.put(key, Image.new("RGB", (32, 16), "red"), {"n": 1})
    # Other pixels under the same key cannot happen (a key names its pixels): here they show who won.
    later.put(key, Image.new("RGB", (32, 16), "blue"), {"n": 2})
    fs, root = fsspec.core.url_to_fs(s3_url)
    with Image.open(io.BytesIO(fs.cat_file(f"{root}/cd/{key}.png"))) as stored:
        assert stored.convert("RGB").getpixel((0, 0)) == (255, 0, 0)
    assert json.loads(fs.cat_file(f"{root}/cd/{key}.json")) == {"n": 1}
    assert sorted(p.rsplit("/", 1)[1] for p in fs.find(root)) == ["CACHEDIR.TAG", f"{key}.json", f"{key}.png"]


def test_an_unknown_protocol_is_one_line(tmp_path):
    with pytest.raises(StoryboardError, match="^cannot use the panel cache nosuch://x: "):
        RemotePanelCache("nosuch://x", local=PanelCache(tmp_path))


@pytest.mark.parametrize("url, extra, module", [("s3://bucket/p", "s3", "s3fs"), ("gs://bucket/p", "gcs", "gcsfs")])
def test_a_url_whose_backend_is_missing_names_its_extra(tmp_path, monkeypatch, url, extra, module):
    # it said "cannot use the panel cache s3://...: Install s3fs to access S3", after `[cloud]` was asked for
    from storyboard.errors import MissingExtraError

    monkeypatch.setitem(sys.modules, module, None)  # not installed
    with pytest.raises(MissingExtraError, match=rf"^this needs the '{extra}' extra \({module} is not installed\): pip "):
        RemotePanelCache(url, local=PanelCache(tmp_path))


def test_cache_info_and_clear_at_a_url_remove_only_storyboard_entries(url, tmp_path, monkeypatch, capsys):
    from storyboard.cli import main

    (tmp_path / "s.yaml").write_text(SCRIPT)
    monkeypatch.setenv("STORYBOARD_CACHE", str(tmp_path / "front"))
    storyboard.render(tmp_path / "s.yaml", out=tmp_path / "a.pdf", cache=url)
    fs, root = fsspec.core.url_to_fs(url)
    sub = next(p for p in fs.find(root) if p.endswith(".drawing")).rsplit("/", 2)[-2]
    foreign = [f"{root}/notes.txt", f"{root}/{sub}/notes.txt", f"{root}/zz/{'0' * 64}.png"]
    for path in foreign:  # not storyboard's: a name it never writes, or outside a subfolder of its own
        fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        fs.pipe_file(path, b"keep")
    assert main(["cache", "info", "--cache", url]) == 0
    assert capsys.readouterr().out.startswith(f"{url}: 2 panels, ")
    assert main(["cache", "clear", "--cache", url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"removed 2 panels from {url}" and out[1].startswith("removed 2 local copies from ")
    fs.invalidate_cache()
    left = sorted(p.rsplit("/", 1)[1] for p in fs.find(root))
    assert left == sorted(["CACHEDIR.TAG", "notes.txt", "notes.txt", "0" * 64 + ".png"])
    assert main(["cache", "info", "--cache", url]) == 0
    assert capsys.readouterr().out.startswith(f"{url}: 0 panels, ")
    again = storyboard.render(tmp_path / "s.yaml", out=tmp_path / "b.pdf", cache=url)
    assert again.panels_generated == 2  # gone from the root and from this machine's front


def test_cache_clear_refuses_a_url_storyboard_does_not_own(url, tmp_path, monkeypatch, capsys):
    from storyboard.cli import main

    fs, root = fsspec.core.url_to_fs(url)
    fs.makedirs(root, exist_ok=True)
    fs.pipe_file(f"{root}/report.pdf", b"someone else's")  # there before the cache: never tagged
    (tmp_path / "s.yaml").write_text(SCRIPT)
    monkeypatch.setenv("STORYBOARD_CACHE", str(tmp_path / "front"))
    storyboard.render(tmp_path / "s.yaml", out=tmp_path / "a.pdf", cache=url)
    assert main(["cache", "clear", "--cache", url]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {url} is not a storyboard panel cache (it has no "
                                               "storyboard CACHEDIR.TAG); nothing removed")
    fs.invalidate_cache()
    assert sum(p.endswith(".drawing") for p in fs.find(root)) == 2


@pytest.mark.parametrize("command", [["cache", "info"], ["cache", "clear"], ["render", "--engine", "draft"]])
def test_a_store_that_fails_is_one_line(tmp_path, capsys, command):
    """A backend's own errors (here aiohttp's refused connection, as botocore's missing
    credentials for s3://) are the storage failing: one line, exit 2, never a traceback."""
    from storyboard.cli import main

    pytest.importorskip("aiohttp")
    url = "http://127.0.0.1:1/cache"
    if command[0] == "render":
        (tmp_path / "s.yaml").write_text(SCRIPT)
        command = [*command, str(tmp_path / "s.yaml"), "-o", str(tmp_path / "o.pdf")]
    assert main([*command, "--cache", url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: cannot ") and url in err[0], err
    assert not (tmp_path / "o.pdf").exists()


def test_storyboard_cache_may_be_a_url_as_cache_is(tmp_path, monkeypatch, capsys):
    # STORYBOARD_CACHE=memory://... (or s3://...) was read as a folder: a folder `memory:` in the
    # working folder held the panels, and the machines never shared one
    from storyboard.cli import main

    (tmp_path / "s.yaml").write_text(SCRIPT)
    url = f"memory://{tmp_path.name}/env-panels"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))  # this machine's copies
    monkeypatch.setenv("STORYBOARD_CACHE", url)
    assert storyboard.render("s.yaml", out="a.pdf").panels_generated == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf", "a.pdf.manifest.json", "s.yaml", "user-cache"]
    fs, root = fsspec.core.url_to_fs(url)
    assert sum(p.endswith(".drawing") for p in fs.find(root)) == 2
    assert main(["cache", "info"]) == 0
    assert capsys.readouterr().out.startswith(f"{url}: 2 panels, ")


def test_a_blank_storyboard_cache_is_the_default_cache(tmp_path, monkeypatch):
    # STORYBOARD_CACHE=" " named a folder of spaces in the working folder (an empty one is unset)
    (tmp_path / "s.yaml").write_text(SCRIPT)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.setenv("STORYBOARD_CACHE", "  ")
    storyboard.render("s.yaml", out="a.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf", "a.pdf.manifest.json", "s.yaml", "user-cache"]
