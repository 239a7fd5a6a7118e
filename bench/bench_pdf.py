"""PDF loading: ragkit's loader against bare pypdf text extraction over the same pages.

The PDF is written by a minimal PDF writer below (no authoring library needed): ``--pages``
pages of Helvetica text, Flate-compressed content streams, wrapped stdlib docstrings as prose.
Timed, as medians of ``--runs`` interleaved runs:

* ``pypdf``: ``reader = PdfReader(path); [page.extract_text() for page in reader.pages]``;
* ``ragkit``: ``ragkit.ingest.load(path)`` (reads the file, hashes it, extracts every page,
  normalises whitespace, builds one section per page).

Target: ragkit >= 0.95x the pypdf throughput (wall-clock and CPU-time ratios are printed). Run::

    .venv/bin/python bench/bench_pdf.py [--pages 100] [--runs 5]
"""

from __future__ import annotations

import argparse
import tempfile
import textwrap
import zlib
from collections.abc import Callable
from pathlib import Path

from bench_chunking import print_ratio, run_interleaved, stdlib_docstrings
from pypdf import PdfReader

from ragkit.ingest import load

LINES_PER_PAGE = 56


def _pdf_string(line: str) -> bytes:
    raw = line.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def write_pdf(pages: list[list[str]], path: Path) -> None:
    """Write a PDF with one page per list of lines; objects: catalog, pages, font, pages."""
    objects: list[bytes] = []
    font_id, pages_id = 3, 2
    page_ids = []
    for lines in pages:
        shows = b" T* ".join(_pdf_string(line) + b" Tj" for line in lines)
        content = zlib.compress(b"BT /F1 10 Tf 12.5 TL 50 760 Td " + shows + b" ET")
        content_id = 4 + len(objects)
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
            % (len(content), content)
        )
        page_ids.append(4 + len(objects))
        objects.append(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
            % (pages_id, font_id, content_id)
        )
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    head = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(head + objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(offsets) + 1,
        xref,
    )
    path.write_bytes(bytes(out))


def prose_pages(count: int) -> list[list[str]]:
    lines: list[str] = []
    for document in stdlib_docstrings(count * LINES_PER_PAGE * 90 / 1e6 * 1.5):
        for paragraph in document.split("\n\n"):
            lines.extend([*textwrap.wrap(" ".join(paragraph.split()), 95), ""])
    return [lines[i * LINES_PER_PAGE : (i + 1) * LINES_PER_PAGE] for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.pdf"
        write_pdf(prose_pages(args.pages), path)

        def raw() -> list[str]:
            reader = PdfReader(path)
            return [page.extract_text() for page in reader.pages]

        document = load(path)
        extracted = sum(len(text) for text in raw())
        print(
            f"pdf: {args.pages} pages, {path.stat().st_size / 1e3:.0f} kB, "
            f"{extracted:,} characters extracted; ragkit: {len(document.sections)} sections"
        )
        contenders: dict[str, Callable[[], object]] = {"pypdf": raw, "ragkit": lambda: load(path)}
        medians = run_interleaved(contenders, args.runs, args.pages, "pages")
    print_ratio(medians, "ragkit", "pypdf")


if __name__ == "__main__":
    main()
