"""``client.file_search_stores``: Google's File Search stores, the RAG API behind the
``fileSearch`` tool of ``generate_content``.

REST: ``v1beta/fileSearchStores[/{store}]``, ``{store}:importFile`` and the media upload
``upload/v1beta/{store}:uploadToFileSearchStore``. A store may be named in full
(``"fileSearchStores/my-store-123a456b789c"``) or by its bare ID. Both ways in return a
long-running operation; :meth:`FileSearchStoreOperations.wait` waits for it, and
:meth:`FileSearchStores.upload_and_wait` does the whole round::

    store = client.file_search_stores.create(display_name="Handbook")
    document = client.file_search_stores.upload_and_wait(
        store.name, "manual.pdf", custom_metadata={"year": 2024}
    )
    reply = client.models.generate_content(
        "gemini-2.5-flash",
        contents="How do I reset the device?",
        tools=[{"file_search": {"file_search_store_names": [store.name]}}],
    )
"""

from __future__ import annotations

from functools import cached_property

from ragkit._operations import DEFAULT_OPERATION_TIMEOUT, DEFAULT_POLL_INTERVAL
from ragkit._pagination import AsyncPager, SyncPager
from ragkit._upload import (
    DEFAULT_CHUNK_SIZE,
    FileInput,
    ProgressCallback,
    UploadSource,
    run_upload,
    run_upload_async,
)
from ragkit.resources._common import AsyncAPIResource, MetadataInput, SyncAPIResource
from ragkit.resources.file_search_stores import _requests as build
from ragkit.resources.file_search_stores._requests import ChunkingInput
from ragkit.resources.file_search_stores.documents import (
    AsyncFileSearchStoreDocuments,
    FileSearchStoreDocuments,
)
from ragkit.resources.file_search_stores.operations import (
    AsyncFileSearchStoreOperations,
    FileSearchStoreOperations,
)
from ragkit.types import (
    FileSearchStore,
    FileSearchStoreDocument,
    ImportFileOperation,
    ListFileSearchStoresResponse,
    UploadToFileSearchStoreOperation,
)

__all__ = ["AsyncFileSearchStores", "FileSearchStores", "ProgressCallback"]


def _stores(page: ListFileSearchStoresResponse) -> list[FileSearchStore] | None:
    return page.file_search_stores


class FileSearchStores(SyncAPIResource):
    """File Search stores (``fileSearchStores/{store}``), their documents and operations."""

    @cached_property
    def documents(self) -> FileSearchStoreDocuments:
        """The documents of a store."""
        return FileSearchStoreDocuments(self._client)

    @cached_property
    def operations(self) -> FileSearchStoreOperations:
        """The operations of uploads and imports: ``get`` and ``wait``."""
        return FileSearchStoreOperations(self._client)

    def create(
        self, *, display_name: str | None = None, embedding_model: str | None = None
    ) -> FileSearchStore:
        """Create a store; its ID is derived from ``display_name`` plus a random suffix.

        Raises:
            RateLimitError: the caller already has as many stores as the quota allows.
        """
        return self._client._request(build.create(display_name, embedding_model))

    def get(self, name: str) -> FileSearchStore:
        """Fetch a store with its document counters and ``size_bytes``."""
        return self._client._request(build.get(name))

    def list(
        self, *, page_size: int | None = None
    ) -> SyncPager[ListFileSearchStoresResponse, FileSearchStore]:
        """The caller's stores (``page_size`` <= 20)."""
        return self._client._pager(build.list_stores(page_size), _stores)

    def delete(self, name: str, *, force: bool = False) -> None:
        """Delete a store; ``force=True`` also deletes its documents.

        Raises:
            FailedPreconditionError: the store has documents and ``force`` is false.
        """
        return self._client._request(build.delete(name, force))

    def upload_to_file_search_store(
        self,
        store: str,
        file: FileInput,
        *,
        mime_type: str | None = None,
        display_name: str | None = None,
        custom_metadata: MetadataInput | None = None,
        chunking_config: ChunkingInput | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
    ) -> UploadToFileSearchStoreOperation:
        """Upload a path, bytes or binary file object into ``store`` (resumable protocol)
        and return the indexing operation (wait for it with ``operations.wait``).

        ``mime_type`` is guessed from the file name when not given (bytes need it);
        ``display_name`` is the title citations show (unnamed, the server titles the
        document from its contents); ``custom_metadata`` takes ``{"author": "Ada",
        "year": 1843, "tags": ["a", "b"]}`` (at most 20 entries) and is what
        ``metadata_filter`` of the ``fileSearch`` tool filters on; ``chunking_config``
        takes ``{"max_tokens_per_chunk": 200, "max_overlap_tokens": 20}``. The data goes
        in ``chunk_size`` pieces; after each, ``on_progress(bytes_sent, total_bytes)`` is
        called.

        Raises:
            LimitError: the file is over ``MAX_FILE_SEARCH_FILE_BYTES`` (100 MB), or the
                metadata or chunking settings break a limit (nothing is sent).
            ValueError: the MIME type cannot be guessed.
        """
        source = UploadSource(file, mime_type=mime_type)
        try:
            start = build.upload_start(
                store,
                source,
                display_name=display_name,
                metadata=custom_metadata,
                chunking=chunking_config,
            )
            response = run_upload(self._client._send, start, source, chunk_size, on_progress)
            return build.parse_upload_operation(response)
        finally:
            source.close()

    def upload_and_wait(
        self,
        store: str,
        file: FileInput,
        *,
        mime_type: str | None = None,
        display_name: str | None = None,
        custom_metadata: MetadataInput | None = None,
        chunking_config: ChunkingInput | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = DEFAULT_OPERATION_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> FileSearchStoreDocument:
        """:meth:`upload_to_file_search_store`, wait until the file is indexed, and
        return its document (``state`` ``STATE_ACTIVE``).

        Raises:
            OperationTimeoutError: not indexed within ``timeout`` seconds.
            APIError: indexing failed (e.g. ``BadRequestError`` for an unreadable file).
        """
        operation = self.upload_to_file_search_store(
            store,
            file,
            mime_type=mime_type,
            display_name=display_name,
            custom_metadata=custom_metadata,
            chunking_config=chunking_config,
            chunk_size=chunk_size,
            on_progress=on_progress,
        )
        done = self.operations.wait(operation, timeout=timeout, poll_interval=poll_interval)
        return self.documents.get(build.document_of(done))

    def import_file(
        self,
        store: str,
        file_name: str,
        *,
        custom_metadata: MetadataInput | None = None,
        chunking_config: ChunkingInput | None = None,
    ) -> ImportFileOperation:
        """Index a file already uploaded with ``client.files.upload`` (``"files/abc-123"``)
        into ``store``; returns the operation (wait for it with ``operations.wait``).

        Raises:
            LimitError: the metadata or chunking settings break a limit.
        """
        request = build.import_file(store, file_name, custom_metadata, chunking_config)
        return self._client._request(request)


class AsyncFileSearchStores(AsyncAPIResource):
    """File Search stores (``fileSearchStores/{store}``), their documents and operations."""

    @cached_property
    def documents(self) -> AsyncFileSearchStoreDocuments:
        """The documents of a store."""
        return AsyncFileSearchStoreDocuments(self._client)

    @cached_property
    def operations(self) -> AsyncFileSearchStoreOperations:
        """The operations of uploads and imports: ``get`` and ``wait``."""
        return AsyncFileSearchStoreOperations(self._client)

    async def create(
        self, *, display_name: str | None = None, embedding_model: str | None = None
    ) -> FileSearchStore:
        """Create a store; its ID is derived from ``display_name`` plus a random suffix."""
        return await self._client._request(build.create(display_name, embedding_model))

    async def get(self, name: str) -> FileSearchStore:
        """Fetch a store with its document counters and ``size_bytes``."""
        return await self._client._request(build.get(name))

    def list(
        self, *, page_size: int | None = None
    ) -> AsyncPager[ListFileSearchStoresResponse, FileSearchStore]:
        """The caller's stores (``page_size`` <= 20)."""
        return self._client._pager(build.list_stores(page_size), _stores)

    async def delete(self, name: str, *, force: bool = False) -> None:
        """Delete a store; ``force=True`` also deletes its documents."""
        return await self._client._request(build.delete(name, force))

    async def upload_to_file_search_store(
        self,
        store: str,
        file: FileInput,
        *,
        mime_type: str | None = None,
        display_name: str | None = None,
        custom_metadata: MetadataInput | None = None,
        chunking_config: ChunkingInput | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
    ) -> UploadToFileSearchStoreOperation:
        """Upload a file into ``store`` and return the indexing operation (see the sync
        twin for the arguments)."""
        source = UploadSource(file, mime_type=mime_type)
        try:
            start = build.upload_start(
                store,
                source,
                display_name=display_name,
                metadata=custom_metadata,
                chunking=chunking_config,
            )
            send = self._client._send
            response = await run_upload_async(send, start, source, chunk_size, on_progress)
            return build.parse_upload_operation(response)
        finally:
            source.close()

    async def upload_and_wait(
        self,
        store: str,
        file: FileInput,
        *,
        mime_type: str | None = None,
        display_name: str | None = None,
        custom_metadata: MetadataInput | None = None,
        chunking_config: ChunkingInput | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = DEFAULT_OPERATION_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> FileSearchStoreDocument:
        """Upload, wait until the file is indexed, and return its document."""
        operation = await self.upload_to_file_search_store(
            store,
            file,
            mime_type=mime_type,
            display_name=display_name,
            custom_metadata=custom_metadata,
            chunking_config=chunking_config,
            chunk_size=chunk_size,
            on_progress=on_progress,
        )
        done = await self.operations.wait(operation, timeout=timeout, poll_interval=poll_interval)
        return await self.documents.get(build.document_of(done))

    async def import_file(
        self,
        store: str,
        file_name: str,
        *,
        custom_metadata: MetadataInput | None = None,
        chunking_config: ChunkingInput | None = None,
    ) -> ImportFileOperation:
        """Index a Files API file (``"files/abc-123"``) into ``store``; returns the operation."""
        request = build.import_file(store, file_name, custom_metadata, chunking_config)
        return await self._client._request(request)
