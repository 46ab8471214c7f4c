"""A folder of PNG pages replaced as a whole, never page by page.

The new pages are written into a private sibling, `.<name>.storyboard-<pid>-<random>/`, and
then exchanged with the user's folder in one `renameat2(RENAME_EXCHANGE)` call (Linux 3.15+,
on ext4, xfs, btrfs, tmpfs and most local file systems): the folder path always names either
the complete old set or the complete new set, whatever moment a kill, an interrupt or another
render strikes. The sibling then holds the old set and is emptied of storyboard's own pages.

Files that are not storyboard's stay where they were: before the exchange, regular files are
hard-linked into the new folder (so they are in the folder on both sides of the exchange);
after it, anything else (subfolders, links, files that appeared meanwhile) is renamed back.
A page is storyboard's only if its name is one storyboard writes (`page-001.png`, ...) and
it is listed in the previous manifest or carries storyboard's provenance text chunk; a
foreign file with a name the new set needs is refused, never overwritten.

Where the exchange is not available (another OS, a file system without it), each page is
renamed into the folder one by one: every page is complete, the set is not atomic.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from storyboard.errors import ExportError
from storyboard._files import umask
from storyboard._scratch import alive

PAGE_NAME = re.compile(r"page-\d{3,}\.png")
_PAGE_TEMP = re.compile(r"\.page-\d{3,}\.png\.[A-Za-z0-9_]+\.png")  # `atomic_path`'s name while one is written
_STAGING = ".{name}.storyboard-"  # + "<pid>-<random>": a folder of a live or killed render
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap the paths `a` and `b` (both must exist). False when this system or
    file system cannot; raises OSError for other failures."""
    renameat2 = getattr(_libc(), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV, errno.EBUSY):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def owned_pages(folder: Path, listed: Iterable[str] = ()) -> set[str]:
    """Names of the pages in `folder` that storyboard wrote: regular files (not links) named
    like its pages, listed in `listed` (the previous manifest's files) or carrying its
    provenance chunk."""
    listed = set(listed)
    owned = set()
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return owned
    for name in names:
        if PAGE_NAME.fullmatch(name) and (name in listed or _has_provenance(folder / name)):
            try:
                if stat.S_ISREG(os.lstat(folder / name).st_mode):
                    owned.add(name)
            except FileNotFoundError:
                pass
    return owned


def _has_provenance(path: Path) -> bool:
    """Whether `path` is a regular PNG file whose text chunks hold storyboard's provenance
    record or name it as the Software (read from the chunks before the image data, never
    decoding pixels)."""
    from PIL import Image, UnidentifiedImageError

    from storyboard.provenance import PROVENANCE_KEY

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        with os.fdopen(fd, "rb", closefd=False) as fh, Image.open(fh, formats=["PNG"]) as image:
            record = json.loads(image.info.get(PROVENANCE_KEY) or "null")
            software = str(image.info.get("Software", ""))
        return (isinstance(record, dict) and record.get("tool") == "storyboard") or software.startswith("storyboard ")
    except (OSError, ValueError, UnidentifiedImageError, SyntaxError, Image.DecompressionBombError):
        return False
    finally:
        os.close(fd)


def listed_pages(manifest: Path) -> set[str]:
    """The page files a storyboard manifest lists (names storyboard writes only), or none."""
    try:
        fd = os.open(manifest, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return set()
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode) or os.fstat(fd).st_size > 1 << 24:
            return set()
        with os.fdopen(fd, "rb", closefd=False) as fh:
            body = json.loads(fh.read())
        files = body.get("files") if isinstance(body, dict) and body.get("tool") == "storyboard" else None
        return {f for f in files if isinstance(f, str) and PAGE_NAME.fullmatch(f)} if isinstance(files, list) else set()
    except (OSError, ValueError):
        return set()
    finally:
        os.close(fd)


def check_folder(folder: Path, names: Iterable[str], listed: Iterable[str] = ()) -> None:
    """Raise ExportError when `folder` holds a file storyboard did not write under one of
    `names` (the pages about to be written): it is the user's, and is never overwritten."""
    folder = real_folder(folder)
    mine = owned_pages(folder, listed)
    for name in sorted(names):
        if name not in mine and os.path.lexists(folder / name):
            raise ExportError(f"{folder / name} was not written by storyboard; move it away or choose another "
                              "folder (storyboard never overwrites files it did not write)")


def real_folder(folder: Path) -> Path:
    """The folder the path names, through a symlink: the pages go where the link points."""
    folder = Path(folder)
    return Path(os.path.realpath(folder)) if folder.is_symlink() else folder


def new_stage(folder: Path) -> Path:
    """A new, empty private folder beside `folder` for its next pages (see `replaced_folder`);
    the private folders of killed renders to `folder` are removed first. Raises ExportError."""
    folder = real_folder(folder)
    parent, prefix = folder.parent, _STAGING.format(name=folder.name)
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(parent, prefix, folder)
        return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))
    except OSError as err:
        raise ExportError(f"cannot write {folder}: {err.strerror or err}") from None


def missing_parents(folder: Path) -> list[Path]:
    """The folders above `folder` that do not exist yet, deepest first: those `new_stage`
    makes, for `discard_stage` to remove again when nothing is written there."""
    missing = []
    parent = Path(os.path.abspath(folder)).parent
    while not os.path.lexists(parent) and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    return missing


def discard_stage(stage: Path, folder: Path, made: Iterable[Path] = ()) -> None:
    """Remove the private folder `stage` of `folder` (`new_stage`) that is not to replace it:
    the pages written there and their temporary files go, and then the folders `made` for it
    (`missing_parents`, deepest first) as long as they are empty: a render that writes
    nothing leaves no folder behind."""
    if stage.exists():
        _empty_stage(stage, real_folder(folder))
    remove_made(made)


def remove_made(made: Iterable[Path]) -> None:
    """Remove the folders `made` (`missing_parents`, deepest first) while they are empty:
    an output that is not written leaves no folder it created behind."""
    for parent in made:
        try:
            os.rmdir(parent)
        except OSError:  # something is in it now (another output, another render's), or it is gone: it stays
            break


@contextmanager
def replaced_folder(folder: Path, names: list[str], listed: Iterable[str] = (), *,
                    stage: Path | None = None) -> Iterator[Path]:
    """A new, empty private folder to write the pages `names` into (each with `atomic_path`,
    so it is complete and on disk); when the block succeeds it replaces `folder` as a whole
    (see the module docstring). `stage`: that folder, made beforehand by `new_stage` (and
    written already). On failure or interrupt the private folder is removed and `folder` is
    untouched. Raises ExportError."""
    folder, listed = real_folder(folder), set(listed)
    if stage is None:
        stage = new_stage(folder)
    try:
        yield stage
        _commit(folder, stage, names, listed)
    except OSError as err:
        raise ExportError(f"cannot write {folder}: {err.strerror or err}") from None
    finally:
        if stage.exists():  # not committed, or interrupted while emptying the swapped-out set
            _empty_stage(stage, folder, listed)


def _commit(folder: Path, stage: Path, names: list[str], listed: set[str]) -> None:
    try:
        current = os.lstat(folder)
    except FileNotFoundError:
        current = None
    if current is not None and not stat.S_ISDIR(current.st_mode):
        raise ExportError(f"cannot write PNG pages into {folder}: it is not a folder")
    os.chmod(stage, stat.S_IMODE(current.st_mode) if current else 0o777 & ~umask())
    if current is None:
        try:
            os.rename(stage, folder)  # nothing to keep: a plain rename is atomic
            return
        except OSError as err:
            if err.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise  # else another render made the folder meanwhile: exchange with it
    mine = owned_pages(folder, listed)
    _link_foreign(folder, stage, mine, set(names))
    if exchange(stage, folder):
        _return_foreign(stage, folder, mine)
    else:
        for name in names:
            os.replace(stage / name, folder / name)
        for name in mine - set(names):
            _unlink_regular(folder / name)


def _link_foreign(folder: Path, stage: Path, mine: set[str], names: set[str]) -> None:
    """Hard-link the user's regular files into the new folder so they never leave the path."""
    for name in os.listdir(folder):
        if name in mine:
            continue
        if name in names:
            raise ExportError(f"{folder / name} was not written by storyboard; move it away or choose another "
                              "folder (storyboard never overwrites files it did not write)")
        try:
            if stat.S_ISREG(os.lstat(folder / name).st_mode):
                os.link(folder / name, stage / name, follow_symlinks=False)
        except (FileNotFoundError, FileExistsError):
            pass
        except OSError:
            pass  # no hard links here: it is renamed across after the exchange instead


def _return_foreign(old: Path, folder: Path, mine: set[str]) -> None:
    """Empty the swapped-out folder: storyboard's old pages go, the user's entries go back
    into `folder` (or, when linked across already, their second link goes). What cannot go
    back stays, and so does the folder then."""
    for name in os.listdir(old):
        path = old / name
        try:
            st = os.lstat(path)
            if name in mine and stat.S_ISREG(st.st_mode):
                os.unlink(path)
                continue
            try:
                there = os.lstat(folder / name)
            except FileNotFoundError:
                os.rename(path, folder / name)  # a folder, a link, a file added meanwhile
                continue
            if os.path.samestat(st, there):
                os.unlink(path)  # the same file, linked into the new folder before the exchange
        except OSError:
            pass
    try:
        os.rmdir(old)
    except OSError:
        pass  # still holds something of the user's: left in place, never removed


def _empty_stage(stage: Path, folder: Path, listed: set[str] = frozenset()) -> None:
    """Remove a private folder left by this render (or a killed one): storyboard's pages and
    their temporary files go, the user's files go back to `folder` (or their twin there
    stays); what cannot go stays, and the folder with it."""
    try:
        mine = owned_pages(stage, listed) | {n for n in os.listdir(stage) if _PAGE_TEMP.fullmatch(n)}
        _return_foreign(stage, folder, mine)
    except OSError:
        pass  # another render cleaned it meanwhile


def _remove_stale(parent: Path, prefix: str, folder: Path) -> None:
    """Private folders of renders to `folder` that were killed (their process is gone)."""
    for name in os.listdir(parent):
        if not name.startswith(prefix):
            continue
        pid = name[len(prefix):].partition("-")[0]
        path = parent / name
        if pid.isdigit() and not alive(int(pid)) and stat.S_ISDIR(os.lstat(path).st_mode):
            _empty_stage(path, folder)


def _unlink_regular(path: Path) -> None:
    try:
        if stat.S_ISREG(os.lstat(path).st_mode):
            os.unlink(path)
    except FileNotFoundError:
        pass


__all__ = ["PAGE_NAME", "check_folder", "discard_stage", "exchange", "listed_pages", "missing_parents", "new_stage",
           "owned_pages", "real_folder", "remove_made", "replaced_folder"]
