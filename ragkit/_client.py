"""``ragkit.Client`` and ``ragkit.AsyncClient``: the same API, blocking and asyncio.

Both hold an ``httpx`` client, credentials and retry settings, and expose the API's
resources as lazily created namespaces mirroring the REST paths::

    client = ragkit.Client()                       # GOOGLE_API_KEY / GEMINI_API_KEY
    corpus = client.corpora.create(display_name="Docs")
    client.corpora.documents.chunks.list("corpora/docs-x/documents/d1")

Point ``base_url`` (or ``RAGKIT_BASE_URL``) at a ``ragkit serve`` instance to use the
self-hosted server, or pass ``transport=`` to run against an in-process app.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx

from ragkit._auth import CredentialsLike
from ragkit._base_client import DEFAULT_TIMEOUT, APIRequest, BaseClient
from ragkit._exceptions import error_from_response
from ragkit._pagination import AsyncPager, SyncPager
from ragkit._retry import DEFAULT_MAX_RETRIES
from ragkit._streaming import AsyncStream, Stream

if TYPE_CHECKING:
    from ragkit.resources.batches import AsyncBatches, Batches
    from ragkit.resources.cached_contents import AsyncCachedContents, CachedContents
    from ragkit.resources.corpora import AsyncCorpora, Corpora
    from ragkit.resources.file_search_stores import AsyncFileSearchStores, FileSearchStores
    from ragkit.resources.files import AsyncFiles, Files
    from ragkit.resources.generated_files import AsyncGeneratedFiles, GeneratedFiles
    from ragkit.resources.models import AsyncModels, Models
    from ragkit.resources.tuned_models import AsyncTunedModels, TunedModels

__all__ = ["AsyncClient", "Client"]

T = TypeVar("T")
P = TypeVar("P")


class Client(BaseClient):
    """Blocking client for the Generative Language API (v1beta) and ragkit's server.

    Args:
        api_key: sent as ``x-goog-api-key``; defaults to ``GOOGLE_API_KEY``, then
            ``GEMINI_API_KEY`` (not read when OAuth is configured).
        access_token: an OAuth access token, sent as ``Authorization: Bearer``.
        credentials: google-auth credentials, refreshed when they expire (corpora on
            Google's API need OAuth with the ``generative-language.retriever`` scope).
        base_url: defaults to ``RAGKIT_BASE_URL``, else Google's endpoint.
        timeout: seconds (or an ``httpx.Timeout``) per request.
        max_retries: retries of idempotent calls on 429/500/503/504 and connection errors.
        default_headers: extra headers on every request.
        transport: an ``httpx`` transport (``httpx.MockTransport`` in tests...).
        http_client: a fully configured ``httpx.Client`` to use instead of ragkit's own.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        access_token: str | None = None,
        credentials: CredentialsLike | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            access_token=access_token,
            credentials=credentials,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
        )
        if http_client is not None and transport is not None:
            raise ValueError("pass either transport or http_client, not both")
        self._owns_http_client = http_client is None
        self._http = http_client or httpx.Client(transport=transport, timeout=timeout)
        #: Called with the delay before each retry; tests replace it to avoid sleeping.
        self._sleep: Callable[[float], None] = time.sleep

    def _send(self, request: APIRequest[Any], *, stream: bool = False) -> httpx.Response:
        """Send with retries; return a successful response or raise the typed error."""
        retries = self._retries_for(request)
        attempt = 0
        waited = 0.0  # seconds spent on paced 429/503 answers
        while True:
            http_request = self._build_request(self._http, request, self._auth.headers())
            try:
                response = self._http.send(http_request, stream=stream)
            except httpx.TransportError as exc:
                if attempt >= retries:
                    raise self._transport_error(exc, http_request) from exc
                self._sleep(self._retry_delay(attempt, None))
                attempt += 1
                continue
            if response.status_code < 400:
                return response
            paced = self._overload_delay(request, response, waited)
            if paced is not None:
                response.close()
                self._sleep(paced)
                waited += paced
                continue
            if self._should_retry_status(response.status_code) and attempt < retries:
                response.close()
                self._sleep(self._retry_delay(attempt, response))
                attempt += 1
                continue
            response.read()
            response.close()
            raise error_from_response(response)

    def _request(self, request: APIRequest[T]) -> T:
        return self._parse_body(request, self._send(request))

    def _stream(self, request: APIRequest[T]) -> Stream[T]:
        return Stream(self._send(request, stream=True), request.parse)

    def _pager(
        self, request: APIRequest[P], items: Callable[[P], Sequence[T] | None]
    ) -> SyncPager[P, T]:
        return SyncPager(self._request, request, items)

    @cached_property
    def corpora(self) -> Corpora:
        """Corpora, and under them documents, chunks and permissions."""
        from ragkit.resources.corpora import Corpora

        return Corpora(self)

    @cached_property
    def models(self) -> Models:
        """Models: generation, embeddings, token counting, AQA answers, operations."""
        from ragkit.resources.models import Models

        return Models(self)

    @cached_property
    def files(self) -> Files:
        """Uploaded files (resumable upload, download)."""
        from ragkit.resources.files import Files

        return Files(self)

    @cached_property
    def cached_contents(self) -> CachedContents:
        """Context caches."""
        from ragkit.resources.cached_contents import CachedContents

        return CachedContents(self)

    @cached_property
    def batches(self) -> Batches:
        """Batch jobs (created by ``models.batch_generate_content``)."""
        from ragkit.resources.batches import Batches

        return Batches(self)

    @cached_property
    def generated_files(self) -> GeneratedFiles:
        """Files the API generated (e.g. by batch jobs)."""
        from ragkit.resources.generated_files import GeneratedFiles

        return GeneratedFiles(self)

    @cached_property
    def tuned_models(self) -> TunedModels:
        """Tuned models, their permissions and operations."""
        from ragkit.resources.tuned_models import TunedModels

        return TunedModels(self)

    @cached_property
    def file_search_stores(self) -> FileSearchStores:
        """File Search stores, their documents and import operations."""
        from ragkit.resources.file_search_stores import FileSearchStores

        return FileSearchStores(self)

    def close(self) -> None:
        """Close the underlying HTTP client (unless it was passed in)."""
        if self._owns_http_client:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(BaseClient):
    """asyncio client; the same resources and arguments as :class:`Client`.

    ``transport`` may be an ``httpx.ASGITransport`` wrapping ragkit's server app.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        access_token: str | None = None,
        credentials: CredentialsLike | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            access_token=access_token,
            credentials=credentials,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
        )
        if http_client is not None and transport is not None:
            raise ValueError("pass either transport or http_client, not both")
        self._owns_http_client = http_client is None
        self._http = http_client or httpx.AsyncClient(transport=transport, timeout=timeout)
        #: Awaited with the delay before each retry; tests replace it to avoid sleeping.
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def _send(self, request: APIRequest[Any], *, stream: bool = False) -> httpx.Response:
        """Send with retries; return a successful response or raise the typed error."""
        retries = self._retries_for(request)
        attempt = 0
        waited = 0.0  # seconds spent on paced 429/503 answers
        while True:
            http_request = self._build_request(self._http, request, await self._auth.aheaders())
            try:
                response = await self._http.send(http_request, stream=stream)
            except httpx.TransportError as exc:
                if attempt >= retries:
                    raise self._transport_error(exc, http_request) from exc
                await self._sleep(self._retry_delay(attempt, None))
                attempt += 1
                continue
            if response.status_code < 400:
                return response
            paced = self._overload_delay(request, response, waited)
            if paced is not None:
                await response.aclose()
                await self._sleep(paced)
                waited += paced
                continue
            if self._should_retry_status(response.status_code) and attempt < retries:
                await response.aclose()
                await self._sleep(self._retry_delay(attempt, response))
                attempt += 1
                continue
            await response.aread()
            await response.aclose()
            raise error_from_response(response)

    async def _request(self, request: APIRequest[T]) -> T:
        return self._parse_body(request, await self._send(request))

    async def _stream(self, request: APIRequest[T]) -> AsyncStream[T]:
        return AsyncStream(await self._send(request, stream=True), request.parse)

    def _pager(
        self, request: APIRequest[P], items: Callable[[P], Sequence[T] | None]
    ) -> AsyncPager[P, T]:
        return AsyncPager(self._request, request, items)

    @cached_property
    def corpora(self) -> AsyncCorpora:
        """Corpora, and under them documents, chunks and permissions."""
        from ragkit.resources.corpora import AsyncCorpora

        return AsyncCorpora(self)

    @cached_property
    def models(self) -> AsyncModels:
        """Models: generation, embeddings, token counting, AQA answers, operations."""
        from ragkit.resources.models import AsyncModels

        return AsyncModels(self)

    @cached_property
    def files(self) -> AsyncFiles:
        """Uploaded files (resumable upload, download)."""
        from ragkit.resources.files import AsyncFiles

        return AsyncFiles(self)

    @cached_property
    def cached_contents(self) -> AsyncCachedContents:
        """Context caches."""
        from ragkit.resources.cached_contents import AsyncCachedContents

        return AsyncCachedContents(self)

    @cached_property
    def batches(self) -> AsyncBatches:
        """Batch jobs (created by ``models.batch_generate_content``)."""
        from ragkit.resources.batches import AsyncBatches

        return AsyncBatches(self)

    @cached_property
    def generated_files(self) -> AsyncGeneratedFiles:
        """Files the API generated (e.g. by batch jobs)."""
        from ragkit.resources.generated_files import AsyncGeneratedFiles

        return AsyncGeneratedFiles(self)

    @cached_property
    def tuned_models(self) -> AsyncTunedModels:
        """Tuned models, their permissions and operations."""
        from ragkit.resources.tuned_models import AsyncTunedModels

        return AsyncTunedModels(self)

    @cached_property
    def file_search_stores(self) -> AsyncFileSearchStores:
        """File Search stores, their documents and import operations."""
        from ragkit.resources.file_search_stores import AsyncFileSearchStores

        return AsyncFileSearchStores(self)

    async def aclose(self) -> None:
        """Close the underlying HTTP client (unless it was passed in)."""
        if self._owns_http_client:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
