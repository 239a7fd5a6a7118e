"""The pure planning core of a sync: local files versus the corpus, and what to upload.

Nothing here performs I/O. :func:`plan_sync` decides, per file, whether its document is added,
updated, moved or left alone, and which documents go; :func:`prepare_document` turns a loaded,
chunked file into the exact document and chunks to upload, checking every API limit first.

How a document's state is read from the corpus:
    Each ingested document carries ``content_hash`` (sha256 of the file) and ``ingest_config``
    (a fingerprint of the chunking settings and attached metadata) in its custom metadata. The
    engine writes ``content_hash`` LAST, after every chunk has landed and every stale chunk is
    gone, so a document with the marker is complete, and a document without it is the remains
    of an interrupted run that the next run finishes. A document is unchanged when its marker,
    fingerprint and source all match the file: nothing is read, chunked or sent for it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from ragkit.ingest.chunking import HARD_MAX_CHUNK_TOKENS, ChunkingConfig, TextChunk
from ragkit.ingest.document import LoadedDocument
from ragkit.ingest.sync.ids import chunk_id
from ragkit.limits import (
    MAX_CHUNKS_PER_BATCH,
    MAX_CUSTOM_METADATA,
    MAX_DISPLAY_NAME_LENGTH,
    MAX_STRING_LIST_VALUES,
)
from ragkit.provenance import (
    CONTENT_HASH,
    DOCUMENT_KEYS,
    SOURCE,
    MetadataValue,
    chunk_metadata,
    document_metadata,
)

__all__ = [
    "FINGERPRINT_KEY",
    "RESERVED_KEYS",
    "Action",
    "FileEntry",
    "LocalFile",
    "PlannedChunk",
    "PreparedDocument",
    "RemoteDocument",
    "SyncPlan",
    "batches",
    "fingerprint",
    "in_scope",
    "plan_sync",
    "prepare_document",
]

#: Document metadata key holding :func:`fingerprint`; a change re-ingests every file.
FINGERPRINT_KEY: Final = "ingest_config"
#: Keys the engine owns on documents; user metadata may not use them.
RESERVED_KEYS: Final = frozenset({*DOCUMENT_KEYS, FINGERPRINT_KEY})
#: Bump when the way documents or chunks are built changes, so old corpora are rebuilt.
#: 3: context lines; HTML definition entries; bare headings open their sub-section's chunk;
#: no runt chunks; only small sibling sections merge. 4: Texinfo's and Sphinx's navigation
#: panels, page headers and "¶" permalinks are dropped from HTML.
_FORMAT_VERSION: Final = 4


class Action(StrEnum):
    """What happens to a file's document."""

    ADD = "add"
    UPDATE = "update"
    MOVE = "move"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A file to ingest, as found on disk.

    Attributes:
        path: The file's path as given (or found under a given directory).
        source: Its path relative to the ingested root, with ``/`` separators.
        document_id: The document ID derived from ``source``.
        content_hash: Hex sha256 of its bytes.
    """

    path: str
    source: str
    document_id: str
    content_hash: str


@dataclass(frozen=True, slots=True)
class RemoteDocument:
    """A document found in the corpus, reduced to what planning needs."""

    document_id: str
    metadata: Mapping[str, MetadataValue]

    @property
    def source(self) -> str | None:
        value = self.metadata.get(SOURCE)
        return value if isinstance(value, str) else None

    @property
    def content_hash(self) -> str | None:
        """The completion marker: present only once the document is fully ingested."""
        value = self.metadata.get(CONTENT_HASH)
        return value if isinstance(value, str) and value else None

    @property
    def fingerprint(self) -> str | None:
        value = self.metadata.get(FINGERPRINT_KEY)
        return value if isinstance(value, str) else None

    @property
    def managed(self) -> bool:
        """Created by ragkit's ingestion (only such documents are ever deleted by a sync)."""
        return self.source is not None and self.fingerprint is not None


@dataclass(frozen=True, slots=True)
class FileEntry:
    """The plan for one local file.

    Attributes:
        file: The file.
        action: What happens to its document.
        existing: Its document in the corpus, if any (complete or not).
        moved_from: The document of the file's previous path, deleted once the new document
            is complete (set for ``MOVE``, and for a move a previous run did not finish).
    """

    file: LocalFile
    action: Action
    existing: RemoteDocument | None = None
    moved_from: RemoteDocument | None = None


@dataclass(frozen=True, slots=True)
class SyncPlan:
    """Every file's entry, plus the documents to delete (``--delete``) after the uploads."""

    entries: list[FileEntry]
    deletions: list[RemoteDocument] = field(default_factory=list)

    def count(self, action: Action) -> int:
        return sum(entry.action is action for entry in self.entries)


def fingerprint(config: ChunkingConfig, metadata: Mapping[str, MetadataValue]) -> str:
    """A short hash of everything besides the file's bytes that shapes its document."""
    payload = json.dumps(
        [
            _FORMAT_VERSION,
            config.chunk_tokens,
            config.overlap_tokens,
            config.max_tokens,
            config.context,
            sorted(metadata.items()),
        ]
    )
    return f"v{_FORMAT_VERSION}-{hashlib.sha256(payload.encode()).hexdigest()[:16]}"


def in_scope(source: str, scope: Iterable[str]) -> bool:
    """Whether ``source`` is a file of ``scope`` or lies below one of its folders.

    ``scope`` holds root-relative paths (``""`` is the whole root), as made by
    :func:`ragkit.ingest.sync.files.scope_of`.
    """
    return any(not part or source == part or source.startswith(part + "/") for part in scope)


def plan_sync(
    files: Sequence[LocalFile],
    remote: Sequence[RemoteDocument],
    *,
    fingerprint: str,
    delete: bool,
    source_exists: Callable[[str], bool],
    scope: Sequence[str] = ("",),
) -> SyncPlan:
    """Decide what happens to each file's document and to documents without a file.

    Args:
        files: The local files (unique document IDs).
        remote: The corpus's documents.
        fingerprint: The current :func:`fingerprint`.
        delete: Delete managed documents that no file of this run maps to, if their source
            is in ``scope``.
        source_exists: Whether a previous ``source`` path still exists on disk; a document whose
            file is gone but whose content hash matches a new file is a move.
        scope: What the run's paths cover (see :func:`in_scope`); the default is everything.

    A move creates the document at the new path and then deletes the old one, with or without
    ``delete``. The old document is recognised by its content hash: it is managed, complete, not
    mapped to by any file of this run, its file is gone from disk, and a file of this run has
    the same hash. When that file's document already exists (a move interrupted after the new
    document was finished), the entry keeps its action and still carries ``moved_from``; so
    the document of a deleted duplicate of a file that is still ingested goes too. A document
    whose file still exists (say, outside the paths of this run) is a copy, never a move
    source.
    """
    by_id = {doc.document_id: doc for doc in remote}
    local_ids = {file.document_id for file in files}
    orphans = [doc for doc in remote if doc.document_id not in local_ids and doc.managed]
    movable: dict[str, list[RemoteDocument]] = {}
    for doc in sorted(orphans, key=lambda d: d.document_id):
        if doc.content_hash and doc.source is not None and not source_exists(doc.source):
            movable.setdefault(doc.content_hash, []).append(doc)
    entries: list[FileEntry] = []
    moved: set[str] = set()
    for file in files:
        existing = by_id.get(file.document_id)
        sources = movable.get(file.content_hash)
        origin = sources.pop(0) if sources else None
        if origin is not None:
            moved.add(origin.document_id)
        if existing is None:
            action = Action.MOVE if origin is not None else Action.ADD
        elif _is_current(existing, file, fingerprint):
            action = Action.UNCHANGED
        else:
            action = Action.UPDATE
        entries.append(FileEntry(file, action, existing, origin))
    deletions = [
        doc
        for doc in orphans
        if delete and doc.document_id not in moved and in_scope(doc.source or "", scope)
    ]
    return SyncPlan(entries, deletions)


def _is_current(doc: RemoteDocument, file: LocalFile, fingerprint: str) -> bool:
    return (
        doc.content_hash == file.content_hash
        and doc.fingerprint == fingerprint
        and doc.source == file.source
    )


@dataclass(frozen=True, slots=True)
class PlannedChunk:
    """A chunk exactly as it will be created (its ID is a hash of the rest)."""

    chunk_id: str
    text: str
    metadata: dict[str, MetadataValue]
    token_count: int


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A file turned into the document and chunks to upload.

    Attributes:
        document_id: The document's ID.
        display_name: The document's display name (its title, cut to the API's limit).
        metadata: The document's complete custom metadata, ``content_hash`` included.
        chunks: The chunks, in order.
        warnings: Adjustments made to fit the API's limits (dropped metadata...).
        problems: Limits that could not be met; a document with problems is not sent.
    """

    document_id: str
    display_name: str
    metadata: dict[str, MetadataValue]
    chunks: list[PlannedChunk]
    warnings: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def pending_metadata(self) -> dict[str, MetadataValue]:
        """The metadata without the completion marker, for the document while it is built."""
        return {k: v for k, v in self.metadata.items() if k != CONTENT_HASH}


def prepare_document(
    document: LoadedDocument,
    chunks: Sequence[TextChunk],
    *,
    source: str,
    document_id: str,
    fingerprint: str,
    metadata: Mapping[str, MetadataValue] | None = None,
    max_tokens: int = HARD_MAX_CHUNK_TOKENS,
) -> PreparedDocument:
    """Build the document and chunks for ``document``, checking every limit before sending.

    Document metadata is, in order: provenance (``source``, ``title``, ``content_hash``), the
    fingerprint, ``metadata`` (from a pipeline), then the file's own metadata (front matter, PDF
    info). Entries beyond the API's 20, string lists over 10 values and values of the wrong type
    are dropped with a warning; file metadata never overrides the keys before it.
    """
    warnings: list[str] = []
    display_name = document.title.strip() or source
    if len(display_name) > MAX_DISPLAY_NAME_LENGTH:
        warnings.append(f"title cut to MAX_DISPLAY_NAME_LENGTH={MAX_DISPLAY_NAME_LENGTH} chars")
        display_name = display_name[:MAX_DISPLAY_NAME_LENGTH]
    doc_metadata = document_metadata(
        source=source, title=document.title, content_hash=document.content_hash
    )
    doc_metadata[FINGERPRINT_KEY] = fingerprint
    for origin, extra in (("pipeline", metadata or {}), ("file", document.metadata)):
        for key, value in extra.items():
            if key in doc_metadata:
                continue
            note = _metadata_problem(key, value, len(doc_metadata))
            if note:
                warnings.append(f"{origin} metadata {key!r} dropped: {note}")
            else:
                doc_metadata[key] = value
    planned, problems = _plan_chunks(chunks, document_id, source, document.title, max_tokens)
    return PreparedDocument(
        document_id=document_id,
        display_name=display_name,
        metadata=doc_metadata,
        chunks=planned,
        warnings=tuple(warnings),
        problems=tuple(problems),
    )


def _metadata_problem(key: str, value: MetadataValue, used: int) -> str | None:
    if not key:
        return "empty key"
    if isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            return "a list must hold only strings"
        if len(value) > MAX_STRING_LIST_VALUES:
            return (
                f"{len(value)} values, over MAX_STRING_LIST_VALUES={MAX_STRING_LIST_VALUES} "
                "per string list"
            )
    elif isinstance(value, bool) or not isinstance(value, str | int | float):
        return f"unsupported value type {type(value).__name__}"
    if used >= MAX_CUSTOM_METADATA:
        return f"over the MAX_CUSTOM_METADATA={MAX_CUSTOM_METADATA} entries a document may have"
    return None


def _plan_chunks(
    chunks: Sequence[TextChunk], document_id: str, source: str, title: str, max_tokens: int
) -> tuple[list[PlannedChunk], list[str]]:
    planned: list[PlannedChunk] = []
    problems: list[str] = []
    if not chunks:
        problems.append("no text to index")
    for chunk in chunks:
        if chunk.token_count > max_tokens:
            problems.append(
                f"chunk {chunk.index} has {chunk.token_count} tokens, over the {max_tokens}-token "
                "ceiling (the API's limit minus a safety margin)"
            )
        if not chunk.content.strip():
            problems.append(f"chunk {chunk.index} is blank")
        meta = chunk_metadata(
            source=source,
            title=title,
            position=chunk.index,
            heading_path=chunk.heading_path,
            page_start=chunk.page_start,
            page_end=chunk.page_end,
        )
        if len(meta) > MAX_CUSTOM_METADATA:
            problems.append(f"chunk {chunk.index} has {len(meta)} metadata entries")
        planned.append(
            PlannedChunk(
                chunk_id(document_id, chunk.content, meta),
                chunk.content,
                meta,
                chunk.token_count,
            )
        )
    if len({chunk.chunk_id for chunk in planned}) != len(planned):
        problems.append("two chunks hash to the same ID")
    return planned, problems


def batches(items: Sequence[PlannedChunk]) -> list[list[PlannedChunk]]:
    """``items`` in ``batchCreate``-sized slices (``MAX_CHUNKS_PER_BATCH``)."""
    return [
        list(items[start : start + MAX_CHUNKS_PER_BATCH])
        for start in range(0, len(items), MAX_CHUNKS_PER_BATCH)
    ]
