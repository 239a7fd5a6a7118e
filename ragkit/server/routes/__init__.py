"""One router per REST resource, all under ``/v1beta``."""

from __future__ import annotations

from fastapi import APIRouter

from ragkit.server.routes import chunks, corpora, documents, models, permissions

__all__ = ["api_router"]


def api_router() -> APIRouter:
    """Every route the server serves."""
    router = APIRouter(prefix="/v1beta")
    for module in (corpora, documents, chunks, permissions, models):
        router.include_router(module.router)
    # A catch-all for ``models/{m}:{method}``: routes added after it would be unreachable.
    router.include_router(models.unserved_router)
    return router
