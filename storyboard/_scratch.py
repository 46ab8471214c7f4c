"""A run's private folders in the system's temporary folder, and those killed runs left there.

A render keeps panels and print JPEGs waiting for the export in a folder of TMPDIR, removed
when it ends however it ends, except by SIGKILL (or a power loss), which leaves it for good.
So each such folder is named `storyboard-KIND-PID-RANDOM` (KIND: run, panels, eval; PID: the
process that made it) and its file `.lock` is held under an advisory lock (`flock`) by that
process while it lives; the kernel drops the lock when the process dies. (The file, not the
folder: a render writing an output into the folder locks the folder, `export.output_lock`.)
A run first removes the folders a killed run left: only names of that form, only folders
(never a link), only the user's own, only where PID is no live process, and only when their
lock can be taken, so a live run is never touched, even one whose PID means another process
here (a container sharing TMPDIR with its own process numbers). A folder made under a minute
ago is left too: its maker may not have locked it yet. The temporary file a PDF, CBZ... is
written to beside its output, and a webtoon strip's work folder, are named and locked the
same way (`.NAME.PID-RANDOM...`), and removed on the same terms by the next write of that
output (`remove_left`).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

KINDS = ("run", "panels", "eval")
LOCK = ".lock"  # in each folder, locked by its process
_NAME = re.compile(r"storyboard-(?:run|panels|eval)-(\d+)-[A-Za-z0-9_]+")
MIN_AGE = 60.0  # seconds a folder may be older than before it counts as left behind
_SWEPT: set[str] = set()  # temporary folders already cleaned by this process


@contextmanager
def scratch_folder(kind: str) -> Iterator[Path]:
    """A new private folder `storyboard-KIND-PID-RANDOM` in the system's temporary folder,
    locked while the block runs and removed after it, however it ends; the folders killed runs
    left there are removed first (once per process and temporary folder)."""
    assert kind in KINDS, kind
    remove_stale()
    fd = None
    try:
        with tempfile.TemporaryDirectory(prefix=f"storyboard-{kind}-{os.getpid()}-") as folder:
            fd = _locked(Path(folder) / LOCK, block=True, create=True)
            yield Path(folder)  # (removed while still locked: no one else may take it meanwhile)
    finally:
        if fd is not None:
            os.close(fd)


def remove_stale(root: str | os.PathLike | None = None, *, force: bool = False) -> list[Path]:
    """Remove the private folders of killed runs in `root` (default: the system's temporary
    folder; see the module docstring for what counts), the first time it is asked for that
    folder in this process, or whenever `force`. Returns the folders removed. Never raises:
    a folder that cannot be listed or removed stays."""
    root = str(root if root is not None else tempfile.gettempdir())
    if root in _SWEPT and not force:
        return []
    _SWEPT.add(root)
    removed = []
    try:
        with os.scandir(root) as entries:
            candidates = [(e.name, int(m[1])) for e in entries if (m := _NAME.fullmatch(e.name))]
    except OSError:
        return []
    for name, pid in candidates:
        path = Path(root) / name
        if not _left_behind(path, pid) or not path.is_dir():
            continue
        fd = _locked(path / LOCK, block=False)
        if fd is False:  # locked: a live run's after all
            continue
        try:
            shutil.rmtree(path, ignore_errors=True)
        finally:
            if fd is not None:
                os.close(fd)
        if not os.path.lexists(path):
            removed.append(path)
    return removed


def remove_left(parent: str | os.PathLike, prefix: str, suffix: str = "") -> None:
    """Remove what killed processes left in `parent` under the names `PREFIX PID-RANDOM SUFFIX`
    (a temporary file or folder beside an output, made by its writer with its PID in the name
    and locked while written: `hold`), on the terms of the module docstring: files and folders
    only (never a link), the user's own, over a minute old, PID no live process, lock free.
    Never raises."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)-[A-Za-z0-9_]+" + re.escape(suffix))
    try:
        names = [(n, int(m[1])) for n in os.listdir(parent) if (m := pattern.fullmatch(n))]
    except OSError:
        return
    for name, pid in names:
        path = Path(parent) / name
        if not _left_behind(path, pid):
            continue
        fd = _locked(path, block=False)
        if fd is False:  # locked: a live process's after all
            continue
        try:
            if stat.S_ISDIR(os.lstat(path).st_mode):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        except OSError:
            pass
        finally:
            if fd is not None:
                os.close(fd)


def hold(fd: int) -> None:
    """Lock the open file or folder `fd` for as long as it stays open, so that `remove_left`
    never takes it for a killed process's (nothing where there are no locks)."""
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (ImportError, OSError):
        pass


def _left_behind(path: Path, pid: int) -> bool:
    """Whether `path` (named with `pid`) may be what a killed process left: a file or folder
    (not a link) of this user, over MIN_AGE old, whose process is gone."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    uid = os.getuid() if hasattr(os, "getuid") else None
    return ((stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)) and (uid is None or info.st_uid == uid)
            and time.time() - info.st_mtime >= MIN_AGE and pid != os.getpid() and not alive(pid))


def alive(pid: int) -> bool:
    """Whether process `pid` exists (another user's counts: signalling it is only refused)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OSError, OverflowError):  # a number no process can have
        return False
    return True


def _locked(path: Path, *, block: bool, create: bool = False):
    """A descriptor of the lock file `path` (made, with `create`) holding an exclusive `flock`
    on it; None where there is no lock to take (no such file, a link, another OS, a file
    system without locks); False when another process holds it and `block` is False."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        return None
    flags = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL if create else flags, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return False
    except OSError:  # no locks on this file system: the process check alone decides
        return fd
    return fd
