"""Fixtures: one embedded server (hash embedder) per module with the shared knowledge base."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import ragkit
from ragkit.server.embedded import EmbeddedServer
from tests.rag import _corpus


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    data: Path = tmp_path_factory.mktemp("rag-data")
    with EmbeddedServer(data, embedder="hash") as running:
        with ragkit.Client(base_url=running.base_url, max_retries=0) as client:
            _corpus.build(client)
        yield running


@pytest.fixture
def client(server: EmbeddedServer) -> Iterator[ragkit.Client]:
    with ragkit.Client(base_url=server.base_url, max_retries=0) as client:
        yield client
