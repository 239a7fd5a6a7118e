"""The embedded default: ragkit's server in this process, on a local data folder.

>>> with local_server() as server, ragkit.Client(base_url=server.base_url) as client:
...     answer = ask(client, "corpora/docs", "How do I enable WAL mode?")  # doctest: +SKIP

The data folder is found the same way wherever you run (:func:`find_data_dir`): the
``data_dir`` given, else ``RAGKIT_DATA_DIR``, else a ``.ragkit`` folder in the current
directory if there is one (where earlier versions always kept it), else the per-user folder
(:func:`user_data_dir`: ``$XDG_DATA_HOME/ragkit``, by default ``~/.local/share/ragkit`` on
Linux). ``embedder`` defaults to ``RAGKIT_EMBEDDER``, else ``minilm`` (set
``RAGKIT_EMBEDDER=hash`` for instant, model-free runs in tests). Document and chunk quotas
are lifted: it is your disk, and Google's per-corpus caps would only get in the way. The
``ragkit`` commands use the same defaults when no ``--base-url`` is given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ragkit.server.embedded import EmbeddedServer

__all__ = [
    "DATA_DIR_ENV_VAR",
    "DATA_DIR_HELP",
    "DEFAULT_EMBEDDER",
    "EMBEDDER_ENV_VAR",
    "LEGACY_DATA_DIR",
    "DataDir",
    "find_data_dir",
    "local_server",
    "user_data_dir",
]

#: The folder, relative to the current directory, that earlier versions always used; it is
#: still used when it exists there, so existing data keeps working.
LEGACY_DATA_DIR = Path(".ragkit")
#: Kept for code that imported it; the default is now found by :func:`find_data_dir`.
DEFAULT_DATA_DIR = LEGACY_DATA_DIR
DEFAULT_EMBEDDER = "minilm"
DATA_DIR_ENV_VAR = "RAGKIT_DATA_DIR"
EMBEDDER_ENV_VAR = "RAGKIT_EMBEDDER"
#: How the data folder is chosen, for ``--data-dir`` help texts.
DATA_DIR_HELP = (
    f"data folder of the embedded server (default: ${DATA_DIR_ENV_VAR}, else ./.ragkit if "
    "the current folder has one, else the per-user folder, e.g. ~/.local/share/ragkit)"
)


@dataclass(frozen=True)
class DataDir:
    """The embedded default's data folder and why it was chosen.

    Attributes:
        path: The folder (absolute).
        origin: ``"argument"``, ``"environment"`` (``RAGKIT_DATA_DIR``), ``"legacy"`` (a
            ``.ragkit`` folder in the current directory) or ``"user"`` (the per-user folder).
    """

    path: Path
    origin: str

    @property
    def exists(self) -> bool:
        """Whether the folder exists (a read-only command never creates it)."""
        return self.path.is_dir()

    def note(self) -> str | None:
        """A line telling the user that a legacy ``./.ragkit`` is in use, else ``None``."""
        if self.origin != "legacy":
            return None
        return (
            f"using the data folder {self.path} found in the current folder; elsewhere ragkit "
            f"uses {user_data_dir()} (move it there, or set {DATA_DIR_ENV_VAR}, to use it "
            "from anywhere)"
        )


def user_data_dir() -> Path:
    """The per-user data folder: platformdirs' user data folder for ragkit
    (``$XDG_DATA_HOME/ragkit``, by default ``~/.local/share/ragkit``, on Linux;
    ``~/Library/Application Support/ragkit`` on macOS; ``%LOCALAPPDATA%/ragkit`` on
    Windows)."""
    from platformdirs import user_data_path

    return user_data_path("ragkit", appauthor=False)


def find_data_dir(data_dir: str | Path | None = None) -> DataDir:
    """The embedded default's data folder: ``data_dir``, else ``$RAGKIT_DATA_DIR``, else
    ``./.ragkit`` if it exists, else :func:`user_data_dir`. Nothing is created."""
    if data_dir:
        return DataDir(Path(data_dir).expanduser().absolute(), "argument")
    if env := os.environ.get(DATA_DIR_ENV_VAR):
        return DataDir(Path(env).expanduser().absolute(), "environment")
    if LEGACY_DATA_DIR.is_dir():
        return DataDir(LEGACY_DATA_DIR.absolute(), "legacy")
    return DataDir(user_data_dir(), "user")


def local_server(
    data_dir: str | Path | None = None,
    *,
    embedder: str | None = None,
    answerer: dict[str, Any] | None = None,
    quotas: dict[str, int | None] | None = None,
) -> EmbeddedServer:
    """An :class:`~ragkit.server.embedded.EmbeddedServer` (not started; use ``with``) on
    :func:`find_data_dir`'s folder, which is created when the server starts.

    ``answerer``: ``answerer`` / ``answerer_timeout`` / ``reranker`` keywords for the server
    (an answer model and a reranker, as ``ragkit ask --answerer``/``--reranker`` give).
    ``quotas``: fields of :class:`~ragkit.server.service.quotas.Quotas` replacing the
    embedded default's (Google's, without the documents and chunks per corpus caps;
    ``None`` = unlimited).
    """
    from ragkit.server.embedded import EmbeddedServer
    from ragkit.server.service.quotas import Quotas

    folder = find_data_dir(data_dir).path
    spec = embedder or os.environ.get(EMBEDDER_ENV_VAR) or DEFAULT_EMBEDDER
    limits: dict[str, Any] = {
        "max_documents_per_corpus": None,
        "max_chunks_per_corpus": None,
        **(quotas or {}),
    }
    return EmbeddedServer(folder, embedder=spec, quotas=Quotas(**limits), **(answerer or {}))
