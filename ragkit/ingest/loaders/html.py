"""HTML loader (``.html``, ``.htm``) built on the standard library's ``html.parser``.

Page furniture is dropped (scripts, styles, navigation, headers, footers, asides, forms, SVG...,
and elements marked ``role="navigation"`` or classed as a table of contents or navigation bar),
block elements become paragraphs separated by blank lines, whitespace is collapsed except in
``<pre>``, entities are decoded, and every ``<h1>``-``<h6>`` starts a section. So does every
definition term (``<dt>``), one level below the heading it sits under: a glossary entry or a
command-line option is then a section of its own, cited as ``Glossary > Base backup``, and a
chunk never starts in the middle of one definition while holding the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from ragkit.ingest.document import LoadedDocument, MetadataValue, content_hash
from ragkit.ingest.loaders._sections import HeadingTrail, split_sections
from ragkit.ingest.loaders.encoding import decode_text, normalize_lines

__all__ = ["load_html"]

_DROPPED = frozenset(
    {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "svg"}
    | {"template", "iframe", "canvas", "object", "select"}
)
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_BLOCKS = frozenset(
    {"address", "article", "blockquote", "body", "caption", "center", "dd", "details"}
    | {"dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "hr", "html", "li"}
    | {"main", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead"}
    | {"tr", "ul"}
)
#: ``class`` tokens of page furniture in generated documentation: tables of contents;
#: DocBook's, Texinfo's, Sphinx's and most site themes' navigation bars, page headers and
#: breadcrumbs; and the "¶" permalinks Sphinx and Texinfo put after headings. A table of
#: contents repeats every page title in a list of tiny entries that would outrank the pages.
_FURNITURE_CLASSES = frozenset(
    {"toc", "toctree-wrapper", "navheader", "navfooter", "navbar", "breadcrumb", "breadcrumbs"}
    | {"header", "nav-panel", "headerlink", "copiable-anchor"}
)
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"})
_DECLARED_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)


@dataclass(slots=True)
class _Block:
    text: str
    heading_level: int | None
    #: A definition term (``<dt>``) rather than an ``<h1>``-``<h6>`` heading.
    term: bool = False
    #: "li" or "tr": consecutive blocks of one such kind are joined by a newline, not a blank line.
    tight: str | None = None
    #: The first block after a definition list: its text goes back to the heading trail
    #: open at this level (the enclosing heading, or the enclosing term of a nested list).
    resume: int | None = None
    #: Text of a definition (inside a ``<dd>``).
    definition: bool = False


class _Extractor(HTMLParser):
    """Collects blocks of visible text, the ``<title>`` and ``<meta>`` data."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self.title_parts: list[str] = []
        self.metadata: dict[str, MetadataValue] = {}
        self._skipping: list[str] = []
        self._lines: list[str] = []
        self._parts: list[str] = []
        self._heading: int | None = None
        self._term = False
        #: Level of the last ``<h1>``-``<h6>``; definition terms nest one level below it.
        self._level = 0
        self._lists = 0  # open <dl> elements
        self._definitions = 0  # open <dd> elements
        self._resume: int | None = None
        self._tight: str | None = None
        self._bullet = False
        self._in_title = False
        self._pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        skipped = tag in _DROPPED or tag in self._skipping
        if tag not in _VOID and (skipped or (not self._skipping and _is_furniture(attrs))):
            # Nested elements named like a skipped one are stacked too, so that its own end
            # tag, not theirs, ends the skip.
            self._skipping.append(tag)
        if self._skipping:
            return
        if tag == "title":
            self._in_title = True
        elif tag == "meta":
            self._meta(dict(attrs))
        elif tag == "html":
            lang = dict(attrs).get("lang")
            if lang:
                self.metadata["language"] = lang
        elif tag in _HEADINGS:
            self._flush()
            self._heading = self._level = _HEADINGS[tag]
        elif tag == "dt":
            self._flush()
            self._heading, self._term = self._level + max(1, self._lists), True
        elif tag == "br":
            self._break_line()
        elif tag in ("td", "th"):
            self._parts.append(" ")
        elif tag in _BLOCKS:
            self._flush()
            if tag == "pre":
                self._pre_depth += 1
            elif tag == "dl":
                self._lists += 1
            elif tag == "dd":
                self._definitions += 1
            elif tag == "li":
                self._bullet = True
            elif tag == "tr":
                self._tight = tag

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            if tag in self._skipping:
                while self._skipping.pop() != tag:
                    pass
            return
        if tag == "title":
            self._in_title = False
        elif tag in _HEADINGS or tag in _BLOCKS:
            self._flush()
            if tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)
            elif tag == "dl" and self._lists:
                self._lists -= 1
                self._resume = self._level + self._lists
            elif tag == "dd" and self._definitions:
                self._definitions -= 1

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if self._in_title:
            self.title_parts.append(data)
        else:
            self._parts.append(data)

    def close(self) -> None:
        super().close()
        self._flush()

    def _meta(self, attrs: dict[str, str | None]) -> None:
        name = (attrs.get("name") or "").lower()
        content = (attrs.get("content") or "").strip()
        if not content:
            return
        if name == "keywords":
            self.metadata["keywords"] = [k.strip() for k in content.split(",") if k.strip()]
        elif name in ("description", "author"):
            self.metadata[name] = content

    def _break_line(self) -> None:
        self._lines.append(self._collapse("".join(self._parts)))
        self._parts = []

    def _flush(self) -> None:
        if self._pre_depth:
            lines = [*self._lines, "".join(self._parts).strip("\n")]
        else:
            self._break_line()
            lines = [line for line in self._lines if line]
        text = "\n".join(lines).rstrip()
        if text.strip():
            if self._bullet:
                # The list item's marker goes on its first block of text (it may be a <p>).
                text, self._tight, self._bullet = f"- {text.lstrip()}", "li", False
            resume = self._resume if self._heading is None else None
            self.blocks.append(
                _Block(text, self._heading, self._term, self._tight, resume, self._definitions > 0)
            )
            self._resume = None
        self._lines, self._parts, self._heading, self._tight = [], [], None, None
        self._term = False

    def _collapse(self, text: str) -> str:
        return text if self._pre_depth else " ".join(text.split())


def _demote_undefined_terms(blocks: list[_Block]) -> None:
    """Keep a term as a heading only when a definition follows it.

    A ``<dt>`` with no ``<dd>`` (a back-of-book index, a list of links) is not an entry, and
    of several terms sharing one definition (``-v``, ``--verbose``) only the first heads it;
    the others become lines of its text.
    """
    defined = False  # whether the next block that is not a term is a definition
    for i in range(len(blocks) - 1, -1, -1):  # backwards: blocks[i - 1] is still unchanged
        block = blocks[i]
        if not block.term:
            defined = block.definition
        elif not defined or (i > 0 and blocks[i - 1].term):
            block.heading_level, block.term = None, False


def _is_furniture(attrs: list[tuple[str, str | None]]) -> bool:
    """An element marked as navigation (``role="navigation"``) or by a furniture class."""
    for name, value in attrs:
        if name == "role" and value and value.strip().lower() == "navigation":
            return True
        if name == "class" and value and not _FURNITURE_CLASSES.isdisjoint(value.lower().split()):
            return True
    return False


def load_html(path: Path, data: bytes) -> LoadedDocument:
    """Load an HTML file.

    Title: ``<title>``, else the first ``<h1>``, else the file stem. Metadata: ``description``,
    ``author``, ``keywords`` (list) from ``<meta>``, ``language`` from ``<html lang>``.

    Raises:
        UndecodableFileError: The bytes are not text.
    """
    declared = _DECLARED_CHARSET.search(data[:4096])
    raw, encoding = decode_text(
        data, path, declared=declared.group(1).decode("ascii") if declared else None
    )
    extractor = _Extractor()
    extractor.feed(normalize_lines(raw))
    extractor.close()
    _demote_undefined_terms(extractor.blocks)
    parts: list[str] = []
    boundaries: list[tuple[int, tuple[str, ...]]] = []
    entries: set[int] = set()
    trail = HeadingTrail()
    offset = 0
    first_h1: str | None = None
    previous_tight: str | None = None
    for block in extractor.blocks:
        if parts:
            parts.append("\n" if block.tight and block.tight == previous_tight else "\n\n")
            offset += len(parts[-1])
        if block.heading_level is not None:
            title = " ".join(block.text.split())
            boundaries.append((offset, trail.push(block.heading_level, title)))
            if block.term:
                entries.add(offset)
            elif block.heading_level == 1 and first_h1 is None:
                first_h1 = title
        elif block.resume is not None and boundaries:
            boundaries.append((offset, trail.close_below(block.resume)))
        parts.append(block.text)
        offset += len(block.text)
        previous_tight = block.tight
    text = "".join(parts)
    page_title = " ".join("".join(extractor.title_parts).split())
    return LoadedDocument(
        path=path,
        title=page_title or first_h1 or path.stem,
        text=text,
        sections=split_sections(text, boundaries, entries=frozenset(entries)),
        metadata=extractor.metadata,
        content_hash=content_hash(data),
        mime_type="text/html",
        encoding=encoding,
    )
