"""The I/O edge of a sync: API calls as values, run with bounded concurrency.

The engine's logic (:mod:`ragkit.ingest.sync.steps`) never talks to a client. It yields a
:class:`Phase`: a list of independent :class:`Call` objects. A driver runs them, at most
``concurrency`` at a time, and sends the outcomes back: :func:`execute` uses a thread pool and
a :class:`ragkit.Client`; :func:`aexecute` uses asyncio and a :class:`ragkit.AsyncClient`. Each
call implements both ``run`` and ``arun`` as one line around the matching client method, so
the blocking and asyncio engines differ in nothing else.

Retries with backoff on 429/5xx and connection errors are the client's (``batchCreate`` is
sent with ``retry=True``, which its explicit chunk names make safe); an ``ALREADY_EXISTS`` from
a retried batch whose first attempt landed is resolved by the engine, which lists the document
and re-sends only the chunks still missing.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ragkit._client import AsyncClient, Client
from ragkit._exceptions import ConflictError, NotFoundError, PermissionDeniedError
from ragkit.ingest.sync.plan import PlannedChunk, RemoteDocument
from ragkit.limits import MAX_CHUNKS_PAGE_SIZE, MAX_DOCUMENTS_PAGE_SIZE
from ragkit.names import corpus_name
from ragkit.provenance import MetadataValue, metadata_to_dict
from ragkit.resources._common import custom_metadata
from ragkit.types import Chunk, ChunkData, Document

__all__ = [
    "Call",
    "CreateChunks",
    "CreateDocument",
    "DeleteChunks",
    "DeleteDocument",
    "EnsureCorpus",
    "FindCorpus",
    "ListChunkIds",
    "ListDocuments",
    "Phase",
    "UpdateDocument",
    "aexecute",
    "execute",
]

R = TypeVar("R")

#: How a corpus that does not exist answers ``get``: Google says PERMISSION_DENIED ("or it may
#: not exist") rather than NOT_FOUND, and ragkit's server does the same.
_MISSING = (NotFoundError, PermissionDeniedError)


class Call(ABC, Generic[R]):
    """One independent unit of work, runnable blocking or on asyncio."""

    @abstractmethod
    def run(self, client: Client) -> R:
        """Do the work with a blocking client."""

    @abstractmethod
    async def arun(self, client: AsyncClient) -> R:
        """Do the work with an asyncio client."""


@dataclass(frozen=True)
class Phase:
    """Calls that may run in any order, and a hook called as each one finishes.

    ``on_done(call, outcome)`` receives the result, or the exception the call raised.
    """

    calls: Sequence[Call[Any]]
    on_done: Callable[[Call[Any], object], None] | None = None


def execute(client: Client, pool: Executor, phase: Phase) -> list[object]:
    """Run ``phase`` on ``pool`` (whose size bounds the concurrency); outcomes in call order."""
    futures: dict[Future[Any], int] = {
        pool.submit(call.run, client): index for index, call in enumerate(phase.calls)
    }
    outcomes: list[object] = [None] * len(phase.calls)
    for future in as_completed(futures):
        index = futures[future]
        exc = future.exception()
        outcomes[index] = exc if exc is not None else future.result()
        if phase.on_done is not None:
            phase.on_done(phase.calls[index], outcomes[index])
    return outcomes


async def aexecute(client: AsyncClient, limit: asyncio.Semaphore, phase: Phase) -> list[object]:
    """Run ``phase`` on the event loop, at most ``limit`` calls at a time; outcomes in order."""

    async def one(call: Call[Any]) -> object:
        async with limit:
            try:
                outcome: object = await call.arun(client)
            except Exception as exc:  # handed to the engine, which decides what is fatal
                outcome = exc
        if phase.on_done is not None:
            phase.on_done(call, outcome)
        return outcome

    return list(await asyncio.gather(*(one(call) for call in phase.calls)))


def _remote(document: Document) -> RemoteDocument:
    return RemoteDocument(
        document_id=(document.name or "").rsplit("/", 1)[-1],
        metadata=metadata_to_dict(document.custom_metadata),
    )


def _chunks(items: Sequence[PlannedChunk]) -> list[Chunk]:
    return [
        Chunk(
            name=item.chunk_id,
            data=ChunkData(string_value=item.text),
            custom_metadata=custom_metadata(item.metadata),
        )
        for item in items
    ]


@dataclass(frozen=True)
class FindCorpus(Call[bool]):
    """Whether the corpus exists and is readable (dry runs: nothing is created)."""

    corpus: str

    def run(self, client: Client) -> bool:
        try:
            client.corpora.get(self.corpus)
        except _MISSING:
            return False
        return True

    async def arun(self, client: AsyncClient) -> bool:
        try:
            await client.corpora.get(self.corpus)
        except _MISSING:
            return False
        return True


@dataclass(frozen=True)
class EnsureCorpus(Call[bool]):
    """Create the corpus (display name = its ID) unless it exists; True if created."""

    corpus: str

    def run(self, client: Client) -> bool:
        try:
            client.corpora.get(self.corpus)
            return False
        except _MISSING:
            pass
        try:
            client.corpora.create(name=self.corpus, display_name=self._display_name)
        except ConflictError:  # created meanwhile by someone else: fine
            return False
        return True

    async def arun(self, client: AsyncClient) -> bool:
        try:
            await client.corpora.get(self.corpus)
            return False
        except _MISSING:
            pass
        try:
            await client.corpora.create(name=self.corpus, display_name=self._display_name)
        except ConflictError:
            return False
        return True

    @property
    def _display_name(self) -> str:
        return corpus_name(self.corpus).removeprefix("corpora/")


@dataclass(frozen=True)
class ListDocuments(Call[list[RemoteDocument]]):
    """Every document of the corpus with its metadata."""

    corpus: str

    def run(self, client: Client) -> list[RemoteDocument]:
        pager = client.corpora.documents.list(self.corpus, page_size=MAX_DOCUMENTS_PAGE_SIZE)
        return [_remote(document) for document in pager]

    async def arun(self, client: AsyncClient) -> list[RemoteDocument]:
        pager = client.corpora.documents.list(self.corpus, page_size=MAX_DOCUMENTS_PAGE_SIZE)
        return [_remote(document) async for document in pager]


@dataclass(frozen=True)
class ListChunkIds(Call[set[str]]):
    """The IDs of a document's chunks."""

    document: str

    def run(self, client: Client) -> set[str]:
        pager = client.corpora.documents.chunks.list(self.document, page_size=MAX_CHUNKS_PAGE_SIZE)
        return {(chunk.name or "").rsplit("/", 1)[-1] for chunk in pager}

    async def arun(self, client: AsyncClient) -> set[str]:
        pager = client.corpora.documents.chunks.list(self.document, page_size=MAX_CHUNKS_PAGE_SIZE)
        return {(chunk.name or "").rsplit("/", 1)[-1] async for chunk in pager}


@dataclass(frozen=True)
class CreateDocument(Call[None]):
    """Create a document under its derived ID (``ConflictError`` if it exists)."""

    corpus: str
    document_id: str
    display_name: str
    metadata: Mapping[str, MetadataValue]

    def run(self, client: Client) -> None:
        client.corpora.documents.create(
            self.corpus,
            name=self.document_id,
            display_name=self.display_name,
            custom_metadata=self.metadata,
        )

    async def arun(self, client: AsyncClient) -> None:
        await client.corpora.documents.create(
            self.corpus,
            name=self.document_id,
            display_name=self.display_name,
            custom_metadata=self.metadata,
        )


@dataclass(frozen=True)
class UpdateDocument(Call[None]):
    """Replace a document's display name and custom metadata."""

    document: str
    display_name: str
    metadata: Mapping[str, MetadataValue]

    def run(self, client: Client) -> None:
        client.corpora.documents.update(
            self.document, display_name=self.display_name, custom_metadata=self.metadata
        )

    async def arun(self, client: AsyncClient) -> None:
        await client.corpora.documents.update(
            self.document, display_name=self.display_name, custom_metadata=self.metadata
        )


@dataclass(frozen=True)
class CreateChunks(Call[int]):
    """One ``batchCreate`` of at most 100 named chunks; returns how many were created."""

    document: str
    chunks: Sequence[PlannedChunk]

    def run(self, client: Client) -> int:
        client.corpora.documents.chunks.batch_create(
            self.document, _chunks(self.chunks), retry=True
        )
        return len(self.chunks)

    async def arun(self, client: AsyncClient) -> int:
        await client.corpora.documents.chunks.batch_create(
            self.document, _chunks(self.chunks), retry=True
        )
        return len(self.chunks)


@dataclass(frozen=True)
class DeleteChunks(Call[int]):
    """One ``batchDelete`` of at most 100 chunk IDs; returns how many."""

    document: str
    chunk_ids: Sequence[str]

    def run(self, client: Client) -> int:
        client.corpora.documents.chunks.batch_delete(self.document, self.chunk_ids)
        return len(self.chunk_ids)

    async def arun(self, client: AsyncClient) -> int:
        await client.corpora.documents.chunks.batch_delete(self.document, self.chunk_ids)
        return len(self.chunk_ids)


@dataclass(frozen=True)
class DeleteDocument(Call[None]):
    """Delete a document and its chunks; one already gone counts as deleted."""

    document: str

    def run(self, client: Client) -> None:
        with contextlib.suppress(NotFoundError):
            client.corpora.documents.delete(self.document, force=True)

    async def arun(self, client: AsyncClient) -> None:
        with contextlib.suppress(NotFoundError):
            await client.corpora.documents.delete(self.document, force=True)
