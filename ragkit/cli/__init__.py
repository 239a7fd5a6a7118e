"""The ``ragkit`` command.

One argparse parser with a subcommand per task. Each subcommand lives in its own module of
this package and exposes ``register(commands)``, which adds its parser and sets
``handler(args, parser) -> int`` and ``command_parser``. Heavy imports (FastAPI, uvicorn,
model runtimes) happen inside handlers, so ``ragkit --help`` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ragkit._version import __version__
from ragkit.cli import (
    access,
    ask,
    chat,
    chunks,
    corpora,
    documents,
    eval,
    ingest,
    query,
    reindex,
    serve,
)

__all__ = ["build_parser", "main"]

#: Subcommand modules, in the order ``ragkit --help`` lists them.
_COMMANDS = (serve, reindex, ingest, corpora, documents, chunks, query, ask, chat, access, eval)


def build_parser() -> argparse.ArgumentParser:
    """The ``ragkit`` parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="ragkit",
        description="Retrieval-augmented generation over Google's Semantic Retrieval API.",
    )
    parser.add_argument("--version", action="version", version=f"ragkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in _COMMANDS:
        command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ragkit`` with ``argv`` (default: the process arguments); returns the exit code."""
    args = build_parser().parse_args(argv)
    result: int = args.handler(args, args.command_parser)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
