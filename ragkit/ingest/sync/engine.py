"""``ingest`` and ``aingest``: keep a corpus in sync with files on disk.

    import ragkit
    from ragkit.ingest import ingest

    with ragkit.Client(base_url="http://127.0.0.1:8080") as client:
        report = ingest(["docs/"], corpus="corpora/docs", client=client, delete=True)
    print(report.summary())

Both functions run the same logic (:class:`~ragkit.ingest.sync.steps.SyncRun`); ``ingest``
executes its calls on a thread pool, ``aingest`` on the event loop (files are read and chunked
in worker threads). See :mod:`ragkit.ingest.sync.steps` for the order of operations that makes
a run safe to kill and re-run, and :mod:`ragkit.ingest.sync.files` for how paths, the root and
globs work.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ragkit._client import AsyncClient, Client
from ragkit._exceptions import LimitError
from ragkit.ingest.chunking import ChunkingConfig
from ragkit.ingest.sync.files import PathInput, discover
from ragkit.ingest.sync.plan import RESERVED_KEYS
from ragkit.ingest.sync.report import IngestReport, ProgressUpdate
from ragkit.ingest.sync.steps import Job, Steps, SyncRun
from ragkit.ingest.sync.upload import Phase, aexecute, execute
from ragkit.limits import MAX_CUSTOM_METADATA, MAX_STRING_LIST_VALUES
from ragkit.names import corpus_name
from ragkit.provenance import MetadataValue

__all__ = ["aingest", "ingest"]

Progress = Callable[[ProgressUpdate], None]


@dataclass(frozen=True)
class _Options:
    corpus: str
    delete: bool
    dry_run: bool
    chunking: ChunkingConfig
    concurrency: int
    progress: Progress | None
    root: PathInput | None
    include: Sequence[str]
    exclude: Sequence[str]
    metadata: Mapping[str, MetadataValue]


def ingest(
    paths: PathInput | Sequence[PathInput],
    *,
    corpus: str,
    client: Client,
    delete: bool = False,
    dry_run: bool = False,
    chunking: ChunkingConfig | None = None,
    concurrency: int = 4,
    progress: Progress | None = None,
    root: PathInput | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    metadata: Mapping[str, MetadataValue] | None = None,
) -> IngestReport:
    """Make ``corpus`` hold exactly the documents of the files under ``paths``.

    Args:
        paths: Files and/or directories (walked recursively).
        corpus: ``"corpora/ID"`` or ``"ID"``; created (display name = ID) if missing.
        client: The client to send requests with.
        delete: Also delete documents (created by ingestion) whose source lies under
            ``paths`` but that no file of this run maps to (the file is gone, or a glob now
            excludes it): the corpus then mirrors ``paths``. Documents from elsewhere, such
            as a sibling folder synced on its own under the same ``root``, are kept.
        dry_run: Read the corpus and the files, report what would be done, change nothing.
        chunking: Chunk size and overlap (default ``ChunkingConfig()``: 400 tokens, 50 overlap).
        concurrency: Requests in flight at once (and files being read).
        progress: Called with a :class:`ProgressUpdate` as files and chunks are done.
        root: What document sources, and so document IDs, are relative to (default: the
            paths' common parent); it must contain every path. Runs over ``docs/a`` and
            ``docs/b`` with ``root="docs"`` give the IDs a run over ``docs`` gives. Globs are
            matched against root-relative paths too.
        include: Globs a file found in a directory must match (default: every file).
        exclude: Globs that drop files found in a directory.
        metadata: Custom metadata attached to every document (at most 16 entries; the
            provenance keys ``source``, ``title``, ``content_hash``, ``ingest_config`` are
            reserved).

    Returns:
        The :class:`IngestReport`; files that could not be ingested are in ``report.failed``.

    Raises:
        SourceError: a path does not exist or is outside ``root`` (nothing is sent).
        ResourceNameError, LimitError: ``corpus`` or ``metadata`` is invalid.
        IngestError: the run stopped (unreachable server, rejected credentials, exhausted
            quota...); ``error.report`` tells what was done. Re-running resumes.
    """
    options = _options(
        corpus, delete, dry_run, chunking, concurrency, progress, root, include, exclude, metadata
    )
    run = SyncRun(_job(_as_list(paths), options))
    pool = ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="ragkit-ingest")
    try:
        return _drive(run.steps(), lambda phase: execute(client, pool, phase))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


async def aingest(
    paths: PathInput | Sequence[PathInput],
    *,
    corpus: str,
    client: AsyncClient,
    delete: bool = False,
    dry_run: bool = False,
    chunking: ChunkingConfig | None = None,
    concurrency: int = 4,
    progress: Progress | None = None,
    root: PathInput | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    metadata: Mapping[str, MetadataValue] | None = None,
) -> IngestReport:
    """:func:`ingest` for a :class:`ragkit.AsyncClient`; same arguments, same result."""
    options = _options(
        corpus, delete, dry_run, chunking, concurrency, progress, root, include, exclude, metadata
    )
    job = await asyncio.to_thread(_job, _as_list(paths), options)
    steps = SyncRun(job).steps()
    limit = asyncio.Semaphore(options.concurrency)
    try:
        phase = next(steps)
        while True:
            phase = steps.send(await aexecute(client, limit, phase))
    except StopIteration as done:
        report: IngestReport = done.value
        return report


def _drive(steps: Steps, run: Callable[[Phase], list[object]]) -> IngestReport:
    try:
        phase = next(steps)
        while True:
            phase = steps.send(run(phase))
    except StopIteration as done:
        report: IngestReport = done.value
        return report


def _as_list(paths: PathInput | Sequence[PathInput]) -> list[PathInput]:
    if isinstance(paths, str | os.PathLike):
        return [paths]
    return list(paths)


def _options(
    corpus: str,
    delete: bool,
    dry_run: bool,
    chunking: ChunkingConfig | None,
    concurrency: int,
    progress: Progress | None,
    root: PathInput | None,
    include: Sequence[str],
    exclude: Sequence[str],
    metadata: Mapping[str, MetadataValue] | None,
) -> _Options:
    if not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive integer, got {concurrency!r}")
    return _Options(
        corpus=corpus_name(corpus),
        delete=delete,
        dry_run=dry_run,
        chunking=chunking or ChunkingConfig(),
        concurrency=concurrency,
        progress=progress,
        root=root,
        include=list(include),
        exclude=list(exclude),
        metadata=check_metadata(metadata or {}),
    )


def _job(paths: Sequence[PathInput], options: _Options) -> Job:
    found = discover(paths, root=options.root, include=options.include, exclude=options.exclude)
    return Job(
        corpus=options.corpus,
        files=found.files,
        root=found.root,
        scope=found.scope,
        delete=options.delete,
        dry_run=options.dry_run,
        chunking=options.chunking,
        metadata=options.metadata,
        skipped=found.skipped,
        failed=found.failed,
        progress=options.progress,
    )


def check_metadata(metadata: Mapping[str, Any]) -> dict[str, MetadataValue]:
    """Validate user metadata for every document; numbers become floats.

    Raises:
        LimitError: too many entries, a reserved key, a list over 10 values, or a value that
            is not a string, a number or a list of strings.
    """
    room = MAX_CUSTOM_METADATA - len(RESERVED_KEYS)
    if len(metadata) > room:
        raise LimitError(
            f"{len(metadata)} metadata entries; documents have room for {room} next to the "
            f"provenance keys (MAX_CUSTOM_METADATA={MAX_CUSTOM_METADATA})"
        )
    result: dict[str, MetadataValue] = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not key or key in RESERVED_KEYS:
            raise LimitError(f"metadata key {key!r} is empty or reserved ({sorted(RESERVED_KEYS)})")
        if isinstance(value, str):
            result[key] = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise LimitError(f"metadata {key!r}: {value!r} is not a finite number")
            result[key] = float(value)
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            if len(value) > MAX_STRING_LIST_VALUES:
                raise LimitError(
                    f"metadata {key!r} has {len(value)} values; the limit is "
                    f"MAX_STRING_LIST_VALUES={MAX_STRING_LIST_VALUES}"
                )
            result[key] = list(value)
        else:
            raise LimitError(
                f"metadata {key!r}: expected a string, a number or a list of strings, got {value!r}"
            )
    return result
