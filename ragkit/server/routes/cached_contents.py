"""``cachedContents``: create, list, get, patch (expiration only), delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ragkit.server.http.deps import Caches, Caller
from ragkit.server.http.params import ListParams, PatchParams, PlainParams
from ragkit.server.http.transactions import CommitAfterRender
from ragkit.server.http.wire import body_of, render
from ragkit.types import CachedContent

__all__ = ["router"]

router = APIRouter(tags=["cachedContents"], route_class=CommitAfterRender)

CacheBody = Annotated[CachedContent, Depends(body_of(CachedContent))]


@router.post("/cachedContents")
def create_cached_content(
    caches: Caches, who: Caller, q: PlainParams, body: CacheBody
) -> JSONResponse:
    """Cache a prompt prefix for one model (``ttl`` or ``expireTime``; default 1 hour)."""
    return render(caches.create(who, body), enum_int=q.enum_int)


@router.get("/cachedContents")
def list_cached_contents(caches: Caches, who: Caller, q: ListParams) -> JSONResponse:
    """The caller's caches, oldest first (``pageSize`` max 1000, larger values coerced)."""
    page = caches.list(who, page_size=q.page_size, page_token=q.page_token)
    return render(page, enum_int=q.enum_int)


@router.get("/cachedContents/{cache:rid}")
def get_cached_content(cache: str, caches: Caches, who: Caller, q: PlainParams) -> JSONResponse:
    return render(caches.get(who, f"cachedContents/{cache}"), enum_int=q.enum_int)


@router.patch("/cachedContents/{cache:rid}")
def update_cached_content(
    cache: str, caches: Caches, who: Caller, q: PatchParams, body: CacheBody
) -> JSONResponse:
    """Change the expiration; ``updateMask`` may only name ``ttl`` or ``expireTime``."""
    updated = caches.update(who, f"cachedContents/{cache}", body, q.update_mask)
    return render(updated, enum_int=q.enum_int)


@router.delete("/cachedContents/{cache:rid}")
def delete_cached_content(cache: str, caches: Caches, who: Caller, q: PlainParams) -> JSONResponse:
    caches.delete(who, f"cachedContents/{cache}")
    return render(None)
