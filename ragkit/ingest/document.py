"""The loaded-document model: what every loader returns and what the chunker consumes.

A :class:`LoadedDocument` holds the document's plain text once; its :class:`Section` objects are
views into that text (``doc.text[s.start : s.end] == s.text``), in order and non-overlapping, so
a chunk can always be traced back to a character range, a heading trail and a page range.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["LoadedDocument", "MetadataValue", "Section", "content_hash"]

#: A metadata value, shaped like the API's ``CustomMetadata`` (string, number or string list).
MetadataValue = str | float | list[str]


@dataclass(frozen=True, slots=True)
class Section:
    """A contiguous part of a document: a heading's section, a PDF page, or the whole text.

    Attributes:
        text: The section's text, exactly ``document.text[start:end]``.
        heading_path: The heading trail leading to this section, outermost first, e.g.
            ``("Install", "On Linux")``; empty for text before the first heading and for
            formats without headings.
        page_start: First page (1-based) the section covers, or ``None`` when unpaged.
        page_end: Last page (1-based) the section covers, or ``None`` when unpaged.
        start: Offset of the section's first character in the document text.
        entry: The section is one self-contained entry of a list of definitions (a glossary
            term, a command-line option): the chunker never merges it with its neighbours,
            so a question about the term finds a chunk about that term alone.
    """

    text: str
    heading_path: tuple[str, ...]
    page_start: int | None
    page_end: int | None
    start: int
    entry: bool = False

    @property
    def end(self) -> int:
        """Offset just past the section's last character in the document text."""
        return self.start + len(self.text)


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    """A file turned into plain text plus structure, ready to chunk.

    Attributes:
        path: Where the document was loaded from.
        title: Front-matter/metadata title, else the first top-level heading, else the file stem.
        text: The extracted text with ``\\n`` newlines.
        sections: The document's sections in order; they cover every non-blank character of
            ``text`` and only whitespace lies between them.
        metadata: Document-level metadata (front matter, PDF info, HTML ``<meta>``), shaped like
            the API's custom metadata: strings, numbers (as ``float``) or lists of strings.
        content_hash: Hex SHA-256 of the file's raw bytes; use it to skip unchanged files.
        mime_type: The detected type, e.g. ``"text/markdown"`` or ``"application/pdf"``.
        encoding: The character encoding the text was decoded from (``None`` for PDFs).
    """

    path: Path
    title: str
    text: str
    sections: list[Section]
    metadata: dict[str, MetadataValue]
    content_hash: str
    mime_type: str
    encoding: str | None = field(default=None)


def content_hash(data: bytes) -> str:
    """Return the hex SHA-256 of ``data``, the value stored in ``LoadedDocument.content_hash``."""
    return hashlib.sha256(data).hexdigest()
