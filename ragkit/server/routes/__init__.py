"""One router per REST resource under ``/v1beta``, plus the media endpoints
(``/upload/v1beta/...``, ``/download/v1beta/...``)."""

from __future__ import annotations

from fastapi import APIRouter

from ragkit.server.routes import (
    batches,
    cached_contents,
    chunks,
    corpora,
    documents,
    files,
    health,
    models,
    permissions,
    uploads,
)

__all__ = ["api_router"]


def api_router() -> APIRouter:
    """Every route the server serves."""
    router = APIRouter(prefix="/v1beta")
    for module in (corpora, documents, chunks, permissions, files, cached_contents, batches):
        router.include_router(module.router)
    router.include_router(uploads.v1beta_router)
    router.include_router(models.router)
    # A catch-all for ``models/{m}:{method}``: routes added after it would be unreachable.
    router.include_router(models.unserved_router)
    root = APIRouter()
    root.include_router(health.router)
    root.include_router(uploads.router)
    root.include_router(router)
    return root
