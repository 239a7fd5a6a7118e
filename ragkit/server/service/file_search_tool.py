"""The ``fileSearch`` tool of ``generateContent``: retrieve chunks from File Search stores.

Each store named in ``fileSearchStoreNames`` is searched with the corpora API's own
``corpora:query`` (same embedder, index, ranking and filters) as the caller, so a store
the caller cannot read is refused with 403 PERMISSION_DENIED before anything is
retrieved. ``metadataFilter`` is Google's AIP-160 syntax (:mod:`ragkit.rag.aip160`);
only chunks of ACTIVE documents are returned. Results from several stores are merged by
relevance and cut to ``topK`` (default :data:`~ragkit.limits.DEFAULT_FILE_SEARCH_TOP_K`).
"""

from __future__ import annotations

from ragkit import limits
from ragkit.rag._filter_ast import FilterError
from ragkit.rag.aip160 import aip160_filters
from ragkit.server.errors import invalid_argument
from ragkit.server.generation.file_search import RetrievedChunk
from ragkit.server.models.answerer import Answerer
from ragkit.server.principal import Principal
from ragkit.server.service.retriever import RetrieverService
from ragkit.server.service.validation import parse_name
from ragkit.types import DocumentState, FileSearch, QueryCorpusRequest

__all__ = ["FileSearchRetriever", "RetrievedChunk"]


class FileSearchRetriever:
    """Runs the ``fileSearch`` tool's retrieval over a :class:`RetrieverService`."""

    def __init__(self, service: RetrieverService) -> None:
        self._service = service

    @property
    def answerer(self) -> Answerer:
        """Who composes answers from retrieved chunks: the server's answerer (the
        ``--answerer`` model when configured, else the local extractive one)."""
        return self._service.answerer

    def retrieve(self, who: Principal, query: str, tool: FileSearch) -> list[RetrievedChunk]:
        """The ``topK`` best chunks for ``query`` across the tool's stores.

        Raises:
            ApiError: INVALID_ARGUMENT (no stores, bad name, ``topK`` out of range, a
                malformed ``metadataFilter``), PERMISSION_DENIED (a store the caller
                cannot read, or that does not exist).
        """
        names = tool.file_search_store_names or []
        if not names:
            raise invalid_argument(
                "Invalid value at 'tools[0].file_search.file_search_store_names': at least "
                "one store name is required, e.g. fileSearchStores/my-store-123."
            )
        top_k = limits.DEFAULT_FILE_SEARCH_TOP_K if tool.top_k is None else tool.top_k
        if not 1 <= top_k <= limits.MAX_FILE_SEARCH_TOP_K:
            raise invalid_argument(
                f"Invalid value at 'tools[0].file_search.top_k': {top_k}; it must be between "
                f"1 and {limits.MAX_FILE_SEARCH_TOP_K}."
            )
        try:
            filters = aip160_filters(tool.metadata_filter)
        except FilterError as exc:
            raise invalid_argument(
                f"Invalid value at 'tools[0].file_search.metadata_filter': {exc}"
            ) from None
        found: list[RetrievedChunk] = []
        for name in dict.fromkeys(names):
            store, documents = self._service.file_search_store_documents(who, name)
            active = {
                doc: title
                for doc, (state, title) in documents.items()
                if state == DocumentState.STATE_ACTIVE.value
            }
            if not active:
                continue
            # Ask for more than topK: chunks of documents still importing are dropped.
            pending = len(documents) - len(active)
            count = min(limits.MAX_FILE_SEARCH_TOP_K, top_k + (top_k if pending else 0))
            response = self._service.query_corpus(
                who,
                f"corpora/{store.name}",
                QueryCorpusRequest(query=query, metadata_filters=filters, results_count=count),
            )
            for hit in response.relevant_chunks or []:
                chunk = hit.chunk
                if chunk is None or not chunk.name or chunk.data is None:
                    continue
                _, document_id, _ = parse_name(chunk.name, "corpora", "documents", "chunks")
                if document_id not in active:
                    continue
                found.append(
                    RetrievedChunk(
                        text=chunk.data.string_value or "",
                        title=active[document_id] or document_id,
                        store=name,
                        document=f"{name}/documents/{document_id}",
                        score=float(hit.chunk_relevance_score or 0.0),
                        metadata=tuple(chunk.custom_metadata or ()),
                    )
                )
        found.sort(key=lambda c: c.score, reverse=True)
        return found[:top_k]
