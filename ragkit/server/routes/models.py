"""``models``: get, list, ``models/{m}:generateAnswer`` and the embedding methods.

``generateAnswer`` runs on ``models/aqa`` through the retriever service. The local embedder
is served as ``models/embedding-<name>`` through ``embedContent`` and
``batchEmbedContents``; a task type naming a query (``RETRIEVAL_QUERY``,
``QUESTION_ANSWERING``...) embeds the text as a query, anything else as a document, and a
``title`` (only allowed with ``RETRIEVAL_DOCUMENT``) is embedded in front of the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ragkit import limits
from ragkit.server.errors import invalid_argument, unimplemented
from ragkit.server.http.deps import Caller, Catalog, EmbedderDep, Service
from ragkit.server.http.params import ListParams, PlainParams
from ragkit.server.http.wire import body_of, render
from ragkit.server.models.embedding import Embedder
from ragkit.types import (
    BatchEmbedContentsRequest,
    BatchEmbedContentsResponse,
    ContentEmbedding,
    EmbedContentRequest,
    EmbedContentResponse,
    GenerateAnswerRequest,
    TaskType,
)

__all__ = ["router", "unserved_router"]

router = APIRouter(tags=["models"])
#: ``models/{m}:{method}`` for every method no route above serves; include it last.
unserved_router = APIRouter(tags=["models"])

AnswerBody = Annotated[GenerateAnswerRequest, Depends(body_of(GenerateAnswerRequest))]
EmbedBody = Annotated[EmbedContentRequest, Depends(body_of(EmbedContentRequest))]
BatchEmbedBody = Annotated[BatchEmbedContentsRequest, Depends(body_of(BatchEmbedContentsRequest))]

_QUERY_TASKS = frozenset(
    {
        TaskType.RETRIEVAL_QUERY,
        TaskType.QUESTION_ANSWERING,
        TaskType.FACT_VERIFICATION,
        TaskType.CODE_RETRIEVAL_QUERY,
    }
)


@router.get("/models")
def list_models(catalog: Catalog, who: Caller, q: ListParams) -> JSONResponse:
    """The models this server serves (``pageSize`` default 50, max 1000)."""
    return render(catalog.list(page_size=q.page_size, page_token=q.page_token), enum_int=q.enum_int)


@router.get("/models/{model:rid}")
def get_model(model: str, catalog: Catalog, who: Caller, q: PlainParams) -> JSONResponse:
    return render(catalog.get(f"models/{model}"), enum_int=q.enum_int)


@router.post("/models/{model:rid}:generateAnswer")
def generate_answer(
    model: str, catalog: Catalog, service: Service, who: Caller, q: PlainParams, body: AnswerBody
) -> JSONResponse:
    """A grounded answer from inline passages or a corpus/document (``models/aqa``)."""
    name = f"models/{model}"
    catalog.require(name, "generateAnswer")
    return render(service.generate_answer(who, name, body), enum_int=q.enum_int)


def _embed_requests(
    embedder: Embedder, requests: Sequence[EmbedContentRequest], model: str, *, batch: bool
) -> list[ContentEmbedding]:
    texts: list[str] = []
    kinds: list[bool] = []
    for i, request in enumerate(requests):
        where = f"requests[{i}]." if batch else ""
        if request.model is not None and request.model != model:
            raise invalid_argument(
                f"Invalid value at '{where}model': {request.model!r} does not match the "
                f"model in the URL, {model!r}."
            )
        parts = request.content.parts if request.content is not None else None
        text = " ".join(p.text for p in parts or () if p.text)
        if not text.strip():
            raise invalid_argument(f"Invalid value at '{where}content': no text to embed.")
        task = request.task_type
        if request.title is not None:
            if task is not TaskType.RETRIEVAL_DOCUMENT:
                raise invalid_argument(
                    f"Invalid value at '{where}title': a title is only allowed with "
                    "taskType RETRIEVAL_DOCUMENT."
                )
            text = f"{request.title}\n{text}"
        dims = request.output_dimensionality
        if dims is not None and not 1 <= dims <= embedder.dimensions:
            raise invalid_argument(
                f"Invalid value at '{where}outputDimensionality': must be in "
                f"1..{embedder.dimensions}, got {dims}."
            )
        texts.append(text)
        kinds.append(task in _QUERY_TASKS)
    return _embed(embedder, requests, texts, kinds)


def _embed(
    embedder: Embedder,
    requests: Sequence[EmbedContentRequest],
    texts: list[str],
    is_query: list[bool],
) -> list[ContentEmbedding]:
    rows: list[list[float] | None] = [None] * len(texts)
    for query in (True, False):
        picked = [i for i, flag in enumerate(is_query) if flag is query]
        if not picked:
            continue
        vectors = embedder.embed([texts[i] for i in picked], kind="query" if query else "document")
        for i, vector in zip(picked, vectors, strict=True):
            dims = requests[i].output_dimensionality or embedder.dimensions
            rows[i] = [float(v) for v in vector[:dims]]
    return [ContentEmbedding(values=row) for row in rows]


@router.post("/models/{model:rid}:embedContent")
def embed_content(
    model: str,
    catalog: Catalog,
    embedder: EmbedderDep,
    who: Caller,
    q: PlainParams,
    body: EmbedBody,
) -> JSONResponse:
    """Embed one text with the server's local embedder."""
    name = f"models/{model}"
    catalog.require(name, "embedContent")
    (embedding,) = _embed_requests(embedder, [body], name, batch=False)
    return render(EmbedContentResponse(embedding=embedding), enum_int=q.enum_int)


@router.post("/models/{model:rid}:batchEmbedContents")
def batch_embed_contents(
    model: str,
    catalog: Catalog,
    embedder: EmbedderDep,
    who: Caller,
    q: PlainParams,
    body: BatchEmbedBody,
) -> JSONResponse:
    """Embed up to 100 texts in one call; embeddings come back in request order."""
    name = f"models/{model}"
    catalog.require(name, "batchEmbedContents")
    requests = body.requests or []
    if not requests:
        raise invalid_argument("Invalid value at 'requests': at least one request is required.")
    if len(requests) > limits.MAX_EMBED_BATCH:
        raise invalid_argument(
            f"Invalid value at 'requests': at most {limits.MAX_EMBED_BATCH} requests are "
            f"allowed per batch, got {len(requests)}."
        )
    embeddings = _embed_requests(embedder, requests, name, batch=True)
    return render(BatchEmbedContentsResponse(embeddings=embeddings), enum_int=q.enum_int)


@unserved_router.post("/models/{model:rid}:{method}")
def unserved_model_method(model: str, method: str, catalog: Catalog, who: Caller) -> JSONResponse:
    """Google's answer for a model method this server does not serve (``:generateContent``).

    The catalog advertises no model for such a method, so this always raises NOT_FOUND
    worded as Google words it, pointing the caller at ListModels.
    """
    catalog.require(f"models/{model}", method)
    raise unimplemented(f"models/{model}:{method} is not implemented by this server.")
