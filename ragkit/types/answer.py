"""Grounded question answering (``models/{model}:generateAnswer``, the AQA model)."""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from ragkit.types._base import WireEnum, WireModel
from ragkit.types._oneof import check_oneof
from ragkit.types.attribution import (
    AttributionSourceId,
    GroundingAttribution,
    GroundingPassageId,
    SemanticRetrieverChunk,
)
from ragkit.types.content import Content
from ragkit.types.generation import Candidate
from ragkit.types.metadata import MetadataFilter
from ragkit.types.safety import SafetyRating, SafetySetting

__all__ = [
    "AnswerStyle",
    "AttributionSourceId",
    "GenerateAnswerRequest",
    "GenerateAnswerResponse",
    "GroundingAttribution",
    "GroundingPassage",
    "GroundingPassageId",
    "GroundingPassages",
    "InputFeedback",
    "InputFeedbackBlockReason",
    "SemanticRetrieverChunk",
    "SemanticRetrieverConfig",
]


class AnswerStyle(WireEnum):
    """Style in which `GenerateAnswer` answers."""

    ANSWER_STYLE_UNSPECIFIED = 0
    ABSTRACTIVE = 1
    EXTRACTIVE = 2
    VERBOSE = 3


class InputFeedbackBlockReason(WireEnum):
    """Why a `GenerateAnswer` input was blocked.

    Kept apart from :class:`BlockReason`: the proto's `InputFeedback.BlockReason` has only
    `SAFETY` and `OTHER`, so a server validating with this enum rejects the prompt-only
    reasons.
    """

    BLOCK_REASON_UNSPECIFIED = 0
    SAFETY = 1
    OTHER = 2


class GroundingPassage(WireModel):
    """Passage included inline with a grounding configuration."""

    id: str | None = None
    content: Content | None = None


class GroundingPassages(WireModel):
    """A repeated list of passages."""

    passages: list[GroundingPassage] | None = None


class SemanticRetrieverConfig(WireModel):
    """Configuration for retrieving grounding content from a `Corpus` or `Document` created
    using the Semantic Retriever API.

    Required by the API: ``source``, ``query``.
    """

    source: str | None = None
    query: Content | None = None
    metadata_filters: list[MetadataFilter] | None = None
    max_chunks_count: int | None = None
    minimum_relevance_score: float | None = None


class GenerateAnswerRequest(WireModel):
    """Request to generate a grounded answer from the `Model`.

    Required by the API: ``contents``, ``answer_style``.
    """

    contents: list[Content] | None = None
    safety_settings: list[SafetySetting] | None = None
    temperature: float | None = None
    answer_style: AnswerStyle | None = None
    inline_passages: GroundingPassages | None = None
    semantic_retriever: SemanticRetrieverConfig | None = None

    @model_validator(mode="after")
    def _check_grounding_source(self) -> Self:
        return check_oneof(self, "grounding_source", "inline_passages", "semantic_retriever")


class InputFeedback(WireModel):
    """Feedback related to the input data used to answer the question, as opposed to the
    model-generated response to the question.
    """

    block_reason: InputFeedbackBlockReason | None = None
    safety_ratings: list[SafetyRating] | None = None


class GenerateAnswerResponse(WireModel):
    """Response from the model for a grounded answer."""

    answer: Candidate | None = None
    answerable_probability: float | None = None
    input_feedback: InputFeedback | None = None
