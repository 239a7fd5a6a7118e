"""Where a chunk came from, kept in custom metadata so an answer can cite "file, page, section".

The ingestion engine writes these keys; the query and answer layers read them back. They are
the one contract between the two, so both use the constants and functions here.

Document-level keys: ``source`` (path relative to the ingested root, with ``/``), ``title``,
``content_hash`` (sha256 of the file's bytes). Chunk-level keys: ``source`` and ``title``
again (so results decode without fetching the document, and so chunk-level filters work),
``section`` (heading trail joined with `` > ``), ``page_start`` / ``page_end`` (PDFs, 1-based),
``position`` (0-based chunk index in the document). Together they use at most 8 of the 20
entries the API allows per resource, leaving the rest for user metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ragkit.limits import MAX_METADATA_VALUE_LENGTH

__all__ = [
    "CHUNK_KEYS",
    "DOCUMENT_KEYS",
    "SECTION_SEPARATOR",
    "Provenance",
    "chunk_metadata",
    "document_metadata",
    "metadata_to_dict",
    "provenance_from_metadata",
    "refine_section",
]

SOURCE = "source"
TITLE = "title"
CONTENT_HASH = "content_hash"
SECTION = "section"
PAGE_START = "page_start"
PAGE_END = "page_end"
POSITION = "position"

DOCUMENT_KEYS = (SOURCE, TITLE, CONTENT_HASH)
CHUNK_KEYS = (SOURCE, TITLE, SECTION, PAGE_START, PAGE_END, POSITION)
SECTION_SEPARATOR = " > "

MetadataValue = str | float | list[str]


@dataclass(frozen=True)
class Provenance:
    """A chunk's origin, decoded from its (and its document's) custom metadata."""

    source: str | None = None
    title: str | None = None
    section: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    position: int | None = None

    @property
    def pages(self) -> str | None:
        """``"4"`` or ``"4-5"`` for PDFs, else ``None``."""
        if self.page_start is None:
            return None
        if self.page_end is None or self.page_end == self.page_start:
            return str(self.page_start)
        return f"{self.page_start}-{self.page_end}"

    def cite(self) -> str:
        """A short human citation: ``"manual.pdf, p. 4, Setup > Install"``."""
        parts = [self.source or self.title or "unknown source"]
        if self.pages:
            parts.append(f"p. {self.pages}")
        if self.section:
            parts.append(self.section)
        return ", ".join(parts)


def _cut(text: str) -> str:
    """``text`` within the API's metadata value limit: titles and heading trails are for
    display, so an overlong one loses its end rather than failing the upload."""
    limit = MAX_METADATA_VALUE_LENGTH
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def document_metadata(*, source: str, title: str, content_hash: str) -> dict[str, MetadataValue]:
    return {SOURCE: source, TITLE: _cut(title), CONTENT_HASH: content_hash}


def chunk_metadata(
    *,
    source: str,
    title: str,
    position: int,
    heading_path: Sequence[str] = (),
    page_start: int | None = None,
    page_end: int | None = None,
) -> dict[str, MetadataValue]:
    data: dict[str, MetadataValue] = {SOURCE: source, TITLE: _cut(title), POSITION: float(position)}
    if heading_path:
        data[SECTION] = _cut(SECTION_SEPARATOR.join(heading_path))
    if page_start is not None:
        data[PAGE_START] = float(page_start)
        data[PAGE_END] = float(page_end if page_end is not None else page_start)
    return data


def metadata_to_dict(entries: Iterable[Any] | None) -> dict[str, MetadataValue]:
    """Custom metadata entries (models or wire dicts) as ``{key: value}``."""
    result: dict[str, MetadataValue] = {}
    for entry in entries or ():
        raw = entry if isinstance(entry, Mapping) else entry.model_dump(by_alias=True)
        key = raw.get("key")
        if not key:
            continue
        if raw.get("stringValue") is not None:
            result[key] = str(raw["stringValue"])
        elif raw.get("numericValue") is not None:
            result[key] = float(raw["numericValue"])
        elif raw.get("stringListValue") is not None:
            result[key] = [str(v) for v in raw["stringListValue"].get("values") or []]
    return result


def _int(value: MetadataValue | None) -> int | None:
    return int(value) if isinstance(value, float | int) else None


def _str(value: MetadataValue | None) -> str | None:
    return value if isinstance(value, str) else None


def provenance_from_metadata(
    chunk: Iterable[Any] | None, document: Iterable[Any] | None = None
) -> Provenance:
    """Decode provenance from chunk metadata, falling back to the document's."""
    merged = {**metadata_to_dict(document), **metadata_to_dict(chunk)}
    return Provenance(
        source=_str(merged.get(SOURCE)),
        title=_str(merged.get(TITLE)),
        section=_str(merged.get(SECTION)),
        page_start=_int(merged.get(PAGE_START)),
        page_end=_int(merged.get(PAGE_END)),
        position=_int(merged.get(POSITION)),
    )


_HEADING_LINE = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def refine_section(provenance: Provenance, chunk_text: str, quote: str) -> Provenance:
    """Narrow ``provenance.section`` to the markdown heading above ``quote`` in the chunk.

    A chunk that merges several small sections carries only their shared trail
    (``"Guide"``); the heading lines inside its text say which sub-section a quoted
    sentence sits in (``"Guide > Install"``). Without such headings, or when the quote is
    not found verbatim, the provenance is returned unchanged.
    """
    at = chunk_text.find(quote) if quote else -1
    if at < 0:
        return provenance
    path = provenance.section.split(SECTION_SEPARATOR) if provenance.section else []
    for match in _HEADING_LINE.finditer(chunk_text, 0, at):
        level, title = len(match.group(1)), match.group(2).strip()
        path = path[: path.index(title) + 1] if title in path else [*path[: level - 1], title]
    section = SECTION_SEPARATOR.join(path) or None
    return provenance if section == provenance.section else replace(provenance, section=section)
