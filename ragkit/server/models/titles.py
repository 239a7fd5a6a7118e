"""A passage's title line, and how closely it names what a question asks about.

ragkit's ingestion opens every chunk with a context line, ``Guide > Install > Linux``, then
a blank line, then the text (:attr:`ragkit.ingest.TextChunk.content`). Any chunk whose first
paragraph is a single line without final punctuation, followed by more text, is read the
same way, whoever wrote it.

The answerer never quotes a title (:func:`title_end`). The server's ranking adds
:func:`title_match` of the title's last section to the similarity: a chunk headed
"Glossary > Primary key" is *about* what "What does primary key mean?" asks, which the
embedding of a 200-token chunk only partly says.

Example::

    title("Appendix M. Glossary > Primary key\\n\\nA special case of a unique constraint.")
    # 'Appendix M. Glossary > Primary key'
    title_match(subject_terms("What does primary key mean?"), heading_terms(text))   # 1.0
"""

from __future__ import annotations

import re
from collections.abc import Set

from ragkit.provenance import SECTION_SEPARATOR
from ragkit.server.models.lexical import content_terms

__all__ = ["HEADING_MAX_WORDS", "heading_terms", "is_heading", "title", "title_end", "title_match"]

#: The longest in-text heading :func:`is_heading` recognises, in words ("Replica (server)").
HEADING_MAX_WORDS = 3

#: A passage's title: its first paragraph when that is one line without final punctuation and
#: more text follows. It may end in a bracket ("Logger (process)"), but not in one closing a
#: sentence ("(See below.)").
_TITLE = re.compile(
    r"\s*([^\n]*(?:[^\s.!?\u2026:;,\"'\u201d\u2019)\]]|[^\s.!?\u2026][)\]]))"
    r"[ \t]*(?=\n[ \t]*\n\s*\S)"
)


def title_end(text: str) -> int:
    """Where the passage's title ends (0 when it has none)."""
    found = _TITLE.match(text)
    return found.end() if found else 0


def title(text: str) -> str:
    """The passage's title line ("" when it has none)."""
    found = _TITLE.match(text)
    return found.group(1).strip() if found else ""


_PARAGRAPH_BREAK_BEFORE = re.compile(r"(?:^|\n[ \t]*\n)\s*$")
_PARAGRAPH_BREAK_AFTER = re.compile(r"[ \t]*\n[ \t]*\n\s*\S")


def is_heading(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is an in-text heading: a paragraph of its own, of at most
    :data:`HEADING_MAX_WORDS` words, without final punctuation, and followed by more text
    (the term line of a glossary entry, "Replication", under its context line)."""
    line = text[start:end].strip()
    return (
        0 < len(line.split()) <= HEADING_MAX_WORDS
        and line[-1] not in ".!?:;,\u2026"
        and _PARAGRAPH_BREAK_BEFORE.search(text, 0, start) is not None
        and _PARAGRAPH_BREAK_AFTER.match(text, end) is not None
    )


def heading_terms(text: str) -> frozenset[str]:
    """Content terms of the last section of the passage's title (empty without a title)."""
    line = title(text)
    return frozenset(content_terms(line.rsplit(SECTION_SEPARATOR, 1)[-1])) if line else frozenset()


def title_match(subject: Set[str], heading: Set[str]) -> float:
    """Jaccard overlap of a question's subject terms and a heading's terms, in [0, 1].

    1 when the heading names exactly what is asked ("primary key" / "Primary key"), less
    when either side has words the other lacks ("key" / "Primary key": 0.5).
    """
    if not subject or not heading:
        return 0.0
    return len(subject & heading) / len(subject | heading)
