"""Batch jobs below HTTP: create, get, list, cancel, delete; the worker runs them.

A job belongs to the principal who created it. States: ``PENDING`` until the worker takes
it, ``RUNNING``, then ``SUCCEEDED`` (even when some requests failed: each failure is that
request's ``error`` in the output), ``FAILED`` (the job itself could not run),
``CANCELLED`` or ``EXPIRED`` (still pending 48 hours after creation).

Decisions:

* ``cancel`` of a pending job cancels it at once; of a running one, at the next request
  boundary (partial stats are kept, no output); of a finished one, it does nothing.
* ``delete`` removes the job at once, whatever its state. Google's operations say delete
  "does not cancel"; but a deleted job can never be read again, so finishing it would only
  burn the worker's time: a running job is stopped and a pending one never starts. Its
  responses file, if it already exists, stays until it expires.
* ``filter`` on list understands ``state=BATCH_STATE_...`` (and nothing else).
"""

from __future__ import annotations

import re
from pathlib import Path

from ragkit import limits
from ragkit.names import generate_id
from ragkit.server.batches import store
from ragkit.server.batches.inputs import EMBED, GENERATE, BatchKind, file_rows, inline_rows
from ragkit.server.batches.leases import Leases, new_holder
from ragkit.server.batches.models import BatchModels
from ragkit.server.batches.runner import CANCELLED_ERROR, BatchRunner, reset_abandoned
from ragkit.server.batches.store import BatchRecord
from ragkit.server.batches.wire import FINAL_STATES, operation_out
from ragkit.server.errors import invalid_argument, not_found
from ragkit.server.media import FileService
from ragkit.server.media.storage import Clock, open_database, system_clock
from ragkit.server.principal import Principal
from ragkit.server.service.paging import PageTokens, cursor, keyset, resolve_page_size
from ragkit.server.service.validation import parse_name
from ragkit.server.store import Database
from ragkit.server.store.dialect import Connection
from ragkit.types import (
    BatchState,
    EmbedContentBatch,
    GenerateContentBatch,
    ListOperationsResponse,
    Operation,
)

__all__ = ["BATCHES_DATABASE", "BatchService"]

#: The SQLite file of batch jobs inside the data directory.
BATCHES_DATABASE = "batches.sqlite3"

_FILTER = re.compile(r"\s*state\s*=\s*\"?(BATCH_STATE_[A-Z]+|\d+)\"?\s*")


class BatchService:
    """Batch jobs in ``data_dir/batches.sqlite3``, run by a worker thread.

    Example::

        batches = BatchService.open(Path("data"), files=files, models=models)
        op = batches.create(LOCAL_USER, "models/m", GenerateContentBatch(...))
        batches.get(LOCAL_USER, op.name).done
    """

    def __init__(
        self,
        db: Database,
        pages: PageTokens,
        *,
        files: FileService,
        models: BatchModels,
        clock: Clock,
    ) -> None:
        self._db = db
        self._pages = pages
        self._files = files
        self._models = models
        self._clock = clock
        self._runner = BatchRunner(db, files=files, models=models, clock=clock)

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        files: FileService,
        models: BatchModels,
        clock: Clock = system_clock,
        start: bool = True,
        database_url: str | None = None,
    ) -> BatchService:
        """Open the store (in ``data_dir``, or PostgreSQL at ``database_url``), requeue
        jobs a stopped server left running, start the worker (``start=False`` leaves it
        stopped, for tests that inspect pending jobs)."""
        db, pages = open_database(
            Path(data_dir),
            BATCHES_DATABASE,
            store.BATCH_MIGRATIONS,
            database_url=database_url,
            pg_migrations=store.BATCH_PG_MIGRATIONS,
        )
        # Only jobs whose server is gone (lease lapsed): other replicas may be running theirs.
        reset_abandoned(db, Leases(new_holder()), clock)
        service = cls(db, pages, files=files, models=models, clock=clock)
        if start:
            service._runner.start()
            service._runner.wake()
        return service

    def close(self) -> None:
        """Stop the worker (a running job resumes at the next open) and close the store."""
        self._runner.stop()
        self._db.close()

    # -- create --------------------------------------------------------------------------

    def create_generate(
        self,
        who: Principal,
        model: str,
        batch: GenerateContentBatch | None,
        *,
        enum_int: bool = False,
    ) -> Operation:
        """Start a ``batchGenerateContent`` job on ``model`` (``models/...``)."""
        return self._create(who, GENERATE, model, batch, enum_int)

    def create_embed(
        self,
        who: Principal,
        model: str,
        batch: EmbedContentBatch | None,
        *,
        enum_int: bool = False,
    ) -> Operation:
        """Start an ``asyncBatchEmbedContent`` job on ``model`` (``models/...``)."""
        return self._create(who, EMBED, model, batch, enum_int)

    def _create(
        self,
        who: Principal,
        kind: BatchKind,
        model: str,
        batch: GenerateContentBatch | EmbedContentBatch | None,
        enum_int: bool,
    ) -> Operation:
        if batch is None:
            raise invalid_argument("Invalid value at 'batch': batch is required.")
        if batch.model is not None and batch.model.removeprefix("models/") != model.removeprefix(
            "models/"
        ):
            raise invalid_argument(
                f"Invalid value at 'batch.model': {batch.model!r} does not match the model "
                f"in the URL, {model!r}."
            )
        display_name = batch.display_name or ""
        if len(display_name) > limits.MAX_DISPLAY_NAME_LENGTH:
            raise invalid_argument(
                f"Invalid value at 'batch.displayName': at most {limits.MAX_DISPLAY_NAME_LENGTH}"
                f" characters are allowed, got {len(display_name)}."
            )
        config = batch.input_config
        if config is None or (config.file_name is None and config.requests is None):
            raise invalid_argument(
                "Invalid value at 'batch.inputConfig': fileName or requests is required."
            )
        self._models.require(model, kind.model_method)
        input_file = None
        if config.file_name is not None:
            record, data = self._files.read_bytes(who, config.file_name)
            input_file = record.name
            rows = file_rows(kind, data, model)
        else:
            assert config.requests is not None
            rows = inline_rows(kind, config.requests.requests or [], model)
        now = self._clock()
        with self._db.write() as conn:
            batch_id = generate_id()
            while store.name_taken(conn, batch_id):
                batch_id = generate_id()
            job = BatchRecord(
                id=0,
                name=batch_id,
                owner=who.email,
                kind=kind.name,
                model=model,
                display_name=display_name,
                priority=batch.priority or 0,
                state=BatchState.BATCH_STATE_PENDING.value,
                input_file=input_file,
                request_count=len(rows),
                succeeded=0,
                failed=0,
                output_file=None,
                error=None,
                cancel_requested=False,
                create_time=now,
                update_time=now,
                end_time=None,
            )
            job = store.insert_batch(conn, job, rows)
            self._db.after_commit(self._runner.wake)
        return operation_out(job, None, enum_int=enum_int)

    # -- read ----------------------------------------------------------------------------

    def _owned(self, conn: Connection, who: Principal, name: str) -> BatchRecord:
        (batch_id,) = parse_name(name, "batches")
        record = store.find_batch(conn, batch_id)
        if record is None or record.owner != who.email:
            raise not_found(f"Batch {name} not found.")
        return record

    def _operation(self, conn: Connection, record: BatchRecord, enum_int: bool) -> Operation:
        results = store.load_results(conn, record.id) if record.state in FINAL_STATES else None
        return operation_out(record, results, enum_int=enum_int)

    def get(self, who: Principal, name: str, *, enum_int: bool = False) -> Operation:
        """The operation of ``batches/{id}`` (NOT_FOUND if missing or not ``who``'s)."""
        with self._db.read() as conn:
            return self._operation(conn, self._owned(conn, who, name), enum_int)

    def list(
        self,
        who: Principal,
        *,
        filter: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
        enum_int: bool = False,
    ) -> ListOperationsResponse:
        """``who``'s jobs, oldest first (page size default 10, max 100)."""
        state = _state_filter(filter)
        size = resolve_page_size(page_size, limits.MAX_BATCHES_PAGE_SIZE)
        scope = ("batches", who.email, size, state)
        after = cursor(self._pages.read(page_token, *scope))
        with self._db.read() as conn:
            found = store.list_batches(conn, who.email, state=state, after=after, limit=size + 1)
            page, token = self._pages.page(
                found, size, lambda r: keyset(r.create_time, r.id), *scope
            )
            operations = [self._operation(conn, record, enum_int) for record in page]
        return ListOperationsResponse(operations=operations, next_page_token=token)

    # -- cancel, delete ------------------------------------------------------------------

    def cancel(self, who: Principal, name: str) -> None:
        """Cancel a pending or running job; a finished one is left as it is."""
        with self._db.write() as conn:
            record = self._owned(conn, who, name)
            if record.state == BatchState.BATCH_STATE_PENDING.value:
                store.set_state(
                    conn,
                    record.id,
                    BatchState.BATCH_STATE_CANCELLED.value,
                    self._clock(),
                    error=CANCELLED_ERROR,
                    end=True,
                )
            elif record.state == BatchState.BATCH_STATE_RUNNING.value:
                store.set_cancel_requested(conn, record.id)
                self._db.after_commit(lambda: self._runner.interrupt(record.name))

    def delete(self, who: Principal, name: str) -> None:
        """Forget a job; a running one is stopped (see the module docstring)."""
        with self._db.write() as conn:
            record = self._owned(conn, who, name)
            store.delete_batch(conn, record.id)
            if record.state == BatchState.BATCH_STATE_RUNNING.value:
                self._db.after_commit(lambda: self._runner.interrupt(record.name))


def _state_filter(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    match = _FILTER.fullmatch(value)
    if match is None:
        raise invalid_argument(
            f"Unsupported filter {value!r}: this server filters batches by state only, "
            "e.g. state=BATCH_STATE_SUCCEEDED."
        )
    raw = match.group(1)
    try:
        return (BatchState[raw] if not raw.isdigit() else BatchState(int(raw))).value
    except (KeyError, ValueError):
        raise invalid_argument(f"Unknown batch state {raw!r} in filter.") from None
