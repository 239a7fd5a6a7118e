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

__all__ = [
    "HEADING_MAX_WORDS",
    "QUESTION_HEADING_MAX_WORDS",
    "heading_terms",
    "introduced",
    "is_heading",
    "title",
    "title_end",
    "title_match",
]

#: The longest in-text heading :func:`is_heading` recognises, in words ("Replica (server)").
HEADING_MAX_WORDS = 3

#: The longest question heading (an FAQ's "Why are there separate tuple and list types?").
QUESTION_HEADING_MAX_WORDS = 30

#: A passage's title: its first paragraph when that is one line without final punctuation and
#: more text follows. It may end in a bracket ("Logger (process)"), but not in one closing a
#: sentence ("(See below.)"); or in a question mark: a question on a line of its own above
#: its answer ("Programming FAQ > Why is x so slow?") is the section's title, not an answer.
_TITLE = re.compile(
    r"\s*([^\n]*(?:[^\s.!?\u2026:;,\"'\u201d\u2019)\]]|[^\s.!?\u2026][)\]]|\?))"
    r"[ \t]*(?=\n[ \t]*\n\s*\S)"
)


_LEADING_SPACE = re.compile(r"\s*")
_BLANK_LINE_AT = re.compile(r"\n[ \t]*\n\s*\S")


def _match_title(text: str) -> re.Match[str] | None:
    # _TITLE backtracks over the whole first line when it is not a title; most passages'
    # first line is not followed by a blank line (no title), which two C-speed scans show
    # without running it (the query path tests 100 candidates per query).
    first = _LEADING_SPACE.match(text)
    line_end = text.find("\n", first.end() if first else 0)
    if line_end < 0 or _BLANK_LINE_AT.match(text, line_end) is None:
        return None
    return _TITLE.match(text)


def title_end(text: str) -> int:
    """Where the passage's title ends (0 when it has none)."""
    found = _match_title(text)
    return found.end() if found else 0


def title(text: str) -> str:
    """The passage's title line ("" when it has none)."""
    found = _match_title(text)
    return found.group(1).strip() if found else ""


_PARAGRAPH_BREAK_BEFORE = re.compile(r"(?:^|\n[ \t]*\n)\s*$")
_PARAGRAPH_BREAK_AFTER = re.compile(r"[ \t]*\n[ \t]*\n\s*\S")


def is_heading(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is an in-text heading: a paragraph of its own, followed by
    more text, that is either at most :data:`HEADING_MAX_WORDS` words without final
    punctuation (the term line of a glossary entry, "Replication", under its context line)
    or a question of at most :data:`QUESTION_HEADING_MAX_WORDS` words (an FAQ entry's
    question above its answer).

    A short line that a sentence introduces ("...execute the command" or "...as follows:"
    above "dpkg --list") is what the sentence shows, not a heading.
    """
    line = text[start:end].strip()
    n = len(line.split())
    if not n or _PARAGRAPH_BREAK_BEFORE.search(text, 0, start) is None:
        return False
    if _PARAGRAPH_BREAK_AFTER.match(text, end) is None:
        return False
    if line.endswith("?"):
        return n <= QUESTION_HEADING_MAX_WORDS
    return n <= HEADING_MAX_WORDS and line[-1] not in ".!?:;,\u2026" and not introduced(text, start)


def introduced(text: str, start: int) -> bool:
    """Whether the paragraph before ``start`` introduces what follows: it ends with a colon,
    or stops mid-sentence ("...execute the command"), a line of prose without final
    punctuation that no title looks like (not a context line ``A > B``, which may end in
    any word; a lower-case last word; more words than a heading has)."""
    before = text[:start].rstrip()
    if not before:
        return False
    if before.endswith(":"):
        return True
    paragraphs = re.split(r"\n[ \t]*\n", before)
    last = paragraphs[-1].strip()
    if not last or last[-1] in ".!?;,\u2026)]\"'\u201d\u2019":
        return False
    if len(paragraphs) < 2 and SECTION_SEPARATOR in last:
        return False
    words = last.split()
    return len(words) > HEADING_MAX_WORDS + 1 and words[-1][:1].islower()


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
