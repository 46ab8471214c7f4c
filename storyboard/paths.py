"""Where a script may point: scripts are untrusted input.

A service that renders its users' stories must not let a script read `/etc/shadow` as a font
or `~/.ssh/id_ed25519` as a reference image. So every file a script names (reference images,
the lettering font, style peels, local model files and folders) must resolve, after symlinks,
inside the script's own folder or a folder the caller allows: `--allow-path DIR` on the
command line, the `STORYBOARD_ALLOW_PATHS` environment variable (folders separated by
`os.pathsep`), or `allow_paths=[...]` in `load_story`/`parse_story`/`render`. What the caller
passes directly (`--font`, `--model`, ...) is the caller's own choice and is not confined.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

ENV = "STORYBOARD_ALLOW_PATHS"
HINT = "allow its folder with --allow-path DIR (or STORYBOARD_ALLOW_PATHS)"


def allowed_roots(base_dir: str | os.PathLike, allow_paths: str | os.PathLike | Iterable[str | os.PathLike] | None = None,
                  ) -> tuple[Path, ...]:
    """The folders a script in `base_dir` may name files in: its own folder, `allow_paths`
    and the folders in STORYBOARD_ALLOW_PATHS, each resolved (symlinks followed). One folder
    given as a string or path (`allow_paths="/srv/assets"`) is that folder, not its letters
    (which allowed "/", the whole file system)."""
    extra = [p for p in os.environ.get(ENV, "").split(os.pathsep) if p.strip()]
    if isinstance(allow_paths, (str, os.PathLike)):
        allow_paths = [allow_paths]
    roots = [base_dir, *(allow_paths or ()), *extra]
    return tuple(dict.fromkeys(real_path(Path(root).expanduser()) for root in roots))


def real_path(path: str | os.PathLike) -> Path:
    """`path` absolute, every symlink followed as far as it goes. Unlike `Path.resolve()` on
    Python < 3.13 (RuntimeError), a symlink loop is no error here: the looping name is kept,
    and opening it fails with the system's own one-line reason (ELOOP)."""
    return Path(os.path.realpath(path))


def script_path(value: str, base_dir: str | os.PathLike) -> Path:
    """The path a script's `value` names: relative to the script's folder, `~` expanded."""
    return Path(base_dir) / Path(value).expanduser()


def is_inside(path: Path, roots: Iterable[Path]) -> bool:
    """Whether `path`, resolved after every symlink, lies inside one of `roots`. A name the
    file system cannot hold (a NUL byte) is inside nothing."""
    try:
        real = path.resolve()
    except (OSError, ValueError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return False
    return any(real == root or real.is_relative_to(root) for root in roots)


def names_local(value: str, base_dir: str | os.PathLike) -> bool:
    """Whether a model reference from a script names a local file or folder rather than a hub
    id: it looks like a path (`./x`, `/x`, `~/x`, `..`), or something by that name is there."""
    if value.startswith((".", "/", "~")) or "\\" in value or Path(value).is_absolute():
        return True
    try:
        return os.path.lexists(script_path(value, base_dir))
    except (OSError, ValueError):
        return True  # not a usable hub id either: let the confinement refuse it


__all__ = ["ENV", "HINT", "allowed_roots", "is_inside", "names_local", "script_path"]
