"""``corpora/{c}/documents/{d}/chunks``: CRUD plus ``batchCreate|batchUpdate|batchDelete``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ragkit.server.http.deps import Caller, Service
from ragkit.server.http.params import ListParams, PatchParams, PlainParams
from ragkit.server.http.transactions import CommitAfterRender
from ragkit.server.http.wire import body_of, render
from ragkit.types import (
    BatchCreateChunksRequest,
    BatchDeleteChunksRequest,
    BatchUpdateChunksRequest,
    Chunk,
)

__all__ = ["router"]

router = APIRouter(tags=["chunks"], route_class=CommitAfterRender)

ChunkBody = Annotated[Chunk, Depends(body_of(Chunk))]
BatchCreateBody = Annotated[BatchCreateChunksRequest, Depends(body_of(BatchCreateChunksRequest))]
BatchUpdateBody = Annotated[BatchUpdateChunksRequest, Depends(body_of(BatchUpdateChunksRequest))]
BatchDeleteBody = Annotated[BatchDeleteChunksRequest, Depends(body_of(BatchDeleteChunksRequest))]

_CHUNKS = "/corpora/{corpus:rid}/documents/{document:rid}/chunks"
_CHUNK = _CHUNKS + "/{chunk:rid}"


def _document(corpus: str, document: str) -> str:
    return f"corpora/{corpus}/documents/{document}"


@router.post(_CHUNKS)
def create_chunk(
    corpus: str, document: str, service: Service, who: Caller, q: PlainParams, body: ChunkBody
) -> JSONResponse:
    created = service.create_chunk(who, _document(corpus, document), body)
    return render(created, enum_int=q.enum_int)


@router.get(_CHUNKS)
def list_chunks(
    corpus: str, document: str, service: Service, who: Caller, q: ListParams
) -> JSONResponse:
    page = service.list_chunks(
        who, _document(corpus, document), page_size=q.page_size, page_token=q.page_token
    )
    return render(page, enum_int=q.enum_int)


@router.get(_CHUNK)
def get_chunk(
    corpus: str, document: str, chunk: str, service: Service, who: Caller, q: PlainParams
) -> JSONResponse:
    found = service.get_chunk(who, f"{_document(corpus, document)}/chunks/{chunk}")
    return render(found, enum_int=q.enum_int)


@router.patch(_CHUNK)
def update_chunk(
    corpus: str,
    document: str,
    chunk: str,
    service: Service,
    who: Caller,
    q: PatchParams,
    body: ChunkBody,
) -> JSONResponse:
    """Update ``data`` and/or ``customMetadata``, as named by ``updateMask``."""
    name = f"{_document(corpus, document)}/chunks/{chunk}"
    return render(service.update_chunk(who, name, body, q.update_mask), enum_int=q.enum_int)


@router.delete(_CHUNK)
def delete_chunk(
    corpus: str, document: str, chunk: str, service: Service, who: Caller, q: PlainParams
) -> JSONResponse:
    service.delete_chunk(who, f"{_document(corpus, document)}/chunks/{chunk}")
    return render(None)


@router.post(_CHUNKS + ":batchCreate")
def batch_create_chunks(
    corpus: str, document: str, service: Service, who: Caller, q: PlainParams, body: BatchCreateBody
) -> JSONResponse:
    """Create up to 100 chunks atomically: one bad request rejects the whole batch."""
    created = service.batch_create_chunks(who, _document(corpus, document), body)
    return render(created, enum_int=q.enum_int)


@router.post(_CHUNKS + ":batchUpdate")
def batch_update_chunks(
    corpus: str, document: str, service: Service, who: Caller, q: PlainParams, body: BatchUpdateBody
) -> JSONResponse:
    """Update up to 100 chunks atomically."""
    updated = service.batch_update_chunks(who, _document(corpus, document), body)
    return render(updated, enum_int=q.enum_int)


@router.post(_CHUNKS + ":batchDelete")
def batch_delete_chunks(
    corpus: str, document: str, service: Service, who: Caller, q: PlainParams, body: BatchDeleteBody
) -> JSONResponse:
    """Delete chunks atomically; answers ``{}``."""
    service.batch_delete_chunks(who, _document(corpus, document), body)
    return render(None)
