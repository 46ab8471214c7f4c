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
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storyboard.errors import StoryboardError

if TYPE_CHECKING:
    from PIL import Image

    from storyboard.drawing import Drawing
    from storyboard.engines.base import PanelRequest

KEY_VERSION = 1  # bump when the meaning of a key changes


def default_root() -> Path:
    """`STORYBOARD_CACHE`, else the per-user cache folder."""
    env = os.environ.get("STORYBOARD_CACHE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_cache_path("storyboard") / "panels"


def _array_digest(array) -> str:
    import numpy as np

    array = np.ascontiguousarray(array)
    h = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    h.update(array.tobytes())
    return h.hexdigest()


class _FileDigests:
    """SHA-256 of local files, computed once per (path, size, mtime)."""

    def __init__(self):
        self._seen: dict[tuple, str] = {}

    def __call__(self, ref: str) -> str:
        path = Path(ref)
        if not path.is_file():
            return ref  # a hub id: the engine's settings carry its revision
        stat = path.stat()
        marker = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        if marker not in self._seen:
            h = hashlib.sha256()
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            self._seen[marker] = f"sha256:{h.hexdigest()}"
        return self._seen[marker]


_file_digest = _FileDigests()


def key_inputs(engine_settings: dict[str, Any], request: "PanelRequest") -> dict[str, Any]:
    """The JSON-able description of everything that changes a panel's pixels."""
    inputs = {
        "key_version": KEY_VERSION,
        "engine": engine_settings,
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
                },
                "mask": None if m.mask is None else _array_digest(m.mask),
            }
            for m in request.cast
        ],
        "extra": request.extra,
    }
    if request.staging:  # where the figures stand (kind, pose, boxes): the draft engine draws it
        inputs["staging"] = [dataclasses.astuple(figure) for figure in request.staging]
    return inputs


def panel_key(engine_settings: dict[str, Any], request: "PanelRequest") -> str:
    text = json.dumps(key_inputs(engine_settings, request), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def print_key(key: str, width: int, height: int, *, encoding: dict[str, Any], upscale: str | None) -> str:
    """The key of a panel's print-ready JPEG: the panel, its print size, how it is brought to
    that size (a local upscaler file by content) and the JPEG encoder's settings."""
    inputs = {"key_version": KEY_VERSION, "panel": key, "size": [width, height], "encoding": encoding,
              "upscale": None if upscale in (None, "lanczos") else _file_digest(str(upscale))}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # removed by a concurrent clear
        return 0


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give the mode any new file gets
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class CacheInfo:
    root: Path
    entries: int
    bytes: int


class PanelCache:
    """A folder of finished panels addressed by `panel_key`."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root).expanduser() if root is not None else default_root()

    def _png(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.png"

    def get(self, key: str) -> "Image.Image | None":
        """The stored panel, or None. A damaged entry is removed and counts as a miss."""
        from PIL import Image, UnidentifiedImageError

        path = self._png(key)
        try:
            with Image.open(path) as image:
                image.load()
                return image.copy()
        except FileNotFoundError:
            return None
        except (OSError, UnidentifiedImageError, SyntaxError):
            path.unlink(missing_ok=True)
            return None

    def has(self, key: str) -> bool:
        """Whether panel `key` is stored intact, checked without decoding it: every PNG chunk
        must match its checksum. A damaged entry is removed and counts as a miss."""
        from PIL import Image, UnidentifiedImageError

        path = self._png(key)
        try:
            with Image.open(path, formats=["PNG"]) as image:
                image.verify()
            return True
        except FileNotFoundError:
            return False
        except (OSError, UnidentifiedImageError, SyntaxError):
            path.unlink(missing_ok=True)
            return False

    def get_print(self, key: str, pkey: str, size: tuple[int, int]) -> bytes | None:
        """The print-ready JPEG `pkey` of panel `key` at `size`, or None.

        Checked without decoding the art: the panel's PNG must pass its chunk checksums (a
        damaged panel is a miss, as with `get`), and the JPEG must start and end with its
        markers and declare `size`. A damaged JPEG is removed."""
        from PIL import Image, UnidentifiedImageError

        if not self.has(key):
            return None
        path = self._print(key, pkey)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
                ok = image.size == tuple(size) and data.endswith(b"\xff\xd9")
        except (OSError, UnidentifiedImageError, SyntaxError):
            ok = False
        if not ok:
            path.unlink(missing_ok=True)
            return None
        return data

    def put_print(self, key: str, pkey: str, data: bytes) -> None:
        """Keep a print-ready JPEG of panel `key` (written after the panel's PNG)."""
        try:
            _atomic_write(self._print(key, pkey), lambda fh: fh.write(data))
        except FileNotFoundError:
            pass  # a `cache clear` meanwhile took the folder
        except OSError as err:
            raise StoryboardError(f"cannot write to the panel cache {self.root}: {err.strerror or err}") from None

    def _print(self, key: str, pkey: str) -> Path:
        return self.root / key[:2] / f"{key}.print-{pkey[:32]}.jpg"

    def _drawing(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.drawing"

    def get_drawing(self, key: str) -> "Drawing | None":
        """The stored vector drawing of panel `key`, or None. A damaged entry is removed."""
        from storyboard.drawing import Drawing

        path = self._drawing(key)
        try:
            return Drawing.from_bytes(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
            return None

    def put_drawing(self, key: str, drawing: "Drawing", inputs: dict[str, Any] | None = None) -> None:
        self._put(self._drawing(key), lambda fh: fh.write(drawing.to_bytes()), key, inputs)

    def put(self, key: str, image: "Image.Image", inputs: dict[str, Any] | None = None) -> None:
        self._put(self._png(key), lambda fh: image.save(fh, format="PNG", compress_level=1), key, inputs)

    def _put(self, path: Path, write, key: str, inputs: dict[str, Any] | None) -> None:
        try:
            if inputs is not None:
                body = json.dumps(inputs, sort_keys=True, indent=1, default=str).encode()
                _atomic_write(self._png(key).with_suffix(".json"), lambda fh: fh.write(body))
            _atomic_write(path, write)
        except FileNotFoundError:
            pass  # a `cache clear` meanwhile took the folder or the temporary file: not cached, as asked
        except OSError as err:
            raise StoryboardError(f"cannot write to the panel cache {self.root}: {err.strerror or err}") from None

    def info(self) -> CacheInfo:
        if not self.root.is_dir():
            return CacheInfo(self.root, 0, 0)
        panels = list(self.root.glob("??/*.png")) + list(self.root.glob("??/*.drawing"))
        prints = list(self.root.glob("??/*.print-*.jpg"))
        return CacheInfo(self.root, len(panels), sum(_size(f) for f in panels + prints))

    def clear(self) -> int:
        """Remove every entry (and stray temporary files); return how many panels were removed."""
        removed = 0
        if not self.root.is_dir():
            return 0
        for sub in self.root.glob("??"):
            if not sub.is_dir():
                continue
            for f in sub.iterdir():
                removed += f.suffix in (".png", ".drawing")
                f.unlink(missing_ok=True)
            try:
                sub.rmdir()
            except OSError:
                pass  # another render wrote into it meanwhile
        return removed
