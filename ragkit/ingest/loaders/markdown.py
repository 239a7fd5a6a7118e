"""Markdown loader (``.md``, ``.markdown``): front matter, ATX and setext headings, code fences.

The text keeps the Markdown source (minus front matter): it reads well, embeds well, and chunk
offsets stay faithful to the file. Each heading starts a section whose ``heading_path`` is the
trail of enclosing headings; ``#`` lines inside fenced code blocks are not headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ragkit.ingest.document import LoadedDocument, content_hash
from ragkit.ingest.loaders._sections import HeadingTrail, split_sections
from ragkit.ingest.loaders.encoding import decode_text, normalize_lines
from ragkit.ingest.loaders.frontmatter import parse_front_matter, split_front_matter

__all__ = ["Heading", "find_headings", "load_markdown", "plain_heading"]

_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_LIST_OR_QUOTE = re.compile(r" {0,3}(?:[-*+>]|\d{1,9}[.)])(?:[ \t]|$)")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*)(?=\S)(.+?)(?<=\S)\1")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading found in Markdown source: its level, plain text and source offset."""

    level: int
    title: str
    offset: int


def load_markdown(path: Path, data: bytes) -> LoadedDocument:
    """Load a Markdown file.

    Title: front matter ``title``, else the first level-1 heading, else the file stem.

    Raises:
        UndecodableFileError: The bytes are not text.
    """
    raw, encoding = decode_text(data, path)
    source = normalize_lines(raw)
    block, body_offset = split_front_matter(source)
    metadata = parse_front_matter(block) if block is not None else {}
    text = source[body_offset:]
    headings = find_headings(text)
    trail = HeadingTrail()
    boundaries = [(h.offset, trail.push(h.level, h.title)) for h in headings]
    front_title = metadata.get("title")
    if isinstance(front_title, str) and front_title:
        title = front_title
    else:
        title = next((h.title for h in headings if h.level == 1 and h.title), path.stem)
    return LoadedDocument(
        path=path,
        title=title,
        text=text,
        sections=split_sections(text, boundaries),
        metadata=metadata,
        content_hash=content_hash(data),
        mime_type="text/markdown",
        encoding=encoding,
    )


def find_headings(text: str) -> list[Heading]:
    """Return the ATX and setext headings of ``text`` in order, skipping fenced code."""
    headings: list[Heading] = []
    fence: str | None = None
    paragraph: list[str] = []
    paragraph_start = 0
    offset = 0
    for line in text.split("\n"):
        line_start, offset = offset, offset + len(line) + 1
        if fence is not None:
            if _closes(line, fence):
                fence = None
            continue
        opening = _FENCE.fullmatch(line)
        if opening is not None and not (opening.group(1)[0] == "`" and "`" in opening.group(2)):
            fence, paragraph = opening.group(1), []
            continue
        atx = _ATX.fullmatch(line)
        if atx is not None:
            headings.append(
                Heading(len(atx.group(1)), plain_heading(atx.group(2) or ""), line_start)
            )
            paragraph = []
            continue
        underline = _SETEXT.fullmatch(line)
        if underline is not None and paragraph and not _LIST_OR_QUOTE.match(paragraph[0]):
            level = 1 if underline.group(1)[0] == "=" else 2
            title = plain_heading(" ".join(part.strip() for part in paragraph))
            headings.append(Heading(level, title, paragraph_start))
            paragraph = []
            continue
        if not line.strip():
            paragraph = []
        elif paragraph or not line.startswith("    "):
            if not paragraph:
                paragraph_start = line_start
            paragraph.append(line)
    return headings


def plain_heading(source: str) -> str:
    """Strip inline Markdown (links, emphasis, code ticks, HTML tags) from a heading's text."""
    text = _LINK.sub(r"\1", source)
    text = _TAG.sub("", text)
    text = _EMPHASIS.sub(r"\2", text).replace("`", "")
    return " ".join(text.split())


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return (
        len(line) - len(line.lstrip(" ")) <= 3
        and len(stripped) >= len(fence)
        and stripped == fence[0] * len(stripped)
    )
