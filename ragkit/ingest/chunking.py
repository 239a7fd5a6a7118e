"""Token-aware chunking of loaded documents, sized for the Semantic Retrieval API.

Chunks are measured in cl100k tokens (:mod:`ragkit.tokenizers`, offline) and cut at the
strongest boundary available: a heading, then a page, a paragraph, a sentence, a line, a word.
A word is never split unless it alone exceeds the budget. Consecutive chunks of one section
share up to ``overlap_tokens`` of trailing whole sentences (or, failing that, words).

Sections and headings:
    Sections with the same heading trail (PDF pages, text before the first heading) flow into
    each other, so a chunk may run from one page onto the next. A heading is a hard boundary,
    with one exception: small adjacent sections below a shared heading (siblings, or a section
    and its sub-sections, each under half the budget) are merged into one chunk when together
    they fit in ``chunk_tokens``, so a run of short FAQ entries does not become a run of tiny
    chunks. The chunk's ``heading_path`` is then the trail the merged sections share. Sections
    under different top-level headings, and text before the first heading, are never merged.
    Definition entries (:attr:`Section.entry`: glossary terms, options) are never merged with
    their neighbours, and a section holding nothing but its heading always opens the chunk of
    its first sub-section, whose trail the chunk keeps.

Context lines:
    A chunk read alone often does not say what it is about ("The default is 5 seconds."). So
    each chunk carries a context line naming its document and section, ``Appendix M. Glossary
    > Domain``, sent in front of its text (:attr:`TextChunk.content`): the embedder, a keyword
    index and the answerer all read it; the server's ranking also lifts chunks whose line names
    the query's subject. On the PostgreSQL manual it raised nDCG@10 from 0.853 to 0.891 and
    attribution precision from 0.773 to 0.837 (held-out, ``bench/RESULTS.md``). The line is
    counted in the chunk's budget and kept to a quarter of it (outer headings are dropped
    first).
    ``ChunkingConfig(context=False)`` turns it off.

Every chunk satisfies ``chunk.text == document.text[chunk.start:chunk.end]`` and
``chunk.token_count == count_tokens(chunk.content) <= config.chunk_tokens <= config.max_tokens``.

>>> from ragkit.ingest import ChunkingConfig, chunk_document, load
>>> chunks = chunk_document(load("guide.md"), ChunkingConfig(chunk_tokens=300))  # doctest: +SKIP
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

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
from ragkit.provenance import SECTION_SEPARATOR
from ragkit.tokenizers import get_ordinary_encoder

if TYPE_CHECKING:
    from ragkit.tokenizers import OrdinaryEncoder

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
#: Sibling sections merge only while the chunk so far and the next section are each under
#: this share of the budget.
_SMALL_SHARE: Final = 0.5
#: A last chunk smaller than this share of the budget is a runt (see ``_balanced``).
_RUNT_SHARE: Final = 0.25
#: Between a chunk's context line and its text.
CONTEXT_SEPARATOR: Final = "\n\n"
#: A context line takes at most this share of a chunk's token budget.
_CONTEXT_SHARE: Final = 0.25

assert HARD_MAX_CHUNK_TOKENS < MAX_TOKENS_PER_CHUNK


@dataclass(frozen=True, slots=True)
class ChunkingConfig:
    """How to size chunks, in cl100k tokens.

    Attributes:
        chunk_tokens: Target and upper bound for a chunk's size, context line included
            (default 200: the default local embedder reads only 256 word pieces, about 200
            cl100k tokens, so longer chunks are embedded by their start alone).
        overlap_tokens: Up to this many tokens of the previous chunk's end are repeated at the
            start of the next chunk of the same section (default 50; 0 disables overlap).
        max_tokens: Hard ceiling every chunk is checked against before it is returned
            (default :data:`HARD_MAX_CHUNK_TOKENS`).
        context: Start every chunk with a context line naming its document and section
            (default ``True``; see the module docstring).

    Raises:
        ChunkingConfigError: On construction, if ``overlap_tokens >= chunk_tokens``,
            ``chunk_tokens > max_tokens``, ``max_tokens > HARD_MAX_CHUNK_TOKENS``,
            ``chunk_tokens < MIN_CHUNK_TOKENS`` or ``overlap_tokens < 0``.
    """

    chunk_tokens: int = 200
    overlap_tokens: int = 50
    max_tokens: int = HARD_MAX_CHUNK_TOKENS
    context: bool = True

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
        token_count: cl100k tokens in :attr:`content` (what ``ragkit.tokenizers.count_tokens``
            says).
        heading_path: Heading trail of the section(s) the chunk comes from, outermost first.
        page_start: First page the chunk covers (1-based), ``None`` for unpaged documents.
        page_end: Last page the chunk covers (1-based), ``None`` for unpaged documents.
        start: Offset of the chunk's first character in the document text.
        end: Offset just past the chunk's last character.
        context: The chunk's context line (``"Guide > Install"``), or ``""`` for none.
    """

    text: str
    index: int
    token_count: int
    heading_path: tuple[str, ...]
    page_start: int | None
    page_end: int | None
    start: int
    end: int
    context: str = ""

    @property
    def content(self) -> str:
        """What is sent as the chunk's data: the context line, a blank line, the text."""
        return f"{self.context}{CONTEXT_SEPARATOR}{self.text}" if self.context else self.text


def chunk_document(
    document: LoadedDocument, config: ChunkingConfig | None = None
) -> list[TextChunk]:
    """Split ``document`` into chunks of at most ``config.chunk_tokens`` tokens.

    Raises:
        ChunkingError: A chunk came out above ``config.max_tokens`` (never expected; raised
            rather than returning a chunk the API would reject).
    """
    return _chunk_sections(
        document.text,
        document.sections,
        config or ChunkingConfig(),
        str(document.path),
        document.title,
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
    return _chunk_sections(text, sections, config or ChunkingConfig(), "<text>", "")


class _Contexts:
    """The context lines of one document's chunks and their token cost, per heading trail."""

    def __init__(self, title: str, config: ChunkingConfig, encoder: OrdinaryEncoder) -> None:
        self._title = " ".join(title.split())
        self._enabled = config.context
        self._limit = int(config.chunk_tokens * _CONTEXT_SHARE)
        self._encoder = encoder
        self._lines: dict[tuple[str, ...], tuple[str, int]] = {}

    def get(self, heading_path: tuple[str, ...]) -> tuple[str, int]:
        """The context line for a chunk under ``heading_path`` (``""`` for none) and the
        tokens it adds to the chunk with its separator."""
        found = self._lines.get(heading_path)
        if found is None:
            found = self._lines[heading_path] = self._build(heading_path)
        return found

    def cost(self, heading_path: tuple[str, ...]) -> int:
        """Tokens the context line and its separator add to a chunk under ``heading_path``."""
        return self.get(heading_path)[1]

    def _build(self, heading_path: tuple[str, ...]) -> tuple[str, int]:
        if not self._enabled:
            return "", 0
        parts = list(heading_path)
        if self._title and (not parts or parts[0] != self._title):
            parts.insert(0, self._title)
        while parts:
            line = SECTION_SEPARATOR.join(parts)
            cost = self._encoder.count(line + CONTEXT_SEPARATOR)
            if cost <= self._limit:
                return line, cost
            parts.pop(0)  # the innermost headings say most about the chunk
        return "", 0


def _chunk_sections(
    text: str, sections: Sequence[Section], config: ChunkingConfig, label: str, title: str
) -> list[TextChunk]:
    if not sections:
        return []
    encoder = get_ordinary_encoder("cl100k_base")
    index = TokenIndex(text, encoder, sections[0].start, sections[-1].end)
    contexts = _Contexts(title, config, encoder)
    chunks: list[TextChunk] = []
    for group in _group_sections(sections, index, config, contexts):
        group_starts = [section.start for section in group]
        budget = config.chunk_tokens - max(contexts.cost(s.heading_path) for s in group)
        for start, end, tokens in _balanced(group, index, budget, config.overlap_tokens):
            if len(group) > 1:
                first = max(bisect.bisect_right(group_starts, start) - 1, 0)
                covered = group[first : bisect.bisect_left(group_starts, end, lo=first + 1)]
            else:
                covered = group
            chunk = _make_chunk(text, covered, start, end, tokens, len(chunks), contexts)
            if chunk.token_count > config.max_tokens:
                raise ChunkingError(
                    f"{label}: chunk at {start}:{end} has {chunk.token_count} tokens, "
                    f"over max_tokens={config.max_tokens}"
                )
            chunks.append(chunk)
    return chunks


def _group_sections(
    sections: Sequence[Section], index: TokenIndex, config: ChunkingConfig, contexts: _Contexts
) -> list[list[Section]]:
    groups: list[list[Section]] = []
    for section in sections:
        if groups and _joins(groups[-1], section, index, config, contexts):
            groups[-1].append(section)
        else:
            groups.append([section])
    return groups


def _joins(
    group: list[Section],
    section: Section,
    index: TokenIndex,
    config: ChunkingConfig,
    contexts: _Contexts,
) -> bool:
    last = group[-1]
    if section.heading_path == last.heading_path and section.page_start is not None:
        return last.page_end is not None  # consecutive pages: no heading between them
    if len(group) == 1 and _heading_only(last) and _below(section, last):
        return True  # a bare heading opens its first sub-section's chunk, never one of its own
    if section.entry or last.entry:
        return False  # a definition entry is a retrieval unit of its own
    # Small sections merge only below a shared heading, which becomes the chunk's trail.
    first = group[0].heading_path
    if not first or not section.heading_path or first[0] != section.heading_path[0]:
        return False
    start = group[0].start
    budget = config.chunk_tokens - max(
        contexts.cost(group[0].heading_path), contexts.cost(section.heading_path)
    )
    if index.token_at(section.end) - index.token_at(start) > budget + 1:
        return False
    small = budget * _SMALL_SHARE
    if index.count(start, last.end) > small or index.count(section.start, section.end) > small:
        return False  # sections of substance keep a chunk (and a context line) of their own
    return index.count(start, section.end) <= budget


def _heading_only(section: Section) -> bool:
    """Whether the section holds nothing but its heading line."""
    if not section.heading_path:
        return False
    return " ".join(section.text.lstrip("#").split()) == section.heading_path[-1]


def _below(section: Section, parent: Section) -> bool:
    depth = len(parent.heading_path)
    return len(section.heading_path) > depth and section.heading_path[:depth] == parent.heading_path


def _balanced(
    group: list[Section], index: TokenIndex, budget: int, overlap_tokens: int
) -> list[tuple[int, int, int]]:
    """The group's chunks, without a runt at the end when the last two can share the text.

    Filling every chunk to the budget can leave a tail of a few words (6 tokens after six
    full chunks), which ranks well on any query matching those words while saying little.
    Then the text of the last two chunks is cut again into two chunks of about half its size.
    """
    chunks = list(_chunk_group(group, index, budget, overlap_tokens, budget))
    if len(chunks) < 2 or chunks[-1][2] >= budget * _RUNT_SHARE:
        return chunks
    start = chunks[-2][0]
    half = -(-index.count(start, group[-1].end) // 2) + overlap_tokens
    tail = list(_chunk_group(group, index, budget, overlap_tokens, min(budget, half), start))
    covered = chunks[-3][1] if len(chunks) > 2 else start
    if len(tail) == 2 and tail[0][1] > covered and min(tail[0][2], tail[1][2]) > chunks[-1][2]:
        return chunks[:-2] + tail
    return chunks


def _chunk_group(
    group: list[Section],
    index: TokenIndex,
    budget: int,
    overlap_tokens: int,
    target: int,
    start: int | None = None,
) -> Iterator[tuple[int, int, int]]:
    """Yield ``(start, end, token_count)`` for each chunk of one group of sections (from
    ``start``, by default the group's start), each at most ``budget`` tokens and cut near
    ``target`` tokens."""
    text = index.text
    group_end = group[-1].end
    pos = floor = group[0].start if start is None else start
    section_ends = [section.end for section in group[:-1] if section.end > pos]
    end_token = index.token_at(group_end)
    while True:
        found = _fit_end(index, pos, floor, (group_end, end_token), section_ends, (target, budget))
        if found is None:
            # The overlap left no room for the next word: start this chunk afresh instead.
            pos = floor = skip_space(text, floor, group_end)
            continue
        end, tokens = found
        yield pos, end, tokens
        following = skip_space(text, end, group_end)
        if following >= group_end:
            return
        overlap = _overlap_start(index, pos, end, overlap_tokens)
        pos, floor = (overlap, end) if overlap is not None else (following, following)


def _fit_end(
    index: TokenIndex,
    pos: int,
    floor: int,
    group_end: tuple[int, int],
    section_ends: Sequence[int],
    sizes: tuple[int, int],
) -> tuple[int, int] | None:
    """The chunk end for a chunk starting at ``pos`` and its exact token count.

    ``group_end`` is the group's end offset and the index of the token there; ``sizes`` the
    size to aim at and the budget never to exceed (the rest of the group is taken whole when
    it fits the budget). ``None`` means no word boundary fits beyond ``floor`` (only possible
    when ``floor > pos``, i.e. the chunk opens with overlap).
    """
    target, budget = sizes
    end_offset, end_token = group_end
    pos_token = index.token_at(pos)
    if end_token - pos_token <= budget + 1:
        tokens = index.count(pos, end_offset)
        if tokens <= budget:
            return end_offset, tokens
    allowance = target
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
    text: str,
    covered: list[Section],
    start: int,
    end: int,
    tokens: int,
    number: int,
    contexts: _Contexts,
) -> TextChunk:
    if len(covered) > 1 and _heading_only(covered[0]):
        covered = covered[1:]  # the chunk is about the sub-section its bare heading opens
    if len(covered) == 1:
        only = covered[0]
        heading_path, page_start, page_end = only.heading_path, only.page_start, only.page_end
    else:
        heading_path = _common_prefix([s.heading_path for s in covered])
        pages = [p for s in covered for p in (s.page_start, s.page_end) if p is not None]
        page_start, page_end = (min(pages), max(pages)) if pages else (None, None)
    body = text[start:end]
    context, cost = contexts.get(heading_path)
    if context:
        if body.startswith(context):
            context = ""  # the chunk opens with that very line already
        else:
            tokens += cost
    return TextChunk(body, number, tokens, heading_path, page_start, page_end, start, end, context)


def _common_prefix(paths: list[tuple[str, ...]]) -> tuple[str, ...]:
    prefix = paths[0]
    for path in paths[1:]:
        size = 0
        while size < min(len(prefix), len(path)) and prefix[size] == path[size]:
            size += 1
        prefix = prefix[:size]
    return prefix
