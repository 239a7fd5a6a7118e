"""State and request checks shared by the parts of :class:`~ragkit.server.media.FileService`."""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio

from ragkit import limits
from ragkit._exceptions import ResourceNameError
from ragkit.names import generate_id, validate_id
from ragkit.server.errors import (
    ApiError,
    aborted,
    already_exists,
    invalid_argument,
    resource_exhausted,
)
from ragkit.server.media import store
from ragkit.server.media.blobs import BlobStore, Digest
from ragkit.server.media.extract import extract_text, has_text, is_pdf
from ragkit.server.media.storage import Clock
from ragkit.server.media.store import FileRecord
from ragkit.server.service.paging import PageTokens
from ragkit.server.service.quotas import Quotas
from ragkit.server.store import Database
from ragkit.server.store.dialect import Connection
from ragkit.server.store.work_leases import WorkLeases, new_holder
from ragkit.types import FileSource, FileState

__all__ = ["DEFAULT_MIME_TYPE", "INLINE_TEXT_BYTES", "FilesCore", "SessionGate"]

#: The type of an upload that names none.
DEFAULT_MIME_TYPE = "application/octet-stream"
#: Text files up to this size are read at upload; larger ones go to the worker, so a
#: request never holds the write lock while decoding a huge file.
INLINE_TEXT_BYTES = 8 * 1024 * 1024
_MIME = re.compile(r"[A-Za-z0-9][\w.+-]*/[\w.+-]+(\s*;.*)?")
#: How long a chunk waits for another request still writing to the same session (a
#: client retrying before the server has noticed its first attempt died).
SESSION_WAIT_SECONDS = 10.0


class SessionGate:
    """One request at a time writes to an upload session; the others queue briefly.

    Used from the event loop only, so it needs no thread lock.
    """

    def __init__(self, wait_seconds: float = SESSION_WAIT_SECONDS) -> None:
        self.wait_seconds = wait_seconds
        self._busy: dict[str, anyio.Event] = {}

    @asynccontextmanager
    async def hold(self, session_id: str) -> AsyncIterator[None]:
        """Hold ``session_id`` for the block.

        Raises:
            ApiError: ABORTED if another request still holds it after ``wait_seconds``.
        """
        with anyio.move_on_after(self.wait_seconds):
            while (busy := self._busy.get(session_id)) is not None:
                await busy.wait()
        if session_id in self._busy:
            raise aborted(
                "Another request is still uploading to this session; ask where it stands "
                "with X-Goog-Upload-Command: query and resume from there."
            )
        done = self._busy[session_id] = anyio.Event()
        try:
            yield
        finally:
            del self._busy[session_id]
            done.set()


def extraction_lease(file_id: str) -> str:
    """The work lease of extracting file ``file_id``'s text."""
    return f"extract:{file_id}"


class FilesCore:
    """Database, blobs, clock, size limit, quotas and the extraction queue."""

    def __init__(
        self,
        db: Database,
        pages: PageTokens,
        blobs: BlobStore,
        clock: Clock,
        max_file_bytes: int,
        quotas: Quotas | None = None,
        lease_seconds: float | None = None,
    ) -> None:
        self._db = db
        self._pages = pages
        self._blobs = blobs
        self._clock = clock
        self.max_file_bytes = max_file_bytes
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._gate = SessionGate()
        self.quotas = quotas or Quotas()
        # Which server extracts a PROCESSING file: the one holding its lease.
        self._leases = WorkLeases(db, new_holder(), seconds=lease_seconds)

    def check_size(self, size: int) -> None:
        """Raises ApiError INVALID_ARGUMENT if ``size`` bytes exceed the per-file limit."""
        if size > self.max_file_bytes:
            raise self.too_large(size)

    def too_large(self, size: int, *, at_least: bool = False) -> ApiError:
        """The INVALID_ARGUMENT for a file of ``size`` bytes (``at_least``: a body cut off
        at the limit, whose full size is unknown)."""
        return invalid_argument(
            f"File too large: {'at least ' if at_least else ''}{size} bytes; this server "
            f"accepts files of at most {self.max_file_bytes} bytes."
        )

    def check_storage(self, conn: Connection, owner: str, adding: int) -> None:
        """Raises ApiError RESOURCE_EXHAUSTED if ``owner`` storing ``adding`` more bytes
        would pass ``max_file_bytes_per_user``; call it in the transaction that stores
        them."""
        limit = self.quotas.max_file_bytes_per_user
        if limit is None:
            return
        used = store.owner_usage(conn, owner, self._clock()).stored_bytes
        if used + adding > limit:
            raise resource_exhausted(
                f"Quota exceeded for file storage per user (max_file_bytes_per_user): "
                f"{owner} stores {used} of {limit} bytes (files and open uploads) and this "
                f"upload needs {adding} more; delete files or cancel uploads first."
            )

    def check_sessions(self, conn: Connection, owner: str) -> None:
        """Raises ApiError RESOURCE_EXHAUSTED if ``owner`` holds its quota of open upload
        sessions (``max_upload_sessions_per_user``)."""
        limit = self.quotas.max_upload_sessions_per_user
        if limit is None:
            return
        sessions = store.owner_usage(conn, owner, self._clock()).open_sessions
        if sessions >= limit:
            raise resource_exhausted(
                f"Quota exceeded for open upload sessions per user "
                f"(max_upload_sessions_per_user): {owner} has {sessions} of {limit} open; "
                "finish or cancel one first."
            )

    @staticmethod
    def _display_name(value: str | None) -> str:
        value = value or ""
        if len(value) > limits.MAX_DISPLAY_NAME_LENGTH:
            raise invalid_argument(
                f"Invalid value at 'file.displayName': at most {limits.MAX_DISPLAY_NAME_LENGTH} "
                f"characters are allowed, got {len(value)}."
            )
        return value

    @staticmethod
    def _mime_type(value: str | None) -> str:
        value = (value or "").strip() or DEFAULT_MIME_TYPE
        if not _MIME.fullmatch(value):
            raise invalid_argument(
                f"Invalid value at 'file.mimeType': {value!r} is not a MIME type."
            )
        return value

    @staticmethod
    def _requested_id(name: str) -> str:
        value = name.removeprefix("files/")
        if "/" in value:
            raise invalid_argument(f"file name {name!r} must be of the form files/ID.")
        try:
            return validate_id(value, kind="file")
        except ResourceNameError as error:
            raise invalid_argument(str(error)) from None

    def _claim_id(self, conn: Connection, requested_name: str | None) -> str:
        if requested_name:
            file_id = self._requested_id(requested_name)
            if store.file_name_taken(conn, file_id):
                raise already_exists(f"File files/{file_id} already exists.")
            return file_id
        file_id = generate_id()
        while store.file_name_taken(conn, file_id):
            file_id = generate_id()
        return file_id

    def _insert(
        self,
        conn: Connection,
        owner: str,
        file_id: str,
        display_name: str,
        mime_type: str,
        digest: Digest,
        source: FileSource,
    ) -> FileRecord:
        """Record the complete blob ``file_id``; small text files get their text now, PDFs
        and large text files are queued for the worker once the transaction commits."""
        now = self._clock()
        state, text = FileState.ACTIVE, None
        if is_pdf(mime_type) or (has_text(mime_type) and digest[0] > INLINE_TEXT_BYTES):
            state = FileState.PROCESSING
        elif has_text(mime_type):
            text = extract_text(mime_type, self._blobs.read(file_id))
        record = FileRecord(
            id=0,
            name=file_id,
            owner=owner,
            display_name=display_name,
            mime_type=mime_type,
            size_bytes=digest[0],
            sha256=digest[1],
            state=state.value,
            error=None,
            source=source.value,
            create_time=now,
            update_time=now,
            expire_time=now + timedelta(seconds=limits.FILE_TTL_SECONDS),
        )
        record = store.insert_file(conn, record, text)
        if state is FileState.PROCESSING:
            self._leases.take(conn, extraction_lease(file_id))
            self._db.after_commit(lambda: self._queue.put(file_id))
        return record
