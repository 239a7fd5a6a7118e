"""Forwarding to Google's Generative Language API with the operator's key.

Requests for models this server does not serve are passed through unchanged: same path,
same body, same ``alt`` and other query parameters, with the operator's key as
``x-goog-api-key``. The caller's own credentials (``key``, ``access_token``, the
``Authorization`` header) are never forwarded. Responses, streamed or not, come back as
Google sent them, status and error bodies included. Note that files and cached contents
stored on *this* server do not exist upstream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from ragkit.server.config import UpstreamConfig
from ragkit.server.errors import ApiError, not_found
from ragkit.types import GenerateContentResponse, ListModelsResponse, Model
from ragkit.types._base import from_wire
from ragkit.types.status import Code

__all__ = ["DEFAULT_TIMEOUT", "GoogleUpstream", "unreachable"]

#: Seconds to wait for the upstream (long: generation can take a while).
DEFAULT_TIMEOUT = httpx.Timeout(300.0, connect=10.0)
_CALLER_CREDENTIALS = frozenset({"key", "access_token", "oauth_token"})
_PASSED_HEADERS = ("content-type",)
_UPSTREAM_PAGE_SIZE = 1000


def unreachable(base_url: str, exc: Exception) -> ApiError:
    """UNAVAILABLE for an upstream that cannot be reached."""
    return ApiError(Code.UNAVAILABLE, f"The upstream at {base_url} is unreachable: {exc}")


class GoogleUpstream:
    """Passes requests through to Google (see the module docstring).

    Args:
        config: a ``kind="google"`` upstream.
        transport: the httpx transport to use (tests inject ``httpx.MockTransport``).
    """

    def __init__(
        self, config: UpstreamConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self._client = httpx.AsyncClient(
            base_url=config.base_url,
            transport=transport,
            timeout=DEFAULT_TIMEOUT,
            headers={"x-goog-api-key": config.api_key or ""},
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def forward(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]],
        body: bytes,
        headers: Mapping[str, str],
    ) -> Response:
        """Send ``method path?query`` with ``body`` upstream; stream the answer back.

        Raises:
            ApiError: UNAVAILABLE when the upstream cannot be reached.
        """
        params = httpx.QueryParams(
            [(k, v) for k, v in query if k.removeprefix("$") not in _CALLER_CREDENTIALS]
        )
        passed = {k: v for k, v in headers.items() if k.lower() in _PASSED_HEADERS}
        request = self._client.build_request(
            method, path, params=params, content=body or None, headers=passed
        )
        try:
            upstream = await self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise unreachable(self.config.base_url, exc) from None
        content_type = upstream.headers.get("content-type", "application/json")
        return StreamingResponse(
            _relay(upstream),
            status_code=upstream.status_code,
            media_type=content_type,
            background=BackgroundTask(upstream.aclose),
        )

    async def list_models(self) -> list[Model]:
        """Every model the upstream lists (all pages).

        Raises:
            ApiError: the upstream's error, or UNAVAILABLE.
        """
        models: list[Model] = []
        token: str | None = None
        while True:
            params: dict[str, str | int] = {"pageSize": _UPSTREAM_PAGE_SIZE}
            if token:
                params["pageToken"] = token
            page = from_wire(ListModelsResponse, await self._get_json("/v1beta/models", params))
            models += page.models or []
            token = page.next_page_token
            if not token:
                return models

    async def get_model(self, name: str) -> Model:
        """The upstream's ``name`` (``models/gemini-2.5-pro``).

        Raises:
            ApiError: NOT_FOUND (or the upstream's other errors), UNAVAILABLE.
        """
        model: Model = from_wire(Model, await self._get_json(f"/v1beta/{name}", {}))
        return model

    async def generate_content(self, model: str, body: dict[str, Any]) -> GenerateContentResponse:
        """POST ``body`` (a GenerateContentRequest's JSON) to ``model``'s generateContent.

        Raises:
            ApiError: the upstream's error (status mapped to its code), UNAVAILABLE.
        """
        name = model if model.startswith("models/") else f"models/{model}"
        try:
            response = await self._client.post(f"/v1beta/{name}:generateContent", json=body)
        except httpx.TransportError as exc:
            raise unreachable(self.config.base_url, exc) from None
        if response.status_code != 200:
            raise upstream_error(response)
        parsed: GenerateContentResponse = from_wire(GenerateContentResponse, response.json())
        return parsed

    async def _get_json(self, path: str, params: dict[str, str | int]) -> object:
        try:
            response = await self._client.get(path, params=params)
        except httpx.TransportError as exc:
            raise unreachable(self.config.base_url, exc) from None
        if response.status_code != 200:
            raise upstream_error(response)
        return response.json()


def upstream_error(response: httpx.Response) -> ApiError:
    """The :class:`ApiError` an upstream error response stands for (Google or OpenAI body)."""
    code = Code.from_http_status(response.status_code)
    message = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, list) and body:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or "")
    elif isinstance(error, str):
        message = error
    if code is Code.NOT_FOUND and not message:
        return not_found("The upstream has no such model or method.")
    return ApiError(
        code, f"Upstream error: {message or response.text[:500] or response.reason_phrase}"
    )


async def _relay(response: httpx.Response) -> AsyncIterator[bytes]:
    # Decoded bytes: the upstream's content-encoding header is not passed on.
    try:
        async for chunk in response.aiter_bytes():
            yield chunk
    except httpx.TransportError:
        # The status line is already sent; ending the body early is all that is left.
        return
