"""``client.corpora.documents``: documents inside a corpus.

REST: ``v1beta/corpora/{corpus}/documents[/{document}][:query]``. Documents are named in
full (``"corpora/c1/documents/d1"``); the parent corpus may be a bare ID.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from ragkit import limits
from ragkit._base_client import APIRequest, parse_model
from ragkit._exceptions import ResourceNameError
from ragkit._pagination import AsyncPager, SyncPager
from ragkit._validation import (
    check_custom_metadata,
    check_display_name,
    check_page_size,
    check_results_count,
)
from ragkit.names import corpus_name, document_name, parent_of, validate_id
from ragkit.resources._common import (
    AsyncAPIResource,
    MetadataInput,
    SyncAPIResource,
    api_path,
    custom_metadata,
    delete_request,
    get_request,
    list_request,
    metadata_filters,
    update_mask,
    wire,
)
from ragkit.resources.corpora.chunks import AsyncChunks, Chunks
from ragkit.types import (
    Document,
    ListDocumentsResponse,
    MetadataFilter,
    QueryDocumentRequest,
    QueryDocumentResponse,
)

__all__ = ["AsyncDocuments", "Documents", "child_name"]

FilterInput = Sequence[MetadataFilter | Mapping[str, Any]]


def child_name(parent: str, collection: str, value: str, kind: str) -> str:
    """A child's full name from a bare ID or a full name that must sit under ``parent``."""
    if "/" not in value:
        return f"{parent}/{collection}/{validate_id(value, kind=kind)}"
    if parent_of(value) != parent or value.split("/")[-2] != collection:
        raise ResourceNameError(f"{kind} {value!r} is not under {parent!r}")
    return value


def _create(
    corpus: str, name: str | None, display_name: str | None, metadata: MetadataInput | None
) -> APIRequest[Document]:
    parent = corpus_name(corpus)
    full = document_name(child_name(parent, "documents", name, "document")) if name else None
    check_display_name(display_name)
    entries = custom_metadata(metadata)
    check_custom_metadata(entries)
    body = Document(name=full, display_name=display_name, custom_metadata=entries)
    return APIRequest(
        method="POST",
        path=api_path(f"{parent}/documents"),
        parse=parse_model(Document),
        json=wire(body),
    )


def _list(corpus: str, page_size: int | None) -> APIRequest[ListDocumentsResponse]:
    check_page_size(page_size, limits.MAX_DOCUMENTS_PAGE_SIZE, limit_name="MAX_DOCUMENTS_PAGE_SIZE")
    return list_request(
        f"{corpus_name(corpus)}/documents", ListDocumentsResponse, page_size=page_size
    )


def _update(
    name: str, display_name: str | None, metadata: MetadataInput | None
) -> APIRequest[Document]:
    name = document_name(name)
    fields = [
        f
        for f, v in (("display_name", display_name), ("custom_metadata", metadata))
        if v is not None
    ]
    if not fields:
        raise ValueError("update needs display_name and/or custom_metadata")
    check_display_name(display_name)
    entries = custom_metadata(metadata)
    check_custom_metadata(entries)
    body = Document(name=name, display_name=display_name, custom_metadata=entries)
    return APIRequest(
        method="PATCH",
        path=api_path(name),
        parse=parse_model(Document),
        params={"updateMask": update_mask(*fields)},
        json=wire(body),
    )


def _query(
    name: str, query: str, filters: FilterInput | None, results_count: int | None
) -> APIRequest[QueryDocumentResponse]:
    check_results_count(results_count)
    body = QueryDocumentRequest(
        query=query, metadata_filters=metadata_filters(filters), results_count=results_count
    )
    return APIRequest(
        method="POST",
        path=api_path(document_name(name), "query"),
        parse=parse_model(QueryDocumentResponse),
        json=wire(body),
    )


class Documents(SyncAPIResource):
    """Documents: named collections of chunks (``corpora/{c}/documents/{d}``)."""

    @cached_property
    def chunks(self) -> Chunks:
        """Chunks inside a document."""
        return Chunks(self._client)

    def create(
        self,
        corpus: str,
        *,
        name: str | None = None,
        display_name: str | None = None,
        custom_metadata: MetadataInput | None = None,
    ) -> Document:
        """Create a document in ``corpus``; ``name`` may be a bare ID or a full name.

        ``custom_metadata`` takes ``CustomMetadata`` entries or a mapping such as
        ``{"author": "Ada", "year": 1843, "tags": ["math", "history"]}`` (at most 20).
        """
        return self._client._request(_create(corpus, name, display_name, custom_metadata))

    def get(self, name: str) -> Document:
        """Fetch ``corpora/{c}/documents/{d}``."""
        return self._client._request(get_request(document_name(name), Document))

    def list(
        self, corpus: str, *, page_size: int | None = None
    ) -> SyncPager[ListDocumentsResponse, Document]:
        """The corpus's documents, oldest first (``page_size`` <= 20)."""
        return self._client._pager(_list(corpus, page_size), lambda page: page.documents)

    def update(
        self,
        name: str,
        *,
        display_name: str | None = None,
        custom_metadata: MetadataInput | None = None,
    ) -> Document:
        """Change the fields given (the update mask lists exactly those); ``[]`` clears metadata."""
        return self._client._request(_update(name, display_name, custom_metadata))

    def delete(self, name: str, *, force: bool = False) -> None:
        """Delete a document; ``force=True`` also deletes its chunks.

        Raises:
            FailedPreconditionError: the document has chunks and ``force`` is false.
        """
        return self._client._request(delete_request(document_name(name), force=force or None))

    def query(
        self,
        name: str,
        query: str,
        *,
        metadata_filters: FilterInput | None = None,
        results_count: int | None = None,
    ) -> QueryDocumentResponse:
        """Semantic search inside one document (filters on ``chunk.custom_metadata.*`` only)."""
        return self._client._request(_query(name, query, metadata_filters, results_count))


class AsyncDocuments(AsyncAPIResource):
    """Documents: named collections of chunks (``corpora/{c}/documents/{d}``)."""

    @cached_property
    def chunks(self) -> AsyncChunks:
        """Chunks inside a document."""
        return AsyncChunks(self._client)

    async def create(
        self,
        corpus: str,
        *,
        name: str | None = None,
        display_name: str | None = None,
        custom_metadata: MetadataInput | None = None,
    ) -> Document:
        """Create a document in ``corpus``; ``name`` may be a bare ID or a full name."""
        return await self._client._request(_create(corpus, name, display_name, custom_metadata))

    async def get(self, name: str) -> Document:
        """Fetch ``corpora/{c}/documents/{d}``."""
        return await self._client._request(get_request(document_name(name), Document))

    def list(
        self, corpus: str, *, page_size: int | None = None
    ) -> AsyncPager[ListDocumentsResponse, Document]:
        """The corpus's documents, oldest first (``page_size`` <= 20)."""
        return self._client._pager(_list(corpus, page_size), lambda page: page.documents)

    async def update(
        self,
        name: str,
        *,
        display_name: str | None = None,
        custom_metadata: MetadataInput | None = None,
    ) -> Document:
        """Change the fields given (the update mask lists exactly those)."""
        return await self._client._request(_update(name, display_name, custom_metadata))

    async def delete(self, name: str, *, force: bool = False) -> None:
        """Delete a document; ``force=True`` also deletes its chunks."""
        request = delete_request(document_name(name), force=force or None)
        return await self._client._request(request)

    async def query(
        self,
        name: str,
        query: str,
        *,
        metadata_filters: FilterInput | None = None,
        results_count: int | None = None,
    ) -> QueryDocumentResponse:
        """Semantic search inside one document (filters on ``chunk.custom_metadata.*`` only)."""
        return await self._client._request(_query(name, query, metadata_filters, results_count))
