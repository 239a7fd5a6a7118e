"""``generateContent`` on an OpenAI-compatible server (llama.cpp, vLLM, Ollama...).

Translation, request side (``POST {base_url}/chat/completions``):

* ``cachedContent`` (resolved locally) and ``systemInstruction`` -> a ``system`` message;
  ``contents`` -> ``user`` / ``assistant`` messages (``function`` turns as ``user``).
* text parts, text/PDF ``inlineData`` and ``fileData`` -> text (joined by blank lines);
  image ``inlineData`` -> ``image_url`` data URIs; other media are rejected.
* ``generationConfig``: candidateCount -> ``n``, maxOutputTokens -> ``max_tokens``,
  stopSequences -> ``stop``, temperature, topP, seed, presencePenalty, frequencyPenalty;
  ``responseMimeType: application/json`` -> ``response_format: {type: json_object}``.
* ``tools`` are not translated (INVALID_ARGUMENT); safety settings are validated only.

Response side: ``choices`` -> ``candidates`` (``stop`` -> STOP, ``length`` -> MAX_TOKENS,
``content_filter`` -> SAFETY, other -> OTHER), ``usage`` -> ``usageMetadata``, ``model``
-> ``modelVersion``, ``id`` -> ``responseId``. Streaming uses ``stream: true`` with
``stream_options.include_usage`` and turns every delta into one response chunk.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from ragkit.server.config import UpstreamConfig
from ragkit.server.errors import ApiError, invalid_argument
from ragkit.server.generation.checks import check_generation_config, check_safety_settings
from ragkit.server.generation.google import DEFAULT_TIMEOUT, unreachable, upstream_error
from ragkit.server.generation.parts import part_text, resolve_cached
from ragkit.server.generation.resolver import ContentResolver
from ragkit.server.principal import Principal
from ragkit.types import (
    Candidate,
    Content,
    FinishReason,
    GenerateContentRequest,
    GenerateContentResponse,
    Model,
    Part,
    UsageMetadata,
)
from ragkit.types.status import Code

__all__ = ["OpenAIUpstream", "chat_request", "from_chat_chunk", "from_chat_completion"]

_FINISH = {
    "stop": FinishReason.STOP,
    "length": FinishReason.MAX_TOKENS,
    "content_filter": FinishReason.SAFETY,
}
_ROLES = {"user": "user", "function": "user", "model": "assistant"}


def _message_content(
    content: Content, where: str, who: Principal, resolver: ContentResolver | None
) -> str | list[dict[str, Any]]:
    pieces: list[dict[str, Any]] = []
    for i, part in enumerate(content.parts or []):
        at = f"{where}.parts[{i}]"
        blob = part.inline_data
        if blob is not None and (blob.mime_type or "").startswith("image/"):
            url = f"data:{blob.mime_type};base64,{blob.data or ''}"
            pieces.append({"type": "image_url", "image_url": {"url": url}})
            continue
        text = part_text(part, at, who, resolver)
        if text is None:
            raise invalid_argument(
                f"Invalid value at '{at}': this media type cannot be sent to the "
                "OpenAI-compatible upstream."
            )
        pieces.append({"type": "text", "text": text})
    if not pieces:
        raise invalid_argument(f"Invalid value at '{where}.parts': must not be empty.")
    if all(p["type"] == "text" for p in pieces):
        return "\n\n".join(p["text"] for p in pieces)
    return pieces


def _preamble(
    request: GenerateContentRequest, model: str, who: Principal, resolver: ContentResolver | None
) -> tuple[str, list[Content]]:
    cached = resolve_cached(request, model, who, resolver)
    texts: list[str] = []
    history: list[Content] = []
    sources = [(cached.system_instruction, "cachedContent.systemInstruction")] if cached else []
    sources.append((request.system_instruction, "systemInstruction"))
    for instruction, where in sources:
        if instruction is not None:
            content = _message_content(instruction, where, who, resolver)
            texts.append(content if isinstance(content, str) else json.dumps(content))
    if cached is not None:
        history = list(cached.contents or [])
    return "\n\n".join(texts), history


def _options(request: GenerateContentRequest, model: Model) -> dict[str, Any]:
    sampling = check_generation_config(request.generation_config, model.output_token_limit or 1)
    config = request.generation_config
    options: dict[str, Any] = {"n": sampling.candidate_count}
    if config is None:
        return options
    pairs = {
        "max_tokens": config.max_output_tokens,
        "stop": list(config.stop_sequences) if config.stop_sequences else None,
        "temperature": config.temperature,
        "top_p": config.top_p,
        "seed": config.seed,
        "presence_penalty": config.presence_penalty,
        "frequency_penalty": config.frequency_penalty,
    }
    options.update({k: v for k, v in pairs.items() if v is not None})
    if config.response_mime_type == "application/json":
        options["response_format"] = {"type": "json_object"}
    return options


def chat_request(
    request: GenerateContentRequest,
    model: Model,
    upstream_model: str,
    who: Principal,
    resolver: ContentResolver | None,
) -> dict[str, Any]:
    """The ``chat/completions`` body for ``request`` (see the module docstring).

    Raises:
        ApiError: INVALID_ARGUMENT for tools, untranslatable media or bad fields;
            FAILED_PRECONDITION/NOT_FOUND from resolving files and cached contents.
    """
    if request.tools or request.tool_config:
        raise invalid_argument(
            "Invalid value at 'tools': tools are not translated for the OpenAI-compatible upstream."
        )
    check_safety_settings(request.safety_settings)
    if not request.contents:
        raise invalid_argument("Invalid value at 'contents': at least one content is required.")
    system, history = _preamble(request, model.name or "", who, resolver)
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    turns = [(c, f"cachedContent.contents[{i}]") for i, c in enumerate(history)]
    turns += [(c, f"contents[{i}]") for i, c in enumerate(request.contents)]
    for content, where in turns:
        role = _ROLES.get(content.role or "user")
        if role is None:
            raise invalid_argument(
                f"Invalid value at '{where}.role': please use a valid role: user, model."
            )
        messages.append({"role": role, "content": _message_content(content, where, who, resolver)})
    return {"model": upstream_model, "messages": messages, **_options(request, model)}


def _usage(usage: Any) -> UsageMetadata | None:
    if not isinstance(usage, dict):
        return None
    prompt = int(usage.get("prompt_tokens") or 0)
    output = int(usage.get("completion_tokens") or 0)
    total = int(usage.get("total_tokens") or prompt + output)
    return UsageMetadata(
        prompt_token_count=prompt, candidates_token_count=output, total_token_count=total
    )


def _candidate(choice: dict[str, Any], key: str) -> Candidate:
    message = choice.get(key) or {}
    text = message.get("content") if isinstance(message, dict) else None
    reason = choice.get("finish_reason")
    return Candidate(
        content=Content(role="model", parts=[Part(text=text or "")]),
        index=int(choice.get("index") or 0),
        finish_reason=None if reason is None else _FINISH.get(reason, FinishReason.OTHER),
    )


def from_chat_completion(body: dict[str, Any]) -> GenerateContentResponse:
    """A ``chat.completion`` object as a GenerateContentResponse."""
    return GenerateContentResponse(
        candidates=[_candidate(c, "message") for c in body.get("choices") or []],
        usage_metadata=_usage(body.get("usage")),
        model_version=body.get("model"),
        response_id=body.get("id"),
    )


def from_chat_chunk(body: dict[str, Any]) -> GenerateContentResponse | None:
    """One ``chat.completion.chunk`` as a response chunk (``None`` when it carries nothing)."""
    choices = [
        c
        for c in body.get("choices") or []
        if (c.get("delta") or {}).get("content") or c.get("finish_reason")
    ]
    usage = _usage(body.get("usage"))
    if not choices and usage is None:
        return None
    return GenerateContentResponse(
        candidates=[_candidate(c, "delta") for c in choices] or None,
        usage_metadata=usage,
        model_version=body.get("model"),
        response_id=body.get("id"),
    )


class OpenAIUpstream:
    """generateContent over an OpenAI-compatible ``/v1`` endpoint.

    Args:
        config: a ``kind="openai"`` upstream (its ``model`` is sent as ``model``).
        transport: the httpx transport to use (tests inject ``httpx.MockTransport``).
    """

    def __init__(
        self, config: UpstreamConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        headers = {"authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._client = httpx.AsyncClient(
            base_url=config.base_url, transport=transport, timeout=DEFAULT_TIMEOUT, headers=headers
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def generate(self, body: dict[str, Any]) -> GenerateContentResponse:
        """POST ``body`` (from :func:`chat_request`) and translate the completion.

        Raises:
            ApiError: the upstream's error (status mapped to its code), UNAVAILABLE.
        """
        try:
            response = await self._client.post("/chat/completions", json=body)
        except httpx.TransportError as exc:
            raise unreachable(self.config.base_url, exc) from None
        if response.status_code != 200:
            raise upstream_error(response)
        return from_chat_completion(response.json())

    async def open_stream(self, body: dict[str, Any]) -> AsyncIterator[GenerateContentResponse]:
        """Start a streamed completion; errors before the first byte raise here.

        Raises:
            ApiError: the upstream's error, UNAVAILABLE. Errors once the stream runs are
                raised by the iterator.
        """
        streamed = {**body, "stream": True, "stream_options": {"include_usage": True}}
        request = self._client.build_request("POST", "/chat/completions", json=streamed)
        try:
            response = await self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise unreachable(self.config.base_url, exc) from None
        if response.status_code != 200:
            await response.aread()
            await response.aclose()
            raise upstream_error(response)
        return self._events(response)

    async def _events(self, response: httpx.Response) -> AsyncIterator[GenerateContentResponse]:
        try:
            async for line in response.aiter_lines():
                data = line.removeprefix("data:").strip() if line.startswith("data:") else ""
                if not data:
                    continue
                if data == "[DONE]":
                    return
                chunk = from_chat_chunk(json.loads(data))
                if chunk is not None:
                    yield chunk
        except httpx.TransportError as exc:
            raise unreachable(self.config.base_url, exc) from None
        except json.JSONDecodeError as exc:
            raise _broken(f"malformed stream event ({exc})") from None
        finally:
            await response.aclose()


def _broken(message: str) -> ApiError:
    return ApiError(Code.UNAVAILABLE, f"The upstream stream broke off: {message}")
