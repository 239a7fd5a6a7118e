"""Fixtures for the ingestion tests: PDFs are generated with pypdf, never checked in."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

MakePdf = Callable[..., bytes]


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def build_pdf(
    pages: Sequence[str],
    *,
    title: str | None = None,
    author: str | None = None,
    user_password: str | None = None,
    owner_password: str | None = None,
) -> bytes:
    """A PDF with one page per string (``""`` makes a blank page), Helvetica, one Tj per line."""
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    for text in pages:
        page = writer.add_blank_page(612, 792)
        if not text:
            continue
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        shows = " T* ".join(f"({_escape(line)}) Tj" for line in text.split("\n"))
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 11 Tf 14 TL 56 740 Td {shows} ET".encode("latin-1"))
        page.replace_contents(stream)
    metadata = {"/Title": title} if title else {}
    if author:
        metadata["/Author"] = author
    if metadata:
        writer.add_metadata(metadata)
    if user_password is not None:
        writer.encrypt(user_password, owner_password, algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def make_pdf() -> MakePdf:
    return build_pdf
