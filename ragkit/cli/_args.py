"""Argument types shared by ``ragkit`` subcommands."""

from __future__ import annotations

import argparse

__all__ = ["LOG_LEVELS", "port_number", "quota"]

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def quota(text: str) -> int | None:
    """A quota flag: a positive count, or 0 for unlimited."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (0 = unlimited), got {value}")
    return value or None


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= 65_535:
        raise argparse.ArgumentTypeError(f"must be in 1..65535, got {value}")
    return value
