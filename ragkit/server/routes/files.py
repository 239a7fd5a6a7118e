"""``files``: metadata-only create, get, list and delete (uploads: ``routes/uploads.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ragkit.server.http.deps import Caller, Files
from ragkit.server.http.params import ListParams, PlainParams
from ragkit.server.http.transactions import CommitAfterRender
from ragkit.server.http.wire import body_of, render
from ragkit.server.media import file_out
from ragkit.types import CreateFileRequest, CreateFileResponse, File, ListFilesResponse

__all__ = ["router"]

router = APIRouter(tags=["files"], route_class=CommitAfterRender)

CreateBody = Annotated[CreateFileRequest, Depends(body_of(CreateFileRequest))]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.post("/files")
def create_file(
    request: Request, files: Files, who: Caller, q: PlainParams, body: CreateBody
) -> JSONResponse:
    """Create a file from metadata alone: an empty, ACTIVE file of ``file.mimeType``."""
    metadata = body.file or File()
    record = files.create_file(
        who,
        requested_name=metadata.name,
        display_name=metadata.display_name,
        mime_type=metadata.mime_type,
        data=b"",
    )
    return render(CreateFileResponse(file=file_out(record, _base(request))), enum_int=q.enum_int)


@router.get("/files")
def list_files(request: Request, files: Files, who: Caller, q: ListParams) -> JSONResponse:
    """The caller's files, oldest first (``pageSize`` default 10, max 100)."""
    records, token = files.list_files(who, page_size=q.page_size, page_token=q.page_token)
    base = _base(request)
    page = ListFilesResponse(files=[file_out(r, base) for r in records], next_page_token=token)
    return render(page, enum_int=q.enum_int)


@router.get("/files/{file:rid}")
def get_file(
    file: str, request: Request, files: Files, who: Caller, q: PlainParams
) -> JSONResponse:
    record = files.get_file(who, f"files/{file}")
    return render(file_out(record, _base(request)), enum_int=q.enum_int)


@router.delete("/files/{file:rid}")
def delete_file(file: str, files: Files, who: Caller, q: PlainParams) -> JSONResponse:
    """Delete a file before it expires (a missing one: 403, as Google answers)."""
    files.delete_file(who, f"files/{file}")
    return render(None)
