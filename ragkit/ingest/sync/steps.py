"""The ingestion logic, once, as a generator of phases that a blocking or asyncio driver runs.

:class:`SyncRun` yields :class:`~ragkit.ingest.sync.upload.Phase` objects (independent calls)
and receives their outcomes; it never does I/O itself. Per file, in waves of files:

1. open the document: create it (new file) with its metadata minus the completion marker, or,
   for a changed file, clear the marker first and list the chunks it has;
2. create the chunks it lacks, in ``batchCreate`` requests of at most 100 named chunks;
3. delete the chunks it should no longer have (only after every new chunk has landed, so a
   changed document never disappears from queries);
4. write the final metadata, ``content_hash`` (the completion marker) included.

After the last wave, documents of moved files (and with ``delete``, of vanished files) are
deleted. Chunk IDs are hashes of the chunks' content, so a run killed anywhere leaves documents
without the marker; the next run lists their chunks, creates only what is missing, deletes
what is extra, and ends with the corpus an uninterrupted run would have produced.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ragkit._client import AsyncClient, Client
from ragkit._exceptions import (
    APIConnectionError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    NotImplementedAPIError,
    PermissionDeniedError,
    RagkitError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
)
from ragkit.ingest.chunking import ChunkingConfig, chunk_document
from ragkit.ingest.loaders import load
from ragkit.ingest.sync.plan import (
    Action,
    FileEntry,
    LocalFile,
    PlannedChunk,
    PreparedDocument,
    RemoteDocument,
    SyncPlan,
    batches,
    fingerprint,
    plan_sync,
    prepare_document,
)
from ragkit.ingest.sync.report import (
    FileIssue,
    IngestError,
    IngestReport,
    PlannedFile,
    ProgressUpdate,
)
from ragkit.ingest.sync.upload import (
    Call,
    CreateChunks,
    CreateDocument,
    DeleteChunks,
    DeleteDocument,
    EnsureCorpus,
    FindCorpus,
    ListChunkIds,
    ListDocuments,
    Phase,
    UpdateDocument,
)
from ragkit.limits import MAX_CHUNKS_PER_BATCH, MAX_DOCUMENTS_PER_CORPUS
from ragkit.provenance import MetadataValue

__all__ = ["Job", "PrepareFile", "Steps", "SyncRun"]

#: Files read, chunked and uploaded together; bounds memory and how much a killed run redoes.
WAVE_FILES: Final = 32
#: Rounds of list -> create -> delete per document before giving up on concurrent changes.
_ROUNDS: Final = 3
#: Errors that make every further request pointless: the run stops (a re-run resumes).
_FATAL = (
    APIConnectionError,
    AuthenticationError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ResponseValidationError,
    NotImplementedAPIError,
)

Steps = Generator[Phase, list[object], IngestReport]


@dataclass(frozen=True)
class Job:
    """Everything a run needs, already resolved from paths and options."""

    corpus: str
    files: Sequence[LocalFile]
    root: Path
    scope: Sequence[str] = ("",)
    delete: bool = False
    dry_run: bool = False
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)
    skipped: Sequence[FileIssue] = ()
    failed: Sequence[FileIssue] = ()
    progress: Callable[[ProgressUpdate], None] | None = None


@dataclass(frozen=True)
class PrepareFile(Call[PreparedDocument]):
    """Load, chunk and prepare one file (local CPU work; off the event loop when async)."""

    path: str
    source: str
    document_id: str
    config: ChunkingConfig
    fingerprint: str
    metadata: Mapping[str, MetadataValue]

    def prepare(self) -> PreparedDocument:
        document = load(self.path)
        return prepare_document(
            document,
            chunk_document(document, self.config),
            source=self.source,
            document_id=self.document_id,
            fingerprint=self.fingerprint,
            metadata=self.metadata,
            max_tokens=self.config.max_tokens,
        )

    def run(self, client: Client) -> PreparedDocument:
        return self.prepare()

    async def arun(self, client: AsyncClient) -> PreparedDocument:
        return await asyncio.to_thread(self.prepare)


@dataclass(eq=False)
class _Doc:
    """One document being synced within a wave."""

    entry: FileEntry
    prepared: PreparedDocument
    name: str
    existing: set[str] | None = None
    unverified: set[str] = field(default_factory=set)
    relist: bool = False
    sized: bool = False
    error: str | None = None

    def missing(self) -> list[PlannedChunk]:
        have = self.existing or set()
        return [chunk for chunk in self.prepared.chunks if chunk.chunk_id not in have]

    def stale(self) -> list[str]:
        wanted = {chunk.chunk_id for chunk in self.prepared.chunks}
        return sorted((self.existing or set()) - wanted)

    @property
    def settled(self) -> bool:
        return self.existing is not None and not self.missing() and not self.stale()


class SyncRun:
    """One ingestion run; :meth:`steps` is the generator the drivers execute."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.report = IngestReport(corpus=job.corpus, dry_run=job.dry_run)
        self.report.skipped.extend(job.skipped)
        self.report.failed.extend(job.failed)
        self.fingerprint = fingerprint(job.chunking, job.metadata)
        self._started = time.monotonic()
        self._files_done = 0
        self._chunks_done = 0
        self._chunks_total = 0
        self._files_read = 0
        self._files_to_read = 0
        self._completed: set[str] = set()

    def steps(self) -> Steps:
        """Plan, upload wave by wave, then delete; returns the report."""
        remote = yield from self._corpus_state()
        plan = plan_sync(
            self.job.files,
            remote,
            fingerprint=self.fingerprint,
            delete=self.job.delete,
            source_exists=lambda source: (self.job.root / source).exists(),
            scope=self.job.scope,
        )
        self._note_quota(plan, remote)
        work = [entry for entry in plan.entries if entry.action is not Action.UNCHANGED]
        self._files_to_read = len(work)
        for entry in plan.entries:
            if entry.action is Action.UNCHANGED:
                self._planned(entry, "unchanged")
                self._completed.add(entry.file.document_id)
                self._file_done(entry)
        waves = [work[i : i + WAVE_FILES] for i in range(0, len(work), WAVE_FILES)]
        prepared = (yield Phase(self._prepare_calls(waves[0]))) if waves else []
        for number, wave in enumerate(waves):
            upcoming = self._prepare_calls(waves[number + 1]) if number + 1 < len(waves) else []
            docs = self._docs(wave, prepared)
            if self.job.dry_run:
                yield from self._plan_wave(docs)
                prepared = (yield Phase(upcoming)) if upcoming else []
            else:
                prepared = yield from self._sync_wave(docs, upcoming)
        yield from self._delete_documents(plan)
        self.report.elapsed = time.monotonic() - self._started
        return self.report

    # -- corpus state and planning ----------------------------------------------------------

    def _corpus_state(self) -> Generator[Phase, list[object], list[RemoteDocument]]:
        corpus = self.job.corpus
        if self.job.dry_run:
            (found,) = yield Phase([FindCorpus(corpus)])
            self.report.corpus_created = not self._result(found, f"reading {corpus}")
            if self.report.corpus_created:
                return []
        else:
            (created,) = yield Phase([EnsureCorpus(corpus)])
            self.report.corpus_created = bool(self._result(created, f"creating {corpus}"))
        (listing,) = yield Phase([ListDocuments(corpus)])
        remote: list[RemoteDocument] = self._result(listing, f"listing documents of {corpus}")
        return remote

    def _note_quota(self, plan: SyncPlan, remote: Sequence[RemoteDocument]) -> None:
        adds = plan.count(Action.ADD) + plan.count(Action.MOVE)
        total = len(remote) + adds - len(plan.deletions)
        if total > MAX_DOCUMENTS_PER_CORPUS:
            self.report.warnings.append(
                FileIssue(
                    self.job.corpus,
                    f"{total} documents: over Google's MAX_DOCUMENTS_PER_CORPUS="
                    f"{MAX_DOCUMENTS_PER_CORPUS} (a ragkit server may allow more)",
                )
            )

    def _prepare_calls(self, wave: Sequence[FileEntry]) -> list[Call[Any]]:
        return [
            PrepareFile(
                entry.file.path,
                entry.file.source,
                entry.file.document_id,
                self.job.chunking,
                self.fingerprint,
                self.job.metadata,
            )
            for entry in wave
        ]

    def _docs(self, wave: Sequence[FileEntry], prepared: Sequence[object]) -> list[_Doc]:
        """The wave's documents; files that failed to load or break a limit are reported."""
        docs = []
        for entry, outcome in zip(wave, prepared, strict=True):
            self._files_read += 1
            if isinstance(outcome, Exception):
                # Any error while reading one file (even a loader bug) only fails that file.
                reason = getattr(outcome, "reason", None) or f"{type(outcome).__name__}: {outcome}"
                self._fail(entry, str(reason))
                continue
            assert isinstance(outcome, PreparedDocument)
            self.report.warnings.extend(FileIssue(entry.file.path, w) for w in outcome.warnings)
            if outcome.problems:
                self._fail(entry, "; ".join(outcome.problems))
                continue
            doc = _Doc(entry, outcome, f"{self.job.corpus}/documents/{entry.file.document_id}")
            if entry.existing is None:
                self._known(doc, set())
            docs.append(doc)
        return docs

    # -- dry run ------------------------------------------------------------------------------

    def _plan_wave(self, docs: Sequence[_Doc]) -> Generator[Phase, list[object], None]:
        unknown = [doc for doc in docs if doc.existing is None]
        outcomes = yield Phase([ListChunkIds(doc.name) for doc in unknown])
        for doc, outcome in zip(unknown, outcomes, strict=True):
            self._apply_listing(doc, outcome)
        for doc in docs:
            if doc.error:
                continue
            missing, stale = doc.missing(), doc.stale()
            self.report.chunks_created += len(missing)
            self.report.chunks_deleted += len(stale)
            self.report.batches += len(batches(missing))
            self._planned(
                doc.entry,
                str(doc.entry.action),
                chunks=len(doc.prepared.chunks),
                create=len(missing),
                delete=len(stale),
            )
            self._completed.add(doc.entry.file.document_id)
            self._file_done(doc.entry)

    # -- real run -----------------------------------------------------------------------------

    def _sync_wave(
        self, docs: list[_Doc], upcoming: list[Call[Any]]
    ) -> Generator[Phase, list[object], list[object]]:
        """Open, fill, prune and close the wave's documents; returns ``upcoming``'s outcomes."""
        yield from self._open(docs)
        upcoming_outcomes: list[object] = []
        for round_number in range(_ROUNDS):
            live = [doc for doc in docs if not doc.error]
            unknown = [doc for doc in live if doc.existing is None]
            if unknown:
                listed = yield Phase([ListChunkIds(doc.name) for doc in unknown])
                for doc, outcome in zip(unknown, listed, strict=True):
                    self._apply_listing(doc, outcome)
            # The next wave is read and chunked while this one uploads.
            extra = upcoming if round_number == 0 else []
            outcomes = yield from self._create_chunks(live, extra)
            if round_number == 0:
                upcoming_outcomes = outcomes
            yield from self._delete_chunks(live)
            if all(doc.settled for doc in docs if not doc.error):
                break
        for doc in docs:
            if not doc.error and not doc.settled:
                self._doc_failed(doc, "its chunks kept changing during the run (another writer?)")
        yield from self._close(docs)
        return upcoming_outcomes

    def _open(self, docs: Sequence[_Doc]) -> Generator[Phase, list[object], None]:
        calls: list[tuple[_Doc, Call[Any]]] = []
        for doc in docs:
            prepared, existing = doc.prepared, doc.entry.existing
            if existing is None:
                create = CreateDocument(
                    self.job.corpus,
                    prepared.document_id,
                    prepared.display_name,
                    prepared.pending_metadata,
                )
                calls.append((doc, create))
                continue
            if existing.content_hash is not None:
                # Drop the marker first: if this run dies mid-way, the next one sees the
                # document as unfinished even if the file is reverted meanwhile.
                pending = UpdateDocument(doc.name, prepared.display_name, prepared.pending_metadata)
                calls.append((doc, pending))
            calls.append((doc, ListChunkIds(doc.name)))
        outcomes = yield Phase([call for _, call in calls])
        for (doc, call), outcome in zip(calls, outcomes, strict=True):
            if isinstance(call, ListChunkIds):
                self._apply_listing(doc, outcome)
            elif isinstance(call, CreateDocument) and isinstance(outcome, ConflictError):
                doc.existing = None  # it exists after all (a concurrent run?): list its chunks
            else:
                self._check(doc, outcome)

    def _create_chunks(
        self, docs: Sequence[_Doc], extra: list[Call[Any]]
    ) -> Generator[Phase, list[object], list[object]]:
        calls = [
            (doc, CreateChunks(doc.name, batch))
            for doc in docs
            if doc.existing is not None
            for batch in batches(doc.missing())
        ]

        def on_done(call: Call[Any], outcome: object) -> None:
            if isinstance(call, CreateChunks) and not isinstance(outcome, Exception):
                self._chunks_done += len(call.chunks)
                self._emit()

        self.report.batches += len(calls)
        outcomes = yield Phase([call for _, call in calls] + extra, on_done)
        for (doc, call), outcome in zip(calls, outcomes[: len(calls)], strict=True):
            ids = {chunk.chunk_id for chunk in call.chunks}
            if isinstance(outcome, ConflictError):
                # A retried batch whose first attempt landed (or a concurrent writer): the next
                # listing tells which of these chunks exist; those count as created.
                doc.unverified |= ids
                doc.relist = True
            elif self._check(doc, outcome) and doc.existing is not None:
                doc.existing |= ids
                self.report.chunks_created += len(ids)
        self._relist(docs)
        return outcomes[len(calls) :]

    def _delete_chunks(self, docs: Sequence[_Doc]) -> Generator[Phase, list[object], None]:
        # Only documents whose new chunks have all landed lose their old ones.
        calls = [
            (doc, DeleteChunks(doc.name, ids))
            for doc in docs
            if doc.existing is not None and not doc.error and not doc.missing()
            for ids in _slices(doc.stale())
        ]
        outcomes = yield Phase([call for _, call in calls])
        for (doc, call), outcome in zip(calls, outcomes, strict=True):
            if isinstance(outcome, NotFoundError):
                doc.relist = True  # a retried delete whose first attempt landed
            elif self._check(doc, outcome) and doc.existing is not None:
                doc.existing -= set(call.chunk_ids)
                self.report.chunks_deleted += len(call.chunk_ids)
        self._relist(docs)

    def _close(self, docs: Sequence[_Doc]) -> Generator[Phase, list[object], None]:
        """Write each finished document's final metadata, completion marker included."""
        ready = [doc for doc in docs if not doc.error]
        calls = [
            UpdateDocument(doc.name, doc.prepared.display_name, doc.prepared.metadata)
            for doc in ready
        ]
        outcomes = yield Phase(calls)
        for doc, outcome in zip(ready, outcomes, strict=True):
            if self._check(doc, outcome):
                self._completed.add(doc.entry.file.document_id)
                self._file_done(doc.entry)

    def _delete_documents(self, plan: SyncPlan) -> Generator[Phase, list[object], None]:
        """Delete moved files' old documents (once the new one is complete), then vanished
        files' documents (``delete``)."""
        moved = [
            entry.moved_from
            for entry in plan.entries
            if entry.moved_from is not None and entry.file.document_id in self._completed
        ]
        if self.job.dry_run:
            self.report.documents_deleted += len(plan.deletions)
            for document in plan.deletions:
                name = f"{self.job.corpus}/documents/{document.document_id}"
                self.report.plan.append(PlannedFile(document.source or "", name, "delete"))
            return
        doomed = [*moved, *plan.deletions]
        outcomes = yield Phase(
            [DeleteDocument(f"{self.job.corpus}/documents/{d.document_id}") for d in doomed]
        )
        for index, (document, outcome) in enumerate(zip(doomed, outcomes, strict=True)):
            error = self._triage(outcome)
            if error is not None:
                path = document.source or document.document_id
                reason = f"could not delete its document: {error}"
                self.report.failed.append(FileIssue(path, reason))
            elif index >= len(moved):
                self.report.documents_deleted += 1

    # -- outcomes and bookkeeping -------------------------------------------------------------

    def _apply_listing(self, doc: _Doc, outcome: object) -> None:
        if self._check(doc, outcome):
            assert isinstance(outcome, set)
            self.report.chunks_created += len(doc.unverified & outcome)
            doc.unverified.clear()
            self._known(doc, outcome)

    def _known(self, doc: _Doc, existing: set[str]) -> None:
        doc.existing = existing
        if not doc.sized:
            doc.sized = True
            self._chunks_total += len(doc.missing())
            self._emit()

    @staticmethod
    def _relist(docs: Sequence[_Doc]) -> None:
        for doc in docs:
            if doc.relist:
                doc.existing, doc.relist = None, False

    def _check(self, doc: _Doc, outcome: object) -> bool:
        """True if ``outcome`` is a success; a per-document error fails ``doc``."""
        error = self._triage(outcome)
        if error is not None:
            self._doc_failed(doc, error)
            return False
        return True

    def _triage(self, outcome: object) -> str | None:
        """``None`` for a success, the reason for a per-document error; raise fatal ones."""
        if not isinstance(outcome, Exception):
            return None
        if not isinstance(outcome, RagkitError):
            raise outcome  # a bug, not an API answer: let it surface unchanged
        if isinstance(outcome, _FATAL):
            self.report.elapsed = time.monotonic() - self._started
            raise IngestError(f"ingestion stopped: {outcome}", self.report) from outcome
        return str(outcome)

    def _result(self, outcome: object, what: str) -> Any:
        error = self._triage(outcome)
        if error is not None:
            raise IngestError(f"{what}: {error}", self.report)
        return outcome

    def _doc_failed(self, doc: _Doc, reason: str) -> None:
        if doc.error is None:
            doc.error = reason
            self._fail(doc.entry, reason)

    def _fail(self, entry: FileEntry, reason: str) -> None:
        self.report.failed.append(FileIssue(entry.file.path, reason))
        self._planned(entry, "fail", problems=(reason,))
        self._files_done += 1
        self._emit()

    def _planned(
        self,
        entry: FileEntry,
        action: str,
        *,
        chunks: int = 0,
        create: int = 0,
        delete: int = 0,
        problems: tuple[str, ...] = (),
    ) -> None:
        if self.job.dry_run:
            self.report.plan.append(
                PlannedFile(
                    path=entry.file.path,
                    document=f"{self.job.corpus}/documents/{entry.file.document_id}",
                    action=action,
                    chunks=chunks,
                    chunks_to_create=create,
                    chunks_to_delete=delete,
                    batches=-(-create // MAX_CHUNKS_PER_BATCH),
                    problems=problems,
                )
            )

    def _file_done(self, entry: FileEntry) -> None:
        if entry.moved_from is not None:
            self.report.documents_moved += 1
        elif entry.action is Action.ADD:
            self.report.documents_added += 1
        elif entry.action is Action.UPDATE:
            self.report.documents_updated += 1
        else:
            self.report.documents_unchanged += 1
        self._files_done += 1
        self._emit()

    def _emit(self) -> None:
        if self.job.progress is not None:
            self.job.progress(
                ProgressUpdate(
                    files_done=self._files_done,
                    files_total=len(self.job.files),
                    chunks_done=self._chunks_done,
                    chunks_total=self._chunks_total,
                    files_read=self._files_read,
                    files_to_read=self._files_to_read,
                )
            )


def _slices(items: Sequence[str]) -> list[list[str]]:
    return [
        list(items[start : start + MAX_CHUNKS_PER_BATCH])
        for start in range(0, len(items), MAX_CHUNKS_PER_BATCH)
    ]
