"""``corpora``: create, list, get, patch, delete, and ``corpora/{c}:query``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ragkit.server.http.deps import Caller, Service
from ragkit.server.http.params import DeleteParams, ListParams, PatchParams, PlainParams
from ragkit.server.http.transactions import CommitAfterRender
from ragkit.server.http.wire import body_of, render
from ragkit.types import Corpus, QueryCorpusRequest

__all__ = ["router"]

router = APIRouter(tags=["corpora"], route_class=CommitAfterRender)

CorpusBody = Annotated[Corpus, Depends(body_of(Corpus))]
QueryBody = Annotated[QueryCorpusRequest, Depends(body_of(QueryCorpusRequest))]


@router.post("/corpora")
def create_corpus(service: Service, who: Caller, q: PlainParams, body: CorpusBody) -> JSONResponse:
    """Create a corpus; an empty ``name`` gets one generated from ``displayName``."""
    return render(service.create_corpus(who, body), enum_int=q.enum_int)


@router.get("/corpora")
def list_corpora(service: Service, who: Caller, q: ListParams) -> JSONResponse:
    """The corpora the caller owns or can read, oldest first."""
    page = service.list_corpora(who, page_size=q.page_size, page_token=q.page_token)
    return render(page, enum_int=q.enum_int)


@router.get("/corpora/{corpus:rid}")
def get_corpus(corpus: str, service: Service, who: Caller, q: PlainParams) -> JSONResponse:
    return render(service.get_corpus(who, f"corpora/{corpus}"), enum_int=q.enum_int)


@router.patch("/corpora/{corpus:rid}")
def update_corpus(
    corpus: str, service: Service, who: Caller, q: PatchParams, body: CorpusBody
) -> JSONResponse:
    """Update the fields named by ``updateMask`` (only ``displayName`` is mutable)."""
    updated = service.update_corpus(who, f"corpora/{corpus}", body, q.update_mask)
    return render(updated, enum_int=q.enum_int)


@router.delete("/corpora/{corpus:rid}")
def delete_corpus(corpus: str, service: Service, who: Caller, q: DeleteParams) -> JSONResponse:
    """Delete a corpus; one that still has documents needs ``force=true``."""
    service.delete_corpus(who, f"corpora/{corpus}", force=q.force)
    return render(None)


@router.post("/corpora/{corpus:rid}:query")
def query_corpus(
    corpus: str, service: Service, who: Caller, q: PlainParams, body: QueryBody
) -> JSONResponse:
    """Semantic search over every active chunk of the corpus."""
    result = service.query_corpus(who, f"corpora/{corpus}", body)
    return render(result, enum_int=q.enum_int)
