"""``GET /metrics``: the server's Prometheus metrics (:mod:`ragkit.server.metrics`).

Outside ``/v1beta`` and without auth, like ``/healthz``: it shows aggregate numbers only
(no corpus, document or user names), so a Prometheus scraper needs no API key.
"""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request, Response

from ragkit.server.errors import internal
from ragkit.server.http.deps import server_state

__all__ = ["router"]

router = APIRouter()


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """The Prometheus text exposition (OpenMetrics if the scraper asks for it)."""
    observed = server_state(request).metrics
    if observed is None:
        raise internal("Metrics are not set up.")
    # Collecting reads the database (corpus and chunk totals): off the event loop.
    body, content_type = await anyio.to_thread.run_sync(
        observed.render, request.headers.get("accept", "")
    )
    return Response(body, media_type=content_type)
