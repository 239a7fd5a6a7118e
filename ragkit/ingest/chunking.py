"""Token-aware chunking of loaded documents, sized for the Semantic Retrieval API.

Chunks are measured in cl100k tokens (:mod:`ragkit.tokenizers`, offline) and cut at the
strongest boundary available: a heading, then a page, a paragraph, a sentence, a line, a word.
A word is never split unless it alone exceeds the budget. Consecutive chunks of one section
share up to ``overlap_tokens`` of trailing whole sentences (or, failing that, words).

Sections and headings:
    Sections with the same heading trail (PDF pages, text before the first heading) flow into
    each other, so a chunk may run from one page onto the next. A heading is a hard boundary,
    with one exception: small adjacent sections below a shared heading (siblings, or a section
    and its sub-sections) are merged into one chunk when together they fit in
    ``chunk_tokens``, so a run of short FAQ entries does not become a run of tiny chunks. The
    chunk's ``heading_path`` is then the trail the merged sections share. Sections under
    different top-level headings, and text before the first heading, are never merged.

Every chunk satisfies ``chunk.text == document.text[chunk.start:chunk.end]`` and
``chunk.token_count == count_tokens(chunk.text) <= config.chunk_tokens <= config.max_tokens``.

>>> from ragkit.ingest import ChunkingConfig, chunk_document, load
>>> chunks = chunk_document(load("guide.md"), ChunkingConfig(chunk_tokens=300))  # doctest: +SKIP
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from ragkit.ingest._breaks import (
    find_end,
    sentence_starts,
    skip_space,
    strip_end,
    word_starts,
)
from ragkit.ingest._token_index import TokenIndex
from ragkit.ingest.document import LoadedDocument, Section
from ragkit.ingest.errors import ChunkingConfigError, ChunkingError
from ragkit.limits import MAX_TOKENS_PER_CHUNK
from ragkit.tokenizers import get_encoding

__all__ = [
    "HARD_MAX_CHUNK_TOKENS",
    "MIN_CHUNK_TOKENS",
    "ChunkingConfig",
    "TextChunk",
    "chunk_document",
    "chunk_text",
]

#: Ceiling for any chunk, in cl100k tokens. The API rejects chunks over
#: ``MAX_TOKENS_PER_CHUNK`` (2,043) tokens as counted by Google's own tokenizer, which ragkit
#: cannot run offline. cl100k and Gemini's SentencePiece vocabulary agree closely on English
#: prose, but drift apart on code, numbers, URLs and non-Latin scripts; keeping ~12 % (243
#: tokens) in hand absorbs that drift without making chunks noticeably smaller.
HARD_MAX_CHUNK_TOKENS: Final = 1_800
#: Smallest allowed ``chunk_tokens``: one character can take up to 4 tokens (its UTF-8 bytes),
#: and a chunk must hold at least a few characters to make progress.
MIN_CHUNK_TOKENS: Final = 16
#: Boundaries stronger than a word are only used once a chunk holds this share of its budget.
_MIN_FILL: Final = 0.5
#: Sentence-aligned overlap is used only if it carries at least this share of the overlap budget.
_MIN_SENTENCE_OVERLAP: Final = 0.5

assert HARD_MAX_CHUNK_TOKENS < MAX_TOKENS_PER_CHUNK


@dataclass(frozen=True, slots=True)
class ChunkingConfig:
    """How to size chunks, in cl100k tokens.

    Attributes:
        chunk_tokens: Target and upper bound for a chunk's size (default 400).
        overlap_tokens: Up to this many tokens of the previous chunk's end are repeated at the
            start of the next chunk of the same section (default 50; 0 disables overlap).
        max_tokens: Hard ceiling every chunk is checked against before it is returned
            (default :data:`HARD_MAX_CHUNK_TOKENS`).

    Raises:
        ChunkingConfigError: On construction, if ``overlap_tokens >= chunk_tokens``,
            ``chunk_tokens > max_tokens``, ``max_tokens > HARD_MAX_CHUNK_TOKENS``,
            ``chunk_tokens < MIN_CHUNK_TOKENS`` or ``overlap_tokens < 0``.
    """

    chunk_tokens: int = 400
    overlap_tokens: int = 50
    max_tokens: int = HARD_MAX_CHUNK_TOKENS

    def __post_init__(self) -> None:
        if self.max_tokens > HARD_MAX_CHUNK_TOKENS:
            raise ChunkingConfigError(
                f"max_tokens={self.max_tokens} exceeds HARD_MAX_CHUNK_TOKENS="
                f"{HARD_MAX_CHUNK_TOKENS} (the API allows {MAX_TOKENS_PER_CHUNK} tokens per "
                "chunk by its own tokenizer; the rest is a safety margin)"
            )
        if self.chunk_tokens > self.max_tokens:
            raise ChunkingConfigError(
                f"chunk_tokens={self.chunk_tokens} exceeds max_tokens={self.max_tokens}"
            )
        if self.chunk_tokens < MIN_CHUNK_TOKENS:
            raise ChunkingConfigError(
                f"chunk_tokens={self.chunk_tokens} is below the minimum of {MIN_CHUNK_TOKENS}"
            )
        if self.overlap_tokens < 0:
            raise ChunkingConfigError(f"overlap_tokens={self.overlap_tokens} is negative")
        if self.overlap_tokens >= self.chunk_tokens:
            raise ChunkingConfigError(
                f"overlap_tokens={self.overlap_tokens} must be smaller than "
                f"chunk_tokens={self.chunk_tokens}"
            )


@dataclass(frozen=True, slots=True)
class TextChunk:
    """One chunk of a document.

    Attributes:
        text: The chunk's text, exactly ``document.text[start:end]``.
        index: Position of the chunk in the document, from 0.
        token_count: cl100k tokens in ``text`` (what ``ragkit.tokenizers.count_tokens`` says).
        heading_path: Heading trail of the section(s) the chunk comes from, outermost first.
        page_start: First page the chunk covers (1-based), ``None`` for unpaged documents.
        page_end: Last page the chunk covers (1-based), ``None`` for unpaged documents.
        start: Offset of the chunk's first character in the document text.
        end: Offset just past the chunk's last character.
    """

    text: str
    index: int
    token_count: int
    heading_path: tuple[str, ...]
    page_start: int | None
    page_end: int | None
    start: int
    end: int


def chunk_document(
    document: LoadedDocument, config: ChunkingConfig | None = None
) -> list[TextChunk]:
    """Split ``document`` into chunks of at most ``config.chunk_tokens`` tokens.

    Raises:
        ChunkingError: A chunk came out above ``config.max_tokens`` (never expected; raised
            rather than returning a chunk the API would reject).
    """
    return _chunk_sections(
        document.text, document.sections, config or ChunkingConfig(), str(document.path)
    )


def chunk_text(text: str, config: ChunkingConfig | None = None) -> list[TextChunk]:
    """Chunk a plain string, as :func:`chunk_document` would a one-section text file.

    Offsets refer to ``text`` as given; unlike the loaders, no whitespace is normalised, so a
    line holding only spaces separates paragraphs only as a line break would.

    Raises:
        ChunkingError: As :func:`chunk_document`.
    """
    start = skip_space(text, 0, len(text))
    end = strip_end(text, len(text), start)
    sections = [Section(text[start:end], (), None, None, start)] if start < end else []
    return _chunk_sections(text, sections, config or ChunkingConfig(), "<text>")


def _chunk_sections(
    text: str, sections: Sequence[Section], config: ChunkingConfig, label: str
) -> list[TextChunk]:
    if not sections:
        return []
    index = TokenIndex(text, get_encoding("cl100k_base"), sections[0].start, sections[-1].end)
    chunks: list[TextChunk] = []
    for group in _group_sections(sections, index, config):
        group_starts = [section.start for section in group]
        for start, end, tokens in _chunk_group(group, index, config):
            if tokens > config.max_tokens:
                raise ChunkingError(
                    f"{label}: chunk at {start}:{end} has {tokens} tokens, "
                    f"over max_tokens={config.max_tokens}"
                )
            if len(group) > 1:
                first = max(bisect.bisect_right(group_starts, start) - 1, 0)
                covered = group[first : bisect.bisect_left(group_starts, end, lo=first + 1)]
            else:
                covered = group
            chunks.append(_make_chunk(text, covered, start, end, tokens, len(chunks)))
    return chunks


def _group_sections(
    sections: Sequence[Section], index: TokenIndex, config: ChunkingConfig
) -> list[list[Section]]:
    groups: list[list[Section]] = []
    for section in sections:
        if groups and _joins(groups[-1], section, index, config):
            groups[-1].append(section)
        else:
            groups.append([section])
    return groups


def _joins(
    group: list[Section], section: Section, index: TokenIndex, config: ChunkingConfig
) -> bool:
    last = group[-1]
    if section.heading_path == last.heading_path and section.page_start is not None:
        return last.page_end is not None  # consecutive pages: no heading between them
    # Small sections merge only below a shared heading, which becomes the chunk's trail.
    first = group[0].heading_path
    if not first or not section.heading_path or first[0] != section.heading_path[0]:
        return False
    start = group[0].start
    if index.token_at(section.end) - index.token_at(start) > config.chunk_tokens + 1:
        return False
    return index.count(start, section.end) <= config.chunk_tokens


def _chunk_group(
    group: list[Section], index: TokenIndex, config: ChunkingConfig
) -> Iterator[tuple[int, int, int]]:
    """Yield ``(start, end, token_count)`` for each chunk of one group of sections."""
    text = index.text
    group_end = group[-1].end
    section_ends = [section.end for section in group[:-1]]
    end_token = index.token_at(group_end)
    pos = floor = group[0].start
    while True:
        found = _fit_end(
            index, pos, floor, (group_end, end_token), section_ends, config.chunk_tokens
        )
        if found is None:
            # The overlap left no room for the next word: start this chunk afresh instead.
            pos = floor = skip_space(text, floor, group_end)
            continue
        end, tokens = found
        yield pos, end, tokens
        following = skip_space(text, end, group_end)
        if following >= group_end:
            return
        overlap = _overlap_start(index, pos, end, config.overlap_tokens)
        pos, floor = (overlap, end) if overlap is not None else (following, following)


def _fit_end(
    index: TokenIndex,
    pos: int,
    floor: int,
    group_end: tuple[int, int],
    section_ends: Sequence[int],
    budget: int,
) -> tuple[int, int] | None:
    """The chunk end for a chunk starting at ``pos`` and its exact token count.

    ``group_end`` is the group's end offset and the index of the token there. ``None`` means
    no word boundary fits beyond ``floor`` (only possible when ``floor > pos``, i.e. the chunk
    opens with overlap).
    """
    end_offset, end_token = group_end
    pos_token = index.token_at(pos)
    if end_token - pos_token <= budget + 1:
        tokens = index.count(pos, end_offset)
        if tokens <= budget:
            return end_offset, tokens
    allowance = budget
    while allowance > 0:
        limit = min(index.char_after(pos, allowance, pos_token), end_offset)
        fill = pos + int((limit - pos) * _MIN_FILL)
        end = find_end(index.text, floor, fill, limit, section_ends)
        if end is None:
            if floor > pos:
                return None
            end = limit  # a single word longer than the budget: cut it between tokens
        tokens = index.count(pos, end)
        if tokens <= budget:
            return end, tokens
        # Counts near the edges are estimates until measured; shrink by the overshoot.
        allowance -= tokens - budget
    raise ChunkingError(f"no chunk end within {budget} tokens at offset {pos}")


def _overlap_start(index: TokenIndex, pos: int, end: int, budget: int) -> int | None:
    """Where the next chunk starts so it repeats at most ``budget`` tokens of ``[pos, end)``.

    Whole trailing sentences are preferred when they carry at least half the budget; otherwise
    whole trailing words. ``None`` when nothing fits.
    """
    if budget <= 0:
        return None
    text = index.text
    lo = max(pos + 1, index.token_char(max(index.token_at(end) - budget, 0)))
    for start in sentence_starts(text, lo, end):
        tokens = index.count(start, end)
        if tokens <= budget:
            if tokens >= budget * _MIN_SENTENCE_OVERLAP:
                return start
            break
    for start in word_starts(text, lo, end):
        if index.count(start, end) <= budget:
            return start
    return None


def _make_chunk(
    text: str, covered: list[Section], start: int, end: int, tokens: int, number: int
) -> TextChunk:
    if len(covered) == 1:
        only = covered[0]
        heading_path, page_start, page_end = only.heading_path, only.page_start, only.page_end
    else:
        heading_path = _common_prefix([s.heading_path for s in covered])
        pages = [p for s in covered for p in (s.page_start, s.page_end) if p is not None]
        page_start, page_end = (min(pages), max(pages)) if pages else (None, None)
    return TextChunk(
        text[start:end], number, tokens, heading_path, page_start, page_end, start, end
    )


def _common_prefix(paths: list[tuple[str, ...]]) -> tuple[str, ...]:
    prefix = paths[0]
    for path in paths[1:]:
        size = 0
        while size < min(len(prefix), len(path)) and prefix[size] == path[size]:
            size += 1
        prefix = prefix[:size]
    return prefix
