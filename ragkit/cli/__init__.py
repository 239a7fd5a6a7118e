"""The ``ragkit`` command.

One argparse parser with a subcommand per task. Each subcommand lives in its own module of
this package and exposes ``register(commands)``, which adds its parser and sets
``handler(args, parser) -> int`` and ``command_parser``. Heavy imports (FastAPI, uvicorn,
model runtimes) happen inside handlers.

Start-up stays fast because only the subcommand being run is imported: ``ragkit --help``
lists the commands from :data:`COMMANDS` without importing any of them (nor the client,
pydantic or the wire types), and ``ragkit serve ...`` imports only :mod:`ragkit.cli.serve`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from ragkit._version import __version__

__all__ = ["COMMANDS", "build_parser", "main"]

#: Subcommand name -> the one-line summary ``ragkit --help`` lists, in that order. Each
#: name is also its module in this package; a test checks the summaries match the
#: modules' own ``help=``.
COMMANDS: dict[str, str] = {
    "serve": "run the self-hosted Semantic Retrieval API",
    "ui": "open the web app (upload, ask, browse, share) on the embedded data folder",
    "reindex": "re-embed a data folder with another embedder",
    "ingest": "sync files into a corpus (incremental, resumable)",
    "corpora": "list, create, inspect and delete corpora",
    "documents": "list, inspect and delete documents",
    "chunks": "list the chunks of a document",
    "query": "semantic search with metadata filters",
    "ask": "answer a question from your documents, with citations",
    "chat": "interactive multi-turn questions about your documents",
    "access": "permissions: list, grant, revoke, or plan/apply an access file",
    "eval": "measure retrieval and answer quality on labelled questions",
    "status": "data folder or server, corpora with their counts, embedder, versions",
    "stores": "File Search stores: create, upload files, list documents, ask, delete",
    "migrate": "copy a SQLite data folder into PostgreSQL (resumable)",
}


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"ragkit.cli.{name}")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``ragkit`` parser. With ``argv``, only the subcommand it names is loaded (the
    others are listed by name and summary); without, every subcommand is."""
    parser = argparse.ArgumentParser(
        prog="ragkit",
        description="Retrieval-augmented generation over Google's Semantic Retrieval API.",
    )
    parser.add_argument("--version", action="version", version=f"ragkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = None if argv is None else next((a for a in argv if not a.startswith("-")), None)
    for name, summary in COMMANDS.items():
        if argv is None or name == chosen:
            _module(name).register(commands)
        else:
            commands.add_parser(name, help=summary)
    if argv is None or chosen in COMMANDS:  # the summaries above are plain already
        from ragkit.cli._plain import plain_help

        plain_help(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ragkit`` with ``argv`` (default: the process arguments); returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            args = build_parser(arguments).parse_args(arguments)
            result: int = args.handler(args, args.command_parser)
        finally:
            sys.stdout.flush()  # inside the try: --help's exit flushes too
    except BrokenPipeError:
        # The reader went away (``ragkit ... | head``): stop quietly, as Unix tools do.
        from ragkit.cli._output import EXIT_BROKEN_PIPE, silence_stdout

        silence_stdout()
        return EXIT_BROKEN_PIPE
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
