"""Content-addressed storage of media bytes: the key of an object is the SHA-256 of its bytes.

``MediaStore`` is what the app needs (put, get, exists); ``DirectoryStore`` keeps objects as files
under ``TRACEAPP_MEDIA_DIR``. An object store (S3-compatible) fits the same three calls: a key is
the hex digest, objects are immutable, and a put of existing bytes changes nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from traceapp.config import Settings

_HEX64 = re.compile(r"[0-9a-f]{64}")


def is_sha256(value: str) -> bool:
    """A lower-case hex SHA-256: the only names a store ever builds a path from."""
    return _HEX64.fullmatch(value) is not None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class MediaStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store ``data``; returns its SHA-256 (hex). Storing the same bytes twice is a no-op."""
        ...

    def get(self, sha256: str) -> bytes | None:
        """The bytes stored under ``sha256``, or None (also for anything not a SHA-256)."""
        ...

    def exists(self, sha256: str) -> bool: ...


class DirectoryStore:
    """Objects as files ``<root>/<first two hex digits>/<sha256>``, written atomically."""

    def __init__(self, root: Path, mode: int = 0o644) -> None:
        self.root = root
        self.mode = mode

    def _path(self, sha256: str) -> Path | None:
        if not is_sha256(sha256):
            return None
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        digest = sha256_hex(data)
        path = self._path(digest)
        assert path is not None
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside its final name, then renamed: a reader sees all of it or nothing,
        # and a crash leaves at most a temporary file, never a short object.
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".put-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, self.mode)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes | None:
        path = self._path(sha256)
        if path is None:
            return None
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, sha256: str) -> bool:
        path = self._path(sha256)
        return path is not None and path.is_file()


def open_store(settings: Settings) -> MediaStore:
    """The app's store (today always a directory)."""
    return DirectoryStore(settings.media_dir)


def open_private_store(settings: Settings, name: str) -> MediaStore:
    """A store ``/media`` never serves: a subdirectory whose name is not two hex digits (the
    public store's layout), files readable by the owner only. Shoppers' report photos."""
    if len(name) <= 2 or not name.isalpha():
        raise ValueError(f"private store name {name!r} could clash with the public layout")
    return DirectoryStore(settings.media_dir / name, mode=0o600)
