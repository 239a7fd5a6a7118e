"""Resumable upload sessions (``X-Goog-Upload-Protocol: resumable``), below HTTP.

``start`` reserves the file's ID and records the declared size and type; each ``upload``
streams the bytes into the session's part file at the offset the session has reached (any
other offset is rejected, so a client that lost track asks with ``query``); ``finalize``
turns the bytes into a file. A chunk is all or nothing: one that fails or is cut short
leaves the session where it was, so the client resends it from the same offset.
Finalizing again with the same final chunk returns the same file, so a client may retry
a finalize whose answer it never saw.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from datetime import timedelta

import anyio.to_thread

from ragkit import limits
from ragkit.server.errors import aborted, invalid_argument, not_found
from ragkit.server.media import store
from ragkit.server.media.core import FilesCore
from ragkit.server.media.spool import BodyTooLarge, spool
from ragkit.server.media.store import FileRecord, SessionRecord
from ragkit.server.principal import Principal
from ragkit.server.store.dialect import Connection
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
                ALREADY_EXISTS (the name is taken), RESOURCE_EXHAUSTED (open sessions or
                file storage quota).
        """
        display = self._display_name(display_name)
        mime = self._mime_type(mime_type)
        if declared_size is not None:
            self.check_size(declared_size)
        with self._db.write() as conn:
            self.check_sessions(conn, who.email)
            self.check_storage(conn, who.email, declared_size or 0)
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

    def _session(self, conn: Connection, who: Principal, session_id: str) -> SessionRecord:
        session = store.find_session(conn, session_id, self._clock())
        if session is None or session.owner != who.email:
            raise not_found(f"Upload session {session_id!r} not found; it may have expired.")
        return session

    def _finished(self, conn: Connection, session: SessionRecord) -> FileRecord | None:
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

    async def receive_chunk(
        self,
        who: Principal,
        session_id: str,
        offset: int | None,
        body: AsyncIterable[bytes],
        *,
        length: int | None,
        finalize: bool,
    ) -> UploadProgress:
        """Write the chunk ``body`` at ``offset`` as it streams in; with ``finalize``,
        create the file. ``offset`` ``None`` means "where the session stands" (a bare
        finalize); ``length`` is the body's Content-Length, when the client sent one.

        The bytes go straight into the session's part file; a chunk that fails for any
        reason (too long, short of the declared size, the client hung up) is cut back
        off, so the session stays at ``offset`` and the client resends from there.

        Raises:
            ApiError: NOT_FOUND (no such session), INVALID_ARGUMENT (offset other than
                the bytes received, more bytes than declared or allowed, a finalize short
                of the declared size, or an upload after finalize), ABORTED (another
                request is still writing to the session).
        """
        async with self._gate.hold(session_id):
            session, done = await anyio.to_thread.run_sync(self._open_session, who, session_id)
            at = session.received if offset is None else offset
            if session.file_name is not None:
                await self._check_refinalize(session, done, at, body, length, finalize)
                return UploadProgress(session.id, session.received, done)
            self._check_offset(session, at)
            if length is not None:
                self._check_received(session, at + length, finalize)
            writer = await anyio.to_thread.run_sync(self._blobs.open_part, session.id, at)
            try:
                received = at + await self._spool_chunk(session, at, body, writer.write)
                self._check_received(session, received, finalize)
                await anyio.to_thread.run_sync(writer.commit)
                progress = await anyio.to_thread.run_sync(
                    self._commit_chunk, session, at, received, finalize
                )
            except BaseException:
                writer.rollback()
                raise
        return progress

    def _open_session(
        self, who: Principal, session_id: str
    ) -> tuple[SessionRecord, FileRecord | None]:
        with self._db.read() as conn:
            session = self._session(conn, who, session_id)
            return session, self._finished(conn, session)

    async def _check_refinalize(
        self,
        session: SessionRecord,
        done: FileRecord | None,
        offset: int,
        body: AsyncIterable[bytes],
        length: int | None,
        finalize: bool,
    ) -> None:
        """Accept a finalize repeated with the same final chunk (its answer was lost)."""
        finished = invalid_argument("The upload is already finalized.")
        if not finalize or done is None or offset > session.received:
            raise finished
        if length is None:
            try:
                length = await spool(body, _drop, limit=session.received - offset)
            except BodyTooLarge:
                raise finished from None
        if offset + length != session.received:
            raise finished

    def _check_offset(self, session: SessionRecord, offset: int) -> None:
        if offset != session.received:
            raise invalid_argument(
                f"Invalid X-Goog-Upload-Offset {offset}: the upload has received "
                f"{session.received} bytes; send the data from that offset (ask with "
                "X-Goog-Upload-Command: query)."
            )

    async def _spool_chunk(
        self,
        session: SessionRecord,
        offset: int,
        body: AsyncIterable[bytes],
        write: Callable[[bytes | bytearray], object],
    ) -> int:
        ceiling = self.max_file_bytes
        if session.declared_size is not None:
            ceiling = min(ceiling, session.declared_size)
        try:
            return await spool(body, write, limit=ceiling - offset)
        except BodyTooLarge as over:
            self._check_received(session, offset + over.received, False, at_least=True)
            raise  # unreachable: the check above raises for anything over the ceiling

    def _commit_chunk(
        self, session: SessionRecord, offset: int, received: int, finalize: bool
    ) -> UploadProgress:
        """Record the chunk durably written to the part file; finalize if asked."""
        with self._db.write() as conn:
            current = store.find_session(conn, session.id, self._clock())
            if current is None:
                # Cancelled or expired while the chunk streamed in: drop its bytes too.
                self._blobs.discard(session.id)
                raise not_found(f"Upload session {session.id!r} not found; it may have expired.")
            if current.file_name is not None or current.received != offset:
                raise aborted(
                    "The upload session changed while the chunk was sent; ask where it "
                    "stands with X-Goog-Upload-Command: query."
                )
            if current.declared_size is None:
                # An upload of unknown size reserves what it has received so far.
                self.check_storage(conn, current.owner, received - current.received)
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
                # The transaction rolls back to "not finalized": the bytes go back too.
                self._blobs.demote(session.file_id, session.id)
                raise
        return UploadProgress(session.id, received, record)

    def _check_received(
        self, session: SessionRecord, received: int, finalize: bool, *, at_least: bool = False
    ) -> None:
        declared = session.declared_size
        if declared is not None and received > declared:
            raise invalid_argument(
                f"The upload exceeds its declared size: {'at least ' if at_least else ''}"
                f"{received} bytes received, X-Goog-Upload-Header-Content-Length was "
                f"{declared}."
            )
        if received > self.max_file_bytes:
            raise self.too_large(received, at_least=at_least)
        if finalize and declared is not None and received != declared:
            raise invalid_argument(
                f"The upload was finalized after {received} bytes, but "
                f"X-Goog-Upload-Header-Content-Length declared {declared}."
            )


def _drop(data: bytes | bytearray) -> None:
    """A sink that keeps nothing (counting the body of a repeated finalize)."""
