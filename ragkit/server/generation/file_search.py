"""What the local composer needs for the ``fileSearch`` tool: retrieved chunks, and the
``groundingMetadata`` Google returns with them.

``groundingChunks`` lists every retrieved chunk as a ``retrievedContext`` (``title``:
the document's display name, ``text``: the chunk, ``fileSearchStore``: its store);
``groundingSupports`` ties each sentence the answer quotes (``segment``: UTF-8 byte offsets
into the candidate's text, as Google counts them) to the chunk it came from, with the
chunk's relevance as ``confidenceScores``. The retrieval itself is
:class:`~ragkit.server.service.file_search_tool.FileSearchRetriever`.

With an upstream model (``--upstream``), the chunks are retrieved here and handed to the
upstream in the system instruction (:func:`ground_for_upstream`); its reply gets the
``groundingChunks`` (not ``groundingSupports``: which sentence came from which chunk is
the upstream's secret).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ragkit.server.models.answerer import Answer, Answerer
from ragkit.server.principal import Principal
from ragkit.types import (
    Candidate,
    Content,
    CustomMetadata,
    FileSearch,
    GenerateContentRequest,
    GroundingChunk,
    GroundingMetadata,
    GroundingSupport,
    Part,
    RetrievedContext,
    Segment,
)

__all__ = [
    "FileSearchRetrieval",
    "RetrievedChunk",
    "file_search_tools",
    "ground_for_upstream",
    "grounding_metadata",
    "last_user_text",
]


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
    @property
    def answerer(self) -> Answerer:
        """The answerer that composes from retrieved chunks."""
        ...

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


#: What an upstream model is told along with the retrieved chunks.
UPSTREAM_INSTRUCTION = (
    "Answer the user's question from the following passages, which the File Search tool "
    "retrieved from the user's documents. If they do not answer it, say so."
)


def file_search_tools(request: GenerateContentRequest) -> list[FileSearch]:
    """The ``fileSearch`` tools of ``request`` (usually one)."""
    return [t.file_search for t in request.tools or [] if t.file_search is not None]


def last_user_text(request: GenerateContentRequest) -> str:
    """The text of the request's last user turn: the query File Search retrieves for."""
    for content in reversed(request.contents or []):
        if content.role in (None, "", "user"):
            return " ".join(p.text for p in content.parts or [] if p.text).strip()
    return ""


def ground_for_upstream(
    who: Principal, request: GenerateContentRequest, retrieval: FileSearchRetrieval
) -> tuple[list[RetrievedChunk], GenerateContentRequest]:
    """Retrieve for ``request``'s ``fileSearch`` tools and rewrite it for an upstream
    model that knows nothing of this server's stores: the tools are removed and the
    retrieved chunks, numbered, join the system instruction.

    Raises:
        ApiError: from the retrieval (PERMISSION_DENIED, INVALID_ARGUMENT...).
    """
    question = last_user_text(request)
    retrieved: list[RetrievedChunk] = []
    for tool in file_search_tools(request):
        retrieved += retrieval.retrieve(who, question, tool)
    passages = "\n\n".join(
        f"[{i + 1}] {chunk.title}:\n{chunk.text}" for i, chunk in enumerate(retrieved)
    )
    instruction = f"{UPSTREAM_INSTRUCTION}\n\n{passages or '(no passage was found)'}"
    system = request.system_instruction
    parts = [*(system.parts or [] if system is not None else []), Part(text=instruction)]
    tools = [t for t in request.tools or [] if t.file_search is None]
    rewritten = request.model_copy(
        update={"tools": tools or None, "system_instruction": Content(parts=parts)}
    )
    return retrieved, rewritten
