"""Google's generated REST clients (FileServiceClient, CacheServiceClient) against a real
``ragkit serve`` process: they send ``$alt=json;enum-encoding=int``, percent-encode the
colon of custom verbs and parse responses with protobuf's json_format."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import google.ai.generativelanguage_v1beta as glm
import httpx
import pytest
from google.api_core import exceptions as gexc
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.protobuf import duration_pb2, field_mask_pb2

from ..http.serving import ServerProcess, serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data: Path = tmp_path_factory.mktemp("google-media") / "data"
    with serve(data, "--embedder", "hash") as running:
        yield running


def _client(cls: type, server: ServerProcess) -> object:
    return cls(
        transport="rest",
        client_options=ClientOptions(api_endpoint=server.url),
        credentials=AnonymousCredentials(),
    )


def test_file_service_get_list_delete(server: ServerProcess) -> None:
    uploaded = httpx.post(
        f"{server.url}/upload/v1beta/files",
        headers={"X-Goog-Upload-Protocol": "raw", "Content-Type": "text/plain"},
        content=b"hello from google's client",
    ).json()["file"]
    files = _client(glm.FileServiceClient, server)
    got = files.get_file(name=uploaded["name"])  # type: ignore[attr-defined]
    assert got.name == uploaded["name"]
    assert got.size_bytes == len(b"hello from google's client")
    assert got.state == glm.File.State.ACTIVE
    assert got.mime_type == "text/plain"
    assert got.expiration_time.timestamp() - got.create_time.timestamp() == 48 * 3600
    created = files.create_file(  # type: ignore[attr-defined]
        request=glm.CreateFileRequest(
            file=glm.File(name="files/from-google", mime_type="text/plain")
        )
    )
    assert created.file.name == "files/from-google"
    listed = [f.name for f in files.list_files(request=glm.ListFilesRequest(page_size=1))]  # type: ignore[attr-defined]
    assert listed == [uploaded["name"], "files/from-google"]
    files.delete_file(name="files/from-google")  # type: ignore[attr-defined]
    with pytest.raises(gexc.Forbidden):
        files.get_file(name="files/from-google")  # type: ignore[attr-defined]


def test_cache_service_create_get_update(server: ServerProcess) -> None:
    caches = _client(glm.CacheServiceClient, server)
    cache = caches.create_cached_content(  # type: ignore[attr-defined]
        cached_content=glm.CachedContent(
            model="models/gemini-2.0-flash",
            display_name="from google",
            contents=[glm.Content(role="user", parts=[glm.Part(text="Rome is in Italy.")])],
            ttl=duration_pb2.Duration(seconds=600),
        )
    )
    assert cache.name.startswith("cachedContents/")
    assert cache.usage_metadata.total_token_count > 0
    got = caches.get_cached_content(name=cache.name)  # type: ignore[attr-defined]
    assert (got.display_name, got.model) == ("from google", "models/gemini-2.0-flash")
    longer = caches.update_cached_content(  # type: ignore[attr-defined]
        cached_content=glm.CachedContent(name=cache.name, ttl=duration_pb2.Duration(seconds=7200)),
        update_mask=field_mask_pb2.FieldMask(paths=["ttl"]),
    )
    assert longer.expire_time - got.expire_time > timedelta(minutes=90)
    caches.delete_cached_content(name=cache.name)  # type: ignore[attr-defined]
    with pytest.raises(gexc.NotFound):
        caches.get_cached_content(name=cache.name)  # type: ignore[attr-defined]
