"""Request bodies to disk in bounded memory: the one loop every upload form goes through.

:func:`spool` reads an async byte stream (``request.stream()``), gathers it into pieces of
at most :data:`BUFFER_BYTES` and hands each to a blocking ``write`` in a worker thread, so
the event loop never waits on the disk and memory stays at about one buffer plus one
incoming chunk, whatever the file's size. A body that would pass ``limit`` stops the loop
*before* the bytes over the limit are written: :class:`BodyTooLarge` is raised and the
rest of the body is never read.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable

import anyio.to_thread

__all__ = ["BUFFER_BYTES", "BodyTooLarge", "spool"]

#: Bytes gathered before each write; the memory an upload holds (plus one incoming chunk).
BUFFER_BYTES = 1 << 20


class BodyTooLarge(Exception):
    """The body carried more than ``limit`` bytes; ``received`` counts those read so far
    (at least ``limit + 1``)."""

    def __init__(self, received: int, limit: int) -> None:
        super().__init__(f"the body passed {limit} bytes ({received} read)")
        self.received = received
        self.limit = limit


async def spool(
    body: AsyncIterable[bytes],
    write: Callable[[bytes | bytearray], object],
    *,
    limit: int,
    buffer_bytes: int = BUFFER_BYTES,
) -> int:
    """Feed ``body`` to ``write`` in pieces of about ``buffer_bytes``; returns the total.

    ``write`` runs in a worker thread, one call at a time, in order.

    Raises:
        BodyTooLarge: the body holds more than ``limit`` bytes; nothing past ``limit``
            was handed to ``write`` (the buffered rest is dropped).
    """
    pending = bytearray()
    total = 0
    async for chunk in body:
        if not chunk:
            continue
        total += len(chunk)
        if total > limit:
            raise BodyTooLarge(total, limit)
        if not pending and len(chunk) >= buffer_bytes:
            # A big chunk goes out as it is: copying it into the buffer would double it.
            await anyio.to_thread.run_sync(write, chunk)
            continue
        pending += chunk
        if len(pending) >= buffer_bytes:
            # Hand the buffer itself over and start a new one: no copy.
            piece, pending = pending, bytearray()
            await anyio.to_thread.run_sync(write, piece)
    if pending:
        await anyio.to_thread.run_sync(write, pending)
    return total
