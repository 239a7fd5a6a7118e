"""File contents on disk: ``files/<id>.bin`` and, while uploading, ``files/uploads/<session>.part``.

Uploads never hold a file in memory: a one-shot upload is written piece by piece to a
staged temporary file in the store's directory (:meth:`BlobStore.stage`) and renamed into
place once complete (:meth:`BlobStore.adopt`); a resumable chunk is written straight into
its session's part file (:meth:`BlobStore.open_part`) and cut back off if it fails.

Every write is fsynced and whole blobs appear by rename, so a blob either exists complete
or not at all. A part file may run ahead of the offset its session recorded (the process
died between writing and committing); the next chunk truncates it back to that offset.
Staged files left by a crash are removed when the store next opens
(:meth:`BlobStore.remove_staged`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["BlobStore", "Digest", "PartWriter", "StagedBlob", "digest_of"]

_READ_SIZE = 1 << 20
_STAGED_SUFFIX = ".staged"

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


def _close_durably(handle: BinaryIO) -> None:
    """Flush, fsync and close ``handle``: its bytes are on disk when this returns."""
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


class StagedBlob:
    """A blob being written to a temporary file; hashed as it goes.

    Hand it to :meth:`BlobStore.adopt` when complete, or :meth:`discard` it; either way
    the temporary file is gone afterwards.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0
        self._sha256 = hashlib.sha256()
        self._handle: BinaryIO | None = path.open("xb")

    def write(self, data: bytes | bytearray) -> None:
        """Append ``data``."""
        if self._handle is None:
            raise ValueError("the staged blob is already closed")
        self._handle.write(data)
        self._sha256.update(data)
        self.size += len(data)

    @property
    def digest(self) -> Digest:
        return self.size, base64.b64encode(self._sha256.digest()).decode()

    def seal(self) -> None:
        """Flush, fsync and close the file (before it is renamed into place)."""
        if self._handle is not None:
            _close_durably(self._handle)
            self._handle = None

    def discard(self) -> None:
        """Close and delete the temporary file (safe to call more than once)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self.path.unlink(missing_ok=True)


class PartWriter:
    """Bytes appended to a session's part file from ``offset`` on.

    :meth:`commit` makes them durable; :meth:`rollback` cuts the part back to ``offset``,
    so a failed chunk leaves the part exactly as the session recorded it.
    """

    def __init__(self, path: Path, offset: int) -> None:
        self.path = path
        self.offset = offset
        self.size = offset
        path.touch(exist_ok=True)
        self._handle: BinaryIO | None = path.open("r+b")
        self._handle.truncate(offset)
        self._handle.seek(offset)

    def write(self, data: bytes | bytearray) -> None:
        if self._handle is None:
            raise ValueError("the part writer is already closed")
        self._handle.write(data)
        self.size += len(data)

    def commit(self) -> int:
        """Flush and fsync the part; returns its size."""
        if self._handle is not None:
            _close_durably(self._handle)
            self._handle = None
        return self.size

    def rollback(self) -> None:
        """Truncate the part back to where this writer started (safe to call twice)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self.path.exists():
            with self.path.open("r+b") as handle:
                handle.truncate(self.offset)
        self.size = self.offset


class BlobStore:
    """Blobs under ``root`` (created if missing), named by file ID."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._parts = root / "uploads"
        self._parts.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        """Where blob ``name`` lives (for readers that want the file, not its bytes)."""
        return self.root / f"{name}.bin"

    def _part(self, session_id: str) -> Path:
        return self._parts / f"{session_id}.part"

    def stage(self) -> StagedBlob:
        """A new, empty temporary file in the store's directory."""
        return StagedBlob(self.root / f".{secrets.token_hex(12)}{_STAGED_SUFFIX}")

    def adopt(self, staged: StagedBlob, name: str) -> Digest:
        """Make ``staged`` blob ``name`` (replacing any blob of that name) atomically."""
        staged.seal()
        staged.path.replace(self.path(name))
        _fsync_dir(self.root)
        return staged.digest

    def write(self, name: str, data: bytes) -> Digest:
        """Store ``data`` as blob ``name`` atomically."""
        staged = self.stage()
        try:
            staged.write(data)
            return self.adopt(staged, name)
        except BaseException:
            staged.discard()
            raise

    def open_part(self, session_id: str, offset: int) -> PartWriter:
        """A writer appending to the session's part file at ``offset`` (anything the part
        held beyond ``offset`` is dropped)."""
        return PartWriter(self._part(session_id), offset)

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
        path.replace(self.path(name))
        _fsync_dir(self.root)
        return size, base64.b64encode(digest.digest()).decode()

    def demote(self, name: str, session_id: str) -> None:
        """Undo :meth:`promote`: blob ``name`` becomes the session's part file again."""
        self.path(name).replace(self._part(session_id))

    def read(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def stream(self, name: str) -> Iterator[bytes]:
        """The blob in 1 MiB pieces (for downloads)."""
        with self.path(name).open("rb") as handle:
            while chunk := handle.read(_READ_SIZE):
                yield chunk

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def discard(self, session_id: str) -> None:
        self._part(session_id).unlink(missing_ok=True)

    def names(self) -> set[str]:
        """IDs of every blob on disk."""
        return {path.stem for path in self.root.glob("*.bin")}

    def session_ids(self) -> set[str]:
        """Sessions with a part file on disk."""
        return {path.stem for path in self._parts.glob("*.part")}

    def remove_staged(self) -> int:
        """Delete every staged file (only safe while no upload runs: at startup);
        returns how many there were."""
        stale = [*self.root.glob(f".*{_STAGED_SUFFIX}"), *self.root.glob(".*.tmp")]
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)

    def temporaries(self) -> list[Path]:
        """Staged files on disk now (an upload in flight, or one a crash left)."""
        return sorted(self.root.glob(f".*{_STAGED_SUFFIX}"))
