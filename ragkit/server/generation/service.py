"""One object behind every model method except ``generateAnswer``.

:class:`GenerationService` decides who answers a model name: the local composer, the
local embedder, the PaLM mapping, an OpenAI-compatible upstream, or (for names the catalog
does not hold) Google's API when that upstream is configured. Routes ask
:meth:`GenerationService.forwards` first and pass such requests through untouched;
everything else comes here, already parsed.

Blocking work (the answerer, the embedder, resolving files) runs in worker threads, so
the event loop keeps serving other requests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NoReturn

import anyio.to_thread
import httpx

from ragkit.server.catalog import ModelCatalog, Role
from ragkit.server.config import UpstreamConfig
from ragkit.server.errors import failed_precondition, unimplemented
from ragkit.server.generation.embeddings import EmbeddingService
from ragkit.server.generation.file_search import (
    FileSearchRetrieval,
    file_search_tools,
    ground_for_upstream,
    grounding_metadata,
)
from ragkit.server.generation.google import GoogleUpstream
from ragkit.server.generation.legacy import LegacyModels
from ragkit.server.generation.local import LocalGenerativeModel
from ragkit.server.generation.openai import OpenAIUpstream, chat_request
from ragkit.server.generation.output import stream_chunks
from ragkit.server.generation.resolver import ContentResolver
from ragkit.server.generation.tokens import count_tokens_response
from ragkit.server.models.answerer import Answerer
from ragkit.server.models.embedding import Embedder
from ragkit.server.principal import Principal
from ragkit.types import (
    CountTokensRequest,
    CountTokensResponse,
    GenerateContentRequest,
    GenerateContentResponse,
    ListModelsResponse,
    Model,
)

__all__ = ["GenerationService"]


class GenerationService:
    """Model methods over the local models and an optional upstream.

    Args:
        catalog: the served models (from :func:`~ragkit.server.catalog.build_catalog`,
            built with the same ``upstream``).
        embedder: the server's embedder (embeddings, and dense scores of the composer).
        resolver: files and cached contents; ``None`` until that service is wired in.
        upstream: where non-local models go; ``None`` for none.
        transport: httpx transport for the upstream client (tests: ``MockTransport``).
        answerer: the grounded answerer to compose with (default: a new one on ``embedder``).
    """

    def __init__(
        self,
        catalog: ModelCatalog,
        embedder: Embedder,
        *,
        resolver: ContentResolver | None = None,
        upstream: UpstreamConfig | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        answerer: Answerer | None = None,
    ) -> None:
        self.catalog = catalog
        self.embeddings = EmbeddingService(embedder)
        self.local = LocalGenerativeModel(answerer or Answerer(embedder), resolver)
        self.legacy = LegacyModels(self.local)
        self.upstream = upstream
        self.google: GoogleUpstream | None = None
        self.openai: OpenAIUpstream | None = None
        if upstream is not None and upstream.kind == "google":
            self.google = GoogleUpstream(upstream, transport=transport)
        elif upstream is not None:
            self.openai = OpenAIUpstream(upstream, transport=transport)

    @property
    def file_search(self) -> FileSearchRetrieval | None:
        """Retrieval for the ``fileSearch`` tool; assign to wire it in."""
        return self.local.file_search

    @file_search.setter
    def file_search(self, retrieval: FileSearchRetrieval | None) -> None:
        self.local.file_search = retrieval

    @property
    def resolver(self) -> ContentResolver | None:
        """The files/cachedContents resolver; assign to wire one in."""
        return self.local.resolver

    @resolver.setter
    def resolver(self, resolver: ContentResolver | None) -> None:
        self.local.resolver = resolver

    async def aclose(self) -> None:
        """Close the upstream connections."""
        for client in (self.google, self.openai):
            if client is not None:
                await client.aclose()

    def forwards(self, name: str) -> bool:
        """True when ``name`` is not served here and goes to the Google upstream as is."""
        return self.google is not None and name not in self.catalog

    async def list_models(
        self, *, page_size: int | None = None, page_token: str | None = None
    ) -> ListModelsResponse:
        """The local models, then the Google upstream's (local names win).

        Raises:
            ApiError: INVALID_ARGUMENT for a bad page token; the upstream's errors.
        """
        if self.google is None:
            return self.catalog.list(page_size=page_size, page_token=page_token)
        local = list(self.catalog)
        names = {m.name for m in local}
        remote = [m for m in await self.google.list_models() if m.name not in names]
        merged = ModelCatalog([*local, *remote])
        return merged.list(page_size=page_size, page_token=page_token)

    async def get_model(self, name: str) -> Model:
        """``name`` from the catalog, else from the Google upstream.

        Raises:
            ApiError: NOT_FOUND.
        """
        if self.forwards(name):
            assert self.google is not None
            return await self.google.get_model(name)
        return self.catalog.get(name)

    async def generate(
        self, who: Principal, name: str, request: GenerateContentRequest
    ) -> GenerateContentResponse:
        """``generateContent`` on a local or OpenAI-upstream model.

        With an OpenAI-compatible upstream, names not served locally are sent to it.

        Raises:
            ApiError: NOT_FOUND for a model that does not generate; see
                :meth:`LocalGenerativeModel.generate` and the upstream's errors.
        """
        if self.forwards(name):
            # The routes forward everything else for a Google upstream untouched.
            return await self._grounded_upstream(who, name, None, request)
        model, role = self._target(name, "generateContent")
        if role == "openai":
            if file_search_tools(request):
                return await self._grounded_upstream(who, name, model, request)
            body = await anyio.to_thread.run_sync(self._chat_body, who, model, request)
            assert self.openai is not None
            return await self.openai.generate(body)
        return await anyio.to_thread.run_sync(self.local.generate, who, model, request)

    async def _grounded_upstream(
        self, who: Principal, name: str, model: Model | None, request: GenerateContentRequest
    ) -> GenerateContentResponse:
        """A ``fileSearch`` request for an upstream model: retrieve here, let the upstream
        answer from the chunks, return its reply with their grounding chunks."""
        retrieval = self.file_search
        if retrieval is None:
            raise failed_precondition("The fileSearch tool is not available on this server.")
        retrieved, rewritten = await anyio.to_thread.run_sync(
            ground_for_upstream, who, request, retrieval
        )
        if model is None:
            assert self.google is not None
            response = await self.google.generate_content(name, rewritten.to_wire())
        else:
            body = await anyio.to_thread.run_sync(self._chat_body, who, model, rewritten)
            assert self.openai is not None
            response = await self.openai.generate(body)
        for candidate in response.candidates or []:
            candidate.grounding_metadata = grounding_metadata(candidate, None, retrieved)
        return response

    async def stream(
        self, who: Principal, name: str, request: GenerateContentRequest
    ) -> AsyncIterator[GenerateContentResponse]:
        """``streamGenerateContent``: errors found before the first chunk raise here;
        later ones are raised by the iterator.

        Raises:
            ApiError: as :meth:`generate`.
        """
        # File Search through an upstream: one grounded reply, streamed in pieces.
        if self.forwards(name):
            grounded = await self._grounded_upstream(who, name, None, request)
            return _iterate(stream_chunks(grounded))
        model, role = self._target(name, "streamGenerateContent")
        if role == "openai" and file_search_tools(request):
            grounded = await self._grounded_upstream(who, name, model, request)
            return _iterate(stream_chunks(grounded))
        if role == "openai":
            body = await anyio.to_thread.run_sync(self._chat_body, who, model, request)
            assert self.openai is not None
            return await self.openai.open_stream(body)
        response = await anyio.to_thread.run_sync(self.local.generate, who, model, request)
        return _iterate(stream_chunks(response))

    async def count_tokens(
        self, who: Principal, name: str, request: CountTokensRequest
    ) -> CountTokensResponse:
        """``countTokens`` with ragkit's tokenizer (also for the OpenAI upstream's model,
        whose own tokenizer is unknown here, so the figure is an estimate).

        Raises:
            ApiError: NOT_FOUND for a model without countTokens; INVALID_ARGUMENT.
        """
        self._target(name, "countTokens")
        return await anyio.to_thread.run_sync(
            count_tokens_response, request, name, who, self.local.resolver
        )

    def unserved(self, name: str, method: str) -> NoReturn:
        """Raise the right error for ``name:method`` that no route serves.

        Raises:
            ApiError: NOT_FOUND (unknown model or method, Google's wording), or
                UNIMPLEMENTED for methods an OpenAI-compatible upstream cannot serve.
        """
        if self.openai is not None and name not in self.catalog:
            raise unimplemented(
                f"{name}:{method} is not served locally, and the OpenAI-compatible upstream "
                "only serves generateContent, streamGenerateContent and countTokens."
            )
        self.catalog.require(name, method)
        raise unimplemented(f"{name}:{method} is not implemented by this server.")

    def _target(self, name: str, method: str) -> tuple[Model, Role | None]:
        """The catalog entry serving ``name:method``; with an OpenAI-compatible upstream,
        every generative name not served locally goes to the upstream's model."""
        if name not in self.catalog and self.openai is not None:
            entry = next(m for m in self.catalog if self.catalog.role(m.name or "") == "openai")
            return entry.model_copy(update={"name": name}), "openai"
        return self.catalog.require(name, method), self.catalog.role(name)

    def _chat_body(
        self, who: Principal, model: Model, request: GenerateContentRequest
    ) -> dict[str, object]:
        assert self.upstream is not None and self.upstream.model is not None
        return chat_request(request, model, self.upstream.model, who, self.local.resolver)


async def _iterate(chunks: list[GenerateContentResponse]) -> AsyncIterator[GenerateContentResponse]:
    for chunk in chunks:
        yield chunk
