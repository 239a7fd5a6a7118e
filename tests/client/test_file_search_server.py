"""client.file_search_stores against ragkit's real server: the sync client over HTTP
(an embedded server), the async client over the app in-process (httpx.ASGITransport)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import ragkit
from ragkit.rag.file_search import aask_stores, ask_stores, file_search_answer, file_search_tool
from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.embedded import EmbeddedServer
from ragkit.types import DocumentState

MANUAL = """# Reset

To reset the router, hold the reset button for ten seconds until the light blinks.

# Warranty

The warranty lasts two years from the date of purchase.
"""
NOTES = "Release notes: version 2 adds WiFi 7 support and a faster processor."


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with EmbeddedServer(tmp_path_factory.mktemp("fs-data"), embedder="hash") as server:
        yield server.base_url


def test_store_upload_ask_filter_and_delete(base_url: str, tmp_path: Path) -> None:
    manual = tmp_path / "manual.md"
    manual.write_text(MANUAL, encoding="utf-8")
    progress: list[tuple[int, int]] = []
    with ragkit.Client(base_url=base_url, max_retries=0) as client:
        stores = client.file_search_stores
        store = stores.create(display_name="Handbook")
        assert store.name and store.name.startswith("fileSearchStores/handbook-")

        document = stores.upload_and_wait(
            store.name,
            manual,
            display_name="manual.md",
            custom_metadata={"year": 2024, "tags": ["faq", "hardware"]},
            chunking_config={"max_tokens_per_chunk": 64, "max_overlap_tokens": 8},
            chunk_size=64,  # rounded to the server's 8 MiB granularity: one piece
            on_progress=lambda sent, total: progress.append((sent, total)),
            poll_interval=0.05,
        )
        size = len(MANUAL.encode())
        assert progress == [(size, size)]
        assert document.state is DocumentState.STATE_ACTIVE
        assert (document.display_name, document.mime_type) == ("manual.md", "text/markdown")
        assert document.size_bytes == size
        assert {m.key for m in document.custom_metadata or ()} == {"year", "tags"}

        notes = stores.upload_and_wait(
            store.name,
            NOTES.encode(),
            mime_type="text/plain",
            display_name="notes.txt",
            custom_metadata={"year": 2019},
            poll_interval=0.05,
        )
        counted = stores.get(store.name)
        assert (counted.active_documents_count, counted.pending_documents_count) == (2, 0)
        assert counted.size_bytes == size + len(NOTES)
        assert {d.name for d in stores.documents.list(store.name, page_size=1)} == {
            document.name,
            notes.name,
        }

        response = client.models.generate_content(
            "gemini-2.5-flash",
            contents="How do I reset the router?",
            tools=[file_search_tool(store.name, top_k=3)],
        )
        answer = file_search_answer(response)
        assert "reset button" in answer.text
        assert answer.sources[0].title == "manual.md"
        assert answer.sources[0].store == store.name
        assert "[1]" in answer.cited_text

        filtered = ask_stores(
            client, store.name, "How do I reset the router?", metadata_filter="year < 2020"
        )
        assert {s.title for s in filtered.sources} == {"notes.txt"}

        with pytest.raises(ragkit.FailedPreconditionError, match="force"):
            stores.delete(store.name)
        stores.documents.delete(notes.name, force=True)
        assert [d.name for d in stores.documents.list(store.name)] == [document.name]
        stores.delete(store.name, force=True)
        assert store.name not in {s.name for s in stores.list()}


def test_server_errors_arrive_typed(base_url: str) -> None:
    with ragkit.Client(base_url=base_url, max_retries=0) as client:
        store = client.file_search_stores.create(display_name="Errors")
        assert store.name
        with pytest.raises(ragkit.BadRequestError, match="Unsupported MIME type 'image/png'"):
            client.file_search_stores.upload_and_wait(
                store.name, b"\x89PNG\r\n\x1a\n" + bytes(64), mime_type="image/png"
            )
        with pytest.raises(ragkit.PermissionDeniedError, match="fileSearchStores/no-such"):
            client.file_search_stores.get("no-such")
        with pytest.raises(ragkit.BadRequestError, match="metadata_filter"):
            ask_stores(client, store.name, "anything", metadata_filter="year >>= 3")
        # Nothing was left behind by the failed upload.
        assert list(client.file_search_stores.documents.list(store.name)) == []
        client.file_search_stores.delete(store.name)


async def test_async_client_in_process(tmp_path: Path) -> None:
    app = create_app(ServerConfig(data_dir=tmp_path / "data", embedder="hash"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with ragkit.AsyncClient(
            transport=transport, base_url="http://ragkit", max_retries=0
        ) as client:
            stores = client.file_search_stores
            store = await stores.create(display_name="Async")
            assert store.name
            file = await client.files.upload(
                MANUAL.encode(), mime_type="text/markdown", display_name="manual.md"
            )
            assert file.name
            operation = await stores.import_file(
                store.name, file.name, custom_metadata={"year": 2024}
            )
            done = await stores.operations.wait(operation, poll_interval=0.05)
            assert done.response is not None and done.response.document_name
            again = await stores.operations.get(str(done.name))
            assert again.done and type(again) is type(done)

            notes = await stores.upload_and_wait(
                store.name,
                NOTES.encode(),
                mime_type="text/plain",
                display_name="notes.txt",
                poll_interval=0.05,
            )
            names = [d.name async for d in stores.documents.list(store.name)]
            assert sorted(names) == sorted([done.response.document_name, notes.name])

            answer = await aask_stores(client, store.name, "What does version 2 add?")
            assert answer.sources and answer.sources[0].title == "notes.txt"
            await stores.delete(store.name, force=True)
            assert [s.name async for s in stores.list()] == []


def test_readme_file_search_example_runs(
    base_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    readme = Path(__file__).resolve().parents[2] / "README.md"
    text = readme.read_text(encoding="utf-8")
    (block,) = re.findall(
        r"### File Search stores from ragkit's client and CLI\n.*?```python\n(.*?)```", text, re.S
    )
    (tmp_path / "manual.md").write_text(MANUAL, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code = block.replace("http://127.0.0.1:8080", base_url)
    exec(compile(code, str(readme), "exec"), {})
    out = capsys.readouterr().out
    assert f"{len(MANUAL.encode())}/{len(MANUAL.encode())} bytes" in out
    assert "STATE_ACTIVE" in out and "reset button" in out and "\n[1] " in out
