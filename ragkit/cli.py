"""The ``ragkit`` command.

One argparse parser with a subcommand per task; each subcommand registers itself in
:func:`build_parser` through an ``_add_<name>`` function that sets ``handler``, and heavy
imports (FastAPI, uvicorn, model runtimes) happen inside the handler so ``ragkit --help``
stays instant.

    ragkit serve --data-dir ./data                      # http://127.0.0.1:8080/v1beta
    ragkit serve --data-dir ./data --auth-file auth.toml --embedder hash --port 9000
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ragkit import limits
from ragkit._version import __version__

__all__ = ["build_parser", "main"]

_LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def _quota(text: str) -> int | None:
    """A quota flag: a positive count, or 0 for unlimited."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (0 = unlimited), got {value}")
    return value or None


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= 65_535:
        raise argparse.ArgumentTypeError(f"must be in 1..65535, got {value}")
    return value


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the self-hosted Semantic Retrieval API",
        description="Serve Google's v1beta Semantic Retrieval API (corpora, documents, "
        "chunks, permissions, models/aqa:generateAnswer) over HTTP.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default %(default)s)"
    )
    serve.add_argument("--port", type=_port, default=8080, help="TCP port (default %(default)s)")
    serve.add_argument(
        "--data-dir", type=Path, required=True, help="where data lives; created if missing"
    )
    serve.add_argument(
        "--auth-file",
        type=Path,
        help="TOML file of [[principal]] tables (email, groups, api_keys, bearer_tokens); "
        "without it the server is single-user and accepts any credentials",
    )
    serve.add_argument(
        "--embedder",
        default="minilm",
        help="minilm (default), wordllama, hash or hash:DIM",
    )
    serve.add_argument(
        "--max-corpora",
        type=_quota,
        default=limits.MAX_CORPORA_PER_PROJECT,
        help="corpora the server holds (default %(default)s; 0 = unlimited)",
    )
    serve.add_argument(
        "--max-documents-per-corpus",
        type=_quota,
        default=limits.MAX_DOCUMENTS_PER_CORPUS,
        help="documents per corpus (default %(default)s; 0 = unlimited)",
    )
    serve.add_argument(
        "--max-chunks-per-corpus",
        type=_quota,
        default=limits.MAX_CHUNKS_PER_CORPUS,
        help="chunks per corpus (default %(default)s; 0 = unlimited)",
    )
    serve.add_argument("--log-level", choices=_LOG_LEVELS, default="info")
    serve.set_defaults(handler=_run_serve, command_parser=serve)


def _run_serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import uvicorn

    from ragkit.server.app import create_app
    from ragkit.server.auth import AuthFileError
    from ragkit.server.config import ServerConfig
    from ragkit.server.service.quotas import Quotas

    if args.data_dir.exists() and not args.data_dir.is_dir():
        parser.exit(2, f"ragkit serve: error: --data-dir {args.data_dir} is not a directory\n")
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)-9s %(message)s")
    try:
        config = ServerConfig(
            data_dir=args.data_dir,
            auth_file=args.auth_file,
            embedder=args.embedder,
            quotas=Quotas(
                max_corpora=args.max_corpora,
                max_documents_per_corpus=args.max_documents_per_corpus,
                max_chunks_per_corpus=args.max_chunks_per_corpus,
            ),
            host=args.host,
            port=args.port,
            log_level=args.log_level,
        )
        app = create_app(config)
    except (AuthFileError, ValueError) as exc:
        parser.exit(2, f"ragkit serve: error: {exc}\n")
    uvicorn.run(app, host=config.host, port=config.port, log_level=config.log_level)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``ragkit`` parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="ragkit",
        description="Retrieval-augmented generation over Google's Semantic Retrieval API.",
    )
    parser.add_argument("--version", action="version", version=f"ragkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_serve(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ragkit`` with ``argv`` (default: the process arguments); returns the exit code."""
    args = build_parser().parse_args(argv)
    result: int = args.handler(args, args.command_parser)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
