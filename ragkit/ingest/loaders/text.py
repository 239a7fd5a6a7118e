"""Plain-text loader (``.txt``): encoding detection, newline normalisation, one section."""

from __future__ import annotations

from pathlib import Path

from ragkit.ingest.document import LoadedDocument, content_hash
from ragkit.ingest.loaders._sections import split_sections
from ragkit.ingest.loaders.encoding import decode_text, normalize_lines

__all__ = ["load_text"]


def load_text(path: Path, data: bytes) -> LoadedDocument:
    """Load a plain-text file; the title is the file stem.

    Raises:
        UndecodableFileError: The bytes are not text.
    """
    raw, encoding = decode_text(data, path)
    text = normalize_lines(raw)
    return LoadedDocument(
        path=path,
        title=path.stem,
        text=text,
        sections=split_sections(text, []),
        metadata={},
        content_hash=content_hash(data),
        mime_type="text/plain",
        encoding=encoding,
    )
