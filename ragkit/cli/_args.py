"""Argument types shared by ``ragkit`` subcommands."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ragkit import limits

__all__ = [
    "LOG_LEVELS",
    "file_size",
    "integer",
    "non_negative",
    "port_number",
    "positive",
    "quota",
    "results_count",
    "seconds",
]

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def integer(
    low: int, high: int | None, rule: str, *, noun: str = "a whole number"
) -> Callable[[str], int]:
    """An argparse type for integers in ``low..high`` (no upper end when ``high`` is None).

    Errors read ``expected {noun}, got 'x'`` and ``{rule}, got 5``.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{rule}, got {value}")
        return value

    return parse


positive = integer(1, None, "must be at least 1")
non_negative = integer(0, None, "must be >= 0")
#: A ``--results`` value: 1..100.
results_count = integer(
    1, limits.MAX_RESULTS_COUNT, f"must be between 1 and {limits.MAX_RESULTS_COUNT}"
)
port_number = integer(1, 65_535, "must be in 1..65535", noun="a port number")
file_size = integer(
    1,
    limits.MAX_FILE_BYTES,
    f"must be between 1 and {limits.MAX_FILE_BYTES} bytes",
    noun="a number of bytes",
)
_quota = integer(0, None, "must be >= 0 (0 = unlimited)")


def quota(text: str) -> int | None:
    """A quota flag: a positive count, or 0 for unlimited."""
    return _quota(text) or None


def seconds(text: str) -> float:
    """A duration flag such as ``--timeout``: a number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, got {text}")
    return value
