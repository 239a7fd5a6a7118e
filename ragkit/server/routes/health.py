"""Probes for process managers and load balancers, outside ``/v1beta`` and without auth.

``GET /healthz`` answers 200 ``{"status": "alive"}`` whenever the process serves HTTP.
``GET /readyz`` answers 200 ``{"status": "ready"}`` once the indexes are loaded after a
start-up, and until then 503 UNAVAILABLE with Google's error body and ``Retry-After``
(see :mod:`ragkit.server.readiness`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from ragkit.server.http.deps import server_state
from ragkit.server.readiness import NotReady

__all__ = ["router"]

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Alive: the process answers HTTP."""
    return {"status": "alive"}


@router.get("/readyz")
async def readyz(request: Request) -> dict[str, str]:
    """Ready: the service is open and its start-up index loading is done.

    Raises:
        NotReady: 503 UNAVAILABLE with ``Retry-After`` until then.
    """
    service = server_state(request).service
    if service is None:
        raise NotReady("The server is starting.")
    if not service.ready:
        raise NotReady("The server is loading its indexes after a restart.")
    return {"status": "ready"}
