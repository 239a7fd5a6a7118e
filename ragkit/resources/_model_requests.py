"""Request builders for ``models/{m}:verb`` calls, shared by ``models`` and ``tuned_models``.

Each builder validates locally (names, batch sizes) and returns an :class:`APIRequest`;
the resource classes only choose blocking or async sending.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias, TypeVar

from pydantic import BaseModel

from ragkit import limits
from ragkit._base_client import APIRequest, parse_model
from ragkit._exceptions import LimitError
from ragkit._validation import check_stop_sequences
from ragkit.names import model_name
from ragkit.resources._common import (
    ContentInput,
    ContentsInput,
    api_path,
    coerce,
    coerce_list,
    content,
    contents,
    safety_settings,
    wire,
)
from ragkit.types import (
    AnswerStyle,
    AsyncBatchEmbedContentRequest,
    BatchEmbedContentsRequest,
    BatchEmbedContentsResponse,
    BatchGenerateContentRequest,
    CountTokensRequest,
    CountTokensResponse,
    EmbedContentBatch,
    EmbedContentRequest,
    EmbedContentResponse,
    GenerateAnswerRequest,
    GenerateAnswerResponse,
    GenerateContentBatch,
    GenerateContentRequest,
    GenerateContentResponse,
    GenerationConfig,
    GroundingPassage,
    GroundingPassages,
    Operation,
    PredictLongRunningRequest,
    PredictRequest,
    PredictResponse,
    SafetySetting,
    SemanticRetrieverConfig,
    TaskType,
    Tool,
    ToolConfig,
)

__all__ = [
    "EmbedInput",
    "PassagesInput",
    "batch_embed_contents",
    "batch_generate_content",
    "count_tokens",
    "embed_content",
    "generate_answer",
    "generate_content",
    "model_call",
    "predict",
    "predict_long_running",
]

T = TypeVar("T", bound=BaseModel)
SafetyInput: TypeAlias = Sequence[SafetySetting | Mapping[str, Any]]
ToolsInput: TypeAlias = Sequence[Tool | Mapping[str, Any]]
#: Grounding passages: a ``GroundingPassages``, or passages / texts (IDs "0", "1", ...).
PassagesInput: TypeAlias = GroundingPassages | Sequence[GroundingPassage | Mapping[str, Any] | str]
#: One ``batchEmbedContents`` item: a request, its dict form, or a text.
EmbedInput: TypeAlias = EmbedContentRequest | Mapping[str, Any] | str


def model_call(
    model: str,
    verb: str,
    body: BaseModel | Mapping[str, Any],
    response: type[T],
    *,
    params: Mapping[str, str] | None = None,
    retry: bool | None = None,
) -> APIRequest[T]:
    """``POST v1beta/{model}:{verb}`` (``model`` may be a bare ID or ``tunedModels/...``)."""
    return APIRequest(
        method="POST",
        path=api_path(model_name(model), verb),
        parse=parse_model(response),
        json=wire(body) if isinstance(body, BaseModel) else dict(body),
        params=params or {},
        retry=retry,
    )


def generate_content(
    model: str,
    *,
    contents_: ContentsInput,
    system_instruction: ContentInput | None = None,
    tools: ToolsInput | None = None,
    tool_config: ToolConfig | Mapping[str, Any] | None = None,
    safety: SafetyInput | None = None,
    generation_config: GenerationConfig | Mapping[str, Any] | None = None,
    cached_content: str | None = None,
    stream: bool = False,
) -> APIRequest[GenerateContentResponse]:
    """``:generateContent``, or ``:streamGenerateContent?alt=sse`` when ``stream``."""
    config = generation_config
    stops = None if config is None else coerce(GenerationConfig, config).stop_sequences
    check_stop_sequences(stops)
    body = GenerateContentRequest(
        contents=contents(contents_),
        system_instruction=None
        if system_instruction is None
        else content(system_instruction, role=None),
        tools=None if tools is None else coerce_list(Tool, tools),
        tool_config=None if tool_config is None else coerce(ToolConfig, tool_config),
        safety_settings=safety_settings(safety),
        generation_config=None if config is None else coerce(GenerationConfig, config),
        cached_content=cached_content,
    )
    verb = "streamGenerateContent" if stream else "generateContent"
    params = {"alt": "sse"} if stream else None
    return model_call(model, verb, body, GenerateContentResponse, params=params)


def embed_content(
    model: str,
    content_: ContentInput,
    task_type: TaskType | str | None,
    title: str | None,
    output_dimensionality: int | None,
) -> APIRequest[EmbedContentResponse]:
    body = _embed_request(model, content_, task_type, title, output_dimensionality)
    return model_call(model, "embedContent", body, EmbedContentResponse)


def _embed_request(
    model: str,
    content_: ContentInput,
    task_type: TaskType | str | None,
    title: str | None,
    output_dimensionality: int | None,
) -> EmbedContentRequest:
    return EmbedContentRequest.model_validate(
        {
            "model": model_name(model),
            "content": content(content_, role=None),
            "taskType": task_type,
            "title": title,
            "outputDimensionality": output_dimensionality,
        }
    )


def batch_embed_contents(
    model: str, requests: Sequence[EmbedInput], task_type: TaskType | str | None
) -> APIRequest[BatchEmbedContentsResponse]:
    if isinstance(requests, str) or not 1 <= len(requests) <= limits.MAX_EMBED_BATCH:
        count = 1 if isinstance(requests, str) else len(requests)
        raise LimitError(
            f"batchEmbedContents takes a sequence of 1 to MAX_EMBED_BATCH={limits.MAX_EMBED_BATCH} "
            f"requests, got {count}"
        )
    name = model_name(model)
    items = []
    for item in requests:
        if isinstance(item, str):
            items.append(_embed_request(name, item, task_type, None, None))
        else:
            request = coerce(EmbedContentRequest, item)
            items.append(request.model_copy(update={"model": request.model or name}))
    body = BatchEmbedContentsRequest(requests=items)
    return model_call(model, "batchEmbedContents", body, BatchEmbedContentsResponse)


def count_tokens(
    model: str,
    contents_: ContentsInput | None,
    request: GenerateContentRequest | Mapping[str, Any] | None,
) -> APIRequest[CountTokensResponse]:
    if (contents_ is None) == (request is None):
        raise ValueError("count_tokens takes either contents or generate_content_request")
    if request is not None:
        full = coerce(GenerateContentRequest, request)
        if full.model is None:
            full = full.model_copy(update={"model": model_name(model)})
        body = CountTokensRequest(generate_content_request=full)
    else:
        assert contents_ is not None
        body = CountTokensRequest(contents=contents(contents_))
    return model_call(model, "countTokens", body, CountTokensResponse)


def _passages(value: PassagesInput) -> GroundingPassages:
    if isinstance(value, GroundingPassages):
        return value
    passages = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            passages.append(GroundingPassage(id=str(index), content=content(item, role=None)))
        else:
            passages.append(coerce(GroundingPassage, item))
    return GroundingPassages(passages=passages)


def generate_answer(
    model: str,
    *,
    contents_: ContentsInput,
    answer_style: AnswerStyle | str,
    inline_passages: PassagesInput | None,
    semantic_retriever: SemanticRetrieverConfig | Mapping[str, Any] | None,
    safety: SafetyInput | None,
    temperature: float | None,
) -> APIRequest[GenerateAnswerResponse]:
    """``:generateAnswer``: grounded on inline passages or on a corpus/document."""
    if (inline_passages is None) == (semantic_retriever is None):
        raise ValueError("generate_answer takes exactly one of inline_passages, semantic_retriever")
    body = GenerateAnswerRequest.model_validate(
        {
            "contents": contents(contents_),
            "answerStyle": answer_style,
            "inlinePassages": None if inline_passages is None else _passages(inline_passages),
            "semanticRetriever": None
            if semantic_retriever is None
            else coerce(SemanticRetrieverConfig, semantic_retriever),
            "safetySettings": safety_settings(safety),
            "temperature": temperature,
        }
    )
    return model_call(model, "generateAnswer", body, GenerateAnswerResponse)


def batch_generate_content(
    model: str, batch: GenerateContentBatch | Mapping[str, Any]
) -> APIRequest[Operation]:
    job = coerce(GenerateContentBatch, batch)
    if job.model is None:
        job = job.model_copy(update={"model": model_name(model)})
    body = BatchGenerateContentRequest(batch=job)
    return model_call(model, "batchGenerateContent", body, Operation)


def async_batch_embed_content(
    model: str, batch: EmbedContentBatch | Mapping[str, Any]
) -> APIRequest[Operation]:
    job = coerce(EmbedContentBatch, batch)
    if job.model is None:
        job = job.model_copy(update={"model": model_name(model)})
    body = AsyncBatchEmbedContentRequest(batch=job)
    return model_call(model, "asyncBatchEmbedContent", body, Operation)


def predict(model: str, instances: Sequence[Any], parameters: Any) -> APIRequest[PredictResponse]:
    body = PredictRequest(instances=list(instances), parameters=parameters)
    return model_call(model, "predict", body, PredictResponse)


def predict_long_running(
    model: str, instances: Sequence[Any], parameters: Any
) -> APIRequest[Operation]:
    body = PredictLongRunningRequest(instances=list(instances), parameters=parameters)
    return model_call(model, "predictLongRunning", body, Operation)
