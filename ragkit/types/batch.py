"""Batch jobs (``models/{model}:batchGenerateContent``, ``:asyncBatchEmbedContent``).

The OpenAPI rendering of rev 20250701 lacks these schemas; the shapes follow the v1beta
protos (``google.ai.generativelanguage.v1beta``) as the live API serves them.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import model_validator

from ragkit.types._base import Int64, Timestamp, WireEnum, WireModel
from ragkit.types._oneof import check_oneof
from ragkit.types.embedding import EmbedContentRequest, EmbedContentResponse
from ragkit.types.generation import GenerateContentRequest, GenerateContentResponse
from ragkit.types.status import Status

__all__ = [
    "AsyncBatchEmbedContentRequest",
    "BatchGenerateContentRequest",
    "BatchState",
    "BatchStats",
    "EmbedContentBatch",
    "EmbedContentBatchOutput",
    "EmbedContentBatchStats",
    "GenerateContentBatch",
    "GenerateContentBatchOutput",
    "InlinedEmbedContentRequest",
    "InlinedEmbedContentRequests",
    "InlinedEmbedContentResponse",
    "InlinedEmbedContentResponses",
    "InlinedRequest",
    "InlinedRequests",
    "InlinedResponse",
    "InlinedResponses",
    "InputConfig",
    "InputEmbedContentConfig",
]


class BatchState(WireEnum):
    """State of a batch (`GenerateContentBatch` or `EmbedContentBatch`).

    Missing from the OpenAPI rendering; numbers follow the v1beta proto `BatchState`.
    """

    BATCH_STATE_UNSPECIFIED = 0
    BATCH_STATE_PENDING = 1
    BATCH_STATE_RUNNING = 2
    BATCH_STATE_SUCCEEDED = 3
    BATCH_STATE_FAILED = 4
    BATCH_STATE_CANCELLED = 5
    BATCH_STATE_EXPIRED = 6


class BatchStats(WireModel):
    """Stats about a `GenerateContentBatch`."""

    request_count: Int64 | None = None
    successful_request_count: Int64 | None = None
    failed_request_count: Int64 | None = None
    pending_request_count: Int64 | None = None


class InlinedResponse(WireModel):
    """The response to a single request of a `GenerateContentBatch`."""

    error: Status | None = None
    response: GenerateContentResponse | None = None
    metadata: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _check_output(self) -> Self:
        return check_oneof(self, "output", "error", "response")


class InlinedResponses(WireModel):
    """The responses to the requests of an inlined `GenerateContentBatch`."""

    inlined_responses: list[InlinedResponse] | None = None


class GenerateContentBatchOutput(WireModel):
    """The output of a `GenerateContentBatch`: a responses file or inlined responses."""

    responses_file: str | None = None
    inlined_responses: InlinedResponses | None = None

    @model_validator(mode="after")
    def _check_output(self) -> Self:
        return check_oneof(self, "output", "responses_file", "inlined_responses")


class InlinedRequest(WireModel):
    """One request of an inlined `GenerateContentBatch`."""

    request: GenerateContentRequest | None = None
    metadata: dict[str, Any] | None = None


class InlinedRequests(WireModel):
    """The requests to be processed in a batch when they are provided inline."""

    requests: list[InlinedRequest] | None = None


class InputConfig(WireModel):
    """Configures the input to a `GenerateContentBatch`: a JSONL file or inlined requests."""

    file_name: str | None = None
    requests: InlinedRequests | None = None

    @model_validator(mode="after")
    def _check_source(self) -> Self:
        return check_oneof(self, "source", "file_name", "requests")


class GenerateContentBatch(WireModel):
    """A resource representing a batch of `GenerateContent` requests.

    Required by the API: ``model``, ``display_name``, ``input_config``.
    """

    model: str | None = None
    name: str | None = None
    display_name: str | None = None
    input_config: InputConfig | None = None
    output: GenerateContentBatchOutput | None = None
    create_time: Timestamp | None = None
    end_time: Timestamp | None = None
    update_time: Timestamp | None = None
    batch_stats: BatchStats | None = None
    state: BatchState | None = None
    priority: Int64 | None = None


class InlinedEmbedContentResponse(WireModel):
    """The response to a single request of an `EmbedContentBatch`."""

    error: Status | None = None
    response: EmbedContentResponse | None = None
    metadata: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _check_output(self) -> Self:
        return check_oneof(self, "output", "error", "response")


class InlinedEmbedContentResponses(WireModel):
    """The responses to the requests of an inlined `EmbedContentBatch`."""

    inlined_responses: list[InlinedEmbedContentResponse] | None = None


class EmbedContentBatchOutput(WireModel):
    """The output of an `EmbedContentBatch`: a responses file or inlined responses."""

    responses_file: str | None = None
    inlined_responses: InlinedEmbedContentResponses | None = None

    @model_validator(mode="after")
    def _check_output(self) -> Self:
        return check_oneof(self, "output", "responses_file", "inlined_responses")


class EmbedContentBatchStats(WireModel):
    """Stats about an `EmbedContentBatch`."""

    request_count: Int64 | None = None
    successful_request_count: Int64 | None = None
    failed_request_count: Int64 | None = None
    pending_request_count: Int64 | None = None


class InlinedEmbedContentRequest(WireModel):
    """One request of an inlined `EmbedContentBatch`."""

    request: EmbedContentRequest | None = None
    metadata: dict[str, Any] | None = None


class InlinedEmbedContentRequests(WireModel):
    """The requests to be processed in a batch when they are provided inline."""

    requests: list[InlinedEmbedContentRequest] | None = None


class InputEmbedContentConfig(WireModel):
    """Configures the input to an `EmbedContentBatch`: a JSONL file or inlined requests."""

    file_name: str | None = None
    requests: InlinedEmbedContentRequests | None = None

    @model_validator(mode="after")
    def _check_source(self) -> Self:
        return check_oneof(self, "source", "file_name", "requests")


class EmbedContentBatch(WireModel):
    """A resource representing a batch of `EmbedContent` requests.

    Required by the API: ``model``, ``display_name``, ``input_config``.
    """

    model: str | None = None
    name: str | None = None
    display_name: str | None = None
    input_config: InputEmbedContentConfig | None = None
    output: EmbedContentBatchOutput | None = None
    create_time: Timestamp | None = None
    end_time: Timestamp | None = None
    update_time: Timestamp | None = None
    batch_stats: EmbedContentBatchStats | None = None
    state: BatchState | None = None
    priority: Int64 | None = None


class BatchGenerateContentRequest(WireModel):
    """Request body of `models/{model}:batchGenerateContent`.

    Required by the API: ``batch``.
    """

    batch: GenerateContentBatch | None = None


class AsyncBatchEmbedContentRequest(WireModel):
    """Request body of `models/{model}:asyncBatchEmbedContent`.

    Required by the API: ``batch``.
    """

    batch: EmbedContentBatch | None = None
