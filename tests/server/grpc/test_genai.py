"""google-genai >= 3 with no ``api_version``: it calls ``/v1/...``, which ragkit serves
with the same routes as ``/v1beta``."""

from __future__ import annotations

import pytest
from google import genai
from google.genai import errors, types

from .conftest import ALICE_KEY, GrpcServer

pytestmark = pytest.mark.slow


def test_genai_defaults_to_v1(grpc_server: GrpcServer) -> None:
    client = genai.Client(
        api_key=ALICE_KEY, http_options=types.HttpOptions(base_url=grpc_server.url)
    )
    assert client._api_client._http_options.api_version == "v1"
    names = [m.name for m in client.models.list()]
    assert "models/gemini-2.0-flash" in names
    reply = client.models.generate_content(model="gemini-2.0-flash", contents="Say hello.")
    assert reply.text
    streamed = list(
        client.models.generate_content_stream(model="gemini-2.0-flash", contents="Say hello.")
    )
    assert streamed and "".join(c.text or "" for c in streamed)
    embedded = client.models.embed_content(model="text-embedding-004", contents=["a", "b"])
    assert embedded.embeddings is not None and len(embedded.embeddings) == 2
    counted = client.models.count_tokens(model="gemini-2.0-flash", contents="one two three")
    assert counted.total_tokens
    with pytest.raises(errors.ClientError) as caught:
        client.models.get(model="no-such-model")
    assert caught.value.code == 404
