"""The REST front's error bodies as gRPC statuses: same canonical code, same message.

``{"error": {"code": 404, "message": "...", "status": "NOT_FOUND"}}`` becomes status
``NOT_FOUND`` with that message, and the ``google.rpc.Status`` (with the body's
``details``, e.g. the ``ErrorInfo`` of an authentication failure) in the
``grpc-status-details-bin`` trailer, where Google's clients read rich errors from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2

from ragkit.types.status import Code

__all__ = ["GrpcError", "error_from_body", "error_from_payload"]

_DETAILS_KEY = "grpc-status-details-bin"
#: Imported so that ``ErrorInfo``, ``BadRequest``... details parse from their ``@type``.
_DETAIL_TYPES = error_details_pb2


@dataclass(frozen=True)
class GrpcError:
    """A status to end a call with."""

    code: grpc.StatusCode
    message: str
    details: tuple[dict[str, Any], ...] = ()

    @property
    def trailers(self) -> tuple[tuple[str, bytes], ...]:
        status = status_pb2.Status(code=self.code.value[0], message=self.message)
        try:
            json_format.ParseDict({"details": list(self.details)}, status)
        except json_format.ParseError:
            del status.details[:]  # a detail type unknown here: the code and message remain
        return ((_DETAILS_KEY, status.SerializeToString()),)


def _code(name: Any, http_status: int) -> Code:
    if isinstance(name, str) and name in Code.__members__:
        return Code[name]
    return Code.from_http_status(http_status)


def error_from_payload(payload: dict[str, Any], http_status: int) -> GrpcError:
    """The status of a Google error body (``{"error": {...}}``)."""
    error = payload.get("error")
    if not isinstance(error, dict):
        error = {}
    code = _code(error.get("status"), http_status)
    message = error.get("message")
    if not isinstance(message, str):
        message = f"HTTP {http_status}"
    details = error.get("details")
    kept = tuple(d for d in details if isinstance(d, dict)) if isinstance(details, list) else ()
    return GrpcError(grpc.StatusCode[code.name], message, kept)


def error_from_body(http_status: int, body: bytes) -> GrpcError:
    """The status of a non-200 REST answer, whatever its body holds."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        payload = None
    if isinstance(payload, list) and payload and isinstance(payload[0], dict):
        payload = payload[0]  # a streamed method's early error: [{"error": ...}]
    if not isinstance(payload, dict):
        payload = {}
    return error_from_payload(payload, http_status)
