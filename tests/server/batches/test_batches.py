"""Batch jobs: creation, the worker's output, cancel, delete, list, restart, expiry."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ragkit import NotFoundError
from ragkit.server.batches import BatchService
from ragkit.server.batches import store as batch_store
from ragkit.server.media import FileService
from ragkit.server.principal import LOCAL_USER
from ragkit.types import (
    BatchState,
    EmbedContentBatch,
    EmbedContentBatchOutput,
    GenerateContentBatch,
    GenerateContentBatchOutput,
    Operation,
)
from ragkit.types.operation import unpack_any

from ..media.support import EMBED_MODEL, GEN_MODEL, FakeClock, FakeModels, Served, serve

#: The same rules on SQLite and PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.both_backends

GEN = GEN_MODEL.removeprefix("models/")
EMBED = EMBED_MODEL.removeprefix("models/")


def _request(text: str) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}]}


def _inline(*texts: str) -> dict[str, Any]:
    requests = [{"request": _request(t), "metadata": {"key": f"k{i}"}} for i, t in enumerate(texts)]
    return {"displayName": "job", "inputConfig": {"requests": {"requests": requests}}}


async def _done(served: Served, name: str) -> Operation:
    for _ in range(300):
        operation = await served.client.batches.get(name)
        if operation.done:
            return operation
        await asyncio.sleep(0.02)
    raise AssertionError(f"{name} never finished")


def _state(operation: Operation) -> BatchState | None:
    return unpack_any(operation.metadata or {}, GenerateContentBatch).state


async def test_inline_generation_batch_succeeds_with_per_request_errors(served: Served) -> None:
    created = await served.client.models.batch_generate_content(
        GEN, batch=_inline("hello", "fail", "world")
    )
    assert created.name is not None and created.name.startswith("batches/")
    assert not created.done
    job = unpack_any(created.metadata or {}, GenerateContentBatch)
    assert job.state is BatchState.BATCH_STATE_PENDING and job.model == GEN_MODEL
    assert job.batch_stats is not None and job.batch_stats.request_count == 3
    finished = await _done(served, created.name)
    batch = unpack_any(finished.metadata or {}, GenerateContentBatch)
    assert batch.state is BatchState.BATCH_STATE_SUCCEEDED and batch.end_time is not None
    assert batch.batch_stats is not None
    stats = batch.batch_stats
    assert (stats.successful_request_count, stats.failed_request_count) == (2, 1)
    assert stats.pending_request_count == 0
    output = unpack_any(finished.response or {}, GenerateContentBatchOutput)
    assert output == batch.output and output.inlined_responses is not None
    items = output.inlined_responses.inlined_responses or []
    assert [item.metadata for item in items] == [{"key": "k0"}, {"key": "k1"}, {"key": "k2"}]
    first = items[0].response
    assert first is not None and first.candidates and first.candidates[0].content
    assert (first.candidates[0].content.parts or [])[0].text == "HELLO"
    assert items[1].error is not None and items[1].error.code == 3
    assert "asked to fail" in (items[1].error.message or "")


async def test_file_input_writes_a_responses_file_in_input_order(served: Served) -> None:
    lines = [{"key": f"row-{i}", "request": _request(f"line {i}")} for i in range(5)]
    data = "\n".join(json.dumps(line) for line in lines).encode() + b"\n\n"
    upload = await served.client.files.upload(data, mime_type="application/jsonl")
    created = await served.client.models.batch_generate_content(
        GEN, batch={"displayName": "from file", "inputConfig": {"fileName": upload.name}}
    )
    finished = await _done(served, created.name or "")
    output = unpack_any(finished.response or {}, GenerateContentBatchOutput)
    assert output.responses_file is not None and output.responses_file.startswith("files/batch-")
    batch = unpack_any(finished.metadata or {}, GenerateContentBatch)
    assert batch.input_config is not None and batch.input_config.file_name == upload.name
    rows = [
        json.loads(line)
        for line in (await served.client.files.download(output.responses_file))
        .decode()
        .splitlines()
    ]
    assert [row["key"] for row in rows] == [f"row-{i}" for i in range(5)]
    assert rows[3]["response"]["candidates"][0]["content"]["parts"][0]["text"] == "LINE 3"
    listed = {f.name: f for f in [f async for f in served.client.files.list()]}
    assert listed[output.responses_file].source is not None
    assert listed[output.responses_file].source.name == "GENERATED"


async def test_embedding_batch(served: Served) -> None:
    requests = [{"request": {"content": {"parts": [{"text": t}]}}} for t in ("a b", "c")]
    created = await served.client.models.async_batch_embed_content(
        EMBED,
        batch=EmbedContentBatch.model_validate(
            {"displayName": "vectors", "inputConfig": {"requests": {"requests": requests}}}
        ),
    )
    finished = await _done(served, created.name or "")
    assert (finished.metadata or {})["@type"].endswith(".EmbedContentBatch")
    output = unpack_any(finished.response or {}, EmbedContentBatchOutput)
    assert output.inlined_responses is not None
    vectors = [
        item.response.embedding.values
        for item in output.inlined_responses.inlined_responses or []
        if item.response and item.response.embedding
    ]
    assert vectors == [[3.0, 2.0], [1.0, 1.0]]


def _error(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    return str(response.json()["error"]["message"])


async def test_a_malformed_row_rejects_the_whole_batch(served: Served) -> None:
    http = served.http
    path = f"/v1beta/models/{GEN}:batchGenerateContent"
    good = {"request": _request("ok")}
    cases = [
        (
            {"batch": {"inputConfig": {"requests": {"requests": [good, {"metadata": {}}]}}}},
            "requests[1].request",
        ),
        (
            {
                "batch": {
                    "inputConfig": {
                        "requests": {
                            "requests": [
                                good,
                                {"request": {"contents": [{"parts": [{"txt": "x"}]}]}},
                            ]
                        }
                    }
                }
            },
            'Unknown name "txt"',
        ),
        ({"batch": {"inputConfig": {"requests": {"requests": [{"request": {}}]}}}}, "contents"),
        ({"batch": {"inputConfig": {}}}, "fileName or requests"),
        (
            {"batch": {"model": "models/other", "inputConfig": {"requests": {"requests": [good]}}}},
            "does not match",
        ),
        ({}, "batch is required"),
    ]
    for body, message in cases:
        assert message in _error(await http.post(path, json=body))
    bad_file = await served.client.files.upload(
        b'{"key": "a", "request": {"contents": [{"parts": [{"text": "x"}]}]}}\n{"key": 1}\n',
        mime_type="application/jsonl",
    )
    from_file = await http.post(path, json={"batch": {"inputConfig": {"fileName": bad_file.name}}})
    assert "line 2" in _error(from_file)
    good_line = b'{"request": {"contents": [{"parts": [{"text": "x"}]}]}}\n'
    for line, problem in [
        (b'{"request": {"contents": [{"parts": [{"text": "\\ud800"}]}]}}', "surrogate"),
        (b'{"request": {"generationConfig": {"temperature": NaN}}}', "finite"),
        (b'{"request": ' + b"[" * 2_000 + b"]" * 2_000 + b"}", "too deep"),
    ]:
        hostile = await served.client.files.upload(good_line + line, mime_type="application/jsonl")
        answer = await http.post(path, json={"batch": {"inputConfig": {"fileName": hostile.name}}})
        assert "line 2" in _error(answer) and problem in _error(answer)
    unknown = await http.post(
        "/v1beta/models/nope:batchGenerateContent",
        json={"batch": {"inputConfig": {"requests": {"requests": [good]}}}},
    )
    assert "batchGenerateContent" in _error(unknown, 404)
    missing = await http.post(path, json={"batch": {"inputConfig": {"fileName": "files/gone"}}})
    assert missing.status_code == 403
    assert (await http.get("/v1beta/batches")).json() == {}


async def test_cancel_and_delete(served: Served, models: FakeModels) -> None:
    models.gate.clear()
    running = await served.client.models.batch_generate_content(GEN, batch=_inline("a", "b", "c"))
    pending = await served.client.models.batch_generate_content(GEN, batch=_inline("d"))
    assert await asyncio.to_thread(models.started.wait, 5)
    await served.client.batches.cancel(pending.name or "")
    cancelled = await served.client.batches.get(pending.name or "")
    assert cancelled.done and cancelled.error is not None and cancelled.error.code == 1
    assert _state(cancelled) is BatchState.BATCH_STATE_CANCELLED
    assert _state(await served.client.batches.get(running.name or "")) is (
        BatchState.BATCH_STATE_RUNNING
    )
    await served.client.batches.cancel(running.name or "")
    models.gate.set()
    stopped = await _done(served, running.name or "")
    assert _state(stopped) is BatchState.BATCH_STATE_CANCELLED and stopped.response is None
    stats = unpack_any(stopped.metadata or {}, GenerateContentBatch).batch_stats
    assert stats is not None and stats.successful_request_count == 1  # the one in flight
    await served.client.batches.cancel(running.name or "")  # finished: nothing changes
    assert _state(await served.client.batches.get(running.name or "")) is (
        BatchState.BATCH_STATE_CANCELLED
    )
    await served.client.batches.delete(running.name or "")
    with pytest.raises(NotFoundError):
        await served.client.batches.get(running.name or "")
    with pytest.raises(NotFoundError):
        await served.client.batches.delete(running.name or "")


async def test_deleting_a_running_job_stops_it(served: Served, models: FakeModels) -> None:
    models.gate.clear()
    job = await served.client.models.batch_generate_content(GEN, batch=_inline("a", "b"))
    assert await asyncio.to_thread(models.started.wait, 5)
    await served.client.batches.delete(job.name or "")
    models.gate.set()
    after = await served.client.models.batch_generate_content(GEN, batch=_inline("z"))
    await _done(served, after.name or "")
    assert [text for _, _, text in models.calls] == ["a", "z"]


async def test_list_filter_and_pages(served: Served) -> None:
    names = []
    for text in ("one", "two", "three"):
        created = await served.client.models.batch_generate_content(GEN, batch=_inline(text))
        names.append(created.name)
        await _done(served, created.name or "")
    pending = await served.client.models.batch_generate_content(GEN, batch=_inline("later"))
    await _done(served, pending.name or "")
    await served.client.batches.cancel(pending.name or "")
    listed = [op.name async for op in served.client.batches.list(page_size=2)]
    assert listed == [*names, pending.name]
    succeeded = served.client.batches.list(filter="state=BATCH_STATE_SUCCEEDED")
    assert [op.name async for op in succeeded] == [*names, pending.name]
    bad = await served.http.get("/v1beta/batches", params={"filter": "model=x"})
    assert "state only" in _error(bad)
    assert (await served.http.get("/v1beta/batches", params={"filter": "state=4"})).json() == {}


async def test_jobs_survive_a_restart(tmp_path: Path, database_url: str | None) -> None:
    data_dir = tmp_path / "data"
    async with serve(data_dir, start_batches=False, database_url=database_url) as served:
        created = await served.client.models.batch_generate_content(GEN, batch=_inline("kept"))
    models = FakeModels()
    async with serve(data_dir, models=models, database_url=database_url) as served:
        finished = await _done(served, created.name or "")
        assert _state(finished) is BatchState.BATCH_STATE_SUCCEEDED
        assert models.calls == [("local@ragkit.local", GEN_MODEL, "kept")]


async def test_a_job_interrupted_by_shutdown_runs_again(
    tmp_path: Path, database_url: str | None
) -> None:
    data_dir = tmp_path / "data"
    first = FakeModels()
    first.gate.clear()
    async with serve(data_dir, models=first, database_url=database_url) as served:
        created = await served.client.models.batch_generate_content(GEN, batch=_inline("a", "b"))
        assert await asyncio.to_thread(first.started.wait, 5)
        first.gate.set()  # the request in flight completes; shutdown stops the job there
        served.batches._runner._stopping = True
    second = FakeModels()
    async with serve(data_dir, models=second, database_url=database_url) as served:
        finished = await _done(served, created.name or "")
        assert _state(finished) is BatchState.BATCH_STATE_SUCCEEDED
        assert [text for _, _, text in second.calls] == ["a", "b"]


async def test_a_job_pending_for_48_hours_expires(tmp_path: Path, database_url: str | None) -> None:
    clock = FakeClock()
    data_dir = tmp_path / "data"
    async with serve(
        data_dir, clock=clock, start_batches=False, database_url=database_url
    ) as served:
        created = await served.client.models.batch_generate_content(GEN, batch=_inline("old"))
    clock.advance(hours=48, seconds=1)
    async with serve(data_dir, clock=clock, database_url=database_url) as served:
        finished = await _done(served, created.name or "")
        assert _state(finished) is BatchState.BATCH_STATE_EXPIRED
        assert finished.error is not None and finished.error.code == 4


def test_a_cancel_the_worker_never_saw_is_honoured_after_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    files = FileService.open(tmp_path, clock=clock)
    try:
        batches = BatchService.open(
            tmp_path, files=files, models=FakeModels(), clock=clock, start=False
        )
        created = batches.create_generate(
            LOCAL_USER, GEN_MODEL, GenerateContentBatch.model_validate(_inline("x"))
        )
        with batches._db.write() as conn:  # the worker took it, then the server died
            record = batch_store.find_batch(conn, (created.name or "").removeprefix("batches/"))
            assert record is not None
            assert batch_store.claim(conn, record.id, 1, 2, clock())
        batches.cancel(LOCAL_USER, created.name or "")
        batches.close()
        models = FakeModels()
        batches = BatchService.open(tmp_path, files=files, models=models, clock=clock)
        operation = batches.get(LOCAL_USER, created.name or "")
        batches.close()
    finally:
        files.close()
    assert _state(operation) is BatchState.BATCH_STATE_CANCELLED
    assert operation.error is not None and operation.error.code == 1
    assert models.calls == []
