"""Ask File Search stores, and read the answer with numbered citations.

:func:`ask_stores` calls ``generateContent`` with the ``fileSearch`` tool;
:func:`file_search_answer` turns any such response into a :class:`FileSearchAnswer`: the
text, the text with ``[n]`` markers after each grounded segment, and the numbered
sources (retrieved chunks) behind them::

    response = client.models.generate_content(
        "gemini-2.5-flash",
        contents="How do I reset the device?",
        tools=[file_search_tool(["fileSearchStores/handbook-123"], top_k=5)],
    )
    print(file_search_answer(response).format())

Sources are numbered in the order the answer first cites them. ``groundingSupports``
segments are UTF-8 byte offsets into the answer's text part, as Google documents them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ragkit import limits
from ragkit._exceptions import LimitError
from ragkit.types import (
    Candidate,
    Content,
    FileSearch,
    GenerateContentResponse,
    GroundingChunk,
    GroundingMetadata,
    GroundingSupport,
    Part,
    Tool,
)

if TYPE_CHECKING:
    from ragkit._client import AsyncClient, Client

__all__ = [
    "DEFAULT_MODEL",
    "FileSearchAnswer",
    "FileSearchSource",
    "aask_stores",
    "ask_stores",
    "file_search_answer",
    "file_search_tool",
    "joined_stream",
]

#: The model ``ask_stores`` names: on ``ragkit serve`` it resolves to the configured
#: upstream model, or to the local answer composer without one.
DEFAULT_MODEL = "gemini-2.5-flash"


@dataclass(frozen=True)
class FileSearchSource:
    """A retrieved chunk an answer rests on.

    Attributes:
        number: 1-based, in order of first citation (uncited chunks come last).
        title: the document's title (usually its file name).
        store: the File Search store it came from.
        text: the chunk's text.
        uri: the source's URI, when the server gives one.
        cited: whether a grounding support of the answer points at it.
    """

    number: int
    title: str | None
    store: str | None
    text: str
    uri: str | None = None
    cited: bool = True

    def format(self) -> str:
        """``"[1] manual.md (fileSearchStores/handbook-123)"``."""
        where = f" ({self.store})" if self.store else ""
        return f"[{self.number}] {self.title or self.uri or 'untitled'}{where}"


@dataclass(frozen=True)
class FileSearchAnswer:
    """An answer from File Search stores.

    Attributes:
        text: the answer as the model wrote it.
        cited_text: the answer with ``[n]`` after each segment the sources support.
        sources: the cited chunks, numbered; when the response has no grounding supports,
            every retrieved chunk (``cited`` false).
        grounding_metadata: the response's own, for anything else.
    """

    text: str
    cited_text: str
    sources: list[FileSearchSource] = field(default_factory=list)
    grounding_metadata: GroundingMetadata | None = None

    def format(self, *, quote_width: int = 160) -> str:
        """The cited answer, a blank line, then one line per source with its quote."""
        sources = self.format_sources(quote_width=quote_width)
        return f"{self.cited_text}\n\n{sources}" if sources else self.cited_text

    def format_sources(self, *, quote_width: int = 160) -> str:
        """One ``[n] title (store)`` line per source, each followed by its quoted text."""
        lines: list[str] = []
        for source in self.sources:
            lines.append(source.format())
            quote = " ".join(source.text.split())
            if quote:
                cut = quote if len(quote) <= quote_width else quote[: quote_width - 1] + "…"
                lines.append(f'    "{cut}"')
        return "\n".join(lines)


def file_search_tool(
    stores: str | Sequence[str], *, top_k: int | None = None, metadata_filter: str | None = None
) -> Tool:
    """The ``fileSearch`` tool over ``stores`` (full names or bare IDs).

    ``metadata_filter`` is Google's AIP-160 syntax: ``year >= 2020 AND author = "Ada"``.

    Raises:
        LimitError: ``top_k`` outside 1..``MAX_FILE_SEARCH_TOP_K``.
        ResourceNameError: a malformed store name.
    """
    from ragkit.names import file_search_store_name

    if top_k is not None and not 1 <= top_k <= limits.MAX_FILE_SEARCH_TOP_K:
        raise LimitError(
            f"top_k must be between 1 and MAX_FILE_SEARCH_TOP_K={limits.MAX_FILE_SEARCH_TOP_K}, "
            f"got {top_k}"
        )
    names = [stores] if isinstance(stores, str) else list(stores)
    if not names:
        raise ValueError("name at least one File Search store")
    return Tool(
        file_search=FileSearch(
            file_search_store_names=[file_search_store_name(name) for name in names],
            top_k=top_k,
            metadata_filter=metadata_filter,
        )
    )


def file_search_answer(
    response: GenerateContentResponse | Iterable[GenerateContentResponse],
) -> FileSearchAnswer:
    """The first candidate's answer with its sources numbered (see the module doc).

    A streamed answer works too: pass its chunks (``list(stream)``, or a list of the
    chunks of an async stream); their text is joined, and the grounding metadata is the
    one the last chunk carries, with offsets into the whole text, as Google streams it.
    """
    if not isinstance(response, GenerateContentResponse):
        response = joined_stream(response)
    candidate = response.candidates[0] if response.candidates else None
    parts = candidate.content.parts if candidate and candidate.content else None
    texts = [part.text or "" for part in parts or () if part.text and not part.thought]
    metadata = candidate.grounding_metadata if candidate else None
    chunks = metadata.grounding_chunks or [] if metadata else []
    supports = metadata.grounding_supports or [] if metadata else []
    numbers = _numbers(supports, len(chunks))
    sources = [
        _source(numbers[index], chunks[index], cited=True)
        for index in sorted(numbers, key=numbers.__getitem__)
    ]
    if not supports:
        sources = [_source(i + 1, chunk, cited=False) for i, chunk in enumerate(chunks)]
    cited = [_mark(text, part, supports, numbers) for part, text in enumerate(texts)]
    return FileSearchAnswer(
        text="".join(texts),
        cited_text="".join(cited),
        sources=sources,
        grounding_metadata=metadata,
    )


def ask_stores(
    client: Client,
    stores: str | Sequence[str],
    question: str,
    *,
    model: str = DEFAULT_MODEL,
    top_k: int | None = None,
    metadata_filter: str | None = None,
) -> FileSearchAnswer:
    """Answer ``question`` from ``stores`` with ``generateContent`` and the ``fileSearch``
    tool.

    Raises:
        BadRequestError: a malformed ``metadata_filter`` or ``top_k`` out of range.
        PermissionDeniedError: a store that does not exist or that the caller cannot read.
    """
    tool = file_search_tool(stores, top_k=top_k, metadata_filter=metadata_filter)
    response = client.models.generate_content(model, contents=question, tools=[tool])
    return file_search_answer(response)


async def aask_stores(
    client: AsyncClient,
    stores: str | Sequence[str],
    question: str,
    *,
    model: str = DEFAULT_MODEL,
    top_k: int | None = None,
    metadata_filter: str | None = None,
) -> FileSearchAnswer:
    """:func:`ask_stores` for :class:`ragkit.AsyncClient`."""
    tool = file_search_tool(stores, top_k=top_k, metadata_filter=metadata_filter)
    response = await client.models.generate_content(model, contents=question, tools=[tool])
    return file_search_answer(response)


def joined_stream(chunks: Iterable[GenerateContentResponse]) -> GenerateContentResponse:
    """One response from the chunks of ``streamGenerateContent``: the first candidate's
    text joined, with the last grounding metadata any chunk carried."""
    texts: list[str] = []
    metadata: GroundingMetadata | None = None
    for chunk in chunks:
        candidate = chunk.candidates[0] if chunk.candidates else None
        if candidate is None:
            continue
        parts = candidate.content.parts if candidate.content else None
        texts.extend(part.text for part in parts or () if part.text and not part.thought)
        metadata = candidate.grounding_metadata or metadata
    content = Content(role="model", parts=[Part(text="".join(texts))])
    return GenerateContentResponse(
        candidates=[Candidate(content=content, grounding_metadata=metadata)]
    )


def _numbers(supports: Sequence[GroundingSupport], chunk_count: int) -> dict[int, int]:
    """Chunk index -> citation number, in order of first citation along the text."""

    def position(support: GroundingSupport) -> tuple[int, int]:
        segment = support.segment
        if segment is None:
            return (0, 0)
        return (segment.part_index or 0, segment.start_index or 0)

    numbers: dict[int, int] = {}
    for support in sorted(supports, key=position):
        for index in support.grounding_chunk_indices or ():
            if 0 <= index < chunk_count and index not in numbers:
                numbers[index] = len(numbers) + 1
    return numbers


def _source(number: int, chunk: GroundingChunk, *, cited: bool) -> FileSearchSource:
    context = chunk.retrieved_context
    if context is None:  # a web chunk (Google Search grounding)
        web = chunk.web
        return FileSearchSource(
            number=number,
            title=web.title if web else None,
            store=None,
            text="",
            uri=web.uri if web else None,
            cited=cited,
        )
    return FileSearchSource(
        number=number,
        title=context.title,
        store=context.file_search_store,
        text=context.text or "",
        uri=context.uri,
        cited=cited,
    )


def _mark(
    text: str, part: int, supports: Sequence[GroundingSupport], numbers: dict[int, int]
) -> str:
    """``text`` with `` [n]`` markers inserted at the end of each supported segment."""
    data = text.encode("utf-8")
    inserts: dict[int, list[int]] = {}
    for support in supports:
        segment = support.segment
        if segment is None or (segment.part_index or 0) != part:
            continue
        end = segment.end_index if segment.end_index is not None else len(data)
        if not 0 <= end <= len(data):
            continue
        cited = [numbers[i] for i in support.grounding_chunk_indices or () if i in numbers]
        marks = inserts.setdefault(end, [])
        marks.extend(n for n in cited if n not in marks)
    pieces: list[bytes] = []
    start = 0
    for end in sorted(inserts):
        if not inserts[end]:
            continue
        pieces.append(data[start:end])
        pieces.append((" " + "".join(f"[{n}]" for n in sorted(inserts[end]))).encode())
        start = end
    pieces.append(data[start:])
    # A byte offset inside a multi-byte character would split it: decode leniently.
    return b"".join(pieces).decode("utf-8", errors="replace")
