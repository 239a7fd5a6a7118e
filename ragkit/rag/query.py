"""Semantic search over a corpus or one document, with filters and decoded provenance.

>>> results = search(client, "corpora/handbook", "how do I install?",
...                  where='source == "manual.pdf" and year >= 2020')  # doctest: +SKIP
>>> for r in results:                                                  # doctest: +SKIP
...     print(f"{r.score:.2f} {r.cite()}: {r.text[:60]}")

``target`` names a corpus (``"corpora/handbook"`` or ``"handbook"``) for ``corpora:query``,
or a document (``"corpora/handbook/documents/manual"``) for ``documents:query``; filters
are compiled by :mod:`ragkit.rag.filters` and checked before anything is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ragkit import limits
from ragkit.names import corpus_name, parent_of
from ragkit.provenance import (
    SECTION_SEPARATOR,
    MetadataValue,
    Provenance,
    metadata_to_dict,
    provenance_from_metadata,
)
from ragkit.rag.filters import Scope, WhereInput, compile_where
from ragkit.types import MetadataFilter, RelevantChunk

if TYPE_CHECKING:
    from ragkit._client import AsyncClient, Client

__all__ = ["SearchResult", "asearch", "is_document", "search", "to_results"]

#: Results per search unless asked otherwise (the API's default).
DEFAULT_RESULTS = 10


@dataclass(frozen=True)
class SearchResult:
    """One retrieved chunk.

    Attributes:
        score: relevance reported by the server (higher is more relevant).
        text: the chunk's text.
        chunk_name: ``corpora/{c}/documents/{d}/chunks/{k}``.
        document_name: ``corpora/{c}/documents/{d}``.
        provenance: file, title, section and pages, decoded from custom metadata.
        metadata: the chunk's custom metadata as ``{key: value}``.
    """

    score: float
    text: str
    chunk_name: str
    document_name: str
    provenance: Provenance
    metadata: dict[str, MetadataValue] = field(default_factory=dict)

    def cite(self) -> str:
        """``"manual.pdf, p. 4, Setup > Install"``."""
        return self.provenance.cite()

    @property
    def body(self) -> str:
        """:attr:`text` without the context line ragkit's ingestion puts in front of it
        (``"Guide > Install"``, which :meth:`cite` already says)."""
        first, separator, rest = self.text.partition("\n\n")
        section = self.provenance.section
        names = [
            n
            for n in (section and section.split(SECTION_SEPARATOR)[-1], self.provenance.title)
            if n
        ]
        if separator and rest and "\n" not in first and any(first.endswith(n) for n in names):
            return rest
        return self.text


def is_document(target: str) -> bool:
    """Whether ``target`` names a document (``corpora/c/documents/d``) rather than a corpus."""
    return "/documents/" in target


def _scope(target: str) -> Scope:
    return "document" if is_document(target) else "corpus"


def _check_results(results: int) -> None:
    if not 1 <= results <= limits.MAX_RESULTS_COUNT:
        raise ValueError(f"results must be between 1 and {limits.MAX_RESULTS_COUNT}, got {results}")


def to_results(chunks: Sequence[RelevantChunk] | None) -> list[SearchResult]:
    """Turn a query response's ``relevant_chunks`` into :class:`SearchResult`\\ s."""
    results = []
    for relevant in chunks or ():
        chunk = relevant.chunk
        if chunk is None or not chunk.name:
            continue
        document = relevant.document
        results.append(
            SearchResult(
                score=relevant.chunk_relevance_score or 0.0,
                text=(chunk.data.string_value if chunk.data else None) or "",
                chunk_name=chunk.name,
                document_name=parent_of(chunk.name),
                provenance=provenance_from_metadata(
                    chunk.custom_metadata, document.custom_metadata if document else None
                ),
                metadata=metadata_to_dict(chunk.custom_metadata),
            )
        )
    return results


def _prepare(target: str, where: WhereInput, results: int) -> tuple[str, list[MetadataFilter]]:
    _check_results(results)
    name = target if is_document(target) else corpus_name(target)
    return name, compile_where(where, scope=_scope(target))


def search(
    client: Client,
    target: str,
    query: str,
    *,
    where: WhereInput = None,
    results: int = DEFAULT_RESULTS,
) -> list[SearchResult]:
    """Search a corpus or one document; results come most relevant first.

    Args:
        client: a :class:`ragkit.Client`.
        target: ``"corpora/c"`` (or ``"c"``) or ``"corpora/c/documents/d"``.
        query: the natural-language query.
        where: filter text, an :class:`~ragkit.rag.filters.F` expression, or
            ``MetadataFilter``\\ s.
        results: how many chunks to return (1..100).

    Raises:
        FilterError: the filter is invalid (nothing was sent).
        ragkit.APIError: the server refused the query.
    """
    name, filters = _prepare(target, where, results)
    if is_document(name):
        document = client.corpora.documents.query(
            name, query, metadata_filters=filters, results_count=results
        )
        return to_results(document.relevant_chunks)
    corpus = client.corpora.query(name, query, metadata_filters=filters, results_count=results)
    return to_results(corpus.relevant_chunks)


async def asearch(
    client: AsyncClient,
    target: str,
    query: str,
    *,
    where: WhereInput = None,
    results: int = DEFAULT_RESULTS,
) -> list[SearchResult]:
    """:func:`search` for :class:`ragkit.AsyncClient`."""
    name, filters = _prepare(target, where, results)
    if is_document(name):
        document = await client.corpora.documents.query(
            name, query, metadata_filters=filters, results_count=results
        )
        return to_results(document.relevant_chunks)
    corpus = await client.corpora.query(
        name, query, metadata_filters=filters, results_count=results
    )
    return to_results(corpus.relevant_chunks)
