"""Semantic search over a corpus (``corpora:query``) or a document (``documents:query``)."""

from __future__ import annotations

from ragkit.types._base import WireModel
from ragkit.types.chunk import Chunk
from ragkit.types.document import Document
from ragkit.types.metadata import MetadataFilter

__all__ = [
    "QueryCorpusRequest",
    "QueryCorpusResponse",
    "QueryDocumentRequest",
    "QueryDocumentResponse",
    "RelevantChunk",
]


class QueryCorpusRequest(WireModel):
    """Request for querying a `Corpus`.

    Required by the API: ``query``.
    """

    query: str | None = None
    metadata_filters: list[MetadataFilter] | None = None
    results_count: int | None = None


class RelevantChunk(WireModel):
    """A chunk relevant to a query, with its relevance score and the document it belongs to.
    ``document`` is in the proto but missing from the OpenAPI rendering of rev 20250701.
    """

    chunk_relevance_score: float | None = None
    chunk: Chunk | None = None
    document: Document | None = None


class QueryCorpusResponse(WireModel):
    """Response from `QueryCorpus` containing a list of relevant chunks."""

    relevant_chunks: list[RelevantChunk] | None = None


class QueryDocumentRequest(WireModel):
    """Request for querying a `Document`.

    Required by the API: ``query``.
    """

    query: str | None = None
    results_count: int | None = None
    metadata_filters: list[MetadataFilter] | None = None


class QueryDocumentResponse(WireModel):
    """Response from `QueryDocument` containing a list of relevant chunks."""

    relevant_chunks: list[RelevantChunk] | None = None
