"""One router per REST resource under ``/v1beta``, plus the media endpoints
(``/upload/v1beta/...``, ``/download/v1beta/...``).

The methods Google also serves under ``/v1`` (models and their generation and embedding
methods, files, cachedContents, batches, fileSearchStores: everything google-genai >= 3 calls, as it
defaults to ``v1``) are mounted there too, by the same route functions. The Semantic
Retrieval API (corpora, documents, chunks, permissions, ``generateAnswer``) and the PaLM
methods are v1beta only, as at Google: under ``/v1`` they are NOT_FOUND.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute

from ragkit.server.routes import (
    batches,
    cached_contents,
    chunks,
    corpora,
    documents,
    file_search,
    files,
    health,
    metrics,
    models,
    permissions,
    uploads,
)

__all__ = ["V1BETA_ONLY_METHODS", "api_router"]

#: ``models/{m}:method`` methods Google serves under v1beta alone.
V1BETA_ONLY_METHODS = frozenset(
    {
        "generateAnswer",
        "generateText",
        "generateMessage",
        "embedText",
        "batchEmbedText",
        "countTextTokens",
        "countMessageTokens",
    }
)


def _v1_models() -> APIRouter:
    """The models router without its v1beta-only methods."""
    served = APIRouter()
    served.routes.extend(
        route
        for route in models.router.routes
        if not (
            isinstance(route, APIRoute) and route.path.rpartition(":")[2] in V1BETA_ONLY_METHODS
        )
    )
    return served


def _v1_router() -> APIRouter:
    router = APIRouter(prefix="/v1")
    for module in (files, cached_contents, batches, file_search):
        router.include_router(module.router)
    router.include_router(file_search.operations_router)
    router.include_router(uploads.v1beta_router)
    router.include_router(_v1_models())
    router.include_router(models.unserved_router)
    return router


def api_router() -> APIRouter:
    """Every route the server serves."""
    router = APIRouter(prefix="/v1beta")
    for module in (
        corpora,
        documents,
        chunks,
        permissions,
        files,
        cached_contents,
        batches,
        file_search,
    ):
        router.include_router(module.router)
    router.include_router(file_search.operations_router)
    router.include_router(uploads.v1beta_router)
    router.include_router(models.router)
    # A catch-all for ``models/{m}:{method}``: routes added after it would be unreachable.
    router.include_router(models.unserved_router)
    root = APIRouter()
    root.include_router(health.router)
    root.include_router(metrics.router)
    root.include_router(uploads.router)
    root.include_router(file_search.upload_router)
    root.include_router(router)
    root.include_router(_v1_router())
    return root
