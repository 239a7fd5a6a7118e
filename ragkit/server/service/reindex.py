"""Which embedder made a store's vectors, and switching it, only when asked.

A store records the embedder of its vectors (``minilm:384``: name and dimensions) in its
settings. Opening it with another embedder is refused with
:class:`EmbedderMismatchError`, naming both: silently dropping the vectors would cost a
full re-embedding that nobody asked for. Re-embedding is explicit, with
``ragkit reindex --embedder NEW`` (offline) or ``ragkit serve --embedder NEW --reindex``
(while serving), both driving a :class:`Reindexer`:

- the chunks are embedded by the new embedder in row-id order, one batch per transaction,
  into ``pending_vectors`` (:mod:`ragkit.server.store.pending_vectors`); the vectors in
  use are untouched and keep answering queries;
- progress is reported (chunks done/total, rate, time left); stopping between batches loses
  nothing, and the next run resumes where it stopped (a run for a *different* new
  embedder starts over);
- chunks written meanwhile are picked up by a catch-up pass; when every chunk has a
  pending vector, one transaction moves them into place, records the new embedder and
  empties ``pending_vectors``: queries see all old vectors or all new ones.

Example::

    db = Database.open(Path("data"))
    Reindexer(db, load_embedder("hash"), progress=print).run()
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ragkit.server.models.embedding import Embedder
from ragkit.server.service.indexes import embed_texts
from ragkit.server.store import Database
from ragkit.server.store.chunks import vector_blob
from ragkit.server.store.connection import DATABASE_FILENAME
from ragkit.server.store.pending_vectors import (
    clear_pending,
    count_chunks,
    count_pending,
    has_chunks,
    promote_pending,
    put_pending,
    unembedded_chunks,
)
from ragkit.server.store.settings import delete_setting, get_setting, put_setting

__all__ = [
    "EMBEDDER_SETTING",
    "TARGET_SETTING",
    "EmbedderMismatchError",
    "ReindexProgress",
    "Reindexer",
    "check_embedder",
    "describe_embedder",
    "embedder_identity",
    "embedder_spec",
    "stored_embedder",
]

#: Settings key of the identity of the embedder that made ``chunks.vector``.
EMBEDDER_SETTING = "embedder"
#: Settings key of the identity of the embedder ``pending_vectors`` is being built with.
TARGET_SETTING = "reindex_target"

# Chunks left to embed inside the switching transaction (writers wait for it); with more,
# another catch-up pass runs first.
_SWITCH_STRAGGLERS = 256


def embedder_identity(embedder: Embedder) -> str:
    """What a store records about an embedder: ``"name:dimensions"``."""
    return f"{embedder.name}:{embedder.dimensions}"


def describe_embedder(identity: str) -> str:
    """``"minilm:384"`` as ``"minilm (384 dimensions)"``."""
    name, _, dims = identity.rpartition(":")
    return f"{name} ({dims} dimensions)" if name else identity


def embedder_spec(identity: str) -> str:
    """The ``--embedder`` spec that loads the embedder of ``identity``."""
    name, _, dims = identity.rpartition(":")
    return f"hash:{dims}" if name == "hash" else name


class EmbedderMismatchError(ValueError):
    """The store's vectors were made by another embedder than the one requested."""

    def __init__(self, data_dir: Path, stored: str, requested: str) -> None:
        self.data_dir, self.stored, self.requested = data_dir, stored, requested
        super().__init__(
            f"the data in {data_dir} was embedded with {describe_embedder(stored)}, not with "
            f"the requested {describe_embedder(requested)}. Use --embedder "
            f"{embedder_spec(stored)}, or re-embed it: ragkit reindex --data-dir {data_dir} "
            f"--embedder {embedder_spec(requested)} (or ragkit serve ... --reindex, which "
            "keeps serving the old vectors meanwhile)."
        )


def stored_embedder(data_dir: Path) -> str | None:
    """The embedder identity recorded in ``data_dir``'s store, without creating or
    migrating anything (``None``: no store, or one that holds no chunk yet, which any
    embedder may take)."""
    path = Path(data_dir) / DATABASE_FILENAME
    if not path.is_file():
        return None
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT value FROM settings WHERE key = ?", (EMBEDDER_SETTING,)
        ).fetchone()
        if row is None or not has_chunks(conn):
            return None
    except sqlite3.OperationalError:  # not migrated yet: no settings table
        return None
    finally:
        conn.close()
    return str(row[0])


def _stored_embedder_postgres(url: str) -> str | None:
    """:func:`stored_embedder` of the PostgreSQL database at ``url`` (read only)."""
    import psycopg

    from ragkit.server.store.postgres import PgConnection, PostgresUnavailableError, redacted_url

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as raw:
            conn = PgConnection(raw)
            if conn.execute("SELECT to_regclass('ragkit.chunks')").fetchone()[0] is None:
                return None  # not migrated yet
            row = conn.execute(
                "SELECT value FROM ragkit.settings WHERE key = ?", (EMBEDDER_SETTING,)
            ).fetchone()
            if (
                row is None
                or conn.execute("SELECT 1 FROM ragkit.chunks LIMIT 1").fetchone() is None
            ):
                return None
            return str(row[0])
    except psycopg.OperationalError as error:
        raise PostgresUnavailableError(
            f"cannot connect to the PostgreSQL database {redacted_url(url)}: {error}"
        ) from None


def check_embedder(data_dir: Path, embedder: Embedder, *, database_url: str | None = None) -> None:
    """Raise :class:`EmbedderMismatchError` if ``data_dir`` (or the PostgreSQL database at
    ``database_url``) holds vectors of another embedder.

    Raises:
        PostgresUnavailableError: (a ``ValueError``) ``database_url`` cannot be reached.
    """
    if database_url is None:
        stored = stored_embedder(data_dir)
    else:
        stored = _stored_embedder_postgres(database_url)
    requested = embedder_identity(embedder)
    if stored is not None and stored != requested:
        raise EmbedderMismatchError(Path(data_dir), stored, requested)


@dataclass(frozen=True)
class ReindexProgress:
    """Where a re-embedding stands: ``done`` of ``total`` chunks have a new vector."""

    embedder: str
    done: int
    total: int
    embedded: int
    elapsed: float
    finished: bool = False

    @property
    def rate(self) -> float:
        """Chunks embedded per second by this run."""
        return self.embedded / self.elapsed if self.elapsed > 0 else 0.0

    def __str__(self) -> str:
        head = (
            f"re-embedded {self.done:,}/{self.total:,} chunks with "
            f"{describe_embedder(self.embedder)}"
        )
        if self.finished:
            return f"{head}: done in {self.elapsed:.1f} s; the new vectors are in use"
        left = (self.total - self.done) / self.rate if self.rate else None
        eta = f", about {left:.0f} s left" if left is not None else ""
        return f"{head} ({self.rate:,.0f}/s{eta})"


class Reindexer:
    """Re-embeds every chunk of ``db`` with ``target`` and then switches to it.

    Args:
        db: the store.
        target: the new embedder.
        progress: called after every batch, and once at the end.
        batch_size: chunks per batch (one embedding call and one transaction each);
            small batches make stopping prompt.
    """

    def __init__(
        self,
        db: Database,
        target: Embedder,
        *,
        progress: Callable[[ReindexProgress], None] | None = None,
        batch_size: int | None = None,
    ) -> None:
        self._db = db
        self._target = target
        self._identity = embedder_identity(target)
        self._progress = progress
        self._batch = batch_size or max(16, target.batch_size)

    def status(self) -> str:
        """``"1,200 of 20,000 chunks already done"`` (by an earlier, stopped run for the
        same embedder), or ``"20,000 chunks"``."""
        with self._db.read() as conn:
            total = count_chunks(conn)
            resumed = get_setting(conn, TARGET_SETTING) == self._identity
            done = count_pending(conn) if resumed else 0
        return f"{done:,} of {total:,} chunks already done" if done else f"{total:,} chunks"

    def run(
        self,
        stop: threading.Event | None = None,
        *,
        on_switch: Callable[[], None] | None = None,
    ) -> bool:
        """Embed what is missing and switch; returns ``True`` once switched, ``False`` if
        ``stop`` was set first (run again to resume). ``on_switch`` runs right after the
        switch commits, still holding the write lock (no write can slip in between).
        """
        stop = stop or threading.Event()
        with self._db.write() as conn:
            if get_setting(conn, TARGET_SETTING) != self._identity:
                clear_pending(conn)  # built for another embedder: start over
                put_setting(conn, TARGET_SETTING, self._identity)
        started = time.monotonic()
        embedded, after = 0, 0
        with self._db.read() as conn:
            total, done = count_chunks(conn), count_pending(conn)
        while not stop.is_set():
            with self._db.read() as conn:
                batch = unembedded_chunks(conn, after=after, limit=self._batch)
            if not batch:
                if after == 0 and self._switch(on_switch):
                    self._report(total, total, embedded, started, finished=True)
                    return True
                after = 0  # catch-up pass: chunks written or rewritten meanwhile
                with self._db.read() as conn:
                    total, done = count_chunks(conn), count_pending(conn)
                continue
            self._embed(batch)
            after = batch[-1][0]
            embedded += len(batch)
            done = min(total, done + len(batch))
            self._report(done, total, embedded, started)
        return False

    def _embed(self, batch: list[tuple[int, str, int]]) -> None:
        vectors = embed_texts(self._target, [text for _, text, _ in batch])
        with self._db.write() as conn:
            put_pending(
                conn,
                [
                    (chunk_id, key, vector_blob(vector))
                    for (chunk_id, _, key), vector in zip(batch, vectors, strict=True)
                ],
            )

    def _switch(self, on_switch: Callable[[], None] | None) -> bool:
        with self._db.write() as conn:
            late = unembedded_chunks(conn, after=0, limit=_SWITCH_STRAGGLERS + 1)
            if len(late) > _SWITCH_STRAGGLERS:
                return False
            if late:
                vectors = embed_texts(self._target, [text for _, text, _ in late])
                put_pending(
                    conn,
                    [
                        (chunk_id, key, vector_blob(vector))
                        for (chunk_id, _, key), vector in zip(late, vectors, strict=True)
                    ],
                )
            promote_pending(conn)
            put_setting(conn, EMBEDDER_SETTING, self._identity)
            delete_setting(conn, TARGET_SETTING)
            if on_switch is not None:
                self._db.after_commit(on_switch)
        return True

    def _report(
        self, done: int, total: int, embedded: int, started: float, *, finished: bool = False
    ) -> None:
        if self._progress is not None:
            elapsed = time.monotonic() - started
            self._progress(
                ReindexProgress(self._identity, done, total, embedded, elapsed, finished)
            )
