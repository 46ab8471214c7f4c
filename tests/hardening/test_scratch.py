"""A render killed by SIGKILL cannot remove its private folder in TMPDIR; the next render
does, and touches nothing else there: no live run's folder (even one whose process number
means no process here), no folder just made, no link, no name not of storyboard's form."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import storyboard
from storyboard import _scratch

OLD = time.time() - 2 * _scratch.MIN_AGE

KILLED = """
import os, signal, sys
from storyboard import _scratch
held = _scratch.scratch_folder("run")
folder = held.__enter__()
(folder / "print").mkdir()
(folder / "print" / "1-1.jpg").write_bytes(b"x" * 1000)
print(folder, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""

LIVE = """
import sys
from pathlib import Path
from storyboard import _scratch
with _scratch.scratch_folder("panels") as folder:
    lock = _scratch._locked(Path(sys.argv[1]) / ".lock", block=True, create=True)  # a live run's, its number not its own
    print(folder, flush=True)
    sys.stdin.read()
"""


def test_the_next_render_removes_what_a_killed_render_left_in_tmpdir(tmp_path, monkeypatch):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    killed = subprocess.run([sys.executable, "-c", KILLED], env=env, capture_output=True, text=True)
    assert killed.returncode == -9
    left = Path(killed.stdout.strip())
    dead = int(left.name.split("-")[2])
    assert left.parent == tmp and left.name.startswith(f"storyboard-run-{dead}-") and (left / "print").is_dir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    keep = {
        "other": tmp / f"storyboard-panels-{dead}-other",  # locked by a live process
        "young": tmp / f"storyboard-run-{dead}-young",  # made a moment ago: maybe not locked yet
        "link": tmp / f"storyboard-run-{dead}-link",  # never followed
        "old-style": tmp / "storyboard-run-k2x9_ab1",  # no process number in the name
        "not-ours": tmp / f"storyboard-cache-{dead}-x",
        "file": tmp / f"storyboard-eval-{dead}-file",
    }
    for name in ("other", "young", "old-style", "not-ours"):
        keep[name].mkdir()
    keep["link"].symlink_to(elsewhere, target_is_directory=True)
    keep["file"].write_text("a file")
    live = subprocess.Popen([sys.executable, "-c", LIVE, str(keep["other"])], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        keep["live"] = Path(live.stdout.readline().strip())
        for path in [left, *keep.values()]:
            if path.name != keep["young"].name:
                os.utime(path, (OLD, OLD), follow_symlinks=False)
        script = tmp_path / "s.yaml"
        script.write_text("title: T\npage: {size: [80, 100], dpi: 40}\nscenes: [{panels: [{action: a room}]}]\n")
        monkeypatch.setenv("TMPDIR", str(tmp))
        monkeypatch.setattr(tempfile, "tempdir", None)
        storyboard.render(script, out=tmp_path / "s.pdf", engine="draft", cache=False)
        assert (tmp_path / "s.pdf").is_file()
        assert not left.exists()
        assert sorted(p.name for p in tmp.iterdir()) == sorted(p.name for p in keep.values())
        assert (elsewhere / "keep.txt").read_text() == "mine"
    finally:
        live.communicate("", timeout=30)
    assert not keep["live"].exists()  # the live run removed its own when it ended
    # Once that run is gone its number is a dead one too: the next sweep takes its lock and the folder.
    os.utime(keep["other"], (OLD, OLD))
    assert _scratch.remove_stale(tmp) == []  # (once per process and folder)
    assert _scratch.remove_stale(tmp, force=True) == [keep["other"]]


def test_scratch_folders_are_named_by_their_process_and_removed_after():
    with _scratch.scratch_folder("eval") as folder:
        assert folder.name.startswith(f"storyboard-eval-{os.getpid()}-") and folder.is_dir()
        assert _scratch._locked(folder / _scratch.LOCK, block=False) is False  # held while in use
        # The folder itself stays free: a render writing an output into it (eval does) locks it.
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    assert not folder.exists()
    assert not _scratch.alive(2 ** 40) and _scratch.alive(os.getpid())


KILLED_WRITING = """
import os, signal, sys
from pathlib import Path
from storyboard.export import atomic_path
from storyboard.export.webtoon import _swapped_in

out = Path(sys.argv[1])
pdf = atomic_path(out / "b.pdf", ".pdf")
tmp = pdf.__enter__()
tmp.write_bytes(b"%PDF- half")
strip = _swapped_in(out / "s.webtoon")
work = strip.__enter__()
(work / "001.png").write_bytes(b"half")
print(tmp, work, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_next_render_removes_what_a_killed_render_left_beside_its_outputs(tmp_path):
    """A PDF's temporary file and a strip's work folder beside the outputs, named with the
    writer's process id: the next render of those outputs removes a killed one's."""
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITING, str(tmp_path)], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    left = [Path(p) for p in killed.stdout.split()]
    assert all(p.exists() and p.parent == tmp_path for p in left)
    mine = tmp_path / f".b.pdf.{os.getpid()}-live.pdf"  # a live process's (this one's)
    notes = tmp_path / ".b.pdf.notes"  # not of that form
    for path in (mine, notes):
        path.write_text("keep")
    for path in [*left, mine, notes]:
        os.utime(path, (OLD, OLD))
    script = tmp_path / "s.yaml"
    script.write_text("title: T\npage: {size: [80, 100], dpi: 40}\nscenes: [{panels: [{action: a room}]}]\n")
    storyboard.render(script, out=[tmp_path / "b.pdf", f"{tmp_path / 's.webtoon'}/"], engine="draft", cache=False)
    assert not any(p.exists() for p in left)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == sorted([mine.name, notes.name])


def test_the_old_strip_a_killed_render_renamed_away_goes_too(tmp_path):
    # Where the system has no atomic exchange, the old strip is renamed to WORK.old before the
    # new one takes its name: killed between the two, it stayed (its name ends in '.old').
    dead = 2 ** 22 + 12345  # over Linux's default pid_max: no process has it
    assert not _scratch.alive(dead)
    old = tmp_path / f".s.webtoon.{dead}-abc123.old"
    old.mkdir()
    (old / "001.png").write_bytes(b"an old strip")
    os.utime(old, (OLD, OLD))
    script = tmp_path / "s.yaml"
    script.write_text("title: T\npage: {size: [80, 100], dpi: 40}\nscenes: [{panels: [{action: a room}]}]\n")
    storyboard.render(script, out=f"{tmp_path / 's.webtoon'}/", engine="draft", cache=False)
    assert not old.exists()
