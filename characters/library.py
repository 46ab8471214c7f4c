"""The character library on disk: one folder per registered character.

    <root>/
      mara/
        character.json           format, id, name, description, kind, embedder, references, created
        embeddings.safetensors   per_image, mean, pooled (one unit vector per reference), and per
                                 reference face_crops (faces) or clip_pooled (drawn); see Embeddings
        references/01.jpg        the reference files byte for byte, so they can be re-embedded
        thumbnails/01.png        small previews
      .cache/<key>.safetensors   identities of script `references:`, keyed by their content
      .tmp-*, .trash-*           work in progress; never read as characters

A character is built in a `.tmp-*` folder inside the root and renamed into place in one
step, so an interrupted `register` leaves at most an ignored temporary folder. The JSON
records the hash of the embeddings file, so a damaged folder is refused, not half loaded.
"""

from __future__ import annotations

import difflib
import errno
import hashlib
import io
import json
import os
import re
import shutil
import stat
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from characters.embedders import (
    KINDS,
    IdentityEmbedder,
    Signature,
    candidates,
    embed_references,
)
from characters.images import ReferenceImage, load_reference, load_references
from storyboard import _files
from storyboard.errors import CharacterError

if TYPE_CHECKING:
    import numpy as np

    from storyboard.engines.base import Identity

FORMAT = 1
ID_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,63}\Z")
SUFFIXES = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
THUMBNAIL = 256
STALE_SECONDS = 3600  # a temporary folder this old belongs to a process that died
RECORD_LIMIT = 1 << 20  # bytes: a character.json is a few kilobytes
EMBEDDINGS_LIMIT = 1 << 26  # bytes: a few vectors per reference
_STORED_FILE = re.compile(r"(references|thumbnails)/[0-9]{2,}\.(jpg|png|webp)\Z")


@dataclass(frozen=True)
class StoredReference:
    source: str  # the path the image was registered from
    file: str  # its copy, relative to the character folder
    thumbnail: str
    sha256: str


@dataclass(frozen=True)
class Character:
    id: str
    name: str
    description: str
    kind: str  # "face" or "drawn": the embedding actually stored
    requested_kind: str  # what was asked for: "face", "drawn" or "auto"
    embedder: Signature
    references: tuple[StoredReference, ...]
    created: str  # ISO 8601, UTC
    folder: Path


def default_root() -> Path:
    """$STORYBOARD_LIBRARY, else the per-user data folder."""
    if os.environ.get("STORYBOARD_LIBRARY"):
        return Path(os.environ["STORYBOARD_LIBRARY"]).expanduser()
    import platformdirs

    return platformdirs.user_data_path("storyboard") / "characters"


class CharacterLibrary:
    """Registered characters and their identity embeddings, under one root folder."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root).expanduser() if root is not None else default_root()

    # -- reading -------------------------------------------------------------------------

    def list(self) -> list[Character]:
        """Every character; raises CharacterError naming the first damaged one (see `scan`)."""
        characters, problems = self.scan()
        if problems:
            raise problems[0]
        return characters

    def scan(self) -> tuple[list[Character], list[CharacterError]]:
        """The intact characters, and one error naming each damaged or foreign folder, so a
        damaged one never hides the rest. Raises CharacterError if the root is no folder."""
        if not self.root.exists():
            return [], []
        if not self.root.is_dir():
            raise CharacterError(f"character library {self.root} is not a folder")
        characters, problems = [], []
        for folder in self._folders():
            try:
                characters.append(self._load(folder))
            except CharacterError as err:
                problems.append(err)
        return characters, problems

    def get(self, id: str) -> Character:
        folder = self.root / id
        if self.root.exists() and not self.root.is_dir():  # (it said "no character 'mara' in the library /etc/passwd")
            raise CharacterError(f"character library {self.root} is not a folder")
        if not ID_PATTERN.match(id) or not folder.is_dir():
            names = [f.name for f in self._folders()] if self.root.is_dir() else []
            close = difflib.get_close_matches(id, names, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise CharacterError(f"no character '{id}' in the library {self.root}{hint}")
        return self._load(folder)

    def embedding(self, id: str, embedder: IdentityEmbedder | None = None) -> "Identity":
        """The character's identity; with `embedder`, as that embedder sees the stored references
        (computed once, then cached) when it differs from the one used at registration."""
        character = self.get(id)
        if embedder is None or embedder.signature().key == character.embedder.key:
            data = self._read_embeddings(character.folder)
            return _identity(character.kind, data["mean"], character.embedder)
        references = [load_reference(character.folder / ref.file) for ref in character.references]
        return self.identity_of(references, [embedder], embedder.kind)

    # -- writing -------------------------------------------------------------------------

    def register(
        self,
        id: str,
        images: Sequence[str | Path],
        *,
        name: str = "",
        description: str = "",
        kind: str = "auto",
        face_models: str | None = None,
        drawn_encoder: str | None = None,
        embedder: IdentityEmbedder | None = None,
    ) -> Character:
        """Embed `images` and store them as character `id`; the library is untouched on any error."""
        if not ID_PATTERN.match(id):
            raise CharacterError(
                f"invalid character id '{id}': use lower-case letters, digits, '-' and '_', "
                f"starting with a letter (at most 64)"
            )
        if kind not in KINDS:
            raise CharacterError(f"unknown character kind '{kind}' (use face, drawn or auto)")
        if (self.root / id).exists():
            raise CharacterError(f"character '{id}' already exists in {self.root}; remove it first")
        if not images:
            raise CharacterError(f"character '{id}': give at least one reference image")
        self._check_root()
        references = load_references(images)
        embedders = candidates(kind, face_models=face_models, drawn_encoder=drawn_encoder, embedder=embedder)
        signature, embeddings = embed_references(references, embedders)

        stored = tuple(
            StoredReference(
                source=str(ref.path.resolve()),
                file=f"references/{i:02d}{SUFFIXES[ref.format]}",
                thumbnail=f"thumbnails/{i:02d}.png",
                sha256=ref.sha256,
            )
            for i, ref in enumerate(references, start=1)
        )
        staging = self._staging()
        try:
            for ref, entry in zip(references, stored):
                _write(staging / entry.file, ref.data)
                _write(staging / entry.thumbnail, _thumbnail(ref))
            tensors = {"per_image": embeddings.per_image, "mean": embeddings.mean, "pooled": embeddings.pooled,
                       **embeddings.extras}
            blob = _safetensors_bytes(tensors)
            _write(staging / "embeddings.safetensors", blob)
            record = {
                "format": FORMAT,
                "id": id,
                "name": name or id,
                "description": description,
                "kind": embeddings.kind,
                "requested_kind": kind,
                "embedder": {"name": signature.name, "model": signature.model, "version": signature.version},
                "references": [vars(entry) for entry in stored],
                "embeddings": {"file": "embeddings.safetensors", "sha256": hashlib.sha256(blob).hexdigest()},
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
            # Written last: a folder without a complete character.json is never a character.
            _write(staging / "character.json", json.dumps(record, indent=2).encode())
            try:
                os.rename(staging, self.root / id)
            except OSError:
                raise CharacterError(f"character '{id}' was registered meanwhile by another process") from None
            _sync_folder(self.root)
        except BaseException as err:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(err, OSError):  # disk full, permissions: the user's to fix
                raise CharacterError(f"cannot write to the character library {self.root}: {err.strerror or err}") from None
            raise
        return self._load(self.root / id)

    def remove(self, id: str) -> None:
        """Remove a character, even a damaged one; a folder that is not a character is kept."""
        folder = self.root / id
        if not ID_PATTERN.match(id) or not folder.is_dir():
            self.get(id)  # raises, with a did-you-mean
        if not (folder / "character.json").is_file():
            raise CharacterError(f"{folder} is not a storyboard character (no character.json); not removing it")
        trash = self.root / f".trash-{uuid.uuid4().hex}"
        # One rename takes the character out of the library; deleting the files may then fail
        # or be interrupted without leaving a half character behind.
        try:
            os.rename(folder, trash)
        except OSError as err:
            raise CharacterError(f"cannot remove {folder}: {err.strerror or err}") from None
        shutil.rmtree(trash, ignore_errors=True)

    # -- identities of script references --------------------------------------------------

    def identity_of(
        self, references: Sequence[ReferenceImage], embedders: Sequence[IdentityEmbedder], kind: str
    ) -> "Identity":
        """Embed `references` (trying `embedders` in order), cached under a content key."""
        found, signature, tensors = self.embed_cached(references, embedders, kind)
        return _identity(found, tensors["mean"], signature)

    def stored(self, id: str) -> dict[str, "np.ndarray"]:
        """Every tensor of a registered character's embeddings file (see `Embeddings`); characters
        registered before an extra was stored lack it."""
        return self._read_embeddings(self.get(id).folder)

    def embed_cached(
        self, references: Sequence[ReferenceImage], embedders: Sequence[IdentityEmbedder], kind: str
    ) -> tuple[str, Signature, dict[str, "np.ndarray"]]:
        """(kind found, signature, tensors) of `references`: `per_image`, `mean` and the extras,
        computed once and kept in the library's cache under a key of their content."""
        key = _digest({
            "format": 2,  # entries before 2 held only the mean
            "references": [ref.sha256 for ref in references],
            "kind": kind,
            "embedders": [e.signature().key for e in embedders],
        })
        cached = self.root / ".cache" / f"{key}.safetensors"
        hit = _read_cache(cached)
        if hit is not None:
            meta, tensors = hit
            return meta["kind"], Signature(meta["embedder"], meta["model"], meta["version"]), tensors
        signature, embeddings = embed_references(references, embedders)
        tensors = {"per_image": embeddings.per_image, "mean": embeddings.mean, **embeddings.extras}
        meta = {"kind": embeddings.kind, "embedder": signature.name, "model": signature.model,
                "version": signature.version}
        _write_cache(cached, tensors, meta)
        return embeddings.kind, signature, tensors

    def encode_cached(self, images: "np.ndarray", encoder) -> dict[str, "np.ndarray"]:
        """{"hidden": (n, tokens, dim), "pooled": (n, D)} of uint8 RGB `images` (n, h, w, 3)
        through the CLIP `encoder` (a DrawnIdentity), cached by the pixels and the encoder."""
        import numpy as np
        from PIL import Image

        key = _digest({"pixels": hashlib.sha256(np.ascontiguousarray(images).tobytes()).hexdigest(),
                       "shape": list(images.shape), "encoder": encoder.signature().key})
        cached = self.root / ".cache" / f"clip-{key}.safetensors"
        hit = _read_cache(cached)
        if hit is not None:
            return hit[1]
        hidden, pooled = encoder.encode([Image.fromarray(image) for image in images])
        tensors = {"hidden": hidden, "pooled": pooled}
        _write_cache(cached, tensors, {})
        return tensors

    # -- internals -----------------------------------------------------------------------

    def _folders(self) -> list[Path]:
        return sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def _check_root(self) -> None:
        """Raise CharacterError, before any image is read or encoder loaded, when the library
        cannot take a character: its root, or the nearest folder above it that exists, is a
        file or not writable (`--library notes.txt` failed only after loading the encoders)."""
        anchor = self.root
        while not os.path.lexists(anchor) and anchor != anchor.parent:
            anchor = anchor.parent
        if not anchor.is_dir():
            raise CharacterError(f"character library {self.root} is not a folder" if anchor == self.root
                                 else f"character library {self.root} cannot be made: {anchor} is a file")
        if not os.access(anchor, os.W_OK):
            raise CharacterError(f"character library {self.root} is not writable: folder {anchor} is read-only")
        try:
            _files.probe_folder(anchor)  # (access lets root through a read-only file system)
        except OSError as err:
            raise CharacterError(f"character library {self.root} is not writable: folder {anchor} takes no new "
                                 f"file ({err.strerror or err})") from None

    def _staging(self) -> Path:
        """A fresh temporary folder inside the root (same file system, so rename is atomic)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            for old in self.root.glob(".t*-*"):
                if old.name.startswith((".tmp-", ".trash-")) and time.time() - old.stat().st_mtime > STALE_SECONDS:
                    shutil.rmtree(old, ignore_errors=True)
            folder = self.root / f".tmp-{uuid.uuid4().hex}"
            folder.mkdir()
        except OSError as err:
            raise CharacterError(f"character library {self.root} is not writable: {err.strerror or err}") from None
        return folder

    def _load(self, folder: Path) -> Character:
        def bad(reason: str) -> CharacterError:
            return CharacterError(f"{folder} is not a valid storyboard character: {reason}")

        if os.path.islink(folder):
            raise bad("it is a symbolic link, not a folder")
        try:
            record = json.loads(_read_regular(folder / "character.json", RECORD_LIMIT).decode("utf-8"))
        except FileNotFoundError:
            raise bad("no character.json (a foreign folder in the library?)")
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
            raise bad(f"character.json is unreadable ({_one_line(err)})")
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            found = record.get("format") if isinstance(record, dict) else None
            raise bad(f"character.json has format {found!r}, this storyboard reads format {FORMAT}")
        try:
            if record["id"] != folder.name:
                raise bad(f"it says it is '{record['id']}'")
            embedder = record["embedder"]
            character = Character(
                id=record["id"],
                name=str(record["name"]),
                description=str(record["description"]),
                kind=record["kind"],
                requested_kind=record["requested_kind"],
                embedder=Signature(embedder["name"], embedder["model"], embedder["version"]),
                references=tuple(StoredReference(**ref) for ref in record["references"]),
                created=record["created"],
                folder=folder,
            )
            expected = record["embeddings"]["sha256"]
        except (KeyError, TypeError) as err:
            raise bad(f"character.json lacks or garbles {_one_line(err)}")
        if character.kind not in ("face", "drawn"):
            raise bad(f"unknown kind {_one_line(repr(character.kind))}")
        for ref in character.references:  # only files inside the character's own folder are ever read
            if not all(isinstance(f, str) and _STORED_FILE.match(f) for f in (ref.file, ref.thumbnail)):
                raise bad(f"character.json names a reference file outside its folder: {_one_line(repr(ref.file))}")
        try:
            actual = hashlib.sha256(_read_regular(folder / "embeddings.safetensors", EMBEDDINGS_LIMIT)).hexdigest()
        except FileNotFoundError:
            raise bad("embeddings.safetensors is missing")
        except OSError as err:
            raise bad(f"embeddings.safetensors is unreadable ({_one_line(err)})")
        if actual != expected:
            raise bad("embeddings.safetensors does not match its recorded hash")
        return character

    def _read_embeddings(self, folder: Path) -> dict[str, "np.ndarray"]:
        from safetensors.numpy import load

        try:
            return load(_read_regular(folder / "embeddings.safetensors", EMBEDDINGS_LIMIT))
        except Exception as err:  # safetensors raises its own error types on damaged files
            raise CharacterError(f"{folder}/embeddings.safetensors is unreadable: {_one_line(err)}") from None


def _read_regular(path: Path, limit: int) -> bytes:
    """The bytes of `path`, which must be a regular file (not a link, FIFO or device) of at
    most `limit` bytes; opened non-blocking, so a FIFO cannot hang the reader. Raises OSError
    (FileNotFoundError when absent) with a one-line reason."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise OSError(err.errno, "a symbolic link, not a file") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if info.st_size > limit:
            raise OSError(errno.EFBIG, f"{info.st_size} bytes, more than {limit}")
        with os.fdopen(fd, "rb", closefd=False) as stream:
            return stream.read(limit + 1)
    finally:
        os.close(fd)


def _one_line(value) -> str:
    """A value for a one-line message: control characters escaped, at most 200 characters."""
    text = str(value).encode("unicode_escape", "backslashreplace").decode("ascii")
    return text if len(text) <= 200 else text[:199] + "…"


def _identity(kind: str, mean: "np.ndarray", signature: Signature) -> "Identity":
    import numpy as np

    from storyboard.engines.base import Identity

    return Identity(kind=kind, embedding=np.asarray(mean, dtype=np.float32), embedder=str(signature),
                    models=((signature.name, signature.model),))


def _digest(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _read_cache(path: Path) -> "tuple[dict, dict] | None":
    """(metadata, tensors) of a cache entry; None when missing or damaged (then recomputed)."""
    if not path.is_file():
        return None
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as file:
            return file.metadata() or {}, {k: file.get_tensor(k) for k in file.keys()}
    except Exception:  # a damaged cache entry is recomputed, never trusted
        return None


def _write_cache(path: Path, tensors: dict, meta: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, _safetensors_bytes(tensors, meta or None))
    except OSError:
        pass  # a read-only library still renders; it only recomputes next time


def _thumbnail(ref: ReferenceImage) -> bytes:
    image = ref.image.copy()
    image.thumbnail((THUMBNAIL, THUMBNAIL))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _safetensors_bytes(tensors: dict, metadata: dict[str, str] | None = None) -> bytes:
    import numpy as np
    from safetensors.numpy import save

    # Images (face crops) stay uint8; embeddings are float32.
    return save({k: np.ascontiguousarray(v, dtype=np.uint8 if np.asarray(v).dtype == np.uint8 else np.float32)
                 for k, v in tensors.items()}, metadata=metadata)


def _write(path: Path, data: bytes) -> None:
    """Write a file completely (to a temporary name, synced, then renamed) or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    try:
        with open(temporary, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
