"""Fixtures for the service tests: a service on a temp dir with the hash embedder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ragkit.server.errors import ApiError
from ragkit.server.models.embedding import load_embedder
from ragkit.server.principal import Principal
from ragkit.server.service import Quotas, RetrieverService
from ragkit.types import (
    BatchCreateChunksRequest,
    Chunk,
    ChunkData,
    Code,
    CreateChunkRequest,
    CustomMetadata,
    StringList,
)

OWNER = Principal("owner@example.com")
ALICE = Principal("alice@example.com")
BOB = Principal("bob@example.com", groups=frozenset({"team@example.com"}))
STRANGER = Principal("stranger@example.com")


@pytest.fixture
def open_service(
    tmp_path: Path, database_url: str | None
) -> Iterator[Callable[..., RetrieverService]]:
    """Opens services on the test's backend (PostgreSQL in modules marked both_backends)."""
    opened: list[RetrieverService] = []

    def factory(quotas: Quotas | None = None, data_dir: Path = tmp_path) -> RetrieverService:
        service = RetrieverService.open(
            data_dir,
            embedder=load_embedder("hash:64"),
            quotas=quotas or Quotas(),
            database_url=database_url,
        )
        opened.append(service)
        return service

    yield factory
    for service in opened:
        service.close()


@pytest.fixture
def service(open_service: Callable[..., RetrieverService]) -> RetrieverService:
    return open_service()


def raises(code: Code, call: Callable[[], object], match: str = "") -> ApiError:
    """Run ``call``, assert it raises ApiError with ``code`` (and ``match`` in the message)."""
    with pytest.raises(ApiError) as caught:
        call()
    assert caught.value.code is code, (caught.value.code, caught.value.message)
    assert match in caught.value.message, caught.value.message
    return caught.value


def meta(**values: object) -> list[CustomMetadata]:
    """``meta(year=2020, genre="drama", tags=["a", "b"])`` as CustomMetadata entries."""
    out = []
    for key, value in values.items():
        if isinstance(value, list):
            out.append(CustomMetadata(key=key, string_list_value=StringList(values=value)))
        elif isinstance(value, str):
            out.append(CustomMetadata(key=key, string_value=value))
        else:
            assert isinstance(value, int | float)
            out.append(CustomMetadata(key=key, numeric_value=float(value)))
    return out


def chunk(text: str, name: str | None = None, **metadata: object) -> Chunk:
    return Chunk(name=name, data=ChunkData(string_value=text), custom_metadata=meta(**metadata))


def batch(*chunks: Chunk, parent: str | None = None) -> BatchCreateChunksRequest:
    return BatchCreateChunksRequest(
        requests=[CreateChunkRequest(parent=parent, chunk=c) for c in chunks]
    )
