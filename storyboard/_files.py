"""Reading user-named files without blocking or exhausting memory.

A path in a script or on the command line may name a FIFO (opening it waits for a writer
forever), a device (`/dev/zero` never ends), a folder, or a sparse file of gigabytes. Every
such path is opened non-blocking, checked with `fstat` on the open descriptor (so nothing can
be swapped in between the check and the read) and refused unless it is a regular file within
the size limit; only then is it read, and never past the limit. (And `umask`, for the mode
of the files storyboard writes, and `probe_folder`, whether a folder takes new files.)
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

MAX_IMAGE_BYTES = 256 << 20  # a reference image: a 40-megapixel PNG is at most ~160 MiB
MAX_FONT_BYTES = 64 << 20  # the largest CJK fonts are ~20 MiB

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def probe_folder(folder: str | os.PathLike) -> None:
    """Make a folder in `folder` and remove it again: raises OSError where the file system takes
    no new file (read-only, a pseudo file system such as /sys, a full disk), which the
    permission bits (`os.access`) do not tell a process running as root."""
    import tempfile

    from storyboard._signals import held

    with held():  # a stop in between would leave the probe behind
        os.rmdir(tempfile.mkdtemp(prefix=".storyboard-probe-", dir=folder))


def umask() -> int:
    """The process's file mode creation mask: what a new file's or folder's mode leaves out
    (read by setting it and back: the only way to read it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


class Refused(Exception):
    """A file that cannot be read; `reason` is a short phrase ("no such file", "a FIFO ...")
    that callers put into their own one-line error. It never contains the file's bytes."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def size_text(size: int) -> str:
    """`size` bytes for people: 512 bytes, 2 MiB, 3.0 GiB."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            value = size / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


def open_regular(path: str | os.PathLike, limit: int | None = None) -> BinaryIO:
    """The regular file `path` opened for binary reading (the caller closes it); raise
    `Refused` for anything else (missing, a folder, FIFO, device, socket, over `limit`)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        if os.fspath(path) == "-":  # `cat story.yaml | storyboard validate -`
            raise Refused("no such file (standard input is not read: give the file's path)") from None
        raise Refused("no such file") from None
    except OSError as err:
        raise Refused(_reason(err)) from None
    except ValueError:  # a NUL in the name (from Python: the command line cannot pass one)
        raise Refused("no such file (its name holds a NUL byte)") from None
    try:
        check(os.fstat(fd), limit)
    except Refused:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_regular(path: str | os.PathLike, limit: int | None = None) -> bytes:
    """The bytes of the regular file `path`, never more than `limit`; raise `Refused` as
    `open_regular` does, or when reading fails."""
    with open_regular(path, limit) as handle:
        try:
            data = handle.read() if limit is None else handle.read(limit + 1)
        except OSError as err:
            raise Refused(_reason(err)) from None
    if limit is not None and len(data) > limit:  # it grew after fstat
        raise Refused(f"larger than {size_text(limit)}")
    return data


def _reason(err: OSError) -> str:
    if isinstance(err, IsADirectoryError):
        return "is a folder, not a regular file"
    return f"cannot read: {err.strerror or type(err).__name__}"


def check(info: os.stat_result, limit: int | None = None) -> None:
    """Raise `Refused` unless `info` is a regular file of at most `limit` bytes."""
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
        raise Refused(f"is {kind}, not a regular file" if kind.startswith("a ") else kind)
    if limit is not None and info.st_size > limit:
        raise Refused(f"larger than {size_text(limit)} ({size_text(info.st_size)})")


def check_path(path: str | os.PathLike, limit: int | None = None) -> None:
    """`check` on what `path` names after symlinks, without opening it (so never blocking),
    and that this process may read it (validate says so, not the first render that reads it)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise Refused("no such file") from None
    except OSError as err:
        raise Refused(_reason(err)) from None
    check(info, limit)
    if not os.access(path, os.R_OK):
        raise Refused(_reason(PermissionError(errno.EACCES, os.strerror(errno.EACCES))))


__all__ = ["Refused", "check", "check_path", "open_regular", "read_regular", "size_text"]
