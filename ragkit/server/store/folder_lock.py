"""Who may use a data folder at once: servers share it, ``ragkit reindex`` needs it alone.

Servers (every :class:`~ragkit.server.service.RetrieverService`) hold a shared advisory
lock on ``DATA_DIR/ragkit.lock``; ``ragkit reindex`` takes it exclusively. So the offline
re-embedding never switches a folder's embedder under a running server (which would go on
writing vectors of the old one), and no server starts while it runs. The lock is the
operating system's (``flock``): a killed process releases it. Where ``fcntl`` does not
exist (Windows) nothing is locked.
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["LOCK_FILENAME", "FolderBusyError", "FolderLock"]

LOCK_FILENAME = "ragkit.lock"


class FolderBusyError(RuntimeError):
    """The data folder is in use in a way that excludes this use."""


class FolderLock:
    """An advisory lock on ``data_dir``: shared (servers) or exclusive (reindex).

    Raises:
        FolderBusyError: the lock is held incompatibly by another process (or, for an
            exclusive lock, by this one).
    """

    def __init__(self, data_dir: Path, *, exclusive: bool) -> None:
        self._fd: int | None = os.open(Path(data_dir) / LOCK_FILENAME, os.O_RDWR | os.O_CREAT)
        if fcntl is None:  # pragma: no cover
            return
        try:
            fcntl.flock(self._fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            self.release()
            raise FolderBusyError(
                f"{data_dir} is in use by a ragkit server; stop it first, or re-embed while "
                "serving with ragkit serve --reindex"
                if exclusive
                else f"ragkit reindex is re-embedding {data_dir}; wait for it to finish (or "
                "stop it: it resumes later)"
            ) from None

    def release(self) -> None:
        """Let go of the lock (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
