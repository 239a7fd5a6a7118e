"""The Files API through ragkit's client: upload, get, list, download, delete."""

from __future__ import annotations

import asyncio
import base64
import hashlib

import pytest

from ragkit import PermissionDeniedError
from ragkit.server.principal import LOCAL_USER
from ragkit.types import File, FileSource, FileState

from .support import Served, build_pdf


async def _wait_state(served: Served, name: str) -> File:
    for _ in range(200):
        file = await served.client.files.get(name)
        if file.state is not FileState.PROCESSING:
            return file
        await asyncio.sleep(0.02)
    raise AssertionError(f"{name} stayed PROCESSING")


async def test_upload_text_file_round_trips(served: Served) -> None:
    data = b"Apples are red.\nBananas are yellow.\n"
    file = await served.client.files.upload(data, mime_type="text/plain", display_name="Fruit")
    assert file.name is not None and file.name.startswith("files/")
    assert file.display_name == "Fruit"
    assert file.mime_type == "text/plain"
    assert file.size_bytes == len(data)
    assert file.sha256_hash == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert file.state is FileState.ACTIVE
    assert file.source is FileSource.UPLOADED
    assert file.uri == f"http://ragkit/v1beta/{file.name}"
    assert file.create_time is not None and file.expiration_time is not None
    assert (file.expiration_time - file.create_time).total_seconds() == 48 * 3600
    assert await served.client.files.get(file.name) == file
    assert await served.client.files.download(file.name) == data
    assert served.files.file_text(LOCAL_USER, file.name) == ("text/plain", data.decode())


async def test_chunked_upload_with_chosen_name(served: Served) -> None:
    data = bytes(range(256)) * 40
    file = await served.client.files.upload(
        data, mime_type="application/octet-stream", name="raw-bytes", chunk_size=1000
    )
    assert file.name == "files/raw-bytes"
    assert await served.client.files.download("raw-bytes") == data


async def test_list_pages_and_delete(served: Served) -> None:
    names = []
    for i in range(5):
        uploaded = await served.client.files.upload(f"file {i}".encode(), mime_type="text/plain")
        names.append(uploaded.name)
    pager = served.client.files.list(page_size=2)
    listed = [f.name async for f in pager]
    assert listed == names
    first = (await served.http.get("/v1beta/files", params={"pageSize": 2})).json()
    assert len(first["files"]) == 2 and first["nextPageToken"]
    await served.client.files.delete(names[0])
    assert [f.name async for f in served.client.files.list()] == names[1:]
    with pytest.raises(PermissionDeniedError, match="or it may not exist"):
        await served.client.files.delete(names[0])
    with pytest.raises(PermissionDeniedError):
        await served.client.files.get(names[0])


async def test_pdf_is_processed_to_active_with_text(served: Served) -> None:
    pdf = build_pdf(["Hello from page one", "And page two"])
    file = await served.client.files.upload(pdf, mime_type="application/pdf")
    assert file.state in (FileState.PROCESSING, FileState.ACTIVE)
    done = await _wait_state(served, file.name or "")
    assert done.state is FileState.ACTIVE
    mime, text = served.files.file_text(LOCAL_USER, done.uri or "")
    assert mime == "application/pdf"
    assert "Hello from page one" in text and "And page two" in text


async def test_unreadable_pdf_fails_with_error(served: Served) -> None:
    file = await served.client.files.upload(b"not a pdf at all", mime_type="application/pdf")
    done = await _wait_state(served, file.name or "")
    assert done.state is FileState.FAILED
    assert done.error is not None and "could not be processed" in (done.error.message or "")
    with pytest.raises(Exception, match="not in an ACTIVE state"):
        served.files.file_text(LOCAL_USER, done.name or "")
