"""``corpora/{c}/documents``: create, list, get, patch, delete, and ``documents/{d}:query``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ragkit.server.http.deps import Caller, Service
from ragkit.server.http.params import DeleteParams, ListParams, PatchParams, PlainParams
from ragkit.server.http.transactions import CommitAfterRender
from ragkit.server.http.wire import body_of, render
from ragkit.types import Document, QueryDocumentRequest

__all__ = ["router"]

router = APIRouter(tags=["documents"], route_class=CommitAfterRender)

DocumentBody = Annotated[Document, Depends(body_of(Document))]
QueryBody = Annotated[QueryDocumentRequest, Depends(body_of(QueryDocumentRequest))]

_DOCUMENTS = "/corpora/{corpus:rid}/documents"
_DOCUMENT = "/corpora/{corpus:rid}/documents/{document:rid}"


@router.post(_DOCUMENTS)
def create_document(
    corpus: str, service: Service, who: Caller, q: PlainParams, body: DocumentBody
) -> JSONResponse:
    created = service.create_document(who, f"corpora/{corpus}", body)
    return render(created, enum_int=q.enum_int)


@router.get(_DOCUMENTS)
def list_documents(corpus: str, service: Service, who: Caller, q: ListParams) -> JSONResponse:
    page = service.list_documents(
        who, f"corpora/{corpus}", page_size=q.page_size, page_token=q.page_token
    )
    return render(page, enum_int=q.enum_int)


@router.get(_DOCUMENT)
def get_document(
    corpus: str, document: str, service: Service, who: Caller, q: PlainParams
) -> JSONResponse:
    found = service.get_document(who, f"corpora/{corpus}/documents/{document}")
    return render(found, enum_int=q.enum_int)


@router.patch(_DOCUMENT)
def update_document(
    corpus: str, document: str, service: Service, who: Caller, q: PatchParams, body: DocumentBody
) -> JSONResponse:
    """Update ``displayName`` and/or ``customMetadata``, as named by ``updateMask``."""
    name = f"corpora/{corpus}/documents/{document}"
    return render(service.update_document(who, name, body, q.update_mask), enum_int=q.enum_int)


@router.delete(_DOCUMENT)
def delete_document(
    corpus: str, document: str, service: Service, who: Caller, q: DeleteParams
) -> JSONResponse:
    """Delete a document; one that still has chunks needs ``force=true``."""
    service.delete_document(who, f"corpora/{corpus}/documents/{document}", force=q.force)
    return render(None)


@router.post(_DOCUMENT + ":query")
def query_document(
    corpus: str, document: str, service: Service, who: Caller, q: PlainParams, body: QueryBody
) -> JSONResponse:
    """Semantic search over one document's active chunks."""
    result = service.query_document(who, f"corpora/{corpus}/documents/{document}", body)
    return render(result, enum_int=q.enum_int)
