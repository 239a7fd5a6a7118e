"""ragkit's sync client against the real wiring (no fakes): files, caches and batch jobs
running on the server's own generation and embedding models, over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest

import ragkit
from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.embedded import EmbeddedServer
from ragkit.types import (
    BatchState,
    EmbedContentBatch,
    EmbedContentBatchOutput,
    FileState,
    GenerateContentBatch,
    GenerateContentBatchOutput,
    Operation,
)
from ragkit.types.operation import unpack_any

FACTS = b"The Eiffel Tower is in Paris. The Colosseum is in Rome."


def _finished(client: ragkit.Client, name: str) -> Operation:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        operation = client.batches.get(name)
        if operation.done:
            return operation
        time.sleep(0.05)
    raise AssertionError(f"{name} did not finish")


@pytest.mark.slow
def test_files_caches_and_batches_on_the_local_models(tmp_path: Path) -> None:
    with (
        EmbeddedServer(tmp_path, embedder="hash") as server,
        ragkit.Client(base_url=server.base_url, api_key="local") as client,
    ):
        file = client.files.upload(FACTS, mime_type="text/plain", display_name="facts")
        assert file.state is FileState.ACTIVE and file.uri and file.name
        assert file.uri.startswith(server.base_url)
        assert [f.name for f in client.files.list()] == [file.name]
        assert client.files.download(file.name) == FACTS

        cache = client.cached_contents.create(
            model="gemini-2.0-flash",
            contents=[{"role": "user", "parts": [{"fileData": {"fileUri": file.uri}}]}],
            ttl=600,
        )
        answer = client.models.generate_content(
            "gemini-2.0-flash", contents="Where is the Colosseum?", cached_content=cache.name
        )
        assert answer.candidates and "Rome" in str(answer.candidates[0].content)

        request = {
            "contents": [
                {
                    "role": "user",
                    "parts": [
                        {"fileData": {"fileUri": file.uri, "mimeType": "text/plain"}},
                        {"text": "Where is the Eiffel Tower?"},
                    ],
                }
            ]
        }
        jsonl = json.dumps({"key": "q1", "request": request}).encode()
        batch_input = client.files.upload(jsonl, mime_type="application/jsonl")
        job = client.models.batch_generate_content(
            "gemini-2.0-flash",
            batch={"displayName": "questions", "inputConfig": {"fileName": batch_input.name}},
        )
        done = _finished(client, job.name or "")
        state = unpack_any(done.metadata or {}, GenerateContentBatch).state
        assert state is BatchState.BATCH_STATE_SUCCEEDED
        output = unpack_any(done.response or {}, GenerateContentBatchOutput)
        row = json.loads(client.files.download(output.responses_file or ""))
        assert row["key"] == "q1"
        assert "Paris" in row["response"]["candidates"][0]["content"]["parts"][0]["text"]

        embed = client.models.async_batch_embed_content(
            "embedding-hash",
            batch={
                "inputConfig": {
                    "requests": {
                        "requests": [
                            {
                                "request": {
                                    "content": {"parts": [{"text": "towers"}]},
                                    "outputDimensionality": 8,
                                }
                            },
                        ]
                    }
                }
            },
        )
        vectors = unpack_any(
            _finished(client, embed.name or "").response or {}, EmbedContentBatchOutput
        )
        assert vectors.inlined_responses is not None
        (item,) = vectors.inlined_responses.inlined_responses or []
        assert item.response and item.response.embedding
        assert len(item.response.embedding.values or []) == 8
        assert unpack_any(embed.metadata or {}, EmbedContentBatch).model == "models/embedding-hash"

        assert {op.name for op in client.batches.list()} == {job.name, embed.name}
        client.batches.delete(job.name or "")
        assert [op.name for op in client.batches.list()] == [embed.name]
        client.cached_contents.delete(cache.name or "")
        client.files.delete(file.name)
        assert file.name not in {f.name for f in client.files.list()}


async def test_batch_jobs_run_on_the_app_models_in_process(tmp_path: Path) -> None:
    app = create_app(ServerConfig(data_dir=tmp_path, embedder="hash"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with ragkit.AsyncClient(
            base_url="http://ragkit", api_key="local", transport=transport
        ) as client:
            file = await client.files.upload(FACTS, mime_type="text/plain")
            request = {
                "contents": [
                    {
                        "role": "user",
                        "parts": [
                            {"fileData": {"fileUri": file.uri}},
                            {"text": "Where is the Colosseum?"},
                        ],
                    }
                ]
            }
            job = await client.models.batch_generate_content(
                "gemini-2.0-flash",
                batch={"inputConfig": {"requests": {"requests": [{"request": request}]}}},
            )
            for _ in range(300):
                done = await client.batches.get(job.name or "")
                if done.done:
                    break
                await asyncio.sleep(0.02)
            output = unpack_any(done.response or {}, GenerateContentBatchOutput)
            assert output.inlined_responses is not None
            (item,) = output.inlined_responses.inlined_responses or []
            assert item.response is not None and item.response.candidates
            assert "Rome" in str(item.response.candidates[0].content)
