"""Content-addressed panel store: a re-render only redraws panels whose pixels would change.

The key of a panel is a SHA-256 over everything that changes its pixels: the engine's
`settings()` (name, version, models, steps, guidance, scheduler...), the prompt and negative,
the size and seed, the style peels (local files by content), and per cast member the box,
mask and identity embedding. Dialogue, captions and layout changes that keep a panel's size
are not in the key, so they reuse the image.

On disk: `<root>/<key[:2]>/<key>.png` with a `<key>.json` sidecar of the key's inputs. Every
file is written to a temporary name and renamed into place, PNG last: a PNG that exists is
complete, so concurrent renders sharing a cache and killed renders never read a partial entry.

Beside a panel, `<key>.print-<print key>.jpg` files keep the print-ready JPEG that the PDF
embeds (the panel brought to print size and encoded): an unchanged re-render copies those
bytes into the PDF instead of decoding the PNG and encoding the JPEG again. They are derived
data: one only counts while its panel's PNG is intact, and `clear` removes them with it.

Engines that draw vectors (the draft engine) store `<key>.drawing` instead of a PNG: the
panel's `storyboard.drawing.Drawing`, a few kilobytes, written and checked the same way
(zlib's checksum catches damage).

A root storyboard made carries a `CACHEDIR.TAG` (the Cache Directory Tagging Specification,
which backup tools honour). `clear` refuses a root without it, and even then removes only the
exact names above (and their temporary files), checked with `lstat` and removed through a
descriptor of a subfolder opened without following links: never a symlink's target, never a
folder that still holds anything else. Reading is as careful: only regular files of the
expected size are opened, non-blocking, so a folder, a FIFO or a symlink where an entry
should be, or an entry of another size, is a miss and never a hang or a traceback.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from storyboard._files import umask
from storyboard.errors import StoryboardError

if TYPE_CHECKING:
    from PIL import Image

    from storyboard.drawing import Drawing
    from storyboard.engines.base import PanelRequest

KEY_VERSION = 1  # bump when the meaning of a key changes
MARKER = "CACHEDIR.TAG"
MARKER_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"  # https://bford.info/cachedir/
MARKER_TEXT = (f"{MARKER_SIGNATURE}\n# This file is a cache directory tag created by storyboard (panel cache).\n"
               "# For information about cache directory tags, see https://bford.info/cachedir/\n")

# Exactly the names storyboard writes, and nothing else is ever removed: a subfolder is two
# hex digits, an entry starts with that folder's name, a temporary file is `_atomic_write`'s.
# (`.page.pdf`: the page pieces of earlier versions, which were one-page PDFs.)
_SUBFOLDER = re.compile(r"[0-9a-f]{2}")
_ENTRY = r"[0-9a-f]{64}\.(?:png|json|drawing|page\.pdf(?:part)?|page\.json|print-[0-9a-f]{32}\.jpg|faces-[0-9a-f]{32}\.json)"
_NAME = re.compile(rf"(?:{_ENTRY}|\.{_ENTRY}\.[A-Za-z0-9_]+\.tmp)")
_PNG_SLACK = 1 << 16  # bytes beyond raw pixel data a PNG entry may take (headers, chunks, stored blocks)
_DRAWING_LIMIT = 1 << 24  # a vector drawing is a few kilobytes
_FACES_LIMIT = 1 << 20  # the faces found in a panel: a few hundred bytes


def setting(cache: "str | os.PathLike | bool | None" = None) -> "str | os.PathLike | None":
    """The cache a render (or `storyboard cache`) uses when `cache` is None or True: the
    `STORYBOARD_CACHE` environment variable (a folder, or an fsspec URL as `--cache` takes it),
    else None (the per-user folder; also for a variable that is empty or blank, which named a
    folder of spaces in the working folder). Any other `cache` is itself."""
    if cache is None or cache is True:
        return os.environ.get("STORYBOARD_CACHE", "").strip() or None
    return cache


def default_root() -> Path:
    """`STORYBOARD_CACHE` when it names a folder, else the per-user cache folder (where a URL
    cache keeps this machine's copies: `STORYBOARD_CACHE=s3://...` made a folder `s3:`)."""
    env = setting()
    if env and "://" not in env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_cache_path("storyboard") / "panels"


def _array_digest(array) -> str:
    import numpy as np

    array = np.ascontiguousarray(array)
    h = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    h.update(array.tobytes())
    return h.hexdigest()


def _file_digest(ref: str) -> str:
    """A local weight file (peel, upscaler) by content (memoised by path, size and mtime,
    across runs); a hub id as written (the engine's settings carry its revision)."""
    from storyboard import fingerprints

    path = Path(ref)
    if not path.is_file():
        return ref
    return f"sha256:{fingerprints.file_digest(path)}"


def _engine_for(settings: dict[str, Any], request: "PanelRequest") -> dict[str, Any]:
    """The settings that change this panel: an identity adapter's weights only when it casts
    that kind, so replacing the face adapter redraws exactly the panels with faces."""
    weights = settings.get("weights")
    if not isinstance(weights, dict):
        return settings
    kinds = {m.identity.kind for m in request.cast if m.identity is not None}
    used = {k: v for k, v in weights.items() if not k.endswith("_adapter") or k.removesuffix("_adapter") in kinds}
    return {**settings, "weights": used}


def key_inputs(engine_settings: dict[str, Any], request: "PanelRequest") -> dict[str, Any]:
    """The JSON-able description of everything that changes a panel's pixels."""
    inputs = {
        "key_version": KEY_VERSION,
        "engine": _engine_for(engine_settings, request),
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt,
        "size": [request.width, request.height],
        "seed": request.seed,
        "setting": request.setting,
        "action": request.action,
        "shot": request.shot,
        "angle": request.angle,
        "peels": [[_file_digest(p.ref), p.weight] for p in request.peels],
        "cast": [
            {
                "id": m.id,
                "name": m.name,
                "description": m.description,
                "box": list(m.box),
                "expression": m.expression,
                "pose": m.pose,
                "identity": None if m.identity is None else {
                    "kind": m.identity.kind,
                    "embedder": m.identity.embedder,
                    "embedding": _array_digest(m.identity.embedding),
                    **({"inputs": {k: _array_digest(v) for k, v in sorted(m.identity.inputs.items())}}
                       if m.identity.inputs else {}),
                },
                "mask": None if m.mask is None else _array_digest(m.mask),
                **({"tint": m.tint} if m.tint is not None and engine_settings.get("tints") else {}),
            }
            for m in request.cast
        ],
        "extra": request.extra,
    }
    if request.staging:  # where the figures stand (kind, pose, boxes): the draft engine draws it
        inputs["staging"] = [_values(figure) for figure in request.staging]
    # Only when set, so that panels drawn without them keep their keys.
    if request.crop is not None:
        inputs["crop"] = list(request.crop)
    if request.control is not None:
        inputs["control"] = _array_digest(request.control)
    return inputs


def _values(figure) -> list:
    """A staged figure's field values in field order: as JSON, what `dataclasses.astuple` gave
    (its fields are strings, numbers and tuples of numbers), without astuple's deep copies."""
    return [getattr(figure, name) for name in _field_names(type(figure))]


@lru_cache(maxsize=None)
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def panel_key(engine_settings: dict[str, Any], request: "PanelRequest") -> str:
    text = json.dumps(key_inputs(engine_settings, request), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def print_key(key: str, width: int, height: int, *, encoding: dict[str, Any], upscale: str | None) -> str:
    """The key of a panel's print-ready JPEG: the panel, its print size, how it is brought to
    that size (a local upscaler file by content) and the JPEG encoder's settings."""
    inputs = {"key_version": KEY_VERSION, "panel": key, "size": [width, height], "encoding": encoding,
              "upscale": None if upscale in (None, "lanczos") else _file_digest(str(upscale))}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


# The temporary files this process is writing now (`_atomic_write`): a page worker stopped by
# SIGTERM removes them before it exits (`storyboard.export.workers`), as an interrupted render
# does through the exception, so a stopped render leaves no temporary file in the cache.
WRITING: set[str] = set()


def _atomic_write(path: Path, write, *, fsync: bool = True) -> None:
    """Write through `write(fh)` to a temporary name, then rename: an entry that exists is
    complete. `fsync=False` for derived data checked when read (a power loss leaves a miss)."""
    from storyboard._signals import held

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:
        with held():  # a stop between making the file and noting its name would leave it behind
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            WRITING.add(tmp)
        os.fchmod(fd, 0o666 & ~umask())  # mkstemp makes 0600; give the mode any new file gets
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        WRITING.discard(tmp)


# The caches this process could not write to (root -> why), as noted by the write that failed:
# the render takes them (`take_unwritable`, from its page workers too) and warns once a cache.
_UNWRITABLE: dict[str, str] = {}


def note_unwritable(root: str | Path, err: OSError) -> None:
    """Note that the cache at `root` refused a write with `err` (a full disk, a read-only one)."""
    _UNWRITABLE.setdefault(str(root), err.strerror or str(err))


def take_unwritable() -> dict[str, str]:
    """The caches noted since the last call (root -> why), then forgotten."""
    taken = dict(_UNWRITABLE)
    _UNWRITABLE.clear()
    return taken


@dataclass(frozen=True)
class CacheInfo:
    root: Path
    entries: int
    bytes: int


class PanelCache:
    """A folder of finished panels addressed by `panel_key`.

    The cache only saves work: a write it refuses (a full disk, a read-only one) is noted
    (`note_unwritable`), stops this object's later writes, and the `put` methods say False,
    so a render goes on without caching. A `scratch` store (a render's own folder, `--no-cache`)
    holds panels the render reads back: a write it refuses raises StoryboardError."""

    def __init__(self, root: str | Path | None = None, *, scratch: bool = False):
        self.root = Path(root).expanduser() if root is not None else default_root()
        self.scratch = scratch
        self.unwritable = False  # a write failed: the later ones are not tried

    def _refused(self, err: OSError) -> bool:
        """A write the cache refused with `err`: raise for a scratch store, else note it (False)."""
        if self.scratch:
            raise StoryboardError(f"cannot write to the panel cache {self.root}: {err.strerror or err}") from None
        self.unwritable = True
        note_unwritable(self.root, err)
        return False

    def _png(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.png"

    def check_root(self) -> None:
        """Raise StoryboardError (one line) when the root exists but is not a folder."""
        try:
            mode = os.stat(self.root).st_mode
        except FileNotFoundError:
            return
        except OSError as err:
            raise StoryboardError(f"cannot use the panel cache {self.root}: {err.strerror or err}") from None
        if not stat.S_ISDIR(mode):
            raise StoryboardError(f"cannot use the panel cache {self.root}: it is not a folder")

    def prepare(self) -> None:
        """Create the root if needed and tag it with `CACHEDIR.TAG` when storyboard owns it: a
        root it creates, or one holding nothing but what storyboard writes (a cache from a
        version without the tag). A folder with anything else (`--cache ~`) is used but never
        tagged, so `clear` refuses it and backup tools do not skip it."""
        self.check_root()
        try:
            if not self.root.exists():
                self._create_tagged()
        except OSError as err:
            self._refused(err)  # a render goes on without caching
            return
        if self.is_tagged():
            return
        try:
            with os.scandir(self.root) as entries:
                ours = all(_SUBFOLDER.fullmatch(e.name) and e.is_dir(follow_symlinks=False)
                           or (e.name.startswith(f".{MARKER}.") and e.name.endswith(".tmp")) for e in entries)
            if ours:
                _atomic_write(self.root / MARKER, lambda fh: fh.write(MARKER_TEXT.encode()))
        except OSError:
            pass  # a read-only cache still serves its panels; it only stays untagged

    def _create_tagged(self) -> None:
        """Make the root with its tag already inside (built beside it, then renamed), so no
        one ever sees a new cache root without its tag."""
        self.root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{self.root.name}.", suffix=".tmp", dir=self.root.parent))
        try:
            (staging / MARKER).write_text(MARKER_TEXT)
            os.chmod(staging, 0o777 & ~umask())
            os.rename(staging, self.root)
        except OSError:
            if not self.root.is_dir():  # else another render made it meanwhile
                raise
        finally:
            if staging.exists():
                (staging / MARKER).unlink(missing_ok=True)
                staging.rmdir()

    def is_tagged(self) -> bool:
        """Whether the root carries storyboard's `CACHEDIR.TAG` (a regular file, not a link)."""
        data = _read_regular(self.root / MARKER, 4096)
        return data is not None and data.startswith(MARKER_SIGNATURE.encode()) and b"storyboard" in data

    def get(self, key: str, size: tuple[int, int] | None = None) -> "Image.Image | None":
        """The stored panel (of `size` (width, height) px when given), or None. Anything odd is
        a miss: a damaged entry is removed, one of another size or not a regular file is left."""

        def decoded(image):
            image.load()
            return image.copy()

        return self._read_png(key, size, decoded)

    def has(self, key: str, size: tuple[int, int] | None = None) -> bool:
        """Whether panel `key` is stored intact (and of `size` when given), checked without
        decoding it: every PNG chunk must match its checksum. A damaged entry is removed and
        counts as a miss; one of another size, or not a regular file, is a miss left in place."""
        return self._read_png(key, size, lambda image: image.verify() or True) is not None

    def _read_png(self, key: str, size: tuple[int, int] | None, read: Callable[[Any], Any]) -> Any:
        """`read(image)` of the stored panel `key` opened as a PNG (of `size` when given), or
        None for a miss: not a regular file, of another size, or damaged (then removed), where
        `read` raising what a damaged PNG raises counts as damaged."""
        from PIL import Image, UnidentifiedImageError

        path = self._png(key)
        data = _read_regular(path, _png_limit(size))
        if data is None:
            return None
        try:
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                if size is not None and image.size != tuple(size):
                    return None
                return read(image)
        except (OSError, UnidentifiedImageError, SyntaxError, Image.DecompressionBombError):
            _unlink_regular(path)
            return None

    def get_print(self, key: str, pkey: str, size: tuple[int, int],
                  panel_size: tuple[int, int] | None = None) -> bytes | None:
        """The print-ready JPEG `pkey` of panel `key` at `size`, or None.

        Checked without decoding the art: the panel's PNG (of `panel_size` when given) must
        pass its chunk checksums (a damaged panel is a miss, as with `get`), and the JPEG must
        start and end with its markers and declare `size`. A damaged JPEG is removed."""
        from PIL import Image, UnidentifiedImageError

        if not self.has(key, panel_size):
            return None
        path = self._print(key, pkey)
        data = _read_regular(path, 3 * size[0] * size[1] + _PNG_SLACK)
        if data is None:
            return None
        try:
            with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
                ok = image.size == tuple(size) and data.endswith(b"\xff\xd9")
        except (OSError, UnidentifiedImageError, SyntaxError, Image.DecompressionBombError):
            ok = False
        if not ok:
            _unlink_regular(path)
            return None
        return data

    def put_print(self, key: str, pkey: str, data: bytes) -> bool:
        """Keep a print-ready JPEG of panel `key` (written after the panel's PNG); whether it was kept."""
        return self._put_beside(self._print(key, pkey), data)

    def _put_beside(self, path: Path, data: bytes) -> bool:
        if self.unwritable:
            return False
        try:
            _atomic_write(path, lambda fh: fh.write(data))
        except (FileNotFoundError, FileExistsError, IsADirectoryError):
            return False  # a `cache clear` meanwhile took the folder, or something odd holds the name
        except OSError as err:
            return self._refused(err)
        return True

    def _print(self, key: str, pkey: str) -> Path:
        return self.root / key[:2] / f"{key}.print-{pkey[:32]}.jpg"

    def get_faces(self, key: str, tag: str) -> bytes | None:
        """The faces detector `tag` found in panel `key` (JSON bytes, see
        `storyboard.face_detection`), or None."""
        return _read_regular(self._faces(key, tag), _FACES_LIMIT)

    def put_faces(self, key: str, tag: str, data: bytes) -> bool:
        """Keep the faces found in panel `key` (written after the panel's PNG); whether they were kept."""
        return self._put_beside(self._faces(key, tag), data)

    def _faces(self, key: str, tag: str) -> Path:
        return self.root / key[:2] / f"{key}.faces-{tag[:32]}.json"

    def _drawing(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.drawing"

    def get_drawing(self, key: str, size: tuple[int, int] | None = None) -> "Drawing | None":
        """The stored vector drawing of panel `key` (of `size` (width, height) when given), or
        None. A damaged entry is removed; one of another size, or not a regular file, is a miss."""
        from storyboard.drawing import Drawing

        path = self._drawing(key)
        data = _read_regular(path, _DRAWING_LIMIT)
        if data is None:
            return None
        try:
            drawing = Drawing.from_bytes(data)
        except (ValueError, TypeError, IndexError):
            _unlink_regular(path)
            return None
        if size is not None and (drawing.width, drawing.height) != tuple(size):
            return None
        return drawing

    def put_drawing(self, key: str, drawing: "Drawing", inputs: dict[str, Any] | None = None) -> bool:
        """Store panel `key`'s drawing; whether it was stored. Written atomically but not fsynced:
        a drawing is redrawn in a millisecond and checked when read (a power loss that tears one
        leaves a miss), and 1200 fsyncs (drawing and sidecar) were seconds of a cold 600-panel render."""
        return self._put(self._drawing(key), lambda fh: fh.write(drawing.to_bytes()), key, inputs, fsync=False)

    def put(self, key: str, image: "Image.Image", inputs: dict[str, Any] | None = None) -> bool:
        """Store panel `key`; whether it was stored. A folder squatting on the entry's name only
        means it is not stored; so does a cache that cannot be written (see the class)."""
        return self._put(self._png(key), lambda fh: image.save(fh, format="PNG", compress_level=1), key, inputs)

    def _put(self, path: Path, write, key: str, inputs: dict[str, Any] | None, *, fsync: bool = True) -> bool:
        if self.unwritable:
            return False
        try:
            if inputs is not None:
                body = json.dumps(inputs, sort_keys=True, indent=1, default=str).encode()
                _atomic_write(self._png(key).with_suffix(".json"), lambda fh: fh.write(body), fsync=fsync)
            _atomic_write(path, write, fsync=fsync)
        except (FileNotFoundError, FileExistsError, IsADirectoryError):
            return False  # a `cache clear` meanwhile took the folder (even while mkdir made it): not cached, as asked
        except OSError as err:
            return self._refused(err)
        return True

    def info(self) -> CacheInfo:
        self.check_root()
        panels = size = 0
        for _, _, name, st in self._entries():
            if not name.startswith("."):  # temporary files are not entries yet
                panels += name.endswith((".png", ".drawing"))
                size += st.st_size if name.endswith((".png", ".drawing", ".jpg", ".pdf", ".pdfpart")) else 0
        return CacheInfo(self.root, panels, size)

    def clear(self) -> int:
        """Remove every entry (and stray temporary files); return how many panels were removed.

        Raises StoryboardError when the root exists but carries no storyboard `CACHEDIR.TAG`
        (it may be any folder: `--cache ~`). Only regular files with exactly the names
        storyboard writes are removed, then their two-hex-digit subfolders if left empty.
        Safe to run while renders use the cache, and concurrently with another `clear`."""
        self.check_root()
        if not self.root.exists():
            return 0
        if not self.is_tagged():
            raise StoryboardError(f"{self.root} is not a storyboard panel cache (it has no storyboard {MARKER}); "
                                  "nothing removed")
        removed = 0
        for sub_fd, sub, name, _ in self._entries():
            try:
                os.unlink(name, dir_fd=sub_fd)
            except FileNotFoundError:
                continue  # another `clear` took it first
            except OSError as err:  # a read-only cache (a traceback, before)
                from storyboard._words import counted

                done = f" ({counted(removed, 'panel')} removed before)" if removed else ""
                raise StoryboardError(f"cannot clear the panel cache {self.root}: {err.strerror or err}{done}") from None
            removed += name.endswith((".png", ".drawing")) and not name.startswith(".")
        with os.scandir(self.root) as entries:
            for entry in entries:
                if _SUBFOLDER.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
                    try:
                        os.rmdir(entry.path)
                    except OSError:
                        pass  # still holds something (a render wrote meanwhile, or a file not ours)
        return removed

    def _entries(self):
        """(subfolder fd, subfolder name, file name, lstat) of every regular file with a name
        storyboard writes, in the root's two-hex-digit subfolders. Subfolders are opened with
        O_NOFOLLOW | O_DIRECTORY, so a symlink planted in place of one is never entered."""
        try:
            with os.scandir(self.root) as entries:
                subs = sorted(e.name for e in entries if _SUBFOLDER.fullmatch(e.name))
        except (FileNotFoundError, NotADirectoryError):
            return
        for sub in subs:
            try:
                fd = os.open(self.root / sub, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            except OSError:
                continue  # a symlink, a file, or gone
            try:
                for name in os.listdir(fd):
                    if not _NAME.fullmatch(name) or name.lstrip(".")[:2] != sub:
                        continue
                    try:
                        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    except FileNotFoundError:
                        continue
                    if stat.S_ISREG(st.st_mode):
                        yield fd, sub, name, st
            finally:
                os.close(fd)


def _png_limit(size: tuple[int, int] | None) -> int | None:
    """The most bytes a PNG entry of `size` can take (8-bit RGBA, stored without compression)."""
    return None if size is None else 4 * size[0] * size[1] + size[1] + _PNG_SLACK


def _read_regular(path: Path, limit: int | None) -> bytes | None:
    """The bytes of `path` if it is a regular file (not followed through a symlink) of at most
    `limit` bytes, else None. Opened non-blocking, so a FIFO there cannot hang the caller."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None  # missing, a symlink (ELOOP), unreadable, or the root is no folder
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or (limit is not None and st.st_size > limit):
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    except OSError:
        return None
    finally:
        os.close(fd)


def _unlink_regular(path: Path) -> None:
    """Remove a damaged entry, but only if it is a regular file."""
    try:
        if stat.S_ISREG(os.lstat(path).st_mode):
            path.unlink()
    except OSError:
        pass
