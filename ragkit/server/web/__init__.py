"""The document Q&A web app that ``ragkit serve`` (and ``ragkit ui``) serves at ``/``.

The app is plain ES modules and CSS in ``static/`` (shipped as package data; no CDN, no build
step). It talks to the server's own ``/v1beta`` API with ``x-goog-api-key``, plus the few
ragkit-specific endpoints of :mod:`ragkit.server.web.api` (counts, file ingestion).

Routes: ``GET /`` (the app's page), ``GET /web/{asset}`` (its scripts, styles and icon) and
``/ragkit/api/...``.
"""

from __future__ import annotations

from importlib import resources
from typing import Final

from fastapi import APIRouter
from fastapi.responses import Response

from ragkit.server.errors import not_found
from ragkit.server.web import api

__all__ = ["web_router"]

_MEDIA_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Everything comes from this server: a stray CDN link would fail loudly in the browser.
_SECURITY_HEADERS: Final = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}


def _asset(name: str) -> Response:
    static = resources.files(__package__).joinpath("static")
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    media_type = _MEDIA_TYPES.get(suffix)
    # Only plain file names of known types: no paths, so nothing outside static/ is served.
    if media_type is None or "/" in name or "\\" in name or name.startswith("."):
        raise not_found(f"No web asset {name!r}.")
    target = static.joinpath(name)
    if not target.is_file():
        raise not_found(f"No web asset {name!r}.")
    return Response(target.read_bytes(), media_type=media_type, headers=_SECURITY_HEADERS)


def web_router() -> APIRouter:
    """``/`` (the app), ``/web/{asset}`` and the ``/ragkit/api`` endpoints."""
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def index() -> Response:
        return _asset("index.html")

    @router.get("/web/{name}")
    def asset(name: str) -> Response:
        return _asset(name)

    router.include_router(api.router)
    return router
