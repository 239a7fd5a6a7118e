"""File Search operations survive a stop: the next start runs what was left unfinished;
of two servers on one database, one runs an operation, and the other takes it over only
once the first one's lease lapses."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from ragkit import limits
from ragkit.server.media import FileService
from ragkit.server.models.embedding import load_embedder
from ragkit.server.service import RetrieverService
from ragkit.server.service.file_search_ops import FileSearchOperations
from ragkit.server.store.file_search import DocumentFacts, OperationRecord
from ragkit.types import Code, Document, DocumentState, FileSearchStore

from .conftest import OWNER

#: The same rules on SQLite and PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.both_backends


def _wait_done(service: RetrieverService, name: str) -> dict[str, object]:
    for _ in range(400):
        record = service.file_search_operation(name)
        assert record is not None
        if record.done:
            return record.result or {}
        time.sleep(0.025)
    raise AssertionError(f"{name} never finished")


def _pending_import(service: RetrieverService, files: FileService) -> tuple[str, OperationRecord]:
    """A store named "Notes" and a pending import into it of a small text file."""
    store = service.create_file_search_store(
        OWNER, FileSearchStore(display_name="Notes"), default_embedding_model="models/x"
    )
    assert store.name is not None
    file = files.create_file(
        OWNER,
        requested_name=None,
        display_name="pears.txt",
        mime_type="text/plain",
        data=b"Pears are sweet and grainy.",
    )
    op = service.begin_file_search_operation(
        OWNER, store.name, kind="import", request={}, file_name=f"files/{file.name}"
    )
    return store.name, op


def test_an_interrupted_import_runs_again_from_a_clean_slate(
    open_service: Callable[..., RetrieverService], tmp_path: Path, database_url: str | None
) -> None:
    service = open_service(data_dir=tmp_path / "data")
    files = FileService.open(tmp_path / "data", database_url=database_url)
    try:
        store, op = _pending_import(service, files)
        # A first run began a document, then the server stopped.
        corpus = f"corpora/{store.split('/')[1]}"
        leftover = service.create_document(OWNER, corpus, Document(display_name="half done"))
        assert leftover.name is not None
        facts = DocumentFacts(DocumentState.STATE_PENDING.value, 1, "text/plain")
        service.track_file_search_document(op, leftover.name, facts)
        assert service.get_file_search_store(OWNER, store).pending_documents_count == 1

        ops = FileSearchOperations.open(service, files)  # the restart
        try:
            result = _wait_done(service, op.name)
        finally:
            ops.close()
        assert "response" in result, result
        listed = service.list_file_search_documents(OWNER, store, page_size=None, page_token=None)
        assert [d.display_name for d in listed.documents or []] == ["pears.txt"]
        counted = service.get_file_search_store(OWNER, store)
        assert (counted.active_documents_count, counted.pending_documents_count) == (1, 0)
    finally:
        files.close()


def test_finished_operations_are_forgotten_after_their_lifetime(
    service: RetrieverService,
) -> None:
    store = service.create_file_search_store(
        OWNER, FileSearchStore(display_name="Old"), default_embedding_model="models/x"
    )
    assert store.name is not None
    op = service.begin_file_search_operation(
        OWNER, store.name, kind="import", request={}, file_name="files/x"
    )
    service.finish_file_search_operation(op, {"response": {}})
    assert service.purge_file_search_operations() == 0  # still fresh
    service._last = service._now() + timedelta(seconds=limits.FILE_SEARCH_OPERATION_TTL_SECONDS + 1)
    assert service.purge_file_search_operations() == 1
    assert service.file_search_operation(op.name) is None


def test_an_upload_never_finalized_reads_as_expired(service: RetrieverService) -> None:
    store = service.create_file_search_store(
        OWNER, FileSearchStore(display_name="Abandoned"), default_embedding_model="models/x"
    )
    assert store.name is not None
    op = service.begin_file_search_operation(
        OWNER, store.name, kind="upload", request={}, upload_session="s1"
    )
    assert service.get_file_search_operation(OWNER, op.name).done is False
    service._last = service._now() + timedelta(seconds=limits.FILE_TTL_SECONDS + 1)
    expired = service.get_file_search_operation(OWNER, op.name)
    assert expired.done is True and expired.error is not None
    assert expired.error.code == Code.DEADLINE_EXCEEDED.value
    assert service.purge_file_search_operations() == 1


def test_a_dead_servers_import_is_taken_over_once_its_lease_lapses(
    tmp_path: Path, database_url: str | None
) -> None:
    lease = 0.6
    servers = [
        RetrieverService.open(
            tmp_path / "data",
            embedder=load_embedder("hash:64"),
            database_url=database_url,
            lease_seconds=lease,
        )
        for _ in range(2)
    ]
    dying, other = servers
    files = FileService.open(tmp_path / "data", database_url=database_url)
    try:
        store, op = _pending_import(dying, files)
        assert dying.claim_file_search_operation(op)  # it starts the import...
        ops = FileSearchOperations.open(other, files, poll_seconds=lease)
        try:
            # ...and while it lives (renewing its lease) the other server leaves it be.
            time.sleep(lease * 2)
            record = other.file_search_operation(op.name)
            assert record is not None and not record.done
            assert not other.claim_file_search_operation(op)
            dying._work_leases.close(release=False)  # it dies: nothing renews its lease
            result = _wait_done(other, op.name)
        finally:
            ops.close()
        assert "response" in result, result
        listed = other.list_file_search_documents(OWNER, store, page_size=None, page_token=None)
        assert [d.display_name for d in listed.documents or []] == ["pears.txt"]
    finally:
        files.close()
        for server in servers:
            server.close()
