"""Ingestion: load files into documents, then cut them into token-sized chunks.

>>> from ragkit.ingest import ChunkingConfig, chunk_document, load
>>> document = load("docs/guide.md")  # doctest: +SKIP
>>> chunks = chunk_document(document, ChunkingConfig(chunk_tokens=400))  # doctest: +SKIP

Loading a file raises one :class:`LoadError` (with ``path`` and ``reason``) when that file cannot
be used; catch it per file to keep a run going.
"""

from __future__ import annotations

from ragkit.ingest.chunking import (
    HARD_MAX_CHUNK_TOKENS,
    MIN_CHUNK_TOKENS,
    ChunkingConfig,
    TextChunk,
    chunk_document,
    chunk_text,
)
from ragkit.ingest.document import LoadedDocument, MetadataValue, Section, content_hash
from ragkit.ingest.errors import (
    ChunkingConfigError,
    ChunkingError,
    CorruptPDFError,
    EmptyFileError,
    EncryptedPDFError,
    FileReadError,
    LoadError,
    NoExtractableTextError,
    UndecodableFileError,
    UnsupportedFileTypeError,
)
from ragkit.ingest.loaders import load, register_loader, supported_extensions

__all__ = [
    "HARD_MAX_CHUNK_TOKENS",
    "MIN_CHUNK_TOKENS",
    "ChunkingConfig",
    "ChunkingConfigError",
    "ChunkingError",
    "CorruptPDFError",
    "EmptyFileError",
    "EncryptedPDFError",
    "FileReadError",
    "LoadError",
    "LoadedDocument",
    "MetadataValue",
    "NoExtractableTextError",
    "Section",
    "TextChunk",
    "UndecodableFileError",
    "UnsupportedFileTypeError",
    "chunk_document",
    "chunk_text",
    "content_hash",
    "load",
    "register_loader",
    "supported_extensions",
]

# Sync engine (issue 4 §4): kept last, because it builds on everything above.
from ragkit.ingest.sync import (
    FileIssue,
    IngestError,
    IngestReport,
    Pipeline,
    PipelineError,
    PlannedFile,
    ProgressUpdate,
    SourceError,
    aingest,
    ingest,
    load_pipeline,
)

__all__ += [
    "FileIssue",
    "IngestError",
    "IngestReport",
    "Pipeline",
    "PipelineError",
    "PlannedFile",
    "ProgressUpdate",
    "SourceError",
    "aingest",
    "ingest",
    "load_pipeline",
]
