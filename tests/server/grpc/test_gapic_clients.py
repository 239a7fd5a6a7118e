"""Google's GAPIC clients with their default transports (grpc, grpc_asyncio) over TLS.

Only the endpoint, the API key and the trusted CA differ from code written for Google.
"""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest

from .conftest import ALICE_KEY, BOB_KEY, GrpcServer

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    from google.ai import generativelanguage_v1beta as glm
    from google.api_core import exceptions

pytestmark = pytest.mark.slow

TEXTS = [
    "The cat sat on the warm windowsill and purred.",
    "Interest rates were raised by the central bank.",
    "The striker scored twice in the second half.",
]


def options(server: GrpcServer, key: str = ALICE_KEY) -> dict[str, Any]:
    return {"client_options": {"api_endpoint": server.target, "api_key": key}}


def test_retriever_permission_generative_model_services_sync(grpc_server: GrpcServer) -> None:
    retriever = glm.RetrieverServiceClient(**options(grpc_server))
    assert retriever.transport.kind == "grpc"
    corpus = retriever.create_corpus(corpus=glm.Corpus(display_name="GAPIC sync"))
    document = retriever.create_document(
        parent=corpus.name,
        document=glm.Document(
            display_name="Mixed",
            custom_metadata=[glm.CustomMetadata(key="author", string_value="ann")],
        ),
    )
    created = retriever.batch_create_chunks(
        glm.BatchCreateChunksRequest(
            parent=document.name,
            requests=[
                glm.CreateChunkRequest(
                    parent=document.name, chunk=glm.Chunk(data=glm.ChunkData(string_value=t))
                )
                for t in TEXTS
            ],
        )
    )
    assert [c.data.string_value for c in created.chunks] == TEXTS
    assert [c.name for c in retriever.list_chunks(parent=document.name)] == [
        c.name for c in created.chunks
    ]
    found = retriever.query_corpus(
        glm.QueryCorpusRequest(
            name=corpus.name,
            query="central bank interest rates",
            results_count=1,
            # A bare key (LlamaIndex's documented form) matches document metadata.
            metadata_filters=[
                glm.MetadataFilter(
                    key="author",
                    conditions=[glm.Condition(string_value="ann", operation="EQUAL")],
                )
            ],
        )
    )
    assert [r.chunk.data.string_value for r in found.relevant_chunks] == [TEXTS[1]]
    updated = retriever.update_chunk(
        chunk=glm.Chunk(name=created.chunks[0].name, data=glm.ChunkData(string_value="A dog.")),
        update_mask={"paths": ["data.string_value"]},
    )
    assert updated.data.string_value == "A dog."

    permissions = glm.PermissionServiceClient(**options(grpc_server))
    granted = permissions.create_permission(
        parent=corpus.name,
        permission=glm.Permission(
            grantee_type="USER", email_address="bob@example.com", role="READER"
        ),
    )
    assert granted.role == glm.Permission.Role.READER
    assert [p.name for p in permissions.list_permissions(parent=corpus.name)][-1] == granted.name
    bob = glm.RetrieverServiceClient(**options(grpc_server, BOB_KEY))
    assert bob.get_corpus(name=corpus.name).display_name == "GAPIC sync"
    with pytest.raises(exceptions.PermissionDenied):
        bob.delete_corpus(glm.DeleteCorpusRequest(name=corpus.name, force=True))

    generative = glm.GenerativeServiceClient(**options(grpc_server))
    answer = generative.generate_answer(
        glm.GenerateAnswerRequest(
            model="models/aqa",
            contents=[glm.Content(parts=[glm.Part(text="Who raised interest rates?")])],
            semantic_retriever=glm.SemanticRetrieverConfig(
                source=corpus.name,
                query=glm.Content(parts=[glm.Part(text="who raised interest rates")]),
            ),
        )  # no answer_style: ABSTRACTIVE
    )
    assert "central bank" in answer.answer.content.parts[0].text
    streamed = list(
        generative.stream_generate_content(
            model="models/gemini-2.0-flash",
            contents=[glm.Content(role="user", parts=[glm.Part(text="Say hello.")])],
        )
    )
    assert streamed and "".join(p.text for s in streamed for p in s.candidates[0].content.parts)

    models = glm.ModelServiceClient(**options(grpc_server))
    assert models.get_model(name="models/aqa").name == "models/aqa"
    assert "models/aqa" in [m.name for m in models.list_models()]

    retriever.delete_corpus(glm.DeleteCorpusRequest(name=corpus.name, force=True))
    with pytest.raises(exceptions.PermissionDenied, match=corpus.name):
        retriever.get_corpus(name=corpus.name)


def test_error_statuses_match_rest(grpc_server: GrpcServer) -> None:
    retriever = glm.RetrieverServiceClient(**options(grpc_server))
    rest = httpx.post(
        f"{grpc_server.url}/v1beta/corpora",
        json={"displayName": "x" * 600},
        headers={"x-goog-api-key": ALICE_KEY},
    )
    assert rest.status_code == 400
    with pytest.raises(exceptions.InvalidArgument) as caught:
        retriever.create_corpus(corpus=glm.Corpus(display_name="x" * 600))
    assert caught.value.message == rest.json()["error"]["message"]
    with pytest.raises(exceptions.InvalidArgument, match="name like corpora/"):
        retriever.get_corpus(name="documents/nope")
    stranger = glm.RetrieverServiceClient(**options(grpc_server, "no-such-key"))
    with pytest.raises(exceptions.Unauthenticated) as denied:
        stranger.list_corpora()
    assert denied.value.reason == "API_KEY_INVALID"  # the REST body's ErrorInfo detail
    generative = glm.GenerativeServiceClient(**options(grpc_server))
    with pytest.raises(exceptions.NotFound):
        list(
            generative.stream_generate_content(
                model="models/no-such-model",
                contents=[glm.Content(parts=[glm.Part(text="hi")])],
            )
        )


async def test_async_clients_grpc_asyncio(grpc_server: GrpcServer) -> None:
    retriever = glm.RetrieverServiceAsyncClient(**options(grpc_server))
    assert retriever.transport.kind == "grpc_asyncio"
    corpus = await retriever.create_corpus(corpus=glm.Corpus(display_name="GAPIC async"))
    document = await retriever.create_document(
        parent=corpus.name, document=glm.Document(display_name="d")
    )
    chunk = await retriever.create_chunk(
        parent=document.name, chunk=glm.Chunk(data=glm.ChunkData(string_value=TEXTS[2]))
    )
    found = await retriever.query_document(
        glm.QueryDocumentRequest(name=document.name, query="football striker")
    )
    assert found.relevant_chunks[0].chunk.name == chunk.name
    permissions = glm.PermissionServiceAsyncClient(**options(grpc_server))
    granted = await permissions.create_permission(
        parent=corpus.name, permission=glm.Permission(grantee_type="EVERYONE", role="READER")
    )
    await permissions.delete_permission(name=granted.name)
    with pytest.raises(exceptions.NotFound, match=granted.name):
        await permissions.get_permission(name=granted.name)

    generative = glm.GenerativeServiceAsyncClient(**options(grpc_server))
    stream = await generative.stream_generate_content(
        model="models/gemini-2.0-flash",
        contents=[glm.Content(role="user", parts=[glm.Part(text="Say hello.")])],
    )
    assert [response async for response in stream]
    models = glm.ModelServiceAsyncClient(**options(grpc_server))
    assert (await models.get_model(name="models/aqa")).name == "models/aqa"
    with pytest.raises(exceptions.NotFound):
        await models.get_model(name="models/no-such-model")
    await retriever.delete_corpus(glm.DeleteCorpusRequest(name=corpus.name, force=True))
