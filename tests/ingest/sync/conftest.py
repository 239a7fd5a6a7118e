"""An in-process ragkit server (hash embedder, no quotas) shared by the sync tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import ragkit
from ragkit.server.embedded import EmbeddedServer
from ragkit.server.service.quotas import Quotas

from .helpers import Recorder, RecordingTransport, new_corpus

UNLIMITED = Quotas(max_corpora=None, max_documents_per_corpus=None, max_chunks_per_corpus=None)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(
        tmp_path_factory.mktemp("sync-server"), embedder="hash", quotas=UNLIMITED
    ) as running:
        yield running


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(server: EmbeddedServer, recorder: Recorder) -> Iterator[ragkit.Client]:
    with ragkit.Client(
        base_url=server.base_url, api_key="test", transport=RecordingTransport(recorder)
    ) as made:
        yield made


@pytest.fixture
def corpus() -> str:
    return new_corpus()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder
