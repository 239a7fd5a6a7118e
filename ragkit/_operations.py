"""Waiting for a long-running operation: the pure part both clients share.

A resource's ``wait(operation)`` polls ``operations.get`` until ``done`` is true, sleeping
between polls for a delay that starts at ``poll_interval`` and grows by half each time up
to :data:`MAX_POLL_INTERVAL`, so a quick operation is seen quickly and a slow one is not
hammered. Past ``timeout`` seconds it raises :class:`ragkit.OperationTimeoutError` (the
operation keeps running on the server; wait again, or poll it yourself). A finished
operation that carries ``error`` raises the typed :class:`ragkit.APIError` its status
names (``BadRequestError`` for ``INVALID_ARGUMENT``...), with the server's message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from ragkit._exceptions import APIError, OperationTimeoutError, error_from_body
from ragkit.types import BaseOperation, Code

__all__ = [
    "DEFAULT_OPERATION_TIMEOUT",
    "DEFAULT_POLL_INTERVAL",
    "MAX_POLL_INTERVAL",
    "Poller",
    "operation_error",
    "raise_for_operation",
]

#: Seconds ``wait`` gives an operation before raising :class:`OperationTimeoutError`.
DEFAULT_OPERATION_TIMEOUT = 600.0
#: First delay between two polls, in seconds.
DEFAULT_POLL_INTERVAL = 0.25
#: Longest delay between two polls, in seconds.
MAX_POLL_INTERVAL = 5.0

OperationT = TypeVar("OperationT", bound=BaseOperation)


class Poller:
    """The delays between polls of one operation, and its deadline.

    >>> poller = Poller("fileSearchStores/s/operations/o", timeout=10, poll_interval=1,
    ...                 clock=lambda: 0.0)
    >>> [poller.next_delay() for _ in range(4)]
    [1.0, 1.5, 2.25, 3.375]
    """

    def __init__(
        self,
        name: str | None,
        *,
        timeout: float | None,
        poll_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout is not None and timeout < 0:
            raise ValueError(
                f"timeout must be >= 0 seconds (or None to wait forever), got {timeout}"
            )
        if not poll_interval > 0:
            raise ValueError(
                f"poll_interval must be a positive number of seconds, got {poll_interval}"
            )
        self.name = name
        self.timeout = timeout
        self._clock = clock
        self._deadline = None if timeout is None else clock() + timeout
        self._delay = float(poll_interval)

    def next_delay(self) -> float:
        """Seconds to sleep before the next poll (never past the deadline).

        Raises:
            OperationTimeoutError: the deadline has passed.
        """
        delay = min(self._delay, MAX_POLL_INTERVAL)
        self._delay = delay * 1.5
        if self._deadline is None:
            return delay
        left = self._deadline - self._clock()
        if left <= 0:
            raise OperationTimeoutError(
                f"operation {self.name} is not done after {self.timeout:g} s; it keeps "
                "running on the server: wait again with a longer timeout=, or poll it with "
                "operations.get",
                name=self.name,
            )
        return min(delay, left)


def operation_error(operation: BaseOperation) -> APIError | None:
    """The typed error of a finished operation that failed, else ``None``.

    ``Operation.error.code`` is a canonical code (3 = INVALID_ARGUMENT), not an HTTP
    status: it is mapped the way Google's error bodies are.
    """
    status = operation.error
    if status is None:
        return None
    try:
        code = Code.parse(status.code if status.code is not None else Code.UNKNOWN.value)
    except ValueError:
        code = Code.UNKNOWN
    message = status.message or f"operation {operation.name} failed"
    body = {
        "error": {
            "code": code.http_status,
            "message": f"{message} (operation {operation.name})",
            "status": status.status or code.name,
            "details": status.details or [],
        }
    }
    return error_from_body(body, http_status=code.http_status)


def raise_for_operation(operation: OperationT) -> OperationT:
    """``operation`` itself when it has no ``error``; else raise that error, typed."""
    error = operation_error(operation)
    if error is not None:
        raise error
    return operation
