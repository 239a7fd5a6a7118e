"""Batch jobs as the API shows them: a ``google.longrunning.Operation`` named ``batches/{id}``.

``metadata`` is the batch (``@type`` ...``GenerateContentBatch`` or ``EmbedContentBatch``)
with its state, stats and times, and its ``output`` once it succeeded. A finished
operation is ``done``; a successful one carries the output again as ``response``
(``@type`` ...``GenerateContentBatchOutput`` / ``EmbedContentBatchOutput``), a failed,
cancelled or expired one carries ``error`` (a cancelled job: code 1, CANCELLED).
"""

from __future__ import annotations

from typing import Any

from ragkit.server.batches.store import BatchRecord
from ragkit.types import (
    BatchState,
    BatchStats,
    EmbedContentBatch,
    EmbedContentBatchOutput,
    EmbedContentBatchStats,
    GenerateContentBatch,
    GenerateContentBatchOutput,
    InlinedEmbedContentResponse,
    InlinedEmbedContentResponses,
    InlinedResponse,
    InlinedResponses,
    InputConfig,
    InputEmbedContentConfig,
    Operation,
    Status,
)
from ragkit.types.operation import pack_any

__all__ = ["FINAL_STATES", "operation_out", "output_of"]

#: States after which a job never changes again.
FINAL_STATES = frozenset(
    {
        BatchState.BATCH_STATE_SUCCEEDED.value,
        BatchState.BATCH_STATE_FAILED.value,
        BatchState.BATCH_STATE_CANCELLED.value,
        BatchState.BATCH_STATE_EXPIRED.value,
    }
)

Output = GenerateContentBatchOutput | EmbedContentBatchOutput


def output_of(record: BatchRecord, results: list[dict[str, Any]] | None) -> Output | None:
    """The job's output: its responses file, or its inline results (``None`` before it
    succeeded)."""
    if record.state != BatchState.BATCH_STATE_SUCCEEDED.value:
        return None
    if record.kind == "embed":
        if record.output_file is not None:
            return EmbedContentBatchOutput(responses_file=f"files/{record.output_file}")
        items = [InlinedEmbedContentResponse.model_validate(r) for r in results or []]
        return EmbedContentBatchOutput(
            inlined_responses=InlinedEmbedContentResponses(inlined_responses=items)
        )
    if record.output_file is not None:
        return GenerateContentBatchOutput(responses_file=f"files/{record.output_file}")
    generated = [InlinedResponse.model_validate(r) for r in results or []]
    return GenerateContentBatchOutput(
        inlined_responses=InlinedResponses(inlined_responses=generated)
    )


def _batch(record: BatchRecord, output: Output | None) -> GenerateContentBatch | EmbedContentBatch:
    pending = (
        0
        if record.state in FINAL_STATES
        else record.request_count - record.succeeded - record.failed
    )
    common: dict[str, Any] = {
        "name": f"batches/{record.name}",
        "model": record.model,
        "display_name": record.display_name or None,
        "create_time": record.create_time,
        "update_time": record.update_time,
        "end_time": record.end_time,
        "state": BatchState(record.state),
        "priority": record.priority or None,
    }
    counts = {
        "request_count": record.request_count,
        "successful_request_count": record.succeeded,
        "failed_request_count": record.failed,
        "pending_request_count": pending,
    }
    if record.kind == "embed":
        embed_input = (
            InputEmbedContentConfig(file_name=f"files/{record.input_file}")
            if record.input_file
            else None
        )
        assert output is None or isinstance(output, EmbedContentBatchOutput)
        return EmbedContentBatch(
            **common,
            input_config=embed_input,
            output=output,
            batch_stats=EmbedContentBatchStats(**counts),
        )
    generate_input = (
        InputConfig(file_name=f"files/{record.input_file}") if record.input_file else None
    )
    assert output is None or isinstance(output, GenerateContentBatchOutput)
    return GenerateContentBatch(
        **common, input_config=generate_input, output=output, batch_stats=BatchStats(**counts)
    )


def operation_out(
    record: BatchRecord, results: list[dict[str, Any]] | None, *, enum_int: bool = False
) -> Operation:
    """The operation for ``record`` (``results``: its stored inline results, if any)."""
    output = output_of(record, results)
    done = record.state in FINAL_STATES
    error = None
    if done and output is None:
        error = Status.model_validate(record.error or {"code": 2, "message": "Unknown error."})
    return Operation(
        name=f"batches/{record.name}",
        metadata=pack_any(_batch(record, output), enum_int=enum_int),
        done=done,
        response=None if output is None else pack_any(output, enum_int=enum_int),
        error=error,
    )
