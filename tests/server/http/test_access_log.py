"""The access log: one line per request with method, path, status, latency and request id,
in one format with the server's other lines (text or JSON)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.logs import ACCESS_LOGGER, JsonFormatter, TextFormatter, configure_logging

from .conftest import running


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == ACCESS_LOGGER]


async def test_each_request_is_logged_once_with_latency(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    await client.post("/v1beta/corpora", json={"name": "corpora/logged"})
    await client.get("/v1beta/corpora/missing?key=SECRET-KEY", headers={"x-request-id": "req-42"})
    created, missing = access_records(caplog)
    assert (created.method, created.path, created.status) == ("POST", "/v1beta/corpora", 200)
    assert created.transport == "http"
    assert created.latency_ms > 0
    assert not hasattr(created, "request_id")
    assert missing.path == "/v1beta/corpora/missing"
    assert missing.status in (403, 404)
    assert missing.request_id == "req-42"
    line = missing.getMessage()
    assert line.startswith(f"GET /v1beta/corpora/missing {missing.status} ")
    assert "ms transport=http" in line and "request_id=req-42" in line
    # Query strings may hold API keys: never logged.
    assert "SECRET-KEY" not in caplog.text


async def test_a_request_id_cannot_break_the_line(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    await client.get("/v1beta/corpora/a%0Ab", headers={"x-request-id": "x" * 500})
    (record,) = access_records(caplog)
    assert record.path == "/v1beta/corpora/a%0Ab"
    assert record.request_id == "x" * 128
    assert "\n" not in record.getMessage()


async def test_a_quiet_server_writes_no_access_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    app = create_app(ServerConfig(data_dir=tmp_path / "d", embedder="hash", log_level="warning"))
    async with running(app) as client:
        assert (await client.get("/v1beta/corpora")).status_code == 200
        metrics = (await client.get("/metrics")).text
    assert access_records(caplog) == []
    assert 'method="GET /v1beta/corpora"' in metrics  # still counted


def _record(**extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"name": "ragkit.access", "levelname": "INFO",
                                    "levelno": logging.INFO, "msg": "GET / 200 1.0ms"})  # fmt: skip
    record.__dict__.update(extra)
    return record


def test_json_lines_carry_the_access_fields() -> None:
    line = JsonFormatter().format(_record(method="GET", path="/", status=200, latency_ms=1.0))
    entry = json.loads(line)
    assert entry["logger"] == "ragkit.access"
    assert entry["level"] == "INFO"
    assert entry["message"] == "GET / 200 1.0ms"
    assert (entry["method"], entry["status"], entry["latency_ms"]) == ("GET", 200, 1.0)
    assert entry["time"].endswith("Z")


def test_text_lines_have_time_level_and_logger() -> None:
    line = TextFormatter().format(_record())
    stamp, level, logger, message = line.split(" ", 3)
    assert stamp.endswith("Z") and "T" in stamp
    assert (level, logger, message) == ("INFO", "ragkit.access:", "GET / 200 1.0ms")


def test_configure_logging_sends_uvicorn_through_the_same_handler() -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("info", "json")
        (handler,) = root.handlers
        assert isinstance(handler.formatter, JsonFormatter)
        uvicorn = logging.getLogger("uvicorn.error")
        assert uvicorn.handlers == [] and uvicorn.propagate
        with pytest.raises(ValueError, match="log format"):
            configure_logging("info", "xml")  # type: ignore[arg-type]
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
