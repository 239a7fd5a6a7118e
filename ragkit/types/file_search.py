"""File Search stores: Google's current RAG API (``fileSearchStores``, launched 2025-11).

The shapes follow the google-genai SDK (3.6: ``google/genai/types.py``, classes
``FileSearchStore``, ``Document``, ``DocumentState``, ``ChunkingConfig``,
``WhiteSpaceConfig``, ``ImportFileResponse``, ``UploadToFileSearchStoreResponse``,
``FileSearch``) and the request bodies its ``file_search_stores.py`` and
``documents.py`` send; see ``docs/reference/file-search.md``. Google's ``Document`` of a
store is :class:`FileSearchStoreDocument` here, as the name ``Document`` already belongs
to the corpora API. Counts and sizes are ``int64``: strings on the wire, ints in Python.
"""

from __future__ import annotations

from ragkit.types._base import Int64, Timestamp, WireEnum, WireModel
from ragkit.types.metadata import CustomMetadata

__all__ = [
    "ChunkingConfig",
    "DocumentState",
    "FileSearch",
    "FileSearchStore",
    "FileSearchStoreDocument",
    "ImportFileRequest",
    "ImportFileResponse",
    "ListFileSearchStoreDocumentsResponse",
    "ListFileSearchStoresResponse",
    "UploadToFileSearchStoreRequest",
    "UploadToFileSearchStoreResponse",
    "WhiteSpaceConfig",
]


class DocumentState(WireEnum):
    """Processing state of a document in a File Search store."""

    STATE_UNSPECIFIED = 0
    STATE_PENDING = 1
    STATE_ACTIVE = 2
    STATE_FAILED = 10


class FileSearchStore(WireModel):
    """A collection of documents searched by the ``fileSearch`` tool.

    ``name`` looks like ``fileSearchStores/my-store-123a456b789c``; the counters and
    ``size_bytes`` are output only.
    """

    name: str | None = None
    display_name: str | None = None
    create_time: Timestamp | None = None
    update_time: Timestamp | None = None
    active_documents_count: Int64 | None = None
    pending_documents_count: Int64 | None = None
    failed_documents_count: Int64 | None = None
    size_bytes: Int64 | None = None
    embedding_model: str | None = None


class FileSearchStoreDocument(WireModel):
    """A file imported into a store (Google's ``Document`` under ``fileSearchStores/*``).

    ``name`` looks like ``fileSearchStores/my-store-123/documents/report-abc123def456``.
    """

    name: str | None = None
    display_name: str | None = None
    custom_metadata: list[CustomMetadata] | None = None
    update_time: Timestamp | None = None
    create_time: Timestamp | None = None
    state: DocumentState | None = None
    size_bytes: Int64 | None = None
    mime_type: str | None = None


class ListFileSearchStoresResponse(WireModel):
    """One page of ``fileSearchStores.list``."""

    file_search_stores: list[FileSearchStore] | None = None
    next_page_token: str | None = None


class ListFileSearchStoreDocumentsResponse(WireModel):
    """One page of ``fileSearchStores.documents.list``."""

    documents: list[FileSearchStoreDocument] | None = None
    next_page_token: str | None = None


class WhiteSpaceConfig(WireModel):
    """White-space chunking: at most ``max_tokens_per_chunk`` tokens per chunk, with up
    to ``max_overlap_tokens`` tokens shared by neighbouring chunks.
    """

    max_tokens_per_chunk: int | None = None
    max_overlap_tokens: int | None = None


class ChunkingConfig(WireModel):
    """How the server splits an imported file into chunks."""

    white_space_config: WhiteSpaceConfig | None = None


class ImportFileRequest(WireModel):
    """Body of ``fileSearchStores/{store}:importFile``.

    Required by the API: ``file_name`` (a Files API name, e.g. ``files/abc-123``).
    """

    file_name: str | None = None
    custom_metadata: list[CustomMetadata] | None = None
    chunking_config: ChunkingConfig | None = None


class UploadToFileSearchStoreRequest(WireModel):
    """Metadata part of ``upload/v1beta/{store}:uploadToFileSearchStore``."""

    display_name: str | None = None
    custom_metadata: list[CustomMetadata] | None = None
    chunking_config: ChunkingConfig | None = None
    mime_type: str | None = None


class ImportFileResponse(WireModel):
    """``response`` of a finished import operation."""

    parent: str | None = None
    document_name: str | None = None


class UploadToFileSearchStoreResponse(WireModel):
    """``response`` of a finished upload operation."""

    parent: str | None = None
    document_name: str | None = None
    mime_type: str | None = None
    size_bytes: Int64 | None = None


class FileSearch(WireModel):
    """The ``fileSearch`` tool of ``generateContent``: retrieve from these stores.

    ``metadata_filter`` uses the AIP-160 filter syntax, e.g.
    ``author = "Robert Graves" AND year >= 1930``.
    """

    file_search_store_names: list[str] | None = None
    top_k: int | None = None
    metadata_filter: str | None = None
