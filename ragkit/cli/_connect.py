"""How a ``ragkit`` command reaches a server.

Every client-side command (``corpora``, ``query``, ``ask``, ``ingest``...) takes the same
connection flags:

- ``--base-url URL`` (or ``RAGKIT_BASE_URL``): a running ``ragkit serve``, or Google's
  endpoint; ``--api-key`` (or ``GOOGLE_API_KEY`` / ``GEMINI_API_KEY``) authenticates.
- ``--timeout SECONDS``: how long one request may take before the client gives up on it
  (and retries it, if it is safe to); 60 s by default, longer for ``ingest``, whose chunk
  writes may wait in the server's embedding queue.
- otherwise the *embedded default*: ragkit's server started inside the command, on the data
  folder ``--data-dir`` (else ``RAGKIT_DATA_DIR``, else ``./.ragkit`` if the current folder
  has one, else the per-user folder: see :func:`ragkit.rag.local.find_data_dir`), embedding
  with ``--embedder`` (default ``minilm``, or ``RAGKIT_EMBEDDER``). Document and chunk quotas
  are lifted there: it is your own disk, so Google's per-corpus caps would only get in the
  way; ``--max-corpora`` and friends (as ``ragkit serve`` has them) change its limits.
- ``-v`` logs each request (and the embedded server's warnings); ``-q`` prints only results
  and errors.

A command that only reads (``connect(args)``) never creates the data folder: when it does
not exist, or the corpus asked for is not in it, the error says so and names the folder.
Commands that write pass ``writes=True``.

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
import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragkit import limits
from ragkit._base_client import BASE_URL_ENV_VAR, DEFAULT_TIMEOUT
from ragkit._exceptions import NotFoundError, PermissionDeniedError
from ragkit.cli._args import quota, seconds
from ragkit.cli._output import CommandError
from ragkit.rag.local import (
    DATA_DIR_ENV_VAR,
    DATA_DIR_HELP,
    DEFAULT_DATA_DIR,
    DEFAULT_EMBEDDER,
    EMBEDDER_ENV_VAR,
    DataDir,
    find_data_dir,
)

if TYPE_CHECKING:
    from ragkit._client import Client
    from ragkit.server.embedded import EmbeddedServer

__all__ = [
    "DATA_DIR_ENV_VAR",
    "DATA_DIR_HELP",
    "DEFAULT_DATA_DIR",
    "DEFAULT_EMBEDDER",
    "EMBEDDER_ENV_VAR",
    "QUOTA_FLAGS",
    "add_connection_arguments",
    "add_verbosity_arguments",
    "connect",
    "embedded_server",
    "is_embedded",
    "quotas_from_args",
]

#: Quota field (as the server names it in its errors) -> the flag that sets it.
QUOTA_FLAGS = {
    "max_corpora": "--max-corpora",
    "max_documents_per_corpus": "--max-documents-per-corpus",
    "max_chunks_per_corpus": "--max-chunks-per-corpus",
    "max_file_bytes_per_user": "--max-file-bytes-per-user",
    "max_upload_sessions_per_user": "--max-upload-sessions-per-user",
}


def add_connection_arguments(
    parser: argparse.ArgumentParser, *, default_timeout: float = DEFAULT_TIMEOUT
) -> None:
    """Add ``--base-url``, ``--api-key``, ``--data-dir``, ``--embedder``, ``--timeout``
    (default ``default_timeout`` seconds), the embedded server's limits (``--max-corpora``
    and friends) and ``-v``/``-q`` to ``parser``."""
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
    group.add_argument("--data-dir", type=Path, metavar="DIR", help=DATA_DIR_HELP)
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
    _add_quota_arguments(parser)
    add_verbosity_arguments(parser)


def _add_quota_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "embedded server limits",
        "Limits of the embedded server, as 'ragkit serve' has them (0 = unlimited); a "
        "server given by --base-url keeps its own.",
    )
    help_texts = {
        "max_corpora": f"corpora you may create (default {limits.MAX_CORPORA_PER_PROJECT}, "
        "Google's per-project quota)",
        "max_documents_per_corpus": "documents per corpus (default unlimited)",
        "max_chunks_per_corpus": "chunks per corpus (default unlimited)",
        "max_file_bytes_per_user": "bytes of files you may store with the Files API "
        f"(default {limits.MAX_FILE_STORAGE_BYTES} = 20 GiB)",
        "max_upload_sessions_per_user": "unfinished resumable uploads you may hold open "
        f"(default {limits.MAX_OPEN_UPLOAD_SESSIONS})",
    }
    for field, flag in QUOTA_FLAGS.items():
        group.add_argument(flag, type=_quota, metavar="N", help=help_texts[field])


#: ``--max-corpora 0`` means unlimited; ``quota`` turns 0 into None, which argparse cannot
#: tell from "not given", so unlimited is kept as -1 until :func:`quotas_from_args`.
def _quota(text: str) -> int:
    value = quota(text)
    return -1 if value is None else value


def quotas_from_args(args: argparse.Namespace) -> dict[str, int | None]:
    """The embedded server's quota overrides from ``--max-corpora`` and friends."""
    chosen: dict[str, int | None] = {}
    for field in QUOTA_FLAGS:
        value = getattr(args, field, None)
        if value is not None:
            chosen[field] = None if value < 0 else value
    return chosen


def add_verbosity_arguments(parser: argparse.ArgumentParser) -> None:
    """``-v`` (log each request, and ragkit's INFO messages) and ``-q`` (results and errors
    only)."""
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument(
        "-v", "--verbose", action="store_true", help="log each request sent, and ragkit's notes"
    )
    loudness.add_argument(
        "-q", "--quiet", action="store_true", help="print only results and errors (no progress)"
    )


def _configure_logging(args: argparse.Namespace) -> None:
    if getattr(args, "verbose", False):
        logging.basicConfig(format="%(levelname)-8s %(name)s: %(message)s")
        logging.getLogger().setLevel(logging.INFO)  # httpx logs each request at INFO


def is_embedded(args: argparse.Namespace) -> bool:
    """Whether ``connect(args)`` starts the embedded server (no base URL given anywhere)."""
    return not (getattr(args, "base_url", None) or os.environ.get(BASE_URL_ENV_VAR))


def embedded_server(
    data_dir: str | Path | None = None,
    *,
    embedder: str | None = None,
    answerer: dict[str, Any] | None = None,
    quotas: dict[str, int | None] | None = None,
) -> EmbeddedServer:
    """The embedded default server (not yet started): see :func:`ragkit.rag.local.local_server`."""
    from ragkit.rag.local import local_server

    return local_server(data_dir, embedder=embedder, answerer=answerer, quotas=quotas)


@contextmanager
def connect(
    args: argparse.Namespace,
    *,
    max_retries: int | None = None,
    max_overload_wait: float | None = None,
    writes: bool = False,
) -> Iterator[Client]:
    """A :class:`ragkit.Client` for the command's server, closed (and stopped) on exit.

    ``args`` needs the attributes :func:`add_connection_arguments` adds; missing ones count
    as not given. ``max_retries`` and ``max_overload_wait`` (seconds of waiting on a busy
    server's 429/503 with Retry-After) override the client's retry budgets. On the embedded
    default, ``writes=False`` refuses to start on a data folder that does not exist (rather
    than leave an empty one behind), and ``args.data_folder`` is set to the
    :class:`~ragkit.rag.local.DataDir` used, for error messages.

    Raises:
        CommandError: no data folder (read-only command), or a corpus, document or chunk
            that is not in it.
    """
    _configure_logging(args)
    with _client(args, max_retries, writes) as client:
        if max_overload_wait is not None:
            client.retry_policy = replace(client.retry_policy, max_overload_wait=max_overload_wait)
        yield client


@contextmanager
def _client(args: argparse.Namespace, max_retries: int | None, writes: bool) -> Iterator[Client]:
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
    folder = find_data_dir(getattr(args, "data_dir", None))
    args.data_folder = folder
    if not folder.exists and not writes:
        raise CommandError(_no_folder(args, folder))
    note = folder.note()
    if note and not getattr(args, "quiet", False):
        print(f"ragkit: {note}", file=sys.stderr)
    embedder = getattr(args, "embedder", None) or os.environ.get(EMBEDDER_ENV_VAR)
    _check_runtime(embedder or DEFAULT_EMBEDDER)
    server = embedded_server(
        folder.path, embedder=embedder, answerer=answerer, quotas=quotas_from_args(args)
    )
    with server, Client(base_url=server.base_url, **options) as client:
        try:
            yield client
        except (NotFoundError, PermissionDeniedError) as error:
            # Single-user and without an auth file, the embedded server refuses a resource
            # only when it does not exist: say so, and where ragkit looked.
            missing = _missing(error.message, folder)
            if missing is None:
                raise
            raise CommandError(missing) from error


#: Embedder -> (the package it runs on, the extra that installs it).
_RUNTIMES = {"minilm": ("onnxruntime", "server"), "wordllama": ("wordllama", "fast")}


def _check_runtime(spec: str) -> None:
    """Refuse, in one line, an embedded server whose packages are not installed (rather
    than let it fail to start with a traceback)."""
    import importlib.util

    needs = [("fastapi", "server"), _RUNTIMES.get(spec.strip().lower(), ("", ""))]
    for package, extra in needs:
        if package and importlib.util.find_spec(package) is None:
            what = "the embedded server" if package == "fastapi" else f"the {spec} embedder"
            raise CommandError(f"{what} needs the {package} package: pip install 'ragkit[{extra}]'")


#: A resource name in the server's messages; the shortest prefix is the corpus.
_RESOURCE = re.compile(r"corpora/[a-z0-9-]+(?:/documents/[a-z0-9-]+(?:/chunks/[a-z0-9-]+)?)?")


def _no_folder(args: argparse.Namespace, folder: DataDir) -> str:
    how = (
        "'ragkit ingest PATH --corpus corpora/ID' creates it; --data-dir or "
        f"${DATA_DIR_ENV_VAR} chooses another"
    )
    wanted = next(
        (
            getattr(args, key)
            for key in ("document", "corpus", "target")
            if getattr(args, key, None)
        ),
        None,
    )
    name = str(wanted) if wanted and str(wanted).startswith("corpora/") else f"corpora/{wanted}"
    found = _RESOURCE.search(name) if wanted else None
    if found is None:
        return f"no data folder {folder.path} yet: nothing was ingested there ({how})"
    missing = _missing(found.group(), folder)
    return f"{missing}, which does not exist yet ({how})"


def _missing(message: str, folder: DataDir) -> str | None:
    found = _RESOURCE.search(message)
    if found is None:
        return None
    kind = ("corpus", "document", "chunk")[found.group().count("/") // 2]
    return f"no {kind} {found.group()} in data folder {folder.path}"


def _answerer_options(args: argparse.Namespace) -> dict[str, Any]:
    from ragkit.cli.serve import answerer_from_args

    try:
        return answerer_from_args(args)
    except ValueError as error:
        raise CommandError(str(error)) from None
