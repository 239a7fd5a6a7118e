"""Batch jobs on two servers sharing one PostgreSQL: a job runs on one server only; when
that server freezes past its lease the other takes the job over and the frozen one, once
it wakes, records nothing; opening another server never requeues a job whose server is
alive; a slow request alone never loses the lease (the heartbeat renews it)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ragkit.server.batches import BatchService, leases
from ragkit.server.media import FileService
from ragkit.server.principal import Principal
from ragkit.types import BatchState, EmbedContentBatch
from tests.server.media.support import EMBED_MODEL, FakeModels

ALICE = Principal("alice@example.com")


def _job() -> EmbedContentBatch:
    requests = [{"request": {"content": {"parts": [{"text": f"row {i}"}]}}} for i in range(3)]
    return EmbedContentBatch.model_validate({"inputConfig": {"requests": {"requests": requests}}})


def _state(service: BatchService, name: str) -> int:
    metadata = service.get(ALICE, name, enum_int=True).metadata or {}
    return int(metadata["state"])


@pytest.fixture
def files(tmp_path: Path, postgres_url: str) -> Iterator[FileService]:
    service = FileService.open(tmp_path, database_url=postgres_url)
    yield service
    service.close()


def test_a_stalled_servers_job_is_taken_over_once(
    tmp_path: Path, postgres_url: str, files: FileService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leases, "LEASE_SECONDS", 1.5)
    stalled, healthy = FakeModels(), FakeModels()
    stalled.gate.clear()
    first = BatchService.open(tmp_path, files=files, models=stalled, database_url=postgres_url)
    try:
        first._runner.heartbeat = False  # as if the process froze: no lease renewal
        name = first.create_embed(ALICE, EMBED_MODEL, _job()).name or ""
        assert stalled.started.wait(30)
        # A second server opening now must not requeue the job: its lease is live.
        second = BatchService.open(tmp_path, files=files, models=healthy, database_url=postgres_url)
        try:
            assert _state(second, name) == BatchState.BATCH_STATE_RUNNING.value
            assert healthy.calls == []
            # The first stalls past its lease: the second's idle worker requeues the job
            # and runs it.
            deadline = time.monotonic() + 30
            while _state(second, name) != BatchState.BATCH_STATE_SUCCEEDED.value:
                assert time.monotonic() < deadline, "the job was not taken over"
                second._runner.wake()
                time.sleep(0.2)
            assert len(healthy.calls) == 3
            done = second.get(ALICE, name)
            # The stalled server wakes up: it learns it lost the lease and records nothing.
            stalled.gate.set()
            time.sleep(2.0)
            assert second.get(ALICE, name) == done
        finally:
            second.close()
    finally:
        first.close()


def test_a_slow_request_keeps_its_lease(
    tmp_path: Path, postgres_url: str, files: FileService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leases, "LEASE_SECONDS", 1.5)
    slow, other = FakeModels(), FakeModels()
    slow.gate.clear()
    first = BatchService.open(tmp_path, files=files, models=slow, database_url=postgres_url)
    try:
        name = first.create_embed(ALICE, EMBED_MODEL, _job()).name or ""
        assert slow.started.wait(30)  # the first server runs it (the second opens only now)
        second = BatchService.open(tmp_path, files=files, models=other, database_url=postgres_url)
        _keep_slow(second, slow, other, name)
    finally:
        first.close()


def _keep_slow(second: BatchService, slow: FakeModels, other: FakeModels, name: str) -> None:
    try:
        for _ in range(12):  # four lease periods
            second._runner.wake()
            time.sleep(0.5)
        assert _state(second, name) == BatchState.BATCH_STATE_RUNNING.value
        slow.gate.set()
        deadline = time.monotonic() + 20
        while _state(second, name) != BatchState.BATCH_STATE_SUCCEEDED.value:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert other.calls == [] and len(slow.calls) == 3
    finally:
        second.close()
