"""Content fingerprints of model weights, so a file replaced in place redraws its panels.

A local file is keyed by the SHA-256 of its bytes; a local folder (a diffusers pipeline) by the
hash of its file list with each file's size and SHA-256. Hashing gigabytes on every run would
cost seconds, so each file's hash is memoised by (path, size, mtime): in memory, and in a small
JSON file beside the panel cache (`$STORYBOARD_FINGERPRINTS`, else the per-user cache folder), so
a warm re-render reads no weight file. A hub reference is keyed by the commit its revision
resolves to (asked of the hub when online, read from the local Hugging Face cache offline).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from pathlib import Path

from storyboard import hub

_lock = threading.Lock()
_memo: dict[str, str] | None = None  # "path\0size\0mtime_ns" -> sha256 hex
_BLOCK = 1 << 20


def memo_path() -> Path:
    env = os.environ.get("STORYBOARD_FINGERPRINTS")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_cache_path("storyboard") / "fingerprints.json"


def of(ref: str, *, base_dir=None, cache_dir=None, revision=None) -> str:
    """'sha256:<hex>' (local file), 'tree:<hex>' (local folder) or 'hub:<repo>@<commit>[/<path>]'."""
    where = hub.parse(ref, base_dir)
    if isinstance(where, Path):
        if where.is_dir():
            return f"tree:{tree_digest(where)}"
        return f"sha256:{file_digest(where)}"
    commit = _hub_commit(where.repo_id, cache_dir, revision)
    return f"hub:{where.repo_id}@{commit}" + (f"/{where.path}" if where.path else "")


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, memoised by (path, size, mtime)."""
    global _memo
    stat = path.stat()
    marker = f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}"
    with _lock:
        if _memo is None:
            _memo = _read_memo()
        if marker in _memo:
            return _memo[marker]
    digest = hash_file(path)
    with _lock:
        _memo[marker] = digest
        _write_memo(_memo)
    return digest


def hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(_BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def tree_digest(folder: Path) -> str:
    """Hash of every file under `folder`: relative path, size and SHA-256 (hidden files skipped)."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        h.update(f"{rel}\0{path.stat().st_size}\0{file_digest(path)}\n".encode())
    return h.hexdigest()


def _hub_commit(repo_id: str, cache_dir, revision) -> str:
    if revision and re.fullmatch(r"[0-9a-f]{40}", revision):
        return revision
    if not hub.offline():
        try:
            from huggingface_hub import HfApi

            return HfApi().model_info(repo_id, revision=revision, timeout=10).sha
        except Exception:  # no network, rate limits: fall back to what the cache says
            pass
    from huggingface_hub import constants

    refs = Path(cache_dir or constants.HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}" / "refs" / (revision or "main")
    try:
        return refs.read_text().strip()
    except OSError:
        return f"{revision or 'main'}:unresolved"  # not cached: fetching it fails with its own message


def _read_memo() -> dict[str, str]:
    try:
        data = json.loads(memo_path().read_text())
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_memo(memo: dict[str, str]) -> None:
    path = memo_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
        temporary.write_text(json.dumps(memo))
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only cache folder only costs rehashing next run
