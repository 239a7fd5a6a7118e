"""Import and upload operations of File Search stores, run by one background thread.

``importFile`` and ``uploadToFileSearchStore`` answer at once with an operation
(``done: false``); this worker then turns the Files API file into a store document with
ragkit's own ingestion (the loaders and chunker of ``ragkit ingest``: text, Markdown,
HTML, PDF) and the service's own ``create_document`` / ``batch_create_chunks``, acting as
the principal who asked, so every rule (roles, quotas, limits, embedding) applies as for
any client. The document is ``STATE_PENDING`` while its chunks land, then
``STATE_ACTIVE``; any failure marks it ``STATE_FAILED`` and ends the operation with
Google's error (``done: true`` and ``error``).

Operations persist: at startup those a stop interrupted run again, after the document
their first run began (if any) is removed. An upload's intermediate Files API file is
deleted once its operation is done.
"""

from __future__ import annotations

import logging
import mimetypes
import queue
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from ragkit import limits
from ragkit.ingest import ChunkingConfig
from ragkit.ingest.errors import ChunkingConfigError
from ragkit.ingest.sync.plan import batches
from ragkit.names import generate_id
from ragkit.resources._common import custom_metadata
from ragkit.server.errors import ApiError, invalid_argument
from ragkit.server.media import FileService
from ragkit.server.service.file_ingest import prepare_file
from ragkit.server.service.file_search import STORES
from ragkit.server.service.retriever import RetrieverService
from ragkit.server.service.validation import check_metadata, parse_name
from ragkit.server.store.file_search import DocumentFacts, OperationRecord
from ragkit.server.store.work_leases import WORK_LEASE_SECONDS
from ragkit.types import (
    BatchCreateChunksRequest,
    Chunk,
    ChunkData,
    CreateChunkRequest,
    CustomMetadata,
    Document,
    DocumentState,
)
from ragkit.types import ChunkingConfig as WireChunkingConfig
from ragkit.types.status import Code

__all__ = ["FileSearchOperations", "check_chunking", "check_import_request"]

logger = logging.getLogger("ragkit.server")

#: Loaders by MIME type, for files whose display name has no known extension.
_EXTENSIONS = {
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "text/html": ".html",
    "application/pdf": ".pdf",
}
_KNOWN_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
#: How often, and how long, a write refused because the embedder is busy is retried.
_BUSY_RETRIES = 60
_BUSY_PAUSE_SECONDS = 1.0
#: How often finished operations past their lifetime are forgotten.
_PURGE_INTERVAL_SECONDS = 3600.0


def check_chunking(config: WireChunkingConfig | None) -> ChunkingConfig:
    """ragkit's chunking for a request's ``chunkingConfig`` (tokens are cl100k tokens
    here, words at Google).

    Raises:
        ApiError: INVALID_ARGUMENT for sizes outside Google's bounds.
    """
    white = config.white_space_config if config is not None else None
    if white is None:
        return ChunkingConfig(context=False)
    size = white.max_tokens_per_chunk
    overlap = white.max_overlap_tokens or 0
    if size is None:
        size = ChunkingConfig().chunk_tokens
    if not 1 <= size <= limits.MAX_WHITE_SPACE_TOKENS_PER_CHUNK:
        raise invalid_argument(
            "Invalid value at 'chunking_config.white_space_config.max_tokens_per_chunk': "
            f"{size}; it must be between 1 and {limits.MAX_WHITE_SPACE_TOKENS_PER_CHUNK}."
        )
    if not 0 <= overlap < size:
        raise invalid_argument(
            "Invalid value at 'chunking_config.white_space_config.max_overlap_tokens': "
            f"{overlap}; it must be at least 0 and less than max_tokens_per_chunk ({size})."
        )
    # ragkit's chunker needs a few tokens per chunk to make progress.
    size = max(size, 16)
    try:
        return ChunkingConfig(
            chunk_tokens=size, overlap_tokens=min(overlap, size - 1), context=False
        )
    except ChunkingConfigError as exc:
        raise invalid_argument(f"Invalid chunking_config: {exc}.") from None


def check_import_request(
    metadata: list[CustomMetadata] | None, chunking: WireChunkingConfig | None
) -> dict[str, Any]:
    """Validate the options shared by import and upload; their stored (wire) form."""
    stored: dict[str, Any] = {}
    entries = check_metadata(metadata)
    if entries:
        stored["customMetadata"] = entries
    check_chunking(chunking)
    if chunking is not None:
        stored["chunkingConfig"] = chunking.to_wire()
    return stored


class _Stopped(Exception):
    """The server is stopping while an import waits for the embedder."""


@dataclass(frozen=True)
class _Imported:
    document: str
    mime_type: str
    size_bytes: int


class FileSearchOperations:
    """The worker behind the import and upload operations (see the module docstring).

    Example::

        ops = FileSearchOperations.open(service, files)
        ops.submit(record)      # an OperationRecord with its file
        ops.close()
    """

    def __init__(
        self, service: RetrieverService, files: FileService, *, poll_seconds: float | None = None
    ) -> None:
        self._service = service
        self._files = files
        self._poll_seconds = WORK_LEASE_SECONDS if poll_seconds is None else poll_seconds
        self._queue: queue.Queue[OperationRecord | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._stopping = threading.Event()

    @classmethod
    def open(
        cls, service: RetrieverService, files: FileService, *, poll_seconds: float | None = None
    ) -> FileSearchOperations:
        """Start the worker and queue the operations a previous run left unfinished.

        Every ``poll_seconds`` (default: a lease period) of idleness the worker also
        adopts the operations whose server died (see
        :meth:`RetrieverService.unleased_file_search_operations`)."""
        ops = cls(service, files, poll_seconds=poll_seconds)
        pending = service.pending_file_search_operations()
        for record in pending if isinstance(pending, list) else []:
            ops.submit(record)
        ops._worker = threading.Thread(target=ops._loop, name="ragkit-file-search", daemon=True)
        ops._worker.start()
        return ops

    def submit(self, record: OperationRecord) -> None:
        """Run ``record`` (whose file is known) in the background."""
        self._queue.put(record)

    def close(self) -> None:
        """Stop after the operation in progress; unfinished ones resume at the next start."""
        self._stopping.set()
        self._queue.put(None)
        if self._worker is not None:
            self._worker.join()

    def _loop(self) -> None:
        purged = time.monotonic()
        while True:
            try:
                # Waking once per lease period also adopts operations whose server died.
                record = self._queue.get(timeout=self._poll_seconds)
            except queue.Empty:
                if time.monotonic() - purged >= _PURGE_INTERVAL_SECONDS:
                    purged = time.monotonic()
                    self._purge()
                self._adopt_unleased()
                continue
            if record is None or self._stopping.is_set():
                return
            try:
                self._run(record)
            except Exception:
                # The worker outlives one bad operation; it resumes at the next start.
                logger.exception("file search worker: operation %s failed", record.name)

    def _adopt_unleased(self) -> None:
        try:
            for record in self._service.unleased_file_search_operations():
                if record.file_name is not None:
                    self._queue.put(record)
        except Exception:
            logger.exception("file search worker: looking for abandoned operations failed")

    def _purge(self) -> None:
        try:
            self._service.purge_file_search_operations()
        except Exception:
            logger.exception("file search worker: purging old operations failed")

    def _run(self, record: OperationRecord) -> None:
        current = self._service.file_search_operation(record.name)
        if current is None or current.done or current.file_name is None:
            return  # deleted with its store, or already finished
        if not self._service.claim_file_search_operation(current):
            return  # another server is running it
        if current.document_name is not None:
            # A previous run was interrupted: start over from a clean slate.
            with suppress(ApiError):
                self._service.delete_document(current.owner, current.document_name, force=True)
        try:
            imported = self._import(current)
        except _Stopped:
            return  # the next start runs it again
        except ApiError as exc:
            self._service.finish_file_search_operation(
                current, {"error": {"code": exc.code.value, "message": exc.message}}
            )
        except Exception:
            # A bug, not the file's fault: log it, and end the operation so nobody polls
            # forever.
            logger.exception("file search worker: operation %s failed", current.name)
            message = f"The import of {current.file_name} failed on the server; see its log."
            self._service.finish_file_search_operation(
                current, {"error": {"code": Code.INTERNAL.value, "message": message}}
            )
        else:
            store = f"{STORES}/{parse_name(imported.document, 'corpora', 'documents')[0]}"
            document_id = imported.document.rsplit("/", 1)[1]
            response: dict[str, Any] = {
                "parent": store,
                "documentName": f"{store}/documents/{document_id}",
            }
            if current.kind == "upload":
                response["mimeType"] = imported.mime_type
                response["sizeBytes"] = str(imported.size_bytes)
            self._service.finish_file_search_operation(current, {"response": response})
        if current.kind == "upload":
            with suppress(ApiError):
                self._files.delete_file(current.owner, current.file_name)

    def _import(self, op: OperationRecord) -> _Imported:
        assert op.file_name is not None
        who = op.owner
        record, data = self._files.read_any_state(who, op.file_name)
        if len(data) > limits.MAX_FILE_SEARCH_FILE_BYTES:
            raise invalid_argument(
                f"File {op.file_name} is {len(data)} bytes; File Search imports files of at "
                f"most {limits.MAX_FILE_SEARCH_FILE_BYTES} bytes (100 MB)."
            )
        request = op.request
        mime = request.get("mimeType") or record.mime_type
        named = request.get("displayName") or record.display_name
        source = _source_name(named or record.name, mime)
        chunking = check_chunking(
            WireChunkingConfig.model_validate(request["chunkingConfig"])
            if "chunkingConfig" in request
            else None
        )
        prepared = prepare_file(source, data, chunking, generate_id(named), shown=op.file_name)
        # Unnamed uploads take the file's own title (a PDF's, a Markdown heading), as
        # their document is cited by it.
        display = named or prepared.display_name
        # Operation names are fileSearchStores/{store}/[upload/]operations/{id}.
        parent = f"corpora/{op.name.split('/')[1]}"
        user_metadata = [
            CustomMetadata.model_validate(e) for e in request.get("customMetadata", [])
        ]
        document = self._service.create_document(
            who, parent, Document(display_name=display, custom_metadata=user_metadata or None)
        )
        name = document.name or ""
        facts = DocumentFacts(DocumentState.STATE_PENDING.value, len(data), mime)
        self._service.track_file_search_document(op, name, facts)
        try:
            for batch in batches(prepared.chunks):
                requests = [
                    CreateChunkRequest(
                        chunk=Chunk(
                            data=ChunkData(string_value=item.text),
                            custom_metadata=custom_metadata(item.metadata),
                        )
                    )
                    for item in batch
                ]
                self._when_not_busy(
                    lambda r=requests: self._service.batch_create_chunks(
                        who, name, BatchCreateChunksRequest(requests=r)
                    )
                )
        except _Stopped:
            raise  # stays PENDING; the next start removes it and imports again
        except BaseException:
            self._service.set_file_search_document_state(op, name, DocumentState.STATE_FAILED)
            raise
        self._service.set_file_search_document_state(op, name, DocumentState.STATE_ACTIVE)
        return _Imported(name, mime, len(data))

    def _when_not_busy(self, write: Any) -> None:
        """Run ``write``, waiting while the embedder refuses bulk work (429 with
        Retry-After): a background import waits its turn instead of failing."""
        for _ in range(_BUSY_RETRIES):
            try:
                write()
                return
            except ApiError as exc:
                busy = exc.code is Code.RESOURCE_EXHAUSTED and exc.retry_after is not None
                if not busy:
                    raise
                if self._stopping.is_set():
                    raise _Stopped from None
                time.sleep(_BUSY_PAUSE_SECONDS)
        write()


def _source_name(display: str, mime: str) -> str:
    """A file name whose extension picks the loader: the display name if it has a known
    one, else the display name plus the MIME type's extension."""
    base = display.replace("\\", "/").rsplit("/", 1)[-1].strip() or "document"
    if base.lower().endswith(_KNOWN_SUFFIXES):
        return base
    suffix = _EXTENSIONS.get(mime.split(";")[0].strip().lower())
    if suffix is None:
        if mime.startswith("text/"):
            suffix = ".txt"
        else:
            guessed = mimetypes.guess_extension(mime) or ""
            raise invalid_argument(
                f"Unsupported MIME type {mime!r}{' (' + guessed + ')' if guessed else ''}: "
                "File Search on this server imports text, Markdown, HTML and PDF files."
            )
    return base + suffix
