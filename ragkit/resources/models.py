"""``client.models``: model metadata and every ``models/{m}:verb`` call.

Model names may be bare IDs (``"gemini-2.0-flash"``, ``"aqa"``) or full names
(``"models/aqa"``); ``tunedModels/{t}`` works wherever the API accepts it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from ragkit import limits
from ragkit._base_client import APIRequest
from ragkit._pagination import AsyncPager, SyncPager
from ragkit._validation import check_page_size
from ragkit.names import model_name
from ragkit.resources import _model_requests as build
from ragkit.resources._common import ContentInput, ContentsInput, get_request, list_request
from ragkit.resources._generation import AsyncGenerationMethods, GenerationMethods
from ragkit.resources._model_requests import EmbedInput, PassagesInput, SafetyInput
from ragkit.resources.models_legacy import AsyncLegacyModelMethods, LegacyModelMethods
from ragkit.resources.operations import AsyncOperations, Operations
from ragkit.types import (
    AnswerStyle,
    BatchEmbedContentsResponse,
    CountTokensResponse,
    EmbedContentBatch,
    EmbedContentResponse,
    GenerateAnswerResponse,
    GenerateContentBatch,
    GenerateContentRequest,
    ListModelsResponse,
    Model,
    Operation,
    PredictResponse,
    SemanticRetrieverConfig,
    TaskType,
)

__all__ = ["AsyncModels", "Models"]


def _list(page_size: int | None) -> APIRequest[ListModelsResponse]:
    check_page_size(page_size, limits.MAX_MODELS_PAGE_SIZE, limit_name="MAX_MODELS_PAGE_SIZE")
    return list_request("models", ListModelsResponse, page_size=page_size)


class Models(LegacyModelMethods, GenerationMethods):
    """Generation, embeddings, token counts and grounded answers."""

    @cached_property
    def operations(self) -> Operations:
        """Long-running operations of models (``models/{m}/operations/{op}``)."""
        return Operations(self._client, "models")

    def get(self, name: str) -> Model:
        """Fetch ``models/{m}`` (token limits, supported methods...)."""
        return self._client._request(get_request(model_name(name), Model))

    def list(self, *, page_size: int | None = None) -> SyncPager[ListModelsResponse, Model]:
        """Every model available (``page_size`` <= 1000, server default 50)."""
        return self._client._pager(_list(page_size), lambda page: page.models)

    def embed_content(
        self,
        model: str,
        *,
        content: ContentInput,
        task_type: TaskType | str | None = None,
        title: str | None = None,
        output_dimensionality: int | None = None,
    ) -> EmbedContentResponse:
        """Embed one text (``:embedContent``); ``title`` only with ``RETRIEVAL_DOCUMENT``."""
        request = build.embed_content(model, content, task_type, title, output_dimensionality)
        return self._client._request(request)

    def batch_embed_contents(
        self,
        model: str,
        *,
        requests: Sequence[EmbedInput],
        task_type: TaskType | str | None = None,
    ) -> BatchEmbedContentsResponse:
        """Embed up to 100 texts or requests in order (``:batchEmbedContents``)."""
        return self._client._request(build.batch_embed_contents(model, requests, task_type))

    def async_batch_embed_content(
        self, model: str, *, batch: EmbedContentBatch | Mapping[str, Any]
    ) -> Operation:
        """Start an embeddings batch job (``:asyncBatchEmbedContent``); poll ``client.batches``."""
        return self._client._request(build.async_batch_embed_content(model, batch))

    def count_tokens(
        self,
        model: str,
        *,
        contents: ContentsInput | None = None,
        generate_content_request: GenerateContentRequest | Mapping[str, Any] | None = None,
    ) -> CountTokensResponse:
        """Count the tokens of ``contents`` or of a whole ``generate_content_request``."""
        return self._client._request(build.count_tokens(model, contents, generate_content_request))

    def generate_answer(
        self,
        model: str,
        *,
        contents: ContentsInput,
        answer_style: AnswerStyle | str,
        inline_passages: PassagesInput | None = None,
        semantic_retriever: SemanticRetrieverConfig | Mapping[str, Any] | None = None,
        safety_settings: SafetyInput | None = None,
        temperature: float | None = None,
    ) -> GenerateAnswerResponse:
        """A grounded answer (AQA, ``models/aqa:generateAnswer``) from exactly one source.

        ``inline_passages`` (texts get IDs "0", "1"...) or ``semantic_retriever``
        (``{"source": "corpora/docs", "query": ...}``).
        """
        request = build.generate_answer(
            model,
            contents_=contents,
            answer_style=answer_style,
            inline_passages=inline_passages,
            semantic_retriever=semantic_retriever,
            safety=safety_settings,
            temperature=temperature,
        )
        return self._client._request(request)

    def batch_generate_content(
        self, model: str, *, batch: GenerateContentBatch | Mapping[str, Any]
    ) -> Operation:
        """Start a generation batch job (``:batchGenerateContent``); poll ``client.batches``."""
        return self._client._request(build.batch_generate_content(model, batch))

    def predict(
        self, model: str, *, instances: Sequence[Any], parameters: Any = None
    ) -> PredictResponse:
        """Vertex-style prediction (``:predict``), e.g. image generation."""
        return self._client._request(build.predict(model, instances, parameters))

    def predict_long_running(
        self, model: str, *, instances: Sequence[Any], parameters: Any = None
    ) -> Operation:
        """Start a long prediction (``:predictLongRunning``); poll ``models.operations``."""
        return self._client._request(build.predict_long_running(model, instances, parameters))


class AsyncModels(AsyncLegacyModelMethods, AsyncGenerationMethods):
    """Generation, embeddings, token counts and grounded answers."""

    @cached_property
    def operations(self) -> AsyncOperations:
        """Long-running operations of models (``models/{m}/operations/{op}``)."""
        return AsyncOperations(self._client, "models")

    async def get(self, name: str) -> Model:
        """Fetch ``models/{m}`` (token limits, supported methods...)."""
        return await self._client._request(get_request(model_name(name), Model))

    def list(self, *, page_size: int | None = None) -> AsyncPager[ListModelsResponse, Model]:
        """Every model available (``page_size`` <= 1000, server default 50)."""
        return self._client._pager(_list(page_size), lambda page: page.models)

    async def embed_content(
        self,
        model: str,
        *,
        content: ContentInput,
        task_type: TaskType | str | None = None,
        title: str | None = None,
        output_dimensionality: int | None = None,
    ) -> EmbedContentResponse:
        """Embed one text (``:embedContent``); ``title`` only with ``RETRIEVAL_DOCUMENT``."""
        request = build.embed_content(model, content, task_type, title, output_dimensionality)
        return await self._client._request(request)

    async def batch_embed_contents(
        self,
        model: str,
        *,
        requests: Sequence[EmbedInput],
        task_type: TaskType | str | None = None,
    ) -> BatchEmbedContentsResponse:
        """Embed up to 100 texts or requests in order (``:batchEmbedContents``)."""
        return await self._client._request(build.batch_embed_contents(model, requests, task_type))

    async def async_batch_embed_content(
        self, model: str, *, batch: EmbedContentBatch | Mapping[str, Any]
    ) -> Operation:
        """Start an embeddings batch job (``:asyncBatchEmbedContent``); poll ``client.batches``."""
        return await self._client._request(build.async_batch_embed_content(model, batch))

    async def count_tokens(
        self,
        model: str,
        *,
        contents: ContentsInput | None = None,
        generate_content_request: GenerateContentRequest | Mapping[str, Any] | None = None,
    ) -> CountTokensResponse:
        """Count the tokens of ``contents`` or of a whole ``generate_content_request``."""
        request = build.count_tokens(model, contents, generate_content_request)
        return await self._client._request(request)

    async def generate_answer(
        self,
        model: str,
        *,
        contents: ContentsInput,
        answer_style: AnswerStyle | str,
        inline_passages: PassagesInput | None = None,
        semantic_retriever: SemanticRetrieverConfig | Mapping[str, Any] | None = None,
        safety_settings: SafetyInput | None = None,
        temperature: float | None = None,
    ) -> GenerateAnswerResponse:
        """A grounded answer (AQA, ``models/aqa:generateAnswer``) from exactly one source."""
        request = build.generate_answer(
            model,
            contents_=contents,
            answer_style=answer_style,
            inline_passages=inline_passages,
            semantic_retriever=semantic_retriever,
            safety=safety_settings,
            temperature=temperature,
        )
        return await self._client._request(request)

    async def batch_generate_content(
        self, model: str, *, batch: GenerateContentBatch | Mapping[str, Any]
    ) -> Operation:
        """Start a generation batch job (``:batchGenerateContent``); poll ``client.batches``."""
        return await self._client._request(build.batch_generate_content(model, batch))

    async def predict(
        self, model: str, *, instances: Sequence[Any], parameters: Any = None
    ) -> PredictResponse:
        """Vertex-style prediction (``:predict``), e.g. image generation."""
        return await self._client._request(build.predict(model, instances, parameters))

    async def predict_long_running(
        self, model: str, *, instances: Sequence[Any], parameters: Any = None
    ) -> Operation:
        """Start a long prediction (``:predictLongRunning``); poll ``models.operations``."""
        request = build.predict_long_running(model, instances, parameters)
        return await self._client._request(request)
