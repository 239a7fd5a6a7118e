"""Semantic search: ``corpora:query`` and ``documents:query``.

The query is embedded (``kind="query"``); candidates are the ACTIVE chunks that pass the
metadata filters, selected in SQL *before* ranking; the server's ranking (see
:mod:`ragkit.server.lexical_index`: cosine similarity, BM25 or both; run in memory or in
PostgreSQL, see :mod:`ragkit.server.service.search`) orders them exactly,
:mod:`ragkit.server.title_boost` lifts chunks whose title names the query's subject, and
the best ``results_count`` come back, best first. The search checks that the store's
vectors are still the query embedder's (another server may have re-embedded them; see
:mod:`ragkit.server.service.store_embedder`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ragkit.limits import DEFAULT_RESULTS_COUNT, MAX_RESULTS_COUNT
from ragkit.server.errors import invalid_argument
from ragkit.server.principal import Principal
from ragkit.server.read_gate import read_gate
from ragkit.server.service.access import authorize
from ragkit.server.service.core import ServiceCore
from ragkit.server.service.documents import find_document
from ragkit.server.service.filters import parse_filters
from ragkit.server.service.validation import check_query, parse_name
from ragkit.server.service.wire import chunk_out, document_out
from ragkit.server.store.chunks import chunk_openings, fetch_hits
from ragkit.server.store.metadata import FilterClause
from ragkit.server.title_boost import TITLE_CANDIDATES, TITLE_CHARS, boost_titles
from ragkit.types import (
    ChunkState,
    MetadataFilter,
    QueryCorpusRequest,
    QueryCorpusResponse,
    QueryDocumentRequest,
    QueryDocumentResponse,
    RelevantChunk,
    Role,
)

__all__ = ["QueryMixin", "resolve_results_count"]

_ACTIVE = ChunkState.STATE_ACTIVE.value


def resolve_results_count(value: int | None, *, field: str = "results_count") -> int:
    """Default 10 for ``None``/0; otherwise it must be 1..100."""
    if not value:
        return DEFAULT_RESULTS_COUNT
    if not 1 <= value <= MAX_RESULTS_COUNT:
        raise invalid_argument(f"{field} must be between 1 and {MAX_RESULTS_COUNT}, got {value}.")
    return value


def _query_text(query: str | None) -> str:
    if not query or not query.strip():
        raise invalid_argument("query is required and must not be empty.")
    return check_query(query)


class QueryMixin(ServiceCore):
    def query_corpus(
        self, who: Principal, name: str, request: QueryCorpusRequest
    ) -> QueryCorpusResponse:
        """Search ``corpora/{c}`` (READER); filters may use document and chunk keys."""
        return QueryCorpusResponse(relevant_chunks=self._query(who, name, request))

    def query_document(
        self, who: Principal, name: str, request: QueryDocumentRequest
    ) -> QueryDocumentResponse:
        """Search ``corpora/{c}/documents/{d}`` (READER); filters use chunk keys only."""
        return QueryDocumentResponse(relevant_chunks=self._query(who, name, request))

    def _query(
        self, who: Principal, name: str, request: QueryCorpusRequest | QueryDocumentRequest
    ) -> list[RelevantChunk]:
        """Either query, admitted by the read gate as a query."""
        with read_gate().admitted("query"):
            return self._retrieve(
                who,
                name,
                request.query,
                request.metadata_filters,
                resolve_results_count(request.results_count),
            )

    def _retrieve(
        self,
        who: Principal,
        source: str,
        query: str | None,
        filters: Sequence[MetadataFilter] | None,
        count: int,
    ) -> list[RelevantChunk]:
        """Top ``count`` chunks of a corpus or document name, checked for READER."""
        text = _query_text(query)
        scoped = source.count("/") == 3
        if scoped:
            parse_name(source, "corpora", "documents")
        else:
            parse_name(source, "corpora")
        clauses = parse_filters(filters, document_keys=not scoped)
        with self._db.read() as conn:
            if scoped:
                corpus, document = find_document(conn, who, source, Role.READER)
                document_id: int | None = document.id
            else:
                corpus, _ = authorize(conn, who, source.split("/")[1], Role.READER)
                document_id = None
        return self._rank(corpus.id, corpus.name, text, document_id, clauses, count)

    def _rank(
        self,
        corpus_row: int,
        corpus_id: str,
        text: str,
        document_id: int | None,
        clauses: Sequence[FilterClause],
        count: int,
    ) -> list[RelevantChunk]:
        ranked = self._embedding(
            lambda: self._search.rank(
                corpus_row,
                corpus_id,
                text,
                max(count, TITLE_CANDIDATES),
                document_id=document_id,
                clauses=clauses,
            )
        )
        if not ranked:
            return []
        with self._db.read() as conn:
            openings = chunk_openings(conn, [chunk_id for chunk_id, _ in ranked], TITLE_CHARS)
            best = boost_titles(text, ranked, openings, count)
            found = fetch_hits(conn, [chunk_id for chunk_id, _ in best])
        hits = []
        for chunk_id, score in best:
            if chunk_id not in found:
                continue  # deleted between the two reads
            chunk, document = found[chunk_id]
            doc = document_out(corpus_id, document)
            hits.append(
                RelevantChunk(
                    chunk_relevance_score=float(np.float32(score)),
                    chunk=chunk_out(doc.name or "", chunk),
                    document=doc,
                )
            )
        return hits
