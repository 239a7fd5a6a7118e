"""Resumable upload sessions (``X-Goog-Upload-Protocol: resumable``), below HTTP.

``start`` reserves the file's ID and records the declared size and type; each ``upload``
appends the bytes at the offset the session has reached (any other offset is rejected, so
a client that lost track asks with ``query``); ``finalize`` turns the bytes into a file.
Finalizing again with the same final chunk returns the same file, so a client may retry
a finalize whose answer it never saw.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from datetime import timedelta

from ragkit import limits
from ragkit.server.errors import invalid_argument, not_found
from ragkit.server.media import store
from ragkit.server.media.core import FilesCore
from ragkit.server.media.store import FileRecord, SessionRecord
from ragkit.server.principal import Principal
from ragkit.types import FileSource

__all__ = ["UploadProgress", "UploadsMixin"]


@dataclass(frozen=True)
class UploadProgress:
    """Where a session stands: bytes received, and the file once finalized."""

    session_id: str
    received: int
    file: FileRecord | None


class UploadsMixin(FilesCore):
    def start_upload(
        self,
        who: Principal,
        *,
        requested_name: str | None,
        display_name: str | None,
        mime_type: str | None,
        declared_size: int | None,
    ) -> UploadProgress:
        """Open a session for a file of ``declared_size`` bytes (``None``: unknown).

        Raises:
            ApiError: INVALID_ARGUMENT (name, display name, type, size over the limit),
                ALREADY_EXISTS (the name is taken).
        """
        display = self._display_name(display_name)
        mime = self._mime_type(mime_type)
        if declared_size is not None:
            self.check_size(declared_size)
        with self._db.write() as conn:
            file_id = self._claim_id(conn, requested_name)
            session = SessionRecord(
                id=secrets.token_urlsafe(24),
                owner=who.email,
                file_id=file_id,
                display_name=display,
                mime_type=mime,
                declared_size=declared_size,
                received=0,
                file_name=None,
                expire_time=self._clock() + timedelta(seconds=limits.FILE_TTL_SECONDS),
            )
            store.insert_session(conn, session)
        return UploadProgress(session.id, 0, None)

    def _session(self, conn: sqlite3.Connection, who: Principal, session_id: str) -> SessionRecord:
        session = store.find_session(conn, session_id, self._clock())
        if session is None or session.owner != who.email:
            raise not_found(f"Upload session {session_id!r} not found; it may have expired.")
        return session

    def _finished(self, conn: sqlite3.Connection, session: SessionRecord) -> FileRecord | None:
        if session.file_name is None:
            return None
        return store.find_file(conn, session.file_name, self._clock())

    def query_upload(self, who: Principal, session_id: str) -> UploadProgress:
        """How many bytes the session holds, and its file if finalized."""
        with self._db.read() as conn:
            session = self._session(conn, who, session_id)
            return UploadProgress(session.id, session.received, self._finished(conn, session))

    def cancel_upload(self, who: Principal, session_id: str) -> None:
        """Abandon an unfinished session and its bytes."""
        with self._db.write() as conn:
            session = self._session(conn, who, session_id)
            if session.file_name is not None:
                raise invalid_argument("The upload is already finalized and cannot be cancelled.")
            store.delete_session(conn, session.id)
        self._blobs.discard(session_id)

    def upload_chunk(
        self, who: Principal, session_id: str, offset: int, data: bytes, *, finalize: bool
    ) -> UploadProgress:
        """Append ``data`` at ``offset``; with ``finalize``, create the file.

        Raises:
            ApiError: NOT_FOUND (no such session), INVALID_ARGUMENT (offset other than
                the bytes received, more bytes than declared or allowed, a finalize short
                of the declared size, or an upload after finalize).
        """
        with self._db.write() as conn:
            session = self._session(conn, who, session_id)
            done = self._finished(conn, session)
            if session.file_name is not None:
                if finalize and done is not None and offset + len(data) == session.received:
                    return UploadProgress(session.id, session.received, done)
                raise invalid_argument("The upload is already finalized.")
            if offset != session.received:
                raise invalid_argument(
                    f"Invalid X-Goog-Upload-Offset {offset}: the upload has received "
                    f"{session.received} bytes; send the data from that offset (ask with "
                    "X-Goog-Upload-Command: query)."
                )
            received = offset + len(data)
            self._check_received(session, received, finalize)
            self._blobs.append(session.id, offset, data)
            store.set_received(conn, session.id, received)
            if not finalize:
                return UploadProgress(session.id, received, None)
            digest = self._blobs.promote(session.id, session.file_id, received)
            try:
                record = self._insert(
                    conn,
                    session.owner,
                    session.file_id,
                    session.display_name,
                    session.mime_type,
                    digest,
                    FileSource.UPLOADED,
                )
                store.set_session_file(conn, session.id, session.file_id)
            except BaseException:
                self._blobs.delete(session.file_id)
                raise
        return UploadProgress(session.id, received, record)

    def _check_received(self, session: SessionRecord, received: int, finalize: bool) -> None:
        declared = session.declared_size
        if declared is not None and received > declared:
            raise invalid_argument(
                f"The upload exceeds its declared size: {received} bytes received, "
                f"X-Goog-Upload-Header-Content-Length was {declared}."
            )
        self.check_size(received)
        if finalize and declared is not None and received != declared:
            raise invalid_argument(
                f"The upload was finalized after {received} bytes, but "
                f"X-Goog-Upload-Header-Content-Length declared {declared}."
            )
