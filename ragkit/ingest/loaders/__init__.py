"""Document loaders: turn ``.txt``, ``.md``/``.markdown``, ``.html``/``.htm`` and ``.pdf`` files
into :class:`~ragkit.ingest.document.LoadedDocument` objects.

>>> from ragkit.ingest.loaders import load
>>> doc = load("handbook/intro.md")  # doctest: +SKIP
>>> doc.title, [s.heading_path for s in doc.sections]  # doctest: +SKIP
"""

from __future__ import annotations

from ragkit.ingest.loaders.base import (
    LoaderFunc,
    load,
    loader_for,
    register_loader,
    supported_extensions,
)
from ragkit.ingest.loaders.encoding import decode_text, normalize_lines
from ragkit.ingest.loaders.html import load_html
from ragkit.ingest.loaders.markdown import load_markdown
from ragkit.ingest.loaders.pdf import load_pdf
from ragkit.ingest.loaders.text import load_text

__all__ = [
    "LoaderFunc",
    "decode_text",
    "load",
    "load_html",
    "load_markdown",
    "load_pdf",
    "load_text",
    "loader_for",
    "normalize_lines",
    "register_loader",
    "supported_extensions",
]

register_loader([".txt", ".text"], load_text)
register_loader([".md", ".markdown"], load_markdown)
register_loader([".html", ".htm"], load_html)
register_loader([".pdf"], load_pdf)
