"""Embeddings (``embedContent``, ``batchEmbedContents``)."""

from __future__ import annotations

from ragkit.types._base import WireEnum, WireModel
from ragkit.types.content import Content

__all__ = [
    "BatchEmbedContentsRequest",
    "BatchEmbedContentsResponse",
    "ContentEmbedding",
    "EmbedContentRequest",
    "EmbedContentResponse",
    "TaskType",
]


class TaskType(WireEnum):
    """Type of task an embedding will be used for."""

    TASK_TYPE_UNSPECIFIED = 0
    RETRIEVAL_QUERY = 1
    RETRIEVAL_DOCUMENT = 2
    SEMANTIC_SIMILARITY = 3
    CLASSIFICATION = 4
    CLUSTERING = 5
    QUESTION_ANSWERING = 6
    FACT_VERIFICATION = 7
    CODE_RETRIEVAL_QUERY = 8


class EmbedContentRequest(WireModel):
    """Request containing the `Content` for the model to embed.

    Required by the API: ``model``, ``content``.
    """

    model: str | None = None
    content: Content | None = None
    task_type: TaskType | None = None
    title: str | None = None
    output_dimensionality: int | None = None


class BatchEmbedContentsRequest(WireModel):
    """Batch request to get embeddings from the model for a list of prompts.

    Required by the API: ``requests``.
    """

    requests: list[EmbedContentRequest] | None = None


class ContentEmbedding(WireModel):
    """A list of floats representing an embedding."""

    values: list[float] | None = None


class BatchEmbedContentsResponse(WireModel):
    """The response to a `BatchEmbedContentsRequest`."""

    embeddings: list[ContentEmbedding] | None = None


class EmbedContentResponse(WireModel):
    """The response to an `EmbedContentRequest`."""

    embedding: ContentEmbedding | None = None
