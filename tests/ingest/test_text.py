from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

import pytest

from ragkit.ingest import EmptyFileError, UndecodableFileError, load
from ragkit.ingest.loaders import decode_text

SAMPLE = "Café déjà vu — naïve “quotes”\r\nsecond line\r\n\r\nthird paragraph\rend"
EXPECTED = "Café déjà vu — naïve “quotes”\nsecond line\n\nthird paragraph\nend"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8-sig"),
        (SAMPLE.encode("utf-16"), "utf-16"),
        (SAMPLE.encode("utf-16-le"), "utf-16-le"),
        (SAMPLE.encode("utf-16-be"), "utf-16-be"),
        (SAMPLE.encode("utf-32"), "utf-32"),
        (SAMPLE.encode("utf-32-le"), "utf-32-le"),
        (SAMPLE.encode("utf-32-be"), "utf-32-be"),
        (SAMPLE.encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_are_detected_and_newlines_normalized(data: bytes, encoding: str) -> None:
    doc = load("notes.txt", data)
    assert doc.text == EXPECTED
    assert doc.encoding == encoding
    assert doc.title == "notes"
    assert doc.mime_type == "text/plain"
    assert len(doc.sections) == 1
    assert doc.sections[0].text == EXPECTED
    assert doc.sections[0].heading_path == ()
    assert doc.sections[0].page_start is None


def test_bytes_undefined_in_cp1252_fall_back_to_latin1() -> None:
    text, encoding = decode_text(b"caf\xe9 \x81 ok", Path("x.txt"))
    assert (text, encoding) == ("café \x81 ok", "latin-1")


def test_section_is_stripped_but_offsets_stay_in_the_text() -> None:
    doc = load("padded.txt", b"\n\n   body text  \n\n")
    (section,) = doc.sections
    assert section.text == "body text"
    assert doc.text[section.start : section.end] == "body text"


def test_content_hash_is_sha256_of_the_raw_bytes() -> None:
    utf8, utf16 = b"same text", "same text".encode("utf-16")
    assert load("a.txt", utf8).content_hash == hashlib.sha256(utf8).hexdigest()
    assert load("a.txt", utf16).content_hash == hashlib.sha256(utf16).hexdigest()
    assert load("a.txt", utf8).text == load("a.txt", utf16).text


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 4,
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01",
        b"\x01\x02\x03\x04 mostly control \x05\x06\x07\x08\x0e\x0f\x10",
    ],
)
def test_binary_data_is_undecodable(data: bytes) -> None:
    with pytest.raises(UndecodableFileError, match="binary data"):
        load("blob.txt", data)


def test_broken_utf16_after_bom_is_undecodable() -> None:
    with pytest.raises(UndecodableFileError, match="utf-16"):
        load("bad.txt", codecs.BOM_UTF16_LE + b"\x00\xd8a\x00")


@pytest.mark.parametrize("data", [b"", b"  \r\n\t\n"])
def test_empty_or_blank_file(data: bytes) -> None:
    with pytest.raises(EmptyFileError):
        load("empty.txt", data)


def test_whitespace_only_lines_become_empty_paragraph_breaks() -> None:
    assert load("p.txt", b"one\r\n \t \r\ntwo\n   \nthree  ").text == "one\n\ntwo\n\nthree  "


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("text", ["ab", "abcd", "plane one \U0001d518 \U0001f600"])
def test_short_bomless_wide_encodings(codec: str, text: str) -> None:
    assert decode_text(text.encode(codec), Path("x.txt")) == (text, codec)
