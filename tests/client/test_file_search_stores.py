"""client.file_search_stores at the transport seam: what is sent, how answers parse,
how operations are waited for, and what is refused before anything is sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

import ragkit
from ragkit import limits
from ragkit import types as t
from tests.client.conftest import FakeAPI, Sleeps, resolve

STORE = "fileSearchStores/handbook-abc123def456"
SESSION = "https://generativelanguage.googleapis.com/upload/v1beta/sessions/u1"
UPLOAD_OP = f"{STORE}/upload/operations/op-1"
IMPORT_OP = f"{STORE}/operations/op-2"
DOCUMENT = f"{STORE}/documents/manual-0123456789ab"
RESPONSE_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta."


def operation(name: str, *, done: bool, error: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name}
    if done:
        body["done"] = True
        if error is not None:
            body["error"] = error
        else:
            body["response"] = {
                "@type": RESPONSE_TYPE + "UploadToFileSearchStoreResponse",
                "parent": STORE,
                "documentName": DOCUMENT,
                "mimeType": "text/markdown",
                "sizeBytes": "11",
            }
    return body


class UploadServer:
    """Google's upload endpoint for stores: the session, then an Operation at finalize."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.commands: list[tuple[str, int, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        command = request.headers["x-goog-upload-command"]
        if command == "start":
            return httpx.Response(200, headers={"x-goog-upload-url": SESSION})
        offset = int(request.headers["x-goog-upload-offset"])
        assert offset == len(self.received)
        self.received += request.content
        self.commands.append((command, offset, len(request.content)))
        if command == "upload, finalize":
            return httpx.Response(
                200,
                json=operation(UPLOAD_OP, done=False),
                headers={"x-goog-upload-status": "final"},
            )
        return httpx.Response(200, headers={"x-goog-upload-status": "active"})


async def test_store_lifecycle_requests(client: Any, api: FakeAPI) -> None:
    api.reply(
        httpx.Response(200, json={"name": STORE, "displayName": "Handbook"}),
        httpx.Response(
            200,
            json={
                "name": STORE,
                "activeDocumentsCount": "2",
                "pendingDocumentsCount": "1",
                "sizeBytes": "4096",
            },
        ),
        httpx.Response(200, json={}),
    )
    store = await resolve(client.file_search_stores.create(display_name="Handbook"))
    assert isinstance(store, t.FileSearchStore) and store.name == STORE
    assert (api.requests[0].method, api.requests[0].url.path) == (
        "POST",
        "/v1beta/fileSearchStores",
    )
    assert api.body(0) == {"displayName": "Handbook"}

    fetched = await resolve(client.file_search_stores.get("handbook-abc123def456"))
    assert api.requests[1].url.path == f"/v1beta/{STORE}"
    assert (fetched.active_documents_count, fetched.pending_documents_count) == (2, 1)
    assert fetched.size_bytes == 4096

    await resolve(client.file_search_stores.delete(STORE, force=True))
    assert api.last.method == "DELETE" and api.last.url.params["force"] == "true"


async def test_list_follows_pages(client: Any, api: FakeAPI) -> None:
    api.reply(
        httpx.Response(200, json={"fileSearchStores": [{"name": STORE}], "nextPageToken": "p2"}),
        httpx.Response(200, json={"fileSearchStores": [{"name": "fileSearchStores/b"}]}),
    )
    stores = await resolve(client.file_search_stores.list(page_size=1))
    assert [s.name for s in stores] == [STORE, "fileSearchStores/b"]
    assert api.requests[0].url.params["pageSize"] == "1"
    assert api.requests[1].url.params["pageToken"] == "p2"


async def test_documents(client: Any, api: FakeAPI) -> None:
    document = {
        "name": DOCUMENT,
        "state": "STATE_ACTIVE",
        "sizeBytes": "11",
        "mimeType": "text/markdown",
        "customMetadata": [{"key": "year", "numericValue": 2024}],
    }
    api.reply(
        httpx.Response(200, json={"documents": [document]}),
        httpx.Response(200, json=document),
        httpx.Response(200, json={}),
    )
    listed = await resolve(client.file_search_stores.documents.list(STORE, page_size=20))
    assert api.requests[0].url.path == f"/v1beta/{STORE}/documents"
    assert listed[0].state is t.DocumentState.STATE_ACTIVE and listed[0].size_bytes == 11
    got = await resolve(client.file_search_stores.documents.get(DOCUMENT))
    assert got.mime_type == "text/markdown" and api.requests[1].url.path == f"/v1beta/{DOCUMENT}"
    await resolve(client.file_search_stores.documents.delete(DOCUMENT, force=True))
    assert api.last.method == "DELETE" and api.last.url.params["force"] == "true"


async def test_upload_sends_metadata_chunking_and_reports_progress(
    client: Any, api: FakeAPI
) -> None:
    server = UploadServer()
    api.handler = server
    progress: list[tuple[int, int]] = []
    data = b"# Manual\n" * 300  # 2700 bytes
    op = await resolve(
        client.file_search_stores.upload_to_file_search_store(
            "handbook-abc123def456",
            data,
            mime_type="text/markdown",
            display_name="manual.md",
            custom_metadata={"year": 2024, "tags": ["faq", "hardware"]},
            chunking_config={"max_tokens_per_chunk": 200, "max_overlap_tokens": 20},
            chunk_size=1000,
            on_progress=lambda sent, total: progress.append((sent, total)),
        )
    )
    assert isinstance(op, t.UploadToFileSearchStoreOperation) and op.name == UPLOAD_OP
    assert not op.done and bytes(server.received) == data
    assert progress == [(1000, 2700), (2000, 2700), (2700, 2700)]
    start = api.requests[0]
    assert start.url.path == f"/upload/v1beta/{STORE}:uploadToFileSearchStore"
    assert start.headers["x-goog-upload-command"] == "start"
    assert start.headers["x-goog-upload-header-content-length"] == "2700"
    # The metadata sits at the top level of the body, as google-genai sends it.
    assert json.loads(start.content) == {
        "displayName": "manual.md",
        "customMetadata": [
            {"key": "year", "numericValue": 2024.0},
            {"key": "tags", "stringListValue": {"values": ["faq", "hardware"]}},
        ],
        "chunkingConfig": {"whiteSpaceConfig": {"maxTokensPerChunk": 200, "maxOverlapTokens": 20}},
        "mimeType": "text/markdown",
    }


async def test_upload_and_wait_polls_then_fetches_the_document(
    client: Any, api: FakeAPI, sleeps: Sleeps, tmp_path: Path
) -> None:
    server = UploadServer()
    polls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and "/operations/" in request.url.path:
            polls.append(request.url.path)
            return httpx.Response(200, json=operation(UPLOAD_OP, done=len(polls) >= 3))
        if request.method == "GET":
            return httpx.Response(200, json={"name": DOCUMENT, "state": "STATE_ACTIVE"})
        return server(request)

    api.handler = handler
    path = tmp_path / "manual.md"
    path.write_text("# Manual\nhi", encoding="utf-8")
    document = await resolve(
        client.file_search_stores.upload_and_wait(STORE, path, poll_interval=0.5)
    )
    assert isinstance(document, t.FileSearchStoreDocument) and document.name == DOCUMENT
    assert polls == [f"/v1beta/{UPLOAD_OP}"] * 3
    assert sleeps == [0.5, 0.75, 1.125]  # growing by half, as Poller promises
    assert api.requests[0].headers["x-goog-upload-header-content-type"] == "text/markdown"
    assert api.body(0) == {"mimeType": "text/markdown"}
    assert api.last.url.path == f"/v1beta/{DOCUMENT}"


async def test_wait_raises_the_operations_error_typed(client: Any, api: FakeAPI) -> None:
    api.reply(
        httpx.Response(
            200,
            json=operation(
                IMPORT_OP, done=True, error={"code": 3, "message": "cannot parse the PDF"}
            ),
        )
    )
    pending = t.ImportFileOperation(name=IMPORT_OP, done=False)
    with pytest.raises(ragkit.BadRequestError, match="cannot parse the PDF") as caught:
        await resolve(client.file_search_stores.operations.wait(pending))
    assert caught.value.status == "INVALID_ARGUMENT" and caught.value.code == 400
    assert IMPORT_OP in caught.value.message


async def test_wait_gives_up_after_the_timeout(client: Any, api: FakeAPI) -> None:
    api.handler = lambda request: httpx.Response(200, json=operation(IMPORT_OP, done=False))
    pending = t.ImportFileOperation(name=IMPORT_OP)
    with pytest.raises(ragkit.OperationTimeoutError, match="not done after 0 s") as caught:
        await resolve(client.file_search_stores.operations.wait(pending, timeout=0))
    assert caught.value.name == IMPORT_OP and isinstance(caught.value, TimeoutError)
    assert api.requests == []  # the deadline had passed before the first poll


async def test_get_picks_the_operation_type_by_name(client: Any, api: FakeAPI) -> None:
    api.reply(
        httpx.Response(200, json=operation(UPLOAD_OP, done=True)),
        httpx.Response(200, json={"name": IMPORT_OP, "done": False}),
    )
    upload = await resolve(client.file_search_stores.operations.get(UPLOAD_OP))
    assert isinstance(upload, t.UploadToFileSearchStoreOperation)
    assert upload.response is not None and upload.response.document_name == DOCUMENT
    imported = await resolve(client.file_search_stores.operations.get(IMPORT_OP))
    assert isinstance(imported, t.ImportFileOperation)


async def test_import_file(client: Any, api: FakeAPI) -> None:
    api.reply(httpx.Response(200, json={"name": IMPORT_OP}))
    op = await resolve(
        client.file_search_stores.import_file(
            STORE, "files/report-1", custom_metadata={"author": "Ada"}
        )
    )
    assert isinstance(op, t.ImportFileOperation) and op.name == IMPORT_OP
    assert api.last.url.path == f"/v1beta/{STORE}:importFile"
    assert api.body() == {
        "fileName": "files/report-1",
        "customMetadata": [{"key": "author", "stringValue": "Ada"}],
    }


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda c: c.file_search_stores.get("Not_An_ID"),
            ragkit.ResourceNameError,
            "lowercase letters",
        ),
        (
            lambda c: c.file_search_stores.documents.get("corpora/c/documents/d"),
            ragkit.ResourceNameError,
            "fileSearchStores/{id}/documents/{id}",
        ),
        (
            lambda c: c.file_search_stores.operations.get(f"{STORE}/jobs/1"),
            ragkit.ResourceNameError,
            "upload/operations",
        ),
        (
            lambda c: c.file_search_stores.list(page_size=21),
            ragkit.LimitError,
            "MAX_FILE_SEARCH_STORES_PAGE_SIZE=20",
        ),
        (
            lambda c: c.file_search_stores.create(display_name="x" * 513),
            ragkit.LimitError,
            "MAX_DISPLAY_NAME_LENGTH",
        ),
        (
            lambda c: c.file_search_stores.import_file(
                STORE, "files/f", chunking_config={"max_tokens_per_chunk": 5000}
            ),
            ragkit.LimitError,
            "MAX_WHITE_SPACE_TOKENS_PER_CHUNK=512",
        ),
        (
            lambda c: c.file_search_stores.import_file(
                STORE,
                "files/f",
                chunking_config={"max_tokens_per_chunk": 100, "max_overlap_tokens": 100},
            ),
            ragkit.LimitError,
            "smaller than max_tokens_per_chunk",
        ),
        (
            lambda c: c.file_search_stores.import_file(
                STORE, "files/f", custom_metadata={f"k{i}": "v" for i in range(21)}
            ),
            ragkit.LimitError,
            "MAX_CUSTOM_METADATA",
        ),
    ],
)
async def test_bad_input_is_refused_before_sending(
    client: Any, api: FakeAPI, call: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message.replace("{", r"\{").replace("}", r"\}")):
        await resolve(call(client))
    assert api.requests == []


async def test_oversized_file_is_refused_before_uploading(
    client: Any, api: FakeAPI, tmp_path: Path
) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as sparse:  # no disk blocks: only the size matters
        sparse.truncate(limits.MAX_FILE_SEARCH_FILE_BYTES + 1)
    with pytest.raises(ragkit.LimitError, match=r"huge\.pdf is 104,857,601 bytes"):
        await resolve(client.file_search_stores.upload_to_file_search_store(STORE, path))
    assert api.requests == []
