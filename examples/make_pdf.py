"""Write examples/docs/unicode-text.pdf: a three-page PDF with real, extractable text.

The PDF is built by hand (Helvetica, one text object per line, no compression, fixed
object order and no timestamps), so running this program always produces the same bytes;
a test checks the committed file against it. The quickstart cites its pages.

    python examples/make_pdf.py [OUTPUT]
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

TITLE = "Unicode text in practice"
PAGES: list[tuple[str, list[str]]] = [
    (
        "Characters and code points",
        [
            "Unicode assigns every character a code point: a number, written in hexadecimal "
            "with a U+ prefix, so the letter A is U+0041. Code points run from U+0000 to "
            "U+10FFFF, which gives 1,114,112 possible values grouped in 17 planes of 65,536 "
            "code points each.",
            "The first plane, the Basic Multilingual Plane, holds the characters of almost "
            "every modern script. Emoji and many historic scripts live in the supplementary "
            "planes above U+FFFF.",
            "A code point is an abstract number. How it is stored as bytes is decided by an "
            "encoding such as UTF-8 or UTF-16, so the same text has different byte lengths "
            "in different encodings.",
        ],
    ),
    (
        "UTF-8",
        [
            "UTF-8 stores each code point in one to four bytes. Code points below U+0080 take "
            "a single byte equal to their ASCII value, so every ASCII file is already valid "
            "UTF-8. Code points up to U+07FF take two bytes, up to U+FFFF three bytes, and "
            "the supplementary planes four bytes.",
            "Every byte of a multi-byte sequence is 0x80 or higher, so a search for an ASCII "
            "byte such as a slash never matches inside another character. This property "
            "makes UTF-8 safe for file paths and protocols designed for ASCII.",
            "UTF-16 uses two bytes for the Basic Multilingual Plane and a surrogate pair of "
            "two 16-bit units, four bytes in all, for code points above U+FFFF.",
        ],
    ),
    (
        "Normalization",
        [
            "The same visible text can be spelled with different code points. An e with an "
            "acute accent is either the single precomposed code point U+00E9 or the letter e "
            "followed by the combining acute accent U+0301.",
            "Unicode normalization makes such spellings comparable. Form NFC composes "
            "characters into precomposed code points where they exist; form NFD decomposes "
            "them into base letters and combining marks.",
            "Compare or index strings only after normalizing both to the same form. In Python, "
            'unicodedata.normalize("NFC", text) returns the NFC form of a string.',
        ],
    ),
]

_WIDTH, _HEIGHT, _MARGIN = 612, 792, 72
_WRAP = 88


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _page_stream(heading: str, paragraphs: list[str]) -> bytes:
    lines = [f"BT /F1 18 Tf {_MARGIN} {_HEIGHT - _MARGIN} Td ({_escape(heading)}) Tj ET"]
    y = _HEIGHT - _MARGIN - 36
    for paragraph in paragraphs:
        for line in textwrap.wrap(paragraph, _WRAP):
            lines.append(f"BT /F1 11 Tf {_MARGIN} {y} Td ({_escape(line)}) Tj ET")
            y -= 15
        y -= 10
    return "\n".join(lines).encode("ascii")


def build_pdf() -> bytes:
    """The PDF's bytes: catalog, page tree, font, info, then a page and a stream per page."""
    count = len(PAGES)
    first_page = 5
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(count))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Title ({_escape(TITLE)}) /Producer (ragkit examples/make_pdf.py) >>".encode(),
    ]
    for i, (heading, paragraphs) in enumerate(PAGES):
        stream = _page_stream(heading, paragraphs)
        contents = first_page + 2 * i + 1
        page = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_WIDTH} {_HEIGHT}] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {contents} 0 R >>"
        )
        objects.append(page.encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def main() -> None:
    target = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).parent / "docs" / "unicode-text.pdf"
    )
    target.write_bytes(build_pdf())
    print(f"wrote {target} ({len(PAGES)} pages)")


if __name__ == "__main__":
    main()
