"""File contents on disk: ``files/<id>.bin`` and, while uploading, ``files/uploads/<session>.part``.

Every write is fsynced and whole blobs appear by rename, so a blob either exists complete
or not at all. A part file may run ahead of the offset its session recorded (the process
died between writing and committing); the next chunk truncates it back to that offset.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["BlobStore", "Digest", "digest_of"]

_READ_SIZE = 1 << 20

#: ``(size in bytes, base64 of the sha256)`` of a blob.
Digest = tuple[int, str]


def digest_of(data: bytes) -> Digest:
    """Size and base64 sha256 of ``data`` (``File.sha256Hash`` is proto bytes, so base64)."""
    return len(data), base64.b64encode(hashlib.sha256(data).digest()).decode()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobStore:
    """Blobs under ``root`` (created if missing), named by file ID."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._parts = root / "uploads"
        self._parts.mkdir(parents=True, exist_ok=True)

    def _blob(self, name: str) -> Path:
        return self.root / f"{name}.bin"

    def _part(self, session_id: str) -> Path:
        return self._parts / f"{session_id}.part"

    def write(self, name: str, data: bytes) -> Digest:
        """Store ``data`` as blob ``name`` atomically."""
        part = self.root / f".{name}.tmp"
        with part.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        part.replace(self._blob(name))
        _fsync_dir(self.root)
        return digest_of(data)

    def append(self, session_id: str, offset: int, data: bytes) -> int:
        """Write ``data`` at ``offset`` of the session's part file; returns the new size."""
        path = self._part(session_id)
        path.touch(exist_ok=True)
        with path.open("r+b") as handle:
            handle.truncate(offset)
            handle.seek(offset)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return offset + len(data)

    def promote(self, session_id: str, name: str, size: int) -> Digest:
        """Turn the first ``size`` bytes of the session's part file into blob ``name``."""
        path = self._part(session_id)
        path.touch(exist_ok=True)
        digest = hashlib.sha256()
        with path.open("r+b") as handle:
            handle.truncate(size)
            handle.flush()
            os.fsync(handle.fileno())
            while chunk := handle.read(_READ_SIZE):
                digest.update(chunk)
        path.replace(self._blob(name))
        _fsync_dir(self.root)
        return size, base64.b64encode(digest.digest()).decode()

    def read(self, name: str) -> bytes:
        return self._blob(name).read_bytes()

    def stream(self, name: str) -> Iterator[bytes]:
        """The blob in 1 MiB pieces (for downloads)."""
        with self._blob(name).open("rb") as handle:
            while chunk := handle.read(_READ_SIZE):
                yield chunk

    def delete(self, name: str) -> None:
        self._blob(name).unlink(missing_ok=True)

    def discard(self, session_id: str) -> None:
        self._part(session_id).unlink(missing_ok=True)

    def names(self) -> set[str]:
        """IDs of every blob on disk."""
        return {path.stem for path in self.root.glob("*.bin")}

    def session_ids(self) -> set[str]:
        """Sessions with a part file on disk."""
        return {path.stem for path in self._parts.glob("*.part")}
