"""A panel cache whose root is an fsspec URL (`file://`, `memory://`, `s3://`, `gs://`...).

Entries have the names and bytes of the local cache (`storyboard.cache.PanelCache`). A local
cache in front keeps a copy of every entry read or written, so re-rendering on the same machine
reads local files; a miss there looks in the shared root and copies the entry down.

Publication is atomic on every backend. On S3 an entry is one conditional PUT (`If-None-Match:
*`, which S3 honours since August 2024; s3fs's `mode="create"`): the first writer of a key
creates it whole and a later writer is refused with 412 and simply finds the entry there (the
same bytes, since a key names its pixels). Elsewhere an entry is written whole under a unique
temporary name beside its final one, then moved into place (a rename on a file system; on
other object stores a server-side copy, where one object's PUT is atomic). Either way a reader
sees no entry or a whole one, never a torn one.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storyboard.errors import StoryboardError

if TYPE_CHECKING:
    from PIL import Image

    from storyboard.cache import PanelCache
    from storyboard.drawing import Drawing


# Backends whose PUT can be conditional (create only if absent) through fsspec's mode="create".
CONDITIONAL_PUT = ("s3", "s3a")


def is_url(cache: Any) -> bool:
    """Whether a `cache` argument names an fsspec URL rather than a local folder."""
    return isinstance(cache, str) and "://" in cache


class RemotePanelCache:
    """The panel cache at fsspec URL `url`, fronted by the local cache `local` (default: a
    folder per URL under the default cache root). Raises MissingExtraError without fsspec (the
    `cloud` extra), StoryboardError for a URL fsspec cannot open (an unknown protocol, or one
    whose library, such as s3fs, is not installed)."""

    def __init__(self, url: str, local: "PanelCache | None" = None):
        from storyboard.cache import PanelCache, default_root
        from storyboard.errors import require

        fsspec = require("fsspec", "cloud")
        try:
            self.fs, self.root = fsspec.core.url_to_fs(url)
        except (ImportError, ValueError) as err:
            raise StoryboardError(f"cannot use the panel cache {url}: {str(err).splitlines()[0]}") from None
        self.url = url
        self.root = self.root.rstrip("/")
        protocols = self.fs.protocol if isinstance(self.fs.protocol, (tuple, list)) else (self.fs.protocol,)
        self.conditional = bool(set(protocols) & set(CONDITIONAL_PUT))
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        self.local = local if local is not None else PanelCache(default_root() / "remote" / digest)

    def prepare(self) -> None:
        self.local.prepare()
        try:
            self.fs.makedirs(self.root, exist_ok=True)
        except OSError as err:
            raise StoryboardError(f"cannot write to the panel cache {self.url}: {err}") from None

    # Every read goes to the local front first; a miss copies the entry down from the root.
    def get(self, key: str, size: tuple[int, int] | None = None) -> "Image.Image | None":
        return self.local.get(key, size) if self._pull(self.local._png(key)) else None

    def has(self, key: str, size: tuple[int, int] | None = None) -> bool:
        return self._pull(self.local._png(key)) and self.local.has(key, size)

    def get_print(self, key: str, pkey: str, size: tuple[int, int],
                  panel_size: tuple[int, int] | None = None) -> bytes | None:
        if not (self._pull(self.local._png(key)) and self._pull(self.local._print(key, pkey))):
            return None
        return self.local.get_print(key, pkey, size, panel_size)

    def get_drawing(self, key: str, size: tuple[int, int] | None = None) -> "Drawing | None":
        return self.local.get_drawing(key, size) if self._pull(self.local._drawing(key)) else None

    def get_faces(self, key: str, tag: str) -> bytes | None:
        return self.local.get_faces(key, tag) if self._pull(self.local._faces(key, tag)) else None

    # Every write goes to the local front, then is published to the root.
    def put(self, key: str, image: "Image.Image", inputs: dict[str, Any] | None = None) -> None:
        self.local.put(key, image, inputs)
        self._publish(self.local._png(key).with_suffix(".json"), self.local._png(key))

    def put_drawing(self, key: str, drawing: "Drawing", inputs: dict[str, Any] | None = None) -> None:
        self.local.put_drawing(key, drawing, inputs)
        self._publish(self.local._png(key).with_suffix(".json"), self.local._drawing(key))

    def put_print(self, key: str, pkey: str, data: bytes) -> None:
        self.local.put_print(key, pkey, data)
        self._publish(self.local._print(key, pkey))

    def put_faces(self, key: str, tag: str, data: bytes) -> None:
        self.local.put_faces(key, tag, data)
        self._publish(self.local._faces(key, tag))

    def _remote(self, local_path: Path) -> str:
        return f"{self.root}/{local_path.relative_to(self.local.root).as_posix()}"

    def _pull(self, local_path: Path) -> bool:
        """Whether the entry is in the local front, copied down from the root if need be."""
        if local_path.is_file():
            return True
        from storyboard.cache import _atomic_write

        try:
            data = self.fs.cat_file(self._remote(local_path))
        except (FileNotFoundError, IsADirectoryError):
            return False
        except OSError as err:
            raise StoryboardError(f"cannot read the panel cache {self.url}: {err}") from None
        _atomic_write(local_path, lambda fh: fh.write(data))
        return True

    def _publish(self, *local_paths: Path) -> None:
        for path in local_paths:
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue  # no inputs record, or a `cache clear` took it meanwhile
            final = self._remote(path)
            try:
                if self.conditional:
                    self.fs.pipe_file(final, data, mode="create")
                    continue
                temp = f"{final.rsplit('/', 1)[0]}/.{final.rsplit('/', 1)[1]}.{uuid.uuid4().hex}.tmp"
                self.fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
                self.fs.pipe_file(temp, data)
                self.fs.mv(temp, final)
            except FileExistsError:
                continue  # S3 refused the conditional PUT: another writer published this entry first
            except OSError as err:
                raise StoryboardError(f"cannot write to the panel cache {self.url}: {err}") from None
