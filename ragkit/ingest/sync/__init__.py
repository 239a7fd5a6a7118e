"""Keeping a corpus in sync with files: planning, stable IDs, batched upload, reports.

The entry points are :func:`ingest` (blocking, :class:`ragkit.Client`) and :func:`aingest`
(asyncio, :class:`ragkit.AsyncClient`), also exported from :mod:`ragkit.ingest`. Modules:

- :mod:`~ragkit.ingest.sync.files`: paths, root, globs -> local files with content hashes;
- :mod:`~ragkit.ingest.sync.ids`: document IDs from paths, chunk IDs from content;
- :mod:`~ragkit.ingest.sync.plan`: the pure planning core (what changes, what to upload);
- :mod:`~ragkit.ingest.sync.steps`: the order of operations, as phases of independent calls;
- :mod:`~ragkit.ingest.sync.upload`: those calls and their bounded-concurrency executors;
- :mod:`~ragkit.ingest.sync.report`: :class:`IngestReport`;
- :mod:`~ragkit.ingest.sync.pipeline`: pipeline TOML files.
"""

from __future__ import annotations

from ragkit.ingest.sync.engine import aingest, check_metadata, ingest
from ragkit.ingest.sync.files import SourceError
from ragkit.ingest.sync.ids import chunk_id, document_id
from ragkit.ingest.sync.pipeline import Pipeline, PipelineError, load_pipeline
from ragkit.ingest.sync.report import (
    FileIssue,
    IngestError,
    IngestReport,
    PlannedFile,
    ProgressUpdate,
)

__all__ = [
    "FileIssue",
    "IngestError",
    "IngestReport",
    "Pipeline",
    "PipelineError",
    "PlannedFile",
    "ProgressUpdate",
    "SourceError",
    "aingest",
    "check_metadata",
    "chunk_id",
    "document_id",
    "ingest",
    "load_pipeline",
]
