"""`storyboard watch` as a real process: it renders, re-renders only what an edit changed,
reports a broken script without exiting, recovers when it is fixed, and stops on Ctrl-C."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


class Watcher:
    """The watch process with its merged output read line by line in the background."""

    def __init__(self, command: list[str]):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, pattern: str, timeout: float = TIMEOUT) -> re.Match:
        """The first new line matching `pattern`; fails on timeout or if the process ends."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.05)
            except queue.Empty:
                assert self.proc.poll() is None, f"watch exited ({self.proc.returncode}):\n" + "\n".join(self.seen)
                continue
            self.seen.append(line)
            if match := re.search(pattern, line):
                return match
        raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n" + "\n".join(self.seen))

    def stop(self) -> int:
        """Ctrl-C; the exit status, with everything the process printed now in `seen`."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.reader.join(timeout=TIMEOUT)
            while not self.lines.empty():
                self.seen.append(self.lines.get())


def rewrite(path: Path, text: str) -> None:
    """Save like an editor, making sure the watcher can see the change in the file's stamp."""
    before = path.stat().st_mtime_ns
    path.write_text(text)
    if path.stat().st_mtime_ns == before:  # coarse timestamps: move it on by hand
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def test_watch_renders_changes_reports_errors_and_stops_on_ctrl_c(tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "story")
    script = tmp_path / "story" / "lighthouse.yaml"
    out = tmp_path / "out.pdf"
    watcher = Watcher([sys.executable, "-m", "storyboard", "watch", str(script), "-o", str(out),
                       "--cache", str(tmp_path / "cache"), "--engine", "draft", "--no-watermark",
                       "--interval", "0.05"])
    try:
        watcher.expect(r"^wrote .*out\.pdf: \d+ pages, 7 panels \(7 generated, 0 cached\)")
        assert out.is_file()

        gull = script.parent / "refs" / "gull-1.png"  # a reference image is watched too
        os.utime(gull, ns=(gull.stat().st_atime_ns, gull.stat().st_mtime_ns + 1_000_000_000))
        watcher.expect(r"^wrote .*: \d+ pages, 7 panels \(0 generated, 7 cached\)")

        good = script.read_text().replace("the keeper grabs Mara's arm", "the keeper drops his lantern")
        rewrite(script, good)
        watcher.expect(r"^wrote .*: \d+ pages, 7 panels \(1 generated, 6 cached\)")

        broken = good.replace("- keeper: left", "- keepr: left")
        rewrite(script, broken)
        line = broken[:broken.index("keepr")].count("\n") + 1
        watcher.expect(rf"lighthouse\.yaml:{line}:\d+: .*unknown character 'keepr'")
        time.sleep(0.3)  # several polls go by: the broken script is reported once and watch goes on
        assert watcher.proc.poll() is None
        assert not [s for s in watcher.seen if "Traceback" in s]

        rewrite(script, good)
        watcher.expect(r"^wrote .*: \d+ pages, 7 panels \(0 generated, 7 cached\)")
    finally:
        code = watcher.stop()
    assert code == 130  # as render's: the shell's convention for a command Ctrl-C stopped
    assert watcher.seen[-1] == f"stopped watching {script}"  # between renders: nothing was cut short
    assert not [s for s in watcher.seen if "Traceback" in s]
    assert len([s for s in watcher.seen if "unknown character 'keepr'" in s]) == 1, watcher.seen


def test_interval_must_be_a_positive_number(capsys):
    from storyboard.cli import main

    for bad in ("0", "-1", "nan", "soon"):
        with pytest.raises(SystemExit) as exit:
            main(["watch", "story.yaml", "--interval", bad])
        assert exit.value.code == 2
        assert "--interval: expected a positive number of seconds" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit:  # a busy loop, one core at 100 %
        main(["watch", "story.yaml", "--interval", "1e-300"])
    assert exit.value.code == 2
    assert "--interval: expected at least 0.01 seconds between checks, got '1e-300'" in capsys.readouterr().err


def test_ctrl_c_during_a_render_ends_watch_cleanly(tmp_path):
    from tests.render.test_crash import cache_pngs, long_story, temporary, wait_until

    script = long_story(tmp_path / "story.yaml")
    cache, out = tmp_path / "cache", tmp_path / "out.pdf"
    watcher = Watcher([sys.executable, "-m", "storyboard", "watch", str(script), "-o", str(out),
                       "--cache", str(cache), "--no-watermark", "--interval", "0.05"])
    try:
        assert wait_until(lambda: len(cache_pngs(cache)) >= 3, TIMEOUT, watcher.proc)
    finally:
        code = watcher.stop()
    assert code == 130
    assert watcher.seen[0].startswith("watching") and not [s for s in watcher.seen if "Traceback" in s]
    assert watcher.seen[-1] == f"stopped watching {script}; interrupted: {out} not written"
    assert not out.exists()
    assert not [p for p in [*tmp_path.iterdir(), *cache.rglob("*")] if temporary(p)]


def test_each_render_of_watch_prints_renders_lettering_warnings(tmp_path, capsys):
    from storyboard.cli import build_parser
    from storyboard.cli.watch import render_once
    from tests.hardening.test_strict_render import CROWDED

    (tmp_path / "crowded.yaml").write_text(CROWDED)
    args = build_parser().parse_args(["watch", str(tmp_path / "crowded.yaml"), "-o", str(tmp_path / "c.pdf"),
                                      "--no-cache"])
    assert render_once(args)
    captured = capsys.readouterr()
    assert captured.out.startswith("wrote ")
    warned = captured.err.splitlines()  # as `storyboard render` prints them (watch printed none)
    assert warned and all(w.startswith(f"{tmp_path / 'crowded.yaml'}:13:9: scenes[0].panels[1]: ") for w in warned)
