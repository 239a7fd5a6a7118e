"""Not ready yet: the error a query gets while the index it needs is still loading.

After a restart ``ragkit serve`` loads every corpus's index in the background
(:meth:`~ragkit.server.service.RetrieverService.start_warming`). A query that needs an
index that is not loaded yet, while that warm-up runs, answers **503 UNAVAILABLE** with
Google's error body and a ``Retry-After`` header instead of holding the request for the
seconds a large index takes to load; Google's clients (and ragkit's) retry 503 on their
own. ``GET /readyz`` answers the same until the warm-up is done, and ``GET /healthz``
answers as soon as the process serves HTTP (:mod:`ragkit.server.routes.health`).
"""

from __future__ import annotations

from ragkit.server.errors import ApiError
from ragkit.types.status import Code

__all__ = ["RETRY_AFTER_SECONDS", "NotReady"]

#: What ``Retry-After`` tells clients: indexes load at ~100,000 chunks per few seconds.
RETRY_AFTER_SECONDS = 1


class NotReady(ApiError):
    """503 UNAVAILABLE with ``Retry-After``, e.g. ``NotReady("corpora/c's index ...")``."""

    def __init__(self, message: str, *, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(Code.UNAVAILABLE, message, retry_after=retry_after)
