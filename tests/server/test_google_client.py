"""Google's own generated REST clients against a real ``ragkit serve`` process.

``google.ai.generativelanguage_v1beta`` sends ``$alt=json;enum-encoding=int``, percent-
encodes the colon of custom verbs (``corpora/c%3Aquery``), sends FieldMasks as camelCase
``updateMask`` query strings, and parses responses with protobuf's json_format; this file
pins that the server satisfies all of it. (google-api-core picks exception classes by HTTP
status, so 403 arrives as ``Forbidden`` and 401 as ``Unauthorized``.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import google.ai.generativelanguage_v1beta as glm
import pytest
from google.api_core import exceptions as gexc
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.oauth2.credentials import Credentials as OAuthCredentials
from google.protobuf.field_mask_pb2 import FieldMask

from .http.serving import ServerProcess, serve

pytestmark = pytest.mark.slow

FRUIT = ["Apples are red and crunchy.", "Bananas are long and yellow.", "Cherries are small."]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("google") / "data"
    with serve(data, "--embedder", "hash", "--max-corpora", "0") as running:
        yield running


def make(cls: Any, server: ServerProcess, **options: Any) -> Any:
    """A REST client of ``cls`` pointed at ``server`` (anonymous unless told otherwise)."""
    credentials = options.pop("credentials", None)
    if credentials is None and "api_key" not in options:
        credentials = AnonymousCredentials()
    return cls(
        transport="rest",
        client_options=ClientOptions(api_endpoint=server.url, **options),
        credentials=credentials,
    )


def chunk(text: str, tags: list[str]) -> glm.Chunk:
    metadata = [glm.CustomMetadata(key="tags", string_list_value=glm.StringList(values=tags))]
    return glm.Chunk(data=glm.ChunkData(string_value=text), custom_metadata=metadata)


@pytest.fixture(scope="module")
def fruit(server: ServerProcess) -> tuple[glm.Corpus, glm.Document, list[glm.Chunk]]:
    retriever = make(glm.RetrieverServiceClient, server)
    corpus = retriever.create_corpus(corpus=glm.Corpus(display_name="Fruit"))
    document = retriever.create_document(
        parent=corpus.name,
        document=glm.Document(
            display_name="Fruit facts",
            custom_metadata=[glm.CustomMetadata(key="year", numeric_value=2024)],
        ),
    )
    requests = [
        glm.CreateChunkRequest(parent=document.name, chunk=chunk(text, ["fruit", f"n{i}"]))
        for i, text in enumerate(FRUIT)
    ]
    created = retriever.batch_create_chunks(
        glm.BatchCreateChunksRequest(parent=document.name, requests=requests)
    )
    return corpus, document, list(created.chunks)


def test_created_resources_round_trip(
    server: ServerProcess, fruit: tuple[glm.Corpus, glm.Document, list[glm.Chunk]]
) -> None:
    corpus, document, chunks = fruit
    retriever = make(glm.RetrieverServiceClient, server)

    assert corpus.name.startswith("corpora/fruit-")
    assert corpus.create_time.timestamp() > 0
    assert retriever.get_corpus(name=corpus.name) == corpus
    assert retriever.get_document(name=document.name).custom_metadata[0].numeric_value == 2024
    assert [c.data.string_value for c in chunks] == FRUIT
    assert {c.state for c in chunks} == {glm.Chunk.State.STATE_ACTIVE}
    assert list(chunks[0].custom_metadata[0].string_list_value.values) == ["fruit", "n0"]


def test_pagers_follow_page_tokens(
    server: ServerProcess, fruit: tuple[glm.Corpus, glm.Document, list[glm.Chunk]]
) -> None:
    _, document, chunks = fruit
    retriever = make(glm.RetrieverServiceClient, server)

    pager = retriever.list_chunks(glm.ListChunksRequest(parent=document.name, page_size=1))

    assert [c.name for c in pager] == [c.name for c in chunks]
    models = make(glm.ModelServiceClient, server).list_models(glm.ListModelsRequest(page_size=1))
    names = [m.name for m in models]
    assert names[:3] == ["models/aqa", "models/embedding-hash", "models/ragkit-local"]
    assert len(names) == len(set(names)) > 3


def test_queries_with_filters(
    server: ServerProcess, fruit: tuple[glm.Corpus, glm.Document, list[glm.Chunk]]
) -> None:
    corpus, document, _ = fruit
    retriever = make(glm.RetrieverServiceClient, server)
    includes = glm.Condition(string_value="n1", operation=glm.Condition.Operator.INCLUDES)

    by_corpus = retriever.query_corpus(
        glm.QueryCorpusRequest(name=corpus.name, query="yellow bananas", results_count=1)
    )
    filtered = retriever.query_document(
        glm.QueryDocumentRequest(
            name=document.name,
            query="red apples",
            metadata_filters=[
                glm.MetadataFilter(key="chunk.custom_metadata.tags", conditions=[includes])
            ],
        )
    )

    assert [r.chunk.data.string_value for r in by_corpus.relevant_chunks] == [FRUIT[1]]
    assert by_corpus.relevant_chunks[0].chunk_relevance_score > 0
    assert [r.chunk.data.string_value for r in filtered.relevant_chunks] == [FRUIT[1]]


def test_updates_and_deletes(server: ServerProcess) -> None:
    retriever = make(glm.RetrieverServiceClient, server)
    corpus = retriever.create_corpus(corpus=glm.Corpus(display_name="Scratch"))
    document = retriever.create_document(parent=corpus.name, document=glm.Document())
    first = retriever.create_chunk(parent=document.name, chunk=chunk("one", ["a"]))
    second = retriever.create_chunk(parent=document.name, chunk=chunk("two", ["b"]))

    renamed = retriever.update_corpus(
        corpus=glm.Corpus(name=corpus.name, display_name="Renamed"),
        update_mask=FieldMask(paths=["display_name"]),
    )
    patched = retriever.update_chunk(
        chunk=glm.Chunk(name=first.name, data=glm.ChunkData(string_value="uno")),
        update_mask=FieldMask(paths=["data"]),
    )
    batch = retriever.batch_update_chunks(
        glm.BatchUpdateChunksRequest(
            parent=document.name,
            requests=[
                glm.UpdateChunkRequest(
                    chunk=glm.Chunk(name=second.name, data=glm.ChunkData(string_value="dos")),
                    update_mask=FieldMask(paths=["data"]),
                )
            ],
        )
    )
    retriever.batch_delete_chunks(
        glm.BatchDeleteChunksRequest(
            parent=document.name, requests=[glm.DeleteChunkRequest(name=second.name)]
        )
    )

    assert renamed.display_name == "Renamed"
    assert patched.data.string_value == "uno"
    assert batch.chunks[0].data.string_value == "dos"
    assert [c.name for c in retriever.list_chunks(parent=document.name)] == [first.name]
    with pytest.raises(gexc.BadRequest, match="force"):
        retriever.delete_document(name=document.name)
    retriever.delete_chunk(name=first.name)
    retriever.delete_document(glm.DeleteDocumentRequest(name=document.name))
    retriever.delete_corpus(glm.DeleteCorpusRequest(name=corpus.name, force=True))
    with pytest.raises(gexc.Forbidden):
        retriever.get_corpus(name=corpus.name)


def test_permissions(
    server: ServerProcess, fruit: tuple[glm.Corpus, glm.Document, list[glm.Chunk]]
) -> None:
    corpus, _, _ = fruit
    permissions = make(glm.PermissionServiceClient, server)

    created = permissions.create_permission(
        parent=corpus.name,
        permission=glm.Permission(
            grantee_type=glm.Permission.GranteeType.USER,
            email_address="reader@example.com",
            role=glm.Permission.Role.READER,
        ),
    )
    listed = list(permissions.list_permissions(parent=corpus.name))
    updated = permissions.update_permission(
        permission=glm.Permission(name=created.name, role=glm.Permission.Role.WRITER),
        update_mask=FieldMask(paths=["role"]),
    )

    assert created.role == glm.Permission.Role.READER
    assert created in listed
    assert {p.role for p in listed} == {glm.Permission.Role.OWNER, glm.Permission.Role.READER}
    assert updated.role == glm.Permission.Role.WRITER
    assert permissions.get_permission(name=created.name) == updated
    permissions.delete_permission(name=created.name)
    with pytest.raises(gexc.GoogleAPICallError):
        permissions.get_permission(name=created.name)


def test_generate_answer(
    server: ServerProcess, fruit: tuple[glm.Corpus, glm.Document, list[glm.Chunk]]
) -> None:
    corpus, _, chunks = fruit
    generative = make(glm.GenerativeServiceClient, server)
    question = [glm.Content(parts=[glm.Part(text="What colour are bananas?")])]

    grounded = generative.generate_answer(
        glm.GenerateAnswerRequest(
            model="models/aqa",
            contents=question,
            answer_style=glm.GenerateAnswerRequest.AnswerStyle.EXTRACTIVE,
            semantic_retriever=glm.SemanticRetrieverConfig(
                source=corpus.name, query=glm.Content(parts=[glm.Part(text="banana colour")])
            ),
        )
    )
    inline = generative.generate_answer(
        glm.GenerateAnswerRequest(
            model="models/aqa",
            contents=question,
            answer_style=glm.GenerateAnswerRequest.AnswerStyle.ABSTRACTIVE,
            inline_passages=glm.GroundingPassages(
                passages=[
                    glm.GroundingPassage(
                        id="p1", content=glm.Content(parts=[glm.Part(text=FRUIT[1])])
                    ),
                ]
            ),
        )
    )

    source = grounded.answer.grounding_attributions[0].source_id.semantic_retriever_chunk
    assert source.source == corpus.name
    assert source.chunk == chunks[1].name
    assert "yellow" in grounded.answer.content.parts[0].text
    assert 0.0 <= grounded.answerable_probability <= 1.0
    assert inline.answer.grounding_attributions[0].source_id.grounding_passage.passage_id == "p1"
    with pytest.raises(gexc.NotFound, match="ListModels"):
        generative.generate_answer(
            glm.GenerateAnswerRequest(model="models/gemini-x", contents=question)
        )


def test_models_and_embeddings(server: ServerProcess) -> None:
    models = make(glm.ModelServiceClient, server)
    generative = make(glm.GenerativeServiceClient, server)

    aqa = models.get_model(name="models/aqa")
    embedded = generative.embed_content(
        glm.EmbedContentRequest(
            model="models/embedding-hash",
            content=glm.Content(parts=[glm.Part(text="red apples")]),
            task_type=glm.TaskType.RETRIEVAL_QUERY,
        )
    )

    assert list(aqa.supported_generation_methods) == ["generateAnswer"]
    assert (aqa.input_token_limit, aqa.output_token_limit) == (7168, 1024)
    assert len(embedded.embedding.values) == 384
    with pytest.raises(gexc.NotFound):
        models.get_model(name="models/nope")


def test_errors_map_to_google_exceptions(
    server: ServerProcess, fruit: tuple[glm.Corpus, glm.Document, list[glm.Chunk]]
) -> None:
    corpus, _, _ = fruit
    retriever = make(glm.RetrieverServiceClient, server)

    with pytest.raises(gexc.Conflict):
        retriever.create_corpus(corpus=glm.Corpus(name=corpus.name))
    with pytest.raises(gexc.BadRequest):
        retriever.get_corpus(name="corpora/Not_Valid")
    with pytest.raises(gexc.BadRequest):
        retriever.create_document(parent=corpus.name, document=glm.Document(display_name="x" * 513))


def test_api_keys_and_bearer_tokens(tmp_path: Path) -> None:
    auth = tmp_path / "auth.toml"
    auth.write_text(
        '[[principal]]\nemail = "alice@example.com"\napi_keys = ["alice-key"]\n'
        '[[principal]]\nemail = "bob@example.com"\nbearer_tokens = ["bob-token"]\n',
        encoding="utf-8",
    )
    with serve(tmp_path / "data", "--embedder", "hash", "--auth-file", str(auth)) as server:
        alice = make(glm.RetrieverServiceClient, server, api_key="alice-key")
        bob = make(
            glm.RetrieverServiceClient, server, credentials=OAuthCredentials(token="bob-token")
        )
        stranger = make(glm.RetrieverServiceClient, server, api_key="nope")
        corpus = alice.create_corpus(corpus=glm.Corpus(display_name="Alice's"))

        with pytest.raises(gexc.Forbidden):
            bob.get_corpus(name=corpus.name)
        with pytest.raises(gexc.Unauthorized) as caught:
            stranger.get_corpus(name=corpus.name)
        assert caught.value.reason == "API_KEY_INVALID"

        make(glm.PermissionServiceClient, server, api_key="alice-key").create_permission(
            parent=corpus.name,
            permission=glm.Permission(
                grantee_type=glm.Permission.GranteeType.USER,
                email_address="bob@example.com",
                role=glm.Permission.Role.READER,
            ),
        )
        assert bob.get_corpus(name=corpus.name) == corpus
