"""Plain text out of uploaded files, for generation and token counts.

Text types (``text/*``, JSON, XML, JavaScript...) are decoded as UTF-8 (invalid bytes
replaced); ``application/pdf`` goes through pypdf, page by page. Other types (images,
audio...) are stored and served but have no text: the local model cannot read them.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

__all__ = ["ExtractionError", "extract_file_text", "extract_text", "has_text", "is_pdf"]

_TEXT_APPLICATION_TYPES = frozenset(
    {
        "application/json",
        "application/jsonl",
        "application/x-ndjson",
        "application/xml",
        "application/javascript",
        "application/x-javascript",
        "application/x-python",
        "application/x-python-code",
        "application/x-sh",
        "application/x-yaml",
        "application/yaml",
        "application/rtf",
        "application/sql",
        "application/x-tex",
        "application/csv",
    }
)
PDF = "application/pdf"


class ExtractionError(Exception):
    """The file claims a readable type but its bytes cannot be read as one."""


def _base_type(mime_type: str) -> str:
    return mime_type.split(";", 1)[0].strip().lower()


def is_pdf(mime_type: str) -> bool:
    return _base_type(mime_type) == PDF


def has_text(mime_type: str) -> bool:
    """True if files of ``mime_type`` yield text (``text/plain``, ``application/pdf``...)."""
    base = _base_type(mime_type)
    return base.startswith("text/") or base in _TEXT_APPLICATION_TYPES or base == PDF


def extract_text(mime_type: str, data: bytes) -> str:
    """The text of a file whose type :func:`has_text`.

    Raises:
        ExtractionError: the PDF is unreadable (encrypted, truncated, not a PDF).
        ValueError: ``mime_type`` has no text.
    """
    if is_pdf(mime_type):
        return _pdf_text(data)
    if not has_text(mime_type):
        raise ValueError(f"files of type {mime_type} have no text")
    return data.decode("utf-8", errors="replace")


def extract_file_text(mime_type: str, path: Path) -> str:
    """:func:`extract_text` of the file at ``path``; a PDF is read from the open file as
    pypdf needs it, not loaded whole into memory first.

    Raises:
        ExtractionError: the PDF is unreadable.
        ValueError: ``mime_type`` has no text.
        OSError: the file cannot be opened.
    """
    if is_pdf(mime_type):
        with path.open("rb") as handle:
            return _pdf_text(handle)
    return extract_text(mime_type, path.read_bytes())


def _pdf_text(data: bytes | BinaryIO) -> str:
    # pypdf is imported here: a server that never sees a PDF never pays for the import.
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data) if isinstance(data, bytes) else data)
        if reader.is_encrypted:
            raise ExtractionError("the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
        raise ExtractionError(f"the PDF could not be read ({error})") from None
    return "\n\n".join(page.strip() for page in pages if page.strip())
