"""Serve with the embedder of the store's vectors, whichever server switched it.

Several servers may share one store: ``ragkit serve --database postgresql://...``
replicas, or processes on one data folder. One started with ``--embedder NEW --reindex``
re-embeds every chunk and then switches the store's embedder
(:data:`~ragkit.server.service.reindex.EMBEDDER_SETTING`). Every other server must follow:
one still embedding with the old model would search the new vectors with old-model
queries (garbage, or nothing if the dimensions differ) and store old-model vectors among
the new ones.

So every request that embeds checks, inside the transaction that reads or writes the
vectors, that the embedder it used made the store's vectors (:func:`require_store_embedder`:
one settings read). If not, it raises :class:`StaleEmbedder` and its transaction rolls
back; the service then switches to the store's embedder (:func:`load_store_embedder`, the
loader ``ragkit serve`` uses for a stored identity) and runs the request again, which
embeds with the new model (see ``ServiceCore._embedding``). A server that cannot load the
store's embedder answers 503 UNAVAILABLE naming the ``--embedder`` to start it with; it
never answers from, or writes, vectors of another model.

Example::

    with db.write() as conn:
        require_store_embedder(conn, embedder)  # raises StaleEmbedder after a switch
        insert_chunks(conn, ...)
"""

from __future__ import annotations

from ragkit.server.errors import ApiError
from ragkit.server.models.embedding import Embedder, load_embedder
from ragkit.server.readiness import RETRY_AFTER_SECONDS
from ragkit.server.service.reindex import (
    EMBEDDER_SETTING,
    describe_embedder,
    embedder_identity,
    embedder_spec,
)
from ragkit.server.store.dialect import Connection
from ragkit.server.store.settings import get_setting
from ragkit.types import Code

__all__ = ["StaleEmbedder", "load_store_embedder", "require_store_embedder"]


class StaleEmbedder(ApiError):
    """The store's vectors are ``stored``'s, not those of the embedder (``used``) a request
    embedded with: another server re-embedded the store.

    The service catches it, switches and retries; if it ever reaches a client it is a 503
    UNAVAILABLE with ``Retry-After``, which clients retry.
    """

    def __init__(self, stored: str, used: str) -> None:
        super().__init__(
            Code.UNAVAILABLE,
            f"The store was re-embedded with {describe_embedder(stored)} by another server "
            f"while this one served {describe_embedder(used)}; retry.",
            retry_after=RETRY_AFTER_SECONDS,
        )
        self.stored, self.used = stored, used


def require_store_embedder(conn: Connection, embedder: Embedder) -> None:
    """Raise :class:`StaleEmbedder` unless the store behind ``conn`` (in this transaction)
    holds vectors of ``embedder``."""
    stored = get_setting(conn, EMBEDDER_SETTING)
    used = embedder_identity(embedder)
    if stored is not None and stored != used:
        raise StaleEmbedder(stored, used)


def load_store_embedder(stored: str, *, serving: str) -> Embedder:
    """The embedder of identity ``stored`` (``"hash:32"``), loaded and ready to embed, as
    ``ragkit serve`` loads a store's embedder at startup.

    Raises:
        ApiError: UNAVAILABLE (with ``Retry-After``) when this server cannot load it,
            naming the ``--embedder`` to restart it with (it was serving ``serving``).
    """
    spec = embedder_spec(stored)
    try:
        embedder = load_embedder(spec)
        # Model files load on the first call: fail here, not midway through a request.
        embedder.embed(["ragkit"], kind="query")
        problem = (
            None
            if embedder_identity(embedder) == stored
            else f"--embedder {spec} gives {describe_embedder(embedder_identity(embedder))}"
        )
    except Exception as error:  # an unknown name, missing model files, a broken runtime
        problem = str(error) or type(error).__name__
    if problem is not None:
        raise ApiError(
            Code.UNAVAILABLE,
            f"The store was re-embedded with {describe_embedder(stored)} by another server, "
            f"and this server (serving {describe_embedder(serving)}) cannot load it: "
            f"{problem}. Restart it with --embedder {spec}.",
            retry_after=RETRY_AFTER_SECONDS,
        )
    return embedder
