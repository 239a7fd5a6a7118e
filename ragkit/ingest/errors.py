"""Errors raised while loading and chunking documents.

    RagkitError
    ├── LoadError                    one file could not be turned into text; ``reason`` says why
    │   ├── UnsupportedFileTypeError     no loader for the extension (skip and report it)
    │   ├── FileReadError                the file could not be read (missing, permissions...)
    │   ├── EmptyFileError               no bytes, or no text left after parsing
    │   ├── UndecodableFileError         the bytes are not text in any supported encoding
    │   ├── EncryptedPDFError            the PDF needs a password
    │   ├── CorruptPDFError              pypdf could not parse the PDF
    │   └── NoExtractableTextError       the PDF's pages carry no text (scanned images?)
    ├── ChunkingConfigError          invalid ``ChunkingConfig`` (also a ValueError)
    └── ChunkingError                a chunk broke the token ceiling (a bug; never silently sent)

A failing file never stops a run: loaders raise one :class:`LoadError` per file and callers
record ``error.path`` and ``error.reason`` and move on.
"""

from __future__ import annotations

from pathlib import Path

from ragkit._exceptions import RagkitError

__all__ = [
    "ChunkingConfigError",
    "ChunkingError",
    "CorruptPDFError",
    "EmptyFileError",
    "EncryptedPDFError",
    "FileReadError",
    "LoadError",
    "NoExtractableTextError",
    "UndecodableFileError",
    "UnsupportedFileTypeError",
]


class LoadError(RagkitError):
    """A file could not be loaded.

    Attributes:
        path: The file that failed.
        reason: A short human-readable explanation, e.g. ``"encrypted PDF (password required)"``.
    """

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class UnsupportedFileTypeError(LoadError):
    """No loader is registered for the file's extension."""


class FileReadError(LoadError):
    """The file could not be read from disk."""


class EmptyFileError(LoadError):
    """The file has no bytes, or nothing but markup/whitespace."""


class UndecodableFileError(LoadError):
    """The bytes do not decode as text (binary data, or an unknown encoding)."""


class EncryptedPDFError(LoadError):
    """The PDF is encrypted and does not open with an empty password."""


class CorruptPDFError(LoadError):
    """pypdf could not parse the PDF; ``reason`` carries pypdf's message."""


class NoExtractableTextError(LoadError):
    """The PDF opened but no page has extractable text (typically a scan)."""


class ChunkingConfigError(RagkitError, ValueError):
    """A :class:`~ragkit.ingest.ChunkingConfig` is inconsistent; the message names the field."""


class ChunkingError(RagkitError):
    """A produced chunk exceeded ``max_tokens``; raised instead of emitting an oversize chunk."""
