"""Grounding attributions: which passage or chunk an answer is based on.

Kept apart from :mod:`ragkit.types.answer` because :class:`~ragkit.types.Candidate`
uses them too; ``answer`` re-exports them.
"""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from ragkit.types._base import WireModel
from ragkit.types._oneof import check_oneof
from ragkit.types.content import Content

__all__ = [
    "AttributionSourceId",
    "GroundingAttribution",
    "GroundingPassageId",
    "SemanticRetrieverChunk",
]


class GroundingPassageId(WireModel):
    """Identifier for a part within a `GroundingPassage`."""

    passage_id: str | None = None
    part_index: int | None = None


class SemanticRetrieverChunk(WireModel):
    """Identifier for a `Chunk` retrieved via Semantic Retriever specified in the
    `GenerateAnswerRequest` using `SemanticRetrieverConfig`.
    """

    source: str | None = None
    chunk: str | None = None


class AttributionSourceId(WireModel):
    """Identifier for the source contributing to this attribution."""

    grounding_passage: GroundingPassageId | None = None
    semantic_retriever_chunk: SemanticRetrieverChunk | None = None

    @model_validator(mode="after")
    def _check_source(self) -> Self:
        return check_oneof(self, "source", "grounding_passage", "semantic_retriever_chunk")


class GroundingAttribution(WireModel):
    """Attribution for a source that contributed to an answer."""

    content: Content | None = None
    source_id: AttributionSourceId | None = None
