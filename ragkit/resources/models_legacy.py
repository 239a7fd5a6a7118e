"""The PaLM-era model methods still in v1beta: text, chat messages, text embeddings.

``generateText``, ``generateMessage``, ``embedText``, ``batchEmbedText``,
``countTextTokens`` and ``countMessageTokens``. They are mixed into
:class:`ragkit.resources.models.Models` (and its async twin) so they appear as
``client.models.generate_text(...)`` and so on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from ragkit import limits
from ragkit._base_client import APIRequest
from ragkit._exceptions import LimitError
from ragkit._validation import check_stop_sequences
from ragkit.names import model_name
from ragkit.resources._common import AsyncAPIResource, SyncAPIResource, coerce
from ragkit.resources._model_requests import model_call
from ragkit.types import (
    BatchEmbedTextRequest,
    BatchEmbedTextResponse,
    CountMessageTokensRequest,
    CountMessageTokensResponse,
    CountTextTokensRequest,
    CountTextTokensResponse,
    EmbedTextRequest,
    EmbedTextResponse,
    GenerateMessageRequest,
    GenerateMessageResponse,
    GenerateTextRequest,
    GenerateTextResponse,
    MessagePrompt,
    SafetySetting,
    TextPrompt,
)

__all__ = ["AsyncLegacyModelMethods", "LegacyModelMethods"]

TextPromptInput: TypeAlias = str | TextPrompt | Mapping[str, Any]
MessagePromptInput: TypeAlias = MessagePrompt | Mapping[str, Any]


def _text_prompt(value: TextPromptInput) -> TextPrompt:
    return TextPrompt(text=value) if isinstance(value, str) else coerce(TextPrompt, value)


def _generate_text(
    model: str, prompt: TextPromptInput, **options: Any
) -> APIRequest[GenerateTextResponse]:
    check_stop_sequences(options.get("stop_sequences"))
    body = GenerateTextRequest.model_validate({"prompt": _text_prompt(prompt), **options})
    return model_call(model, "generateText", body, GenerateTextResponse)


def _generate_message(
    model: str, prompt: MessagePromptInput, **options: Any
) -> APIRequest[GenerateMessageResponse]:
    body = GenerateMessageRequest.model_validate(
        {"prompt": coerce(MessagePrompt, prompt), **options}
    )
    return model_call(model, "generateMessage", body, GenerateMessageResponse)


def _embed_text(model: str, text: str) -> APIRequest[EmbedTextResponse]:
    body = EmbedTextRequest(model=model_name(model), text=text)
    return model_call(model, "embedText", body, EmbedTextResponse)


def _batch_embed_text(
    model: str,
    texts: Sequence[str] | None,
    requests: Sequence[EmbedTextRequest | Mapping[str, Any]] | None,
) -> APIRequest[BatchEmbedTextResponse]:
    if (texts is None) == (requests is None):
        raise ValueError("batch_embed_text takes either texts or requests")
    count = len(texts if texts is not None else requests or ())
    if not 1 <= count <= limits.MAX_EMBED_BATCH:
        raise LimitError(
            f"batchEmbedText takes 1 to MAX_EMBED_BATCH={limits.MAX_EMBED_BATCH} texts, got {count}"
        )
    body = BatchEmbedTextRequest(
        texts=None if texts is None else [str(t) for t in texts],
        requests=None if requests is None else [coerce(EmbedTextRequest, r) for r in requests],
    )
    return model_call(model, "batchEmbedText", body, BatchEmbedTextResponse)


def _count_text_tokens(model: str, prompt: TextPromptInput) -> APIRequest[CountTextTokensResponse]:
    body = CountTextTokensRequest(prompt=_text_prompt(prompt))
    return model_call(model, "countTextTokens", body, CountTextTokensResponse)


def _count_message_tokens(
    model: str, prompt: MessagePromptInput
) -> APIRequest[CountMessageTokensResponse]:
    body = CountMessageTokensRequest(prompt=coerce(MessagePrompt, prompt))
    return model_call(model, "countMessageTokens", body, CountMessageTokensResponse)


class LegacyModelMethods(SyncAPIResource):
    """PaLM methods of ``client.models``."""

    def generate_text(
        self,
        model: str,
        *,
        prompt: TextPromptInput,
        temperature: float | None = None,
        candidate_count: int | None = None,
        max_output_tokens: int | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        safety_settings: Sequence[SafetySetting | Mapping[str, Any]] | None = None,
        stop_sequences: Sequence[str] | None = None,
    ) -> GenerateTextResponse:
        """PaLM text completion (``:generateText``)."""
        request = _generate_text(
            model,
            prompt,
            temperature=temperature,
            candidate_count=candidate_count,
            max_output_tokens=max_output_tokens,
            top_p=top_p,
            top_k=top_k,
            safety_settings=safety_settings,
            stop_sequences=stop_sequences,
        )
        return self._client._request(request)

    def generate_message(
        self,
        model: str,
        *,
        prompt: MessagePromptInput,
        temperature: float | None = None,
        candidate_count: int | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
    ) -> GenerateMessageResponse:
        """PaLM chat reply (``:generateMessage``)."""
        request = _generate_message(
            model,
            prompt,
            temperature=temperature,
            candidate_count=candidate_count,
            top_p=top_p,
            top_k=top_k,
        )
        return self._client._request(request)

    def embed_text(self, model: str, *, text: str) -> EmbedTextResponse:
        """PaLM text embedding (``:embedText``); the vector is ``embedding.value``."""
        return self._client._request(_embed_text(model, text))

    def batch_embed_text(
        self,
        model: str,
        *,
        texts: Sequence[str] | None = None,
        requests: Sequence[EmbedTextRequest | Mapping[str, Any]] | None = None,
    ) -> BatchEmbedTextResponse:
        """Embed up to 100 texts (``:batchEmbedText``): pass ``texts`` or ``requests``."""
        return self._client._request(_batch_embed_text(model, texts, requests))

    def count_text_tokens(self, model: str, *, prompt: TextPromptInput) -> CountTextTokensResponse:
        """Tokens in a text prompt (``:countTextTokens``)."""
        return self._client._request(_count_text_tokens(model, prompt))

    def count_message_tokens(
        self, model: str, *, prompt: MessagePromptInput
    ) -> CountMessageTokensResponse:
        """Tokens in a message prompt (``:countMessageTokens``)."""
        return self._client._request(_count_message_tokens(model, prompt))


class AsyncLegacyModelMethods(AsyncAPIResource):
    """PaLM methods of ``client.models`` (async)."""

    async def generate_text(
        self,
        model: str,
        *,
        prompt: TextPromptInput,
        temperature: float | None = None,
        candidate_count: int | None = None,
        max_output_tokens: int | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        safety_settings: Sequence[SafetySetting | Mapping[str, Any]] | None = None,
        stop_sequences: Sequence[str] | None = None,
    ) -> GenerateTextResponse:
        """PaLM text completion (``:generateText``)."""
        request = _generate_text(
            model,
            prompt,
            temperature=temperature,
            candidate_count=candidate_count,
            max_output_tokens=max_output_tokens,
            top_p=top_p,
            top_k=top_k,
            safety_settings=safety_settings,
            stop_sequences=stop_sequences,
        )
        return await self._client._request(request)

    async def generate_message(
        self,
        model: str,
        *,
        prompt: MessagePromptInput,
        temperature: float | None = None,
        candidate_count: int | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
    ) -> GenerateMessageResponse:
        """PaLM chat reply (``:generateMessage``)."""
        request = _generate_message(
            model,
            prompt,
            temperature=temperature,
            candidate_count=candidate_count,
            top_p=top_p,
            top_k=top_k,
        )
        return await self._client._request(request)

    async def embed_text(self, model: str, *, text: str) -> EmbedTextResponse:
        """PaLM text embedding (``:embedText``); the vector is ``embedding.value``."""
        return await self._client._request(_embed_text(model, text))

    async def batch_embed_text(
        self,
        model: str,
        *,
        texts: Sequence[str] | None = None,
        requests: Sequence[EmbedTextRequest | Mapping[str, Any]] | None = None,
    ) -> BatchEmbedTextResponse:
        """Embed up to 100 texts (``:batchEmbedText``): pass ``texts`` or ``requests``."""
        return await self._client._request(_batch_embed_text(model, texts, requests))

    async def count_text_tokens(
        self, model: str, *, prompt: TextPromptInput
    ) -> CountTextTokensResponse:
        """Tokens in a text prompt (``:countTextTokens``)."""
        return await self._client._request(_count_text_tokens(model, prompt))

    async def count_message_tokens(
        self, model: str, *, prompt: MessagePromptInput
    ) -> CountMessageTokensResponse:
        """Tokens in a message prompt (``:countMessageTokens``)."""
        return await self._client._request(_count_message_tokens(model, prompt))
