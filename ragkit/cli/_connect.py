"""How a ``ragkit`` command reaches a server.

Every client-side command (``corpora``, ``query``, ``ask``, ``ingest``...) takes the same
connection flags:

- ``--base-url URL`` (or ``RAGKIT_BASE_URL``): a running ``ragkit serve``, or Google's
  endpoint; ``--api-key`` (or ``GOOGLE_API_KEY`` / ``GEMINI_API_KEY``) authenticates.
- ``--timeout SECONDS``: how long one request may take before the client gives up on it
  (and retries it, if it is safe to); 60 s by default, longer for ``ingest``, whose chunk
  writes may wait in the server's embedding queue.
- otherwise the *embedded default*: ragkit's server started inside the command, on the data
  folder ``--data-dir`` (default ``./.ragkit``, or ``RAGKIT_DATA_DIR``), embedding with
  ``--embedder`` (default ``minilm``, or ``RAGKIT_EMBEDDER``). Document and chunk quotas
  are lifted there: it is your own disk, so Google's per-corpus caps would only get in the way.

Usage in a subcommand::

    def register(commands):
        parser = commands.add_parser("query", ...)
        add_connection_arguments(parser)

    def _run(args, parser):
        with connect(args) as client:
            ...
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragkit._base_client import BASE_URL_ENV_VAR, DEFAULT_TIMEOUT
from ragkit.cli._args import seconds
from ragkit.cli._output import CommandError
from ragkit.rag.local import (
    DATA_DIR_ENV_VAR,
    DEFAULT_DATA_DIR,
    DEFAULT_EMBEDDER,
    EMBEDDER_ENV_VAR,
)

if TYPE_CHECKING:
    from ragkit._client import Client
    from ragkit.server.embedded import EmbeddedServer

__all__ = [
    "DATA_DIR_ENV_VAR",
    "DEFAULT_DATA_DIR",
    "DEFAULT_EMBEDDER",
    "EMBEDDER_ENV_VAR",
    "add_connection_arguments",
    "connect",
    "embedded_server",
    "is_embedded",
]


def add_connection_arguments(
    parser: argparse.ArgumentParser, *, default_timeout: float = DEFAULT_TIMEOUT
) -> None:
    """Add ``--base-url``, ``--api-key``, ``--data-dir``, ``--embedder`` and ``--timeout``
    (default ``default_timeout`` seconds) to ``parser``."""
    group = parser.add_argument_group(
        "connection",
        "Without --base-url (or RAGKIT_BASE_URL) the command runs ragkit's server "
        "in-process on --data-dir.",
    )
    group.add_argument(
        "--base-url",
        metavar="URL",
        help=f"server to talk to (default: ${BASE_URL_ENV_VAR}, else the embedded server)",
    )
    group.add_argument(
        "--api-key",
        metavar="KEY",
        help="API key sent as x-goog-api-key (default: $GOOGLE_API_KEY / $GEMINI_API_KEY)",
    )
    group.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help=f"embedded server's data folder (default: ${DATA_DIR_ENV_VAR}, else "
        f"{DEFAULT_DATA_DIR})",
    )
    group.add_argument(
        "--embedder",
        metavar="SPEC",
        help=f"embedded server's embedder: minilm, wordllama, hash (default: "
        f"${EMBEDDER_ENV_VAR}, else {DEFAULT_EMBEDDER})",
    )
    group.add_argument(
        "--timeout",
        type=seconds,
        default=default_timeout,
        metavar="SECONDS",
        help="give up on (and retry, where safe) a request after this long (default %(default)s)",
    )


def is_embedded(args: argparse.Namespace) -> bool:
    """Whether ``connect(args)`` starts the embedded server (no base URL given anywhere)."""
    return not (getattr(args, "base_url", None) or os.environ.get(BASE_URL_ENV_VAR))


def embedded_server(
    data_dir: str | Path | None = None,
    *,
    embedder: str | None = None,
    answerer: dict[str, Any] | None = None,
) -> EmbeddedServer:
    """The embedded default server (not yet started): see :func:`ragkit.rag.local.local_server`."""
    from ragkit.rag.local import local_server

    return local_server(data_dir, embedder=embedder, answerer=answerer)


@contextmanager
def connect(
    args: argparse.Namespace,
    *,
    max_retries: int | None = None,
    max_overload_wait: float | None = None,
) -> Iterator[Client]:
    """A :class:`ragkit.Client` for the command's server, closed (and stopped) on exit.

    ``args`` needs the attributes :func:`add_connection_arguments` adds; missing ones count
    as not given. ``max_retries`` and ``max_overload_wait`` (seconds of waiting on a busy
    server's 429/503 with Retry-After) override the client's retry budgets.
    """
    with _client(args, max_retries) as client:
        if max_overload_wait is not None:
            client.retry_policy = replace(client.retry_policy, max_overload_wait=max_overload_wait)
        yield client


@contextmanager
def _client(args: argparse.Namespace, max_retries: int | None) -> Iterator[Client]:
    from ragkit._client import Client

    options: dict[str, Any] = {
        "api_key": getattr(args, "api_key", None),
        "timeout": getattr(args, "timeout", None) or DEFAULT_TIMEOUT,
    }
    if max_retries is not None:
        options["max_retries"] = max_retries
    answerer = _answerer_options(args)
    if not is_embedded(args):
        if answerer:
            raise CommandError(
                "--answerer configures the embedded server; start the server with "
                "'ragkit serve --answerer ...' instead"
            )
        with Client(base_url=getattr(args, "base_url", None), **options) as client:
            yield client
        return
    server = embedded_server(
        getattr(args, "data_dir", None),
        embedder=getattr(args, "embedder", None),
        answerer=answerer,
    )
    with server, Client(base_url=server.base_url, **options) as client:
        yield client


def _answerer_options(args: argparse.Namespace) -> dict[str, Any]:
    from ragkit.cli.serve import answerer_from_args

    try:
        return answerer_from_args(args)
    except ValueError as error:
        raise CommandError(str(error)) from None
