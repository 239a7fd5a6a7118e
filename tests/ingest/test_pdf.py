from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader

from ragkit.ingest import (
    CorruptPDFError,
    EncryptedPDFError,
    LoadError,
    NoExtractableTextError,
    load,
)

MakePdf = Callable[..., bytes]


def test_generator_writes_extractable_pages(make_pdf: MakePdf) -> None:
    reader = PdfReader(io.BytesIO(make_pdf(["Hello (world)\nline two", ""])))
    assert len(reader.pages) == 2
    assert reader.pages[0].extract_text() == "Hello (world)\nline two"
    assert reader.pages[1].extract_text() == ""


def test_pages_become_sections_with_page_numbers(make_pdf: MakePdf) -> None:
    data = make_pdf(["First page text.", "", "Third page\nsecond line"], title="Annual Report")
    doc = load("report.pdf", data)
    assert doc.title == "Annual Report"
    assert doc.mime_type == "application/pdf"
    assert [(s.page_start, s.page_end) for s in doc.sections] == [(1, 1), (3, 3)]
    assert [s.text for s in doc.sections] == ["First page text.", "Third page\nsecond line"]
    for section in doc.sections:
        assert doc.text[section.start : section.end] == section.text
    assert doc.metadata["page_count"] == 3.0
    assert doc.encoding is None


def test_title_falls_back_to_stem_and_author_is_kept(tmp_path: Path, make_pdf: MakePdf) -> None:
    path = tmp_path / "q3-results.pdf"
    path.write_bytes(make_pdf(["Revenue grew."], author="Finance Team"))
    doc = load(path)
    assert doc.title == "q3-results"
    assert doc.metadata["author"] == "Finance Team"
    assert doc.path == path


def test_encrypted_pdf_is_reported(make_pdf: MakePdf) -> None:
    data = make_pdf(["secret"], user_password="hunter2")
    with pytest.raises(EncryptedPDFError) as caught:
        load("locked.pdf", data)
    assert caught.value.reason == "encrypted PDF (password required)"
    assert caught.value.path == Path("locked.pdf")


def test_pdf_encrypted_with_empty_user_password_opens(make_pdf: MakePdf) -> None:
    data = make_pdf(["readable anyway"], user_password="", owner_password="owner")
    assert PdfReader(io.BytesIO(data)).is_encrypted
    assert load("open.pdf", data).text == "readable anyway"


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", b"not a pdf at all", b"%PDF-1.4\n"],
)
def test_corrupt_pdf_carries_pypdf_reason(data: bytes) -> None:
    with pytest.raises(CorruptPDFError) as caught:
        load("broken.pdf", data)
    assert caught.value.reason.startswith("corrupt or unreadable PDF: ")
    assert len(caught.value.reason) > len("corrupt or unreadable PDF: ")


def test_truncated_pdf_is_corrupt(make_pdf: MakePdf) -> None:
    data = make_pdf(["some text"] * 3)
    with pytest.raises(LoadError):
        load("cut.pdf", data[: len(data) // 3])


def test_image_only_pdf_has_no_extractable_text(make_pdf: MakePdf) -> None:
    with pytest.raises(NoExtractableTextError, match=r"image-only PDF\?"):
        load("scan.pdf", make_pdf(["", ""]))
