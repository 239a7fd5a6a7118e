"""Where to end a chunk: the best text boundary inside a window of candidate end positions.

Boundaries, strongest first: the end of a section (a page, or a merged heading section), a
blank line (paragraph; the loaders make whitespace-only lines empty), the end of a sentence,
the end of a line, the end of a word. The strongest boundary found in the window wins, and the
latest one of that kind; a word boundary may fall anywhere after the chunk start, the stronger
ones only past a minimum fill so a chunk is not cut to a sliver just to end on a paragraph.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence

__all__ = ["find_end", "sentence_starts", "skip_space", "strip_end", "word_starts"]

# A sentence ends at terminal punctuation plus closing quotes/brackets, followed by whitespace
# (CJK full stops need none). Ends are found backwards with str.rfind per terminal, starts with
# a pattern that opens on a character set (scanned for in C); both check the whitespace after.
_CJK_STOPS = "\u3002\uff01\uff1f"
_WIDE_TERMINALS = "\u2026\u3002\uff01\uff1f"
_CLOSERS = "\"'\u201d\u2019)]\u00bb"
# A sentence or paragraph start: after a sentence end or a blank line, and whitespace.
_SENTENCE_START = re.compile(
    r"[.!?\u2026\u3002\uff01\uff1f\n][.!?\u2026\"'\u201d\u2019)\]\u00bb]*(\s*)(?=\S)"
)
_NON_SPACE = re.compile(r"\S")
_WORD_START = re.compile(r"(?<=\s)\S")
#: How far before a window to look for the punctuation that ends the previous sentence.
_LOOKBACK = 8


def strip_end(text: str, end: int, floor: int) -> int:
    """Move ``end`` left past whitespace, not below ``floor``."""
    while end > floor and text[end - 1].isspace():
        end -= 1
    return end


def skip_space(text: str, pos: int, end: int) -> int:
    """Move ``pos`` right past whitespace, not beyond ``end``."""
    if pos + 1 < end:  # most gaps are one character: skip the regex call
        if not text[pos].isspace():
            return pos
        if not text[pos + 1].isspace():
            return pos + 1
    found = _NON_SPACE.search(text, pos, end)
    return found.start() if found is not None else max(pos, end)


def find_end(
    text: str, floor: int, fill: int, limit: int, section_ends: Sequence[int]
) -> int | None:
    """Return the best chunk end in ``(floor, limit]`` or ``None`` if no word boundary exists.

    Args:
        text: The whole document text.
        floor: The end must lie beyond this offset (the chunk start, or the previous chunk's end
            when the chunk opens with overlap).
        fill: Stronger-than-word boundaries are only taken at or beyond this offset.
        limit: The furthest allowed end (the character where the token budget runs out).
        section_ends: Sorted ends of the sections inside the current group, except the last.
    """
    fill = max(fill, floor + 1)
    if fill <= limit:
        i = bisect.bisect_right(section_ends, limit)
        if i and section_ends[i - 1] >= fill:
            return section_ends[i - 1]
        paragraph = text.rfind("\n\n", fill, limit + 2)
        if paragraph >= 0 and (end := strip_end(text, paragraph, floor)) > floor:
            return end
        sentence = _last_sentence(text, fill, limit)
        if sentence >= 0 and (end := strip_end(text, sentence, floor)) > floor:
            return end
        line = text.rfind("\n", fill, limit + 1)
        if line >= 0 and (end := strip_end(text, line, floor)) > floor:
            return end
    space = max(
        text.rfind(" ", floor + 1, limit + 1),
        text.rfind("\n", floor + 1, limit + 1),
        text.rfind("\t", floor + 1, limit + 1),
    )
    if space > floor and (end := strip_end(text, space, floor)) > floor:
        return end
    return None


def sentence_starts(text: str, lo: int, end: int) -> Iterator[int]:
    """Starts of the sentences and paragraphs beginning in ``[lo, end)``, in order."""
    for match in _SENTENCE_START.finditer(text, max(0, lo - _LOOKBACK), end):
        start = match.end()
        if start < lo or start >= end:
            continue
        lead = text[match.start()]
        if lead == "\n":
            if "\n" in match.group(1):
                yield start  # a blank line: a paragraph start
        elif match.group(1) or lead in _CJK_STOPS:
            yield start


def word_starts(text: str, lo: int, end: int) -> Iterator[int]:
    """Starts of the words beginning in ``[lo, end)``, in order."""
    for match in _WORD_START.finditer(text, lo, end):
        yield match.start()


def _last_sentence(text: str, fill: int, limit: int) -> int:
    """Offset just past the latest sentence end in ``[fill, limit]``, else -1."""
    hi = limit
    ascii_only = text[fill:limit].isascii()
    while hi > fill:
        # rfind per terminal (C speed) beats a regex pass over the whole window.
        stop = max(text.rfind(".", fill, hi), text.rfind("?", fill, hi), text.rfind("!", fill, hi))
        if not ascii_only:
            stop = max(stop, *(text.rfind(char, fill, hi) for char in _WIDE_TERMINALS))
        if stop < 0:
            return -1
        end = stop + 1
        if text[stop] in _CJK_STOPS:
            return end
        while end < limit and text[end] in _CLOSERS:
            end += 1
        if end <= limit and end < len(text) and text[end].isspace():
            return end
        hi = stop
    return -1
