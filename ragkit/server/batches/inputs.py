"""A job's input, checked whole before the job exists: inline requests or a JSONL file.

Either every row is well formed or the create call fails with INVALID_ARGUMENT naming the
first bad row, and nothing is stored. Rows are kept in wire form:
``{"request": {...}, "metadata": {...}}`` for inline input, ``{"key": "...", "request":
{...}}`` for file input (one JSON object per line, blank lines skipped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ragkit import limits
from ragkit.server.errors import invalid_argument
from ragkit.server.http.errors import validation_message
from ragkit.server.strict_json import parse_json
from ragkit.types import EmbedContentRequest, GenerateContentRequest
from ragkit.types._base import WireModel, from_wire, to_wire

__all__ = ["EMBED", "GENERATE", "BatchKind", "file_rows", "inline_rows", "parse_request"]


@dataclass(frozen=True)
class BatchKind:
    """What differs between generation and embedding jobs."""

    name: str
    #: The method that creates the job, which the model must support (catalog check).
    model_method: str
    request_type: type[GenerateContentRequest] | type[EmbedContentRequest]


GENERATE = BatchKind("generate", "batchGenerateContent", GenerateContentRequest)
EMBED = BatchKind("embed", "asyncBatchEmbedContent", EmbedContentRequest)
_FILE_FIELDS = frozenset({"key", "request", "metadata"})


def parse_request(kind: BatchKind, data: Any) -> GenerateContentRequest | EmbedContentRequest:
    """A stored (already validated) request row back as its wire type."""
    parsed: GenerateContentRequest | EmbedContentRequest = from_wire(kind.request_type, data)
    return parsed


def _check(kind: BatchKind, request: WireModel | None, model: str, where: str) -> dict[str, Any]:
    if request is None:
        raise invalid_argument(f"Invalid value at '{where}': request is required.")
    requested = getattr(request, "model", None)
    if requested is not None and requested.removeprefix("models/") != model.removeprefix("models/"):
        raise invalid_argument(
            f"Invalid value at '{where}.model': {requested!r} does not match the batch's "
            f"model, {model!r}."
        )
    if isinstance(request, GenerateContentRequest) and not request.contents:
        raise invalid_argument(f"Invalid value at '{where}.contents': contents are required.")
    if isinstance(request, EmbedContentRequest):
        parts = request.content.parts if request.content is not None else None
        if not any(part.text for part in parts or ()):
            raise invalid_argument(f"Invalid value at '{where}.content': no text to embed.")
    return to_wire(request)


def _check_count(count: int, where: str) -> None:
    if count == 0:
        raise invalid_argument(f"Invalid value at '{where}': the batch has no requests.")
    if count > limits.MAX_BATCH_REQUESTS:
        raise invalid_argument(
            f"Invalid value at '{where}': at most {limits.MAX_BATCH_REQUESTS} requests are "
            f"allowed per batch, got {count}."
        )


def inline_rows(kind: BatchKind, requests: Sequence[Any], model: str) -> list[dict[str, Any]]:
    """Rows of inline input (``InlinedRequest`` / ``InlinedEmbedContentRequest`` items)."""
    where = "batch.inputConfig.requests.requests"
    _check_count(len(requests), where)
    rows = []
    for i, item in enumerate(requests):
        row: dict[str, Any] = {
            "request": _check(kind, item.request, model, f"{where}[{i}].request")
        }
        if item.metadata is not None:
            row["metadata"] = item.metadata
        rows.append(row)
    return rows


def _file_row(kind: BatchKind, line: str, number: int, model: str) -> dict[str, Any]:
    where = f"line {number} of the input file"
    data = parse_json(line, f" at {where}")
    if not isinstance(data, dict):
        raise invalid_argument(f"Invalid row at {where}: expected a JSON object.")
    unknown = sorted(set(data) - _FILE_FIELDS)
    if unknown:
        raise invalid_argument(f'Invalid row at {where}: unknown name "{unknown[0]}".')
    key = data.get("key")
    if key is not None and not isinstance(key, str):
        raise invalid_argument(f"Invalid row at {where}: 'key' must be a string.")
    if not isinstance(data.get("request"), dict):
        raise invalid_argument(f"Invalid row at {where}: 'request' (an object) is required.")
    try:
        request = from_wire(kind.request_type, data["request"], strict=True)
    except ValidationError as error:
        message = validation_message(error.errors())
        raise invalid_argument(f"Invalid request at {where}: {message}") from None
    row: dict[str, Any] = {"request": _check(kind, request, model, f"{where}: request")}
    if key is not None:
        row["key"] = key
    return row


def file_rows(kind: BatchKind, data: bytes, model: str) -> list[dict[str, Any]]:
    """Rows of a JSONL input file.

    Raises:
        ApiError: INVALID_ARGUMENT for a file that is not UTF-8, a bad line, no rows or
            too many.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_argument("The batch input file is not UTF-8 JSONL.") from None
    rows = [
        _file_row(kind, line, number, model)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]
    _check_count(len(rows), "batch.inputConfig.fileName")
    return rows
