"""Ctrl-C for long commands: acknowledged at once, a clean stop, a second one stops now.

    with stop_on_interrupt("ragkit ingest", "stopping after the current batch"):
        run()              # the first Ctrl-C prints the message and raises Interrupted here

The first SIGINT prints ``ragkit ingest: stopping after the current batch... (Ctrl-C again
to stop at once)`` and raises :class:`Interrupted` in the main thread, so the work winds
down: requests already in flight finish, queued ones are cancelled, the embedded server
stops. If that takes more than ``grace`` seconds (a batch embedding on a busy machine can
take long), the process ends anyway; so does a second SIGINT, at once. Both end with status
130 through ``os._exit``: no cleanup, which ingestion does not need, as a killed run is
finished by the next one, and SQLite survives it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["STOP_GRACE", "Interrupted", "stop_on_interrupt"]

_EXIT_INTERRUPTED = 130


class Interrupted(KeyboardInterrupt):
    """The user pressed Ctrl-C once; the command is stopping.

    A :class:`KeyboardInterrupt`, so that no ``except Exception`` on the way swallows it.
    """


#: Seconds a stop may take before the process ends without waiting for work in flight.
STOP_GRACE = 5.0


@contextlib.contextmanager
def stop_on_interrupt(prefix: str, stopping: str, *, grace: float = STOP_GRACE) -> Iterator[None]:
    """Handle SIGINT as described in the module docstring while the block runs."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread; elsewhere Ctrl-C is not ours
        return
    pressed = False

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        nonlocal pressed
        if pressed:
            _end(f"{prefix}: stopped at once; run the same command again to resume")
        pressed = True
        _say(f"{prefix}: {stopping}... (Ctrl-C again to stop at once)")
        watchdog = threading.Timer(
            grace,
            _end,
            [f"{prefix}: stopped without waiting longer for the requests in flight; run the "
             "same command again to resume"],
        )  # fmt: skip
        watchdog.daemon = True  # a stop that finishes in time exits without waiting for it
        watchdog.start()
        raise Interrupted

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _end(message: str) -> None:
    _say(message)
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    os._exit(_EXIT_INTERRUPTED)


def _say(message: str) -> None:
    # Start on a new line: a progress bar may be drawn on the current one.
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"\n{message}\n")
        sys.stderr.flush()
