"""``client.file_search_stores.documents``: the files indexed in a store.

REST: ``v1beta/fileSearchStores/{store}/documents[/{document}]``. Documents are named in
full (``"fileSearchStores/s1/documents/report-abc123def456"``); stores may be bare IDs.
Documents are created by ``upload_to_file_search_store`` and ``import_file``.
"""

from __future__ import annotations

from ragkit._pagination import AsyncPager, SyncPager
from ragkit.resources._common import AsyncAPIResource, SyncAPIResource
from ragkit.resources.file_search_stores import _requests as build
from ragkit.types import FileSearchStoreDocument, ListFileSearchStoreDocumentsResponse

__all__ = ["AsyncFileSearchStoreDocuments", "FileSearchStoreDocuments"]


class FileSearchStoreDocuments(SyncAPIResource):
    """Documents of a File Search store (``fileSearchStores/{s}/documents/{d}``)."""

    def get(self, name: str) -> FileSearchStoreDocument:
        """Fetch a document: its ``state``, ``size_bytes``, ``mime_type``, metadata."""
        return self._client._request(build.get_document(name))

    def list(
        self, store: str, *, page_size: int | None = None
    ) -> SyncPager[ListFileSearchStoreDocumentsResponse, FileSearchStoreDocument]:
        """The store's documents (``page_size`` <= 20)."""
        return self._client._pager(build.list_documents(store, page_size), _documents)

    def delete(self, name: str, *, force: bool = False) -> None:
        """Delete a document; ``force=True`` also deletes its chunks.

        Raises:
            FailedPreconditionError: the document has chunks and ``force`` is false.
        """
        return self._client._request(build.delete_document(name, force))


class AsyncFileSearchStoreDocuments(AsyncAPIResource):
    """Documents of a File Search store (``fileSearchStores/{s}/documents/{d}``)."""

    async def get(self, name: str) -> FileSearchStoreDocument:
        """Fetch a document: its ``state``, ``size_bytes``, ``mime_type``, metadata."""
        return await self._client._request(build.get_document(name))

    def list(
        self, store: str, *, page_size: int | None = None
    ) -> AsyncPager[ListFileSearchStoreDocumentsResponse, FileSearchStoreDocument]:
        """The store's documents (``page_size`` <= 20)."""
        return self._client._pager(build.list_documents(store, page_size), _documents)

    async def delete(self, name: str, *, force: bool = False) -> None:
        """Delete a document; ``force=True`` also deletes its chunks.

        Raises:
            FailedPreconditionError: the document has chunks and ``force`` is false.
        """
        return await self._client._request(build.delete_document(name, force))


def _documents(
    page: ListFileSearchStoreDocumentsResponse,
) -> list[FileSearchStoreDocument] | None:
    return page.documents
