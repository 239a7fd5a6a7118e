"""Leases on running batch jobs, so that any number of servers on one database run each
job exactly once.

A server claims a PENDING job and takes its lease in one transaction (``batch_leases``:
job id, holder, expiry); while it runs the job it renews the lease with every progress
save (twice a second). A RUNNING job whose lease has expired (its server was killed, or
lost the database) goes back to PENDING, checked when a server opens its batches and
whenever a worker is idle, and the next free worker runs it again from its first request.
A server that stops cleanly drops its leases, so a restart resumes at once. A job is only
reset once its lease lapses, never because another server started: two replicas never
run one job at the same time.
"""

from __future__ import annotations

import time
from typing import Any

from ragkit.server.store.dialect import Connection
from ragkit.server.store.work_leases import WORK_LEASE_SECONDS, new_holder

__all__ = ["LEASE_SECONDS", "Leases", "new_holder"]

#: A lease lasts this long past its last renewal (the work leases' too).
LEASE_SECONDS = WORK_LEASE_SECONDS

LEASE_TABLE = """CREATE TABLE batch_leases (
    batch_id BIGINT PRIMARY KEY REFERENCES batches(id) ON DELETE CASCADE,
    holder TEXT NOT NULL,
    expires DOUBLE PRECISION NOT NULL
)"""


class Leases:
    """The leases one server holds, in its batches database."""

    def __init__(self, holder: str, *, seconds: float | None = None) -> None:
        self.holder = holder
        self.seconds = LEASE_SECONDS if seconds is None else seconds

    def take(self, conn: Connection, batch_id: int) -> None:
        """Lease a job just claimed (in the claim's transaction)."""
        conn.execute("DELETE FROM batch_leases WHERE batch_id = ?", (batch_id,))
        conn.execute(
            "INSERT INTO batch_leases (batch_id, holder, expires) VALUES (?, ?, ?)",
            (batch_id, self.holder, time.time() + self.seconds),
        )

    def renew(self, conn: Connection, batch_id: int) -> bool:
        """Extend the lease; False if this server no longer holds it."""
        cursor = conn.execute(
            "UPDATE batch_leases SET expires = ? WHERE batch_id = ? AND holder = ?",
            (time.time() + self.seconds, batch_id, self.holder),
        )
        return bool(cursor.rowcount == 1)

    def taken_over(self, conn: Connection, batch_id: int) -> bool:
        """Whether another server leases the job, or its lapsed lease was revoked after
        this server claimed it (then this server must not record its outcome)."""
        row = conn.execute("SELECT holder FROM batch_leases WHERE batch_id = ?", (batch_id,))
        found = row.fetchone()
        return found is None or found[0] != self.holder

    def revoke(self, conn: Connection, batch_ids: list[Any]) -> None:
        """Drop the lapsed leases of jobs sent back to PENDING."""
        for batch_id in batch_ids:
            conn.execute("DELETE FROM batch_leases WHERE batch_id = ?", (batch_id,))

    def release_all(self, conn: Connection) -> None:
        """Drop every lease of this server (a clean stop: its jobs may resume at once)."""
        conn.execute("UPDATE batch_leases SET expires = 0 WHERE holder = ?", (self.holder,))

    def expired_running(self, conn: Connection, running: int) -> list[Any]:
        """Ids of RUNNING jobs without a live lease."""
        rows = conn.execute(
            "SELECT b.id FROM batches b LEFT JOIN batch_leases l ON l.batch_id = b.id"
            " WHERE b.state = ? AND (l.batch_id IS NULL OR l.expires < ?)",
            (running, time.time()),
        ).fetchall()
        return [row[0] for row in rows]
