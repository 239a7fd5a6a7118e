"""Split passage text into sentences and clauses, as character offsets into the original.

Offsets (not copies) are returned so that anything built from them quotes the passage
verbatim. The splitter handles the cases that trip naive ``". "`` splitting:

* abbreviations and initials (``Dr. Smith``, ``e.g. this``, ``J. R. R. Tolkien``);
* decimals, versions and dotted names (``3.14``, ``v1.2``, ``example.com``);
* bullets and numbered items (``- item``, ``• item``, ``1. item``, ``(a) item``): each item is
  its own sentence and the marker is left out;
* line structure: blank lines, headings (short lines without final punctuation) and lines
  ending with ``:`` end a sentence, while wrapped prose lines are joined.

Example::

    text = "Dr. Smith paid $3.50. It rained.\\n- first item\\n- second item"
    [text[a:b] for a, b in split_sentences(text)]
    # ['Dr. Smith paid $3.50.', 'It rained.', 'first item', 'second item']
"""

from __future__ import annotations

import re

from ragkit.server.models.lexical import STOPWORDS, wordset

__all__ = ["split_clauses", "split_sentences", "word_spans"]

Span = tuple[int, int]

_ABBREVIATIONS = wordset("""
    mr mrs ms dr prof sr jr st mt ft vs etc al inc ltd co corp dept univ est approx
    fig figs eq eqs no nos vol vols pp p ch sec art ed eds rev gen col lt sgt capt cmdr
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
    e.g i.e cf viz ca resp a.m p.m u.s u.k u.n ph.d b.a m.a b.sc m.sc
    """)
_BULLET = re.compile(
    r"[ \t]*(?:[-*+\u2022\u2023\u25aa\u25e6\u00b7\u2013\u2014]"  # dashes and bullet glyphs
    r"|\(?\d{1,3}[.)]|\(?[a-z][.)]|\([ivx]{1,4}\))"  # "1." "2)" "a)" "(iv)"
    r"[ \t]+"
)
_BOUNDARY = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s+)")
_TERMINAL = re.compile(r"[.!?\u2026:;,]+[\"'\u201d\u2019)\]]*\s*$")
_CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+[\u2014\u2013-]\s+")
_WORD = re.compile(r"\S+")
# A line this short with no final punctuation is taken for a heading or a list entry.
_HEADING_MAX_WORDS = 8


def split_sentences(text: str) -> list[Span]:
    """Return ``(start, end)`` offsets of the sentences in ``text``, in order.

    Each span is stripped of surrounding whitespace and of a leading bullet marker, so
    ``text[start:end]`` is the sentence exactly as written (it may contain a line break
    when prose was wrapped).
    """
    spans: list[Span] = []
    for start, end in _blocks(text):
        spans.extend(_split_block(text, start, end))
    return spans


def split_clauses(text: str, start: int, end: int) -> list[Span]:
    """Split ``text[start:end]`` at commas, semicolons, colons and spaced dashes.

    Each clause keeps its trailing punctuation, so joining neighbouring clause spans
    gives back a verbatim substring.
    """
    clauses: list[Span] = []
    position = start
    for match in _CLAUSE_BREAK.finditer(text, start, end):
        cut = match.start() + len(match.group().rstrip(" \t\n\u2014\u2013-"))
        if cut > position:
            clauses.append((position, cut))
        position = match.end()
    if position < end:
        clauses.append((position, end))
    return [_strip(text, a, b) for a, b in clauses if text[a:b].strip()]


def word_spans(text: str, start: int, end: int) -> list[Span]:
    """Offsets of the whitespace-separated words of ``text[start:end]``."""
    return [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]


def _lines(text: str) -> list[Span]:
    spans: list[Span] = []
    position = 0
    for line in text.splitlines(keepends=True):
        spans.append((position, position + len(line.rstrip("\r\n"))))
        position += len(line)
    return spans


def _blocks(text: str) -> list[Span]:
    """Group lines into blocks that sentences never cross."""
    blocks: list[Span] = []
    current: Span | None = None
    for start, end in _lines(text):
        line = text[start:end]
        if not line.strip():
            if current is not None:
                blocks.append(current)
            current = None
            continue
        if current is not None and _breaks_before(text[current[0] : current[1]], line):
            blocks.append(current)
            current = None
        current = (start, end) if current is None else (current[0], end)
    if current is not None:
        blocks.append(current)
    return blocks


def _breaks_before(previous: str, line: str) -> bool:
    if _BULLET.match(line):
        return True
    last_line = previous.rsplit("\n", 1)[-1].rstrip()
    if last_line.endswith(":"):
        return True
    if _TERMINAL.search(last_line) or line.lstrip()[:1].islower():
        return False
    # A heading neither ends in a function word nor runs on after a comma in lower case:
    # "The pool directory contains the actual packages, see" wraps on to "Section 6.10".
    last_word = last_line.rsplit(None, 1)[-1] if last_line.strip() else ""
    if last_word.islower() and (last_word.strip("\"'([") in STOPWORDS or "," in last_line):
        return False
    return len(last_line.split()) <= _HEADING_MAX_WORDS


def _split_block(text: str, start: int, end: int) -> list[Span]:
    marker = _BULLET.match(text, start, end)
    if marker:
        start = marker.end()
    spans: list[Span] = []
    position = start
    for match in _BOUNDARY.finditer(text, start, end):
        if _is_boundary(text, position, match.start(), match.end(), end):
            spans.append((position, match.end()))
            position = match.end()
    spans.append((position, end))
    return [_strip(text, a, b) for a, b in spans if text[a:b].strip()]


def _is_boundary(
    text: str, sentence_start: int, punct_start: int, punct_end: int, end: int
) -> bool:
    following = text[punct_end:end].lstrip()
    if not following:
        return True
    if following[0].islower():
        return False
    if text[punct_start] != ".":
        return True
    # Whitespace alone before the dot (" . Next") has no last word.
    words = text[sentence_start:punct_start].rsplit(None, 1)
    word = words[-1] if words else ""
    word = word.lstrip("\"'\u201c\u2018([").lower()
    if word in _ABBREVIATIONS:
        return False
    # Initials ("J. Smith") and dotted abbreviations ("U.S.") are single letters between dots.
    return not (word and all(len(part) == 1 and part.isalpha() for part in word.split(".")))


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
