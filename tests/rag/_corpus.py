"""A small knowledge base with ragkit's provenance metadata, shared by rag and CLI tests.

Chunks are created directly (as ragkit's ingestion would lay them out) so these tests do not
depend on the ingestion engine: two documents, one a "PDF" with pages, one markdown with
sections, each with document-level front matter (year, tags, lang).
"""

from __future__ import annotations

import ragkit
from ragkit.provenance import chunk_metadata, document_metadata

CORPUS = "corpora/kb"
MANUAL = f"{CORPUS}/documents/manual"
NOTES = f"{CORPUS}/documents/notes"

#: (text, heading path, page) per chunk of the manual (a PDF, so pages are known).
MANUAL_CHUNKS = [
    (
        "To install the widget, run the installer and press Next. "
        "The installer needs two gigabytes of free disk space.",
        ("Setup", "Install"),
        4,
    ),
    (
        "The widget warranty lasts two years from the date of purchase. "
        "Keep the receipt as proof of purchase.",
        ("Warranty",),
        7,
    ),
    ("Clean the widget with a dry cloth once a week.", ("Care",), 9),
]
NOTES_CHUNKS = [
    ("Firmware version 1.2 adds Bluetooth pairing to the widget.", ("Release notes", "1.2")),
    ("Firmware version 1.3 fixes the battery indicator.", ("Release notes", "1.3")),
]


def build(client: ragkit.Client) -> None:
    """Create :data:`CORPUS` with the manual and the release notes."""
    client.corpora.create(name=CORPUS, display_name="Knowledge base")
    manual_meta = document_metadata(source="manual.pdf", title="Widget manual", content_hash="m")
    client.corpora.documents.create(
        CORPUS,
        name=MANUAL,
        display_name="Widget manual",
        custom_metadata={**manual_meta, "year": 2021, "tags": ["faq", "hardware"], "lang": "en"},
    )
    notes_meta = document_metadata(
        source="notes/release.md", title="Release notes", content_hash="n"
    )
    client.corpora.documents.create(
        CORPUS,
        name=NOTES,
        display_name="Release notes",
        custom_metadata={**notes_meta, "year": 2018, "tags": ["firmware"], "lang": "de"},
    )
    for position, (text, path, page) in enumerate(MANUAL_CHUNKS):
        meta = chunk_metadata(
            source="manual.pdf", title="Widget manual", position=position,
            heading_path=path, page_start=page,
        )  # fmt: skip
        client.corpora.documents.chunks.create(MANUAL, data=text, custom_metadata=meta)
    for position, (text, path) in enumerate(NOTES_CHUNKS):
        meta = chunk_metadata(
            source="notes/release.md", title="Release notes", position=position, heading_path=path
        )
        client.corpora.documents.chunks.create(NOTES, data=text, custom_metadata=meta)
