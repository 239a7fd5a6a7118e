"""``batches``: jobs created by ``models/{m}:batchGenerateContent`` and
``:asyncBatchEmbedContent``, then get, list, cancel and delete (long-running operations).

The two create routes live here, not with the other model methods; ``routes/__init__``
includes this router before the ``models/{m}:{method}`` catch-all.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ragkit.server.http.deps import Batches, Caller
from ragkit.server.http.params import Params, PlainParams, query_params
from ragkit.server.http.transactions import CommitAfterRender
from ragkit.server.http.wire import body_of, render
from ragkit.types import AsyncBatchEmbedContentRequest, BatchGenerateContentRequest

__all__ = ["router"]

router = APIRouter(tags=["batches"], route_class=CommitAfterRender)

GenerateBody = Annotated[BatchGenerateContentRequest, Depends(body_of(BatchGenerateContentRequest))]
EmbedBody = Annotated[
    AsyncBatchEmbedContentRequest, Depends(body_of(AsyncBatchEmbedContentRequest))
]
BatchListParams = Annotated[Params, Depends(query_params("pageSize", "pageToken", "filter"))]


@router.post("/models/{model:rid}:batchGenerateContent")
def batch_generate_content(
    model: str, batches: Batches, who: Caller, q: PlainParams, body: GenerateBody
) -> JSONResponse:
    """Start a job of ``generateContent`` requests (inline or a JSONL file)."""
    operation = batches.create_generate(who, f"models/{model}", body.batch, enum_int=q.enum_int)
    return render(operation)


@router.post("/models/{model:rid}:asyncBatchEmbedContent")
def async_batch_embed_content(
    model: str, batches: Batches, who: Caller, q: PlainParams, body: EmbedBody
) -> JSONResponse:
    """Start a job of ``embedContent`` requests (inline or a JSONL file)."""
    operation = batches.create_embed(who, f"models/{model}", body.batch, enum_int=q.enum_int)
    return render(operation)


@router.get("/batches")
def list_batches(
    request: Request, batches: Batches, who: Caller, q: BatchListParams
) -> JSONResponse:
    """The caller's jobs, oldest first; ``filter`` may be ``state=BATCH_STATE_...``."""
    page = batches.list(
        who,
        filter=request.query_params.get("filter"),
        page_size=q.page_size,
        page_token=q.page_token,
        enum_int=q.enum_int,
    )
    return render(page)


@router.get("/batches/{batch:rid}")
def get_batch(batch: str, batches: Batches, who: Caller, q: PlainParams) -> JSONResponse:
    """The job's operation; ``done`` with ``response`` or ``error`` once it finished."""
    return render(batches.get(who, f"batches/{batch}", enum_int=q.enum_int))


@router.post("/batches/{batch:rid}:cancel")
def cancel_batch(batch: str, batches: Batches, who: Caller, q: PlainParams) -> JSONResponse:
    """Cancel a pending or running job (it ends ``BATCH_STATE_CANCELLED``)."""
    batches.cancel(who, f"batches/{batch}")
    return render(None)


@router.delete("/batches/{batch:rid}")
def delete_batch(batch: str, batches: Batches, who: Caller, q: PlainParams) -> JSONResponse:
    """Forget a job (a running one is stopped: nobody could read its result)."""
    batches.delete(who, f"batches/{batch}")
    return render(None)
