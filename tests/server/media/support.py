"""Shared by the files, cachedContents and batches tests: a clock, fake models, a PDF
builder, and the app in-process with those services on the test's clock and models."""

from __future__ import annotations

import io
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
from fastapi import FastAPI
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

import ragkit
from ragkit.server import app as app_module
from ragkit.server.app import create_app
from ragkit.server.batches import BatchService
from ragkit.server.batches.generation import StoredContent
from ragkit.server.caching import CacheService
from ragkit.server.config import ServerConfig
from ragkit.server.errors import invalid_argument, not_found
from ragkit.server.http.deps import ServerState
from ragkit.server.media import FileService
from ragkit.server.principal import Principal
from ragkit.types import (
    Candidate,
    Content,
    ContentEmbedding,
    EmbedContentRequest,
    EmbedContentResponse,
    FinishReason,
    GenerateContentRequest,
    GenerateContentResponse,
    Part,
)

GEN_MODEL = "models/fake-gen"
EMBED_MODEL = "models/fake-embed"


class FakeClock:
    """A settable UTC clock, starting at the real time."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class FakeModels:
    """BatchModels: generation echoes the last text upper-cased ("fail" fails), embedding
    returns [length, word count]; ``gate`` holds every request until set."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self.calls: list[tuple[str, str, str]] = []

    def require(self, model: str, method: str) -> None:
        served = {GEN_MODEL: "batchGenerateContent", EMBED_MODEL: "asyncBatchEmbedContent"}
        if served.get(model) != method:
            raise not_found(
                f"{model} is not found for API version v1beta, or is not supported for {method}."
            )

    def _text(self, content: Content | None) -> str:
        parts = content.parts if content is not None else None
        return " ".join(p.text for p in parts or () if p.text)

    def generate_content(
        self, who: Principal, model: str, request: GenerateContentRequest
    ) -> GenerateContentResponse:
        self.started.set()
        self.gate.wait(10)
        text = self._text((request.contents or [None])[-1])
        self.calls.append((who.email, model, text))
        if text == "fail":
            raise invalid_argument("The request asked to fail.")
        reply = Content(role="model", parts=[Part(text=text.upper())])
        return GenerateContentResponse(
            candidates=[Candidate(content=reply, finish_reason=FinishReason.STOP, index=0)]
        )

    def embed_content(
        self, who: Principal, model: str, request: EmbedContentRequest
    ) -> EmbedContentResponse:
        self.started.set()
        self.gate.wait(10)
        text = self._text(request.content)
        self.calls.append((who.email, model, text))
        values = [float(len(text)), float(len(text.split()))]
        return EmbedContentResponse(embedding=ContentEmbedding(values=values))


def build_pdf(pages: Sequence[str]) -> bytes:
    """A PDF with one Helvetica text line per page."""
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    for text in pages:
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 11 Tf 56 740 Td ({text}) Tj ET".encode("latin-1"))
        page.replace_contents(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@dataclass
class Served:
    """A running app: raw HTTP, ragkit's async client, and the services."""

    app: FastAPI
    http: httpx.AsyncClient
    client: ragkit.AsyncClient
    state: ServerState
    files: FileService
    caches: CacheService
    batches: BatchService


@asynccontextmanager
async def serve(
    data_dir: Path,
    *,
    clock: FakeClock | None = None,
    models: FakeModels | None = None,
    auth_file: Path | None = None,
    max_file_bytes: int | None = None,
    start_batches: bool = True,
    database_url: str | None = None,
) -> AsyncIterator[Served]:
    """The app over ``data_dir`` (and PostgreSQL at ``database_url``) with
    files/caches/batches on ``clock`` and ``models``."""
    options = {} if max_file_bytes is None else {"max_file_bytes": max_file_bytes}
    config = ServerConfig(
        data_dir=data_dir,
        embedder="hash",
        auth_file=auth_file,
        database_url=database_url,
        **options,
    )
    app = create_app(config)
    test_clock = clock or FakeClock()

    def open_content(state: ServerState, generation: Any, loop: Any) -> None:
        # What the app's lifespan opens, on the test's clock and models.
        limit = state.config.max_file_bytes
        state.files = FileService.open(
            data_dir, clock=test_clock, max_file_bytes=limit, database_url=database_url
        )
        state.caches = CacheService.open(
            data_dir, files=state.files, clock=test_clock, database_url=database_url
        )
        state.batches = BatchService.open(
            data_dir,
            files=state.files,
            models=models or FakeModels(),
            clock=test_clock,
            start=start_batches,
            database_url=database_url,
        )
        generation.resolver = StoredContent(state.files, state.caches)

    with mock.patch.object(app_module, "open_content", open_content):
        async with app.router.lifespan_context(app):
            state: ServerState = app.state.ragkit
            assert state.files and state.caches and state.batches
            files, caches, batches = state.files, state.caches, state.batches
            transport = httpx.ASGITransport(app=app)
            async with (
                httpx.AsyncClient(transport=transport, base_url="http://ragkit") as http,
                ragkit.AsyncClient(
                    api_key="test", base_url="http://ragkit", transport=transport, max_retries=0
                ) as client,
            ):
                yield Served(app, http, client, state, files, caches, batches)
