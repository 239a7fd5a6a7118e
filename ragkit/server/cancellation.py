"""Whether the client that asked for the current piece of work is still waiting for it.

A front end (the HTTP layer's :class:`~ragkit.server.http.disconnect.DisconnectMiddleware`)
opens a :func:`cancellation_scope` around each request and calls
:meth:`Cancellation.cancel` when the client goes away. Work deep below, such as the embedding
scheduler, reads :func:`current_cancellation` to drop what nobody will read. The token
travels in a context variable, which ``anyio.to_thread.run_sync`` (and so FastAPI's sync
routes) copies into worker threads, so no service signature has to carry it.

Example::

    token = Cancellation()
    with cancellation_scope(token):
        ...  # current_cancellation() is token, here and in threads started from here
    token.cancel("the client disconnected")
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["Cancellation", "cancellation_scope", "current_cancellation"]


class Cancellation:
    """A thread-safe, one-way flag: set once when the requester stops waiting."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def cancel(self, reason: str = "the request was cancelled") -> None:
        """Mark the work as unwanted; the first reason given is kept."""
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled or ``timeout`` seconds pass; True if cancelled."""
        return self._event.wait(timeout)


_current: ContextVar[Cancellation | None] = ContextVar("ragkit_cancellation", default=None)


def current_cancellation() -> Cancellation | None:
    """The token of the request being served in this context, if a front end set one."""
    return _current.get()


@contextmanager
def cancellation_scope(token: Cancellation) -> Iterator[Cancellation]:
    """Make ``token`` the current cancellation inside the ``with`` block."""
    reset = _current.set(token)
    try:
        yield token
    finally:
        _current.reset(reset)
