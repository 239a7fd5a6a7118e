"""``models``: get, list and every ``models/{m}:method``.

``generateAnswer`` runs on ``models/aqa`` through the retriever service; everything else
goes through the :class:`~ragkit.server.generation.GenerationService` (local composer,
local embedder, PaLM mapping, OpenAI-compatible upstream). With a Google upstream, a
model the catalog does not hold is passed through to Google untouched (body unparsed, so
fields newer than this server still work). ``streamGenerateContent`` answers in
server-sent events with ``alt=sse`` and as one JSON array otherwise, where even an early
error is an array, ``[{"error": ...}]``, as Google sends it.
"""

from __future__ import annotations

import json
from typing import Annotated, TypeVar

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from ragkit.server.errors import ApiError, internal, not_found
from ragkit.server.generation import GenerationService
from ragkit.server.generation.streaming import array_error_response, stream_response
from ragkit.server.http.deps import Caller, Catalog, Service
from ragkit.server.http.params import ListParams, Params, PlainParams, query_params
from ragkit.server.http.wire import body_of, json_body, parse_body, render
from ragkit.server.service.answer import ANSWERER_HEADER, RERANKER_HEADER, ComposedAnswerResponse
from ragkit.types import (
    BatchEmbedContentsRequest,
    BatchEmbedTextRequest,
    CountMessageTokensRequest,
    CountTextTokensRequest,
    CountTokensRequest,
    EmbedContentRequest,
    EmbedTextRequest,
    GenerateAnswerRequest,
    GenerateContentRequest,
    GenerateMessageRequest,
    GenerateTextRequest,
)

__all__ = ["GENERATION_STATE", "generation_of", "router", "unserved_router"]

M = TypeVar("M", bound=BaseModel)

router = APIRouter(tags=["models"])
#: ``models/{m}:{method}`` for every method no route above serves; include it last.
unserved_router = APIRouter(tags=["models"])

#: Attribute of ``app.state`` holding the app's :class:`GenerationService`.
GENERATION_STATE = "ragkit_generation"


def generation_of(request: Request) -> GenerationService:
    """The app's generation service (set by :func:`ragkit.server.app.create_app`)."""
    service = getattr(request.app.state, GENERATION_STATE, None)
    if not isinstance(service, GenerationService):
        raise internal("The generation service is not running.")
    return service


Generation = Annotated[GenerationService, Depends(generation_of)]
StreamParams = Annotated[Params, Depends(query_params(alt_formats=("json", "sse")))]
TextBody = Annotated[GenerateTextRequest, Depends(body_of(GenerateTextRequest))]
MessageBody = Annotated[GenerateMessageRequest, Depends(body_of(GenerateMessageRequest))]
EmbedTextBody = Annotated[EmbedTextRequest, Depends(body_of(EmbedTextRequest))]
BatchEmbedTextBody = Annotated[BatchEmbedTextRequest, Depends(body_of(BatchEmbedTextRequest))]
CountTextBody = Annotated[CountTextTokensRequest, Depends(body_of(CountTextTokensRequest))]
CountMessageBody = Annotated[CountMessageTokensRequest, Depends(body_of(CountMessageTokensRequest))]


async def _forward(generation: GenerationService, request: Request) -> Response:
    assert generation.google is not None
    return await generation.google.forward(
        request.method,
        request.url.path,
        request.query_params.multi_items(),
        await request.body(),
        request.headers,
    )


async def uses_file_search(request: Request) -> bool:
    """Whether a request for a forwarded model uses the ``fileSearch`` tool: this server
    retrieves from its own stores then, and hands the upstream the chunks."""
    raw = await request.body()
    if b"fileSearch" not in raw and b"file_search" not in raw:
        return False
    try:
        data = json.loads(raw)
    except ValueError:
        return False
    tools = data.get("tools") if isinstance(data, dict) else None
    return isinstance(tools, list) and any(
        isinstance(t, dict) and ("fileSearch" in t or "file_search" in t) for t in tools
    )


async def _body(request: Request, model_type: type[M]) -> M:
    return parse_body(model_type, await json_body(request))


@router.get("/models")
async def list_models(generation: Generation, who: Caller, q: ListParams) -> JSONResponse:
    """The models this server serves, then the Google upstream's (``pageSize`` <= 1000)."""
    page = await generation.list_models(page_size=q.page_size, page_token=q.page_token)
    return render(page, enum_int=q.enum_int)


@router.get("/models/{model:rid}")
async def get_model(
    model: str, generation: Generation, who: Caller, q: PlainParams
) -> JSONResponse:
    return render(await generation.get_model(f"models/{model}"), enum_int=q.enum_int)


@router.get("/models/{model:rid}/operations")
@router.get("/models/{model:rid}/operations/{operation:rid}")
async def model_operations(
    model: str, request: Request, generation: Generation, who: Caller
) -> Response:
    """Operations of forwarded ``:predictLongRunning`` calls, polled at the Google upstream.

    No local model starts operations, so without a Google upstream this is NOT_FOUND.
    """
    name = f"models/{model}"
    if generation.forwards(name):
        return await _forward(generation, request)
    # The resource name, without the version prefix it was asked under.
    raise not_found(f"{request.url.path.split('/', 2)[-1]} was not found.")


@router.post("/models/{model:rid}:generateAnswer")
async def generate_answer(
    model: str,
    request: Request,
    catalog: Catalog,
    service: Service,
    generation: Generation,
    who: Caller,
    q: PlainParams,
) -> Response:
    """A grounded answer from inline passages or a corpus/document (``models/aqa``)."""
    name = f"models/{model}"
    if generation.forwards(name):
        return await _forward(generation, request)
    catalog.require(name, "generateAnswer")
    body = await _body(request, GenerateAnswerRequest)
    answer = await anyio.to_thread.run_sync(service.generate_answer, who, name, body)
    response = render(answer, enum_int=q.enum_int)
    if isinstance(answer, ComposedAnswerResponse):
        # Who composed the answer (README: "Answers composed by a language model").
        header = answer.composed_by.encode("ascii", "replace").decode()
        response.headers[ANSWERER_HEADER] = header
        response.headers[RERANKER_HEADER] = answer.reranked_by
    return response


@router.post("/models/{model:rid}:generateContent")
async def generate_content(
    model: str, request: Request, generation: Generation, who: Caller, q: PlainParams
) -> Response:
    """One complete reply (local composer, or the configured upstream)."""
    name = f"models/{model}"
    if generation.forwards(name) and not await uses_file_search(request):
        return await _forward(generation, request)
    body = await _body(request, GenerateContentRequest)
    return render(await generation.generate(who, name, body), enum_int=q.enum_int)


@router.post("/models/{model:rid}:streamGenerateContent")
async def stream_generate_content(
    model: str, request: Request, generation: Generation, who: Caller, q: StreamParams
) -> Response:
    """The reply as a stream: SSE events with ``alt=sse``, else one JSON array."""
    name = f"models/{model}"
    if generation.forwards(name) and not await uses_file_search(request):
        return await _forward(generation, request)
    try:
        body = await _body(request, GenerateContentRequest)
        chunks = await generation.stream(who, name, body)
    except ApiError as error:
        if q.alt == "sse":
            raise
        return array_error_response(error)
    return stream_response(chunks, alt=q.alt, enum_int=q.enum_int)


@router.post("/models/{model:rid}:countTokens")
async def count_tokens(
    model: str, request: Request, generation: Generation, who: Caller, q: PlainParams
) -> Response:
    """Tokens of ``contents`` or of a whole ``generateContentRequest``."""
    name = f"models/{model}"
    if generation.forwards(name):
        return await _forward(generation, request)
    body = await _body(request, CountTokensRequest)
    return render(await generation.count_tokens(who, name, body), enum_int=q.enum_int)


@router.post("/models/{model:rid}:embedContent")
async def embed_content(
    model: str, request: Request, generation: Generation, who: Caller, q: PlainParams
) -> Response:
    """Embed one text with the server's local embedder."""
    name = f"models/{model}"
    if generation.forwards(name):
        return await _forward(generation, request)
    generation.catalog.require(name, "embedContent")
    body = await _body(request, EmbedContentRequest)
    result = await anyio.to_thread.run_sync(generation.embeddings.embed_content, name, body)
    return render(result, enum_int=q.enum_int)


@router.post("/models/{model:rid}:batchEmbedContents")
async def batch_embed_contents(
    model: str, request: Request, generation: Generation, who: Caller, q: PlainParams
) -> Response:
    """Embed up to 100 texts in one call; embeddings come back in request order."""
    name = f"models/{model}"
    if generation.forwards(name):
        return await _forward(generation, request)
    generation.catalog.require(name, "batchEmbedContents")
    body = await _body(request, BatchEmbedContentsRequest)
    embed = generation.embeddings.batch_embed_contents
    return render(await anyio.to_thread.run_sync(embed, name, body), enum_int=q.enum_int)


@router.post("/models/{model:rid}:generateText")
def generate_text(
    model: str, generation: Generation, who: Caller, q: PlainParams, body: TextBody
) -> JSONResponse:
    """PaLM text completion, answered by the local composer."""
    entry = generation.catalog.require(f"models/{model}", "generateText")
    return render(generation.legacy.generate_text(who, entry, body), enum_int=q.enum_int)


@router.post("/models/{model:rid}:generateMessage")
def generate_message(
    model: str, generation: Generation, who: Caller, q: PlainParams, body: MessageBody
) -> JSONResponse:
    """PaLM chat reply, answered by the local composer."""
    entry = generation.catalog.require(f"models/{model}", "generateMessage")
    return render(generation.legacy.generate_message(who, entry, body), enum_int=q.enum_int)


@router.post("/models/{model:rid}:embedText")
def embed_text(
    model: str, generation: Generation, who: Caller, q: PlainParams, body: EmbedTextBody
) -> JSONResponse:
    """PaLM text embedding: ``{embedding: {value: [...]}}``."""
    name = f"models/{model}"
    generation.catalog.require(name, "embedText")
    return render(generation.embeddings.embed_text(name, body), enum_int=q.enum_int)


@router.post("/models/{model:rid}:batchEmbedText")
def batch_embed_text(
    model: str, generation: Generation, who: Caller, q: PlainParams, body: BatchEmbedTextBody
) -> JSONResponse:
    """PaLM batch embedding of ``texts`` or ``requests`` (at most 100)."""
    name = f"models/{model}"
    generation.catalog.require(name, "batchEmbedText")
    return render(generation.embeddings.batch_embed_text(name, body), enum_int=q.enum_int)


@router.post("/models/{model:rid}:countTextTokens")
def count_text_tokens(
    model: str, generation: Generation, who: Caller, q: PlainParams, body: CountTextBody
) -> JSONResponse:
    generation.catalog.require(f"models/{model}", "countTextTokens")
    return render(generation.legacy.count_text_tokens(body), enum_int=q.enum_int)


@router.post("/models/{model:rid}:countMessageTokens")
def count_message_tokens(
    model: str, generation: Generation, who: Caller, q: PlainParams, body: CountMessageBody
) -> JSONResponse:
    generation.catalog.require(f"models/{model}", "countMessageTokens")
    return render(generation.legacy.count_message_tokens(body), enum_int=q.enum_int)


@unserved_router.post("/models/{model:rid}:{method}")
async def unserved_model_method(
    model: str, method: str, request: Request, generation: Generation, who: Caller
) -> Response:
    """Any other method (``:predict``, ``:predictLongRunning``...): forwarded to a Google
    upstream, else NOT_FOUND worded as Google words it (pointing at ListModels), or
    UNIMPLEMENTED when only an OpenAI-compatible upstream is configured."""
    name = f"models/{model}"
    if generation.forwards(name):
        return await _forward(generation, request)
    generation.unserved(name, method)
