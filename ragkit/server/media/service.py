"""The Files API below HTTP: stored files, their lifecycle, and their text.

A file belongs to the principal who uploaded it; anyone else asking for it gets the
answer Google gives for a file that does not exist (403 PERMISSION_DENIED "... or it may
not exist"). Files expire 48 hours after creation: expired files vanish from get and
list at once and are purged (row and blob) by the background worker.

States: text files are ``ACTIVE`` as soon as they are uploaded; PDFs (and text files over
8 MiB) start ``PROCESSING`` while a worker thread extracts their text, then become
``ACTIVE`` (or ``FAILED`` with an ``error`` when pypdf cannot read them); other types are
``ACTIVE`` but have no text for the local model.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import AsyncIterable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio.to_thread

from ragkit import limits
from ragkit.server.errors import (
    failed_precondition,
    not_found,
    permission_denied,
)
from ragkit.server.media import store
from ragkit.server.media.blobs import BlobStore, StagedBlob
from ragkit.server.media.core import extraction_lease
from ragkit.server.media.extract import ExtractionError, extract_file_text
from ragkit.server.media.spool import BodyTooLarge, spool
from ragkit.server.media.storage import Clock, open_database, system_clock
from ragkit.server.media.store import FileRecord
from ragkit.server.media.uploads import UploadsMixin
from ragkit.server.media.wire import file_id_of
from ragkit.server.principal import Principal
from ragkit.server.service.paging import cursor, keyset, resolve_page_size
from ragkit.server.service.quotas import Quotas
from ragkit.types import Code, FileSource, FileState

__all__ = ["FILES_DATABASE", "FileService"]

logger = logging.getLogger("ragkit.server")

#: The SQLite file of the Files API inside the data directory.
FILES_DATABASE = "files.sqlite3"
_PURGE_INTERVAL_SECONDS = 600.0


class FileService(UploadsMixin):
    """Files stored under ``data_dir/files/`` with metadata in ``data_dir/files.sqlite3``.

    Example::

        files = FileService.open(Path("data"))
        record = files.create_file(
            LOCAL_USER, requested_name=None, display_name="notes", mime_type="text/plain",
            data=b"hi",
        )
        files.file_text(LOCAL_USER, f"files/{record.name}")   # ('text/plain', 'hi')
        files.close()
    """

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        clock: Clock = system_clock,
        max_file_bytes: int = limits.MAX_FILE_BYTES,
        quotas: Quotas | None = None,
        database_url: str | None = None,
        lease_seconds: float | None = None,
    ) -> FileService:
        """Open the store in ``data_dir``, clean up after a crash, start the worker.

        ``quotas`` bounds each user's file storage and open upload sessions. With
        ``database_url`` the rows live in PostgreSQL (the blobs stay in ``data_dir``,
        which every server on the database must share). Each PROCESSING file is
        extracted by the one server holding its lease; a file whose server died is
        picked up by another once the lease (``lease_seconds``, default 30) lapses.
        """
        db, pages = open_database(
            Path(data_dir),
            FILES_DATABASE,
            store.FILE_MIGRATIONS,
            database_url=database_url,
            pg_migrations=store.FILE_PG_MIGRATIONS,
        )
        blobs = BlobStore(Path(data_dir) / "files")
        service = cls(db, pages, blobs, clock, max_file_bytes, quotas, lease_seconds)
        service._recover()
        service._worker = threading.Thread(
            target=service._extract_loop, name="ragkit-files", daemon=True
        )
        service._worker.start()
        return service

    def _recover(self) -> None:
        self.purge_expired()
        with self._db.read() as conn:
            names = store.all_file_names(conn)
            sessions = store.all_session_ids(conn)
        # Blobs without a row were written by a request that never committed.
        for orphan in self._blobs.names() - names:
            self._blobs.delete(orphan)
        for orphan in self._blobs.session_ids() - sessions:
            self._blobs.discard(orphan)
        self._blobs.remove_staged()
        self._queue_unleased()

    def _queue_unleased(self) -> None:
        """Queue the PROCESSING files no server holds a live lease on (left by a stop, or
        by a server that died)."""
        with self._db.read() as conn:
            pending = store.processing_files(conn, FileState.PROCESSING.value)
            leased = self._leases.held_anywhere(conn)
        for record in pending:
            if extraction_lease(record.name) not in leased:
                self._queue.put(record.name)

    def close(self) -> None:
        """Stop the worker, drop this server's leases and close the database."""
        self._queue.put(None)
        if self._worker is not None:
            self._worker.join()
        self._leases.close()
        self._db.close()

    # -- reading -------------------------------------------------------------------------

    def _owned(self, conn: Any, who: Principal, name: str) -> FileRecord:
        file_id = file_id_of(name)
        record = store.find_file(conn, file_id, self._clock())
        if record is None or record.owner != who.email:
            raise permission_denied(
                f"You do not have permission to access the File {file_id} or it may not exist."
            )
        return record

    def get_file(self, who: Principal, name: str) -> FileRecord:
        """The file ``files/{id}`` of ``who``.

        Raises:
            ApiError: PERMISSION_DENIED if it does not exist, expired or is someone else's.
        """
        with self._db.read() as conn:
            return self._owned(conn, who, name)

    def list_files(
        self, who: Principal, *, page_size: int | None, page_token: str | None
    ) -> tuple[list[FileRecord], str | None]:
        """``who``'s unexpired files, oldest first (page size default 10, max 100)."""
        size = resolve_page_size(page_size, limits.MAX_FILES_PAGE_SIZE)
        scope = ("files", who.email, size)
        after = cursor(self._pages.read(page_token, *scope))
        with self._db.read() as conn:
            found = store.list_files(conn, who.email, self._clock(), after=after, limit=size + 1)
        return self._pages.page(found, size, lambda r: keyset(r.create_time, r.id), *scope)

    def download(self, who: Principal, name: str) -> tuple[FileRecord, Iterator[bytes]]:
        """The file and its bytes, streamed in pieces."""
        record = self.get_file(who, name)
        return record, self._blobs.stream(record.name)

    def read_bytes(self, who: Principal, name: str) -> tuple[FileRecord, bytes]:
        """An ACTIVE file of ``who`` and its whole content (batch input files).

        Raises:
            ApiError: PERMISSION_DENIED (missing), FAILED_PRECONDITION (not ACTIVE).
        """
        record = self.get_file(who, name)
        self._require_active(record)
        return record, self._blobs.read(record.name)

    def read_any_state(self, who: Principal, name: str) -> tuple[FileRecord, bytes]:
        """A file of ``who`` and its bytes, whatever its state (a PDF is PROCESSING while
        its text is extracted for generation; File Search reads the bytes themselves).

        Raises:
            ApiError: PERMISSION_DENIED (missing, expired or someone else's).
        """
        record = self.get_file(who, name)
        return record, self._blobs.read(record.name)

    def file_text(self, who: Principal, file_uri: str) -> tuple[str, str]:
        """``(mime_type, text)`` of the file a ``fileData.fileUri`` names, for generation.

        ``file_uri`` may be ``files/{id}`` or the file's ``uri`` on any host.

        Raises:
            ApiError: INVALID_ARGUMENT (not a file name or URI), NOT_FOUND (missing,
                expired or not ``who``'s), FAILED_PRECONDITION (still PROCESSING, FAILED,
                or a type without text such as an image).
        """
        file_id = file_id_of(file_uri)
        with self._db.read() as conn:
            record = store.find_file(conn, file_id, self._clock())
            if record is None or record.owner != who.email:
                raise not_found(f"File files/{file_id} was not found or may have expired.")
            text = store.file_text(conn, record.id)
        self._require_active(record)
        if text is None:
            raise failed_precondition(
                f"File files/{file_id} has MIME type {record.mime_type}, which this server's "
                "local models cannot read; only text and PDF files are supported."
            )
        return record.mime_type, text

    @staticmethod
    def _require_active(record: FileRecord) -> None:
        if record.state != FileState.ACTIVE.value:
            raise failed_precondition(
                f"The File {record.name} is not in an ACTIVE state and usage is not allowed."
            )

    # -- writing -------------------------------------------------------------------------

    def create_file(
        self,
        who: Principal,
        *,
        requested_name: str | None,
        display_name: str | None,
        mime_type: str | None,
        data: bytes,
    ) -> FileRecord:
        """Store a file whose bytes are at hand (metadata-only creates; uploads stream
        through :meth:`receive_file`).

        Raises:
            ApiError: INVALID_ARGUMENT (name, display name, MIME type, size),
                ALREADY_EXISTS (the name is taken), RESOURCE_EXHAUSTED (storage quota).
        """
        display = self._display_name(display_name)
        mime = self._mime_type(mime_type)
        self.check_size(len(data))
        with self._db.write() as conn:
            self.check_storage(conn, who.email, len(data))
            file_id = self._claim_id(conn, requested_name)
            digest = self._blobs.write(file_id, data)
            try:
                record = self._insert(
                    conn, who.email, file_id, display, mime, digest, FileSource.UPLOADED
                )
            except BaseException:
                self._blobs.delete(file_id)
                raise
        return record

    async def receive_file(
        self,
        who: Principal,
        *,
        requested_name: str | None,
        display_name: str | None,
        mime_type: str | None,
        body: AsyncIterable[bytes],
        length: int | None = None,
    ) -> FileRecord:
        """Store a one-shot upload (raw media, a multipart's media part) as it streams in.

        The bytes go to a staged file beside the blobs, in pieces of at most 1 MiB, and
        become the file by rename once complete; an upload that fails for any reason
        (too large, name taken, the client hung up) leaves neither blob nor record.
        ``length`` (the body's Content-Length) lets an oversized body be refused before
        a byte of it is read; without it the limit stops the body as it passes.

        Raises:
            ApiError: INVALID_ARGUMENT (name, display name, MIME type, size),
                ALREADY_EXISTS (the name is taken), RESOURCE_EXHAUSTED (storage quota).
        """
        display = self._display_name(display_name)
        mime = self._mime_type(mime_type)
        if length is not None:
            self.check_size(length)
        # Refuse a taken name or a full quota before receiving the bytes; the commit
        # checks again.
        await anyio.to_thread.run_sync(self._check_can_store, who, requested_name, length or 0)
        staged = await anyio.to_thread.run_sync(self._blobs.stage)
        try:
            try:
                await spool(body, staged.write, limit=self.max_file_bytes)
            except BodyTooLarge as over:
                raise self.too_large(over.received, at_least=True) from None
            return await anyio.to_thread.run_sync(
                self._adopt, who, requested_name, display, mime, staged
            )
        finally:
            staged.discard()

    def _check_can_store(self, who: Principal, requested_name: str | None, size: int) -> None:
        with self._db.read() as conn:
            self.check_storage(conn, who.email, size)
            if requested_name:
                self._claim_id(conn, requested_name)

    def _adopt(
        self,
        who: Principal,
        requested_name: str | None,
        display_name: str,
        mime_type: str,
        staged: StagedBlob,
    ) -> FileRecord:
        with self._db.write() as conn:
            self.check_storage(conn, who.email, staged.size)
            file_id = self._claim_id(conn, requested_name)
            digest = self._blobs.adopt(staged, file_id)
            try:
                return self._insert(
                    conn, who.email, file_id, display_name, mime_type, digest, FileSource.UPLOADED
                )
            except BaseException:
                self._blobs.delete(file_id)
                raise

    def create_generated(self, owner: str, file_id: str, mime_type: str, data: bytes) -> FileRecord:
        """Store a file the server produced (a batch job's responses file) for ``owner``.

        An existing file of the same ID is replaced (a resumed job writes it again).
        """
        with self._db.write() as conn:
            old = store.find_file(conn, file_id, self._clock())
            if old is not None:
                store.delete_file(conn, old.id)
            digest = self._blobs.write(file_id, data)
            record = self._insert(conn, owner, file_id, "", mime_type, digest, FileSource.GENERATED)
        return record

    def delete_file(self, who: Principal, name: str) -> None:
        """Delete ``files/{id}`` and its bytes.

        Raises:
            ApiError: PERMISSION_DENIED if it does not exist or is someone else's (as
                Google answers a second delete).
        """
        with self._db.write() as conn:
            record = self._owned(conn, who, name)
            store.delete_file(conn, record.id)
            self._db.after_commit(lambda: self._blobs.delete(record.name))

    def delete_generated(self, file_id: str) -> None:
        """Delete a file the server produced (``batch-...``), whoever owns it."""
        with self._db.write() as conn:
            record = store.find_file(conn, file_id, self._clock())
            if record is not None:
                store.delete_file(conn, record.id)
                self._db.after_commit(lambda: self._blobs.delete(file_id))

    def purge_expired(self) -> list[str]:
        """Delete every expired file and upload session now; returns the file IDs purged."""
        with self._db.write() as conn:
            names = store.expired_files(conn, self._clock())
            live = store.all_session_ids(conn)
        for name in names:
            self._blobs.delete(name)
        for session_id in self._blobs.session_ids() - live:
            self._blobs.discard(session_id)
        return names

    # -- extraction worker ---------------------------------------------------------------

    def _extract_loop(self) -> None:
        purged = time.monotonic()
        while True:
            try:
                # Waking once per lease period also adopts files whose server died.
                file_id = self._queue.get(timeout=self._leases.seconds)
            except queue.Empty:
                if time.monotonic() - purged >= _PURGE_INTERVAL_SECONDS:
                    purged = time.monotonic()
                    self._safely(self.purge_expired)
                self._safely(self._queue_unleased)
                continue
            if file_id is None:
                return
            self._safely(self._extract, file_id)

    @staticmethod
    def _safely(job: Callable[..., object], *args: object) -> None:
        try:
            job(*args)
        except Exception:
            # The worker must outlive one bad file; the file stays PROCESSING and is
            # retried when the server next opens.
            logger.exception("files worker: job failed")

    def _extract(self, file_id: str) -> None:
        lease = extraction_lease(file_id)
        with self._db.write() as conn:
            record = store.find_file(conn, file_id, self._clock())
            if record is None or record.state != FileState.PROCESSING.value:
                self._leases.release(conn, lease)
                return
            if not self._leases.take(conn, lease):
                return  # another server is extracting it
        state, text, error = FileState.ACTIVE, None, None
        try:
            text = extract_file_text(record.mime_type, self._blobs.path(file_id))
        except ExtractionError as problem:
            state = FileState.FAILED
            message = f"File files/{file_id} could not be processed: {problem}."
            error = {"code": Code.INVALID_ARGUMENT.value, "message": message}
        with self._db.write() as conn:
            current = store.find_file(conn, file_id, self._clock())
            if current is not None and current.id == record.id:
                store.set_state(
                    conn, record.id, state.value, error=error, text=text, now=self._clock()
                )
            self._leases.release(conn, lease)
