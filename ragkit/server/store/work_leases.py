"""Named leases on background work, so that of any number of servers on one database
exactly one does each piece: extracting an uploaded file's text, running a File Search
import, re-embedding the store.

The batch jobs' leases (:mod:`ragkit.server.batches.leases`) generalised to any named
piece of work, in a ``work_leases`` table of the database the work belongs to (name,
holder, expiry: :data:`~ragkit.server.store.migrations.WORK_LEASE_TABLE`). A server
takes a lease in a write transaction (writers run one at a time, so two servers never
both take it), keeps it alive while it holds it (a :class:`WorkLeases` renews every
lease of its holder a few times per lease period), and drops it when the work is done.
Work whose lease has lapsed (its server was killed, or lost the database) is free: any
server may take it and do it again from the start. A server that stops cleanly drops
its leases, so a restart resumes at once.

Example::

    leases = WorkLeases(db, new_holder())
    with db.write() as conn:
        mine = leases.take(conn, "file:abc123")
    ...  # do the work if mine, then:
    with db.write() as conn:
        leases.release(conn, "file:abc123")
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterable

from ragkit.server.store.connection import Database
from ragkit.server.store.dialect import Connection

__all__ = ["WORK_LEASE_SECONDS", "WorkLeases", "new_holder"]

logger = logging.getLogger("ragkit.server")

#: A lease lasts this long past its last renewal.
WORK_LEASE_SECONDS = 30.0

# Lapsed leases of work nobody took again (deleted with its owner) are forgotten after this.
_FORGET_AFTER_SECONDS = 3600.0


def new_holder() -> str:
    """A name for this server process: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class WorkLeases:
    """The work leases one server holds in ``db``, kept alive by a background thread
    while it holds any.

    Args:
        db: the database the work belongs to (holding ``work_leases``).
        holder: this server's name (:func:`new_holder`).
        seconds: how long a lease lasts past its last renewal (default
            :data:`WORK_LEASE_SECONDS`); renewed every third of it.
    """

    def __init__(self, db: Database, holder: str, *, seconds: float | None = None) -> None:
        self.db = db
        self.holder = holder
        self.seconds = WORK_LEASE_SECONDS if seconds is None else seconds
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None

    def take(self, conn: Connection, name: str) -> bool:
        """Lease ``name`` (in the caller's write transaction) unless another server holds
        it; returns whether this server holds it now."""
        now = time.time()
        row = conn.execute(
            "SELECT holder, expires FROM work_leases WHERE name = ?", (name,)
        ).fetchone()
        if row is not None and row[0] != self.holder and float(row[1]) >= now:
            return False
        conn.execute("DELETE FROM work_leases WHERE name = ?", (name,))
        conn.execute(
            "INSERT INTO work_leases (name, holder, expires) VALUES (?, ?, ?)",
            (name, self.holder, now + self.seconds),
        )
        with self._lock:
            self._held.add(name)
        self._keep_alive()
        return True

    def release(self, conn: Connection, name: str) -> None:
        """Drop the lease on ``name`` (the work is done), if this server holds it."""
        conn.execute("DELETE FROM work_leases WHERE name = ? AND holder = ?", (name, self.holder))
        with self._lock:
            self._held.discard(name)

    def held_elsewhere(self, conn: Connection, names: Iterable[str] = ()) -> set[str]:
        """Of ``names``, those another server holds a live lease on (all such names when
        ``names`` is empty)."""
        wanted = set(names)
        rows = conn.execute(
            "SELECT name FROM work_leases WHERE holder <> ? AND expires >= ?",
            (self.holder, time.time()),
        ).fetchall()
        found = {str(row[0]) for row in rows}
        return found & wanted if wanted else found

    def held_anywhere(self, conn: Connection) -> set[str]:
        """Names under a live lease of any server, this one included."""
        rows = conn.execute(
            "SELECT name FROM work_leases WHERE expires >= ?", (time.time(),)
        ).fetchall()
        return {str(row[0]) for row in rows}

    def renew(self) -> None:
        """Extend every lease this server holds (one write; none when it holds none)."""
        with self._lock:
            if not self._held:
                return
        with self.db.write() as conn:
            now = time.time()
            conn.execute(
                "UPDATE work_leases SET expires = ? WHERE holder = ?",
                (now + self.seconds, self.holder),
            )
            conn.execute(
                "DELETE FROM work_leases WHERE expires < ?", (now - _FORGET_AFTER_SECONDS,)
            )

    def _keep_alive(self) -> None:
        with self._lock:
            if self._keeper is not None or self._stop.is_set():
                return
            self._keeper = threading.Thread(
                target=self._renew_loop, name="ragkit-work-leases", daemon=True
            )
            self._keeper.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                self.renew()
            except Exception:  # the next round tries again; the lease may lapse meanwhile
                logger.exception("renewing the work leases of %s failed", self.holder)

    def close(self, *, release: bool = True) -> None:
        """Stop renewing; with ``release`` (a clean stop) drop every lease of this server,
        so its unfinished work may resume at once elsewhere or at the next start."""
        self._stop.set()
        with self._lock:
            keeper = self._keeper
        if keeper is None:
            return  # never took a lease: nothing to drop
        keeper.join()
        if release:
            try:
                with self.db.write() as conn:
                    conn.execute("DELETE FROM work_leases WHERE holder = ?", (self.holder,))
            except Exception:  # the leases lapse on their own
                logger.exception("dropping the work leases of %s failed", self.holder)
        with self._lock:
            self._held.clear()
