"""``generate_content`` and ``stream_generate_content``, shared by every model namespace.

``client.models`` and ``client.tuned_models`` both expose ``{model}:generateContent`` and
``{model}:streamGenerateContent``; the methods live here once, and each namespace only says
how a bare ID becomes a full name (:meth:`_model_target`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ragkit._base_client import APIRequest
from ragkit._streaming import AsyncStream, Stream
from ragkit.resources import _model_requests as build
from ragkit.resources._common import AsyncAPIResource, ContentInput, ContentsInput, SyncAPIResource
from ragkit.resources._model_requests import SafetyInput, ToolsInput
from ragkit.types import GenerateContentResponse, GenerationConfig, ToolConfig

__all__ = ["AsyncGenerationMethods", "GenerationMethods"]


def _request(
    model: str,
    stream: bool,
    contents: ContentsInput,
    options: dict[str, Any],
) -> APIRequest[GenerateContentResponse]:
    return build.generate_content(
        model,
        contents_=contents,
        system_instruction=options["system_instruction"],
        tools=options["tools"],
        tool_config=options["tool_config"],
        safety=options["safety_settings"],
        generation_config=options["generation_config"],
        cached_content=options["cached_content"],
        stream=stream,
    )


class _Targets:
    def _model_target(self, model: str) -> str:
        """The full resource name for ``model``; ``models/`` names are resolved later."""
        return model


class GenerationMethods(_Targets, SyncAPIResource):
    def generate_content(
        self,
        model: str,
        *,
        contents: ContentsInput,
        system_instruction: ContentInput | None = None,
        tools: ToolsInput | None = None,
        tool_config: ToolConfig | Mapping[str, Any] | None = None,
        safety_settings: SafetyInput | None = None,
        generation_config: GenerationConfig | Mapping[str, Any] | None = None,
        cached_content: str | None = None,
    ) -> GenerateContentResponse:
        """Generate a reply (``:generateContent``); a string is one user turn.

        >>> client.models.generate_content("gemini-2.0-flash", contents="Hi")  # doctest: +SKIP
        """
        options = locals()  # the keyword arguments, by name
        request = _request(self._model_target(model), False, contents, options)
        return self._client._request(request)

    def stream_generate_content(
        self,
        model: str,
        *,
        contents: ContentsInput,
        system_instruction: ContentInput | None = None,
        tools: ToolsInput | None = None,
        tool_config: ToolConfig | Mapping[str, Any] | None = None,
        safety_settings: SafetyInput | None = None,
        generation_config: GenerationConfig | Mapping[str, Any] | None = None,
        cached_content: str | None = None,
    ) -> Stream[GenerateContentResponse]:
        """Stream the reply as it is generated (``:streamGenerateContent?alt=sse``)."""
        options = locals()  # the keyword arguments, by name
        request = _request(self._model_target(model), True, contents, options)
        return self._client._stream(request)


class AsyncGenerationMethods(_Targets, AsyncAPIResource):
    async def generate_content(
        self,
        model: str,
        *,
        contents: ContentsInput,
        system_instruction: ContentInput | None = None,
        tools: ToolsInput | None = None,
        tool_config: ToolConfig | Mapping[str, Any] | None = None,
        safety_settings: SafetyInput | None = None,
        generation_config: GenerationConfig | Mapping[str, Any] | None = None,
        cached_content: str | None = None,
    ) -> GenerateContentResponse:
        """Generate a reply (``:generateContent``); a string is one user turn."""
        options = locals()  # the keyword arguments, by name
        request = _request(self._model_target(model), False, contents, options)
        return await self._client._request(request)

    async def stream_generate_content(
        self,
        model: str,
        *,
        contents: ContentsInput,
        system_instruction: ContentInput | None = None,
        tools: ToolsInput | None = None,
        tool_config: ToolConfig | Mapping[str, Any] | None = None,
        safety_settings: SafetyInput | None = None,
        generation_config: GenerationConfig | Mapping[str, Any] | None = None,
        cached_content: str | None = None,
    ) -> AsyncStream[GenerateContentResponse]:
        """Stream the reply (``:streamGenerateContent?alt=sse``): ``async for`` the result."""
        options = locals()  # the keyword arguments, by name
        request = _request(self._model_target(model), True, contents, options)
        return await self._client._stream(request)
