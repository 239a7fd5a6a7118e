"""google-genai's File Search flow, unchanged, against a real ``ragkit serve`` process.

The SDK (pinned in the dev extra) runs with no ``api_version`` setting, so it calls
``/v1/fileSearchStores``, ``/upload/v1/...:uploadToFileSearchStore`` and
``/v1/models/gemini-2.5-flash:generateContent`` exactly as it calls Google.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google import genai
from google.genai import errors, types

from ragkit import limits

from .http.serving import ServerProcess, serve
from .media.support import build_pdf

pytestmark = pytest.mark.slow

GUIDE = (
    "# Care guide\n\nBananas ripen faster in a paper bag.\n\nApples keep longest in the fridge.\n"
)
PDF_PAGES = ["The Zephyr telescope was built in 1931 in Ohio.", "Its mirror is four meters wide."]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("genai-file-search") / "data"
    with serve(data, "--embedder", "hash") as running:
        yield running


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> genai.Client:
    return genai.Client(api_key="any", http_options=types.HttpOptions(base_url=server.url))


def wait(client: genai.Client, operation: Any) -> Any:
    deadline = time.monotonic() + 60
    while not operation.done:
        assert time.monotonic() < deadline, operation
        time.sleep(0.2)
        operation = client.operations.get(operation)
    return operation


def file_search(store: str, **options: Any) -> types.GenerateContentConfig:
    tool = types.FileSearch(file_search_store_names=[store], **options)
    return types.GenerateContentConfig(tools=[types.Tool(file_search=tool)])


def test_the_file_search_flow(client: genai.Client, tmp_path: Path) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text(GUIDE, encoding="utf-8")
    report = tmp_path / "report.pdf"
    report.write_bytes(build_pdf(PDF_PAGES))
    store = client.file_search_stores.create(config={"display_name": "Fruit and stars"})
    assert store.name and store.name.startswith("fileSearchStores/fruit-and-stars-")

    markdown = client.file_search_stores.upload_to_file_search_store(
        file=guide,
        file_search_store_name=store.name,
        config={
            "display_name": "guide.md",
            "custom_metadata": [{"key": "kind", "string_value": "guide"}],
        },
    )
    pdf = client.file_search_stores.upload_to_file_search_store(
        file=report,
        file_search_store_name=store.name,
        config={
            "display_name": "report.pdf",
            "custom_metadata": [{"key": "year", "numeric_value": 1931}],
            "chunking_config": {"white_space_config": {"max_tokens_per_chunk": 200}},
        },
    )
    markdown, pdf = wait(client, markdown), wait(client, pdf)
    assert markdown.error is None and pdf.error is None
    assert pdf.response.parent == store.name

    counted = client.file_search_stores.get(name=store.name)
    assert counted.active_documents_count == 2
    assert counted.pending_documents_count in (None, 0)
    documents = {
        d.display_name: d for d in client.file_search_stores.documents.list(parent=store.name)
    }
    assert set(documents) == {"guide.md", "report.pdf"}
    assert documents["report.pdf"].mime_type == "application/pdf"
    assert documents["report.pdf"].state == types.DocumentState.STATE_ACTIVE
    assert documents["guide.md"].custom_metadata[0].string_value == "guide"

    answer = client.models.generate_content(
        model="gemini-2.5-flash",
        contents="When was the Zephyr telescope built?",
        config=file_search(store.name),
    )
    assert answer.text and "1931" in answer.text
    grounding = answer.candidates[0].grounding_metadata
    contexts = [c.retrieved_context for c in grounding.grounding_chunks]
    assert contexts[0].title == "report.pdf" and "1931" in contexts[0].text
    assert {c.file_search_store for c in contexts} == {store.name}
    support = grounding.grounding_supports[0]
    assert "1931" in support.segment.text
    assert answer.text.encode()[
        support.segment.start_index : support.segment.end_index
    ].decode() == (support.segment.text)

    streamed = list(
        client.models.generate_content_stream(
            model="gemini-2.5-flash",
            contents="When was the Zephyr telescope built?",
            config=file_search(store.name),
        )
    )
    assert "".join(chunk.text or "" for chunk in streamed) == answer.text
    assert streamed[-1].candidates[0].grounding_metadata.grounding_chunks

    filtered = client.models.generate_content(
        model="gemini-flash-latest",
        contents="When was the Zephyr telescope built?",
        config=file_search(store.name, metadata_filter='kind = "guide"', top_k=3),
    )
    titles = {
        c.retrieved_context.title
        for c in filtered.candidates[0].grounding_metadata.grounding_chunks
    }
    assert titles == {"guide.md"}

    doomed = documents["guide.md"].name
    client.file_search_stores.documents.delete(name=doomed, config={"force": True})
    assert client.file_search_stores.get(name=store.name).active_documents_count == 1
    assert store.name in [s.name for s in client.file_search_stores.list()]
    client.file_search_stores.delete(name=store.name, config={"force": True})
    assert store.name not in [s.name for s in client.file_search_stores.list()]


def test_import_file_from_the_files_api(client: genai.Client, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Pears are sweet and grainy.", encoding="utf-8")
    uploaded = client.files.upload(file=notes)
    store = client.file_search_stores.create(config={"display_name": "Imports"})
    operation = wait(
        client,
        client.file_search_stores.import_file(
            file_search_store_name=store.name, file_name=uploaded.name
        ),
    )
    assert operation.response.document_name.startswith(f"{store.name}/documents/")
    document = client.file_search_stores.documents.get(name=operation.response.document_name)
    assert document.size_bytes == len("Pears are sweet and grainy.")
    client.file_search_stores.delete(name=store.name, config={"force": True})


def test_bad_input_gets_googles_errors(client: genai.Client, tmp_path: Path) -> None:
    with pytest.raises(errors.ClientError) as unknown:
        client.file_search_stores.get(name="fileSearchStores/no-such-store")
    assert unknown.value.code == 403 and unknown.value.status == "PERMISSION_DENIED"

    store = client.file_search_stores.create(config={"display_name": "Limits"})
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as sparse:
        sparse.truncate(limits.MAX_FILE_SEARCH_FILE_BYTES + 1)
    with pytest.raises(errors.ClientError) as too_big:
        client.file_search_stores.upload_to_file_search_store(
            file=huge, file_search_store_name=store.name
        )
    assert too_big.value.code == 400 and "100 MB" in (too_big.value.message or "")

    with pytest.raises(errors.ClientError) as malformed:
        client.models.generate_content(
            model="gemini-2.5-flash",
            contents="anything?",
            config=file_search(store.name, metadata_filter='year >= AND kind = "x"'),
        )
    assert malformed.value.code == 400 and malformed.value.status == "INVALID_ARGUMENT"
    assert client.file_search_stores.get(name=store.name).active_documents_count in (None, 0)
    client.file_search_stores.delete(name=store.name)


def test_readme_file_search_example_runs(
    server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(
        r"### File Search stores \(google-genai\)\n.*?```python\n(.*?)```", text, re.S
    )
    monkeypatch.chdir(tmp_path)
    Path("handbook.md").write_text(
        "# Handbook\n\nNew employees get 25 vacation days per year.\n", encoding="utf-8"
    )
    namespace: dict[str, Any] = {}
    exec(
        compile(block.replace("http://127.0.0.1:8080", server.url), "README.md", "exec"), namespace
    )
    response = namespace["response"]
    assert "25 vacation days" in response.text
    assert response.candidates[0].grounding_metadata.grounding_chunks[
        0
    ].retrieved_context.title == ("handbook.md")
