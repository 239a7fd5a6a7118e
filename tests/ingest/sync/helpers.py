"""Shared helpers for the sync-engine tests: request recording and corpus snapshots."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

import ragkit
from ragkit.provenance import metadata_to_dict

MUTATING = frozenset({"POST", "PATCH", "DELETE", "PUT"})


@dataclass
class Recorder:
    """The (method, path) of every request, in the order they were sent."""

    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: httpx.Request) -> None:
        with self.lock:
            self.requests.append((request.method, request.url.path))

    def mutations(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] in MUTATING]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()

    def index(self, method: str, fragment: str) -> list[int]:
        return [i for i, (m, p) in enumerate(self.requests) if m == method and fragment in p]


class RecordingTransport(httpx.BaseTransport):
    def __init__(self, recorder: Recorder, inner: httpx.BaseTransport | None = None) -> None:
        self.recorder = recorder
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.recorder.add(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    def __init__(self, recorder: Recorder, inner: httpx.AsyncBaseTransport) -> None:
        self.recorder = recorder
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.recorder.add(request)
        return await self.inner.handle_async_request(request)


def new_corpus() -> str:
    return f"corpora/t-{uuid.uuid4().hex[:12]}"


def snapshot(client: ragkit.Client, corpus: str) -> dict[str, dict[str, Any]]:
    """Every document of ``corpus``: display name, metadata and ``{chunk id: (text, meta)}``."""
    result: dict[str, dict[str, Any]] = {}
    for document in client.corpora.documents.list(corpus, page_size=20):
        assert document.name
        chunks = {
            (chunk.name or "").rsplit("/", 1)[-1]: (
                chunk.data.string_value if chunk.data else None,
                metadata_to_dict(chunk.custom_metadata),
            )
            for chunk in client.corpora.documents.chunks.list(document.name, page_size=100)
        }
        result[document.name.rsplit("/", 1)[-1]] = {
            "display_name": document.display_name,
            "metadata": metadata_to_dict(document.custom_metadata),
            "chunks": chunks,
        }
    return result


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def paragraphs(topic: str, count: int, words: int = 60) -> str:
    """``count`` distinct paragraphs of about ``words`` words each about ``topic``."""
    return "\n\n".join(
        " ".join(f"{topic}{p}w{w}" for w in range(words)) + "." for p in range(count)
    )
