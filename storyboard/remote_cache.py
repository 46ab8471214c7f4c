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

The root gets the local cache's `CACHEDIR.TAG` when it is created or holds nothing but what
storyboard writes, and `info`/`clear` follow the local cache's rules: `clear` refuses a root
without storyboard's tag and removes only objects with the exact names storyboard writes, in
two-hex-digit subfolders (a `file://` root is handled by `PanelCache` itself, symlink rules
included).
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storyboard.cache import _NAME, _SUBFOLDER, MARKER, MARKER_SIGNATURE, MARKER_TEXT
from storyboard.errors import StoryboardError

if TYPE_CHECKING:
    from PIL import Image

    from storyboard.cache import CacheInfo, PanelCache
    from storyboard.drawing import Drawing


# Backends whose PUT can be conditional (create only if absent) through fsspec's mode="create".
CONDITIONAL_PUT = ("s3", "s3a")
BACKENDS = {"s3": ("s3", "s3fs"), "s3a": ("s3", "s3fs"), "gs": ("gcs", "gcsfs"), "gcs": ("gcs", "gcsfs")}  # protocol -> (extra, module)


def is_url(cache: Any) -> bool:
    """Whether a `cache` argument names an fsspec URL rather than a local folder."""
    return isinstance(cache, str) and "://" in cache


class RemotePanelCache:
    """The panel cache at fsspec URL `url`, fronted by the local cache `local` (default: a
    folder per URL under the default cache root). Raises MissingExtraError without fsspec (the
    `cloud` extra) or the URL's backend (`s3`: s3fs, `gcs`: gcsfs), StoryboardError for a URL fsspec cannot open (an unknown protocol, or one
    whose library, such as s3fs, is not installed)."""

    def __init__(self, url: str, local: "PanelCache | None" = None):
        from storyboard.cache import PanelCache, default_root
        from storyboard.errors import require

        # The extra that brings this URL's backend too: `[s3]` at once, not `[cloud]` and then s3fs
        extra, backend = BACKENDS.get(url.split("://", 1)[0].lower(), ("cloud", None))
        fsspec = require("fsspec", extra)
        if backend is not None:
            require(backend, extra)
        try:
            self.fs, self.root = fsspec.core.url_to_fs(url)
        except (ImportError, ValueError) as err:
            raise StoryboardError(f"cannot use the panel cache {url}: {str(err).splitlines()[0]}") from None
        self.url = url
        self.root = self.root.rstrip("/")
        protocols = self.fs.protocol if isinstance(self.fs.protocol, (tuple, list)) else (self.fs.protocol,)
        self.conditional = bool(set(protocols) & set(CONDITIONAL_PUT))
        self.on_disk = PanelCache(self.root) if "file" in protocols else None  # a file:// root: a local folder
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        self.local = local if local is not None else PanelCache(default_root() / "remote" / digest)

    def prepare(self) -> None:
        """Make the root if need be and tag it when storyboard owns it (see the module)."""
        self.local.prepare()
        if self.on_disk is not None:
            self.on_disk.prepare()
            return
        with self._using("write to"):
            self.fs.makedirs(self.root, exist_ok=True)
            if not self.is_tagged() and all(self._ours_at_root(info) for info in self._listing(self.root)):
                self._put_object(f"{self.root}/{MARKER}", MARKER_TEXT.encode())

    @contextmanager
    def _using(self, doing: str):
        """The storage failing, as one line: an OSError, or a backend library's own error that
        fsspec lets through (botocore's NoCredentialsError, aiohttp's connection errors).
        Absent or present objects (FileNotFoundError...) are answers, not failures."""
        try:
            yield
        except (StoryboardError, FileNotFoundError, IsADirectoryError, FileExistsError):
            raise
        except Exception as err:
            reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise StoryboardError(f"cannot {doing} the panel cache {self.url}: {reason}") from None

    def is_tagged(self) -> bool:
        """Whether the root holds storyboard's `CACHEDIR.TAG`."""
        if self.on_disk is not None:
            return self.on_disk.is_tagged()
        try:
            with self._using("read"):
                data = self.fs.cat_file(f"{self.root}/{MARKER}", start=0, end=4096)
        except (FileNotFoundError, IsADirectoryError):
            return False
        return data.startswith(MARKER_SIGNATURE.encode()) and b"storyboard" in data

    def info(self) -> "CacheInfo":
        """Panels and bytes at the root (not counting this machine's front)."""
        from storyboard.cache import CacheInfo

        if self.on_disk is not None:
            return dataclasses.replace(self.on_disk.info(), root=self.url)
        panels = size = 0
        with self._using("read"):
            for _, name, nbytes in self._entries():
                if not name.startswith("."):  # temporary objects are not entries yet
                    panels += name.endswith((".png", ".drawing"))
                    size += nbytes if name.endswith((".png", ".drawing", ".jpg")) else 0
        return CacheInfo(self.url, panels, size)

    def clear(self) -> int:
        """Remove every entry at the root (and stray temporary objects); return how many panels
        were removed. Raises StoryboardError when the root carries no storyboard `CACHEDIR.TAG`.
        This machine's front is left to `clear_front`."""
        if not self.is_tagged():
            with self._using("read"):
                exists = self.on_disk.root.exists() if self.on_disk is not None else self.fs.exists(self.root)
            if not exists:
                return 0
            raise StoryboardError(f"{self.url} is not a storyboard panel cache (it has no storyboard {MARKER}); "
                                  "nothing removed")
        if self.on_disk is not None:
            return self.on_disk.clear()
        with self._using("clear"):
            found = list(self._entries())
            for path, _, _ in found:
                try:
                    self.fs.rm_file(path)
                except FileNotFoundError:
                    pass  # another `clear` took it first
            for info in self._listing(self.root):  # empty subfolders, where the store has folders
                if info["type"] == "directory" and _SUBFOLDER.fullmatch(_name(info)) \
                        and not self._listing(info["name"]):
                    self.fs.rmdir(info["name"])
        return sum(name.endswith((".png", ".drawing")) and not name.startswith(".") for _, name, _ in found)

    def clear_front(self) -> int:
        """Remove this machine's copies of the root's entries; return how many panels."""
        return self.local.clear()

    def _listing(self, path: str) -> list[dict]:
        self.fs.invalidate_cache(path)  # what other machines wrote since
        try:
            return self.fs.ls(path, detail=True)
        except (FileNotFoundError, NotADirectoryError):
            return []

    def _ours_at_root(self, info: dict) -> bool:
        name = _name(info)
        if info["type"] == "directory":
            return bool(_SUBFOLDER.fullmatch(name))
        return name.startswith(f".{MARKER}.") and name.endswith(".tmp")  # a tag being published

    def _entries(self):
        """(path, name, size) of every object with a name storyboard writes, in the root's
        two-hex-digit subfolders."""
        for sub in self._listing(self.root):
            if sub["type"] != "directory" or not _SUBFOLDER.fullmatch(_name(sub)):
                continue
            for info in self._listing(sub["name"]):
                name = _name(info)
                if info["type"] == "file" and _NAME.fullmatch(name) and name.lstrip(".")[:2] == _name(sub):
                    yield info["name"], name, info.get("size") or 0

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

    # Every write goes to the local front, then is published to the root; one the local front
    # cannot keep (a full disk) is not published, and says False, as `PanelCache`'s do.
    def put(self, key: str, image: "Image.Image", inputs: dict[str, Any] | None = None) -> bool:
        return self.local.put(key, image, inputs) and self._publish(self.local._png(key).with_suffix(".json"),
                                                                   self.local._png(key))

    def put_drawing(self, key: str, drawing: "Drawing", inputs: dict[str, Any] | None = None) -> bool:
        return self.local.put_drawing(key, drawing, inputs) and self._publish(
            self.local._png(key).with_suffix(".json"), self.local._drawing(key))

    def put_print(self, key: str, pkey: str, data: bytes) -> bool:
        return self.local.put_print(key, pkey, data) and self._publish(self.local._print(key, pkey))

    def put_faces(self, key: str, tag: str, data: bytes) -> bool:
        return self.local.put_faces(key, tag, data) and self._publish(self.local._faces(key, tag))

    def _remote(self, local_path: Path) -> str:
        return f"{self.root}/{local_path.relative_to(self.local.root).as_posix()}"

    def _pull(self, local_path: Path) -> bool:
        """Whether the entry is in the local front, copied down from the root if need be."""
        if local_path.is_file():
            return True
        from storyboard.cache import _atomic_write

        try:
            with self._using("read"):
                data = self.fs.cat_file(self._remote(local_path))
        except (FileNotFoundError, IsADirectoryError):
            return False
        if self.local.unwritable:
            return False
        try:
            _atomic_write(local_path, lambda fh: fh.write(data))
        except OSError as err:  # the local front cannot keep it (a full disk): a miss, as for a write
            return self.local._refused(err)
        return True

    def _publish(self, *local_paths: Path) -> bool:
        for path in local_paths:
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue  # no inputs record, or a `cache clear` took it meanwhile
            with self._using("write to"):
                self._put_object(self._remote(path), data)
        return True

    def _put_object(self, final: str, data: bytes) -> None:
        """Publish `data` whole at `final` (see the module): a conditional PUT, else a
        temporary object moved into place."""
        if self.conditional:
            try:
                self.fs.pipe_file(final, data, mode="create")
            except FileExistsError:
                pass  # S3 refused the conditional PUT: another writer published this entry first
            return
        temp = f"{final.rsplit('/', 1)[0]}/.{final.rsplit('/', 1)[1]}.{uuid.uuid4().hex}.tmp"
        self.fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
        self.fs.pipe_file(temp, data)
        self.fs.mv(temp, final)


def _name(info: dict) -> str:
    return info["name"].rstrip("/").rsplit("/", 1)[-1]
