"""Batch jobs on the server's own model methods: :class:`BatchModels` over
:class:`~ragkit.server.generation.GenerationService`, and the content resolver the
generation side reads files and caches through.

The batch worker is a plain thread, while ``GenerationService.generate`` is a coroutine
that may use the upstream's HTTP client, which belongs to the server's event loop; so
each generation request is handed to that loop and the worker waits for its result.
"""

from __future__ import annotations

import asyncio

from ragkit.server.caching import CacheService
from ragkit.server.generation import GenerationService
from ragkit.server.media import FileService
from ragkit.server.principal import Principal
from ragkit.types import (
    CachedContent,
    EmbedContentRequest,
    EmbedContentResponse,
    GenerateContentRequest,
    GenerateContentResponse,
)

__all__ = ["GenerationBatchModels", "StoredContent"]


class GenerationBatchModels:
    """:class:`~ragkit.server.batches.BatchModels` running requests exactly as
    ``generateContent`` and ``embedContent`` would, on the event loop ``loop``."""

    def __init__(self, generation: GenerationService, loop: asyncio.AbstractEventLoop) -> None:
        self._generation = generation
        self._loop = loop

    def require(self, model: str, method: str) -> None:
        catalog = self._generation.catalog
        # Every generative name not served here goes to an OpenAI-compatible upstream.
        upstream = self._generation.openai is not None and method == "batchGenerateContent"
        if not (upstream and model not in catalog):
            catalog.require(model, method)

    def generate_content(
        self, who: Principal, model: str, request: GenerateContentRequest
    ) -> GenerateContentResponse:
        future = asyncio.run_coroutine_threadsafe(
            self._generation.generate(who, model, request), self._loop
        )
        return future.result()

    def embed_content(
        self, who: Principal, model: str, request: EmbedContentRequest
    ) -> EmbedContentResponse:
        return self._generation.embeddings.embed_content(model, request)


class StoredContent:
    """The :class:`~ragkit.server.generation.ContentResolver` over this server's files
    and cached contents."""

    def __init__(self, files: FileService, caches: CacheService) -> None:
        self._files = files
        self._caches = caches

    def file_text(self, who: Principal, file_uri: str) -> tuple[str, str]:
        return self._files.file_text(who, file_uri)

    def cached_content(self, who: Principal, name: str) -> CachedContent:
        return self._caches.cached_content(who, name)
