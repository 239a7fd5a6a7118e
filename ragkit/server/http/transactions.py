"""A request's write commits only once its response exists.

A service method commits its write transaction when it returns, and the route renders the
result afterwards. Should rendering fail, the client saw an error but the write stayed:
that is how a ``numericValue: 1e999`` once became a row no request could read again. The
routers of stored resources (corpora, documents, chunks, permissions, files, cached
contents, batches) therefore use :class:`CommitAfterRender` routes: each synchronous
endpoint runs inside :func:`~ragkit.server.store.connection.hold_commits`, so the write
transaction it opens stays open until the endpoint has returned its rendered response
(``JSONResponse`` serialises when it is built), and any exception up to that point rolls
it back. Each of those routes writes one database, and none waits on another thread while
it holds the lock, so holding it until the response exists cannot deadlock. Async
endpoints (media uploads, model calls) keep committing in the service: they hop between
threads, and a held SQLite write lock must not.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute

from ragkit.server.store.connection import hold_commits

__all__ = ["CommitAfterRender"]


def _rendered_before_commit(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        with hold_commits():
            return endpoint(*args, **kwargs)

    return run


class CommitAfterRender(APIRoute):
    """An API route whose write transaction commits after its response is rendered."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _rendered_before_commit(endpoint)
        super().__init__(path, endpoint, **kwargs)
