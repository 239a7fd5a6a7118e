"""``fileSearchStores``: stores, their documents, ``importFile``, operations, and the
``/upload/{version}/fileSearchStores/{s}:uploadToFileSearchStore`` media endpoint.

Served under ``/v1beta`` and ``/v1`` (google-genai 3.x calls ``/v1``). Paths and bodies
follow google-genai's ``file_search_stores.py`` and ``documents.py``; see
``docs/reference/file-search.md``. Uploads speak the protocols of ``/upload/v1beta/files``
(resumable, multipart, raw) through the same upload machinery: the bytes become a Files
API file of the caller, which the operation imports and then deletes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from ragkit import limits
from ragkit.server.catalog import embedding_model_name
from ragkit.server.errors import ApiError, internal, invalid_argument, not_found
from ragkit.server.http.deps import Caller, EmbedderDep, Files, Service, server_state
from ragkit.server.http.params import DeleteParams, ListParams, PlainParams
from ragkit.server.http.transactions import CommitAfterRender
from ragkit.server.http.wire import body_of, parse_body, render
from ragkit.server.media import FileService
from ragkit.server.media.multipart import read_multipart
from ragkit.server.principal import Principal
from ragkit.server.routes.uploads import (
    _base_url,
    _commands,
    _int_header,
    _metadata_body,
    _upload_query,
    session_started,
)
from ragkit.server.service import RetrieverService
from ragkit.server.service.file_search import operation_out
from ragkit.server.service.file_search_ops import FileSearchOperations, check_import_request
from ragkit.server.store.file_search import OperationRecord
from ragkit.types import (
    Code,
    FileSearchStore,
    ImportFileRequest,
    UploadToFileSearchStoreRequest,
)
from ragkit.types._base import to_wire

__all__ = ["router", "upload_router"]

router = APIRouter(tags=["fileSearchStores"], route_class=CommitAfterRender)
#: Async routes: they hand work to the operations worker after their write committed.
operations_router = APIRouter(tags=["fileSearchStores"])
upload_router = APIRouter(tags=["fileSearchStores"])

StoreBody = Annotated[FileSearchStore, Depends(body_of(FileSearchStore))]
ImportBody = Annotated[ImportFileRequest, Depends(body_of(ImportFileRequest))]


def _operations(request: Request) -> FileSearchOperations:
    ops = server_state(request).file_search
    if ops is None:
        raise internal("The File Search operations worker is not running.")
    return ops


Operations = Annotated[FileSearchOperations, Depends(_operations)]


@router.post("/fileSearchStores")
def create_store(
    service: Service, who: Caller, q: PlainParams, body: StoreBody, embedder: EmbedderDep
) -> JSONResponse:
    """Create a store; its name is generated from ``displayName``."""
    if body.name:
        raise invalid_argument(
            "Invalid value at 'file_search_store.name': the name is output only; it is "
            "generated from displayName."
        )
    default = embedding_model_name(embedder)
    store = service.create_file_search_store(who, body, default_embedding_model=default)
    return render(store, enum_int=q.enum_int)


@router.get("/fileSearchStores")
def list_stores(service: Service, who: Caller, q: ListParams) -> JSONResponse:
    """The stores the caller can read, oldest first."""
    page = service.list_file_search_stores(who, page_size=q.page_size, page_token=q.page_token)
    return render(page, enum_int=q.enum_int)


@router.get("/fileSearchStores/{store:rid}")
def get_store(store: str, service: Service, who: Caller, q: PlainParams) -> JSONResponse:
    found = service.get_file_search_store(who, f"fileSearchStores/{store}")
    return render(found, enum_int=q.enum_int)


@router.delete("/fileSearchStores/{store:rid}")
def delete_store(store: str, service: Service, who: Caller, q: DeleteParams) -> JSONResponse:
    """Delete a store; one that still has documents needs ``force=true``."""
    service.delete_file_search_store(who, f"fileSearchStores/{store}", force=q.force)
    return render(None)


@router.get("/fileSearchStores/{store:rid}/documents")
def list_documents(store: str, service: Service, who: Caller, q: ListParams) -> JSONResponse:
    page = service.list_file_search_documents(
        who, f"fileSearchStores/{store}", page_size=q.page_size, page_token=q.page_token
    )
    return render(page, enum_int=q.enum_int)


@router.get("/fileSearchStores/{store:rid}/documents/{document:rid}")
def get_document(
    store: str, document: str, service: Service, who: Caller, q: PlainParams
) -> JSONResponse:
    name = f"fileSearchStores/{store}/documents/{document}"
    return render(service.get_file_search_document(who, name), enum_int=q.enum_int)


@router.delete("/fileSearchStores/{store:rid}/documents/{document:rid}")
def delete_document(
    store: str, document: str, service: Service, who: Caller, q: DeleteParams
) -> JSONResponse:
    """Delete a document; one with chunks needs ``force=true``."""
    name = f"fileSearchStores/{store}/documents/{document}"
    service.delete_file_search_document(who, name, force=q.force)
    return render(None)


@router.get("/fileSearchStores/{store:rid}/operations/{operation:rid}")
def get_import_operation(
    store: str, operation: str, service: Service, who: Caller, q: PlainParams
) -> JSONResponse:
    name = f"fileSearchStores/{store}/operations/{operation}"
    return render(service.get_file_search_operation(who, name), enum_int=q.enum_int)


@router.get("/fileSearchStores/{store:rid}/upload/operations/{operation:rid}")
def get_upload_operation(
    store: str, operation: str, service: Service, who: Caller, q: PlainParams
) -> JSONResponse:
    name = f"fileSearchStores/{store}/upload/operations/{operation}"
    return render(service.get_file_search_operation(who, name), enum_int=q.enum_int)


@operations_router.post("/fileSearchStores/{store:rid}:importFile")
async def import_file(
    store: str,
    service: Service,
    files: Files,
    ops: Operations,
    who: Caller,
    q: PlainParams,
    body: ImportBody,
) -> JSONResponse:
    """Import a Files API file (``fileName``: ``files/abc``) of the caller; answers an
    operation that finishes once the document is ACTIVE (or FAILED)."""
    if not body.file_name:
        raise invalid_argument("Invalid value at 'file_name': a file name such as files/abc.")
    stored = check_import_request(body.custom_metadata, body.chunking_config)

    def begin() -> OperationRecord:
        files.get_file(who, body.file_name or "")  # the caller's, and unexpired
        return service.begin_file_search_operation(
            who,
            f"fileSearchStores/{store}",
            kind="import",
            request=stored,
            file_name=body.file_name,
        )

    record = await anyio.to_thread.run_sync(begin)
    ops.submit(record)
    return render(operation_out(record), enum_int=q.enum_int)


# --- uploadToFileSearchStore -------------------------------------------------------------


@upload_router.post("/upload/v1beta/fileSearchStores/{store:rid}:uploadToFileSearchStore")
@upload_router.post("/upload/v1/fileSearchStores/{store:rid}:uploadToFileSearchStore")
async def upload_to_store(
    store: str,
    request: Request,
    service: Service,
    files: Files,
    ops: Operations,
    who: Caller,
) -> Response:
    """Upload a file into a store: resumable (start, then chunks on the returned URL),
    multipart or raw. The final answer is the upload's operation."""
    try:
        return await _Upload(request, service, files, ops, who, store).run()
    except ClientDisconnect:
        raise ApiError(
            Code.CANCELLED, "The client closed the connection before the upload finished."
        ) from None


class _Upload:
    def __init__(
        self,
        request: Request,
        service: RetrieverService,
        files: FileService,
        ops: FileSearchOperations,
        who: Principal,
        store: str,
    ) -> None:
        self.request = request
        self.service = service
        self.files = files
        self.ops = ops
        self.who = who
        self.store = f"fileSearchStores/{store}"

    async def run(self) -> Response:
        params, self.enum_int = _upload_query(self.request)
        if "upload_id" in params:
            return await self._session(params["upload_id"])
        headers = self.request.headers
        protocol = (headers.get("x-goog-upload-protocol") or params.get("uploadType") or "").lower()
        content_type = headers.get("content-type", "")
        if not protocol and content_type.lower().startswith("multipart/"):
            protocol = "multipart"
        if protocol == "resumable":
            return await self._start()
        if protocol == "multipart":
            upload = await read_multipart(self.request.stream(), content_type)
            options = parse_body(UploadToFileSearchStoreRequest, upload.metadata)
            stored = self._options(options)
            await anyio.to_thread.run_sync(self._writable)
            mime = options.mime_type or upload.media_type
            return await self._receive(stored, options, mime, upload.media, None)
        if protocol in ("raw", "media"):
            length = _int_header(self.request, "content-length")
            _check_size(length)
            await anyio.to_thread.run_sync(self._writable)
            options = UploadToFileSearchStoreRequest()
            return await self._receive(
                {}, options, content_type or None, self.request.stream(), length
            )
        raise invalid_argument(
            "Missing or unknown upload protocol: send X-Goog-Upload-Protocol resumable, "
            f"multipart or raw (or uploadType=media|multipart|resumable), got {protocol!r}."
        )

    def _options(self, options: UploadToFileSearchStoreRequest) -> dict[str, Any]:
        stored = check_import_request(options.custom_metadata, options.chunking_config)
        if options.display_name:
            stored["displayName"] = options.display_name
        if options.mime_type:
            stored["mimeType"] = options.mime_type
        return stored

    def _writable(self) -> None:
        """Refuse before a byte is stored when the caller may not write to the store."""
        self.service.require_file_search_writer(self.who, self.store)

    async def _receive(
        self,
        stored: dict[str, Any],
        options: UploadToFileSearchStoreRequest,
        mime: str | None,
        body: AsyncIterator[bytes],
        length: int | None,
    ) -> Response:
        record = await self.files.receive_file(
            self.who,
            requested_name=None,
            display_name=options.display_name,
            mime_type=mime,
            body=body,
            length=length,
        )
        if record.size_bytes > limits.MAX_FILE_SEARCH_FILE_BYTES:
            await anyio.to_thread.run_sync(self.files.delete_file, self.who, record.name)
            _check_size(record.size_bytes)
        stored.setdefault("mimeType", record.mime_type)

        def begin() -> OperationRecord:
            return self.service.begin_file_search_operation(
                self.who,
                self.store,
                kind="upload",
                request=stored,
                file_name=f"files/{record.name}",
            )

        op = await anyio.to_thread.run_sync(begin)
        self.ops.submit(op)
        return self._operation(op)

    def _operation(self, op: OperationRecord) -> Response:
        body = to_wire(operation_out(op), enum_int=self.enum_int)
        return JSONResponse(body, headers={"x-goog-upload-status": "final"})

    async def _start(self) -> Response:
        command = self.request.headers.get("x-goog-upload-command", "").strip().lower()
        if command != "start":
            raise invalid_argument(
                "A resumable upload starts with X-Goog-Upload-Command: start, got "
                f"{command or 'no command'!r}."
            )
        declared = _int_header(self.request, "x-goog-upload-header-content-length")
        _check_size(declared)
        options = parse_body(UploadToFileSearchStoreRequest, await _metadata_body(self.request))
        stored = self._options(options)
        mime = options.mime_type or self.request.headers.get("x-goog-upload-header-content-type")

        def start() -> str:
            self._writable()
            progress = self.files.start_upload(
                self.who,
                requested_name=None,
                display_name=options.display_name,
                mime_type=mime,
                declared_size=declared,
            )
            if mime:
                stored.setdefault("mimeType", mime)
            self.service.begin_file_search_operation(
                self.who,
                self.store,
                kind="upload",
                request=stored,
                upload_session=progress.session_id,
            )
            return progress.session_id

        session_id = await anyio.to_thread.run_sync(start)
        base = _base_url(self.request)
        path = self.request.url.path
        return session_started(f"{base}{path}?upload_id={session_id}&upload_protocol=resumable")

    async def _session(self, session_id: str) -> Response:
        commands = _commands(self.request)
        op = await anyio.to_thread.run_sync(self.service.file_search_upload, session_id)
        if op is None or op.owner.email != self.who.email:
            # Not an upload into a store: the same answer as an unknown session.
            raise not_found(f"Upload session {session_id!r} not found; it may have expired.")
        if commands == {"query"}:
            progress = await anyio.to_thread.run_sync(self.files.query_upload, self.who, session_id)
            if progress.file is None:
                return _active(progress.received)
            return self._operation(op)
        if commands == {"cancel"}:
            await anyio.to_thread.run_sync(self.files.cancel_upload, self.who, session_id)
            return Response(status_code=200, headers={"x-goog-upload-status": "cancelled"})
        if not commands <= {"upload", "finalize"}:
            raise invalid_argument(f"Commands {sorted(commands)} cannot be combined.")
        offset = _int_header(self.request, "x-goog-upload-offset")
        if offset is None and "upload" in commands:
            raise invalid_argument("X-Goog-Upload-Offset is required with the upload command.")
        progress = await self.files.receive_chunk(
            self.who,
            session_id,
            offset,
            self.request.stream(),
            length=_int_header(self.request, "content-length"),
            finalize="finalize" in commands,
        )
        if progress.file is None:
            return _active(progress.received)
        if op.file_name is None:
            file_name = f"files/{progress.file.name}"
            await anyio.to_thread.run_sync(self.service.attach_file_search_file, op, file_name)
            op = await anyio.to_thread.run_sync(self.service.file_search_operation, op.name) or op
            self.ops.submit(op)
        return self._operation(op)


def _active(received: int) -> Response:
    return Response(
        status_code=200,
        headers={"x-goog-upload-status": "active", "x-goog-upload-size-received": str(received)},
    )


def _check_size(size: int | None) -> None:
    if size is not None and size > limits.MAX_FILE_SEARCH_FILE_BYTES:
        raise invalid_argument(
            f"The file is {size} bytes; File Search accepts files of at most "
            f"{limits.MAX_FILE_SEARCH_FILE_BYTES} bytes (100 MB)."
        )
