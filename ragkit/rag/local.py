"""The embedded default: ragkit's server in this process, on a local data folder.

>>> with local_server() as server, ragkit.Client(base_url=server.base_url) as client:
...     answer = ask(client, "corpora/docs", "How do I enable WAL mode?")  # doctest: +SKIP

``data_dir`` defaults to ``RAGKIT_DATA_DIR``, else ``./.ragkit``; ``embedder`` to
``RAGKIT_EMBEDDER``, else ``minilm`` (set ``RAGKIT_EMBEDDER=hash`` for instant, model-free
runs in tests). Document and chunk quotas are lifted: it is your disk, and Google's
per-corpus caps would only get in the way. The ``ragkit`` commands use the same defaults
when no ``--base-url`` is given.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ragkit.server.embedded import EmbeddedServer

__all__ = [
    "DATA_DIR_ENV_VAR",
    "DEFAULT_DATA_DIR",
    "DEFAULT_EMBEDDER",
    "EMBEDDER_ENV_VAR",
    "local_server",
]

DEFAULT_DATA_DIR = Path(".ragkit")
DEFAULT_EMBEDDER = "minilm"
DATA_DIR_ENV_VAR = "RAGKIT_DATA_DIR"
EMBEDDER_ENV_VAR = "RAGKIT_EMBEDDER"


def local_server(
    data_dir: str | Path | None = None,
    *,
    embedder: str | None = None,
    answerer: dict[str, Any] | None = None,
) -> EmbeddedServer:
    """An :class:`~ragkit.server.embedded.EmbeddedServer` (not started; use ``with``).

    ``answerer``: ``answerer`` / ``answerer_timeout`` keywords for the server (an answer
    model, as ``ragkit ask --answerer`` gives).
    """
    from ragkit.server.embedded import EmbeddedServer
    from ragkit.server.service.quotas import Quotas

    folder = Path(data_dir or os.environ.get(DATA_DIR_ENV_VAR) or DEFAULT_DATA_DIR)
    spec = embedder or os.environ.get(EMBEDDER_ENV_VAR) or DEFAULT_EMBEDDER
    quotas = Quotas(max_documents_per_corpus=None, max_chunks_per_corpus=None)
    return EmbeddedServer(folder, embedder=spec, quotas=quotas, **(answerer or {}))
