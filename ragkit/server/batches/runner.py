"""The worker thread that runs batch jobs, one at a time, highest priority first.

Each request of a job goes through :class:`~ragkit.server.batches.models.BatchModels`;
progress (``batchStats``) is saved every half second, and the results are written once,
with the final state. Between requests the worker looks for a cancel or delete of the
running job and for shutdown. A job the server was running when it stopped is left
``RUNNING`` in the database and goes back to ``PENDING`` once its lease lapses (at once
after a clean stop; see :mod:`ragkit.server.batches.leases`), so it runs again from its
first request (the local models are deterministic, so the output is the same). Any
number of servers may share one database: each job runs on exactly one of them, and a
cancel or delete made through any server stops it at the next progress save.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from ragkit import limits
from ragkit.server.batches import store
from ragkit.server.batches.inputs import EMBED, GENERATE, BatchKind, parse_request
from ragkit.server.batches.leases import Leases, new_holder
from ragkit.server.batches.models import BatchModels
from ragkit.server.batches.store import BatchRecord
from ragkit.server.errors import ApiError
from ragkit.server.media import FileService
from ragkit.server.media.storage import Clock
from ragkit.server.principal import Principal
from ragkit.server.store import Database
from ragkit.types import BatchState, Code, EmbedContentRequest, GenerateContentRequest
from ragkit.types._base import to_wire

__all__ = ["CANCELLED_ERROR", "BatchRunner", "output_file_id", "reset_abandoned"]

logger = logging.getLogger("ragkit.server")

_PROGRESS_INTERVAL = 0.5
_IDLE_WAIT = 5.0
_KINDS = {GENERATE.name: GENERATE, EMBED.name: EMBED}
_PENDING = BatchState.BATCH_STATE_PENDING.value
_RUNNING = BatchState.BATCH_STATE_RUNNING.value
#: ``Operation.error`` of a cancelled job.
CANCELLED_ERROR = {"code": Code.CANCELLED.value, "message": "The batch was cancelled."}


def output_file_id(batch_id: str) -> str:
    """The ID of a file-input job's responses file: ``batch-{id}``."""
    return f"batch-{batch_id}"


def reset_abandoned(db: Database, leases: Leases, clock: Clock) -> None:
    """Send RUNNING jobs whose lease lapsed back to PENDING (or CANCELLED if asked)."""
    with db.write() as conn:
        lapsed = leases.expired_running(conn, _RUNNING)
        store.reset_running(
            conn,
            running=_RUNNING,
            pending=_PENDING,
            cancelled=BatchState.BATCH_STATE_CANCELLED.value,
            error=CANCELLED_ERROR,
            now=clock(),
            only=lapsed,
        )
        leases.revoke(conn, lapsed)


class _Interrupted(Exception):
    """The running job was cancelled or deleted, or the server is stopping."""


class BatchRunner:
    """Runs pending jobs of ``db`` on a daemon thread until :meth:`stop`."""

    def __init__(
        self, db: Database, *, files: FileService, models: BatchModels, clock: Clock
    ) -> None:
        self._db = db
        self._files = files
        self._models = models
        self._clock = clock
        self._wake = threading.Event()
        self._stopping = False
        self._lock = threading.Lock()
        self._interrupted: set[str] = set()
        # Jobs whose lease this server lost (it stalled past the lease): another runs them.
        self._lost: set[str] = set()
        self._leases = Leases(new_holder())
        #: Renew leases from a heartbeat thread (off only in tests that simulate a server
        #: frozen past its lease).
        self.heartbeat = True
        self._thread = threading.Thread(target=self._loop, name="ragkit-batches", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """A job was created: look for work now."""
        self._wake.set()

    def interrupt(self, name: str) -> None:
        """Stop the job ``name`` at the next request boundary, if it is running."""
        with self._lock:
            self._interrupted.add(name)

    def stop(self) -> None:
        """Stop after the current request; the running job stays RUNNING (resumed later)."""
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()
        with self._db.write() as conn:
            self._leases.release_all(conn)

    def _loop(self) -> None:
        while not self._stopping:
            self._wake.wait(_IDLE_WAIT)
            self._wake.clear()
            try:  # jobs of a server that died (its lease lapsed) run here instead
                reset_abandoned(self._db, self._leases, self._clock)
            except Exception:
                logger.exception("looking for abandoned batch jobs failed")
            while not self._stopping:
                with self._db.read() as conn:
                    job = store.next_pending(conn, _PENDING)
                if job is None:
                    break
                try:
                    self._run(job)
                except Exception:
                    logger.exception("batch %s: the worker failed", job.name)
                    self._fail(job, "Internal error while running the batch.")

    # -- one job -------------------------------------------------------------------------

    def _check(self, name: str) -> None:
        with self._lock:
            interrupted = name in self._interrupted
        if interrupted or self._stopping:
            raise _Interrupted

    def _run(self, job: BatchRecord) -> None:
        now = self._clock()
        if now - job.create_time > timedelta(seconds=limits.BATCH_TTL_SECONDS):
            self._finish(
                job,
                BatchState.BATCH_STATE_EXPIRED,
                0,
                0,
                error={
                    "code": Code.DEADLINE_EXCEEDED.value,
                    "message": "The batch expired before it could run.",
                },
            )
            return
        with self._db.write() as conn:
            if not store.claim(conn, job.id, _PENDING, _RUNNING, now):
                return
            self._leases.take(conn, job.id)
            rows = store.load_requests(conn, job.id)
        job = replace(job, state=_RUNNING)
        logger.info("batch %s: running (%s)", job.name, self._leases.holder)
        kind = _KINDS[job.kind]
        who = Principal(job.owner)
        results: list[dict[str, Any]] = []
        succeeded = failed = 0
        last_saved = time.monotonic()
        beat = self._start_heartbeat(job)
        try:
            for row in rows:
                self._check(job.name)
                item = self._execute(kind, who, job.model, row)
                if "error" in item:
                    failed += 1
                else:
                    succeeded += 1
                results.append(item)
                if time.monotonic() - last_saved > _PROGRESS_INTERVAL:
                    self._progress(job, succeeded, failed)
                    last_saved = time.monotonic()
            self._check(job.name)
        except _Interrupted:
            beat.set()
            self._interrupted_at(job, succeeded, failed)
            return
        finally:
            beat.set()
        self._succeed(job, results, succeeded, failed)

    def _start_heartbeat(self, job: BatchRecord) -> threading.Event:
        """Renew the job's lease a few times per lease period, even while one request is
        slow, until the returned event is set; a lost lease interrupts the job."""
        done = threading.Event()
        if not self.heartbeat:
            return done

        def beat() -> None:
            while not done.wait(self._leases.seconds / 3):
                with self._db.write() as conn:
                    held = self._leases.renew(conn, job.id)
                if not held:
                    with self._lock:
                        self._lost.add(job.name)
                    self.interrupt(job.name)
                    return

        threading.Thread(target=beat, name="ragkit-batch-lease", daemon=True).start()
        return done

    def _execute(
        self, kind: BatchKind, who: Principal, model: str, row: dict[str, Any]
    ) -> dict[str, Any]:
        item: dict[str, Any] = {}
        if "key" in row:
            item["key"] = row["key"]
        try:
            request = parse_request(kind, row["request"])
            if isinstance(request, GenerateContentRequest):
                item["response"] = to_wire(self._models.generate_content(who, model, request))
            else:
                assert isinstance(request, EmbedContentRequest)
                item["response"] = to_wire(self._models.embed_content(who, model, request))
        except ApiError as error:
            item["error"] = {"code": error.code.value, "message": error.message}
        except Exception:
            logger.exception("batch request failed")
            item["error"] = {"code": Code.INTERNAL.value, "message": "Internal error."}
        if "metadata" in row:
            item["metadata"] = row["metadata"]
        return item

    def _progress(self, job: BatchRecord, succeeded: int, failed: int) -> None:
        with self._db.write() as conn:
            current = store.find_batch(conn, job.name)
            held = self._leases.renew(conn, job.id)
            if current is not None and current.state == _RUNNING and held:
                store.set_state(
                    conn, job.id, _RUNNING, self._clock(), succeeded=succeeded, failed=failed
                )
        # A cancel or delete made through another server, or a lease lost: stop here.
        if not held:
            with self._lock:
                self._lost.add(job.name)
        if current is None or current.cancel_requested or not held:
            self.interrupt(job.name)

    def _interrupted_at(self, job: BatchRecord, succeeded: int, failed: int) -> None:
        with self._lock:
            self._interrupted.discard(job.name)
            lost = job.name in self._lost
            self._lost.discard(job.name)
        if self._stopping or lost:
            return
        # A deleted job has no row left to update; a cancelled one ends CANCELLED.
        self._finish(
            job,
            BatchState.BATCH_STATE_CANCELLED,
            succeeded,
            failed,
            error=CANCELLED_ERROR,
        )

    def _succeed(
        self, job: BatchRecord, results: list[dict[str, Any]], succeeded: int, failed: int
    ) -> None:
        output_file = None
        if job.input_file is not None:
            output_file = output_file_id(job.name)
            lines = "".join(json.dumps(item, separators=(",", ":")) + "\n" for item in results)
            self._files.create_generated(
                job.owner, output_file, "application/jsonl", lines.encode("utf-8")
            )
        kept = self._finish(
            job,
            BatchState.BATCH_STATE_SUCCEEDED,
            succeeded,
            failed,
            results=None if output_file else results,
            output_file=output_file,
        )
        if not kept and output_file is not None:
            # Deleted while it ran: nobody can ask for the output any more.
            self._files.delete_generated(output_file)

    def _fail(self, job: BatchRecord, message: str) -> None:
        self._finish(
            job,
            BatchState.BATCH_STATE_FAILED,
            0,
            0,
            error={"code": Code.INTERNAL.value, "message": message},
        )

    def _finish(
        self,
        job: BatchRecord,
        state: BatchState,
        succeeded: int,
        failed: int,
        *,
        results: list[dict[str, Any]] | None = None,
        output_file: str | None = None,
        error: dict[str, Any] | None = None,
    ) -> bool:
        """Record the final state; False if the job was deleted meanwhile, or another
        server took it over (this one stalled past its lease)."""
        with self._db.write() as conn:
            if store.find_batch(conn, job.name) is None:
                return False
            if job.state == _RUNNING and self._leases.taken_over(conn, job.id):
                return False
            store.set_state(
                conn,
                job.id,
                state.value,
                self._clock(),
                succeeded=succeeded,
                failed=failed,
                results=results,
                output_file=output_file,
                error=error,
                end=True,
            )
        return True
