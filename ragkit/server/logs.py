"""One log format for ``ragkit serve``: its own lines, uvicorn's and the access log alike.

:func:`configure_logging` sends every logger of the process (``ragkit.*``, ``uvicorn.*``,
libraries) through one handler on stderr, as text or as JSON lines::

    2026-12-06T05:12:03.120Z INFO ragkit.access: POST /v1beta/corpora 200 4.2ms transport=http
    {"time": "2026-12-06T05:12:03.120Z", "level": "INFO", "logger": "ragkit.access",
     "message": "POST /v1beta/corpora 200 4.2ms ...", "method": "POST",
     "path": "/v1beta/corpora", "status": 200, "latency_ms": 4.2, "transport": "http", ...}

The access log (logger ``ragkit.access``, one line per request over HTTP or gRPC) is
written by :func:`log_access`; uvicorn's own access log is turned off
(:func:`ragkit.server.runner.build_server`), so each request is logged once. Query strings
are never logged: Google's API accepts ``?key=API_KEY``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "ACCESS_LOGGER",
    "LOG_FORMATS",
    "AccessRecord",
    "JsonFormatter",
    "TextFormatter",
    "clean_request_id",
    "configure_logging",
    "log_access",
]

#: The access log's logger: one INFO line per finished request.
ACCESS_LOGGER = "ragkit.access"
#: ``--log-format`` choices.
LOG_FORMATS = ("text", "json")

LogFormat = Literal["text", "json"]

# A client's request id longer than this is cut, so a log line stays a line.
_MAX_REQUEST_ID = 128
# Attributes every LogRecord has; anything else was passed with ``extra=``.
# (uvicorn's ``color_message`` repeats the message with terminal colours.)
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "color_message",
}

_access = logging.getLogger(ACCESS_LOGGER)


def _timestamp(record: logging.LogRecord) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    """``TIME LEVEL LOGGER: MESSAGE``, UTC with milliseconds; tracebacks follow."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``logger``, ``message``, the fields
    passed with ``extra=`` (the access log's ``method``, ``path``, ``status``...) and
    ``exception`` when there is a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (as logging's last resort does)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(level: str = "info", log_format: LogFormat = "text") -> None:
    """Route every logger of the process to one stderr handler in ``log_format``, at
    ``level`` (``"info"``, ``"debug"``...). Replaces the root logger's handlers; uvicorn's
    loggers lose their own handlers and propagate to it.

    Raises:
        ValueError: an unknown ``log_format``.
    """
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


def clean_request_id(value: str | None) -> str | None:
    """A client's ``x-request-id`` fit for a log line: printable ASCII, at most 128
    characters; ``None`` when absent or empty."""
    if not value:
        return None
    cleaned = "".join(c if " " < c < "\x7f" else "_" for c in value[:_MAX_REQUEST_ID])
    return cleaned or None


@dataclass(frozen=True)
class AccessRecord:
    """One finished request, as the access log writes it.

    ``status`` is the HTTP status (for a gRPC call, the HTTP status of its canonical
    code); ``grpc_status`` is the gRPC status name (``NOT_FOUND``) of a gRPC call.
    """

    transport: Literal["http", "grpc"]
    method: str
    path: str
    status: int
    latency_ms: float
    client: str | None = None
    request_id: str | None = None
    grpc_status: str | None = None

    def __str__(self) -> str:
        words = [self.method, self.path, str(self.status), f"{self.latency_ms:.1f}ms"]
        words.append(f"transport={self.transport}")
        if self.grpc_status is not None:
            words.append(f"grpc_status={self.grpc_status}")
        if self.client is not None:
            words.append(f"client={self.client}")
        if self.request_id is not None:
            words.append(f"request_id={self.request_id}")
        return " ".join(words)


def log_access(record: AccessRecord) -> None:
    """Write ``record`` to the access log (INFO on ``ragkit.access``); its fields are
    separate keys in JSON lines."""
    if _access.isEnabledFor(logging.INFO):
        # Not dataclasses.asdict: it deep-copies, and this runs for every request.
        fields = {k: v for k, v in vars(record).items() if v is not None}
        fields["latency_ms"] = round(record.latency_ms, 1)
        _access.info("%s", record, extra=fields)
