"""PDF loader (``.pdf``) built on pypdf: one section per page, page numbers kept (1-based).

Encrypted files are tried with the empty password (common for "protected" but openable PDFs);
anything pypdf cannot parse becomes a :class:`CorruptPDFError` carrying pypdf's message, and a
PDF whose pages yield no text at all becomes a :class:`NoExtractableTextError`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragkit.ingest.document import LoadedDocument, MetadataValue, Section, content_hash
from ragkit.ingest.errors import CorruptPDFError, EncryptedPDFError, NoExtractableTextError

if TYPE_CHECKING:
    from pypdf import PdfReader

__all__ = ["load_pdf"]

_PAGE_SEPARATOR = "\n\n"
_TRAILING_SPACE = re.compile(r"[ \t]+\n")


def load_pdf(path: Path, data: bytes) -> LoadedDocument:
    """Load a PDF's text page by page.

    Title: the PDF's ``/Title`` metadata, else the file stem. Metadata: ``author``, ``subject``,
    ``keywords`` (list), ``page_count``.

    Raises:
        EncryptedPDFError: The PDF needs a non-empty password.
        CorruptPDFError: pypdf could not read the file or one of its pages.
        NoExtractableTextError: No page has any text (a scanned, image-only PDF?).
    """
    reader = _open(path, data)
    parts: list[str] = []
    sections: list[Section] = []
    offset = 0
    for number, page in enumerate(reader.pages, start=1):
        try:
            page_text = _clean(page.extract_text())
        except Exception as exc:  # pypdf raises many types on malformed content streams
            raise CorruptPDFError(path, f"cannot extract text from page {number}: {exc}") from exc
        if not page_text:
            continue
        if parts:
            parts.append(_PAGE_SEPARATOR)
            offset += len(_PAGE_SEPARATOR)
        sections.append(Section(page_text, (), number, number, offset))
        parts.append(page_text)
        offset += len(page_text)
    if not sections:
        raise NoExtractableTextError(path, "no extractable text (image-only PDF?)")
    metadata, title = _metadata(reader)
    metadata["page_count"] = float(len(reader.pages))
    return LoadedDocument(
        path=path,
        title=title or path.stem,
        text="".join(parts),
        sections=sections,
        metadata=metadata,
        content_hash=content_hash(data),
        mime_type="application/pdf",
    )


def _open(path: Path, data: bytes) -> PdfReader:
    # Imported here: pypdf is only needed once a PDF is actually loaded.
    from pypdf import PasswordType, PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            opened = reader.decrypt("")
            if opened == PasswordType.NOT_DECRYPTED:
                raise EncryptedPDFError(path, "encrypted PDF (password required)")
        # Touch the page tree now so a broken one fails here, with pypdf's reason.
        len(reader.pages)
    except EncryptedPDFError:
        raise
    except Exception as exc:  # pypdf signals corruption with many exception types
        raise CorruptPDFError(path, f"corrupt or unreadable PDF: {exc}") from exc
    return reader


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _TRAILING_SPACE.sub("\n", text).strip()


def _metadata(reader: PdfReader) -> tuple[dict[str, MetadataValue], str | None]:
    metadata: dict[str, MetadataValue] = {}
    try:
        info: Any = reader.metadata
    except Exception:  # a broken /Info dictionary should not cost us the text
        return metadata, None
    if info is None:
        return metadata, None
    for key, name in (("/Author", "author"), ("/Subject", "subject")):
        value = _info_string(info, key)
        if value:
            metadata[name] = value
    keywords = _info_string(info, "/Keywords")
    if keywords:
        metadata["keywords"] = [k.strip() for k in re.split(r"[,;]", keywords) if k.strip()]
    return metadata, _info_string(info, "/Title")


def _info_string(info: Any, key: str) -> str | None:
    try:
        value = info.get(key)
    except Exception:  # undecodable or dangling references in /Info
        return None
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None
