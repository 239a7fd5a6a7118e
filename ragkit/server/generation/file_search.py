"""What the local composer needs for the ``fileSearch`` tool: retrieved chunks, and the
``groundingMetadata`` Google returns with them.

``groundingChunks`` lists every retrieved chunk as a ``retrievedContext`` (``title``:
the document's display name, ``text``: the chunk, ``fileSearchStore``: its store);
``groundingSupports`` ties each sentence the answer quotes (``segment``: UTF-8 byte offsets
into the candidate's text, as Google counts them) to the chunk it came from, with the
chunk's relevance as ``confidenceScores``. The retrieval itself is
:class:`~ragkit.server.service.file_search_tool.FileSearchRetriever`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ragkit.server.models.answerer import Answer
from ragkit.server.principal import Principal
from ragkit.types import (
    Candidate,
    CustomMetadata,
    FileSearch,
    GroundingChunk,
    GroundingMetadata,
    GroundingSupport,
    RetrievedContext,
    Segment,
)

__all__ = ["FileSearchRetrieval", "RetrievedChunk", "grounding_metadata"]


@dataclass(frozen=True)
class RetrievedChunk:
    """One chunk the tool found: its text, its document's title, its store and score."""

    text: str
    title: str
    store: str
    document: str
    score: float
    metadata: tuple[CustomMetadata, ...] = ()


class FileSearchRetrieval(Protocol):
    def retrieve(self, who: Principal, query: str, tool: FileSearch) -> list[RetrievedChunk]:
        """The best chunks for ``query`` from the tool's stores (raises ApiError)."""
        ...


def grounding_metadata(
    candidate: Candidate, answer: Answer | None, retrieved: Sequence[RetrievedChunk]
) -> GroundingMetadata:
    """The candidate's grounding: every retrieved chunk, and a support per quoted span
    that came from one (passages ``0..len(retrieved)-1`` are the retrieved chunks)."""
    chunks = [
        GroundingChunk(
            retrieved_context=RetrievedContext(
                title=c.title, text=c.text, file_search_store=c.store
            )
        )
        for c in retrieved
    ]
    parts = candidate.content.parts if candidate.content is not None else None
    text = (parts[0].text or "") if parts else ""
    supports: list[GroundingSupport] = []
    cursor = 0
    for span in answer.spans if answer is not None else []:
        if span.passage_index >= len(retrieved) or not span.text.strip():
            continue
        at = text.find(span.text, cursor)
        if at < 0:
            continue
        cursor = at + len(span.text)
        start = len(text[:at].encode())
        supports.append(
            GroundingSupport(
                segment=Segment(
                    start_index=start,
                    end_index=start + len(span.text.encode()),
                    text=span.text,
                ),
                grounding_chunk_indices=[span.passage_index],
                confidence_scores=[min(1.0, max(0.0, retrieved[span.passage_index].score))],
            )
        )
    return GroundingMetadata(grounding_chunks=chunks, grounding_supports=supports or None)
